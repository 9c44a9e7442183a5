//! Operations on one mailbox inside a domain's locked files. Each one checks
//! everything first and changes the files only when it will succeed, as
//! group commit requires (`crate::storage::batch`).

use std::time::SystemTime;

use zeroize::Zeroizing;

use super::address::MailAddress;
use super::domain_files::DomainFiles;
use super::shadow;
use crate::error::{Error, Result};

/// Sets the hash of `address` to `new_hash`, keeping a suspension prefix
/// (spec/EMAIL.md §9.3) and stamping today's day number.
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

/// The shadow line index of a mailbox that exists in both `passwd` and
/// `shadow` (spec/EMAIL.md §9.8).
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
