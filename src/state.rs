//! One account's state, shared by every transport: where the account is,
//! the group-committed access to its mail files and the after-change hook.
//! Every function in [`crate::api`] gets it as `&AccountState`, as
//! mini-redis's commands get its `Db`; it knows nothing of routing.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::account::{Account, AccountLocator};
use crate::after_change::AfterChangeHook;
use crate::audit::AuditSink;
use crate::email::MailAddress;
use crate::error::Result;
use crate::home::{AccountHome, ConfinedDir, DomainFiles, DomainViews};
use crate::in_flight::MailFiles;
use crate::limits::{Limiter, Limits};

/// The state of one cPanel account that the API functions act on.
pub struct AccountState {
    locator: AccountLocator,
    /// The handle on the home, opened by the process that serves the
    /// account (never by root's supervisor or front end).
    home: AccountHome,
    mail_files: MailFiles,
    after_change: Option<AfterChangeHook>,
    /// Where audit lines go (`--audit-log`), if anywhere.
    audit: Option<AuditSink>,
    limiter: Limiter,
    /// The largest file under the home that is read; a reload may change it.
    max_file_bytes: AtomicU64,
}

impl AccountState {
    /// The state of the account `locator` finds, with no after-change hook.
    /// Opens the account's home, with the caller's credentials.
    pub fn new(locator: AccountLocator) -> AccountState {
        AccountState {
            home: AccountHome::open(locator.home()),
            locator,
            mail_files: MailFiles::default(),
            after_change: None,
            audit: None,
            limiter: Limiter::new(&Limits::default()),
            max_file_bytes: AtomicU64::new(Limits::default().max_file_bytes),
        }
    }

    /// Records every state-changing and every refused call in `audit`.
    pub fn with_audit(mut self, audit: Option<AuditSink>) -> AccountState {
        self.audit = audit;
        self
    }

    /// The audit log's sink, if there is one.
    pub fn audit(&self) -> Option<&AuditSink> {
        self.audit.as_ref()
    }

    /// Applies `limits` (the hashing pool's size, the rates, the largest
    /// file read) instead of the defaults.
    pub fn with_limits(mut self, limits: &Limits) -> AccountState {
        self.limiter = Limiter::new(limits);
        self.max_file_bytes = AtomicU64::new(limits.max_file_bytes);
        self
    }

    /// Puts reloaded `limits` in force for the calls that start from now
    /// on; calls already running keep the ones they started with.
    pub fn apply_limits(&self, limits: &Limits) {
        self.limiter.apply(limits);
        self.max_file_bytes
            .store(limits.max_file_bytes, Ordering::Relaxed);
    }

    /// The home, with the file cap now in force.
    fn home_now(&self) -> AccountHome {
        let max_file_bytes = self.max_file_bytes.load(Ordering::Relaxed);
        self.home.clone().with_max_file_bytes(max_file_bytes)
    }

    /// The hashing pool and the rate tables.
    pub fn limits(&self) -> &Limiter {
        &self.limiter
    }

    /// Runs `action` after every successful password change.
    pub fn with_after_change(mut self, action: Option<AfterChangeHook>) -> AccountState {
        self.after_change = action;
        self
    }

    /// The current view of the account, looked up off the runtime's threads.
    ///
    /// # Errors
    ///
    /// When the cPanel user file or `cpanel.config` cannot be read.
    pub async fn account(&self) -> Result<Account> {
        if let Some(account) = self.locator.current_cached() {
            return Ok(account);
        }
        self.read(|reader| reader.account()).await
    }

    /// The last view of the account, when `stat` shows it current (no read,
    /// no wait); `None` when it must be read with [`AccountState::account`].
    pub fn cached_account(&self) -> Option<Account> {
        self.locator.current_cached()
    }

    /// The cached view of a domain's files, when `stat` shows it current
    /// (no read, no wait); `None` when it must be read with [`Reader::domain`].
    ///
    /// # Errors
    ///
    /// When the domain's directory or files lead outside the home, or
    /// cannot be looked at.
    pub fn cached_domain(&self, domain: &str) -> Result<Option<Arc<DomainFiles>>> {
        self.mail_files
            .views()
            .current_cached(&self.home_now().dir(), domain)
    }

    /// What blocking work needs of the state.
    pub fn reader(&self) -> Reader {
        Reader {
            locator: self.locator.clone(),
            home: self.home_now(),
            views: self.mail_files.views(),
        }
    }

    /// Runs `work`, which reads files, on the blocking pool
    /// ([`crate::off_reactor`]) with a [`Reader`].
    ///
    /// # Errors
    ///
    /// The work's error.
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let reader = self.reader();
        crate::off_reactor::run(move || work(&reader)).await
    }

    /// The account's home directory.
    pub fn home(&self) -> &Path {
        self.locator.home()
    }

    /// The confined handle on the account's home.
    pub fn home_dir(&self) -> ConfinedDir {
        self.home_now().dir()
    }

    /// Group-committed access to the per-domain mail files.
    pub fn mail_files(&self) -> &MailFiles {
        &self.mail_files
    }

    /// Runs the after-change action, if any, after a mailbox's password or
    /// login suspension changed; its warnings.
    pub async fn after_auth_change(&self, address: &MailAddress) -> Vec<String> {
        match &self.after_change {
            Some(action) => action.run(address).await.into_iter().collect(),
            None => Vec::new(),
        }
    }
}

/// The account and the cached views of its mail files, for blocking work:
/// cheap to clone and owned, so it can move to a blocking thread.
#[derive(Clone)]
pub struct Reader {
    locator: AccountLocator,
    home: AccountHome,
    views: Arc<DomainViews>,
}

impl Reader {
    /// The current view of the account (blocking).
    ///
    /// # Errors
    ///
    /// When the cPanel user file or `cpanel.config` cannot be read.
    pub fn account(&self) -> Result<Account> {
        self.locator.load()
    }

    /// The current files of one of the account's domains (blocking).
    ///
    /// # Errors
    ///
    /// When they cannot be read, or lead outside the home.
    pub fn domain(&self, domain: &str) -> Result<Arc<DomainFiles>> {
        self.views.current(&self.home.dir(), domain)
    }

    /// The confined handle on the account's home.
    pub fn home_dir(&self) -> ConfinedDir {
        self.home.dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reloaded_limits_set_the_file_cap_of_the_next_reads() {
        let dir = tempfile::tempdir().unwrap();
        let (root, home) = (dir.path().join("root"), dir.path().join("home"));
        std::fs::create_dir_all(root.join("var/cpanel/users")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(root.join("var/cpanel/users/bob"), "DNS=example.com\n").unwrap();
        let locator = AccountLocator::new("bob", &root, Some(&home)).unwrap();
        let capped = |max_file_bytes| Limits {
            max_file_bytes,
            ..Limits::default()
        };
        let state = AccountState::new(locator).with_limits(&capped(10));
        assert_eq!(state.home_dir().max_file_bytes(), 10);
        state.apply_limits(&capped(20));
        assert_eq!(state.home_dir().max_file_bytes(), 20);
        assert_eq!(state.reader().home_dir().max_file_bytes(), 20);
    }
}
