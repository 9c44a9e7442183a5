//! One colon-separated account file (`passwd`, `shadow` or `quota`) held as
//! its exact lines, so that every line liveapid does not change is written
//! back byte for byte.

use std::collections::HashMap;
use std::fs::Metadata;
use std::sync::OnceLock;

/// Files of fewer lines are searched line by line; longer ones get an index.
const INDEX_FROM: usize = 32;

/// A file's lines, each with its own line ending (the last may have none).
#[derive(Debug, Clone, Default)]
pub struct LineFile {
    lines: Vec<Vec<u8>>,
    /// The first line of each name, built by the first lookup in a long
    /// file and kept while no line moves, so a batch of changes in a
    /// 100 000-mailbox domain costs one pass, not one per change.
    index: OnceLock<HashMap<Vec<u8>, usize>>,
    /// The file's metadata when read; `None` if it did not exist.
    pub(crate) metadata: Option<Metadata>,
    /// The bytes as read, to put back if a later file of the same commit fails.
    original: Vec<u8>,
    changed: bool,
}

impl LineFile {
    /// Splits `bytes` into lines.
    pub fn new(bytes: &[u8], metadata: Option<Metadata>) -> LineFile {
        LineFile::from_vec(bytes.to_vec(), metadata)
    }

    /// [`LineFile::new`], keeping `bytes` as the original without a copy.
    pub fn from_vec(bytes: Vec<u8>, metadata: Option<Metadata>) -> LineFile {
        let lines = bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        LineFile {
            lines,
            index: OnceLock::new(),
            metadata,
            original: bytes,
            changed: false,
        }
    }

    /// Records that `bytes` (this file's [`LineFile::to_bytes`]) are now on
    /// disk, with `metadata`: the state a later batch starts from.
    pub(crate) fn committed(&mut self, bytes: Vec<u8>, metadata: Metadata) {
        self.original = bytes;
        self.metadata = Some(metadata);
        self.changed = false;
    }

    /// Whether the file existed when read.
    pub fn existed(&self) -> bool {
        self.metadata.is_some()
    }

    /// Whether a line was changed, added or removed.
    pub fn is_changed(&self) -> bool {
        self.changed
    }

    /// The index of the line whose first field is `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        if self.lines.len() < INDEX_FROM && self.index.get().is_none() {
            return self
                .lines
                .iter()
                .position(|line| first_field(line) == name.as_bytes());
        }
        self.index
            .get_or_init(|| {
                let mut index = HashMap::with_capacity(self.lines.len());
                for (i, line) in self.lines.iter().enumerate() {
                    index.entry(first_field(line).to_vec()).or_insert(i);
                }
                index
            })
            .get(name.as_bytes())
            .copied()
    }

    /// Field `n` (0-based) of line `index`, without the line ending.
    pub fn field(&self, index: usize, n: usize) -> Option<&[u8]> {
        let line = self.lines.get(index)?;
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        line.split(|&b| b == b':').nth(n)
    }

    /// Replaces line `index` with `line` (which must end in LF).
    pub fn replace(&mut self, index: usize, line: Vec<u8>) {
        debug_assert!(line.ends_with(b"\n"));
        if first_field(&self.lines[index]) != first_field(&line) {
            self.index = OnceLock::new();
        }
        self.lines[index] = line;
        self.changed = true;
    }

    /// Replaces field `n` of line `index` with `value`, keeping every other
    /// byte of the line (its other fields and its line ending).
    pub fn replace_field(&mut self, index: usize, n: usize, value: &[u8]) {
        let line = &self.lines[index];
        let body_end = if line.ends_with(b"\n") {
            line.len() - 1
        } else {
            line.len()
        };
        let mut start = 0;
        for _ in 0..n {
            match line[start..body_end].iter().position(|&b| b == b':') {
                Some(p) => start += p + 1,
                None => return,
            }
        }
        let end = line[start..body_end]
            .iter()
            .position(|&b| b == b':')
            .map_or(body_end, |p| start + p);
        let mut new = Vec::with_capacity(line.len() + value.len());
        new.extend_from_slice(&line[..start]);
        new.extend_from_slice(value);
        new.extend_from_slice(&line[end..]);
        if n == 0 {
            self.index = OnceLock::new();
        }
        self.lines[index] = new;
        self.changed = true;
    }

    /// Appends `line` (which must end in LF), ending an unterminated last line first.
    pub fn push(&mut self, line: Vec<u8>) {
        debug_assert!(line.ends_with(b"\n"));
        if let Some(last) = self.lines.last_mut() {
            if !last.ends_with(b"\n") {
                last.push(b'\n');
            }
        }
        if let Some(index) = self.index.get_mut() {
            index
                .entry(first_field(&line).to_vec())
                .or_insert(self.lines.len());
        }
        self.lines.push(line);
        self.changed = true;
    }

    /// Removes line `index`.
    pub fn remove(&mut self, index: usize) {
        // Every later line moves up one.
        self.index = OnceLock::new();
        self.lines.remove(index);
        self.changed = true;
    }

    /// `(first field, field n)` of every line that has field `n`; the first
    /// line of a name wins, as with [`LineFile::find`].
    pub fn fields_by_name(&self, n: usize) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut seen = std::collections::HashSet::new();
        self.lines.iter().filter_map(move |line| {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            let mut fields = body.split(|&b| b == b':');
            let name = fields.next()?;
            let value = fields.nth(n.checked_sub(1)?)?;
            seen.insert(name).then_some((name, value))
        })
    }

    /// The first fields of all lines, in order (blank lines skipped).
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.lines
            .iter()
            .map(|l| first_field(l))
            .filter(|n| !n.is_empty())
    }

    /// The whole file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.lines.concat()
    }

    /// The file as it was read.
    pub(crate) fn original(&self) -> &[u8] {
        &self.original
    }

    /// How many lines the file has.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the file has no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

fn first_field(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.split(|&b| b == b':').next().unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_lines_survive_byte_for_byte() {
        let text = b"a:1:x\r\nweird line\n\nb:2::\nc:3";
        let mut f = LineFile::new(text, None);
        assert_eq!(f.to_bytes(), text);
        let b = f.find("b").unwrap();
        assert_eq!(f.field(b, 1), Some(&b"2"[..]));
        f.replace(b, b"b:9::\n".to_vec());
        assert_eq!(f.to_bytes(), b"a:1:x\r\nweird line\n\nb:9::\nc:3");
        f.push(b"d:4\n".to_vec());
        assert_eq!(f.to_bytes(), b"a:1:x\r\nweird line\n\nb:9::\nc:3\nd:4\n");
        assert!(f.is_changed());
        f.replace_field(0, 1, b"one");
        assert_eq!(f.to_bytes(), b"a:one:x\r\nweird line\n\nb:9::\nc:3\nd:4\n");
        let last = f.find("d").unwrap();
        f.replace_field(last, 1, b"!!4");
        assert!(f.to_bytes().ends_with(b"d:!!4\n"));
    }

    #[test]
    fn find_matches_whole_first_fields_only() {
        let f = LineFile::new(b"alice:x\nal:y\n", None);
        assert_eq!(f.find("al"), Some(1));
        assert_eq!(f.find("ali"), None);
        assert_eq!(f.names().collect::<Vec<_>>(), vec![&b"alice"[..], b"al"]);
    }

    #[test]
    fn the_index_of_a_long_file_follows_every_change() {
        let text: String = (0..100).map(|i| format!("box{i}:h{i}\n")).collect();
        let mut f = LineFile::new(text.as_bytes(), None);
        assert_eq!(f.find("box42"), Some(42));
        f.replace_field(42, 1, b"new");
        assert_eq!(f.find("box42"), Some(42));
        f.remove(10);
        assert_eq!(f.find("box42"), Some(41), "lines after a removal move up");
        assert_eq!(f.find("box10"), None);
        f.push(b"late:x\n".to_vec());
        assert_eq!(f.find("late"), Some(99));
        f.replace(0, b"renamed:x\n".to_vec());
        assert_eq!((f.find("box0"), f.find("renamed")), (None, Some(0)));
        f.replace_field(1, 0, b"again");
        assert_eq!((f.find("box1"), f.find("again")), (None, Some(1)));
        // The first line of a name wins, as without an index.
        f.push(b"again:dup\n".to_vec());
        assert_eq!(f.find("again"), Some(1));
    }
}
