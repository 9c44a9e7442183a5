//! The channel between an unprivileged worker and the root supervisor.
//!
//! A worker needs root for two things only, and asks for them here:
//! reading the host's files about its account (some are root-only on a
//! cPanel server) and running the operator's after-change action
//! (`doveadm auth cache flush %u` needs root). The supervisor answers from
//! an allow-list and re-validates every address, so a worker taken over by
//! its account's owner can ask for nothing more.
//!
//! # Format
//!
//! One JSON object per line each way, strictly request then reply:
//!
//! ```text
//! worker → supervisor:  {"read":"var/cpanel/users/bob"} | {"read":"…","unless":"<version>"}
//! supervisor → worker:  {"text":"DNS=example.com\n…","version":"…"} | {"missing":true,"version":"missing"}
//!                       | {"unchanged":true} | {"error":"…"}
//! worker → supervisor:  {"after_change":"user@example.com"}
//! supervisor → worker:  {"warning":null} | {"warning":"…"}
//! worker → supervisor:  {"audit":{"time":"…","uid":1001,"func":"passwd_pop",…}}
//! supervisor → worker:  {"ok":true}
//! ```

use std::io::{self, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;

use crate::account::{Fresh, SystemFiles};
use crate::bounded_lines::{next_line, next_line_blocking, MAX_SUPERVISOR_LINE};
use crate::email::MailAddress;

/// The descriptor numbers a worker finds its channels at: the supervisor
/// puts them there, the worker takes them (the contract between the two,
/// so neither names the other).
///
/// The account's listening socket.
pub const LISTENER_FD: i32 = 3;
/// Host-file reads (blocking requests, [`FileClient`]).
pub const FILES_FD: i32 = 4;
/// After-change requests.
pub const ACTIONS_FD: i32 = 5;
/// The read end of a pipe the supervisor never writes: EOF on it means the
/// supervisor is gone, and the worker stops.
pub const LIFELINE_FD: i32 = 6;
/// The read end of a pipe on which the supervisor sends the worker's
/// settings at start and after each reload (one JSON line each,
/// [`crate::worker_settings::WorkerSettings`]).
pub const SETTINGS_FD: i32 = 7;

/// What a worker may ask.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The text of a host file, relative to the root prefix, unless it is
    /// still at the version given.
    Read {
        file: String,
        unless: Option<String>,
    },
    /// Run the after-change action for this address.
    AfterChange(String),
    /// Append this audit line (the supervisor adds the worker's account).
    Audit(Map<String, Value>),
}

impl Request {
    /// What was asked, in words for the supervisor's log.
    pub fn describe(&self) -> String {
        match self {
            Request::Read { file, .. } => format!("read {file}"),
            Request::AfterChange(address) => format!("after-change for {address}"),
            Request::Audit(_) => "an audit line".to_owned(),
        }
    }

    fn to_line(&self) -> String {
        let value = match self {
            Request::Read { file, unless: None } => json!({ "read": file }),
            Request::Read {
                file,
                unless: Some(version),
            } => json!({ "read": file, "unless": version }),
            Request::AfterChange(address) => json!({ "after_change": address }),
            Request::Audit(line) => json!({ "audit": line }),
        };
        format!("{value}\n")
    }

    /// Parses one request line; `None` for anything else.
    pub fn parse(line: &str) -> Option<Request> {
        let value: Value = serde_json::from_str(line).ok()?;
        if let Some(file) = value.get("read").and_then(Value::as_str) {
            let unless = match value.get("unless") {
                None => None,
                Some(version) => Some(version.as_str()?.to_owned()),
            };
            return Some(Request::Read {
                file: file.to_owned(),
                unless,
            });
        }
        if let Some(line) = value.get("audit").and_then(Value::as_object) {
            return Some(Request::Audit(line.clone()));
        }
        value
            .get("after_change")
            .and_then(Value::as_str)
            .map(|a| Request::AfterChange(a.to_owned()))
    }
}

/// The reply line to a `read`.
pub fn read_reply(outcome: io::Result<Fresh>) -> String {
    let value = match outcome {
        Ok(Fresh::Unchanged) => json!({ "unchanged": true }),
        Ok(Fresh::Current {
            text: Some(text),
            version,
        }) => json!({ "text": text, "version": version }),
        Ok(Fresh::Current {
            text: None,
            version,
        }) => json!({ "missing": true, "version": version }),
        Err(e) => json!({ "error": e.to_string() }),
    };
    format!("{value}\n")
}

/// The reply line to an `after_change`.
pub fn after_change_reply(warning: Option<String>) -> String {
    format!("{}\n", json!({ "warning": warning }))
}

/// The worker's end for host files: blocking, since the account is loaded
/// from synchronous code, and answered at once by the supervisor.
#[derive(Debug)]
pub struct FileClient {
    /// The root prefix, for error messages only.
    root: PathBuf,
    stream: Mutex<BufReader<UnixStream>>,
}

impl FileClient {
    /// A client on `stream`; `root` names files in error messages.
    pub fn new(stream: UnixStream, root: PathBuf) -> FileClient {
        FileClient {
            root,
            stream: Mutex::new(BufReader::new(stream)),
        }
    }
}

impl SystemFiles for FileClient {
    fn read(&self, relative: &str) -> io::Result<Option<String>> {
        match self.read_fresh(relative, None)? {
            Fresh::Current { text, .. } => Ok(text),
            Fresh::Unchanged => Err(io::Error::other("the supervisor answered out of turn")),
        }
    }

    fn read_fresh(&self, relative: &str, known: Option<&str>) -> io::Result<Fresh> {
        let mut stream = self.stream.lock().unwrap_or_else(|p| p.into_inner());
        let request = Request::Read {
            file: relative.to_owned(),
            unless: known.map(str::to_owned),
        };
        stream.get_mut().write_all(request.to_line().as_bytes())?;
        let Some(line) = next_line_blocking(&mut *stream, MAX_SUPERVISOR_LINE)? else {
            return Err(io::Error::other("the supervisor is gone"));
        };
        let reply: Value = serde_json::from_str(&line).map_err(io::Error::other)?;
        let version = reply
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if reply.get("unchanged").is_some() && known.is_some() {
            return Ok(Fresh::Unchanged);
        }
        if let Some(text) = reply.get("text").and_then(Value::as_str) {
            return Ok(Fresh::Current {
                text: Some(text.to_owned()),
                version,
            });
        }
        if reply.get("missing").is_some() {
            return Ok(Fresh::Current {
                text: None,
                version,
            });
        }
        let reason = reply
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("refused");
        Err(io::Error::other(format!(
            "the supervisor could not read it: {reason}"
        )))
    }

    fn display_path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
}

/// The worker's end for after-change actions.
#[derive(Debug)]
pub struct ActionClient {
    stream: tokio::sync::Mutex<tokio::io::BufReader<tokio::net::UnixStream>>,
}

impl ActionClient {
    /// A client on `stream` (non-blocking, inside a Tokio runtime).
    pub fn new(stream: tokio::net::UnixStream) -> ActionClient {
        ActionClient {
            stream: tokio::sync::Mutex::new(tokio::io::BufReader::new(stream)),
        }
    }

    /// Asks the supervisor to run the action for `address`; the warning
    /// for the caller when it failed, or when the supervisor cannot be asked.
    pub async fn after_change(&self, address: &MailAddress) -> Option<String> {
        let asked = async {
            let mut stream = self.stream.lock().await;
            let request = Request::AfterChange(address.to_string()).to_line();
            stream.get_mut().write_all(request.as_bytes()).await?;
            let Some(line) = next_line(&mut *stream, MAX_SUPERVISOR_LINE).await? else {
                return Err(io::Error::other("the supervisor is gone"));
            };
            let reply: Value = serde_json::from_str(&line).map_err(io::Error::other)?;
            Ok::<_, io::Error>(
                reply
                    .get("warning")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        };
        match asked.await {
            Ok(warning) => warning,
            Err(e) => {
                tracing::warn!(mailbox = %address, error = %e, "after-change action not run");
                Some(format!("The password was changed, but the after-change action for “{address}” could not be run: {e}"))
            }
        }
    }
}

impl ActionClient {
    /// Sends one audit line to the supervisor; a failure is logged (the
    /// call's outcome stands).
    pub async fn audit(&self, line: Map<String, Value>) {
        let sent = async {
            let mut stream = self.stream.lock().await;
            let request = Request::Audit(line).to_line();
            stream.get_mut().write_all(request.as_bytes()).await?;
            if next_line(&mut *stream, MAX_SUPERVISOR_LINE)
                .await?
                .is_none()
            {
                return Err(io::Error::other("the supervisor is gone"));
            }
            Ok::<_, io::Error>(())
        };
        if let Err(e) = sent.await {
            tracing::error!(error = %e, "audit line not written");
        }
    }
}

/// The reply line to an `audit`.
pub fn audit_reply() -> String {
    format!("{}\n", json!({ "ok": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    #[test]
    fn requests_round_trip_and_anything_else_is_refused() {
        for request in [
            Request::Read {
                file: "var/cpanel/users/bob".into(),
                unless: None,
            },
            Request::Read {
                file: "var/cpanel/users/bob".into(),
                unless: Some("1.2.3.4.5.6.7".into()),
            },
            Request::AfterChange("user@example.com".into()),
        ] {
            assert_eq!(Request::parse(&request.to_line()), Some(request));
        }
        for line in ["", "{}", "[1]", "{\"read\":1}", "{\"exec\":\"sh\"}"] {
            assert_eq!(Request::parse(line), None, "{line}");
        }
    }

    #[test]
    fn file_client_reads_texts_missing_files_and_errors() {
        let (worker, supervisor) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let mut reader = BufReader::new(supervisor.try_clone().unwrap());
            let mut out = supervisor;
            for reply in [
                read_reply(Ok(Fresh::Current {
                    text: Some("DNS=example.com\n".into()),
                    version: Some("v1".into()),
                })),
                read_reply(Ok(Fresh::Unchanged)),
                read_reply(Ok(Fresh::Current {
                    text: None,
                    version: Some("missing".into()),
                })),
                read_reply(Err(io::Error::other("not allowed"))),
            ] {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                assert!(matches!(Request::parse(&line), Some(Request::Read { .. })));
                out.write_all(reply.as_bytes()).unwrap();
            }
        });
        let client = FileClient::new(worker, PathBuf::from("/"));
        assert_eq!(
            client.read("var/cpanel/users/bob").unwrap().as_deref(),
            Some("DNS=example.com\n")
        );
        assert_eq!(
            client
                .read_fresh("var/cpanel/users/bob", Some("v1"))
                .unwrap(),
            Fresh::Unchanged
        );
        assert_eq!(client.read("var/cpanel/resellers").unwrap(), None);
        let err = client.read("etc/shadow").unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{err}");
        server.join().unwrap();
        assert!(
            client.read("var/cpanel/cpanel.config").is_err(),
            "supervisor gone"
        );
    }
}
