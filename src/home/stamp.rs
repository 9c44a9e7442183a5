//! What a file looks like from outside: enough to tell that it was replaced
//! or changed without reading it, for the caches of the account view and
//! of a domain's mail files (docs/email.md §9.13).
//!
//! Dovecot reloads a passwd-file when its whole-second mtime or its size
//! changes; a cache here compares more: device, inode, size, and mtime and
//! ctime to the nanosecond. Every replacement liveapid makes is a new inode
//! (temp file + rename) with a later whole-second mtime
//! ([`super::atomic::next_mtime`]), so two versions it wrote never compare
//! equal; another tool's in-place write changes the size or a time.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;

/// A file's identity and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    /// The stamp of a file whose metadata was read from its descriptor.
    pub fn of(meta: &Metadata) -> FileStamp {
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// The same, from the metadata `cap_std` returns for a confined path.
    pub fn of_confined(meta: &cap_std::fs::Metadata) -> FileStamp {
        use cap_std::fs::MetadataExt as _;
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// A compact text form, for the worker's channel to its supervisor.
    pub fn to_token(self) -> String {
        format!(
            "{}.{}.{}.{}.{}.{}.{}",
            self.dev, self.ino, self.size, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }

    /// Parses [`FileStamp::to_token`]'s form; `None` for anything else.
    pub fn from_token(token: &str) -> Option<FileStamp> {
        let mut parts = token.split('.');
        let mut next = || parts.next()?.parse::<i128>().ok();
        let (dev, ino, size) = (next()?, next()?, next()?);
        let mtime = (next()?, next()?);
        let ctime = (next()?, next()?);
        let stamp = FileStamp {
            dev: u64::try_from(dev).ok()?,
            ino: u64::try_from(ino).ok()?,
            size: u64::try_from(size).ok()?,
            mtime: (i64::try_from(mtime.0).ok()?, i64::try_from(mtime.1).ok()?),
            ctime: (i64::try_from(ctime.0).ok()?, i64::try_from(ctime.1).ok()?),
        };
        parts.next().is_none().then_some(stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_changes_with_a_replacement_and_survives_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shadow");
        std::fs::write(&path, b"a:1\n").unwrap();
        let first = FileStamp::of(&std::fs::metadata(&path).unwrap());
        assert_eq!(FileStamp::from_token(&first.to_token()), Some(first));
        assert_eq!(FileStamp::of(&std::fs::metadata(&path).unwrap()), first);
        // Same size, same second, new inode: still a different version.
        let temp = dir.path().join("shadow.new");
        std::fs::write(&temp, b"a:2\n").unwrap();
        std::fs::rename(&temp, &path).unwrap();
        assert_ne!(FileStamp::of(&std::fs::metadata(&path).unwrap()), first);
        assert_eq!(FileStamp::from_token("1.2.3"), None);
        assert_eq!(FileStamp::from_token("1.2.3.4.5.6.7.8"), None);
    }
}
