//! Reply frames: the bytes around a reply's JSON.
//!
//! Three rules from the official clients shape every frame (docs/protocol.md §4, §8):
//! `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026` so a value can
//! never fake or end the frame (C6); the final LF is mandatory (C2); and a
//! frame of 32 768·k + 1 bytes gets one space before `</cpanelresult>`, or the
//! official Perl client leaves the LF in the socket and breaks its next call
//! (C9).

use bytes::{BufMut, BytesMut};
use serde_json::Value;

/// The declaration line that opens every frame.
pub const XML_DECLARATION: &[u8] = b"<?xml version=\"1.0\" ?>\n";
const OPEN: &[u8] = b"<cpanelresult>";
const CLOSE: &[u8] = b"</cpanelresult>\n";
/// The read size of the official Perl client (`Cpanel::LiveAPI`).
const PERL_READ_SIZE: usize = 32_768;

/// One reply, ready to be written with a single write.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyFrame {
    json: String,
    /// False when the declaration line already went out as a keep-alive
    /// (docs/protocol.md C10): the frame then starts at `<cpanelresult>`.
    with_declaration: bool,
}

impl ReplyFrame {
    /// The frame for `reply`, which must be a JSON object (C4).
    pub fn new(reply: &Value) -> Self {
        debug_assert!(reply.is_object(), "a reply is always a JSON object");
        ReplyFrame {
            json: escape_markup(&reply.to_string()),
            with_declaration: true,
        }
    }

    /// The same frame without its declaration line.
    pub fn after_keepalive(mut self) -> Self {
        self.with_declaration = false;
        self
    }

    /// The escaped JSON text between the tags.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Appends the whole frame to `dst`.
    pub fn write_to(&self, dst: &mut BytesMut) {
        let declaration = if self.with_declaration {
            XML_DECLARATION
        } else {
            b""
        };
        let len = declaration.len() + OPEN.len() + self.json.len() + CLOSE.len();
        // The Perl client's guard: never end a frame one byte past a read boundary.
        let pad = len % PERL_READ_SIZE == 1;
        dst.reserve(len + usize::from(pad));
        dst.put_slice(declaration);
        dst.put_slice(OPEN);
        dst.put_slice(self.json.as_bytes());
        if pad {
            dst.put_u8(b' ');
        }
        dst.put_slice(CLOSE);
    }

    /// The frame as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut buf = BytesMut::new();
        self.write_to(&mut buf);
        buf.to_vec()
    }
}

/// Escapes `<`, `>` and `&` in encoded JSON. They can only occur inside JSON
/// strings, where `\u003c` means the same character to every decoder.
fn escape_markup(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_the_json_switch_reply_exactly() {
        let frame = ReplyFrame::new(&json!({"data": {"result": "json"}}));
        assert_eq!(
            frame.to_bytes(),
            b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"data\":{\"result\":\"json\"}}</cpanelresult>\n"
        );
    }

    #[test]
    fn a_value_cannot_end_the_frame() {
        let frame = ReplyFrame::new(&json!({"s": "a </cpanelresult> & <x>"}));
        let text = String::from_utf8(frame.to_bytes()).unwrap();
        assert_eq!(text.matches("</cpanelresult>").count(), 1);
        assert!(text.contains(r#"a \u003c/cpanelresult\u003e \u0026 \u003cx\u003e"#));
    }

    #[test]
    fn after_keepalive_drops_only_the_declaration() {
        let frame = ReplyFrame::new(&json!({"a": 1})).after_keepalive();
        assert_eq!(
            frame.to_bytes(),
            b"<cpanelresult>{\"a\":1}</cpanelresult>\n"
        );
    }

    #[test]
    fn no_frame_ends_one_byte_past_a_perl_read_boundary() {
        let overhead = ReplyFrame::new(&json!({"p": ""})).to_bytes().len();
        for k in 1..=3 {
            for delta in [0usize, 1, 2] {
                let target = PERL_READ_SIZE * k + 1 - delta;
                let frame = ReplyFrame::new(&json!({"p": "x".repeat(target - overhead)}));
                let bytes = frame.to_bytes();
                assert_ne!(bytes.len() % PERL_READ_SIZE, 1, "k={k} delta={delta}");
                assert!(bytes.ends_with(b"</cpanelresult>\n"));
                let json_end = bytes.len() - CLOSE.len();
                let json: Value =
                    serde_json::from_slice(&bytes[XML_DECLARATION.len() + OPEN.len()..json_end])
                        .unwrap();
                assert_eq!(json["p"].as_str().unwrap().len(), target - overhead);
            }
        }
    }
}
