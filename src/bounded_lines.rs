//! Lines of a bounded length from a channel between root and a worker.
//!
//! Each side of those channels may be hostile to the other (a worker is
//! its account's, and its owner may take it over), so neither reads a line
//! whose end it has not seen within a fixed number of bytes: a line over
//! the limit is an error, and the reader closes the channel.

use std::io::{self, BufRead};

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest request line root takes from a worker (a file name, an
/// address, an audit line's short fields): far above any real one.
pub const MAX_WORKER_LINE: usize = 64 << 10;

/// The longest reply line a worker takes from root: a host file's text
/// (`etc/group` of a large server is a few MiB once JSON-escaped).
pub const MAX_SUPERVISOR_LINE: usize = 32 << 20;

/// The next line without its `\n` (a last line without one counts); `None`
/// at the end of the stream.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidData`] for a line over `max` bytes (nothing
/// more of it is read) or one that is not UTF-8; the reader's own errors.
pub async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        let (taken, ended) = take(available, &mut line, max)?;
        reader.consume(taken);
        if ended {
            return finish(line).map(Some);
        }
        if taken == 0 {
            return if line.is_empty() {
                Ok(None)
            } else {
                finish(line).map(Some)
            };
        }
    }
}

/// [`next_line`] for a blocking reader.
///
/// # Errors
///
/// As [`next_line`].
pub fn next_line_blocking<R: BufRead>(reader: &mut R, max: usize) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf()?;
        let (taken, ended) = take(available, &mut line, max)?;
        reader.consume(taken);
        if ended {
            return finish(line).map(Some);
        }
        if taken == 0 {
            return if line.is_empty() {
                Ok(None)
            } else {
                finish(line).map(Some)
            };
        }
    }
}

/// Appends `available` up to its first `\n` to `line`: how many bytes were
/// taken, and whether the line ended.
fn take(available: &[u8], line: &mut Vec<u8>, max: usize) -> io::Result<(usize, bool)> {
    let (content, taken, ended) = match available.iter().position(|&b| b == b'\n') {
        Some(i) => (i, i + 1, true),
        None => (available.len(), available.len(), false),
    };
    if line.len() + content > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line over {max} bytes"),
        ));
    }
    line.extend_from_slice(&available[..content]);
    Ok((taken, ended))
}

fn finish(line: Vec<u8>) -> io::Result<String> {
    String::from_utf8(line).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_within_the_limit_are_read_and_a_longer_one_is_refused() {
        let text = b"short\nexactly10\n\nlast".as_slice();
        let mut reader = tokio::io::BufReader::with_capacity(4, text);
        assert_eq!(
            next_line(&mut reader, 10).await.unwrap().as_deref(),
            Some("short")
        );
        assert_eq!(
            next_line(&mut reader, 10).await.unwrap().as_deref(),
            Some("exactly10")
        );
        assert_eq!(
            next_line(&mut reader, 10).await.unwrap().as_deref(),
            Some("")
        );
        assert_eq!(
            next_line(&mut reader, 10).await.unwrap().as_deref(),
            Some("last")
        );
        assert_eq!(next_line(&mut reader, 10).await.unwrap(), None);

        let mut long = tokio::io::BufReader::with_capacity(4, b"12345678901\n".as_slice());
        let err = next_line(&mut long, 10).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn an_endless_line_is_refused_after_the_limit_not_buffered() {
        // An endless source: a reader that buffered until a newline would
        // never return.
        let mut endless = std::io::BufReader::new(std::io::repeat(b'x'));
        let err = next_line_blocking(&mut endless, 1 << 16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut reader = std::io::BufReader::new(b"a\nb".as_slice());
        assert_eq!(
            next_line_blocking(&mut reader, 1).unwrap().as_deref(),
            Some("a")
        );
        assert_eq!(
            next_line_blocking(&mut reader, 1).unwrap().as_deref(),
            Some("b")
        );
        assert_eq!(next_line_blocking(&mut reader, 1).unwrap(), None);
    }
}
