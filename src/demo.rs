//! The scratch account of `liveapid demo`: a cPanel user `demo` with the
//! main domain `example.com` and the mailbox `user@example.com`, laid out
//! like a real host under one directory. No root, no system changes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::api::email::EmailFunction;
use crate::api::Args;
use crate::error::{Error, Result};
use crate::state::AccountState;

/// The demo account's cPanel user name.
pub const USER: &str = "demo";
/// Its main domain.
pub const DOMAIN: &str = "example.com";
/// Its one mailbox's localpart.
pub const MAILBOX: &str = "user";

/// Where a scratch account was laid out.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// The `--root` of the daemon: holds `var/cpanel/users/demo`.
    pub root: PathBuf,
    /// The account's home: holds `etc/example.com/{passwd,shadow,quota}`.
    pub home: PathBuf,
}

impl DemoAccount {
    /// The directory of the demo domain's mail files.
    pub fn mail_etc(&self) -> PathBuf {
        self.home.join("etc").join(DOMAIN)
    }
}

/// Lays out the account under `dir` (which may exist): the cPanel user file
/// and an empty home. The mailbox comes from [`add_mailbox`], through the
/// same `add_pop` a script would call.
///
/// # Errors
///
/// When a directory or file cannot be created.
pub fn create(dir: &Path) -> Result<DemoAccount> {
    let root = dir.join("root");
    let home = dir.join("home").join(USER);
    for d in [root.join("var/cpanel/users"), home.clone()] {
        fs::create_dir_all(&d).map_err(|e| Error::storage("create", &d, e))?;
    }
    write(
        &root.join("var/cpanel/users").join(USER),
        format!("USER={USER}\nDNS={DOMAIN}\nFEATURELIST=default\n"),
        0o644,
    )?;
    Ok(DemoAccount { root, home })
}

/// Creates `user@example.com` with a random password nobody knows: the point
/// of the demo is to set one. A mailbox left by an earlier demo in the same
/// directory is kept as it is.
///
/// # Errors
///
/// When the random source fails or `add_pop` refuses.
pub async fn add_mailbox(state: &AccountState) -> Result<()> {
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    // 32 characters of the crypt alphabet: strength 100.
    let password: String = secret
        .iter()
        .chain(&secret[..8])
        .map(|b| {
            char::from(
                b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    [usize::from(b & 63)],
            )
        })
        .collect();
    let args = Args::from_pairs([
        ("email", MAILBOX),
        ("domain", DOMAIN),
        ("password", password.as_str()),
    ]);
    match EmailFunction::AddPop.apply(state, &args).await {
        Ok(_) | Err(Error::MailboxExists(_)) => Ok(()),
        Err(e) => Err(Error::Config(format!(
            "the demo mailbox could not be created: {e}"
        ))),
    }
}

fn write(path: &Path, text: String, mode: u32) -> Result<()> {
    fs::write(path, text).map_err(|e| Error::storage("write", path, e))?;
    set_mode(path, mode)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::storage("set the mode of", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountLocator;

    #[tokio::test]
    async fn the_demo_account_loads_and_has_its_mailbox() {
        let dir = tempfile::tempdir().unwrap();
        let demo = create(dir.path()).unwrap();
        let locator = AccountLocator::new(USER, &demo.root, Some(&demo.home)).unwrap();
        assert_eq!(locator.load().unwrap().main_domain, DOMAIN);
        let state = AccountState::new(locator);
        add_mailbox(&state).await.unwrap();
        add_mailbox(&state).await.unwrap(); // a second demo in the same place keeps it
        let shadow = fs::read_to_string(demo.mail_etc().join("shadow")).unwrap();
        assert!(shadow.starts_with("user:$6$"), "{shadow}");
        assert!(demo.home.join("mail/example.com/user/cur").is_dir());
    }
}
