//! The accounts the front end serves and how it reaches them: each through
//! its own LiveAPI socket, served by the account's worker (or, for an
//! account served in-process, by this process's socket server). The front
//! end reads the host's files about an account (its cPanel user file, to
//! find which account owns a mailbox's domain) and never a file in a home.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::account::AccountLocator;
use crate::error::{Error, Result};
use crate::protocol::client;
use crate::protocol::secrets::wipe;

/// One served account.
#[derive(Debug, Clone)]
pub struct ServedAccount {
    pub locator: AccountLocator,
    /// The account's LiveAPI socket.
    pub socket: PathBuf,
}

/// Every account of the daemon, by user name.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    by_user: BTreeMap<String, ServedAccount>,
}

impl Accounts {
    pub fn new(accounts: impl IntoIterator<Item = ServedAccount>) -> Accounts {
        Accounts {
            by_user: accounts
                .into_iter()
                .map(|a| (a.locator.user().to_owned(), a))
                .collect(),
        }
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

/// Calls UAPI `module::func` with `args` on the account's socket; the bare
/// result object (`status`, `data`, `errors`, …). The arguments are wiped.
///
/// # Errors
///
/// When the account's server cannot be reached or answers no UAPI reply.
pub async fn call(
    account: &ServedAccount,
    module: &str,
    func: &str,
    mut args: Map<String, Value>,
) -> Result<Value> {
    let socket = account.socket.clone();
    let (module, func) = (module.to_owned(), func.to_owned());
    let reply = tokio::task::spawn_blocking(move || {
        let reply = client::uapi_call(&socket, &module, &func, &args);
        for value in args.values_mut() {
            wipe(value);
        }
        reply
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
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
