//! Cross-process locks on the mail account files.
//!
//! Each file `F` is guarded by `flock` on its sibling `F.lock`, the name
//! cPanel's own SafeFile uses, so a second daemon, the `uapi` command line
//! and cPanel's tools serialise with us. Lock files are never removed:
//! removing one while another process waits on it would split the lock.
//! They are opened in the domain's opened directory, confined beneath it
//! ([`super::confined`]): a planted `F.lock` symlink that leads out is
//! refused, and nothing is created through it.

use std::fs::File;
use std::time::{Duration, Instant};

use rustix::fs::FlockOperation;

use super::confined::ConfinedDir;
use crate::error::{Error, Result};

/// How long to wait for another process to release a lock.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Locks, exclusive or shared, held until dropped.
#[derive(Debug)]
pub struct LockSet {
    _files: Vec<File>,
}

/// The lock file of `name`.
fn lock_name(name: &str) -> String {
    format!("{name}.lock")
}

/// Locks `F.lock` in `dir` for each name `F`, in the given order (callers
/// use one fixed order, so two lockers never deadlock).
///
/// # Errors
///
/// [`Error::OutsideHome`] when a lock file leads out of `dir`,
/// [`Error::Storage`] when one cannot be opened, [`Error::LockTimeout`]
/// when another process holds a lock for longer than `timeout`.
pub fn lock_all(dir: &ConfinedDir, names: &[&str], timeout: Duration) -> Result<LockSet> {
    lock_all_as(
        dir,
        names,
        timeout,
        FlockOperation::NonBlockingLockExclusive,
    )
}

/// [`lock_all`] with shared locks, for a reader that needs the files of one
/// commit: any number of readers hold them together, and a writer waits
/// for them (and they for it).
///
/// # Errors
///
/// As for [`lock_all`].
pub fn lock_all_shared(dir: &ConfinedDir, names: &[&str], timeout: Duration) -> Result<LockSet> {
    lock_all_as(dir, names, timeout, FlockOperation::NonBlockingLockShared)
}

fn lock_all_as(
    dir: &ConfinedDir,
    names: &[&str],
    timeout: Duration,
    operation: FlockOperation,
) -> Result<LockSet> {
    let deadline = Instant::now() + timeout;
    let files = names
        .iter()
        .map(|n| lock_one(dir, n, deadline, timeout, operation))
        .collect::<Result<Vec<_>>>()?;
    Ok(LockSet { _files: files })
}

fn lock_one(
    dir: &ConfinedDir,
    name: &str,
    deadline: Instant,
    timeout: Duration,
    operation: FlockOperation,
) -> Result<File> {
    let lock_name = lock_name(name);
    let file = dir.open_or_create("open the lock file", &lock_name)?;
    let mut pause = Duration::from_millis(1);
    loop {
        match rustix::fs::flock(&file, operation) {
            Ok(()) => return Ok(file),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {}
            Err(e) => return Err(dir.error("lock", &lock_name, e.into())),
        }
        if Instant::now() >= deadline {
            return Err(Error::LockTimeout {
                path: dir.display_path(name),
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
        let tmp = tempfile::tempdir().unwrap();
        let dir = ConfinedDir::open_home(tmp.path()).unwrap();
        let held = lock_all(&dir, &["shadow"], LOCK_TIMEOUT).unwrap();
        // flock locks belong to the open file description, so a second open conflicts.
        let err = lock_all(&dir, &["shadow"], Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        drop(held);
        let reader = lock_all_shared(&dir, &["shadow"], LOCK_TIMEOUT).unwrap();
        lock_all_shared(&dir, &["shadow"], Duration::from_millis(30)).unwrap();
        let err = lock_all(&dir, &["shadow"], Duration::from_millis(30)).unwrap_err();
        assert!(
            matches!(err, Error::LockTimeout { .. }),
            "a reader holds it: {err}"
        );
        drop(reader);
        lock_all(&dir, &["shadow"], Duration::from_millis(30)).unwrap();
        assert!(tmp.path().join("shadow.lock").exists());
        assert_eq!(lock_name("passwd"), "passwd.lock");
    }
}
