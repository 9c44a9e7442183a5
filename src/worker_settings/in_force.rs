//! Putting settings in force in a running server: each value published
//! applies its limits to the account's next calls and its server options
//! to the next connections. A running call and an open connection keep
//! what they started with.

use std::sync::{Arc, Weak};

use tokio::sync::watch;

use super::WorkerSettings;
use crate::engine::Engine;
use crate::server::ServerOptions;

/// Follows `settings` for `engine` until either is gone; returns what new
/// connections read ([`crate::server::run_with_settings`]).
pub fn follow(
    mut settings: watch::Receiver<WorkerSettings>,
    engine: &Arc<Engine>,
) -> watch::Receiver<ServerOptions> {
    let first = settings.borrow_and_update().clone();
    engine.state().apply_limits(&first.limits);
    let (server, receiver) = watch::channel(first.server);
    let engine: Weak<Engine> = Arc::downgrade(engine);
    tokio::spawn(async move {
        while settings.changed().await.is_ok() {
            let Some(engine) = engine.upgrade() else {
                return;
            };
            let next = settings.borrow_and_update().clone();
            engine.state().apply_limits(&next.limits);
            tracing::info!(
                max_request_bytes = next.server.max_payload,
                verify_rate = next.limits.verify_rate,
                hash_threads = next.limits.hash_threads,
                "new settings in force: new connections and calls use them"
            );
            server.send_replace(next.server);
        }
    });
    receiver
}
