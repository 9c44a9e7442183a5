//! The root part of a multi-account daemon: it binds the sockets, starts
//! one unprivileged worker per account, restarts a worker that dies, runs
//! the operator's after-change action for the workers, and on SIGTERM
//! passes the signal on and waits for every worker to drain, for a bounded
//! time. It sends each worker its settings whole on its settings pipe
//! ([`crate::worker_settings::WorkerSettings`], one JSON line) when it
//! starts and after every reload; the worker's open connections and
//! running calls keep theirs and new ones get the new ones.
//!
//! It never opens a file under a home and never parses a customer's UAPI
//! arguments: all of that happens in the worker, as the account's user.
//! What it does parse, the worker's requests on its channel, it checks
//! against an allow-list (host files) or re-validates (addresses).

mod channels;
mod private;
mod spawn;

use std::future::Future;
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use private::PrivateWorker;
pub use spawn::WorkerSpec;

use crate::account::AccountLocator;
use crate::after_change::AfterChange;
use crate::audit::AuditLog;
use crate::socket::SocketFile;
use crate::worker_settings::WorkerSettings;

/// One account the supervisor serves.
#[derive(Debug)]
pub struct Supervised {
    pub spec: WorkerSpec,
    /// The account as root sees it: used to re-validate the worker's requests.
    pub locator: AccountLocator,
    pub listener: UnixListener,
    /// Removed when the supervisor stops; `None` for a socket systemd
    /// handed over (its socket unit owns the file).
    pub socket: Option<SocketFile>,
    /// Start the worker again when it dies (a service); a one-command
    /// worker is not restarted, so its command fails at once.
    pub restart: bool,
    /// Told by root's callers when the worker has stopped answering them:
    /// it is killed, and restarted like a worker that died.
    pub stuck: Option<Arc<tokio::sync::Notify>>,
}

/// A restart waits this long after a crash, doubling up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A worker that ran this long before dying starts again at once.
const STABLE_RUN: Duration = Duration::from_secs(60);
/// What a stopping worker gets beyond its drain timeout before SIGKILL: time
/// for the commits in flight (each bounded by the lock timeout and a few
/// renames) and for its exit. SIGKILL is the backstop for a worker that is
/// stuck; a healthy one exits well within it.
pub const STOP_MARGIN: Duration = Duration::from_secs(20);

/// Supervises `accounts` until `stop` completes, then stops every worker
/// (SIGTERM: each finishes its running calls) and returns once all exited;
/// a worker still running its drain timeout plus [`STOP_MARGIN`] after
/// SIGTERM is killed. Each worker is kept on the latest `settings`.
pub async fn run(
    accounts: Vec<Supervised>,
    after_change: Option<AfterChange>,
    audit: Option<Arc<AuditLog>>,
    settings: watch::Receiver<WorkerSettings>,
    stop: impl Future,
) {
    let after_change = after_change.map(Arc::new);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for account in accounts {
        let stop_rx = stop_rx.clone();
        let after_change = after_change.clone();
        let audit = audit.clone();
        tasks.push(tokio::spawn(supervise(
            account,
            after_change,
            audit,
            settings.clone(),
            stop_rx,
        )));
    }
    stop.await;
    tracing::info!("shutting down: stopping every worker");
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
}

/// Keeps one account's worker running until told to stop.
async fn supervise(
    account: Supervised,
    after_change: Option<Arc<AfterChange>>,
    audit: Option<Arc<AuditLog>>,
    mut settings: watch::Receiver<WorkerSettings>,
    mut stop: watch::Receiver<bool>,
) {
    let user = account.spec.user.clone();
    let locator = Arc::new(account.locator);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started_at = Instant::now();
        match spawn::start(&account.spec, &account.listener) {
            Ok(started) => {
                let pid = started.child.id().unwrap_or(0);
                tracing::info!(user, pid, uid = account.spec.identity.uid, "worker started");
                let channels = channels::serve(
                    started.files,
                    started.actions,
                    locator.clone(),
                    account.spec.root.clone(),
                    after_change.clone(),
                    audit.clone(),
                );
                let mut child = started.child;
                // Every worker, restarted or new, waits for its settings.
                settings.mark_changed();
                let mut to_worker = started.settings;
                let outcome = loop {
                    // Decided first, acted on after: the select's guards
                    // must not live across the send.
                    let next = tokio::select! {
                        status = child.wait() => break Some(status),
                        _ = stop.wait_for(|s| *s) => break None,
                        Ok(()) = settings.changed() => Next::Resend,
                        () = told(&account.stuck) => Next::Kill,
                    };
                    if next == Next::Kill {
                        // Stuck: killed, not asked to drain (its calls are
                        // what does not end). A change cut short is undone
                        // by the store, as after a crash.
                        tracing::error!(
                            user,
                            pid,
                            "the worker stopped answering root's calls; killing it"
                        );
                        let _ = child.start_kill();
                        break Some(child.wait().await);
                    }
                    if next == Next::Resend {
                        let line = settings.borrow_and_update().to_line();
                        send_settings(&user, &mut to_worker, &line).await;
                    }
                };
                let status = match outcome {
                    Some(status) => status,
                    None => {
                        let stop_timeout = settings.borrow().server.drain_timeout + STOP_MARGIN;
                        terminate(&child);
                        let status = match tokio::time::timeout(stop_timeout, child.wait()).await {
                            Ok(status) => status,
                            Err(_) => {
                                tracing::error!(
                                    user,
                                    pid,
                                    seconds = stop_timeout.as_secs_f64(),
                                    "worker did not stop in time; killing it"
                                );
                                let _ = child.start_kill();
                                child.wait().await
                            }
                        };
                        tracing::info!(user, pid, status = %ended(&status), "worker stopped");
                        channels.abort();
                        return;
                    }
                };
                channels.abort();
                drop(started.lifeline);
                if !account.restart {
                    tracing::warn!(user, pid, status = %ended(&status), "worker exited");
                    return;
                }
                tracing::warn!(user, pid, status = %ended(&status), "worker exited; restarting it");
            }
            Err(e) => {
                tracing::error!(user, error = %e, "cannot start the worker");
                if !account.restart {
                    return;
                }
            }
        }
        if started_at.elapsed() >= STABLE_RUN {
            backoff = FIRST_BACKOFF;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Writes one settings line to a worker. A worker that does not read it
/// within a second is busy dying; its restart gets the settings anew.
async fn send_settings(user: &str, pipe: &mut tokio::net::unix::pipe::Sender, line: &str) {
    use tokio::io::AsyncWriteExt;
    match tokio::time::timeout(Duration::from_secs(1), pipe.write_all(line.as_bytes())).await {
        Ok(Ok(())) => tracing::debug!(user, "settings sent to the worker"),
        Ok(Err(e)) => tracing::warn!(user, error = %e, "cannot send the worker its new settings"),
        Err(_) => tracing::warn!(user, "the worker did not take its new settings"),
    }
}

/// Asks a worker to drain and exit.
/// What the supervisor does next for a running worker.
#[derive(PartialEq)]
enum Next {
    Resend,
    Kill,
}

/// Completes when `stuck` is told; never without one.
async fn told(stuck: &Option<Arc<tokio::sync::Notify>>) {
    match stuck {
        Some(stuck) => stuck.notified().await,
        None => std::future::pending().await,
    }
}

/// How a worker ended, in words for the log: "exit status: 0",
/// "signal: 9 (SIGKILL)".
fn ended(status: &std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => format!("unknown ({e})"),
    }
}

fn terminate(child: &tokio::process::Child) {
    if let Some(pid) = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}
