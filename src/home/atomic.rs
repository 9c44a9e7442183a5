//! Crash-safe file replacement: temp file, fsync, rename, directory fsync
//! (the brief's storage rule and spec/EMAIL.md §9.9, §9.10).
//!
//! A crash at any instant leaves the old file or the new one, never a mix.
//! Several files are replaced together by staging all of them first and
//! renaming only when every one was written, so a failure while writing
//! leaves every file as it was.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Ownership and mode for a file that does not exist yet.
#[derive(Debug, Clone, Copy)]
pub struct NewFileOwner {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
}

/// A complete new version of a file, written and synced beside it, waiting
/// to be renamed into place. Dropped without [`StagedFile::commit`], it
/// removes itself.
#[derive(Debug)]
pub struct StagedFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// Writes `contents` to a temp file next to `target`, with the owner, group
/// and mode of the current file (`current`, or `owner` for a new one), and
/// an mtime whose whole second is past the current file's.
///
/// The mtime rule exists for Dovecot: its passwd-file reader reloads only
/// when the whole-second mtime or the size changes, and a password change
/// keeps the size (INTEGRATION.md, trap 2).
///
/// # Errors
///
/// [`Error::Storage`] naming the file, when any step fails.
pub fn stage(
    target: &Path,
    contents: &[u8],
    current: Option<&Metadata>,
    owner: NewFileOwner,
) -> Result<StagedFile> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let mut staged = None;
    for attempt in 0..8 {
        let temp = dir.join(format!(".{name}.liveapid-{}-{attempt}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
        {
            Ok(file) => {
                staged = Some((file, temp));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A leftover of a crashed writer of this pid: we hold the lock, so it is ours to clear.
                let _ = fs::remove_file(&temp);
            }
            Err(e) => return Err(Error::storage("create a temporary file for", target, e)),
        }
    }
    let (mut file, temp) = staged.ok_or_else(|| {
        Error::storage(
            "create a temporary file for",
            target,
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        )
    })?;
    let staged = StagedFile {
        temp,
        target: target.to_owned(),
        committed: false,
    };
    let fail = |action, e| Error::storage(action, target, e);
    file.write_all(contents).map_err(|e| fail("write", e))?;
    let (uid, gid, mode) = match current {
        Some(m) => (Some(m.uid()), Some(m.gid()), m.mode() & 0o7777),
        None => (owner.uid, owner.gid, owner.mode),
    };
    fchown(&file, uid, gid).map_err(|e| fail("set the owner of", e))?;
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| fail("set the mode of", e))?;
    if let Some(old) = current.and_then(|m| m.modified().ok()) {
        file.set_modified(next_mtime(old, SystemTime::now()))
            .map_err(|e| fail("set the time of", e))?;
    }
    file.sync_all().map_err(|e| fail("sync", e))?;
    Ok(staged)
}

impl StagedFile {
    /// Renames the new version over the old one. Call [`sync_dir`] after
    /// the last rename of a directory.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the rename fails; the old file is untouched.
    pub fn commit(mut self) -> Result<()> {
        fs::rename(&self.temp, &self.target)
            .map_err(|e| Error::storage("replace", &self.target, e))?;
        self.committed = true;
        Ok(())
    }

    /// The file this will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Makes the renames in `dir` durable.
///
/// # Errors
///
/// [`Error::Storage`] when the directory cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::storage("sync the directory", dir, e))
}

/// The mtime for a new version: now, unless now is still within the whole
/// second of the old version, in which case the start of the next second.
pub fn next_mtime(old: SystemTime, now: SystemTime) -> SystemTime {
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if secs(now) > secs(old) {
        now
    } else {
        UNIX_EPOCH + Duration::from_secs(secs(old) + 1)
    }
}

fn fchown(file: &File, uid: Option<u32>, gid: Option<u32>) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let uid = uid.unwrap_or(u32::MAX); // -1: leave unchanged
    let gid = gid.unwrap_or(u32::MAX);
    // SAFETY: fchown on a descriptor we own; no memory is passed.
    if unsafe { libc::fchown(file.as_raw_fd(), uid, gid) } == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    // Not root and the ids are already ours: nothing needed changing.
    let meta = file.metadata()?;
    if err.raw_os_error() == Some(libc::EPERM)
        && (uid == u32::MAX || uid == meta.uid())
        && (gid == u32::MAX || gid == meta.gid())
    {
        return Ok(());
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtime_moves_to_the_next_second_when_the_clock_has_not() {
        let old = UNIX_EPOCH + Duration::new(1000, 900_000_000);
        assert_eq!(
            next_mtime(old, UNIX_EPOCH + Duration::new(1000, 950_000_000)),
            UNIX_EPOCH + Duration::from_secs(1001)
        );
        // Already ahead of the clock (a burst): still strictly later.
        assert_eq!(
            next_mtime(
                UNIX_EPOCH + Duration::from_secs(1005),
                UNIX_EPOCH + Duration::from_secs(1001)
            ),
            UNIX_EPOCH + Duration::from_secs(1006)
        );
        let later = UNIX_EPOCH + Duration::new(1001, 5);
        assert_eq!(next_mtime(old, later), later);
    }

    #[test]
    fn stage_and_commit_replace_the_file_keeping_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shadow");
        fs::write(&path, b"old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let meta = fs::metadata(&path).unwrap();
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o600,
        };
        let staged = stage(&path, b"new\n", Some(&meta), owner).unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            b"old\n",
            "nothing changes before commit"
        );
        staged.commit().unwrap();
        sync_dir(dir.path()).unwrap();
        let after = fs::metadata(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(after.mode() & 0o7777, 0o640);
        assert!(after.mtime() > meta.mtime());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn a_dropped_stage_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quota");
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o640,
        };
        drop(stage(&path, b"x", None, owner).unwrap());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
