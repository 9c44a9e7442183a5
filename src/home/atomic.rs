//! Crash-safe file replacement: temp file, fsync, rename, directory fsync
//! (the project's storage rule and docs/email.md §9.9, §9.10).
//!
//! A crash at any instant leaves the old file or the new one, never a mix.
//! Several files are replaced together by staging all of them first and
//! renaming only when every one was written, so a failure while writing
//! leaves every file as it was.

use std::fs::{self, Metadata};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::confined::{self, ConfinedDir};
use crate::error::Result;

/// Ownership and mode for a file that does not exist yet.
#[derive(Debug, Clone, Copy)]
pub struct NewFileOwner {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: u32,
}

/// A complete new version of a file, written and synced beside it in the
/// same opened directory, waiting to be renamed into place. Dropped without
/// [`StagedFile::commit`], it removes itself.
#[derive(Debug)]
pub struct StagedFile {
    dir: ConfinedDir,
    temp: String,
    target: String,
    committed: bool,
}

/// The name of the `attempt`th temp file for `name`: hidden, and never a
/// name a mailbox file can have.
fn temp_name(name: &str, attempt: u32) -> String {
    format!(".{name}.liveapid-{}-{attempt}", std::process::id())
}

/// Writes `contents` to a temp file next to `name` in `dir`, with the owner,
/// group and mode of the current file (`current`, or `owner` for a new one),
/// and an mtime whose whole second is past the current file's.
///
/// The mtime rule exists for Dovecot: its passwd-file reader reloads only
/// when the whole-second mtime or the size changes, and a password change
/// keeps the size (docs/email.md §9.10).
///
/// # Errors
///
/// [`Error::Storage`] naming the file, when any step fails;
/// [`Error::OutsideHome`] when the temp name leads out (a planted symlink).
pub fn stage(
    dir: &ConfinedDir,
    name: &str,
    contents: &[u8],
    current: Option<&Metadata>,
    owner: NewFileOwner,
) -> Result<StagedFile> {
    let fail = |action, e| dir.error(action, name, e);
    let mut staged = None;
    for attempt in 0..8 {
        let temp = temp_name(name, attempt);
        match dir.create_new(&temp) {
            Ok(file) => {
                staged = Some((file, temp));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A leftover of a crashed writer of this pid: we hold the lock, so it is ours to clear.
                let _ = dir.remove_file(&temp);
            }
            Err(e) => return Err(dir.error("create a temporary file for", &temp, e)),
        }
    }
    let (mut file, temp) = staged.ok_or_else(|| {
        fail(
            "create a temporary file for",
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        )
    })?;
    let staged = StagedFile {
        dir: dir.clone(),
        temp,
        target: name.to_owned(),
        committed: false,
    };
    file.write_all(contents).map_err(|e| fail("write", e))?;
    let (uid, gid, mode) = match current {
        Some(m) => (Some(m.uid()), Some(m.gid()), m.mode() & 0o7777),
        None => (owner.uid, owner.gid, owner.mode),
    };
    confined::chown(&file, uid, gid).map_err(|e| fail("set the owner of", e))?;
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
    /// Renames the new version over the old one (a symlink there is
    /// replaced, not followed). Call [`ConfinedDir::sync`] after the last
    /// rename of a directory.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the rename fails; the old file is untouched.
    pub fn commit(mut self) -> Result<()> {
        self.dir.rename(&self.temp, &self.target)?;
        self.committed = true;
        Ok(())
    }

    /// Puts the new file in place only if no file of its name exists, so
    /// that a file someone made meanwhile is never replaced: it is linked
    /// under its name (which appears with its content, owner and mode at
    /// once, or not at all) and the temp name removed. `Ok(false)` when a
    /// file of that name existed; it is kept. Call [`ConfinedDir::sync`]
    /// afterwards, as after [`StagedFile::commit`].
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] / [`Error::OutsideHome`] naming the file.
    pub fn commit_if_absent(self) -> Result<bool> {
        // Dropped uncommitted, the temp name is removed either way.
        match self.dir.link_new(&self.temp, &self.target) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(self.dir.error("create", &self.target, e)),
        }
    }

    /// The name of the file this will replace.
    pub fn target(&self) -> &str {
        &self.target
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = self.dir.remove_file(&self.temp);
        }
    }
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
        let home = ConfinedDir::open_home(dir.path()).unwrap();
        let staged = stage(&home, "shadow", b"new\n", Some(&meta), owner).unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            b"old\n",
            "nothing changes before commit"
        );
        staged.commit().unwrap();
        home.sync().unwrap();
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
    fn temp_names_are_hidden_and_per_attempt() {
        let name = temp_name("shadow", 3);
        assert!(name.starts_with(".shadow.liveapid-") && name.ends_with("-3"));
        assert_ne!(temp_name("shadow", 0), temp_name("shadow", 1));
    }

    #[test]
    fn a_planted_temp_name_link_out_is_refused_and_not_followed() {
        let scratch = tempfile::tempdir().unwrap();
        let home_path = scratch.path().join("home");
        fs::create_dir(&home_path).unwrap();
        let outside = scratch.path().join("outside");
        fs::write(&outside, b"keep").unwrap();
        for attempt in 0..2 {
            std::os::unix::fs::symlink(&outside, home_path.join(temp_name("shadow", attempt)))
                .unwrap();
        }
        let home = ConfinedDir::open_home(&home_path).unwrap();
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o640,
        };
        // Each leftover met is removed (the link, not its target), and a later attempt is made.
        let staged = stage(&home, "shadow", b"new", None, owner).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
        assert_eq!(fs::read(home_path.join("shadow")).unwrap(), b"new");
    }

    #[test]
    fn commit_if_absent_makes_a_new_file_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(dir.path()).unwrap();
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o640,
        };
        let staged = stage(&home, "shadow", b"", None, owner).unwrap();
        assert!(staged.commit_if_absent().unwrap());
        let made = fs::metadata(dir.path().join("shadow")).unwrap();
        assert_eq!((made.len(), made.mode() & 0o7777), (0, 0o640));
        fs::write(dir.path().join("shadow"), b"kept\n").unwrap();
        let staged = stage(&home, "shadow", b"", None, owner).unwrap();
        assert!(!staged.commit_if_absent().unwrap());
        assert_eq!(fs::read(dir.path().join("shadow")).unwrap(), b"kept\n");
        // A planted symlink at the name is not followed either.
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("made"), dir.path().join("quota")).unwrap();
        let staged = stage(&home, "quota", b"", None, owner).unwrap();
        assert!(!staged.commit_if_absent().unwrap());
        assert!(!outside.path().join("made").exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp file left"
        );
    }

    #[test]
    fn a_dropped_stage_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(dir.path()).unwrap();
        let owner = NewFileOwner {
            uid: None,
            gid: None,
            mode: 0o640,
        };
        drop(stage(&home, "quota", b"x", None, owner).unwrap());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
