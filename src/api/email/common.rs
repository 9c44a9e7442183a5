//! What the `Email` functions share: finding the mailbox an argument names,
//! and who owns what they create.

use zeroize::Zeroizing;

use crate::account::Account;
use crate::api::args::Args;
use crate::email::{hash, mailbox, password, strength, MailAddress};
use crate::error::{Error, Result};
use crate::home::DomainFiles;
use crate::state::AccountState;

/// The account and the mailbox address named by `email` (and `domain`).
/// `email` must already be required by the caller.
pub(super) fn address(state: &AccountState, args: &Args) -> Result<(Account, MailAddress)> {
    let account = state.account()?;
    let email = args.get("email")?.unwrap_or_default();
    let address = MailAddress::resolve(email, args.get("domain")?, &account)?;
    Ok((account, address))
}

/// Runs CPU-heavy work (hashing takes about a millisecond) off the I/O threads.
pub(super) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// The `$6$` hash of a new password, once it reaches the server's minimum
/// strength.
pub(super) async fn hash_new_password(account: &Account, password: &str) -> Result<String> {
    password::check_characters(password)?;
    let required = account.config.min_mailbox_strength;
    if strength::strength(password.as_bytes()) < required {
        return Err(Error::WeakPassword(required));
    }
    let password = Zeroizing::new(password.to_owned());
    off_thread(move || hash::hash_password(password.as_bytes())).await?
}

/// The owner for new directories: the account's user when we run as root,
/// else whoever we are (no change).
pub(super) fn new_owner(account: &Account) -> Option<(u32, u32)> {
    rustix::process::geteuid()
        .is_root()
        .then_some((account.uid, account.gid))
}

/// The current record of one mailbox, read under the domain's lock.
pub(super) async fn record(
    state: &AccountState,
    account: &Account,
    address: &MailAddress,
) -> Result<mailbox::MailboxRecord> {
    let target = address.clone();
    state
        .mail_files()
        .run(&account.home_dir, &address.domain, move |files| {
            mailbox::record(files, &target)
        })
        .await
}

/// Every domain's files, read without locks, main domain first.
pub(super) fn all_domains(account: &Account) -> Result<Vec<(String, DomainFiles)>> {
    account
        .domains()
        .map(|d| {
            Ok((
                d.to_owned(),
                DomainFiles::read_unlocked(&account.home_dir, d)?,
            ))
        })
        .collect()
}

/// How many mailboxes the account has across its domains.
pub(super) fn mailbox_count(account: &Account) -> Result<usize> {
    Ok(all_domains(account)?
        .iter()
        .map(|(_, files)| mailbox::records(files).len())
        .sum())
}

/// The same, with `domain` counted from its locked, possibly already
/// changed files (`files`) instead of from the disk.
pub(super) fn mailbox_count_with(
    account: &Account,
    domain: &str,
    files: &DomainFiles,
) -> Result<usize> {
    let mut count = mailbox::records(files).len();
    for other in account.domains().filter(|d| *d != domain) {
        let other = DomainFiles::read_unlocked(&account.home_dir, other)?;
        count += mailbox::records(&other).len();
    }
    Ok(count)
}

/// Fails with a clear error when the domain directory is missing at commit time.
pub(super) fn require_locked(files: &DomainFiles, address: &MailAddress) -> Result<()> {
    if files.is_locked() {
        Ok(())
    } else {
        Err(Error::NoSuchMailbox(address.to_string()))
    }
}
