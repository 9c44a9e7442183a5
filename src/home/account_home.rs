//! The one handle a worker holds on its account's home.
//!
//! The account's facts ([`crate::account`]) are plain data that root reads
//! too; the handle on the home is a capability, and only the process that
//! serves the account (a worker, or a daemon of one account) opens it, with
//! its own credentials. Root's supervisor and HTTPS front end never do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::file_rules::DEFAULT_MAX_FILE_BYTES;
use super::ConfinedDir;

/// The home of the account served here, opened on first use and kept.
#[derive(Debug, Clone)]
pub struct AccountHome {
    home: PathBuf,
    /// Opened in [`AccountHome::open`]; a home missing then is tried again
    /// by each [`AccountHome::dir`] until it opens, and kept from then on.
    opened: Arc<OnceLock<ConfinedDir>>,
    /// The largest file under the home that is read (`--max-file-bytes`).
    max_file_bytes: u64,
}

impl AccountHome {
    /// Opens `home` now, with the credentials of the caller (a home that
    /// cannot be opened yet is no error: see [`AccountHome::dir`]).
    pub fn open(home: &Path) -> AccountHome {
        let home = AccountHome {
            home: home.to_owned(),
            opened: Arc::new(OnceLock::new()),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        };
        home.dir();
        home
    }

    /// The same home, reading no file larger than `max_bytes`
    /// (`--max-file-bytes`).
    #[must_use]
    pub fn with_max_file_bytes(mut self, max_bytes: u64) -> AccountHome {
        self.max_file_bytes = max_bytes;
        self
    }

    /// The home's path, for messages.
    pub fn path(&self) -> &Path {
        &self.home
    }

    /// The confined handle on the home (an unopened one, whose every
    /// operation fails with the reason, while the home cannot be opened).
    pub fn dir(&self) -> ConfinedDir {
        let handle = match self.opened.get() {
            Some(opened) => opened.clone(),
            None => {
                let attempt = ConfinedDir::open_home_or_unopened(&self.home);
                if attempt.is_open() {
                    self.opened.get_or_init(|| attempt).clone()
                } else {
                    attempt
                }
            }
        };
        handle.with_max_file_bytes(self.max_file_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_that_cannot_be_opened_yet_is_opened_when_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("later");
        let account_home = AccountHome::open(&home);
        let err = account_home.dir().open_dir("etc").unwrap_err();
        assert!(
            err.to_string()
                .contains("could not open the home directory"),
            "{err}"
        );
        std::fs::create_dir(&home).unwrap();
        assert!(account_home.dir().is_open());
        // Kept from then on.
        std::fs::rename(&home, dir.path().join("moved")).unwrap();
        assert!(account_home.dir().is_open());
    }

    #[test]
    fn the_handle_reads_no_more_than_it_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let account_home = AccountHome::open(dir.path()).with_max_file_bytes(7);
        assert_eq!(account_home.dir().max_file_bytes(), 7);
        assert_eq!(
            account_home.dir().display_path("etc"),
            dir.path().join("etc")
        );
    }
}
