//! `Email::add_pop`: a new mailbox, in the three files and on disk
//! (docs/email.md §2, §3).

use serde_json::json;

use super::common;
use crate::account::Account;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::email::hash;
use crate::home::mailbox::{self, NewMailbox, RESERVED_LOCALPARTS};
use crate::email::quota::Quota;
use crate::state::AccountState;
use crate::error::{Error, Result};
use crate::home::{maildir, ConfinedDir};

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
pub async fn add_pop(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email"])?;
    let password = args.get("password")?.filter(|p| !p.is_empty());
    let password_hash = args.get("password_hash")?.filter(|h| !h.is_empty());
    let (account, address) = common::address(state, args).await?;
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
        (Some(p), None) => common::hash_new_password(state, args, &account, &address, p).await?,
    };
    if let Some(max) = account.max_mailboxes {
        // A quick look first, so that a refused add makes no directory;
        // the count that decides is made again under the lock below.
        let counted = account.clone();
        let count = state
            .read(move |reader| common::mailbox_count(reader, &counted))
            .await?;
        if count as u64 >= max {
            return Err(Error::TooManyMailboxes(max));
        }
    }
    let (home, made, domain) = (state.home_dir(), account.clone(), address.domain.clone());
    crate::off_reactor::run(move || make_domain_dir(&home, &made, &domain)).await?;

    let maildir_path = account.maildir(&address.domain, &address.localpart);
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
    let home = state.home_dir();
    let limit = account.max_mailboxes.map(|max| (max, account.clone()));
    state
        .mail_files()
        .run(&state.home_dir(), &address.domain, move |files| {
            common::require_locked(files, &added)?;
            mailbox::ensure_absent(files, &added)?;
            if let Some((max, account)) = &limit {
                // Counted under the account-wide lock, held until the commit:
                // concurrent adds in any domain cannot both pass the limit.
                files.hold_account_lock(&home)?;
                if common::mailbox_count_with(&home, account, &added.domain, files)? as u64 >= *max {
                    return Err(Error::TooManyMailboxes(*max));
                }
            }
            // The Maildir last of the checks: if the files cannot be written, it goes again.
            let mail_domain = maildir::open_or_create_domain(&home, &added.domain, owner)?;
            if maildir::create(&mail_domain, &added.localpart, owner)? {
                let made = added.localpart.clone();
                files.on_failure(Box::new(move || {
                    let _ = mail_domain.remove_dir_all(&made);
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
/// cPanel makes them), for a domain that has no mail files yet. Made and
/// owned through the home's handle: a planted `etc` symlink is refused.
fn make_domain_dir(home: &ConfinedDir, account: &Account, domain: &str) -> Result<()> {
    // Group mail whenever this process may give it (root, or a worker in
    // the mail files' group), so Dovecot can read what is made here.
    let mail = account
        .mail_gid()
        .filter(|gid| crate::home::confined::may_use_group(*gid));
    let owner = match (common::new_owner(account), mail) {
        (Some((uid, gid)), mail) => Some((uid, mail.unwrap_or(gid))),
        (None, Some(mail)) => Some((rustix::process::geteuid().as_raw(), mail)),
        (None, None) => None,
    };
    let etc = match home.create_dir("etc", 0o750, owner)? {
        Some(made) => made,
        None => home
            .open_dir("etc")?
            .ok_or_else(|| home.error("open", "etc", std::io::ErrorKind::NotFound.into()))?,
    };
    // A concurrent add may make it first; then it is kept as it is.
    etc.create_dir(domain, 0o750, owner)?;
    Ok(())
}
