//! The listening socket: where it lives, who may connect, and its removal.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

use crate::error::{Error, Result};

/// The longest socket path the official Perl client can connect to.
pub const MAX_SOCKET_PATH: usize = 107;

/// The directory of every account's socket when liveapid runs as root.
pub const ROOT_SOCKET_DIR: &str = "/run/liveapid";

/// The default socket of `user`: `/run/liveapid/<user>.sock` for root,
/// else `$XDG_RUNTIME_DIR/liveapid/<user>.sock`.
///
/// # Errors
///
/// Not root and no `XDG_RUNTIME_DIR`: a shared directory such as `/tmp`
/// would let another local user create the directory first and sit between
/// scripts and the daemon, so liveapid asks for `--socket` instead.
pub fn default_path(user: &str) -> Result<PathBuf> {
    let file = format!("{user}.sock");
    if rustix::process::geteuid().is_root() {
        return Ok(Path::new(ROOT_SOCKET_DIR).join(file));
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => Ok(Path::new(&dir).join("liveapid").join(file)),
        None => Err(Error::Config(
            "XDG_RUNTIME_DIR is not set, so there is no private place for the socket; give one with --socket PATH (in a directory only you can write)".into(),
        )),
    }
}

/// Makes sure `dir` is fit to hold a socket: a real directory (not a
/// symlink), owned by this process's user or root, and writable by its
/// owner only. Without that, another user could replace the socket and
/// collect the passwords scripts send. A missing directory is created
/// (0700, or 0755 for root, whose directory holds every account's socket).
///
/// # Errors
///
/// [`Error::Config`] naming what is wrong, or [`Error::Storage`].
pub fn check_directory(dir: &Path) -> Result<()> {
    let euid = rustix::process::geteuid();
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let mode = if euid.is_root() { 0o755 } else { 0o700 };
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(dir)
                .map_err(|e| Error::storage("create the socket directory", dir, e))?;
            std::fs::symlink_metadata(dir)
                .map_err(|e| Error::storage("inspect the socket directory", dir, e))?
        }
        Err(e) => return Err(Error::storage("inspect the socket directory", dir, e)),
    };
    let unfit = |why: String| {
        Err(Error::Config(format!(
            "the socket directory {} {why}; use a directory only its owner can write, or another --socket",
            dir.display()
        )))
    };
    if !meta.file_type().is_dir() {
        return unfit("is not a directory (a symlink or a file)".into());
    }
    if meta.uid() != euid.as_raw() && meta.uid() != 0 {
        return unfit(format!(
            "belongs to uid {}, not to this user or root",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return unfit(format!("is writable by other users (mode {mode:04o})"));
    }
    Ok(())
}

/// The socket file, removed when this is dropped.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
}

impl SocketFile {
    /// The socket file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds `path` with mode 0600, after [`check_directory`] on its directory.
/// A stale socket file (nothing listening) is replaced; a live one is not.
///
/// # Errors
///
/// A path too long for the clients, an unfit directory, a live daemon
/// already on it, or a file that is not a socket.
pub fn bind(path: &Path) -> Result<(UnixListener, SocketFile)> {
    let length = path.as_os_str().len();
    if length > MAX_SOCKET_PATH {
        return Err(Error::Config(format!(
            "socket path {} is {length} bytes; cPanel's clients accept at most {MAX_SOCKET_PATH}",
            path.display()
        )));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    check_directory(dir)?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) => {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(Error::Config(format!(
                    "{} exists and is not a socket",
                    path.display()
                )));
            }
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(Error::Config(format!(
                    "another daemon is already listening on {}",
                    path.display()
                )));
            }
            std::fs::remove_file(path)
                .map_err(|e| Error::storage("remove the stale socket", path, e))?;
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::storage("inspect", path, e)),
    }
    // The socket is created 0600 so that no other user can connect even for
    // an instant; the umask is process-wide, so this runs before any task.
    let previous = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let bound = UnixListener::bind(path);
    rustix::process::umask(previous);
    let listener = bound.map_err(|e| Error::storage("listen on", path, e))?;
    let file = SocketFile {
        path: path.to_owned(),
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::storage("set the mode of", path, e))?;
    Ok((listener, file))
}

impl SocketFile {
    /// Gives the socket to the account it serves (mode stays 0600), so that
    /// the account's scripts, and no one else but root, can connect.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the owner cannot be set.
    pub fn give_to(&self, uid: u32, gid: u32) -> Result<()> {
        rustix::fs::chown(
            &self.path,
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
        )
        .map_err(|e| Error::storage("set the owner of", &self.path, e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_or_symlinked_socket_directory_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let open = base.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_directory(&open).unwrap_err().to_string();
        assert!(err.contains("writable by other users (mode 0777)"), "{err}");
        let link = base.path().join("link");
        std::os::unix::fs::symlink(base.path(), &link).unwrap();
        let err = check_directory(&link).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
        let made = base.path().join("new/dir");
        check_directory(&made).unwrap();
        let mode = std::fs::metadata(&made).unwrap().mode() & 0o777;
        assert_eq!(mode & 0o022, 0);
        assert!(bind(&open.join("s.sock")).is_err());
    }
}
