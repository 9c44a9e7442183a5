//! SIGHUP: read the configuration again. The server's settings live in a
//! [`watch`] channel that the accept loop reads at each new connection, so
//! a connection keeps the settings it was accepted with and the next one
//! gets the new ones; nothing open is dropped. A file that no longer
//! parses is logged and the old settings stay.
//!
//! What a reload changes: the limits and timings of [`ServerOptions`]
//! (`max_request_bytes`, `max_connections`, the idle, drain and keep-alive
//! timeouts). The accounts, their sockets, the audit log, the after-change
//! command, the hashing pool and rates, and the HTTPS front end are set up
//! once; they need a restart.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;

use crate::error::Result;
use crate::server::ServerOptions;
use crate::systemd::{self, Status};

/// Reads the settings again: the configuration file with the command
/// line's flags still on top (the binary knows how).
#[derive(Clone)]
pub struct Reloader(Arc<dyn Fn() -> Result<ServerOptions> + Send + Sync>);

impl Reloader {
    pub fn new(reread: impl Fn() -> Result<ServerOptions> + Send + Sync + 'static) -> Reloader {
        Reloader(Arc::new(reread))
    }

    /// The settings as they are now configured.
    ///
    /// # Errors
    ///
    /// The file's or the flags' error (naming the key and line).
    pub fn reread(&self) -> Result<ServerOptions> {
        (self.0)()
    }
}

impl fmt::Debug for Reloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reloader")
    }
}

/// SIGHUP, caught from the moment this is made. Make it before the daemon
/// says it is ready: SIGHUP's default action ends the process.
#[derive(Debug)]
pub struct Hangup(Signal);

impl Hangup {
    /// Installs the handler. Needs a running Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the handler cannot be installed.
    pub fn install() -> std::io::Result<Hangup> {
        Ok(Hangup(signal(SignalKind::hangup())?))
    }

    async fn recv(&mut self) -> bool {
        self.0.recv().await.is_some()
    }
}

/// Starts following SIGHUP: each one re-reads the settings with `reloader`,
/// passes them through `adjust` (what this process fixes itself, such as
/// the uids it serves) and publishes them. Returns what new connections
/// read.
pub fn follow(
    mut hangup: Hangup,
    reloader: Reloader,
    initial: ServerOptions,
    adjust: impl Fn(ServerOptions) -> ServerOptions + Send + 'static,
) -> watch::Receiver<ServerOptions> {
    let (settings, receiver) = watch::channel(initial);
    tokio::spawn(async move {
        while hangup.recv().await {
            systemd::notify(Status::Reloading);
            match reloader.reread() {
                Ok(options) => {
                    let options = adjust(options);
                    tracing::info!(
                        max_request_bytes = options.max_payload,
                        max_connections = options.max_connections,
                        idle_timeout = options.idle_timeout.as_secs_f64(),
                        "configuration reloaded: new connections use it"
                    );
                    settings.send_replace(options);
                }
                Err(e) => {
                    tracing::error!(error = %e, "configuration not reloaded: keeping the settings in force");
                }
            }
            systemd::notify(Status::Ready);
        }
    });
    receiver
}

/// The reloadable part of [`ServerOptions`], as the supervisor sends it to
/// its workers (one JSON line on their settings pipe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tunables {
    pub max_request_bytes: usize,
    pub max_connections: usize,
    pub idle_timeout: f64,
    pub drain_timeout: f64,
    pub keepalive: f64,
}

impl Tunables {
    pub fn of(options: &ServerOptions) -> Tunables {
        Tunables {
            max_request_bytes: options.max_payload,
            max_connections: options.max_connections,
            idle_timeout: options.idle_timeout.as_secs_f64(),
            drain_timeout: options.drain_timeout.as_secs_f64(),
            keepalive: options.keepalive.as_secs_f64(),
        }
    }

    /// `base` with these values; `None` if a duration is not a positive
    /// number (the line did not come from [`Tunables::of`]).
    pub fn applied_to(&self, base: &ServerOptions) -> Option<ServerOptions> {
        let seconds = |s: f64| Duration::try_from_secs_f64(s).ok().filter(|d| !d.is_zero());
        Some(ServerOptions {
            max_payload: self.max_request_bytes,
            max_connections: self.max_connections.max(1),
            idle_timeout: seconds(self.idle_timeout)?,
            drain_timeout: seconds(self.drain_timeout)?,
            keepalive: seconds(self.keepalive)?,
            allowed_uids: base.allowed_uids.clone(),
        })
    }
}
