//! `liveapid account add` and `remove`: serving an existing system user as
//! a cPanel account, on a host without cPanel.
//!
//! `add` checks everything first ([`eligibility`], the other accounts'
//! domains), then makes the mail layout in the home ([`home_layout`]) and
//! writes the cPanel user file last ([`users_dir`], [`cpuser_text`]), so an
//! account appears only once its files are ready. `remove` deletes the
//! account's file, and its domains' mail only when asked. Both run as root
//! and hold the accounts directory's lock from their first read to their
//! last write.

mod cpuser_text;
mod eligibility;
mod home_layout;
mod users_dir;

use std::path::{Path, PathBuf};

use crate::account::CpUserFile;
use crate::error::{Error, Result};
use crate::home::ConfinedDir;

pub use eligibility::UID_RANGE;
use home_layout::Owners;
use users_dir::UsersDir;

/// What `add` did.
#[derive(Debug)]
pub struct Added {
    /// The cPanel user file written.
    pub user_file: PathBuf,
    /// Whether that file is new (else domains were added to it).
    pub new_account: bool,
    /// The domains written into it by this call.
    pub domains: Vec<String>,
    /// What was made in the home (absolute paths).
    pub made: Vec<PathBuf>,
}

/// What `remove` did.
#[derive(Debug)]
pub struct Removed {
    /// The cPanel user file removed.
    pub user_file: PathBuf,
    /// The directories removed from the home (absolute paths), with `delete_mail`.
    pub deleted: Vec<PathBuf>,
}

/// Makes the system user `user` of `<root>/etc/passwd` an account with
/// `domains` (the first is the main domain), or adds to an existing account
/// the domains it does not have yet.
///
/// # Errors
///
/// Not root; an invalid user name or domain; a user that is not a system
/// user or is root or a system account; a domain another account has; an
/// account that already has every domain given; a home that is not the
/// user's, or a path in it that leads out of it. Nothing is written when a
/// check fails.
pub fn add(root: &Path, user: &str, domains: &[String]) -> Result<Added> {
    eligibility::require_root("add")?;
    eligibility::check_user_name(user)?;
    let domains = eligibility::checked_domains(domains)?;
    let system_user = eligibility::account_user(root, user)?;
    let mail_gid = eligibility::mail_gid(root)?;
    let users = UsersDir::open_locked(root)?;
    let existing = users.read(user)?;
    let new_domains: Vec<String> = match &existing {
        Some((text, _)) => {
            let file = CpUserFile::parse(text).ok_or_else(|| Error::NoMainDomain {
                path: users.path(user),
            })?;
            let listed = |d: &String| *d == file.main_domain || file.other_domains.contains(d);
            domains.into_iter().filter(|d| !listed(d)).collect()
        }
        None => domains,
    };
    if new_domains.is_empty() {
        return Err(Error::AccountHasDomains(user.to_owned()));
    }
    for domain in &new_domains {
        if let Some(owner) = users.owner_of(domain, user)? {
            return Err(Error::DomainTaken {
                domain: domain.clone(),
                owner,
            });
        }
    }
    let home = open_own_home(&system_user.home, system_user.uid, user)?;
    let owners = Owners {
        uid: system_user.uid,
        gid: system_user.gid,
        mail_gid,
    };
    let made = home_layout::lay_out(&home, &new_domains, owners)?;
    let text = match &existing {
        Some((text, _)) => cpuser_text::with_domains_added(text, &new_domains),
        None => cpuser_text::new_file(user, &new_domains),
    };
    users.write(
        user,
        &text,
        existing.as_ref().map(|(_, meta)| meta),
        system_user.gid,
    )?;
    Ok(Added {
        user_file: users.path(user),
        new_account: existing.is_none(),
        domains: new_domains,
        made: made.iter().map(|p| system_user.home.join(p)).collect(),
    })
}

/// Removes the account `user`: its cPanel user file, and with
/// `delete_mail` first `~/etc/<domain>/` and `~/mail/<domain>/` of each of
/// its domains. The system user, its home and everything else in it stay.
///
/// # Errors
///
/// Not root; an invalid user name; no such account; with `delete_mail`, a
/// user no longer in `<root>/etc/passwd` or a path that leads out of the
/// home (then nothing is removed, the account file included).
pub fn remove(root: &Path, user: &str, delete_mail: bool) -> Result<Removed> {
    eligibility::require_root("remove")?;
    eligibility::check_user_name(user)?;
    let no_such_account = || Error::NoSuchAccount {
        user: user.to_owned(),
        path: UsersDir::path_under(root, user),
    };
    let users = UsersDir::open_existing_locked(root)?.ok_or_else(no_such_account)?;
    let (text, _) = users.read(user)?.ok_or_else(no_such_account)?;
    let mut deleted = Vec::new();
    if delete_mail {
        let domains: Vec<String> = CpUserFile::parse(&text)
            .map(|f| {
                std::iter::once(f.main_domain)
                    .chain(f.other_domains)
                    .collect()
            })
            .unwrap_or_default();
        let system_user =
            crate::account::system_user(root, user)?.ok_or_else(|| Error::NotASystemUser {
                user: user.to_owned(),
                path: root.join("etc/passwd"),
            })?;
        let home = ConfinedDir::open_home(&system_user.home)?;
        // Mail first: if it fails, the account is still listed and the
        // command can be run again.
        deleted = home_layout::remove_domains(&home, &domains)?
            .iter()
            .map(|p| system_user.home.join(p))
            .collect();
    }
    users.remove(user)?;
    Ok(Removed {
        user_file: users.path(user),
        deleted,
    })
}

/// The home, opened, if it is the user's own: the layout is given to the
/// user, which must never happen in a directory someone else owns (a home
/// of `/` or another user's).
fn open_own_home(path: &Path, uid: u32, user: &str) -> Result<ConfinedDir> {
    let home = ConfinedDir::open_home(path)?;
    let (owner, _) = home.owner()?;
    if owner != uid {
        return Err(Error::Config(format!(
            "the home directory {} of “{user}” belongs to uid {owner}, not to the user",
            path.display()
        )));
    }
    Ok(home)
}
