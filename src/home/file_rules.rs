//! What a file under the home must be before a byte of it is read: a
//! regular file, the account's own, no larger than `--max-file-bytes`.
//!
//! The account owner controls his home. A FIFO where `shadow` should be
//! would block an `open()` for ever, and a sparse file of terabytes costs
//! nothing to make; a file hard-linked from another account (where the
//! kernel allows it) would be read as if it were his. So every file is
//! opened with `O_NONBLOCK` (a FIFO's open returns at once), checked on its
//! descriptor with `fstat`, and read through [`read_capped`], which never
//! holds more than the limit plus one byte, however much the file grows
//! meanwhile.

use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};

/// The default of `--max-file-bytes`: 64 MiB. A domain of 100 000
/// mailboxes has a `shadow` of about 13 MB (a line of a 9-letter name
/// and a SHA-512-crypt hash is 129 bytes) and a smaller `passwd`; 64 MiB
/// is five times that, and what a worker holds while reading and parsing
/// one file stays a few times this (SECURITY.md).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;

/// The shortest average line a file at the limit may have: each line is
/// held as its own allocation once parsed (about 60 bytes of bookkeeping,
/// index included), so a file of empty lines would cost dozens of times
/// its size. Real lines are longer: a `shadow` line is about 110 bytes, a
/// `passwd` line about 80, a `quota` line 10 or more with far fewer of
/// them than the limit allows (64 MiB / 64 is a million lines, ten times
/// a 100 000-mailbox domain).
pub const MIN_BYTES_PER_LINE: u64 = 64;

/// The most entries one Maildir walk looks at (one `lstat` each) and the
/// deepest it goes: a Maildir is three levels (`cur`, `new`, `tmp`, and
/// Maildir++ folders with their own), so depth 16 is room to spare; a
/// million entries is far past any real mailbox.
pub const MAX_WALK_ENTRIES: u64 = 1_000_000;
pub const MAX_WALK_DEPTH: usize = 16;

/// Why a file under the home was not read: declared beside the one error
/// type, which carries it, so that `error` names no other module.
pub use crate::error::Unfit;

/// The rules every file read beneath one home follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRules {
    /// The largest file read, in bytes.
    pub max_bytes: u64,
    /// The uids a file may belong to: the home's owner and this process's
    /// effective uid (the same for a worker; root acting on a home, as
    /// `liveapid account add` does, also reads the account's files).
    pub owners: [u32; 2],
}

impl FileRules {
    /// The rules for a home owned by `home_owner`, read by this process.
    pub fn for_home(home_owner: u32) -> FileRules {
        FileRules {
            max_bytes: DEFAULT_MAX_FILE_BYTES,
            owners: [home_owner, rustix::process::geteuid().as_raw()],
        }
    }

    /// Whether the file described by `meta` (from `fstat` on its open
    /// descriptor) may be read.
    ///
    /// # Errors
    ///
    /// What is wrong with it: its kind first, then its owner, then its size.
    pub fn check(&self, meta: &std::fs::Metadata) -> Result<(), Unfit> {
        self.check_kind(meta)?;
        if meta.len() > self.max_bytes {
            return Err(Unfit::TooLarge(self.max_bytes));
        }
        Ok(())
    }

    /// Whether `bytes`, as read, have few enough lines to be parsed:
    /// one per [`MIN_BYTES_PER_LINE`] bytes of the limit.
    ///
    /// # Errors
    ///
    /// [`Unfit::TooManyLines`].
    pub fn check_lines(&self, bytes: &[u8]) -> Result<(), Unfit> {
        let max = self.max_bytes / MIN_BYTES_PER_LINE;
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if lines > max {
            return Err(Unfit::TooManyLines {
                lines: max,
                bytes_per_line: MIN_BYTES_PER_LINE,
            });
        }
        Ok(())
    }

    /// [`FileRules::check`] without the size: for files only locked or
    /// looked at, never read.
    ///
    /// # Errors
    ///
    /// The file's kind or owner.
    pub fn check_kind(&self, meta: &std::fs::Metadata) -> Result<(), Unfit> {
        let kind = meta.file_type();
        if !kind.is_file() {
            return Err(Unfit::NotRegular(kind_name(&kind)));
        }
        if !self.owners.contains(&meta.uid()) {
            return Err(Unfit::ForeignOwner(meta.uid()));
        }
        Ok(())
    }
}

/// “a FIFO”, “a directory”...: for messages.
fn kind_name(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "something else"
    }
}

/// Every byte of `reader`, if there are at most `max` of them; `expected`
/// (the size `fstat` gave) sizes the buffer once, so it is not doubled as
/// it fills. At most `max + 1` bytes are ever read or held.
///
/// # Errors
///
/// `Ok(Err(Unfit::TooLarge))` when there are more than `max` bytes (the
/// file grew after its check), the reader's own error else.
pub fn read_capped(
    reader: impl Read,
    max: u64,
    expected: u64,
) -> io::Result<Result<Vec<u8>, Unfit>> {
    let room = usize::try_from(expected.min(max).saturating_add(1)).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(room);
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Err(Unfit::TooLarge(max)));
    }
    Ok(Ok(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn me() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[test]
    fn a_read_stops_one_byte_past_the_limit() {
        assert_eq!(
            read_capped(&b"abcd"[..], 4, 4).unwrap(),
            Ok(b"abcd".to_vec())
        );
        assert_eq!(read_capped(&b""[..], 4, 0).unwrap(), Ok(Vec::new()));
        // A file that grew after its fstat: refused, not read on.
        assert_eq!(
            read_capped(&b"abcde"[..], 4, 2).unwrap(),
            Err(Unfit::TooLarge(4))
        );
        // An endless reader is read up to the limit and one byte, no more.
        let mut endless = io::repeat(b'x');
        let mut counted = CountingReader(&mut endless, 0);
        assert_eq!(
            read_capped(&mut counted, 1000, u64::MAX).unwrap(),
            Err(Unfit::TooLarge(1000))
        );
        assert_eq!(counted.1, 1001);
    }

    struct CountingReader<'a>(&'a mut io::Repeat, u64);

    impl Read for CountingReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n as u64;
            Ok(n)
        }
    }

    #[test]
    fn only_a_regular_file_of_an_allowed_owner_within_the_limit_passes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shadow");
        std::fs::write(&file, b"0123456789").unwrap();
        let rules = FileRules {
            max_bytes: 10,
            owners: [me(), me()],
        };
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(rules.check(&meta), Ok(()));
        let small = FileRules {
            max_bytes: 9,
            ..rules
        };
        assert_eq!(small.check(&meta), Err(Unfit::TooLarge(9)));
        assert_eq!(small.check_kind(&meta), Ok(()), "the size is not its kind");
        let lines = FileRules {
            max_bytes: 2 * MIN_BYTES_PER_LINE,
            ..rules
        };
        assert_eq!(lines.check_lines(b"a\nb\nc"), Ok(()));
        assert_eq!(
            lines.check_lines(b"\n\n\n"),
            Err(Unfit::TooManyLines {
                lines: 2,
                bytes_per_line: MIN_BYTES_PER_LINE
            })
        );
        let stranger = FileRules {
            owners: [me().wrapping_add(1); 2],
            ..rules
        };
        assert_eq!(stranger.check(&meta), Err(Unfit::ForeignOwner(me())));
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR).unwrap();
        let meta = std::fs::metadata(&fifo).unwrap();
        assert_eq!(rules.check(&meta), Err(Unfit::NotRegular("a FIFO")));
        let meta = std::fs::metadata(dir.path()).unwrap();
        assert_eq!(rules.check(&meta), Err(Unfit::NotRegular("a directory")));
        assert_eq!(
            Unfit::TooLarge(9).to_string(),
            "it is larger than the limit of 9 bytes (--max-file-bytes)"
        );
        // Mode does not matter to the rules: only kind, owner and size.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
        assert_eq!(rules.check(&std::fs::metadata(&file).unwrap()), Ok(()));
    }
}
