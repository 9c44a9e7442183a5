//! The listening socket: where it lives, who may connect, and its removal.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixListener;

use crate::error::{Error, Result};

/// The longest socket path the official Perl client can connect to.
pub const MAX_SOCKET_PATH: usize = 107;

/// The default socket of `user`: `$XDG_RUNTIME_DIR/liveapid/<user>.sock`,
/// else `/run/liveapid/<user>.sock` for root, else
/// `/tmp/liveapid-<uid>/<user>.sock`.
pub fn default_path(user: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Path::new(&dir)
            .join("liveapid")
            .join(format!("{user}.sock"));
    }
    // SAFETY: getuid cannot fail and touches no memory of ours.
    let uid = unsafe { libc::getuid() };
    if uid == 0 {
        PathBuf::from(format!("/run/liveapid/{user}.sock"))
    } else {
        PathBuf::from(format!("/tmp/liveapid-{uid}/{user}.sock"))
    }
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

/// Binds `path` with mode 0600, creating its directory (0700) if needed.
/// A stale socket file (nothing listening) is replaced; a live one is not.
///
/// # Errors
///
/// A path too long for the clients, a live daemon already on it, a file
/// that is not a socket, or a directory that cannot be made or written.
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
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::storage("create the socket directory", dir, e))?;
    }
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
    // SAFETY: umask only swaps the process file-creation mask.
    let previous = unsafe { libc::umask(0o177) };
    let bound = UnixListener::bind(path);
    // SAFETY: as above; restores the caller's mask.
    unsafe { libc::umask(previous) };
    let listener = bound.map_err(|e| Error::storage("listen on", path, e))?;
    let file = SocketFile {
        path: path.to_owned(),
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::storage("set the mode of", path, e))?;
    Ok((listener, file))
}
