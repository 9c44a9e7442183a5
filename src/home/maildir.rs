//! A mailbox's Maildir, `~/mail/<domain>/<localpart>/{cur,new,tmp}`
//! (spec/EMAIL.md §3.1: mode 0751, owned by the cPanel user).

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

const MODE: u32 = 0o751;

/// Creates the Maildir at `path` and any missing parents below `mail_root`
/// (`~/mail`), each 0751 and owned by `owner` when given. `Ok(true)` when it
/// was created, `Ok(false)` when it already existed (its mail is kept).
///
/// # Errors
///
/// [`Error::Storage`] when a directory cannot be made.
pub fn create(mail_root: &Path, path: &Path, owner: Option<(u32, u32)>) -> Result<bool> {
    let existed = path.is_dir();
    let mut to_make: Vec<PathBuf> = Vec::new();
    let mut cursor = Some(path);
    while let Some(dir) = cursor {
        if dir.is_dir() {
            break;
        }
        to_make.push(dir.to_owned());
        if dir == mail_root {
            break;
        }
        cursor = dir.parent();
    }
    to_make.reverse();
    to_make.extend(
        ["cur", "new", "tmp"]
            .iter()
            .map(|s| path.join(s))
            .filter(|p| !p.is_dir()),
    );
    for dir in to_make {
        fs::DirBuilder::new()
            .mode(MODE)
            .create(&dir)
            .map_err(|e| Error::storage("create", &dir, e))?;
        // The umask may have taken bits away.
        fs::set_permissions(&dir, fs::Permissions::from_mode(MODE))
            .map_err(|e| Error::storage("set the mode of", &dir, e))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(|e| Error::storage("set the owner of", &dir, e))?;
        }
    }
    Ok(!existed)
}

/// Moves a Maildir out of the way, to a name no mailbox can have (a
/// localpart never starts with a dot), so that removing it later cannot race
/// a new mailbox of the same name. `Ok(None)` when there is no directory.
///
/// # Errors
///
/// [`Error::Storage`] when the rename fails.
pub fn move_aside(path: &Path) -> Result<Option<PathBuf>> {
    if !path.exists() {
        return Ok(None);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("mailbox");
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let aside = path.with_file_name(format!(
        ".liveapid-deleted-{name}-{}-{stamp}",
        std::process::id()
    ));
    fs::rename(path, &aside).map_err(|e| Error::storage("move aside", path, e))?;
    Ok(Some(aside))
}

/// Bytes used by the files under `path` and the newest modification time
/// (seconds since the epoch), as cPanel reports them; zero for a missing Maildir.
pub fn disk_usage(path: &Path) -> (u64, u64) {
    let (mut bytes, mut newest) = (0u64, 0u64);
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            newest = newest.max(u64::try_from(meta.mtime()).unwrap_or(0));
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                bytes += meta.len();
            }
        }
    }
    (bytes, newest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_parents_and_subdirectories_with_cpanels_mode() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("mail");
        let path = root.join("example.com/user");
        assert!(create(&root, &path, None).unwrap());
        for p in [
            &root,
            &root.join("example.com"),
            &path,
            &path.join("cur"),
            &path.join("new"),
            &path.join("tmp"),
        ] {
            assert_eq!(
                fs::metadata(p).unwrap().permissions().mode() & 0o777,
                0o751,
                "{}",
                p.display()
            );
        }
        fs::write(path.join("new/1.msg"), b"hello").unwrap();
        assert!(
            !create(&root, &path, None).unwrap(),
            "an existing Maildir is kept"
        );
        assert_eq!(disk_usage(&path).0, 5);
        let aside = move_aside(&path).unwrap().unwrap();
        assert!(!path.exists() && aside.join("new/1.msg").exists());
        assert!(aside
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(".liveapid-deleted-user-"));
        assert_eq!(move_aside(&path).unwrap(), None);
    }
}
