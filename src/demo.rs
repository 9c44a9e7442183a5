//! The scratch account of `liveapid demo`: a cPanel user `demo` with the
//! main domain `example.com` and the mailbox `user@example.com`, laid out
//! like a real host under one directory. No root, no system changes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::email::{hash, shadow};
use crate::error::{Error, Result};

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

/// Lays out the account under `dir` (which may exist). The mailbox gets a
/// random password nobody knows: the point is to set one.
///
/// # Errors
///
/// When a directory or file cannot be created.
pub fn create(dir: &Path) -> Result<DemoAccount> {
    let root = dir.join("root");
    let home = dir.join("home").join(USER);
    let etc = home.join("etc").join(DOMAIN);
    let maildir = home.join("mail").join(DOMAIN).join(MAILBOX);
    for d in [root.join("var/cpanel/users"), etc.clone()] {
        fs::create_dir_all(&d).map_err(|e| Error::storage("create", &d, e))?;
    }
    for sub in ["cur", "new", "tmp"] {
        let d = maildir.join(sub);
        fs::create_dir_all(&d).map_err(|e| Error::storage("create", &d, e))?;
    }
    set_mode(&home.join("etc"), 0o750)?;
    set_mode(&etc, 0o750)?;
    for d in [
        home.join("mail"),
        home.join("mail").join(DOMAIN),
        maildir.clone(),
    ] {
        set_mode(&d, 0o751)?;
    }
    write(
        &root.join("var/cpanel/users").join(USER),
        format!("USER={USER}\nDNS={DOMAIN}\nFEATURELIST=default\n"),
        0o644,
    )?;

    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let initial = hash::hash_password(&secret)?;
    let days = shadow::days_since_epoch(std::time::SystemTime::now());
    // SAFETY: getuid/getgid cannot fail and touch no memory of ours.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let passwd = format!(
        "{MAILBOX}:x:{uid}:{gid}:{USER}:{}:{}\n",
        maildir.display(),
        home.display()
    );
    write(&etc.join("passwd"), passwd, 0o640)?;
    write(
        &etc.join("shadow"),
        String::from_utf8_lossy(&shadow::line(MAILBOX, &initial, days)).into_owned(),
        0o640,
    )?;
    write(&etc.join("quota"), format!("{MAILBOX}:1073741824\n"), 0o640)?;
    Ok(DemoAccount { root, home })
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

    #[test]
    fn the_demo_account_loads_and_has_its_mailbox() {
        let dir = tempfile::tempdir().unwrap();
        let demo = create(dir.path()).unwrap();
        let account = AccountLocator::new(USER, &demo.root, Some(&demo.home))
            .unwrap()
            .load()
            .unwrap();
        assert_eq!(account.main_domain, DOMAIN);
        let shadow = fs::read_to_string(demo.mail_etc().join("shadow")).unwrap();
        assert!(shadow.starts_with("user:$6$"), "{shadow}");
        assert!(demo.home.join("mail/example.com/user/cur").is_dir());
    }
}
