//! The mail layout in an account's home, as cPanel has it (docs/email.md
//! §3.1): `etc/` and `etc/<domain>/` owner:mail 0750 with empty `passwd`,
//! `shadow` and `quota` owner:mail 0640; `mail/` and `mail/<domain>/`
//! owner:owner's group 0751.
//!
//! The home belongs to the account's owner, who may have planted symlinks
//! in it: everything goes through the confined handle on the home, so a
//! path that leads out is refused ([`crate::Error::OutsideHome`]) before
//! anything is made through it. What exists is kept as it is: an existing
//! directory or file is never given another owner or mode (a file could
//! be a hard link to one outside the home).

use std::path::PathBuf;

use crate::error::Result;
use crate::home::atomic::{self, NewFileOwner};
use crate::home::ConfinedDir;

/// The per-domain mail files, made empty.
const MAIL_FILES: [&str; 3] = ["passwd", "shadow", "quota"];
const ETC_MODE: u32 = 0o750;
const FILE_MODE: u32 = 0o640;
const MAIL_MODE: u32 = 0o751;

/// Whose the new directories and files are.
#[derive(Debug, Clone, Copy)]
pub struct Owners {
    /// The account's uid and primary gid.
    pub uid: u32,
    pub gid: u32,
    /// The `mail` group, of everything under `etc/`.
    pub mail_gid: u32,
}

/// Makes what is missing of the layout for `domains`; the paths made,
/// relative to the home.
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when `etc`, `mail` or a domain's
/// directory leads out of the home; [`crate::Error::Storage`].
pub fn lay_out(home: &ConfinedDir, domains: &[String], owners: Owners) -> Result<Vec<PathBuf>> {
    let mut made = Vec::new();
    let etc_owner = Some((owners.uid, owners.mail_gid));
    let mail_owner = Some((owners.uid, owners.gid));
    let etc = ensure_dir(home, "etc", ETC_MODE, etc_owner, &mut made)?;
    let mail = ensure_dir(home, "mail", MAIL_MODE, mail_owner, &mut made)?;
    for domain in domains {
        let domain_etc = ensure_dir(&etc, domain, ETC_MODE, etc_owner, &mut made)?;
        let file_owner = NewFileOwner {
            uid: Some(owners.uid),
            gid: Some(owners.mail_gid),
            mode: FILE_MODE,
        };
        for name in MAIL_FILES {
            // Linked into place only if absent: a file there is kept.
            if atomic::stage(&domain_etc, name, b"", None, file_owner)?.commit_if_absent()? {
                made.push(domain_etc.relative().join(name));
            }
        }
        domain_etc.sync()?;
        ensure_dir(&mail, domain, MAIL_MODE, mail_owner, &mut made)?;
    }
    Ok(made)
}

/// Removes `etc/<domain>/` and `mail/<domain>/` of each domain, never
/// following a symlink (a link is removed, not what it points to); the
/// paths removed, relative to the home.
///
/// # Errors
///
/// [`crate::Error::OutsideHome`] when `etc` or `mail` leads out of the
/// home; [`crate::Error::Storage`].
pub fn remove_domains(home: &ConfinedDir, domains: &[String]) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for top in ["mail", "etc"] {
        let Some(dir) = home.open_dir(top)? else {
            continue;
        };
        for domain in domains {
            if dir.exists_nofollow(domain)? {
                dir.remove_dir_all(domain)?;
                removed.push(dir.relative().join(domain));
            }
        }
        dir.sync()?;
    }
    Ok(removed)
}

/// The directory `name` in `parent`, made with `mode` and `owner` when
/// missing (and recorded in `made`), else opened as it is.
fn ensure_dir(
    parent: &ConfinedDir,
    name: &str,
    mode: u32,
    owner: Option<(u32, u32)>,
    made: &mut Vec<PathBuf>,
) -> Result<ConfinedDir> {
    if let Some(dir) = parent.create_dir(name, mode, owner)? {
        parent.sync()?;
        made.push(dir.relative().to_owned());
        return Ok(dir);
    }
    parent.open_dir(name)?.ok_or_else(|| {
        parent.error(
            "open",
            name,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn owners() -> Owners {
        // Our own ids: no root needed to give files to them.
        let (uid, gid) = (
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        );
        Owners {
            uid,
            gid,
            mail_gid: gid,
        }
    }

    #[test]
    fn lays_out_each_domain_with_cpanels_modes_and_keeps_what_exists() {
        let scratch = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(scratch.path()).unwrap();
        let domains = vec!["example.com".to_owned(), "example.org".to_owned()];
        std::fs::create_dir_all(scratch.path().join("etc/example.org")).unwrap();
        std::fs::write(scratch.path().join("etc/example.org/shadow"), b"kept:x\n").unwrap();
        let made = lay_out(&home, &domains, owners()).unwrap();
        let mode = |p: &str| std::fs::metadata(scratch.path().join(p)).unwrap().mode() & 0o7777;
        assert_eq!(mode("etc/example.com"), 0o750);
        assert_eq!(mode("etc/example.com/shadow"), 0o640);
        assert_eq!(mode("mail"), 0o751);
        assert_eq!(mode("mail/example.org"), 0o751);
        assert_eq!(
            std::fs::read(scratch.path().join("etc/example.org/shadow")).unwrap(),
            b"kept:x\n"
        );
        assert!(made.contains(&PathBuf::from("etc/example.org/passwd")));
        assert!(!made.contains(&PathBuf::from("etc/example.org/shadow")));
        assert!(!made.contains(&PathBuf::from("etc")), "etc existed");
        // Again: nothing left to make.
        assert!(lay_out(&home, &domains, owners()).unwrap().is_empty());

        let removed = remove_domains(&home, &domains[..1]).unwrap();
        assert_eq!(
            removed,
            ["mail/example.com", "etc/example.com"].map(PathBuf::from)
        );
        assert!(scratch.path().join("etc/example.org/shadow").exists());
    }

    #[test]
    fn an_etc_link_out_of_the_home_is_refused_and_nothing_is_made_there() {
        let scratch = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), scratch.path().join("etc")).unwrap();
        let home = ConfinedDir::open_home(scratch.path()).unwrap();
        let err = lay_out(&home, &["example.com".to_owned()], owners()).unwrap_err();
        assert!(matches!(err, crate::Error::OutsideHome(_)), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        let err = remove_domains(&home, &["example.com".to_owned()]).unwrap_err();
        assert!(matches!(err, crate::Error::OutsideHome(_)), "{err}");
    }
}
