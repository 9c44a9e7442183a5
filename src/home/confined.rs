//! The confined handle: the account's home, or a directory beneath it,
//! through which every file under the home is opened.
//!
//! The account owner controls everything in his home and may replace any
//! directory or file there by a symlink. So nothing below the home is ever
//! opened by an absolute path: each operation names a path relative to a
//! [`ConfinedDir`] and goes through `cap_std`, which resolves it beneath
//! that directory (with `openat2(RESOLVE_BENEATH)` where the kernel has it,
//! a component-by-component walk on older kernels such as RHEL 8's 4.18).
//!
//! The rule, for every path: a symlink is followed only when it resolves
//! beneath the directory the path is relative to. `etc/<domain>`,
//! `mail/<domain>` and `mail/<domain>/<localpart>` are resolved beneath the
//! home; a domain's files and lock files beneath its opened directory; a
//! Maildir's contents beneath the Maildir, never following a symlink in a
//! walk or a removal. A path that would lead out is refused with
//! [`Error::OutsideHome`], naming it relative to the home.
//!
//! Every file is opened without blocking and checked on its descriptor
//! before it is read or locked ([`super::file_rules`]): a FIFO, another
//! user's file or one over `--max-file-bytes` is refused with
//! [`Error::UnfitFile`], naming it relative to the home.

use std::fs;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::fs::{Dir, DirBuilder, DirBuilderExt, OpenOptions, OpenOptionsExt};
use rustix::fs::{Gid, Mode, OFlags, Uid};

use super::file_rules::{self, FileRules, Unfit};
use super::stamp::FileStamp;
use crate::error::{Error, Result};

/// A directory handle beneath (or at) an account's home. Cloning shares
/// the open descriptor.
#[derive(Debug, Clone)]
pub struct ConfinedDir {
    /// The descriptor, or why the home could not be opened (only the home
    /// itself can be unopened: see [`ConfinedDir::open_home_or_unopened`]).
    dir: std::result::Result<Arc<Dir>, Arc<io::Error>>,
    /// The home's absolute path: for messages of faults that are not refusals.
    home: Arc<Path>,
    /// This directory relative to the home (empty for the home itself).
    rel: PathBuf,
    /// What a file must be before it is read.
    rules: FileRules,
}

impl ConfinedDir {
    /// Opens the home itself, with the credentials of the caller. The path
    /// comes from the daemon's configuration, so it is trusted as given.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the directory cannot be opened.
    pub fn open_home(home: &Path) -> Result<ConfinedDir> {
        let dir = Dir::open_ambient_dir(home, cap_std::ambient_authority())
            .map_err(|e| Error::storage("open the home directory", home, e))?;
        Ok(ConfinedDir::home_of(dir, home))
    }

    /// The handle on the opened home `dir`, its files expected to be its owner's.
    fn home_of(dir: Dir, home: &Path) -> ConfinedDir {
        let owner = rustix::fs::fstat(&dir)
            .map_or_else(|_| rustix::process::geteuid().as_raw(), |stat| stat.st_uid);
        ConfinedDir {
            dir: Ok(Arc::new(dir)),
            home: Arc::from(home),
            rel: PathBuf::new(),
            rules: FileRules::for_home(owner),
        }
    }

    /// The same handle, reading no file larger than `max_bytes`
    /// (`--max-file-bytes`; [`file_rules::DEFAULT_MAX_FILE_BYTES`] unless set).
    #[must_use]
    pub fn with_max_file_bytes(mut self, max_bytes: u64) -> ConfinedDir {
        self.rules.max_bytes = max_bytes;
        self
    }

    /// The largest file this handle reads.
    pub fn max_file_bytes(&self) -> u64 {
        self.rules.max_bytes
    }

    /// Opens the home, or, when it cannot be opened, a handle whose every
    /// operation fails with the reason.
    pub fn open_home_or_unopened(home: &Path) -> ConfinedDir {
        match Dir::open_ambient_dir(home, cap_std::ambient_authority()) {
            Ok(dir) => ConfinedDir::home_of(dir, home),
            Err(e) => ConfinedDir {
                dir: Err(Arc::new(e)),
                home: Arc::from(home),
                rel: PathBuf::new(),
                rules: FileRules::for_home(rustix::process::geteuid().as_raw()),
            },
        }
    }

    /// Whether this holds a descriptor.
    pub fn is_open(&self) -> bool {
        self.dir.is_ok()
    }

    /// The `cap_std` handle, for walks.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] for a home that could not be opened.
    pub fn cap(&self) -> Result<&Dir> {
        self.dir.as_deref().map_err(|e| {
            Error::storage(
                "open the home directory",
                &*self.home,
                io::Error::new(e.kind(), e.to_string()),
            )
        })
    }

    /// [`ConfinedDir::cap`] for the methods that return an `io::Error`.
    fn cap_io(&self) -> io::Result<&Dir> {
        self.dir
            .as_deref()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))
    }

    /// This directory relative to the home (`etc/example.com`).
    pub fn relative(&self) -> &Path {
        &self.rel
    }

    /// The absolute path of `name` in this directory, for messages and logs.
    pub fn display_path(&self, name: &str) -> PathBuf {
        self.home.join(&self.rel).join(name)
    }

    /// The error for a failed operation on `name` (a path relative to this
    /// directory): [`Error::OutsideHome`] when it was refused because it
    /// leads out, naming the first component that does; else a storage error.
    pub fn error(&self, action: &'static str, name: &str, e: io::Error) -> Error {
        if is_escape(&e) {
            Error::OutsideHome(self.rel.join(self.escaping_prefix(name)))
        } else {
            Error::storage(action, self.display_path(name), e)
        }
    }

    /// The shortest prefix of `name` that leads out, for the message only
    /// (safety does not depend on it: the refusal already happened).
    fn escaping_prefix(&self, name: &str) -> PathBuf {
        prefixes(name)
            .into_iter()
            .find(|p| {
                self.cap_io()
                    .and_then(|d| d.metadata(p))
                    .err()
                    .as_ref()
                    .is_some_and(is_escape)
            })
            .unwrap_or_else(|| PathBuf::from(name))
    }

    /// Opens the directory at `name` beneath this one; `None` when it does
    /// not exist.
    ///
    /// # Errors
    ///
    /// [`Error::OutsideHome`] when it leads out, [`Error::Storage`] else.
    pub fn open_dir(&self, name: &str) -> Result<Option<ConfinedDir>> {
        check_relative(name)?;
        match self.cap()?.open_dir(name) {
            Ok(dir) => Ok(Some(ConfinedDir {
                dir: Ok(Arc::new(dir)),
                home: self.home.clone(),
                rel: self.rel.join(name),
                rules: self.rules,
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("open", name, e)),
        }
    }

    /// Makes the directory `name` (one component) with `mode` exactly (the
    /// umask aside) and, when given, owner and group, set through its
    /// descriptor. `Ok(None)` when it already existed, untouched.
    ///
    /// # Errors
    ///
    /// [`Error::OutsideHome`] / [`Error::Storage`].
    pub fn create_dir(
        &self,
        name: &str,
        mode: u32,
        owner: Option<(u32, u32)>,
    ) -> Result<Option<ConfinedDir>> {
        check_name(name)?;
        let mut builder = DirBuilder::new();
        builder.mode(mode);
        match self.cap()?.create_dir_with(name, &builder) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(self.error("create", name, e)),
        }
        let made = self
            .open_dir(name)?
            .ok_or_else(|| self.error("open", name, io::ErrorKind::NotFound.into()))?;
        let fd = made.io_fd().map_err(|e| self.error("open", name, e))?;
        // The umask may have taken bits away.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
            .map_err(|e| self.error("set the mode of", name, e.into()))?;
        if let Some((uid, gid)) = owner {
            chown(&fd, Some(uid), Some(gid))
                .map_err(|e| self.error("set the owner of", name, e))?;
        }
        Ok(Some(made))
    }

    /// The bytes and metadata of the file `name`, both from one descriptor;
    /// `None` when it does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::UnfitFile`] when it is not a regular file of the account's
    /// within the limits ([`FileRules`]), [`Error::OutsideHome`] /
    /// [`Error::Storage`].
    pub fn read(&self, name: &str) -> Result<Option<(Vec<u8>, fs::Metadata)>> {
        check_name(name)?;
        let mut options = OpenOptions::new();
        options.read(true);
        let file = match self.open_checked(name, &options) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error("read", name, e)),
        };
        let checked = file.metadata().map_err(|e| self.error("read", name, e))?;
        self.rules
            .check(&checked)
            .map_err(|problem| self.unfit(name, problem))?;
        let bytes = file_rules::read_capped(&file, self.rules.max_bytes, checked.len())
            .map_err(|e| self.error("read", name, e))?
            .map_err(|problem| self.unfit(name, problem))?;
        self.rules
            .check_lines(&bytes)
            .map_err(|problem| self.unfit(name, problem))?;
        let meta = file.metadata().map_err(|e| self.error("read", name, e))?;
        Ok(Some((bytes, meta)))
    }

    /// The metadata of the file `name`, read from its descriptor; `None`
    /// when it does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::UnfitFile`] when it is not a regular file of the account's,
    /// [`Error::OutsideHome`] / [`Error::Storage`].
    pub fn metadata(&self, name: &str) -> Result<Option<fs::Metadata>> {
        check_name(name)?;
        let mut options = OpenOptions::new();
        options.read(true);
        let meta = match self.open_checked(name, &options) {
            Ok(file) => file
                .metadata()
                .map_err(|e| self.error("look at", name, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error("look at", name, e)),
        };
        self.rules
            .check_kind(&meta)
            .map_err(|problem| self.unfit(name, problem))?;
        Ok(Some(meta))
    }

    /// The [`FileStamp`] of the file `name` (a symlink is followed while it
    /// stays beneath this directory); `None` when it does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::OutsideHome`] / [`Error::Storage`].
    pub fn stamp(&self, name: &str) -> Result<Option<FileStamp>> {
        check_name(name)?;
        match self.cap()?.metadata(name) {
            Ok(meta) => Ok(Some(FileStamp::of_confined(&meta))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("look at", name, e)),
        }
    }

    /// Opens (creating, mode 0600) the file `name` for reading and
    /// writing, e.g. to lock it: an existing one must be a regular file of
    /// the account's (a FIFO there cannot block the open).
    ///
    /// # Errors
    ///
    /// [`Error::UnfitFile`], [`Error::OutsideHome`], [`Error::Storage`]
    /// (saying it could not `action` the file).
    pub fn open_or_create(&self, action: &'static str, name: &str) -> Result<fs::File> {
        check_name(name)?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).mode(0o600);
        let file = self
            .open_checked(name, &options)
            .map_err(|e| self.error(action, name, e))?;
        let meta = file.metadata().map_err(|e| self.error(action, name, e))?;
        self.rules
            .check_kind(&meta)
            .map_err(|problem| self.unfit(name, problem))?;
        Ok(file)
    }

    /// Opens `name` with `options` and `O_NONBLOCK`, so that a FIFO (or a
    /// device) planted there cannot block the open; the flag is taken off
    /// again before the caller reads (it means nothing to a regular file,
    /// and every caller refuses anything else).
    fn open_checked(&self, name: &str, options: &OpenOptions) -> io::Result<fs::File> {
        let mut options = options.clone();
        options.custom_flags(libc::O_NONBLOCK);
        let file = self.cap_io()?.open_with(name, &options)?.into_std();
        let flags = rustix::fs::fcntl_getfl(&file)?;
        rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
        Ok(file)
    }

    /// The refusal of the file `name`, relative to the home.
    fn unfit(&self, name: &str, problem: Unfit) -> Error {
        Error::UnfitFile {
            path: self.rel.join(name),
            problem,
        }
    }

    /// Creates the new file `name` (mode 0600) for writing; fails if it exists.
    ///
    /// # Errors
    ///
    /// The `io::Error`, for the caller to map with [`ConfinedDir::error`].
    pub fn create_new(&self, name: &str) -> io::Result<fs::File> {
        check_name(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true).mode(0o600);
        Ok(self.cap_io()?.open_with(name, &options)?.into_std())
    }

    /// Renames `from` to `to`, both in this directory. A symlink at `to` is
    /// replaced, never followed.
    ///
    /// # Errors
    ///
    /// [`Error::OutsideHome`] / [`Error::Storage`] naming `to`.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        check_name(from)?;
        check_name(to)?;
        let dir = self.cap()?;
        dir.rename(from, dir, to)
            .map_err(|e| self.error("replace", to, e))
    }

    /// Gives the file `from` the second name `to`, both in this directory,
    /// failing if `to` exists (a symlink there included, and not followed):
    /// `to` appears complete, or not at all.
    ///
    /// # Errors
    ///
    /// The `io::Error` (`AlreadyExists` when `to` exists), for the caller
    /// to map with [`ConfinedDir::error`].
    pub fn link_new(&self, from: &str, to: &str) -> io::Result<()> {
        for name in [from, to] {
            check_name(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        }
        let dir = self.cap_io()?;
        dir.hard_link(from, dir, to)
    }

    /// Removes the file (or symlink) `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn remove_file(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.cap()?
            .remove_file(name)
            .map_err(|e| self.error("remove", name, e))
    }

    /// Removes `name` and everything beneath it, never following a symlink
    /// (a symlink is removed, its target left alone).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn remove_dir_all(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.cap()?
            .remove_dir_all(name)
            .map_err(|e| self.error("remove", name, e))
    }

    /// Whether `name` exists in this directory, as itself (a symlink counts,
    /// wherever it points).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when it cannot be looked at.
    pub fn exists_nofollow(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        match self.cap()?.symlink_metadata(name) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error("look at", name, e)),
        }
    }

    /// Makes the renames in this directory durable.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn sync(&self) -> Result<()> {
        self.io_fd()
            .and_then(|fd| rustix::fs::fsync(&fd).map_err(io::Error::from))
            .map_err(|e| Error::storage("sync the directory", self.display_path(""), e))
    }

    /// Owner and group of this directory.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`].
    pub fn owner(&self) -> Result<(u32, u32)> {
        let stat = rustix::fs::fstat(self.cap()?)
            .map_err(|e| Error::storage("look at", self.display_path(""), e.into()))?;
        Ok((stat.st_uid, stat.st_gid))
    }

    /// A read-only descriptor of this same directory for fsync, fchmod and
    /// fchown: `cap_std` holds directories as `O_PATH` descriptors, which
    /// those calls refuse. `.` names the directory itself, so nothing is resolved.
    fn io_fd(&self) -> io::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(rustix::fs::openat(
            self.cap_io()?,
            ".",
            flags,
            Mode::empty(),
        )?)
    }
}

/// Sets owner and group through a descriptor (`None`: unchanged). Not
/// being root is no failure when the ids asked for are already the file's.
pub(crate) fn chown(fd: impl AsFd, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    let fd = fd.as_fd();
    match rustix::fs::fchown(fd, uid.map(Uid::from_raw), gid.map(Gid::from_raw)) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::PERM) => {
            let stat = rustix::fs::fstat(fd)?;
            if uid.is_none_or(|u| u == stat.st_uid) && gid.is_none_or(|g| g == stat.st_gid) {
                Ok(())
            } else {
                Err(rustix::io::Errno::PERM.into())
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether we run as root (then new files get the account's ids).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether this process may give its files group `gid`: root, or a member
/// (an account's worker is in the group of its mail files, `mail`).
pub fn may_use_group(gid: u32) -> bool {
    is_root()
        || rustix::process::getegid().as_raw() == gid
        || rustix::process::getgroups().is_ok_and(|groups| groups.iter().any(|g| g.as_raw() == gid))
}

/// Whether `cap_std` refused `e` because the path led out of its directory.
/// It reports that as a `PermissionDenied` of its own, with no OS error
/// number (and maps `openat2`'s `EXDEV` to the same); a real `EACCES`
/// carries its number.
fn is_escape(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

/// `a`, `a/b`, `a/b/c` for `a/b/c`.
fn prefixes(path: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut cursor = PathBuf::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        cursor.push(part);
        out.push(cursor.clone());
    }
    out
}

/// A path of plain names (`etc/example.com`): no `..`, `.`, root or empty
/// component. Validated names never hold those; this is the belt to their braces.
fn check_relative(path: &str) -> Result<()> {
    let plain = !path.is_empty()
        && !path.contains('\0')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && !path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    if plain {
        Ok(())
    } else {
        Err(Error::OutsideHome(PathBuf::from(path)))
    }
}

/// One plain name: a path of one component.
fn check_name(name: &str) -> Result<()> {
    check_relative(name)?;
    if name.contains('/') {
        return Err(Error::OutsideHome(PathBuf::from(name)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn escapes_are_told_from_real_permission_errors() {
        let escape = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a path led outside of the filesystem",
        );
        assert!(is_escape(&escape));
        assert!(!is_escape(&io::Error::from_raw_os_error(libc::EACCES)));
        assert!(!is_escape(&io::Error::from(io::ErrorKind::NotFound)));
    }

    #[test]
    fn prefixes_of_a_relative_path() {
        assert_eq!(
            prefixes("mail/example.com/u"),
            ["mail", "mail/example.com", "mail/example.com/u"].map(PathBuf::from)
        );
        assert_eq!(prefixes("etc"), [PathBuf::from("etc")]);
    }

    #[test]
    fn only_plain_relative_names_pass() {
        for good in ["etc", "etc/example.com", ".shadow.liveapid-1-0", "a..b"] {
            assert!(check_relative(good).is_ok(), "{good}");
        }
        for bad in [
            "", "/etc", "..", "etc/..", "./etc", "etc//x", "etc/", "a\0b", "etc/.",
        ] {
            assert!(check_relative(bad).is_err(), "{bad:?}");
        }
        assert!(check_name("shadow").is_ok());
        assert!(check_name("etc/shadow").is_err());
    }

    #[test]
    fn a_link_out_is_refused_naming_its_relative_path_and_one_within_is_followed() {
        let scratch = tempfile::tempdir().unwrap();
        let home_path = scratch.path().join("home");
        let outside = scratch.path().join("outside");
        fs::create_dir_all(home_path.join("real/d")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("shadow"), b"root:x\n").unwrap();
        symlink(&outside, home_path.join("etc")).unwrap();
        symlink("../outside", home_path.join("mail")).unwrap();
        symlink("real", home_path.join("inside")).unwrap();
        symlink(outside.join("shadow"), home_path.join("real/d/shadow")).unwrap();
        let home = ConfinedDir::open_home(&home_path).unwrap();

        for (path, named) in [("etc/example.com", "etc"), ("mail", "mail")] {
            let err = home.open_dir(path).unwrap_err();
            assert!(
                matches!(&err, Error::OutsideHome(p) if p == Path::new(named)),
                "{path}: {err}"
            );
        }
        let d = home.open_dir("inside/d").unwrap().unwrap();
        assert_eq!(d.relative(), Path::new("inside/d"));
        let err = d.read("shadow").unwrap_err();
        assert_eq!(
            err.to_string(),
            "The system refused to use “inside/d/shadow”: it leads outside the account's home directory."
        );
        assert!(err.is_input_error());
        assert!(home.open_dir("nothing/here").unwrap().is_none());
        assert!(d.read("passwd").unwrap().is_none());
        // Creating through a dangling link out makes nothing outside.
        symlink(outside.join("made"), home_path.join("real/d/x.lock")).unwrap();
        assert!(d.open_or_create("open", "x.lock").is_err());
        assert!(!outside.join("made").exists());
    }

    #[test]
    fn create_dir_sets_the_exact_mode_and_keeps_an_existing_one() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = tempfile::tempdir().unwrap();
        let home = ConfinedDir::open_home(scratch.path()).unwrap();
        let made = home.create_dir("mail", 0o751, None).unwrap().unwrap();
        assert_eq!(made.relative(), Path::new("mail"));
        let mode = fs::metadata(scratch.path().join("mail"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o751);
        assert!(home.create_dir("mail", 0o700, None).unwrap().is_none());
    }

    #[test]
    fn remove_dir_all_removes_links_not_their_targets() {
        let scratch = tempfile::tempdir().unwrap();
        let outside = scratch.path().join("outside");
        fs::create_dir_all(outside.join("keep")).unwrap();
        fs::write(outside.join("keep/file"), b"x").unwrap();
        let home_path = scratch.path().join("home");
        fs::create_dir_all(home_path.join("box/cur")).unwrap();
        symlink(&outside, home_path.join("box/cur/dir-link")).unwrap();
        symlink(outside.join("keep/file"), home_path.join("box/file-link")).unwrap();
        let home = ConfinedDir::open_home(&home_path).unwrap();
        home.remove_dir_all("box").unwrap();
        assert!(!home_path.join("box").exists());
        assert_eq!(fs::read(outside.join("keep/file")).unwrap(), b"x");
        // A top-level link is removed as a link.
        symlink(&outside, home_path.join("link")).unwrap();
        home.remove_dir_all("link").unwrap();
        assert!(outside.join("keep/file").exists());
    }

    #[test]
    fn a_fifo_a_large_file_or_a_directory_is_refused_at_once_by_its_relative_path() {
        let scratch = tempfile::tempdir().unwrap();
        let etc = scratch.path().join("etc/example.com");
        fs::create_dir_all(&etc).unwrap();
        let fifo = rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR;
        for name in ["shadow", "shadow.lock"] {
            rustix::fs::mkfifoat(rustix::fs::CWD, etc.join(name), fifo).unwrap();
        }
        // Sparse: a terabyte's size costs nothing to make, and is never read.
        fs::File::create(etc.join("passwd"))
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
        fs::create_dir(etc.join("quota")).unwrap();
        fs::write(etc.join("small"), b"0123456789").unwrap();
        let home = ConfinedDir::open_home(scratch.path())
            .unwrap()
            .with_max_file_bytes(10);
        let d = home.open_dir("etc/example.com").unwrap().unwrap();
        assert_eq!(
            d.max_file_bytes(),
            10,
            "a directory opened beneath keeps the limit"
        );
        let text = |e: Error| {
            assert!(e.is_input_error() && e.is_security_refusal(), "{e}");
            e.to_string()
        };
        assert_eq!(
            text(d.read("shadow").unwrap_err()),
            "The system refused to read “etc/example.com/shadow”: it is a FIFO, not a regular file."
        );
        assert_eq!(
            text(d.metadata("shadow").unwrap_err()),
            "The system refused to read “etc/example.com/shadow”: it is a FIFO, not a regular file."
        );
        assert_eq!(
            text(d.open_or_create("open the lock file", "shadow.lock").unwrap_err()),
            "The system refused to read “etc/example.com/shadow.lock”: it is a FIFO, not a regular file."
        );
        assert_eq!(
            text(d.read("passwd").unwrap_err()),
            "The system refused to read “etc/example.com/passwd”: it is larger than the limit of 10 bytes (--max-file-bytes)."
        );
        assert!(
            d.metadata("passwd").unwrap().is_some(),
            "looking is no read"
        );
        assert_eq!(
            text(d.read("quota").unwrap_err()),
            "The system refused to read “etc/example.com/quota”: it is a directory, not a regular file."
        );
        assert_eq!(d.read("small").unwrap().unwrap().0, b"0123456789");
        // A FIFO where a directory is expected: refused, not waited on.
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            scratch.path().join("etc/example.net"),
            fifo,
        )
        .unwrap();
        assert!(home.open_dir("etc/example.net").is_err());
    }
}
