//! The mail account files of one domain, `~/etc/<domain>/passwd|shadow|quota`,
//! opened under lock and committed all or nothing (spec/EMAIL.md §3).

use std::fs;
use std::path::{Path, PathBuf};

use crate::email::line_file::LineFile;
use crate::error::{Error, Result};
use crate::home::atomic::{self, NewFileOwner};
use crate::home::lock::{self, LockSet, LOCK_TIMEOUT};
use crate::home::BatchState;

/// The file names, in the one order in which they are locked.
const FILES: [&str; 3] = ["passwd", "shadow", "quota"];

/// Something a job did outside the three files (a Maildir made or moved),
/// to be reversed if the commit fails.
pub type Undo = Box<dyn FnOnce() + Send>;

/// A locked, in-memory view of a domain's account files.
pub struct DomainFiles {
    dir: PathBuf,
    pub passwd: LineFile,
    pub shadow: LineFile,
    pub quota: LineFile,
    /// `None` when the domain has no directory yet (nothing to lock or read).
    _locks: Option<LockSet>,
    undo: Vec<Undo>,
}

impl std::fmt::Debug for DomainFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainFiles")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl DomainFiles {
    /// The domain directory these files live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the domain directory existed (and so was locked) when opened.
    pub fn is_locked(&self) -> bool {
        self._locks.is_some()
    }

    /// Registers how to reverse a change made outside the files, run if the
    /// commit fails (still under the lock).
    pub fn on_failure(&mut self, undo: Undo) {
        self.undo.push(undo);
    }

    /// Writes every changed file, all or nothing: all are staged (written and
    /// synced beside the originals) before any is renamed, and if a rename
    /// fails, the files already replaced get their old bytes back.
    fn write_changed(&mut self) -> Result<()> {
        let dir = self.dir.clone();
        let owner = new_file_owner(&dir);
        let mut staged = Vec::new();
        for (name, file) in self.files_mut() {
            if file.is_changed() {
                let path = dir.join(name);
                staged.push((
                    atomic::stage(&path, &file.to_bytes(), file.metadata.as_ref(), owner)?,
                    name,
                ));
            }
        }
        if staged.is_empty() {
            return Ok(());
        }
        let mut replaced: Vec<&'static str> = Vec::new();
        for (file, name) in staged {
            if let Err(e) = file.commit() {
                self.restore(&replaced);
                return Err(e);
            }
            replaced.push(name);
        }
        atomic::sync_dir(&dir)
    }

    /// Puts back the original bytes of files already replaced in a failed commit.
    fn restore(&mut self, names: &[&'static str]) {
        let dir = self.dir.clone();
        for (name, file) in self.files_mut() {
            if !names.contains(&name) {
                continue;
            }
            let path = dir.join(name);
            let result = if file.existed() {
                // An existing file keeps its own owner and mode; `owner` is unused.
                let owner = new_file_owner(&dir);
                atomic::stage(&path, file.original(), file.metadata.as_ref(), owner)
                    .and_then(|s| s.commit())
            } else {
                fs::remove_file(&path).map_err(|e| Error::storage("remove", &path, e))
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "could not restore a file after a failed commit");
            }
        }
        let _ = atomic::sync_dir(&dir);
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
    /// Reads the files without locking, for listings: each file is read
    /// whole (replacement is atomic), so every line is one that was written.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when a file exists but cannot be read.
    pub fn read_unlocked(dir: &Path) -> Result<DomainFiles> {
        let [passwd, shadow, quota] = FILES.map(|f| read(&dir.join(f)));
        Ok(DomainFiles {
            dir: dir.to_owned(),
            passwd: passwd?,
            shadow: shadow?,
            quota: quota?,
            _locks: None,
            undo: Vec::new(),
        })
    }
}

impl BatchState for DomainFiles {
    fn open(dir: &Path) -> Result<DomainFiles> {
        if !dir.is_dir() {
            return Ok(DomainFiles {
                dir: dir.to_owned(),
                passwd: LineFile::default(),
                shadow: LineFile::default(),
                quota: LineFile::default(),
                _locks: None,
                undo: Vec::new(),
            });
        }
        let paths: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
        let locks = lock::lock_all(&paths, LOCK_TIMEOUT)?;
        let [passwd, shadow, quota] = [0, 1, 2].map(|i| read(&paths[i]));
        Ok(DomainFiles {
            dir: dir.to_owned(),
            passwd: passwd?,
            shadow: shadow?,
            quota: quota?,
            _locks: Some(locks),
            undo: Vec::new(),
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
fn new_file_owner(dir: &Path) -> NewFileOwner {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid cannot fail and touches no memory of ours.
    let root = unsafe { libc::geteuid() } == 0;
    let meta = fs::metadata(dir).ok().filter(|_| root);
    NewFileOwner {
        uid: meta.as_ref().map(MetadataExt::uid),
        gid: meta.as_ref().map(MetadataExt::gid),
        mode: 0o640,
    }
}

fn read(path: &Path) -> Result<LineFile> {
    match fs::read(path) {
        Ok(bytes) => {
            let meta = fs::metadata(path).map_err(|e| Error::storage("read", path, e))?;
            Ok(LineFile::new(&bytes, Some(meta)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LineFile::default()),
        Err(e) => Err(Error::storage("read", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("passwd", "a:x\n"),
            ("shadow", "a:h:1::::::\n"),
            ("quota", "a:5\n"),
        ] {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_rename_that_fails_puts_back_the_files_already_replaced_and_undoes() {
        let dir = domain();
        let mut files = DomainFiles::open(dir.path()).unwrap();
        files.passwd.push(b"b:x\n".to_vec());
        files.shadow.push(b"b:h:1::::::\n".to_vec());
        files.quota.push(b"b:7\n".to_vec());
        let undone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = undone.clone();
        files.on_failure(Box::new(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        }));
        // The last file cannot be replaced: a directory now stands in its place.
        fs::remove_file(dir.path().join("quota")).unwrap();
        fs::create_dir(dir.path().join("quota")).unwrap();
        fs::write(dir.path().join("quota/keep"), b"").unwrap();
        assert!(files.commit().is_err());
        assert_eq!(
            fs::read_to_string(dir.path().join("passwd")).unwrap(),
            "a:x\n"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("shadow")).unwrap(),
            "a:h:1::::::\n"
        );
        assert!(undone.load(std::sync::atomic::Ordering::SeqCst));
        drop(files);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.contains("liveapid")), "{names:?}");
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let dir = domain();
        let before = fs::metadata(dir.path().join("passwd"))
            .unwrap()
            .modified()
            .unwrap();
        let mut files = DomainFiles::open(dir.path()).unwrap();
        files.shadow.push(b"b:h:1::::::\n".to_vec());
        files.commit().unwrap();
        assert_eq!(
            fs::metadata(dir.path().join("passwd"))
                .unwrap()
                .modified()
                .unwrap(),
            before
        );
        assert!(fs::read_to_string(dir.path().join("shadow"))
            .unwrap()
            .ends_with("b:h:1::::::\n"));
    }
}
