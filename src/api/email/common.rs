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

/// Runs CPU-heavy work (hashing takes a few milliseconds) off the I/O
/// threads, on the account's bounded hashing pool.
pub(super) async fn off_thread<T: Send + 'static>(
    state: &AccountState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    state.limits().hash(work).await
}

/// The `$6$` hash of a new password for `address`, once it passes the
/// password rules and reaches the server's minimum strength, and the
/// caller is within its change rate (checked in that order, so a refused
/// password is not counted).
pub(super) async fn hash_new_password(
    state: &AccountState,
    args: &Args,
    account: &Account,
    address: &MailAddress,
    password: &str,
) -> Result<String> {
    password::check(password)?;
    let required = account.config.min_mailbox_strength;
    if strength::strength(password.as_bytes()) < required {
        return Err(Error::WeakPassword(required));
    }
    state.limits().count_change(args.caller(), address)?;
    let password = Zeroizing::new(password.to_owned());
    off_thread(state, move || hash::hash_password(password.as_bytes())).await?
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
