//! A minimal LiveAPI client: one UAPI call over a socket, as the official
//! clients make it. Used where liveapid, as root, talks to one of its own
//! workers (the HTTPS front end, the `uapi` command run by root for an
//! account).
//!
//! The call is asynchronous and has one hard deadline for the whole
//! exchange: a worker whose storage hangs may send keep-alive newlines for
//! ever, and root must neither wait for it nor pin a thread on it.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secrets::wipe;

/// The most reply bytes read; a worker's replies are far smaller (cpanelgo
/// refuses more than 20 MiB, docs/protocol.md C13).
const MAX_REPLY: usize = 64 << 20;

/// The default deadline of one call: far above any legitimate call (a
/// 100 000-mailbox listing takes seconds, a change waits at most the 30 s
/// lock timeout plus its commit), far below "for ever".
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Calls UAPI `module::func` with `args` on the LiveAPI socket at `socket`;
/// the reply's JSON object (the UAPI envelope). The whole exchange, keep-alive
/// bytes included, must end within `deadline`.
///
/// # Errors
///
/// [`Error::WorkerDeadline`] past the deadline; otherwise when the socket
/// cannot be reached, the connection ends early, or the reply is not a
/// LiveAPI frame.
pub async fn uapi_call(
    socket: &Path,
    module: &str,
    func: &str,
    args: &Map<String, Value>,
    deadline: Duration,
) -> Result<Value> {
    match tokio::time::timeout(deadline, exchange(socket, module, func, args)).await {
        Ok(reply) => reply,
        Err(_) => Err(Error::WorkerDeadline {
            seconds: deadline.as_secs_f64(),
        }),
    }
}

async fn exchange(
    socket: &Path,
    module: &str,
    func: &str,
    args: &Map<String, Value>,
) -> Result<Value> {
    let mut stream = UnixStream::connect(socket)
        .await
        .map_err(|e| Error::storage("connect to", socket, e))?;
    // Every copy of the arguments (usually with a password) is wiped.
    let mut action = json!({"module": module, "reqtype": "exec", "func": func, "apiversion": "uapi", "args": args});
    let payload = Zeroizing::new(format!("<cpanelaction>{action}</cpanelaction>"));
    wipe(&mut action);
    // Sized up front: a growing buffer would leave a copy behind when it moves.
    let mut request = Zeroizing::new(Vec::with_capacity(payload.len() + 24));
    request.extend_from_slice(format!("{}\n", payload.len()).as_bytes());
    request.extend_from_slice(payload.as_bytes());
    stream.write_all(&request).await?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !reply.ends_with(b"</cpanelresult>\n") {
        let n = stream.read(&mut chunk).await?;
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

    /// A server that accepts, reads the request and then sends nothing but
    /// keep-alive newlines, as a worker stuck on its storage does.
    #[tokio::test]
    async fn keepalive_bytes_do_not_extend_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            loop {
                if stream.write_all(b"\n").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let deadline = Duration::from_millis(300);
        let err = uapi_call(&path, "Email", "count_pops", &Map::new(), deadline)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::WorkerDeadline { .. }), "{err}");
        assert!(err.to_string().contains("within 0.3 seconds"), "{err}");
        server.abort();
    }
}
