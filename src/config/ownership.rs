//! Root takes settings and writes its log only where no one else can
//! change them: a configuration file (and its directory) that an account
//! could write would let it choose root's after-change command; an audit
//! log directory it could write would let it point the log, through a
//! symlink, at any file root then appends to.
//!
//! The checks apply when the process runs as root; a user's own daemon
//! trusts its user's files.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::{Error, Result};

/// Write permission for the group or for others.
const SHARED_WRITE: u32 = 0o022;
/// The sticky bit: the directory's entries may be renamed or removed only
/// by their owners. Not enough for root: anyone may still create the name.
const STICKY: u32 = 0o1000;

/// The configuration file `path` and its directory: owned by root,
/// writable by root only. Nothing is checked when not running as root.
///
/// # Errors
///
/// [`Error::Config`] naming the path, its owner or mode, and the fix.
pub fn check_config_file(path: &Path) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Ok(());
    }
    let what = "the configuration file";
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", path.display())))?;
    root_only(path, &meta, what)?;
    check_directory(parent(path), "the configuration file's directory")
}

/// The audit log's directory, and the log itself if it exists: owned by
/// root and writable by root only. Nothing is checked when not running as
/// root.
///
/// # Errors
///
/// [`Error::Config`] naming the path, its owner or mode, and the fix.
pub fn check_audit_log(path: &Path) -> Result<()> {
    if !rustix::process::geteuid().is_root() {
        return Ok(());
    }
    check_directory(parent(path), "the audit log's directory")?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() || meta.file_type().is_fifo() || !meta.is_file() => {
            Err(Error::Config(format!(
                "the audit log {} is not a regular file; root writes its log only to a regular file",
                path.display()
            )))
        }
        Ok(meta) => root_only(path, &meta, "the audit log"),
        Err(_) => Ok(()),
    }
}

/// A directory that does not exist passes: nothing can be planted in it
/// yet, and opening a file there fails with its own error.
fn check_directory(dir: &Path, what: &str) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) => root_only(dir, &meta, what),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Config(format!(
            "cannot read {what} {}: {e}",
            dir.display()
        ))),
    }
}

/// The directory of `path` ("." for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn root_only(path: &Path, meta: &std::fs::Metadata, what: &str) -> Result<()> {
    if meta.uid() != 0 {
        return Err(Error::Config(format!(
            "{what} {} belongs to uid {}, not root: root takes it only from root (chown root {})",
            path.display(),
            meta.uid(),
            path.display()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & SHARED_WRITE != 0 {
        let sticky = if mode & STICKY != 0 {
            " (sticky or not, anyone may create names in it)"
        } else {
            ""
        };
        return Err(Error::Config(format!(
            "{what} {} is writable by group or others (mode {mode:04o}){sticky}: root takes it only when root alone can write it (chmod go-w {})",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn as_root_a_file_or_directory_others_can_write_is_refused() {
        if !rustix::process::geteuid().is_root() {
            println!("skipped: the checks apply to root only");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("liveapid.toml");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        check_config_file(&file).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = check_config_file(&file).unwrap_err().to_string();
        assert!(
            err.contains("writable by group or others (mode 0666)"),
            "{err}"
        );

        check_audit_log(&dir.path().join("audit.log")).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        let err = check_audit_log(&dir.path().join("audit.log"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("the audit log's directory"), "{err}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link.log")).unwrap();
        let err = check_audit_log(&dir.path().join("link.log"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
