//! What the `Email` functions share: finding the mailbox an argument names,
//! and who owns what they create.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::account::Account;
use crate::api::args::Args;
use crate::email::{hash, password, strength, MailAddress};
use crate::error::{Error, Result};
use crate::home::{mailbox, ConfinedDir, DomainFiles};
use crate::state::{AccountState, Reader};

/// The account and the mailbox address named by `email` (and `domain`).
/// `email` must already be required by the caller.
pub(super) async fn address(state: &AccountState, args: &Args) -> Result<(Account, MailAddress)> {
    let account = state.account().await?;
    let email = args.get("email")?.unwrap_or_default();
    let address = MailAddress::resolve(
        email,
        args.get("domain")?,
        &account.main_domain,
        &account.other_domains,
    )?;
    Ok((account, address))
}

/// The account, the address named by `email` (and `domain`) and that
/// mailbox's current record, in one trip off the runtime's threads.
pub(super) async fn mailbox(
    state: &AccountState,
    args: &Args,
) -> Result<(Account, MailAddress, mailbox::MailboxRecord)> {
    let email = args.get("email")?.unwrap_or_default().to_owned();
    let domain = args.get("domain")?.map(str::to_owned);
    // Most calls find both caches current: answered here, without the two
    // thread wake-ups of a trip to the blocking pool.
    if let Some(account) = state.cached_account() {
        let address = MailAddress::resolve(
            &email,
            domain.as_deref(),
            &account.main_domain,
            &account.other_domains,
        )?;
        if let Some(files) = state.cached_domain(&address.domain)? {
            let record = mailbox::record(&files, &address)?;
            return Ok((account, address, record));
        }
    }
    state
        .read(move |reader| {
            let account = reader.account()?;
            let address = MailAddress::resolve(
                &email,
                domain.as_deref(),
                &account.main_domain,
                &account.other_domains,
            )?;
            let files = reader.domain(&address.domain)?;
            let record = mailbox::record(&files, &address)?;
            Ok((account, address, record))
        })
        .await
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

/// Every domain's current files, main domain first (blocking).
pub(super) fn all_domains(
    reader: &Reader,
    account: &Account,
) -> Result<Vec<(String, Arc<DomainFiles>)>> {
    account
        .domains()
        .map(|d| Ok((d.to_owned(), reader.domain(d)?)))
        .collect()
}

/// How many mailboxes the account has across its domains (blocking).
pub(super) fn mailbox_count(reader: &Reader, account: &Account) -> Result<usize> {
    Ok(all_domains(reader, account)?
        .iter()
        .map(|(_, files)| mailbox::records(files).len())
        .sum())
}

/// The same, with `domain` counted from its locked, possibly already
/// changed files (`files`) instead of from the disk.
pub(super) fn mailbox_count_with(
    home: &ConfinedDir,
    account: &Account,
    domain: &str,
    files: &DomainFiles,
) -> Result<usize> {
    let mut count = mailbox::records(files).len();
    for other in account.domains().filter(|d| *d != domain) {
        let other = DomainFiles::read_unlocked(home, other)?;
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
