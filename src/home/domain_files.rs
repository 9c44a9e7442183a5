//! The mail account files of one domain, `~/etc/<domain>/passwd|shadow|quota`,
//! opened under lock and committed all or nothing (docs/email.md §3).

use super::atomic::{self, NewFileOwner};
use super::confined::{self, ConfinedDir};
use super::line_file::LineFile;
use super::lock::{self, LockSet, LOCK_TIMEOUT};
use super::stamp::FileStamp;
use super::BatchState;
use crate::error::Result;

/// The file names, in the one order in which they are locked.
const FILES: [&str; 3] = ["passwd", "shadow", "quota"];

/// Something a job did outside the three files (a Maildir made or moved),
/// to be reversed if the commit fails.
pub type Undo = Box<dyn FnOnce() + Send + Sync>;

/// A locked, in-memory view of a domain's account files.
pub struct DomainFiles {
    /// `etc/<domain>`, opened beneath the home; `None` when the domain has
    /// no directory yet (nothing to lock or read). Locks, reads, temp files,
    /// renames and the directory fsync all go through this one handle.
    dir: Option<ConfinedDir>,
    pub passwd: LineFile,
    pub shadow: LineFile,
    pub quota: LineFile,
    /// The files' stamps as read (and, after a commit, as written).
    stamps: Stamps,
    _locks: Option<LockSet>,
    /// The account-wide lock of [`DomainFiles::hold_account_lock`], if taken.
    account_lock: Option<LockSet>,
    undo: Vec<Undo>,
}

impl std::fmt::Debug for DomainFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainFiles")
            .field("dir", &self.dir.as_ref().map(ConfinedDir::relative))
            .finish_non_exhaustive()
    }
}

/// The stamps of `passwd`, `shadow` and `quota`, in that order (`None`: missing).
pub type Stamps = [Option<FileStamp>; 3];

/// What a committed batch leaves for the next one: the files as written.
#[derive(Debug)]
pub struct KeptFiles {
    stamps: Stamps,
    files: [LineFile; 3],
}

/// `etc/<domain>`, relative to the home.
fn domain_dir(domain: &str) -> String {
    format!("etc/{domain}")
}

impl DomainFiles {
    /// The opened domain directory, when it exists.
    pub fn dir(&self) -> Option<&ConfinedDir> {
        self.dir.as_ref()
    }

    /// Whether the domain directory existed (and so was locked) when opened.
    pub fn is_locked(&self) -> bool {
        self._locks.is_some()
    }

    /// Takes the account-wide lock `~/etc/.mailbox-count.lock` (once per
    /// batch) and holds it until this batch has committed. A check that spans
    /// every domain, such as the account's mailbox limit, is only true if no
    /// other add in another domain (this process's or another's, such as
    /// `uapi`) can commit between the count and this commit. Domain locks are
    /// always taken before it, so two lockers cannot deadlock.
    ///
    /// # Errors
    ///
    /// As for the domain's own locks.
    pub fn hold_account_lock(&mut self, home: &ConfinedDir) -> Result<()> {
        if self.account_lock.is_none() {
            let etc = home
                .open_dir("etc")?
                .ok_or_else(|| home.error("open", "etc", std::io::ErrorKind::NotFound.into()))?;
            self.account_lock = Some(lock::lock_all(&etc, &[".mailbox-count"], LOCK_TIMEOUT)?);
        }
        Ok(())
    }

    /// Registers how to reverse a change made outside the files, run if the
    /// commit fails (still under the lock).
    pub fn on_failure(&mut self, undo: Undo) {
        self.undo.push(undo);
    }

    fn unopened() -> DomainFiles {
        DomainFiles {
            dir: None,
            passwd: LineFile::default(),
            shadow: LineFile::default(),
            quota: LineFile::default(),
            stamps: [None; 3],
            _locks: None,
            account_lock: None,
            undo: Vec::new(),
        }
    }

    /// The files' stamps when read or last written.
    pub fn stamps(&self) -> Stamps {
        self.stamps
    }

    /// Writes every changed file, all or nothing: all are staged (written and
    /// synced beside the originals) before any is renamed, and if a rename
    /// fails, the files already replaced get their old bytes back.
    fn write_changed(&mut self) -> Result<()> {
        let Some(dir) = self.dir.clone() else {
            // Nothing was read, so a job that changed something skipped its checks.
            if self.files_mut().iter().any(|(_, f)| f.is_changed()) {
                return Err(crate::Error::Io(std::io::Error::other(
                    "the domain has no mail directory to write to",
                )));
            }
            return Ok(());
        };
        let owner = new_file_owner(&dir);
        let mut staged = Vec::new();
        for (name, file) in self.files_mut() {
            if file.is_changed() {
                let bytes = file.to_bytes();
                let temp = atomic::stage(&dir, name, &bytes, file.metadata.as_ref(), owner)?;
                staged.push((temp, name, bytes));
            }
        }
        if staged.is_empty() {
            return Ok(());
        }
        let mut replaced: Vec<(&'static str, Vec<u8>)> = Vec::new();
        for (file, name, bytes) in staged {
            if let Err(e) = file.commit() {
                let names: Vec<_> = replaced.iter().map(|(n, _)| *n).collect();
                self.restore(&dir, &names);
                return Err(e);
            }
            replaced.push((name, bytes));
        }
        dir.sync()?;
        // Still locked: what is on disk now is what the next batch may start from.
        for (name, bytes) in replaced {
            let i = FILES.iter().position(|f| *f == name).unwrap_or(0);
            match dir.metadata(name)? {
                Some(meta) => {
                    self.stamps[i] = Some(FileStamp::of(&meta));
                    self.files_mut()[i].1.committed(bytes, meta);
                }
                None => self.stamps[i] = None,
            }
        }
        Ok(())
    }

    /// Puts back the original bytes of files already replaced in a failed commit.
    fn restore(&mut self, dir: &ConfinedDir, names: &[&'static str]) {
        let owner = new_file_owner(dir);
        for (name, file) in self.files_mut() {
            if !names.contains(&name) {
                continue;
            }
            let result = if file.existed() {
                // An existing file keeps its own owner and mode; `owner` is unused.
                atomic::stage(dir, name, file.original(), file.metadata.as_ref(), owner)
                    .and_then(|s| s.commit())
            } else {
                dir.remove_file(name)
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "could not restore a file after a failed commit");
            }
        }
        let _ = dir.sync();
    }

    fn files_mut(&mut self) -> [(&'static str, &mut LineFile); 3] {
        [
            (FILES[0], &mut self.passwd),
            (FILES[1], &mut self.shadow),
            (FILES[2], &mut self.quota),
        ]
    }
}

impl DomainFiles {
    /// Reads the files of `domain` without locking, for listings: each file
    /// is read whole (replacement is atomic), so every line is one that was
    /// written.
    ///
    /// # Errors
    ///
    /// [`crate::Error::OutsideHome`] when the directory or a file leads
    /// outside the home, [`crate::Error::Storage`] when a file exists but
    /// cannot be read.
    pub fn read_unlocked(home: &ConfinedDir, domain: &str) -> Result<DomainFiles> {
        match home.open_dir(&domain_dir(domain))? {
            Some(dir) => DomainFiles::read_in(dir, None),
            None => Ok(DomainFiles::unopened()),
        }
    }

    /// The three files of the opened domain directory `dir`, read while
    /// `locks` (if any) are held.
    fn read_in(dir: ConfinedDir, locks: Option<LockSet>) -> Result<DomainFiles> {
        let [passwd, shadow, quota] = FILES.map(|f| read(&dir, f));
        let (passwd, shadow, quota) = (passwd?, shadow?, quota?);
        let stamp = |f: &LineFile| f.metadata.as_ref().map(FileStamp::of);
        Ok(DomainFiles {
            stamps: [stamp(&passwd), stamp(&shadow), stamp(&quota)],
            passwd,
            shadow,
            quota,
            dir: Some(dir),
            _locks: locks,
            account_lock: None,
            undo: Vec::new(),
        })
    }

    /// Reads the files of `domain` under shared locks: the files of one
    /// commit, never a mix of two (a commit renames them one by one).
    ///
    /// # Errors
    ///
    /// As for [`DomainFiles::read_unlocked`], and lock failures.
    pub fn read_shared(home: &ConfinedDir, domain: &str) -> Result<DomainFiles> {
        let Some(dir) = home.open_dir(&domain_dir(domain))? else {
            return Ok(DomainFiles::unopened());
        };
        let locks = lock::lock_all_shared(&dir, &FILES, LOCK_TIMEOUT)?;
        let mut files = DomainFiles::read_in(dir, Some(locks))?;
        files._locks = None; // read: the locks are not needed any more
        Ok(files)
    }

    /// The current stamps of the files of `domain`, read without locks;
    /// `None` when the domain has no directory.
    ///
    /// # Errors
    ///
    /// [`crate::Error::OutsideHome`] / [`crate::Error::Storage`].
    pub fn current_stamps(home: &ConfinedDir, domain: &str) -> Result<Option<Stamps>> {
        let Some(dir) = home.open_dir(&domain_dir(domain))? else {
            return Ok(None);
        };
        stamps_in(&dir).map(Some)
    }
}

impl BatchState for DomainFiles {
    type Kept = KeptFiles;

    fn open(home: &ConfinedDir, domain: &str, kept: Option<KeptFiles>) -> Result<DomainFiles> {
        let Some(dir) = home.open_dir(&domain_dir(domain))? else {
            return Ok(DomainFiles::unopened());
        };
        let locks = lock::lock_all(&dir, &FILES, LOCK_TIMEOUT)?;
        if let Some(kept) = kept {
            let now = stamps_in(&dir)?;
            if now == kept.stamps {
                // Nobody wrote since our last commit: no need to read again.
                let [passwd, shadow, quota] = kept.files;
                return Ok(DomainFiles {
                    dir: Some(dir),
                    passwd,
                    shadow,
                    quota,
                    stamps: now,
                    _locks: Some(locks),
                    account_lock: None,
                    undo: Vec::new(),
                });
            }
        }
        DomainFiles::read_in(dir, Some(locks))
    }

    fn keep(self) -> Option<KeptFiles> {
        self.dir.as_ref()?;
        Some(KeptFiles {
            stamps: self.stamps,
            files: [self.passwd, self.shadow, self.quota],
        })
    }

    fn commit(&mut self) -> Result<()> {
        let result = self.write_changed();
        let undo = std::mem::take(&mut self.undo);
        if result.is_err() {
            for action in undo.into_iter().rev() {
                action();
            }
        }
        result
    }
}

/// Owner, group and mode of a file the domain did not have yet: 0640, as
/// cPanel makes them, and (when we run as root) the owner and group of the
/// domain directory, which is the cPanel user and `mail`.
fn new_file_owner(dir: &ConfinedDir) -> NewFileOwner {
    let ids = dir.owner().ok();
    NewFileOwner {
        uid: ids.filter(|_| confined::is_root()).map(|(uid, _)| uid),
        gid: ids
            .map(|(_, gid)| gid)
            .filter(|gid| confined::may_use_group(*gid)),
        mode: 0o640,
    }
}

/// The current stamps of the three files of the opened domain directory `dir`.
fn stamps_in(dir: &ConfinedDir) -> Result<Stamps> {
    let [passwd, shadow, quota] = FILES.map(|f| dir.stamp(f));
    Ok([passwd?, shadow?, quota?])
}

fn read(dir: &ConfinedDir, name: &str) -> Result<LineFile> {
    Ok(match dir.read(name)? {
        Some((bytes, meta)) => LineFile::from_vec(bytes, Some(meta)),
        None => LineFile::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    /// A home with `etc/example.com/{passwd,shadow,quota}`; the handle and
    /// the domain directory's path.
    fn domain() -> (tempfile::TempDir, ConfinedDir, std::path::PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("etc/example.com");
        fs::create_dir_all(&path).unwrap();
        for (name, text) in [
            ("passwd", "a:x\n"),
            ("shadow", "a:h:1::::::\n"),
            ("quota", "a:5\n"),
        ] {
            fs::write(path.join(name), text).unwrap();
        }
        let handle = ConfinedDir::open_home(home.path()).unwrap();
        (home, handle, path)
    }

    #[test]
    fn a_rename_that_fails_puts_back_the_files_already_replaced_and_undoes() {
        let (_home, handle, dir) = domain();
        let mut files = DomainFiles::open(&handle, "example.com", None).unwrap();
        files.passwd.push(b"b:x\n".to_vec());
        files.shadow.push(b"b:h:1::::::\n".to_vec());
        files.quota.push(b"b:7\n".to_vec());
        let undone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = undone.clone();
        files.on_failure(Box::new(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        }));
        // The last file cannot be replaced: a directory now stands in its place.
        fs::remove_file(dir.join("quota")).unwrap();
        fs::create_dir(dir.join("quota")).unwrap();
        fs::write(dir.join("quota/keep"), b"").unwrap();
        assert!(files.commit().is_err());
        assert_eq!(fs::read_to_string(dir.join("passwd")).unwrap(), "a:x\n");
        assert_eq!(
            fs::read_to_string(dir.join("shadow")).unwrap(),
            "a:h:1::::::\n"
        );
        assert!(undone.load(std::sync::atomic::Ordering::SeqCst));
        drop(files);
        let names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.contains("liveapid")), "{names:?}");
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let (_home, handle, dir) = domain();
        let before = fs::metadata(dir.join("passwd"))
            .unwrap()
            .modified()
            .unwrap();
        let mut files = DomainFiles::open(&handle, "example.com", None).unwrap();
        files.shadow.push(b"b:h:1::::::\n".to_vec());
        files.commit().unwrap();
        assert_eq!(
            fs::metadata(dir.join("passwd"))
                .unwrap()
                .modified()
                .unwrap(),
            before
        );
        assert!(fs::read_to_string(dir.join("shadow"))
            .unwrap()
            .ends_with("b:h:1::::::\n"));
    }

    #[test]
    fn a_domain_directory_or_file_leading_out_is_refused_by_name() {
        let (home, handle, dir) = domain();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("shadow"), b"root:h:1::::::\n").unwrap();
        fs::remove_file(dir.join("shadow")).unwrap();
        symlink(outside.path().join("shadow"), dir.join("shadow")).unwrap();
        let err = DomainFiles::open(&handle, "example.com", None).unwrap_err();
        assert!(
            matches!(&err, crate::Error::OutsideHome(p) if p == Path::new("etc/example.com/shadow")),
            "{err}"
        );
        let err = DomainFiles::read_unlocked(&handle, "example.com").unwrap_err();
        assert!(matches!(err, crate::Error::OutsideHome(_)), "{err}");
        symlink(outside.path(), home.path().join("etc/example.org")).unwrap();
        let err = DomainFiles::open(&handle, "example.org", None).unwrap_err();
        assert!(
            matches!(&err, crate::Error::OutsideHome(p) if p == Path::new("etc/example.org")),
            "{err}"
        );
        let missing = DomainFiles::open(&handle, "example.net", None).unwrap();
        assert!(!missing.is_locked() && missing.dir().is_none());
    }
}
