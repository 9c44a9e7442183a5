//! SIGHUP: read the configuration again. The settings of serving an
//! account ([`WorkerSettings`]) live in a [`watch`] channel; the accept loop
//! reads its server options at each new connection and each call takes the
//! limits in force when it starts ([`crate::worker_settings::in_force`]),
//! so nothing open is dropped. A supervisor sends each worker the whole
//! value. A file that no longer parses is logged and the old settings stay.
//!
//! What a reload changes: the server's limits and timings
//! (`max_request_bytes`, `max_connections`, the idle, drain and keep-alive
//! timeouts) and the per-account limits (the hashing pool, the rates,
//! `max_file_bytes`). The accounts, their sockets, the audit log, the
//! after-change command and the HTTPS front end are set up once; they need
//! a restart.

use std::fmt;
use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::watch;

use crate::error::Result;
use crate::systemd::{self, Status};
use crate::worker_settings::WorkerSettings;

/// Reads the settings again: the configuration file with the command
/// line's flags still on top (the binary knows how).
#[derive(Clone)]
pub struct Reloader(Arc<dyn Fn() -> Result<WorkerSettings> + Send + Sync>);

impl Reloader {
    pub fn new(reread: impl Fn() -> Result<WorkerSettings> + Send + Sync + 'static) -> Reloader {
        Reloader(Arc::new(reread))
    }

    /// The settings as they are now configured.
    ///
    /// # Errors
    ///
    /// The file's or the flags' error (naming the key and line).
    pub fn reread(&self) -> Result<WorkerSettings> {
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
/// the uids it serves) and publishes them. Returns the settings in force
/// ([`crate::worker_settings::in_force`] applies them).
pub fn follow(
    mut hangup: Hangup,
    reloader: Reloader,
    initial: WorkerSettings,
    adjust: impl Fn(WorkerSettings) -> WorkerSettings + Send + 'static,
) -> watch::Receiver<WorkerSettings> {
    let (settings, receiver) = watch::channel(initial);
    tokio::spawn(async move {
        while hangup.recv().await {
            systemd::notify(Status::Reloading);
            match reloader.reread() {
                Ok(reread) => {
                    let reread = adjust(reread);
                    tracing::info!(
                        max_request_bytes = reread.server.max_payload,
                        max_connections = reread.server.max_connections,
                        idle_timeout = reread.server.idle_timeout.as_secs_f64(),
                        verify_rate = reread.limits.verify_rate,
                        "configuration reloaded: new connections and calls use it"
                    );
                    settings.send_replace(reread);
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
