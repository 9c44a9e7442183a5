//! Reading the host's files about an account (`var/cpanel/users/<user>`,
//! `cpanel.config`, feature lists, `etc/group`) under the `--root` prefix.
//!
//! A daemon that runs as the account reads them itself. An unprivileged
//! per-account worker may not be allowed to (cPanel keeps some of them
//! root-only), so it asks the supervisor, which reads them as root from a
//! short allow-list: see `crate::control`.

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};

/// Where the host's files come from.
pub trait SystemFiles: Debug + Send + Sync {
    /// The text of `relative` (e.g. `var/cpanel/cpanel.config`) under the
    /// root prefix; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    ///
    /// When it exists but cannot be read.
    fn read(&self, relative: &str) -> io::Result<Option<String>>;

    /// How to name `relative` in an error message.
    fn display_path(&self, relative: &str) -> PathBuf;
}

/// The files read directly, under `root`.
#[derive(Debug, Clone)]
pub struct DirectFiles {
    root: PathBuf,
}

impl DirectFiles {
    /// Reads under `root` (`/` on a real server).
    pub fn new(root: &Path) -> DirectFiles {
        DirectFiles {
            root: root.to_owned(),
        }
    }
}

impl SystemFiles for DirectFiles {
    fn read(&self, relative: &str) -> io::Result<Option<String>> {
        match std::fs::read_to_string(self.root.join(relative)) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn display_path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}
