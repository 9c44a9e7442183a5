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

use serde_json::{Map, Value};

use crate::account::{user_name_of, AccountLocator};
use crate::api::Args;
use crate::audit::{AuditLog, AuditSink};
use crate::dispatch;
use crate::error::{Error, Result};
use crate::protocol::{client, RawArgs};
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
    let args = Args::from_raw(RawArgs::Object(invocation.args));
    let caller = crate::api::Caller::this_process();
    let result = dispatch::uapi(&state, caller, &invocation.module, &invocation.func, args).await;
    Ok(result.envelope(&invocation.module, &invocation.func))
}

/// The call made in a private worker running as the account.
async fn in_worker(locator: AccountLocator, invocation: Invocation) -> Result<Value> {
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
        module, func, args, ..
    } = invocation;
    // Held as `RawArgs` so that the values are wiped when the call is done.
    let args = RawArgs::Object(args);
    let call = tokio::task::spawn_blocking(move || {
        let RawArgs::Object(map) = &args else {
            unreachable!("built as an object just above")
        };
        client::uapi_call(&socket, &module, &func, map)
    });
    let reply = tokio::select! {
        reply = call => reply.map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?,
        () = worker.exited() => {
            return Err(Error::Config(
                "the account's worker exited before answering (see the messages above)".into(),
            ))
        }
    };
    worker.stop().await;
    reply
}
