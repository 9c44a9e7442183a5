//! One account's unprivileged worker: started by the supervisor already as
//! the account's user, it confirms that, then serves the inherited socket
//! with the same engine a single-account daemon uses.
//!
//! It runs no program and asks the supervisor for the two things it cannot
//! do as the account: host files that are root-only, and the operator's
//! after-change action. Its command line says who it is; what it is set to
//! comes whole on its settings pipe ([`WorkerSettings`]), before it serves
//! and after every reload.

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;

use crate::account::{AccountLocator, SystemUser};
use crate::after_change::AfterChangeHook;
use crate::audit::AuditSink;
use crate::control::{
    ActionClient, FileClient, ACTIONS_FD, FILES_FD, LIFELINE_FD, LISTENER_FD, SETTINGS_FD,
};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::privilege::{self, Identity};
use crate::server;
use crate::shutdown::Termination;
use crate::state::AccountState;
use crate::worker_settings::{in_force, WorkerSettings};

/// What the supervisor told the worker on its command line: who it is and
/// which channels it has.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub user: String,
    pub system_user: SystemUser,
    pub identity: Identity,
    pub root: PathBuf,
    /// Ask the supervisor to run the after-change action.
    pub after_change: bool,
    /// Send audit lines to the supervisor.
    pub audit: bool,
}

/// Runs the worker until SIGTERM, or until the supervisor is gone.
///
/// Must be called before any thread exists: it becomes the account's user
/// (the per-thread system calls then change the whole process), makes the
/// process non-dumpable and checks its ids, and only then starts the runtime.
///
/// # Errors
///
/// Ids that cannot be set or are wrong, missing descriptors, an unusable
/// account.
pub fn run(config: WorkerConfig) -> Result<()> {
    if config.identity.uid != 0 {
        config
            .identity
            .prepare()
            .become_it()
            .map_err(|source| Error::BecomeUser {
                uid: config.identity.uid,
                source,
            })?;
    }
    privilege::confirm(&config.identity)?;
    let [listener, files, actions, lifeline, settings_pipe] =
        [LISTENER_FD, FILES_FD, ACTIONS_FD, LIFELINE_FD, SETTINGS_FD].map(inherited);
    let runtime = tokio::runtime::Runtime::new().map_err(Error::Runtime)?;
    let outcome = runtime.block_on(async move {
        let mut termination = Termination::install()?;
        let listener = std::os::unix::net::UnixListener::from(listener?);
        listener.set_nonblocking(true)?;
        let listener = tokio::net::UnixListener::from_std(listener)?;
        let files = FileClient::new(
            std::os::unix::net::UnixStream::from(files?),
            config.root.clone(),
        );
        let locator =
            AccountLocator::resolved(&config.user, config.system_user.clone(), Arc::new(files))?;
        let (first, settings) = follow_supervisor(
            tokio::net::unix::pipe::Receiver::from_owned_fd(settings_pipe?)?,
            server::allowed_uids(config.identity.uid),
        )
        .await?;
        let mut state = AccountState::new(locator).with_limits(&first.limits);
        if config.after_change || config.audit {
            let actions = std::os::unix::net::UnixStream::from(actions?);
            actions.set_nonblocking(true)?;
            let client = Arc::new(ActionClient::new(tokio::net::UnixStream::from_std(
                actions,
            )?));
            if config.after_change {
                state = state.with_after_change(Some(AfterChangeHook::Supervisor(client.clone())));
            }
            if config.audit {
                state = state.with_audit(Some(AuditSink::Supervisor(client)));
            }
        }
        let lifeline = tokio::net::unix::pipe::Receiver::from_owned_fd(lifeline?)?;
        tracing::info!(
            user = config.user,
            uid = config.identity.uid,
            "worker serving"
        );
        let stop = async move {
            tokio::select! {
                () = termination.recv() => {}
                () = supervisor_gone(lifeline) => {
                    tracing::warn!("the supervisor is gone; stopping");
                }
            }
        };
        let engine = Arc::new(Engine::new(state));
        let options = in_force::follow(settings, &engine);
        server::run_with_settings(listener, engine, options, stop).await;
        Ok(())
    });
    // Every commit is done (`server::run` waits for them); a hash the drain
    // stopped is pure CPU and is not waited for.
    runtime.shutdown_background();
    outcome
}

/// The settings the supervisor sends: the first line (which the worker
/// needs before it can serve), then a channel that each later line (after
/// a reload) updates. The uids served stay `allowed_uids`, this account's.
///
/// # Errors
///
/// [`Error::NoSettings`] when the pipe ends before a first line,
/// [`Error::UnreadableSettings`] when that line is not settings.
async fn follow_supervisor(
    pipe: tokio::net::unix::pipe::Receiver,
    allowed_uids: Vec<u32>,
) -> Result<(WorkerSettings, tokio::sync::watch::Receiver<WorkerSettings>)> {
    use crate::bounded_lines::{next_line, MAX_WORKER_LINE};
    // A settings line is a few hundred bytes; a longer one ends the pipe.
    let mut lines = tokio::io::BufReader::new(pipe);
    let first = match next_line(&mut lines, MAX_WORKER_LINE).await {
        Ok(Some(line)) => WorkerSettings::from_line(&line, allowed_uids.clone())?,
        Ok(None) | Err(_) => return Err(Error::NoSettings),
    };
    let (settings, receiver) = tokio::sync::watch::channel(first.clone());
    tokio::spawn(async move {
        while let Ok(Some(line)) = next_line(&mut lines, MAX_WORKER_LINE).await {
            match WorkerSettings::from_line(&line, allowed_uids.clone()) {
                Ok(update) => {
                    tracing::info!(
                        max_request_bytes = update.server.max_payload,
                        verify_rate = update.limits.verify_rate,
                        "new settings from the supervisor: new connections and calls use them"
                    );
                    settings.send_replace(update);
                }
                Err(e) => tracing::warn!(error = %e, "keeping my settings"),
            }
        }
    });
    Ok((first, receiver))
}

/// Takes the descriptor the supervisor left at `fd`.
fn inherited(fd: i32) -> Result<OwnedFd> {
    // SAFETY: `fd` is only borrowed for this one fcntl(F_GETFD), which
    // answers EBADF if nothing is open there; no memory is involved.
    let open = rustix::io::fcntl_getfd(unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) });
    if open.is_err() {
        return Err(Error::MissingDescriptor(fd));
    }
    // SAFETY: descriptor `fd` is open (checked above), was placed there by
    // the supervisor for this process alone (see `supervisor::spawn`), and
    // nothing else in this process owns it. No safe API adopts an
    // inherited descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Completes when the lifeline pipe reaches EOF: the supervisor exited
/// (even by SIGKILL), so nobody would restart or stop this worker.
async fn supervisor_gone(lifeline: tokio::net::unix::pipe::Receiver) {
    let mut byte = [0u8; 1];
    loop {
        if lifeline.readable().await.is_err() {
            return;
        }
        match lifeline.try_read(&mut byte) {
            Ok(0) => return,
            // Nothing is ever written; a spurious wake-up just waits again.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}
