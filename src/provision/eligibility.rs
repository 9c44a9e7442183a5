//! Who may become an account and with which domains: the checks
//! `liveapid account add` makes before it writes anything.

use std::path::Path;

use crate::account::{self, SystemUser};
use crate::email::address::is_valid_domain;
use crate::error::{Error, Result};

/// The uids an account may have: Debian's and RHEL's `UID_MIN` and
/// `UID_MAX` (login.defs). Below are root and the system accounts (daemons
/// whose files must never be handed to a mail worker); above, `nobody`
/// (65534) and ranges kept for containers.
pub const UID_RANGE: std::ops::RangeInclusive<u32> = 1000..=60000;

/// Refuses anyone but root: the commands write root's files under
/// `var/cpanel/users` and give new files to another user.
///
/// # Errors
///
/// [`Error::NeedsRoot`].
pub fn require_root(command: &'static str) -> Result<()> {
    if rustix::process::geteuid().is_root() {
        Ok(())
    } else {
        Err(Error::NeedsRoot(command))
    }
}

/// A cPanel user name, which is also a file name under `var/cpanel/users`.
///
/// # Errors
///
/// [`Error::Config`] naming the name.
pub fn check_user_name(user: &str) -> Result<()> {
    if account::is_valid_user_name(user) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "“{}” is not a valid cPanel user name (a lowercase letter, then lowercase letters, digits, _ or -; at most 32)",
            crate::error::shown(user)
        )))
    }
}

/// The domains as the cPanel user file keeps them: lowercased, each a
/// valid DNS name (the rule every mailbox call applies), each once, in
/// the order given.
///
/// # Errors
///
/// [`Error::InvalidDomain`] for the first invalid one.
pub fn checked_domains(domains: &[String]) -> Result<Vec<String>> {
    let mut checked: Vec<String> = Vec::new();
    for given in domains {
        let domain = given.to_ascii_lowercase();
        if !is_valid_domain(&domain) {
            return Err(Error::InvalidDomain(given.clone()));
        }
        if !checked.contains(&domain) {
            checked.push(domain);
        }
    }
    if checked.is_empty() {
        return Err(Error::Config("give at least one --domain".into()));
    }
    Ok(checked)
}

/// The system user behind the account: it must have a line in
/// `<root>/etc/passwd` and a uid in [`UID_RANGE`].
///
/// # Errors
///
/// [`Error::NotASystemUser`], [`Error::SystemAccount`], or the passwd
/// file's read error.
pub fn account_user(root: &Path, user: &str) -> Result<SystemUser> {
    let found = account::system_user(root, user)?.ok_or_else(|| Error::NotASystemUser {
        user: user.to_owned(),
        path: root.join("etc/passwd"),
    })?;
    if !UID_RANGE.contains(&found.uid) {
        return Err(Error::SystemAccount {
            user: user.to_owned(),
            uid: found.uid,
            min: *UID_RANGE.start(),
            max: *UID_RANGE.end(),
        });
    }
    Ok(found)
}

/// The gid of the `mail` group in `<root>/etc/group`: the group of the
/// mail files, through which Dovecot and the workers read them.
///
/// # Errors
///
/// [`Error::Config`] when there is no such group.
pub fn mail_gid(root: &Path) -> Result<u32> {
    let path = root.join("etc/group");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::storage("read", &path, e))?;
    account::group_gid(&text, "mail").ok_or_else(|| {
        Error::Config(format!(
            "no group “mail” in {}: the mail files belong to it",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lowercased_deduplicated_and_checked() {
        let given = ["Example.COM", "example.org", "example.com"].map(String::from);
        assert_eq!(
            checked_domains(&given).unwrap(),
            vec!["example.com", "example.org"]
        );
        for bad in ["../etc", "a/b", "", ".example.com", "exa mple.com", "a..b"] {
            let err = checked_domains(&[bad.to_owned()]).unwrap_err();
            assert!(matches!(err, Error::InvalidDomain(_)), "{bad}: {err}");
        }
        assert!(checked_domains(&[]).is_err());
    }

    #[test]
    fn only_ordinary_users_in_the_passwd_file_qualify() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        std::fs::write(
            root.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n\
             bob:x:1001:1001::/home/bob:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
        )
        .unwrap();
        assert_eq!(account_user(root.path(), "bob").unwrap().uid, 1001);
        for system in ["root", "daemon", "nobody"] {
            let err = account_user(root.path(), system).unwrap_err();
            assert!(
                matches!(err, Error::SystemAccount { .. }),
                "{system}: {err}"
            );
        }
        let err = account_user(root.path(), "carol").unwrap_err();
        assert!(matches!(err, Error::NotASystemUser { .. }), "{err}");
        assert!(check_user_name("../bob").is_err());
    }
}
