//! `Email::add_pop`: a new mailbox, in the three files and on disk
//! (spec/EMAIL.md §2, §3).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use serde_json::json;

use super::common;
use crate::account::Account;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::email::mailbox::{self, NewMailbox, RESERVED_LOCALPARTS};
use crate::email::quota::Quota;
use crate::email::hash;
use crate::home::maildir;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Creates a mailbox. Arguments: `email`, `password` or `password_hash`
/// (not both), optional `domain`, `quota` (MiB or `unlimited`; default from
/// `cpanel.config`), `skip_update_db` and `send_welcome_email` (accepted; liveapid
/// keeps no cache database and sends no mail). Data: `"<localpart>+<domain>"`.
///
/// # Errors
///
/// Missing arguments, both or neither of `password`/`password_hash`, an
/// invalid, reserved, foreign or existing address, a weak password, an
/// invalid hash or quota, the account's mailbox limit, or a storage failure.
pub async fn add_pop(engine: &Engine, args: &Args) -> Result<UapiResult> {
    args.require(&["email"])?;
    let password = args.get("password")?.filter(|p| !p.is_empty());
    let password_hash = args.get("password_hash")?.filter(|h| !h.is_empty());
    let (account, address) = common::address(engine, args)?;
    if RESERVED_LOCALPARTS.contains(&address.localpart.as_str()) {
        return Err(Error::ReservedLocalpart(address.localpart));
    }
    let quota = match args.get("quota")?.filter(|q| !q.trim().is_empty()) {
        Some(q) => Quota::from_argument(q, account.max_quota_mib)?,
        None => Quota::from_argument(
            &account.config.default_quota_mib.to_string(),
            account.max_quota_mib,
        )?,
    };
    let hash = match (password, password_hash) {
        (Some(_), Some(_)) => return Err(Error::PasswordAndHash),
        (None, None) => return Err(Error::NoPasswordOrHash),
        (None, Some(h)) if hash::is_supported_hash(h) => h.to_owned(),
        (None, Some(_)) => return Err(Error::InvalidPasswordHash),
        (Some(p), None) => common::hash_new_password(&account, p).await?,
    };
    if let Some(max) = account.max_mailboxes {
        if common::mailbox_count(&account)? as u64 >= max {
            return Err(Error::TooManyMailboxes(max));
        }
    }
    let dir = account.mail_etc_dir(&address.domain);
    make_domain_dir(&account, &dir)?;

    let maildir_path = account.maildir(&address.domain, &address.localpart);
    let mail_root = account.home.join("mail");
    let owner = common::new_owner(&account);
    let new = NewMailbox {
        uid: account.uid,
        gid: account.gid,
        owner: account.user.clone(),
        home: account.home.display().to_string(),
        maildir: maildir_path.display().to_string(),
        hash,
        quota,
    };
    let added = address.clone();
    engine
        .mail_files()
        .run(&dir, move |files| {
            common::require_locked(files, &added)?;
            mailbox::ensure_absent(files, &added)?;
            // The Maildir last of the checks: if the files cannot be written, it goes again.
            if maildir::create(&mail_root, &maildir_path, owner)? {
                let made = maildir_path.clone();
                files.on_failure(Box::new(move || {
                    let _ = fs::remove_dir_all(&made);
                }));
            }
            mailbox::add(files, &added, &new, std::time::SystemTime::now())
        })
        .await?;
    tracing::info!(mailbox = %address, "mailbox created");
    Ok(UapiResult::success(json!(format!(
        "{}+{}",
        address.localpart, address.domain
    ))))
}

/// `~/etc` and `~/etc/<domain>`, 0750, group `mail` where it exists (as
/// cPanel makes them), for a domain that has no mail files yet.
fn make_domain_dir(account: &Account, dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mail_gid = mail_group(account);
    for d in [account.home.join("etc"), dir.to_owned()] {
        if d.is_dir() {
            continue;
        }
        match fs::DirBuilder::new().mode(0o750).create(&d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue, // a concurrent add made it
            Err(e) => return Err(Error::storage("create", &d, e)),
        }
        fs::set_permissions(&d, fs::Permissions::from_mode(0o750))
            .map_err(|e| Error::storage("set the mode of", &d, e))?;
        if let Some((uid, gid)) = common::new_owner(account) {
            std::os::unix::fs::chown(&d, Some(uid), Some(mail_gid.unwrap_or(gid)))
                .map_err(|e| Error::storage("set the owner of", &d, e))?;
        }
    }
    Ok(())
}

/// The gid of the `mail` group, from `<root>/etc/group`.
fn mail_group(account: &Account) -> Option<u32> {
    let text = fs::read_to_string(account.system_file("etc/group")).ok()?;
    text.lines().find_map(|l| {
        let mut fields = l.split(':');
        (fields.next() == Some("mail")).then(|| fields.nth(1)?.parse().ok())?
    })
}
