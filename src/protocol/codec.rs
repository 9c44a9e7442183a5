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
//! [`MAX_LENGTH_LINE`] or a declared payload over the configured cap ends the
//! connection before a single payload byte is buffered (spec C1).

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::frame::ReplyFrame;
use crate::error::{Error, Result};

/// A length line is at most 20 bytes: 19 digits plus tolerated CR/spaces is
/// already far beyond any sane request.
pub const MAX_LENGTH_LINE: usize = 20;

/// Default cap on one request's payload: 1 MiB. A `passwd_pop` is ~200 bytes.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// Splits the byte stream into request payloads and writes reply frames.
#[derive(Debug)]
pub struct LiveApiCodec {
    max_payload: usize,
    /// Payload length read from the last length line, while its bytes arrive.
    pending_len: Option<usize>,
    /// How far the length line has been scanned for LF, so each call only
    /// looks at new bytes.
    scanned: usize,
}

impl LiveApiCodec {
    /// A codec that refuses payloads over `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        LiveApiCodec {
            max_payload,
            pending_len: None,
            scanned: 0,
        }
    }

    fn parse_length_line(&self, line: &[u8]) -> Result<usize> {
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
        if len > self.max_payload as u128 {
            return Err(Error::PayloadTooLarge {
                len: u64::try_from(len).unwrap_or(u64::MAX),
                max: self.max_payload,
            });
        }
        Ok(len as usize)
    }
}

impl Default for LiveApiCodec {
    fn default() -> Self {
        LiveApiCodec::new(DEFAULT_MAX_PAYLOAD)
    }
}

impl Decoder for LiveApiCodec {
    type Item = BytesMut;
    type Error = Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>> {
        let len = match self.pending_len {
            Some(len) => len,
            None => {
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
                let len = self.parse_length_line(&buf[..newline])?;
                buf.advance(newline + 1);
                self.pending_len = Some(len);
                len
            }
        };
        if buf.len() < len {
            buf.reserve(len - buf.len());
            return Ok(None);
        }
        self.pending_len = None;
        Ok(Some(buf.split_to(len)))
    }

    /// EOF ends the session quietly, wherever it falls: a client that sends
    /// an unprefixed shutdown and closes relies on it (spec §6, vectors §12).
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                if !buf.is_empty() {
                    tracing::debug!(
                        bytes = buf.len(),
                        "incomplete request discarded at end of stream"
                    );
                    buf.clear();
                }
                Ok(None)
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

    fn decode_all(codec: &mut LiveApiCodec, chunks: &[&[u8]]) -> Vec<Result<Option<BytesMut>>> {
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
            vec![BytesMut::from(&b"<cpaneljson enable=\"1\">"[..])]
        );
    }

    #[test]
    fn decodes_back_to_back_requests_with_no_separator() {
        let mut codec = LiveApiCodec::default();
        let mut buf = BytesMut::from(&b"3\nabc2\nde"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"abc"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"de"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn accepts_cr_and_spaces_around_the_digits() {
        let mut codec = LiveApiCodec::default();
        let mut buf = BytesMut::from(&b" 3 \r\nabc"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"abc"[..]);
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
    fn oversized_payload_is_refused_without_buffering_it() {
        let mut codec = LiveApiCodec::new(100);
        let mut buf = BytesMut::from(&b"101\n"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::PayloadTooLarge { len: 101, max: 100 })
        ));
        let mut buf = BytesMut::from(&b"99999999999999999999\n"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::PayloadTooLarge { .. })
        ));
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
