//! The HTTPS transport: cPanel's session-URL form
//! `https://host:2083/cpsess##########/execute/Module/function?…`, the same
//! without a session for API tokens and HTTP Basic, and webmail's
//! password change, answered with UAPI's bare result object.
//!
//! The front end runs in the serving process (the root supervisor, or the
//! process of an account served in-process). It authenticates and routes;
//! every call runs in the account's worker, reached as a LiveAPI client
//! over the account's socket, through the same dispatcher as the socket
//! and the `uapi` command. Nothing here opens a file in a home: API tokens
//! and mailbox passwords are checked by the worker; account passwords by
//! PAM.
//!
//! - [`tls`]: certificate and key, or a self-signed pair, and its fingerprint.
//! - [`listener`]: TCP, TLS and HTTP/1.1; [`front_end`]: one request's answer.
//! - [`routes`], [`form`], [`credentials`]: what a request says.
//! - [`sessions`], [`failures`], [`pam`], [`webmail`]: who may do what.
//! - [`accounts`]: the accounts and their sockets; [`auth_audit`]: audit lines.

pub mod accounts;
pub mod auth_audit;
pub mod credentials;
pub mod failures;
pub mod form;
pub mod front_end;
pub mod listener;
pub mod pam;
pub mod routes;
pub mod sessions;
pub mod tls;
pub mod webmail;
pub mod worker_calls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};

pub use accounts::{Accounts, ServedAccount};

use crate::audit::AuditLog;
use crate::error::{Error, Result};

/// The default failure limit per source address and per user.
pub const DEFAULT_AUTH_FAILURES: u32 = 10;
/// The default idle time of a login session.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(15 * 60);

/// The HTTPS settings of `serve` (`--https` and the flags beside it).
#[derive(Debug, Clone)]
pub struct HttpsConfig {
    /// `--https ADDR:PORT`, repeatable; empty: no HTTPS.
    pub https_listen: Vec<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `--auth-failures N` within 5 minutes, per source and per user; 0: no limit.
    pub auth_failures: u32,
    /// `--session-idle SECS`.
    pub session_idle: Duration,
    /// The largest request body.
    pub max_body: usize,
    /// HTTPS connections at once.
    pub max_connections: usize,
    /// `--worker-calls N`: calls to one account's worker in progress at once.
    pub worker_calls: usize,
    /// `--worker-call-timeout SECS`: the deadline of each call to a worker.
    pub worker_call_timeout: Duration,
}

impl Default for HttpsConfig {
    fn default() -> Self {
        HttpsConfig {
            https_listen: Vec::new(),
            tls_cert: None,
            tls_key: None,
            auth_failures: DEFAULT_AUTH_FAILURES,
            session_idle: DEFAULT_SESSION_IDLE,
            max_body: 1 << 20,
            max_connections: 256,
            worker_calls: worker_calls::DEFAULT_WORKER_CALLS,
            worker_call_timeout: crate::protocol::client::DEFAULT_CALL_TIMEOUT,
        }
    }
}

/// The running listeners.
pub struct Running {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The certificate's SHA-256 fingerprint.
    pub fingerprint: String,
    /// The bound addresses (a port 0 resolved).
    pub addresses: Vec<SocketAddr>,
}

impl Running {
    /// Stops accepting (connections being served finish on their own).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops and waits for the accept loops to end.
    pub async fn finish(self) {
        self.stop();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Binds every `--https` address and serves `accounts` on them; `None`
/// when none is configured. The fingerprint is logged.
///
/// # Errors
///
/// TLS files that do not load, an address that cannot be bound.
pub async fn start(
    config: &HttpsConfig,
    accounts: Accounts,
    audit: Option<Arc<AuditLog>>,
) -> Result<Option<Running>> {
    if config.https_listen.is_empty() {
        return Ok(None);
    }
    let tls = tls::load(config.tls_cert.as_deref(), config.tls_key.as_deref())?;
    let mut listeners = Vec::new();
    for address in &config.https_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Error::Config(format!("--https {address}: {e}")))?;
        listeners.push(listener);
    }
    let addresses = listeners
        .iter()
        .map(tokio::net::TcpListener::local_addr)
        .collect::<std::io::Result<Vec<_>>>()?;
    let front = front_end::FrontEnd {
        accounts: accounts.with_call_limits(config.worker_calls, config.worker_call_timeout),
        sessions: sessions::Sessions::new(config.session_idle),
        failures: failures::Failures::new(config.auth_failures),
        audit,
    };
    let shared = Arc::new(listener::Shared {
        front: Arc::new(front),
        acceptor: tokio_rustls::TlsAcceptor::from(tls.config.clone()),
        connections: Arc::new(Semaphore::new(config.max_connections.max(1))),
        max_body: config.max_body,
    });
    let (stop, stop_rx) = watch::channel(false);
    let tasks = listeners
        .into_iter()
        .map(|l| tokio::spawn(listener::accept_loop(l, shared.clone(), stop_rx.clone())))
        .collect();
    for address in &addresses {
        tracing::info!(%address, fingerprint = %tls.fingerprint, self_signed = config.tls_cert.is_none(), "listening for HTTPS");
    }
    Ok(Some(Running {
        stop,
        tasks,
        fingerprint: tls.fingerprint,
        addresses,
    }))
}
