//! The LiveAPI wire codec: length-prefixed requests in, framed replies out.
//!
//! # Format
//!
//! ```text
//! client → server:  <decimal byte count> LF <payload of exactly that many bytes>
//! server → client:  <?xml version="1.0" ?> LF <cpanelresult>JSON</cpanelresult> LF
//! ```
//!
//! The decoder is bounded by construction: a length line longer than
//! [`MAX_LENGTH_LINE`] ends the connection, and a declared payload over the
//! configured cap is never buffered (docs/protocol.md C1). Its bytes are read
//! and thrown away (up to [`DRAIN_LIMIT`]) so that the client's write
//! completes and it can read the refusal the server then sends.
//!
//! Bytes the decoder throws away (a refused request, the rest of a stream
//! that ends the session) are zeroed first: they may hold a password. A
//! whole request's payload is the caller's to wipe once it is parsed.

use std::fmt;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};
use zeroize::Zeroize;

use super::frame::ReplyFrame;
use crate::error::{Error, Result};

/// A length line is at most 20 bytes: 19 digits plus tolerated CR/spaces is
/// already far beyond any sane request.
pub const MAX_LENGTH_LINE: usize = 20;

/// Default cap on one request's payload: 1 MiB. A `passwd_pop` is ~200 bytes.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// The most bytes of an over-limit request that are read and discarded
/// before the refusal goes out. A client that declares more gets the
/// refusal at once; its write may then fail, but the frame is already in
/// its socket for it to read.
pub const DRAIN_LIMIT: u64 = 64 << 20;

/// What the decoder found in the byte stream. `Debug` shows a request's
/// size, not its bytes.
#[derive(PartialEq)]
pub enum Inbound {
    /// One whole request payload.
    Request(BytesMut),
    /// A request declared `len` bytes, over the cap of `max`; its payload
    /// (if not over [`DRAIN_LIMIT`]) has been discarded. The session must end.
    Oversized { len: u64, max: usize },
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inbound::Request(payload) => write!(f, "Request(<{} bytes>)", payload.len()),
            Inbound::Oversized { len, max } => f
                .debug_struct("Oversized")
                .field("len", len)
                .field("max", max)
                .finish(),
        }
    }
}

/// Splits the byte stream into request payloads and writes reply frames.
#[derive(Debug)]
pub struct LiveApiCodec {
    max_payload: usize,
    state: State,
    /// How far the length line has been scanned for LF, so each call only
    /// looks at new bytes.
    scanned: usize,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Waiting for a length line.
    LengthLine,
    /// The payload of this many bytes is arriving.
    Payload(usize),
    /// Throwing away `remaining` bytes of an over-limit request of `len`.
    Discard { remaining: u64, len: u64 },
}

impl LiveApiCodec {
    /// A codec that refuses payloads over `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        LiveApiCodec {
            max_payload,
            state: State::LengthLine,
            scanned: 0,
        }
    }

    /// The declared payload length (not yet checked against the cap).
    fn parse_length_line(line: &[u8]) -> Result<u64> {
        let digits = trim_ascii(line);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::BadLengthLine);
        }
        // At most 20 digits fit the line; u128 cannot overflow on them.
        let len: u128 = std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Error::BadLengthLine)?;
        if len == 0 {
            // The real server leaves its loop on 0; so do we.
            return Err(Error::BadLengthLine);
        }
        Ok(u64::try_from(len).unwrap_or(u64::MAX))
    }

    /// The state after a length line declaring `len` bytes.
    fn after_length_line(&self, len: u64) -> State {
        match usize::try_from(len) {
            Ok(n) if n <= self.max_payload => State::Payload(n),
            _ => State::Discard {
                remaining: if len <= DRAIN_LIMIT { len } else { 0 },
                len,
            },
        }
    }
}

impl Default for LiveApiCodec {
    fn default() -> Self {
        LiveApiCodec::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl Decoder for LiveApiCodec {
    type Item = Inbound;
    type Error = Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound>> {
        let decoded = self.decode_next(buf);
        if decoded.is_err() {
            // The session ends here; what it had sent after is never read.
            wipe_all(buf);
        }
        decoded
    }

    /// EOF ends the session quietly, wherever it falls: a client that sends
    /// an unprefixed shutdown and closes relies on it (docs/protocol.md §6; tests/golden).
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound>> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                if !buf.is_empty() {
                    tracing::debug!(
                        bytes = buf.len(),
                        "incomplete request discarded at end of stream"
                    );
                    wipe_all(buf);
                }
                Ok(None)
            }
        }
    }
}

impl LiveApiCodec {
    /// The next item; `decode` without the wiping on error.
    fn decode_next(&mut self, buf: &mut BytesMut) -> Result<Option<Inbound>> {
        if let State::LengthLine = self.state {
            let start = self.scanned.min(buf.len());
            let Some(offset) = buf[start..].iter().position(|&b| b == b'\n') else {
                self.scanned = buf.len();
                if buf.len() > MAX_LENGTH_LINE {
                    return Err(Error::LengthLineTooLong {
                        max: MAX_LENGTH_LINE,
                    });
                }
                return Ok(None);
            };
            let newline = start + offset;
            self.scanned = 0;
            if newline > MAX_LENGTH_LINE {
                return Err(Error::LengthLineTooLong {
                    max: MAX_LENGTH_LINE,
                });
            }
            let len = Self::parse_length_line(&buf[..newline])?;
            buf.advance(newline + 1);
            self.state = self.after_length_line(len);
        }
        match self.state {
            State::LengthLine => Ok(None),
            State::Payload(len) => {
                if buf.len() < len {
                    buf.reserve(len - buf.len());
                    return Ok(None);
                }
                self.state = State::LengthLine;
                Ok(Some(Inbound::Request(buf.split_to(len))))
            }
            State::Discard { remaining, len } => {
                let n = remaining.min(buf.len() as u64) as usize;
                buf[..n].zeroize();
                buf.advance(n);
                if (n as u64) < remaining {
                    self.state = State::Discard {
                        remaining: remaining - n as u64,
                        len,
                    };
                    return Ok(None);
                }
                self.state = State::LengthLine;
                Ok(Some(Inbound::Oversized {
                    len,
                    max: self.max_payload,
                }))
            }
        }
    }
}

impl Encoder<ReplyFrame> for LiveApiCodec {
    type Error = Error;

    fn encode(&mut self, frame: ReplyFrame, dst: &mut BytesMut) -> Result<()> {
        frame.write_to(dst);
        Ok(())
    }
}

/// Zeroes and empties the buffer.
fn wipe_all(buf: &mut BytesMut) {
    buf.as_mut().zeroize();
    buf.clear();
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b" \t\r".contains(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b" \t\r".contains(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(bytes: &[u8]) -> Option<Inbound> {
        Some(Inbound::Request(BytesMut::from(bytes)))
    }

    fn decode_all(codec: &mut LiveApiCodec, chunks: &[&[u8]]) -> Vec<Result<Option<Inbound>>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            loop {
                let r = codec.decode(&mut buf);
                let stop = !matches!(r, Ok(Some(_)));
                out.push(r);
                if stop {
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn decodes_a_request_fed_in_small_bursts() {
        let mut codec = LiveApiCodec::default();
        let out = decode_all(&mut codec, &[b"2", b"3\n<cpanel", b"json enable=\"1\">"]);
        let frames: Vec<_> = out.into_iter().filter_map(|r| r.unwrap()).collect();
        assert_eq!(
            frames,
            vec![Inbound::Request(BytesMut::from(
                &b"<cpaneljson enable=\"1\">"[..]
            ))]
        );
    }

    #[test]
    fn decodes_back_to_back_requests_with_no_separator() {
        let mut codec = LiveApiCodec::default();
        let mut buf = BytesMut::from(&b"3\nabc2\nde"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), request(b"abc"));
        assert_eq!(codec.decode(&mut buf).unwrap(), request(b"de"));
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn accepts_cr_and_spaces_around_the_digits() {
        let mut codec = LiveApiCodec::default();
        let mut buf = BytesMut::from(&b" 3 \r\nabc"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), request(b"abc"));
    }

    #[test]
    fn zero_and_garbage_lengths_end_the_session() {
        for line in [&b"0\n"[..], b"-3\nabc", b"abc\n", b"\n", b"3x\nabc"] {
            let mut codec = LiveApiCodec::default();
            let mut buf = BytesMut::from(line);
            assert!(
                matches!(codec.decode(&mut buf), Err(Error::BadLengthLine)),
                "{line:?}"
            );
        }
    }

    #[test]
    fn over_long_length_line_is_refused_before_its_newline_arrives() {
        let mut codec = LiveApiCodec::default();
        let mut buf = BytesMut::from(&b"123456789012345678901"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::LengthLineTooLong { .. })
        ));
    }

    #[test]
    fn oversized_payload_is_discarded_in_bursts_then_reported() {
        let mut codec = LiveApiCodec::new(100);
        let mut buf = BytesMut::from(&b"150\n"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        for _ in 0..2 {
            buf.extend_from_slice(&[b'x'; 70]);
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
            assert!(buf.is_empty(), "discarded bytes are not kept");
        }
        buf.extend_from_slice(b"x");
        // The request's last 10 bytes and the next request's first bytes.
        buf.extend_from_slice(&b"xxxxxxxxx3\nab"[..]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Inbound::Oversized { len: 150, max: 100 })
        );
        assert_eq!(
            &buf[..],
            b"3\nab",
            "only the over-limit request is thrown away"
        );
    }

    #[test]
    fn an_absurd_length_is_reported_at_once_without_buffering() {
        let mut codec = LiveApiCodec::new(100);
        let mut buf = BytesMut::from(&b"99999999999999999999\n"[..]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Inbound::Oversized {
                len: u64::MAX,
                max: 100
            })
        );
        assert!(buf.capacity() < 1000);
    }

    #[test]
    fn eof_inside_a_request_ends_quietly() {
        let mut codec = LiveApiCodec::default();
        // An unprefixed shutdown: no frame comes of it, the session just ends.
        let mut buf = BytesMut::from(&b"<cpanelxml shutdown=\"1\" />"[..]);
        assert!(!matches!(codec.decode_eof(&mut buf), Ok(Some(_))));
        let mut buf = BytesMut::from(&b"<cpanel"[..]);
        let mut codec = LiveApiCodec::default();
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
        let mut buf = BytesMut::from(&b"10\nabc"[..]);
        let mut codec = LiveApiCodec::default();
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
    }
}
