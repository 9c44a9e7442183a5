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

use crate::home::FileStamp;

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

    /// [`SystemFiles::read`], or [`Fresh::Unchanged`] when the file is still
    /// at the version `known` (from an earlier [`Fresh::Current`]), so a
    /// caller that keeps what it parsed need not read or parse it again.
    ///
    /// # Errors
    ///
    /// When it exists but cannot be read.
    /// Whether `relative` is still at the version `known`, if that can be
    /// told at once with a `stat` (no read, no wait on another process);
    /// `None` when it cannot, and [`SystemFiles::read_fresh`] must be asked.
    fn still_current(&self, relative: &str, known: &str) -> Option<bool> {
        let _ = (relative, known);
        None
    }

    fn read_fresh(&self, relative: &str, known: Option<&str>) -> io::Result<Fresh> {
        let _ = known; // a source that cannot tell versions reads every time
        Ok(Fresh::Current {
            text: self.read(relative)?,
            version: None,
        })
    }
}

/// What [`SystemFiles::read_fresh`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fresh {
    /// The file is still at the version the caller knows.
    Unchanged,
    /// The file's text (`None`: it does not exist) and its version, if the
    /// source can tell versions apart.
    Current {
        text: Option<String>,
        version: Option<String>,
    },
}

/// The version of a file that does not exist.
const MISSING: &str = "missing";

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

    fn still_current(&self, relative: &str, known: &str) -> Option<bool> {
        match std::fs::metadata(self.root.join(relative)) {
            Ok(meta) => Some(FileStamp::of(&meta).to_token() == known),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Some(known == MISSING),
            Err(_) => None,
        }
    }

    fn read_fresh(&self, relative: &str, known: Option<&str>) -> io::Result<Fresh> {
        let file = match std::fs::File::open(self.root.join(relative)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(match known {
                    Some(MISSING) => Fresh::Unchanged,
                    _ => Fresh::Current {
                        text: None,
                        version: Some(MISSING.to_owned()),
                    },
                });
            }
            Err(e) => return Err(e),
        };
        // The version and the text come from the same descriptor.
        let version = FileStamp::of(&file.metadata()?).to_token();
        if known == Some(version.as_str()) {
            return Ok(Fresh::Unchanged);
        }
        let mut text = String::new();
        io::Read::read_to_string(&mut &file, &mut text)?;
        Ok(Fresh::Current {
            text: Some(text),
            version: Some(version),
        })
    }
}
