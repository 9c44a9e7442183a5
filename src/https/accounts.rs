//! The accounts the front end serves and how it reaches them: each through
//! its own LiveAPI socket, served by the account's worker (or, for an
//! account served in-process, by this process's socket server). The front
//! end reads the host's files about an account (its cPanel user file, to
//! find which account owns a mailbox's domain) and never a file in a home.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use super::worker_calls::{WorkerGate, DEFAULT_WORKER_CALLS};
use crate::account::AccountLocator;
use crate::error::{Error, Result};
use crate::protocol::client::DEFAULT_CALL_TIMEOUT;
use std::sync::Arc;
use tokio::sync::Notify;

/// One served account.
#[derive(Debug, Clone)]
pub struct ServedAccount {
    pub locator: AccountLocator,
    /// The account's LiveAPI socket.
    pub socket: PathBuf,
    /// Told when the account's worker has stopped answering root's calls
    /// (the supervisor then restarts it); `None` where no supervisor runs
    /// the worker.
    pub stuck: Option<Arc<Notify>>,
}

/// Every account of the daemon, by user name, each with its share of
/// root's calls ([`WorkerGate`]).
#[derive(Debug, Default)]
pub struct Accounts {
    by_user: BTreeMap<String, ServedAccount>,
    gates: BTreeMap<String, WorkerGate>,
}

impl Accounts {
    /// The accounts, with the default share and deadline of calls.
    pub fn new(accounts: impl IntoIterator<Item = ServedAccount>) -> Accounts {
        let by_user: BTreeMap<String, ServedAccount> = accounts
            .into_iter()
            .map(|a| (a.locator.user().to_owned(), a))
            .collect();
        Accounts::gated(by_user, DEFAULT_WORKER_CALLS, DEFAULT_CALL_TIMEOUT)
    }

    /// The same accounts, `per_account` calls at once each, every call
    /// ending within `deadline`.
    pub fn with_call_limits(self, per_account: usize, deadline: Duration) -> Accounts {
        Accounts::gated(self.by_user, per_account, deadline)
    }

    fn gated(
        by_user: BTreeMap<String, ServedAccount>,
        per_account: usize,
        deadline: Duration,
    ) -> Accounts {
        let gates = by_user
            .iter()
            .map(|(user, account)| {
                let gate = WorkerGate::new(user, per_account, deadline);
                (user.clone(), gate.telling(account.stuck.clone()))
            })
            .collect();
        Accounts { by_user, gates }
    }

    /// The account called `user`.
    pub fn get(&self, user: &str) -> Option<&ServedAccount> {
        self.by_user.get(user)
    }

    /// The account that owns `domain` (lower case), from the cPanel user
    /// files (read now: a domain added by the panel counts at once).
    pub fn owner_of(&self, domain: &str) -> Option<&ServedAccount> {
        self.by_user.values().find(|a| {
            a.locator
                .load()
                .is_ok_and(|account| account.owns_domain(domain))
        })
    }
}

/// Calls UAPI `module::func` with `args` on the account's socket, within
/// the account's share and deadline; the bare result object (`status`,
/// `data`, `errors`, …). The arguments are wiped.
///
/// # Errors
///
/// [`Error::WorkerBusy`], [`Error::WorkerDeadline`], or when the account's
/// server cannot be reached or answers no UAPI reply.
pub async fn call(
    accounts: &Accounts,
    account: &ServedAccount,
    module: &str,
    func: &str,
    args: Map<String, Value>,
) -> Result<Value> {
    let reply = match accounts.gates.get(account.locator.user()) {
        Some(gate) => gate.call(&account.socket, module, func, args).await?,
        // Not one of this front end's accounts: nothing to call.
        None => return Err(not_uapi()),
    };
    match reply {
        Value::Object(mut envelope) => match envelope.remove("result") {
            Some(result @ Value::Object(_)) => Ok(result),
            _ => Err(not_uapi()),
        },
        _ => Err(not_uapi()),
    }
}

fn not_uapi() -> Error {
    Error::Io(std::io::Error::other(
        "the account's LiveAPI server answered no UAPI result",
    ))
}
