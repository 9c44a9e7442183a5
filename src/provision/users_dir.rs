//! `<root>/var/cpanel/users/`, one file per account, as `liveapid account`
//! changes it: under one lock, so two commands cannot both claim a domain;
//! each file written by the crash-safe path of the mail files (temp file,
//! fsync, rename, directory fsync) through a handle on the directory.

use std::fs::Metadata;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::account::{is_valid_user_name, CpUserFile};
use crate::error::{Error, Result};
use crate::home::atomic::{self, NewFileOwner};
use crate::home::lock::{self, LockSet, LOCK_TIMEOUT};
use crate::home::ConfinedDir;

/// The directory, relative to the root prefix.
const USERS: &str = "var/cpanel/users";
/// Its lock, `.liveapid-accounts.lock`: hidden, so never taken for an
/// account (`serve --all` lists valid user names only).
const LOCK: &str = ".liveapid-accounts";
/// A new account file: root's, readable by the account's group (the
/// account's own daemon and `uapi` read it) and by no other account.
const FILE_MODE: u32 = 0o640;

/// The accounts' directory, locked until dropped.
pub struct UsersDir {
    dir: ConfinedDir,
    _lock: LockSet,
}

impl UsersDir {
    /// Opens `<root>/var/cpanel/users` (made 0711 where missing, as on a
    /// host without cPanel) and takes its lock.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`], [`Error::LockTimeout`].
    pub fn open_locked(root: &Path) -> Result<UsersDir> {
        let path = root.join(USERS);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(&path)
            .map_err(|e| Error::storage("create", &path, e))?;
        UsersDir::locked(ConfinedDir::open_home(&path)?)
    }

    /// Opens `<root>/var/cpanel/users` and takes its lock; `None` when
    /// there is no such directory (then there is no account either).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`], [`Error::LockTimeout`].
    pub fn open_existing_locked(root: &Path) -> Result<Option<UsersDir>> {
        let path = root.join(USERS);
        if !path.exists() {
            return Ok(None);
        }
        UsersDir::locked(ConfinedDir::open_home(&path)?).map(Some)
    }

    fn locked(dir: ConfinedDir) -> Result<UsersDir> {
        let lock = lock::lock_all(&dir, &[LOCK], LOCK_TIMEOUT)?;
        Ok(UsersDir { dir, _lock: lock })
    }

    /// `user`'s file under `root`, for messages when there is no directory.
    pub fn path_under(root: &Path, user: &str) -> PathBuf {
        root.join(USERS).join(user)
    }

    /// The account file of `user`, for messages.
    pub fn path(&self, user: &str) -> PathBuf {
        self.dir.display_path(user)
    }

    /// The text and metadata of `user`'s file; `None` when it has none.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn read(&self, user: &str) -> Result<Option<(String, Metadata)>> {
        Ok(self
            .dir
            .read(user)?
            .map(|(bytes, meta)| (String::from_utf8_lossy(&bytes).into_owned(), meta)))
    }

    /// The account other than `except` whose file lists `domain` (as its
    /// main domain or another), if any.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the directory or a file cannot be read.
    pub fn owner_of(&self, domain: &str, except: &str) -> Result<Option<String>> {
        let entries = self
            .dir
            .cap()?
            .entries()
            .map_err(|e| Error::storage("list", self.dir.display_path(""), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::storage("list", self.dir.display_path(""), e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name == except || !is_valid_user_name(&name) {
                continue;
            }
            let Some((text, _)) = self.read(&name)? else {
                continue;
            };
            let listed = CpUserFile::parse(&text).is_some_and(|file| {
                file.main_domain == domain || file.other_domains.iter().any(|d| d == domain)
            });
            if listed {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    /// Replaces (or makes) `user`'s file with `text`: an existing file keeps
    /// its owner, group and mode; a new one is root's, group `gid`, 0640.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn write(
        &self,
        user: &str,
        text: &str,
        current: Option<&Metadata>,
        gid: u32,
    ) -> Result<()> {
        let owner = NewFileOwner {
            uid: Some(0),
            gid: Some(gid),
            mode: FILE_MODE,
        };
        atomic::stage(&self.dir, user, text.as_bytes(), current, owner)?.commit()?;
        self.dir.sync()
    }

    /// Removes `user`'s file.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn remove(&self, user: &str) -> Result<()> {
        self.dir.remove_file(user)?;
        self.dir.sync()
    }
}
