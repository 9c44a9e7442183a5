//! The mail account files of one domain, `~/etc/<domain>/passwd|shadow|quota`,
//! opened under lock and committed all or nothing (spec/EMAIL.md §3).

use std::fs;
use std::path::{Path, PathBuf};

use super::line_file::LineFile;
use crate::error::{Error, Result};
use crate::storage::atomic::{self, NewFileOwner};
use crate::storage::lock::{self, LockSet, LOCK_TIMEOUT};
use crate::storage::BatchState;

/// The file names, in the one order in which they are locked.
const FILES: [&str; 3] = ["passwd", "shadow", "quota"];

/// A locked, in-memory view of a domain's account files.
#[derive(Debug)]
pub struct DomainFiles {
    dir: PathBuf,
    pub passwd: LineFile,
    pub shadow: LineFile,
    pub quota: LineFile,
    /// `None` when the domain has no directory yet (nothing to lock or read).
    _locks: Option<LockSet>,
}

impl DomainFiles {
    /// The domain directory these files live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn files_mut(&mut self) -> [(&'static str, &mut LineFile); 3] {
        [
            (FILES[0], &mut self.passwd),
            (FILES[1], &mut self.shadow),
            (FILES[2], &mut self.quota),
        ]
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
        })
    }

    fn commit(&mut self) -> Result<()> {
        let dir = self.dir.clone();
        // New files: private to the owner and group, as cPanel makes them.
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o640,
        };
        let mut staged = Vec::new();
        for (name, file) in self.files_mut() {
            if file.is_changed() {
                staged.push(atomic::stage(
                    &dir.join(name),
                    &file.to_bytes(),
                    file.metadata.as_ref(),
                    owner,
                )?);
            }
        }
        if staged.is_empty() {
            return Ok(());
        }
        for file in staged {
            file.commit()?;
        }
        atomic::sync_dir(&dir)
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
