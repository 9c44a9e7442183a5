//! One `uapi` call: which account, in which process, and the envelope it
//! answers.
//!
//! A normal user acts on their own account, in this process. Root names
//! the account with `--user`; the call then runs in a worker that is that
//! account's user, exactly as `liveapid serve` runs it (the same privilege
//! drop, the same confined home), and this process asks it over a private
//! LiveAPI socket. Both take the same locks as a running daemon, so no
//! change of either is lost.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::account::{user_name_of, AccountLocator};
use crate::api::Args;
use crate::audit::{AuditLog, AuditSink};
use crate::dispatch;
use crate::error::{Error, Result};
use crate::protocol::{client, RawArgs};
use crate::shutdown::Termination;
use crate::state::AccountState;
use crate::supervisor::PrivateWorker;

/// What the command line asked for. `Debug` shows the argument names, not
/// their values (one is usually a password).
#[derive(Clone)]
pub struct Invocation {
    /// `--user`: required for root, else the caller's own account.
    pub user: Option<String>,
    pub home: Option<PathBuf>,
    pub root: PathBuf,
    pub module: String,
    pub func: String,
    pub args: Map<String, Value>,
    /// `--audit-log`: the same audit lines a daemon writes.
    pub audit_log: Option<PathBuf>,
    /// `--worker-call-timeout`: the deadline of the call to the account's
    /// worker (root with `--user`).
    pub call_timeout: Duration,
}

impl std::fmt::Debug for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("user", &self.user)
            .field("home", &self.home)
            .field("root", &self.root)
            .field("module", &self.module)
            .field("func", &self.func)
            .field("args", &self.args.keys().collect::<Vec<_>>())
            .field("call_timeout", &self.call_timeout)
            .finish()
    }
}

/// Runs the call; the UAPI envelope (`apiversion`, `func`, `module`,
/// `result`), whatever the call's own status.
///
/// # Errors
///
/// An unknown or unreadable account, another user's account without root,
/// or a worker that cannot be reached.
pub async fn run(invocation: Invocation) -> Result<Value> {
    let caller = rustix::process::getuid().as_raw();
    let root_caller = rustix::process::geteuid().is_root();
    let user = match &invocation.user {
        Some(user) => user.clone(),
        None if root_caller => {
            return Err(Error::Config(
                "as root, name the account with --user NAME".into(),
            ))
        }
        None => user_name_of(&invocation.root, caller)?.ok_or_else(|| {
            Error::Config(format!(
                "uid {caller} is not in {}; name the account with --user NAME",
                invocation.root.join("etc/passwd").display()
            ))
        })?,
    };
    if let Some(log) = &invocation.audit_log {
        crate::config::ownership::check_audit_log(log)?;
    }
    let locator = AccountLocator::new(&user, &invocation.root, invocation.home.as_deref())?;
    let owner = locator.system_user().uid;
    if !root_caller && owner != caller {
        return Err(Error::Config(format!(
            "the account “{user}” is not yours (uid {caller}): acting on another account needs root"
        )));
    }
    if root_caller && owner != 0 {
        return in_worker(locator, invocation).await;
    }
    let audit = match &invocation.audit_log {
        Some(path) => Some(AuditSink::Local {
            log: Arc::new(AuditLog::open(path)?),
            account: locator.user().to_owned(),
        }),
        None => None,
    };
    let state = AccountState::new(locator).with_audit(audit);
    let args = Ok(Args::from_object(invocation.args));
    let caller = crate::api::Caller::this_process();
    let result = dispatch::uapi(&state, caller, &invocation.module, &invocation.func, args).await;
    Ok(result.envelope(&invocation.module, &invocation.func))
}

/// The call made in a private worker running as the account, within the
/// call's deadline. SIGINT, SIGTERM and SIGHUP end the wait like the
/// deadline does: the scratch directory is removed on every way out, and
/// the worker, which loses its lifeline when this process ends, stops.
async fn in_worker(locator: AccountLocator, invocation: Invocation) -> Result<Value> {
    // Caught before the scratch directory exists, so that no signal can
    // end the process the default way while the directory is there.
    let mut termination = Termination::install()?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let dir = tempfile::Builder::new()
        .prefix("liveapid-uapi-")
        .tempdir()?;
    let audit = invocation
        .audit_log
        .as_deref()
        .map(AuditLog::open)
        .transpose()?;
    let mut worker = PrivateWorker::start(locator, &invocation.root, dir.path(), None, audit)?;
    let socket = worker.socket().to_owned();
    let Invocation {
        module,
        func,
        args,
        call_timeout,
        ..
    } = invocation;
    // Held as `RawArgs` so that the values are wiped when the call is done.
    let args = RawArgs::Object(args);
    let empty = serde_json::Map::new();
    let map = match &args {
        RawArgs::Object(map) => map,
        _ => &empty,
    };
    let interrupted = |name: &str| {
        Error::Config(format!(
            "interrupted by {name} before the account's worker answered; the call may or may not have been made"
        ))
    };
    let reply = tokio::select! {
        reply = client::uapi_call(&socket, &module, &func, map, call_timeout) => reply,
        () = worker.exited() => {
            return Err(Error::Config(
                "the account's worker exited before answering (see the messages above)".into(),
            ))
        }
        () = termination.recv() => return Err(interrupted("a signal (SIGINT or SIGTERM)")),
        _ = hangup.recv() => return Err(interrupted("SIGHUP")),
    };
    if reply.is_ok() {
        // A worker that answered finishes cleanly; one that did not is
        // not waited for (its drain could take as long again).
        worker.stop().await;
    }
    drop(dir);
    reply
}
