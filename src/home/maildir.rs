//! A mailbox's Maildir, `~/mail/<domain>/<localpart>/{cur,new,tmp}`
//! (docs/email.md §3.1: mode 0751, owned by the cPanel user).
//!
//! Everything goes through handles confined beneath the home
//! ([`super::confined`]): `mail/<domain>` is opened beneath the home, the
//! Maildir beneath it; a walk or a removal never follows a symlink.

use std::time::{SystemTime, UNIX_EPOCH};

use cap_std::fs::{MetadataExt, ReadDir};

use super::confined::ConfinedDir;
use super::file_rules::{Unfit, MAX_WALK_DEPTH, MAX_WALK_ENTRIES};
use crate::error::Result;

const MODE: u32 = 0o751;

/// `mail/<domain>`, relative to the home.
fn domain_dir(domain: &str) -> String {
    format!("mail/{domain}")
}

/// Opens `mail/<domain>` beneath the home; `None` when it does not exist.
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when `mail` or `mail/<domain>` leads out.
pub fn open_domain(home: &ConfinedDir, domain: &str) -> Result<Option<ConfinedDir>> {
    home.open_dir(&domain_dir(domain))
}

/// Opens `mail/<domain>`, making `mail` and `mail/<domain>` first where
/// missing (0751, owned by `owner` when given).
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] / [`crate::Error::Storage`].
pub fn open_or_create_domain(
    home: &ConfinedDir,
    domain: &str,
    owner: Option<(u32, u32)>,
) -> Result<ConfinedDir> {
    let mail = match home.create_dir("mail", MODE, owner)? {
        Some(made) => made,
        None => existing(home, "mail")?,
    };
    mail.create_dir(domain, MODE, owner)?;
    // Opened beneath the home, like every other use of it.
    existing(home, &domain_dir(domain))
}

fn existing(dir: &ConfinedDir, name: &str) -> Result<ConfinedDir> {
    dir.open_dir(name)?.ok_or_else(|| {
        dir.error(
            "open",
            name,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })
}

/// Creates the Maildir `localpart` in the opened `mail/<domain>` with its
/// `cur`, `new` and `tmp`, each 0751 and owned by `owner` when given.
/// `Ok(true)` when it was created, `Ok(false)` when it already existed (its
/// mail is kept; missing subdirectories are added).
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when an existing Maildir leads out,
/// [`crate::Error::Storage`] when a directory cannot be made.
pub fn create(
    mail_domain: &ConfinedDir,
    localpart: &str,
    owner: Option<(u32, u32)>,
) -> Result<bool> {
    let (maildir, made) = match mail_domain.create_dir(localpart, MODE, owner)? {
        Some(made) => (made, true),
        None => (existing(mail_domain, localpart)?, false),
    };
    for sub in ["cur", "new", "tmp"] {
        if maildir.open_dir(sub)?.is_none() {
            maildir.create_dir(sub, MODE, owner)?;
        }
    }
    Ok(made)
}

/// Moves the Maildir `localpart` of the opened `mail/<domain>` out of the
/// way, to a name no mailbox can have (a localpart never starts with a
/// dot), so that removing it later cannot race a new mailbox of the same
/// name. `Ok(None)` when there is nothing there.
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when the Maildir is a symlink leading
/// out, [`crate::Error::Storage`] when the rename fails.
pub fn move_aside(mail_domain: &ConfinedDir, localpart: &str) -> Result<Option<String>> {
    if !mail_domain.exists_nofollow(localpart)? {
        return Ok(None);
    }
    // Refuses a Maildir that leads out, so the call fails rather than
    // deleting a link as if it were the mail.
    mail_domain.open_dir(localpart)?;
    let aside = aside_name(localpart, SystemTime::now());
    mail_domain.rename(localpart, &aside)?;
    Ok(Some(aside))
}

/// `.liveapid-deleted-<localpart>-<pid>-<nanos>`.
fn aside_name(localpart: &str, now: SystemTime) -> String {
    let stamp = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!(
        ".liveapid-deleted-{localpart}-{}-{stamp}",
        std::process::id()
    )
}

/// Bytes used by the files of the Maildir `mail/<domain>/<localpart>` and
/// the newest modification time (seconds since the epoch), as cPanel
/// reports them; zero for a missing Maildir. Each entry is only `lstat`ed,
/// never opened (a FIFO costs nothing), and symlinks are counted as
/// themselves, never followed. The walk holds one descriptor per level and
/// stops at [`MAX_WALK_DEPTH`] levels or [`MAX_WALK_ENTRIES`] entries.
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when the Maildir (or a directory above it)
/// leads outside the home: nothing outside is measured;
/// [`crate::Error::UnfitFile`] when it is deeper or larger than the walk's bounds.
pub fn disk_usage(home: &ConfinedDir, domain: &str, localpart: &str) -> Result<(u64, u64)> {
    let relative = format!("{}/{localpart}", domain_dir(domain));
    let Some(maildir) = home.open_dir(&relative)? else {
        return Ok((0, 0));
    };
    let too_big = || crate::Error::UnfitFile {
        path: relative.clone().into(),
        problem: Unfit::TooManyEntries {
            entries: MAX_WALK_ENTRIES,
            depth: MAX_WALK_DEPTH,
        },
    };
    let (mut bytes, mut newest, mut seen) = (0u64, 0u64, 0u64);
    let mut levels: Vec<ReadDir> = match maildir.cap()?.entries() {
        Ok(entries) => vec![entries],
        Err(_) => return Ok((0, 0)),
    };
    while let Some(level) = levels.last_mut() {
        let Some(entry) = level.next() else {
            levels.pop();
            continue;
        };
        let Ok(entry) = entry else { continue };
        seen += 1;
        if seen > MAX_WALK_ENTRIES {
            return Err(too_big());
        }
        // The entry itself (lstat), never what a symlink points at.
        let Ok(meta) = entry.metadata() else { continue };
        newest = newest.max(u64::try_from(meta.mtime()).unwrap_or(0));
        if meta.is_dir() {
            if levels.len() >= MAX_WALK_DEPTH {
                return Err(too_big());
            }
            // Opened beneath its parent: a swap to a symlink cannot lead out.
            if let Ok(sub) = entry.open_dir().and_then(|d| d.entries()) {
                levels.push(sub);
            }
        } else {
            bytes += meta.len();
        }
    }
    Ok((bytes, newest))
}

/// Removes a Maildir moved aside by [`move_aside`], never following a
/// symlink inside it.
///
/// # Errors
///
/// [`crate::Error::Storage`].
pub fn remove_aside(mail_domain: &ConfinedDir, aside: &str) -> Result<()> {
    mail_domain.remove_dir_all(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::path::Path;

    #[test]
    fn creates_parents_and_subdirectories_with_cpanels_mode() {
        let dir = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(dir.path()).unwrap();
        let root = dir.path().join("mail");
        let path = root.join("example.com/user");
        let mail_domain = open_or_create_domain(&home, "example.com", None).unwrap();
        assert_eq!(mail_domain.relative(), Path::new("mail/example.com"));
        assert!(create(&mail_domain, "user", None).unwrap());
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
            !create(&mail_domain, "user", None).unwrap(),
            "an existing Maildir is kept"
        );
        assert_eq!(disk_usage(&home, "example.com", "user").unwrap().0, 5);
        assert_eq!(disk_usage(&home, "example.com", "none").unwrap(), (0, 0));
        let aside = move_aside(&mail_domain, "user").unwrap().unwrap();
        assert!(
            !path.exists()
                && root
                    .join("example.com")
                    .join(&aside)
                    .join("new/1.msg")
                    .exists()
        );
        assert!(aside.starts_with(".liveapid-deleted-user-"));
        assert_eq!(move_aside(&mail_domain, "user").unwrap(), None);
        remove_aside(&mail_domain, &aside).unwrap();
        assert!(!root.join("example.com").join(&aside).exists());
    }

    #[test]
    fn links_out_are_refused_and_not_measured() {
        let scratch = tempfile::tempdir().unwrap();
        let outside = scratch.path().join("outside");
        fs::create_dir_all(outside.join("cur")).unwrap();
        fs::write(outside.join("cur/big"), vec![0u8; 4096]).unwrap();
        let home_path = scratch.path().join("home");
        fs::create_dir_all(home_path.join("mail/example.com/u/cur")).unwrap();
        symlink(&outside, home_path.join("mail/example.com/link")).unwrap();
        symlink(&outside, home_path.join("mail/example.com/u/cur/in")).unwrap();
        let home = ConfinedDir::open_home(&home_path).unwrap();
        let err = disk_usage(&home, "example.com", "link").unwrap_err();
        assert!(
            matches!(&err, crate::Error::OutsideHome(p) if p == Path::new("mail/example.com/link")),
            "{err}"
        );
        let (bytes, _) = disk_usage(&home, "example.com", "u").unwrap();
        assert!(bytes < 4096, "a link inside counts as itself: {bytes}");
        let mail_domain = open_domain(&home, "example.com").unwrap().unwrap();
        assert!(move_aside(&mail_domain, "link").is_err());
        assert!(create(&mail_domain, "link", None).is_err());
        symlink(&outside, home_path.join("mail/example.net")).unwrap();
        let err = open_or_create_domain(&home, "example.net", None).unwrap_err();
        assert!(
            matches!(&err, crate::Error::OutsideHome(p) if p == Path::new("mail/example.net")),
            "{err}"
        );
        assert_eq!(
            fs::read_dir(&outside).unwrap().count(),
            1,
            "nothing made outside"
        );
        assert!(aside_name("u", UNIX_EPOCH).ends_with("-0"));
    }

    #[test]
    fn a_walk_only_looks_at_entries_and_stops_at_its_depth() {
        let scratch = tempfile::tempdir().unwrap();
        let maildir = scratch.path().join("mail/example.com/u");
        fs::create_dir_all(maildir.join("cur")).unwrap();
        fs::write(maildir.join("cur/1.msg"), b"hello").unwrap();
        // A FIFO is measured by lstat: opening it would block for ever.
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            maildir.join("cur/fifo"),
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        let home = ConfinedDir::open_home(scratch.path()).unwrap();
        assert_eq!(disk_usage(&home, "example.com", "u").unwrap().0, 5);
        let mut deep = maildir.join("new");
        for level in 0..MAX_WALK_DEPTH {
            deep = deep.join(format!("d{level}"));
        }
        fs::create_dir_all(&deep).unwrap();
        let err = disk_usage(&home, "example.com", "u").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "The system refused to read “mail/example.com/u”: it holds more than {MAX_WALK_ENTRIES} files or is deeper than {MAX_WALK_DEPTH} directories."
            )
        );
    }
}
