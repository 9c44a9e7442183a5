//! One audit line per authentication, success or failure, in the audit log
//! of `--audit-log`: who was claimed, how, from where, and the outcome.
//! Never the password, token or session cookie.
//!
//! ```text
//! {"time":"…","account":"bob","event":"login","method":"token","source":"127.0.0.1","user":"bob","outcome":"ok"}
//! {"time":"…","account":"example.com","event":"login","method":"webmail","source":"127.0.0.1","user":"user@example.com","outcome":"refused","reason":"wrong credentials"}
//! ```

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Map};

use crate::audit::{rfc3339, AuditLog};

/// How a caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Token,
    /// The account's system password (HTTP Basic or the login form).
    Password,
    /// A mailbox's password (HTTP Basic or the login form).
    Webmail,
    /// A session's cookie and security token.
    Session,
    /// No credential at all.
    None,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Token => "token",
            Method::Password => "password",
            Method::Webmail => "webmail",
            Method::Session => "session",
            Method::None => "none",
        }
    }
}

/// One authentication's line. `account` is the account acted on, or for a
/// refusal the name that was claimed (shown safely).
pub async fn record(
    log: Option<&Arc<AuditLog>>,
    account: &str,
    method: Method,
    source: IpAddr,
    user: Option<&str>,
    refusal: Option<&str>,
) {
    let Some(log) = log else { return };
    let mut line = Map::new();
    line.insert("time".into(), json!(rfc3339(SystemTime::now())));
    line.insert("event".into(), json!("login"));
    line.insert("method".into(), json!(method.name()));
    line.insert("source".into(), json!(source.to_string()));
    line.insert("user".into(), json!(user.map(crate::error::shown)));
    match refusal {
        None => line.insert("outcome".into(), json!("ok")),
        Some(reason) => {
            line.insert("outcome".into(), json!("refused"));
            line.insert("reason".into(), json!(reason))
        }
    };
    // A file write: off the runtime's threads, like every other.
    let (log, account) = (log.clone(), crate::error::shown(account));
    let _ = tokio::task::spawn_blocking(move || log.append(&account, line)).await;
}
