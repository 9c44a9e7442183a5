//! Cached read-only views of a domain's mail files, for the calls that only
//! look (`get_pop_quota`, `verify_password`, the listings).
//!
//! A view is read once under shared locks and kept with the files' stamps
//! ([`super::stamp`]); each later look compares the stamps (three `stat`s,
//! no lock, no read) and reads again only when a file changed, whoever
//! changed it: this daemon, `uapi`, cPanel's tools or an editor. A look
//! that finds every stamp unchanged sees the files of one commit: a commit
//! replaces files one by one, and a replaced file has a new stamp.
//!
//! [`DomainViews::current`] may read files: call it off the async runtime's
//! threads. [`DomainViews::current_cached`] only `stat`s (as Dovecot's and
//! nginx's event loops do) and answers from memory or not at all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::confined::ConfinedDir;
use super::domain_files::DomainFiles;
use crate::error::Result;

/// The views of every domain looked at, by home and domain.
#[derive(Default)]
pub struct DomainViews {
    views: Mutex<HashMap<(PathBuf, String), Arc<DomainFiles>>>,
}

impl DomainViews {
    /// The current files of `domain` beneath `home`: the cached view when
    /// no file changed since it was read, else a new one. Blocking.
    ///
    /// # Errors
    ///
    /// [`crate::Error::OutsideHome`] / [`crate::Error::Storage`], and lock
    /// failures when the files must be read again.
    pub fn current(&self, home: &ConfinedDir, domain: &str) -> Result<Arc<DomainFiles>> {
        if let Some(view) = self.current_cached(home, domain)? {
            return Ok(view);
        }
        let view = Arc::new(DomainFiles::read_shared(home, domain)?);
        let key = (home.display_path(""), domain.to_owned());
        if view.dir().is_some() {
            self.lock().insert(key, view.clone());
        } else {
            // No directory, nothing to keep.
            self.lock().remove(&key);
        }
        Ok(view)
    }

    /// The cached view of `domain`, if `stat` shows its files unchanged
    /// since it was read; `None` when they must be read (no read here, no
    /// lock, no wait).
    ///
    /// # Errors
    ///
    /// [`crate::Error::OutsideHome`] / [`crate::Error::Storage`].
    pub fn current_cached(
        &self,
        home: &ConfinedDir,
        domain: &str,
    ) -> Result<Option<Arc<DomainFiles>>> {
        let Some(stamps) = DomainFiles::current_stamps(home, domain)? else {
            return Ok(None);
        };
        let key = (home.display_path(""), domain.to_owned());
        Ok(self
            .lock()
            .get(&key)
            .filter(|view| view.stamps() == stamps)
            .cloned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(PathBuf, String), Arc<DomainFiles>>> {
        // A poisoned map holds only complete views.
        self.views.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_view_is_kept_until_a_file_changes_and_then_read_again() {
        let home = tempfile::tempdir().unwrap();
        let etc = home.path().join("etc/example.com");
        fs::create_dir_all(&etc).unwrap();
        fs::write(etc.join("passwd"), "a:x\n").unwrap();
        fs::write(etc.join("shadow"), "a:h1:1::::::\n").unwrap();
        let handle = ConfinedDir::open_home(home.path()).unwrap();
        let views = DomainViews::default();
        let first = views.current(&handle, "example.com").unwrap();
        let again = views.current(&handle, "example.com").unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "unchanged files are not read again"
        );
        // Another program replaces shadow with one of the same size.
        fs::write(etc.join("shadow.new"), "a:h2:1::::::\n").unwrap();
        fs::rename(etc.join("shadow.new"), etc.join("shadow")).unwrap();
        assert!(views
            .current_cached(&handle, "example.com")
            .unwrap()
            .is_none());
        let changed = views.current(&handle, "example.com").unwrap();
        assert!(!Arc::ptr_eq(&first, &changed));
        let i = changed.shadow.find("a").unwrap();
        assert_eq!(changed.shadow.field(i, 1), Some(&b"h2"[..]));
        // A quota file appearing counts as a change too.
        fs::write(etc.join("quota"), "a:1024\n").unwrap();
        let with_quota = views.current(&handle, "example.com").unwrap();
        assert_eq!(with_quota.quota.len(), 1);
        // A domain without a directory has an empty view.
        assert!(views
            .current(&handle, "example.net")
            .unwrap()
            .passwd
            .is_empty());
    }
}
