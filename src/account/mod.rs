//! The cPanel account the daemon serves: who it is, where its files are,
//! which domains it owns and which server settings apply to it.
//!
//! These are facts, plain data that root reads too; nothing here opens the
//! home. The handle on it is a capability only the process serving the
//! account opens ([`crate::home::AccountHome`]).
//!
//! This is the one place that knows the layout of a cPanel host. The system
//! user (home, uid, gid) is resolved once at start-up; the cPanel user file
//! and `cpanel.config` are looked at again for every call, so a domain added
//! or a strength minimum changed by the panel takes effect at once. They are
//! parsed again only when they changed ([`SystemFiles::read_fresh`]).

mod cpconfig;
mod cpuser;
mod system_files;
mod sysuser;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use cpconfig::{CpanelConfig, DEFAULT_MIN_STRENGTH};
pub use cpuser::CpUserFile;
pub use system_files::{DirectFiles, Fresh, SystemFiles};
pub use sysuser::SystemUser;

use crate::error::{Error, Result};

/// How to find an account: the daemon's `--user`, `--root` and `--home`.
#[derive(Debug, Clone)]
pub struct AccountLocator {
    user: String,
    home: PathBuf,
    uid: u32,
    gid: u32,
    /// The host's files about the account, looked at per call.
    system: Arc<dyn SystemFiles>,
    /// The last view built, with the versions of the files it came from.
    loaded: Arc<Mutex<Option<Loaded>>>,
}

/// A view of the account and what it was built from.
#[derive(Debug)]
struct Loaded {
    cpuser: (String, Option<String>),
    config: (Option<String>, Option<String>),
    account: Account,
}

fn known_version(version: Option<&Option<String>>) -> Option<&str> {
    version.and_then(|v| v.as_deref())
}

/// `var/cpanel/cpanel.config`, relative to the root prefix.
const CONFIG_FILE: &str = "var/cpanel/cpanel.config";

/// One consistent view of the account, taken for one call.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: String,
    /// The home's path, for display and for the paths written in `passwd`
    /// lines; never for opening files (a worker's
    /// [`crate::home::AccountHome`] does that).
    pub home: PathBuf,
    pub uid: u32,
    pub gid: u32,
    pub main_domain: String,
    pub other_domains: Vec<String>,
    pub feature_list: String,
    /// `MAXPOP`: the most mailboxes the account may have (`None`: unlimited).
    pub max_mailboxes: Option<u64>,
    /// `MAX_EMAILACCT_QUOTA` in MiB (`None`: unlimited).
    pub max_quota_mib: Option<u64>,
    pub config: CpanelConfig,
    system: Arc<dyn SystemFiles>,
}

impl AccountLocator {
    /// Resolves the system user and checks that the cPanel user file is
    /// readable, so that a misconfigured daemon fails at start-up.
    ///
    /// # Errors
    ///
    /// An invalid user name, a user unknown to `<root>/etc/passwd` when no
    /// `home` is given, or an unreadable or domain-less cPanel user file. A
    /// home that cannot be opened is no start-up error (the daemon may start
    /// before the account's home is made): each call that needs a file then
    /// fails with that reason.
    pub fn new(user: &str, root: &Path, home: Option<&Path>) -> Result<AccountLocator> {
        if !is_valid_user_name(user) {
            return Err(Error::Config(format!(
                "“{}” is not a valid cPanel user name",
                crate::error::shown(user)
            )));
        }
        let passwd = root.join("etc/passwd");
        let system =
            sysuser::lookup(&passwd, user).map_err(|e| Error::storage("read", &passwd, e))?;
        let (home, uid, gid) = match (home, system) {
            (Some(home), Some(u)) => (home.to_owned(), u.uid, u.gid),
            (Some(home), None) => {
                // A scratch account with no system user: files are owned by whoever runs us.
                let (uid, gid) = process_ids();
                (home.to_owned(), uid, gid)
            }
            (None, Some(u)) => (u.home, u.uid, u.gid),
            (None, None) => {
                return Err(Error::NoSystemUser {
                    user: user.to_owned(),
                    path: passwd,
                })
            }
        };
        AccountLocator::resolved(
            user,
            SystemUser { uid, gid, home },
            Arc::new(DirectFiles::new(root)),
        )
    }

    /// A locator for an account whose system user is already known (an
    /// unprivileged worker is told it by the supervisor), reading the host's
    /// files through `system`.
    ///
    /// # Errors
    ///
    /// An invalid user name, or an unreadable or domain-less cPanel user file.
    pub fn resolved(
        user: &str,
        system_user: SystemUser,
        system: Arc<dyn SystemFiles>,
    ) -> Result<AccountLocator> {
        if !is_valid_user_name(user) {
            return Err(Error::Config(format!(
                "“{}” is not a valid cPanel user name",
                crate::error::shown(user)
            )));
        }
        let locator = AccountLocator {
            user: user.to_owned(),
            home: system_user.home,
            uid: system_user.uid,
            gid: system_user.gid,
            system,
            loaded: Arc::new(Mutex::new(None)),
        };
        locator.load()?;
        Ok(locator)
    }

    /// The account's system user: uid, gid and home.
    pub fn system_user(&self) -> SystemUser {
        SystemUser {
            uid: self.uid,
            gid: self.gid,
            home: self.home.clone(),
        }
    }

    /// The account's user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The account's home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The current view of the account.
    ///
    /// # Errors
    ///
    /// When the cPanel user file or `cpanel.config` cannot be read.
    /// Blocking: it looks at two host files (and reads them when they changed).
    pub fn load(&self) -> Result<Account> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        let cpuser_file = format!("var/cpanel/users/{}", self.user);
        let cpuser = self
            .system
            .read_fresh(
                &cpuser_file,
                known_version(loaded.as_ref().map(|l| &l.cpuser.1)),
            )
            .map_err(|source| Error::CpUserFile {
                path: self.system.display_path(&cpuser_file),
                source,
            })?;
        let config = self
            .system
            .read_fresh(
                CONFIG_FILE,
                known_version(loaded.as_ref().map(|l| &l.config.1)),
            )
            .map_err(|e| Error::storage("read", self.system.display_path(CONFIG_FILE), e))?;
        let previous = loaded.take();
        let (cpuser, config) = match (cpuser, config, previous) {
            (Fresh::Unchanged, Fresh::Unchanged, Some(same)) => {
                let account = same.account.clone();
                *loaded = Some(same);
                return Ok(account);
            }
            (cpuser, config, previous) => {
                let (old_cpuser, old_config) = match previous {
                    Some(p) => (Some(p.cpuser), Some(p.config)),
                    None => (None, None),
                };
                let cpuser = match cpuser {
                    Fresh::Current { text, version } => {
                        let text = text.ok_or_else(|| Error::CpUserFile {
                            path: self.system.display_path(&cpuser_file),
                            source: std::io::ErrorKind::NotFound.into(),
                        })?;
                        (text, version)
                    }
                    Fresh::Unchanged => old_cpuser.unwrap_or_default(),
                };
                let config = match config {
                    Fresh::Current { text, version } => (text, version),
                    Fresh::Unchanged => old_config.unwrap_or_default(),
                };
                (cpuser, config)
            }
        };
        let account = self.build(&cpuser.0, config.0.as_deref(), &cpuser_file)?;
        *loaded = Some(Loaded {
            cpuser,
            config,
            account: account.clone(),
        });
        Ok(account)
    }

    /// The last view of the account, if `stat` shows both files it came
    /// from unchanged: no read, no wait (`None` when the files must be read,
    /// or the source cannot tell without asking, as a worker's supervisor
    /// channel, or another thread is loading right now).
    pub fn current_cached(&self) -> Option<Account> {
        let loaded = self.loaded.try_lock().ok()?;
        let loaded = loaded.as_ref()?;
        let cpuser_file = format!("var/cpanel/users/{}", self.user);
        let current = |file: &str, version: &Option<String>| {
            version
                .as_deref()
                .is_some_and(|v| self.system.still_current(file, v) == Some(true))
        };
        if !current(&cpuser_file, &loaded.cpuser.1) || !current(CONFIG_FILE, &loaded.config.1) {
            return None;
        }
        Some(loaded.account.clone())
    }

    /// The view of the account from the texts of its cPanel user file and
    /// `cpanel.config`.
    fn build(&self, cpuser: &str, config: Option<&str>, cpuser_file: &str) -> Result<Account> {
        let cpuser = CpUserFile::parse(cpuser).ok_or_else(|| Error::NoMainDomain {
            path: self.system.display_path(cpuser_file),
        })?;
        let config = CpanelConfig::from_file(config);
        Ok(Account {
            user: self.user.clone(),
            home: self.home.clone(),
            uid: self.uid,
            gid: self.gid,
            main_domain: cpuser.main_domain,
            other_domains: cpuser.other_domains,
            feature_list: cpuser.feature_list,
            max_mailboxes: cpuser.max_mailboxes,
            max_quota_mib: cpuser.max_quota_mib,
            config,
            system: self.system.clone(),
        })
    }
}

impl Account {
    /// Every domain of the account, the main domain first.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.main_domain.as_str())
            .chain(self.other_domains.iter().map(String::as_str))
    }

    /// Whether the account owns `domain` (already lowercased).
    pub fn owns_domain(&self, domain: &str) -> bool {
        self.domains().any(|d| d == domain)
    }

    /// `~/mail/<domain>/<localpart>`: a mailbox's Maildir, as written in its
    /// `passwd` line (files are reached through a worker's
    /// [`crate::home::AccountHome`]).
    pub fn maildir(&self, domain: &str, localpart: &str) -> PathBuf {
        self.home.join("mail").join(domain).join(localpart)
    }

    /// The gid of the `mail` group (the group of the mail files), from
    /// `<root>/etc/group`.
    pub fn mail_gid(&self) -> Option<u32> {
        group_gid(&self.system_file("etc/group")?, "mail")
    }

    /// The text of a host file under the `--root` prefix, e.g.
    /// `var/cpanel/features/default`; `None` when it is missing or unreadable.
    pub fn system_file(&self, relative: &str) -> Option<String> {
        match self.system.read(relative) {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(file = %self.system.display_path(relative).display(), error = %e, "cannot read");
                None
            }
        }
    }
}

/// The system user `user` of `<root>/etc/passwd`; `None` when it has no line.
///
/// # Errors
///
/// [`Error::Storage`] when the file exists but cannot be read.
pub fn system_user(root: &Path, user: &str) -> Result<Option<SystemUser>> {
    let passwd = root.join("etc/passwd");
    sysuser::lookup(&passwd, user).map_err(|e| Error::storage("read", &passwd, e))
}

/// The name of the system user with `uid` in `<root>/etc/passwd`.
///
/// # Errors
///
/// [`Error::Storage`] when the file exists but cannot be read.
pub fn user_name_of(root: &Path, uid: u32) -> Result<Option<String>> {
    let passwd = root.join("etc/passwd");
    sysuser::name_of(&passwd, uid).map_err(|e| Error::storage("read", &passwd, e))
}

/// The gid of group `name` in the text of an `etc/group` file.
pub fn group_gid(etc_group: &str, name: &str) -> Option<u32> {
    etc_group.lines().find_map(|l| {
        let mut fields = l.split(':');
        (fields.next() == Some(name)).then(|| fields.nth(1)?.parse().ok())?
    })
}

/// The groups `user` belongs to in the text of an `etc/group` file, with
/// `primary` (its own group) first, as `initgroups(3)` would set them.
pub fn member_groups(etc_group: &str, user: &str, primary: u32) -> Vec<u32> {
    let mut groups = vec![primary];
    for line in etc_group.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        let Some(gid) = fields.get(2).and_then(|g| g.parse::<u32>().ok()) else {
            continue;
        };
        let member = fields
            .get(3)
            .is_some_and(|m| m.split(',').any(|m| m == user));
        if member && !groups.contains(&gid) {
            groups.push(gid);
        }
    }
    groups
}

/// cPanel user names: a lowercase letter, then lowercase letters and digits
/// (at most 16 characters on current cPanel; we allow 32 and `_`/`-`).
pub fn is_valid_user_name(user: &str) -> bool {
    let mut chars = user.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && user.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn process_ids() -> (u32, u32) {
    (
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_that_could_escape_a_path_are_refused() {
        assert!(is_valid_user_name("demo"));
        assert!(is_valid_user_name("ab1_c-d"));
        for bad in ["", "../etc", "a/b", "Demo", "1abc", "a b", &"a".repeat(33)] {
            assert!(!is_valid_user_name(bad), "{bad}");
        }
    }

    #[test]
    fn loads_a_scratch_account() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/cpanel/users")).unwrap();
        std::fs::write(
            dir.path().join("var/cpanel/users/demo"),
            "DNS=example.com\nDNS1=example.net\n",
        )
        .unwrap();
        let home = dir.path().join("home/dave");
        std::fs::create_dir_all(&home).unwrap();
        let locator = AccountLocator::new("demo", dir.path(), Some(&home)).unwrap();
        let account = locator.load().unwrap();
        assert_eq!(
            account.domains().collect::<Vec<_>>(),
            vec!["example.com", "example.net"]
        );
        assert!(account.owns_domain("example.net"));
        assert!(!account.owns_domain("example.org"));
        assert_eq!(
            account.maildir("example.com", "u"),
            home.join("mail/example.com/u")
        );
        assert_eq!(account.home, home);
        assert_eq!(account.config.min_mailbox_strength, 65);
    }

    #[test]
    fn missing_cpanel_user_file_is_a_start_up_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = AccountLocator::new("demo", dir.path(), Some(dir.path())).unwrap_err();
        assert!(matches!(err, Error::CpUserFile { .. }), "{err}");
    }

    #[test]
    fn unknown_system_user_without_home_is_a_start_up_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = AccountLocator::new("nobodyhere", dir.path(), None).unwrap_err();
        assert!(matches!(err, Error::NoSystemUser { .. }), "{err}");
    }
}
