//! Operations on one mailbox inside a domain's locked files. Each one checks
//! everything first and changes the files only when it will succeed, as
//! group commit requires ([`super::batch`]).

use std::collections::HashMap;
use std::time::SystemTime;

use zeroize::Zeroizing;

use super::DomainFiles;
use crate::email::address::MailAddress;
use crate::email::quota::Quota;
use crate::email::shadow;
use crate::error::{Error, Result};

/// Localparts cPanel will not create (`Cpanel::Validate::EmailLocalPart`):
/// they would collide with the account files or cPanel's own names.
pub const RESERVED_LOCALPARTS: &[&str] = &[
    "shadow",
    "passwd",
    "quota",
    "_archive",
    "_mainaccount",
    "_privs.json",
    "_privs.cache",
    "shadow.lock",
    "passwd.lock",
    "quota.lock",
    "_archive.lock",
    "_mainaccount.lock",
    "_privs.json.lock",
    "_privs.cache.lock",
    "cpanel",
];

/// What one mailbox looks like in its domain's files.
#[derive(Debug, Clone, PartialEq)]
pub struct MailboxRecord {
    pub localpart: String,
    /// The stored hash with its suspension prefix, if the shadow file has it.
    pub stored_hash: Option<String>,
    pub quota: Quota,
}

impl MailboxRecord {
    /// Whether login is suspended: the stored hash starts with `!`.
    pub fn login_suspended(&self) -> bool {
        self.stored_hash
            .as_deref()
            .is_some_and(|h| h.starts_with('!'))
    }
}

/// The fields of a new mailbox's `passwd` line.
#[derive(Debug, Clone)]
pub struct NewMailbox {
    pub uid: u32,
    pub gid: u32,
    /// The cPanel user, recorded as the line's "owner" field.
    pub owner: String,
    /// The cPanel account's home directory.
    pub home: String,
    /// `~/mail/<domain>/<localpart>`.
    pub maildir: String,
    pub hash: String,
    pub quota: Quota,
}

/// Sets the hash of `address` to `new_hash`, keeping a suspension prefix
/// (docs/email.md §9.3) and stamping today's day number.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`] when neither file has the mailbox,
/// [`Error::DamagedMailbox`] when only one of them has it.
pub fn change_password(
    files: &mut DomainFiles,
    address: &MailAddress,
    new_hash: &str,
    now: SystemTime,
) -> Result<()> {
    let index = existing_shadow_line(files, address)?;
    let prefix = shadow::suspension_prefix(files.shadow.field(index, 1).unwrap_or_default());
    let stored = Zeroizing::new(format!("{prefix}{new_hash}"));
    let line = shadow::line(&address.localpart, &stored, shadow::days_since_epoch(now));
    files.shadow.replace(index, line);
    Ok(())
}

/// Adds the `passwd`, `shadow` and (unless unlimited) `quota` lines of a new
/// mailbox.
///
/// # Errors
///
/// [`Error::MailboxExists`] when any of the three files already names it.
pub fn add(
    files: &mut DomainFiles,
    address: &MailAddress,
    new: &NewMailbox,
    now: SystemTime,
) -> Result<()> {
    ensure_absent(files, address)?;
    let lp = &address.localpart;
    files.passwd.push(
        format!(
            "{lp}:x:{}:{}:{}:{}:{}\n",
            new.uid, new.gid, new.owner, new.maildir, new.home
        )
        .into_bytes(),
    );
    files
        .shadow
        .push(shadow::line(lp, &new.hash, shadow::days_since_epoch(now)));
    // A stale quota line of an earlier mailbox of this name gives way.
    if let Some(i) = files.quota.find(lp) {
        files.quota.remove(i);
    }
    if let Some(line) = new.quota.line(lp) {
        files.quota.push(line);
    }
    Ok(())
}

/// Removes a mailbox's lines from `passwd`, `shadow` and (unless
/// `keep_quota`) `quota`. A mailbox present in only one of `passwd` and
/// `shadow` is removed too, so a half-made account can be cleaned up.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`] when neither file has it.
pub fn remove(files: &mut DomainFiles, address: &MailAddress, keep_quota: bool) -> Result<()> {
    ensure_listed(files, address)?;
    let lp = &address.localpart;
    let (passwd, shadow) = (files.passwd.find(lp), files.shadow.find(lp));
    if let Some(i) = passwd {
        files.passwd.remove(i);
    }
    if let Some(i) = shadow {
        files.shadow.remove(i);
    }
    if !keep_quota {
        if let Some(i) = files.quota.find(lp) {
            files.quota.remove(i);
        }
    }
    Ok(())
}

/// Fails with [`Error::MailboxExists`] when `passwd` or `shadow` names the
/// mailbox: the check [`add`] makes, for callers that must make it first.
///
/// # Errors
///
/// [`Error::MailboxExists`].
pub fn ensure_absent(files: &DomainFiles, address: &MailAddress) -> Result<()> {
    let lp = &address.localpart;
    if files.passwd.find(lp).is_some() || files.shadow.find(lp).is_some() {
        return Err(Error::MailboxExists(address.to_string()));
    }
    Ok(())
}

/// Fails with [`Error::NoSuchMailbox`] when neither `passwd` nor `shadow`
/// names the mailbox: the check [`remove`] makes, for callers that must
/// make it first.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`].
pub fn ensure_listed(files: &DomainFiles, address: &MailAddress) -> Result<()> {
    let lp = &address.localpart;
    if files.passwd.find(lp).is_none() && files.shadow.find(lp).is_none() {
        return Err(Error::NoSuchMailbox(address.to_string()));
    }
    Ok(())
}

/// Sets a mailbox's quota.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`] / [`Error::DamagedMailbox`] as for passwords.
pub fn set_quota(files: &mut DomainFiles, address: &MailAddress, quota: Quota) -> Result<()> {
    existing_shadow_line(files, address)?;
    let lp = &address.localpart;
    match (files.quota.find(lp), quota.line(lp)) {
        (Some(i), Some(line)) => files.quota.replace(i, line),
        (Some(i), None) => files.quota.remove(i),
        (None, Some(line)) => files.quota.push(line),
        (None, None) => {}
    }
    Ok(())
}

/// Suspends (`true`) or restores (`false`) a mailbox's login through the
/// `!!` prefix of its hash (docs/email.md §3.5). Suspending a suspended
/// login, or restoring an active one, changes nothing.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`] / [`Error::DamagedMailbox`] as for passwords.
pub fn set_login_suspended(
    files: &mut DomainFiles,
    address: &MailAddress,
    suspended: bool,
) -> Result<()> {
    let index = existing_shadow_line(files, address)?;
    let line = files.shadow.field(index, 1).unwrap_or_default();
    let stored = String::from_utf8_lossy(line).into_owned();
    let new = if suspended {
        if stored.starts_with('!') {
            return Ok(());
        }
        format!("!!{stored}")
    } else {
        // cPanel removes one `!`, then a second if present.
        let once = stored.strip_prefix('!').unwrap_or(&stored);
        once.strip_prefix('!').unwrap_or(once).to_owned()
    };
    if new == stored {
        return Ok(());
    }
    files.shadow.replace_field(index, 1, new.as_bytes());
    Ok(())
}

/// The record of an existing mailbox.
///
/// # Errors
///
/// [`Error::NoSuchMailbox`] / [`Error::DamagedMailbox`] as for passwords.
pub fn record(files: &DomainFiles, address: &MailAddress) -> Result<MailboxRecord> {
    let index = existing_shadow_line(files, address)?;
    Ok(record_at(files, &address.localpart, Some(index)))
}

/// Every mailbox of the domain (a `passwd` line), in file order. One pass
/// over each file, so a domain of 10 000 mailboxes lists in linear time.
pub fn records(files: &DomainFiles) -> Vec<MailboxRecord> {
    let hashes: HashMap<&[u8], &[u8]> = files.shadow.fields_by_name(1).collect();
    let quotas: HashMap<&[u8], &[u8]> = files.quota.fields_by_name(1).collect();
    files
        .passwd
        .names()
        .filter_map(|name| {
            let localpart = std::str::from_utf8(name).ok()?;
            Some(MailboxRecord {
                localpart: localpart.to_owned(),
                stored_hash: hashes
                    .get(name)
                    .map(|h| String::from_utf8_lossy(h).into_owned()),
                quota: Quota::from_file_field(quotas.get(name).copied()),
            })
        })
        .collect()
}

fn record_at(files: &DomainFiles, localpart: &str, shadow_index: Option<usize>) -> MailboxRecord {
    let stored_hash = shadow_index
        .and_then(|i| files.shadow.field(i, 1))
        .map(|h| String::from_utf8_lossy(h).into_owned());
    let quota = Quota::from_file_field(
        files
            .quota
            .find(localpart)
            .and_then(|i| files.quota.field(i, 1)),
    );
    MailboxRecord {
        localpart: localpart.to_owned(),
        stored_hash,
        quota,
    }
}

/// The shadow line index of a mailbox that exists in both `passwd` and
/// `shadow` (docs/email.md §9.8).
fn existing_shadow_line(files: &DomainFiles, address: &MailAddress) -> Result<usize> {
    match (
        files.passwd.find(&address.localpart),
        files.shadow.find(&address.localpart),
    ) {
        (Some(_), Some(index)) => Ok(index),
        (None, None) => Err(Error::NoSuchMailbox(address.to_string())),
        _ => Err(Error::DamagedMailbox(address.to_string())),
    }
}
