//! The configuration file and how it meets the command line.
//!
//! `liveapid serve` reads `/etc/liveapid/liveapid.toml` (or `--config
//! FILE`). Each setting in the file becomes the default of the `serve` flag
//! of the same name ([`defaults::apply`]), so a flag given on the command
//! line wins by construction and `--help` shows the file's values. On
//! SIGHUP the file is read again the same way ([`crate::reload`]).
//!
//! - [`file`]: the file's tables, read with every error naming its key and line.
//! - [`defaults`]: file settings → the `serve` flags' defaults.
//! - [`ownership`]: as root, only files and directories root alone can write.

pub mod defaults;
pub mod file;
pub mod ownership;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub use file::ConfigFile;

use crate::error::{Error, Result};

/// Where the file is looked for when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/liveapid/liveapid.toml";

/// Which file, and whether the operator named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPath {
    pub path: PathBuf,
    /// Named with `--config`: then it must exist.
    pub explicit: bool,
}

impl ConfigPath {
    /// `--config FILE`, else [`DEFAULT_PATH`].
    pub fn new(explicit: Option<PathBuf>) -> ConfigPath {
        match explicit {
            Some(path) => ConfigPath {
                path,
                explicit: true,
            },
            None => ConfigPath {
                path: PathBuf::from(DEFAULT_PATH),
                explicit: false,
            },
        }
    }

    /// Reads and parses the file. A missing default file is no file (flags
    /// only); a missing file named with `--config` is an error.
    ///
    /// # Errors
    ///
    /// [`Error::Config`]: unreadable, or a key or value that is wrong (named
    /// with its line).
    /// As root, a file that anyone but root can write (or whose directory
    /// they can) is refused ([`ownership::check_config_file`]).
    pub fn load(&self) -> Result<Option<ConfigFile>> {
        if self.path.exists() {
            ownership::check_config_file(&self.path)?;
        }
        match std::fs::read_to_string(&self.path) {
            Ok(text) => ConfigFile::parse(&text, &self.path).map(Some),
            Err(e) if e.kind() == ErrorKind::NotFound && !self.explicit => Ok(None),
            Err(e) => Err(Error::Config(format!(
                "cannot read the configuration file {}: {e}",
                self.path.display()
            ))),
        }
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
