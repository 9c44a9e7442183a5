//! The scratch account of `liveapid demo`: a cPanel user `demo` with the
//! main domain `example.com` and the mailbox `user@example.com`, laid out
//! like a real host under one directory, and the five ways cPanel documents
//! to call `Email::passwd_pop`, written out to run against it
//! ([`instructions`]). No root, no system changes.

mod instructions;

pub use instructions::{instructions, Https, Places};

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
/// The password of cPanel's own examples (strength 63), the mailbox's
/// password from the start. The demo's minimum strength accepts it
/// ([`MIN_STRENGTH`]); a default server (65) refuses it as too weak.
pub const PASSWORD: &str = "12345luggage";
/// The demo's `minpwstrength`: low enough for [`PASSWORD`], so that the
/// documentation's lines work as written.
pub const MIN_STRENGTH: u32 = 60;

/// Where a scratch account was laid out.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// The `--root` of the daemon: holds `var/cpanel/users/demo`.
    pub root: PathBuf,
    /// The account's home: holds `etc/example.com/{passwd,shadow,quota}`.
    pub home: PathBuf,
    /// The `uapi` command for this account (`bin/uapi`, see [`write_uapi`]).
    pub bin: PathBuf,
}

impl DemoAccount {
    /// The directory of the demo domain's mail files.
    pub fn mail_etc(&self) -> PathBuf {
        self.home.join("etc").join(DOMAIN)
    }
}

/// Lays out the account under `dir` (which may exist): the cPanel user file,
/// a `cpanel.config` with the demo's minimum strength, an empty home, and
/// `bin/uapi`. The mailbox comes from [`add_mailbox`], through the same
/// `add_pop` a script would call.
///
/// # Errors
///
/// When a directory or file cannot be created.
pub fn create(dir: &Path) -> Result<DemoAccount> {
    let root = dir.join("root");
    let home = dir.join("home").join(USER);
    let bin = dir.join("bin");
    for d in [root.join("var/cpanel/users"), home.clone(), bin.clone()] {
        fs::create_dir_all(&d).map_err(|e| Error::storage("create", &d, e))?;
    }
    write(
        &root.join("var/cpanel/users").join(USER),
        format!("USER={USER}\nDNS={DOMAIN}\nFEATURELIST=default\n"),
        0o644,
    )?;
    write(
        &root.join("var/cpanel/cpanel.config"),
        format!("minpwstrength={MIN_STRENGTH}\n"),
        0o644,
    )?;
    let account = DemoAccount { root, home, bin };
    write_uapi(&account)?;
    Ok(account)
}

/// `bin/uapi`: cPanel's `uapi` command for the demo account, so that the
/// documentation's line runs as written: this very binary's `liveapid
/// uapi`, pointed at the demo's root and home (nothing else to build).
fn write_uapi(account: &DemoAccount) -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| Error::storage("find", "liveapid", e))?;
    let script = format!(
        "#!/bin/sh\n# cPanel's uapi command for the liveapid demo account.\nexec {} uapi --root {} --home {} \"$@\"\n",
        instructions::shell_word(&exe),
        instructions::shell_word(&account.root),
        instructions::shell_word(&account.home),
    );
    write(&account.bin.join("uapi"), script, 0o755)
}

/// Creates `user@example.com` with the password of cPanel's examples,
/// [`PASSWORD`], which every printed way sets again (and the session login
/// uses). A mailbox left by an earlier demo in the same directory is kept
/// as it is.
///
/// # Errors
///
/// When `add_pop` refuses.
pub async fn add_mailbox(state: &AccountState) -> Result<()> {
    let args = Args::from_pairs([
        ("email", MAILBOX),
        ("domain", DOMAIN),
        ("password", PASSWORD),
    ]);
    match EmailFunction::AddPop.apply(state, &args).await {
        Ok(_) | Err(Error::MailboxExists(_)) => Ok(()),
        Err(e) => Err(Error::DemoMailbox(Box::new(e))),
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
        let uapi = fs::read_to_string(demo.bin.join("uapi")).unwrap();
        assert!(uapi.contains(" uapi --root "), "{uapi}");
    }
}
