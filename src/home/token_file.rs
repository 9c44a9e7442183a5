//! The account's API tokens: `~/.liveapid/api_tokens`, one line per token,
//! `name:created:sha256`, where `created` is the Unix time of its creation
//! and `sha256` the lower-case hex SHA-256 of the token. The token itself
//! is never stored (see SECURITY.md).
//!
//! The directory is made 0700 and the file 0600; a change takes the file's
//! lock and replaces it crash-safely, like the mail files.

use super::atomic::{self, NewFileOwner};
use super::confined::ConfinedDir;
use super::lock::{self, LOCK_TIMEOUT};
use crate::error::Result;

/// The directory of liveapid's own files in a home.
pub const DIR: &str = ".liveapid";
/// The token file in [`DIR`].
pub const FILE: &str = "api_tokens";

/// One stored token.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub name: String,
    pub created: u64,
    /// Hex SHA-256 of the token.
    pub sha256: String,
}

/// The name and time only: the digest is not for logs.
impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("name", &self.name)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Parses the file's text; lines that are not `name:created:digest` are
/// skipped (and kept out of every later write).
pub fn parse(text: &str) -> Vec<StoredToken> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let created = fields.next()?.parse().ok()?;
            let sha256 = fields.next()?;
            if name.is_empty() || sha256.len() != 64 || fields.next().is_some() {
                return None;
            }
            Some(StoredToken {
                name: name.to_owned(),
                created,
                sha256: sha256.to_owned(),
            })
        })
        .collect()
}

/// The file's text for `tokens`.
pub fn render(tokens: &[StoredToken]) -> String {
    tokens
        .iter()
        .map(|t| format!("{}:{}:{}\n", t.name, t.created, t.sha256))
        .collect()
}

/// The stored tokens (none when the file or its directory is missing).
///
/// # Errors
///
/// [`crate::Error::Storage`] / [`crate::Error::OutsideHome`].
pub fn read(home: &ConfinedDir) -> Result<Vec<StoredToken>> {
    let Some(dir) = home.open_dir(DIR)? else {
        return Ok(Vec::new());
    };
    Ok(match dir.read(FILE)? {
        Some((bytes, _)) => parse(&String::from_utf8_lossy(&bytes)),
        None => Vec::new(),
    })
}

/// Applies `change` to the stored tokens under the file's lock and writes
/// the result crash-safely; `change`'s own value is returned. Nothing is
/// written when `change` fails.
///
/// # Errors
///
/// `change`'s error, or [`crate::Error::Storage`] / [`crate::Error::OutsideHome`].
pub fn update<T>(
    home: &ConfinedDir,
    change: impl FnOnce(&mut Vec<StoredToken>) -> Result<T>,
) -> Result<T> {
    home.create_dir(DIR, 0o700, None)?;
    let dir = home.open_dir(DIR)?.ok_or_else(|| {
        home.error(
            "open",
            DIR,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })?;
    let _lock = lock::lock_all(&dir, &[FILE], LOCK_TIMEOUT)?;
    let current = dir.read(FILE)?;
    let mut tokens = current
        .as_ref()
        .map(|(bytes, _)| parse(&String::from_utf8_lossy(bytes)))
        .unwrap_or_default();
    let outcome = change(&mut tokens)?;
    let owner = NewFileOwner {
        uid: None,
        gid: None,
        mode: 0o600,
    };
    let staged = atomic::stage(
        &dir,
        FILE,
        render(&tokens).as_bytes(),
        current.as_ref().map(|(_, meta)| meta),
        owner,
    )?;
    staged.commit()?;
    dir.sync()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(name: &str) -> StoredToken {
        StoredToken {
            name: name.into(),
            created: 1_700_000_000,
            sha256: "ab".repeat(32),
        }
    }

    #[test]
    fn lines_round_trip_and_junk_is_dropped() {
        let tokens = vec![token("billing"), token("backup-2")];
        let text = render(&tokens);
        assert_eq!(parse(&text), tokens);
        let junk = format!(
            "{text}broken\nx:notanumber:{}\n:1:{}\n",
            "ab".repeat(32),
            "ab".repeat(32)
        );
        assert_eq!(parse(&junk), tokens);
    }

    #[test]
    fn updates_are_written_privately_and_a_failed_change_writes_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(tmp.path()).unwrap();
        assert!(read(&home).unwrap().is_empty());
        update(&home, |t| {
            t.push(token("a"));
            Ok(())
        })
        .unwrap();
        let failed: Result<()> = update(&home, |t| {
            t.clear();
            Err(crate::Error::NoSuchToken("b".into()))
        });
        assert!(failed.is_err());
        assert_eq!(read(&home).unwrap(), vec![token("a")]);
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&tmp.path().join(DIR)), 0o700);
        assert_eq!(mode(&tmp.path().join(DIR).join(FILE)), 0o600);
    }
}
