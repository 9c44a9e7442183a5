//! The supervisor's end of a worker's two channels (see [`crate::control`]):
//! host files from an allow-list, and the after-change action for an
//! address the supervisor checks again itself.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::io::{AsyncWriteExt, BufReader};

use crate::account::{AccountLocator, DirectFiles, SystemFiles};
use crate::after_change::AfterChange;
use crate::audit::AuditLog;
use crate::bounded_lines::{self, MAX_WORKER_LINE};
use crate::control::{after_change_reply, audit_reply, read_reply, Request};
use crate::email::MailAddress;

/// The tasks answering one worker; abort them when it is gone.
pub struct Channels {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Channels {
    /// Stops answering.
    pub fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts answering a worker of the account `locator` finds, whose host
/// files are under `root`.
pub fn serve(
    files: UnixStream,
    actions: UnixStream,
    locator: Arc<AccountLocator>,
    root: PathBuf,
    after_change: Option<Arc<AfterChange>>,
    audit: Option<Arc<AuditLog>>,
) -> Channels {
    let mut tasks = Vec::new();
    let user = locator.user().to_owned();
    if let Ok(stream) = into_tokio(files) {
        tasks.push(tokio::spawn(answer(stream, user.clone(), move |request| {
            let user = user.clone();
            let root = root.clone();
            async move {
                match request {
                    Request::Read { file, unless } if is_allowed(&user, &file) => {
                        // File I/O: off the supervisor's runtime threads.
                        let files = DirectFiles::new(&root);
                        let read = tokio::task::spawn_blocking(move || {
                            files.read_fresh(&file, unless.as_deref())
                        })
                        .await
                        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
                        read_reply(read)
                    }
                    other => {
                        tracing::warn!(user, request = %other.describe(), "worker asked for a file outside the allow-list");
                        read_reply(Err(std::io::Error::other("not allowed")))
                    }
                }
            }
        })));
    }
    if let Ok(stream) = into_tokio(actions) {
        tasks.push(tokio::spawn(answer(
            stream,
            locator.user().to_owned(),
            move |request| {
                let locator = locator.clone();
                let after_change = after_change.clone();
                let audit = audit.clone();
                async move {
                    match request {
                        Request::AfterChange(address) => after_change_reply(
                            run_action(&locator, after_change.as_deref(), &address).await,
                        ),
                        Request::Audit(line) => {
                            if let Some(log) = audit.clone() {
                                let (user, fields) =
                                    (locator.user().to_owned(), audit_fields(line));
                                let _ =
                                    tokio::task::spawn_blocking(move || log.append(&user, fields))
                                        .await;
                            }
                            audit_reply()
                        }
                        Request::Read { .. } => {
                            after_change_reply(Some("The request was refused.".into()))
                        }
                    }
                }
            },
        )));
    }
    Channels { tasks }
}

fn into_tokio(stream: UnixStream) -> std::io::Result<tokio::net::UnixStream> {
    stream.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(stream)
}

/// Answers each request line of `user`'s worker with `reply`, until the
/// worker hangs up. A line that is no request, or one over
/// [`MAX_WORKER_LINE`] bytes, ends the channel: a well-behaved worker never
/// sends one, and root buffers no more of it.
async fn answer<F, Fut>(stream: tokio::net::UnixStream, user: String, reply: F)
where
    F: Fn(Request) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    loop {
        let line = match bounded_lines::next_line(&mut lines, MAX_WORKER_LINE).await {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(user, error = %e, "a worker sent an unreadable request; its channel is closed");
                return;
            }
        };
        let Some(request) = Request::parse(&line) else {
            tracing::warn!(
                user,
                "a worker sent an unreadable request; its channel is closed"
            );
            return;
        };
        if write
            .write_all(reply(request).await.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The after-change action for `address`, if it is a mailbox address of a
/// domain the account owns: the supervisor checks that again itself rather
/// than trusting the worker.
async fn run_action(
    locator: &AccountLocator,
    action: Option<&AfterChange>,
    address: &str,
) -> Option<String> {
    let action = action?;
    let checked = locator.load().and_then(|account| {
        MailAddress::resolve(address, None, &account.main_domain, &account.other_domains)
    });
    match checked {
        Ok(address) => action.run(&address).await,
        Err(e) => {
            tracing::warn!(user = locator.user(), error = %e, "after-change request refused");
            Some(
                "The after-change action was refused: the address is not one of this account's."
                    .into(),
            )
        }
    }
}

/// The fields of a worker's audit line that the log keeps: known names with
/// plain values only, so a worker cannot forge the account or add anything.
fn audit_fields(line: Map<String, Value>) -> Map<String, Value> {
    const FIELDS: &[&str] = &[
        "time", "uid", "pid", "module", "func", "mailbox", "outcome", "reason",
    ];
    line.into_iter()
        .filter(|(k, v)| FIELDS.contains(&k.as_str()) && !v.is_object() && !v.is_array())
        .collect()
}

/// The host files a worker may read: its own cPanel user file and the
/// server-wide settings it needs, nothing else.
fn is_allowed(user: &str, file: &str) -> bool {
    let feature_list = |name: &str| {
        !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    file.strip_prefix("var/cpanel/users/") == Some(user)
        || matches!(
            file,
            "var/cpanel/cpanel.config" | "var/cpanel/resellers" | "etc/group"
        )
        || file
            .strip_prefix("var/cpanel/features/")
            .is_some_and(feature_list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn a_worker_line_over_the_limit_closes_its_channel_unanswered() {
        let (worker, supervisor) = tokio::net::UnixStream::pair().unwrap();
        let served = tokio::spawn(answer(supervisor, "alice".into(), |_| async {
            audit_reply()
        }));
        let (mut from_root, mut to_root) = worker.into_split();
        to_root.write_all(b"{\"audit\":{}}\n").await.unwrap();
        let mut reply = [0u8; 12];
        from_root.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"{\"ok\":true}\n");
        // One line of twice the limit, and no newline in sight: root stops
        // reading after the limit and closes the channel.
        let long = vec![b'x'; 2 * MAX_WORKER_LINE];
        let _ = to_root.write_all(&long).await;
        // A guard, not a measure: an unbounded reader would wait for ever.
        tokio::time::timeout(std::time::Duration::from_secs(60), served)
            .await
            .expect("root stopped reading the long line")
            .unwrap();
        // Closed with unread bytes, the channel may also read as reset.
        let mut rest = Vec::new();
        let _ = from_root.read_to_end(&mut rest).await;
        assert!(rest.is_empty(), "no answer to the long line");
    }

    #[test]
    fn the_allow_list_holds_the_accounts_own_files_only() {
        for ok in [
            "var/cpanel/users/bob",
            "var/cpanel/cpanel.config",
            "var/cpanel/features/default",
            "var/cpanel/features/disabled",
            "etc/group",
        ] {
            assert!(is_allowed("bob", ok), "{ok}");
        }
        for refused in [
            "var/cpanel/users/alice",
            "var/cpanel/users/bob/../alice",
            "etc/shadow",
            "etc/passwd",
            "var/cpanel/features/../../etc/shadow",
            "var/cpanel/features/.hidden",
            "/etc/shadow",
            "",
        ] {
            assert!(!is_allowed("bob", refused), "{refused}");
        }
    }
}
