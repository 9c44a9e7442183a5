//! A minimal LiveAPI client: one UAPI call over a socket, as the official
//! clients make it. Used where liveapid talks to one of its own workers
//! (the `uapi` command run by root for an account).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::secrets::wipe;
use crate::error::{Error, Result};

/// The most reply bytes read; a worker's replies are far smaller (cpanelgo
/// refuses more than 20 MiB, docs/protocol.md C13).
const MAX_REPLY: usize = 64 << 20;

/// The longest wait for the next bytes of a reply.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Calls UAPI `module::func` with `args` on the LiveAPI socket at `socket`;
/// the reply's JSON object (the UAPI envelope).
///
/// # Errors
///
/// When the socket cannot be reached, the connection ends early, or the
/// reply is not a LiveAPI frame.
pub fn uapi_call(
    socket: &Path,
    module: &str,
    func: &str,
    args: &Map<String, Value>,
) -> Result<Value> {
    let mut stream =
        UnixStream::connect(socket).map_err(|e| Error::storage("connect to", socket, e))?;
    // A slow call sends keep-alive bytes far more often than this; silence
    // this long means the other end is stuck.
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    // Every copy of the arguments (usually with a password) is wiped.
    let mut action = json!({"module": module, "reqtype": "exec", "func": func, "apiversion": "uapi", "args": args});
    let payload = Zeroizing::new(format!("<cpanelaction>{action}</cpanelaction>"));
    wipe(&mut action);
    // Sized up front: a growing buffer would leave a copy behind when it moves.
    let mut request = Zeroizing::new(Vec::with_capacity(payload.len() + 24));
    request.extend_from_slice(format!("{}\n", payload.len()).as_bytes());
    request.extend_from_slice(payload.as_bytes());
    stream.write_all(&request)?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !reply.ends_with(b"</cpanelresult>\n") {
        let n = stream.read(&mut chunk)?;
        if n == 0 || reply.len() + n > MAX_REPLY {
            return Err(Error::Io(std::io::Error::other(
                "the LiveAPI connection ended before a whole reply",
            )));
        }
        reply.extend_from_slice(&chunk[..n]);
    }
    parse_reply(&reply)
}

/// The JSON object inside a reply frame (keep-alive bytes before it allowed).
fn parse_reply(frame: &[u8]) -> Result<Value> {
    let bad = || Error::Io(std::io::Error::other("the LiveAPI reply is not a frame"));
    let text = std::str::from_utf8(frame).map_err(|_| bad())?;
    let start = text.find("<cpanelresult>").ok_or_else(bad)? + "<cpanelresult>".len();
    let end = text.rfind("</cpanelresult>").ok_or_else(bad)?;
    serde_json::from_str(text.get(start..end).ok_or_else(bad)?.trim_end()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_with_or_without_keepalive_bytes() {
        let frame = b"<?xml version=\"1.0\" ?>\n\n\n<cpanelresult>{\"a\":\"\\u003c/cpanelresult\\u003e\"}</cpanelresult>\n";
        assert_eq!(parse_reply(frame).unwrap(), json!({"a": "</cpanelresult>"}));
        assert!(parse_reply(b"garbage").is_err());
    }
}
