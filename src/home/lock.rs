//! Cross-process locks on the mail account files.
//!
//! Each file `F` is guarded by `flock` on its sibling `F.lock`, the name
//! cPanel's own SafeFile uses, so a second daemon, the `uapi` command line
//! and cPanel's tools serialise with us. Lock files are never removed:
//! removing one while another process waits on it would split the lock.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long to wait for another process to release a lock.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Exclusive locks, held until dropped.
#[derive(Debug)]
pub struct LockSet {
    _files: Vec<File>,
}

/// Locks `F.lock` for each path `F`, in the given order (callers use one
/// fixed order, so two lockers never deadlock).
///
/// # Errors
///
/// [`Error::Storage`] when a lock file cannot be opened, [`Error::LockTimeout`]
/// when another process holds a lock for longer than `timeout`.
pub fn lock_all(paths: &[PathBuf], timeout: Duration) -> Result<LockSet> {
    let deadline = Instant::now() + timeout;
    let files = paths
        .iter()
        .map(|p| lock_one(p, deadline, timeout))
        .collect::<Result<Vec<_>>>()?;
    Ok(LockSet { _files: files })
}

fn lock_one(path: &Path, deadline: Instant, timeout: Duration) -> Result<File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| Error::storage("open the lock file", &lock_path, e))?;
    let mut pause = Duration::from_millis(1);
    loop {
        // SAFETY: flock on a descriptor we own; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(file);
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK)
            && err.kind() != std::io::ErrorKind::Interrupted
        {
            return Err(Error::storage("lock", &lock_path, err));
        }
        if Instant::now() >= deadline {
            return Err(Error::LockTimeout {
                path: path.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_times_out_and_a_released_one_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let paths = vec![dir.path().join("shadow")];
        let held = lock_all(&paths, LOCK_TIMEOUT).unwrap();
        // flock locks belong to the open file description, so a second open conflicts.
        let err = lock_all(&paths, Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        drop(held);
        lock_all(&paths, Duration::from_millis(30)).unwrap();
        assert!(dir.path().join("shadow.lock").exists());
    }
}
