//! The accept loop and the per-connection handler.
//!
//! One connection is one client object in a script: strictly one request,
//! then one reply (docs/protocol.md §1.3, C14). A bad request gets an error reply and
//! the connection lives on; a broken frame or EOF ends that connection only.
//!
//! Limits: `max_connections` at once (one more is told so and closed at
//! once), `idle_timeout` between requests, and at shutdown `drain_timeout`
//! for the running calls, after which they are stopped, though a commit that
//! has begun always completes ([`crate::in_flight`]).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::codec::Framed;
use zeroize::Zeroize;

use crate::caller::Caller;
use crate::engine::{session_closed, Engine, Response};
use crate::error::{Error, Result};
use crate::protocol::frame::XML_DECLARATION;
use crate::protocol::{Inbound, LiveApiCodec, ReplyFrame, Request};
use crate::shutdown::Shutdown;

/// Limits and timings of a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The largest request payload accepted (a larger one ends the connection).
    pub max_payload: usize,
    /// How many connections are served at once; one more gets an error
    /// frame and is closed at once.
    pub max_connections: usize,
    /// A connection with no complete request for this long is closed
    /// (between requests only: a running call is never cut).
    pub idle_timeout: Duration,
    /// At shutdown, how long running calls may take before they are stopped.
    pub drain_timeout: Duration,
    /// For calls that take longer than this, the declaration line goes out
    /// at once and a bare LF every interval after, so PHP's read timeout
    /// (60 s by default) never fires (docs/protocol.md C10).
    pub keepalive: Duration,
    /// The only peers served, by uid (read with `SO_PEERCRED`): the
    /// account's own and root's. Anyone else is refused whatever the
    /// socket file's mode, which keeps accounts apart even if it is opened up.
    pub allowed_uids: Vec<u32>,
}

impl ServerOptions {
    /// Options that serve the account of `uid` (and root) only.
    pub fn for_account(uid: u32) -> ServerOptions {
        ServerOptions {
            allowed_uids: allowed_uids(uid),
            ..ServerOptions::default()
        }
    }
}

/// `uid` and root.
pub fn allowed_uids(uid: u32) -> Vec<u32> {
    let mut uids = vec![uid, 0];
    uids.dedup();
    uids
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_payload: crate::protocol::codec::DEFAULT_MAX_PAYLOAD,
            max_connections: 256,
            idle_timeout: Duration::from_secs(300),
            drain_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(15),
            allowed_uids: allowed_uids(rustix::process::geteuid().as_raw()),
        }
    }
}

/// Serves `listener` until `shutdown` completes, then lets every connection
/// finish the request it is running, for at most `drain_timeout`: then the
/// calls still running are stopped. Returns once every connection is done
/// and every commit that had begun has completed.
pub async fn run(
    listener: UnixListener,
    engine: Arc<Engine>,
    options: ServerOptions,
    shutdown: impl Future,
) {
    let (_fixed, settings) = watch::channel(options);
    run_with_settings(listener, engine, settings, shutdown).await;
}

/// [`run`] with settings that may change while it serves (a reload,
/// [`crate::reload`]): each new connection takes the settings in force when
/// it is accepted and keeps them; the drain uses the latest.
pub async fn run_with_settings(
    listener: UnixListener,
    engine: Arc<Engine>,
    settings: watch::Receiver<ServerOptions>,
    shutdown: impl Future,
) {
    let (notify_shutdown, _) = broadcast::channel(1);
    // Every handler holds a sender; when all are dropped, all are done.
    let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel::<()>(1);
    let (abandon, _) = watch::channel(false);
    let mut server = Listener {
        listener,
        engine,
        settings,
        active: Arc::new(AtomicUsize::new(0)),
        notify_shutdown,
        shutdown_complete_tx,
        abandon,
    };
    tokio::select! {
        () = server.accept_loop() => {}
        _ = shutdown => tracing::info!("shutting down"),
    }
    let Listener {
        notify_shutdown,
        shutdown_complete_tx,
        abandon,
        engine,
        settings,
        ..
    } = server;
    let drain_timeout = settings.borrow().drain_timeout;
    drop(notify_shutdown);
    drop(shutdown_complete_tx);
    if tokio::time::timeout(drain_timeout, shutdown_complete_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = drain_timeout.as_secs_f64(),
            "drain timeout: stopping the calls still running"
        );
        let _ = abandon.send(true);
        let _ = shutdown_complete_rx.recv().await;
    }
    // A stopped call's commit, once begun, runs on; the files must not be
    // left half-renamed, so wait for it (a lock wait is bounded by its timeout).
    let mail_files = engine.state().mail_files();
    if mail_files.in_flight() > 0 {
        tracing::info!(
            commits = mail_files.in_flight(),
            "waiting for the commits in flight"
        );
    }
    mail_files.settled().await;
}

struct Listener {
    listener: UnixListener,
    engine: Arc<Engine>,
    /// The settings in force; read once per accepted connection.
    settings: watch::Receiver<ServerOptions>,
    /// Connections being served, against `max_connections` so that a flood
    /// cannot exhaust descriptors. A counter rather than a semaphore: the
    /// cap may change at a reload while connections hold their slots.
    active: Arc<AtomicUsize>,
    notify_shutdown: broadcast::Sender<()>,
    shutdown_complete_tx: mpsc::Sender<()>,
    /// Set when the drain timed out: every connection stops where it is.
    abandon: watch::Sender<bool>,
}

impl Listener {
    async fn accept_loop(&mut self) {
        loop {
            let stream = self.accept().await;
            let options = self.settings.borrow().clone();
            let Some(caller) = peer_allowed(&options, &stream) else {
                tokio::spawn(refuse(stream, FOREIGN_PEER.to_owned()));
                continue;
            };
            // Accepted first and refused at once: a client over the cap
            // learns why instead of hanging in the listen backlog.
            let Some(permit) = Slot::take(&self.active, options.max_connections) else {
                let max = options.max_connections;
                tracing::warn!(
                    peer_uid = caller.uid,
                    peer_pid = caller.pid.unwrap_or(0),
                    max,
                    "connection refused: too many connections"
                );
                tokio::spawn(refuse(stream, too_many_connections(max)));
                continue;
            };
            let mut handler = Handler {
                framed: Framed::new(stream, LiveApiCodec::new(options.max_payload)),
                engine: self.engine.clone(),
                caller,
                keepalive: options.keepalive,
                idle_timeout: options.idle_timeout,
                shutdown: Shutdown::new(self.notify_shutdown.subscribe()),
                _shutdown_complete: self.shutdown_complete_tx.clone(),
            };
            let mut abandon = self.abandon.subscribe();
            tokio::spawn(async move {
                tokio::select! {
                    outcome = handler.run() => {
                        if let Err(e) = outcome {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    }
                    _ = abandon.wait_for(|stop| *stop) => {
                        tracing::warn!(peer_pid = handler.caller.pid.unwrap_or(0), "call stopped: the shutdown drain timed out");
                    }
                }
                drop(handler);
                drop(permit);
            });
        }
    }

    /// Accepts, backing off on errors (e.g. out of descriptors) rather than
    /// spinning or giving up: 1 ms, doubling to at most 1 s.
    async fn accept(&mut self) -> UnixStream {
        let mut backoff = Duration::from_millis(1);
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => return stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

/// The connecting process, when its uid may use this account.
fn peer_allowed(options: &ServerOptions, stream: &UnixStream) -> Option<Caller> {
    match stream.peer_cred() {
        Ok(peer) if options.allowed_uids.contains(&peer.uid()) => Some(Caller {
            uid: peer.uid(),
            pid: peer.pid().and_then(|p| u32::try_from(p).ok()),
        }),
        Ok(peer) => {
            tracing::warn!(
                peer_uid = peer.uid(),
                peer_pid = peer.pid().unwrap_or(0),
                "connection refused: the peer is not this account's user or root"
            );
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "connection refused: cannot read the peer's credentials");
            None
        }
    }
}

/// One connection's place under `max_connections`, given back on drop.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A place, if fewer than `max` are taken.
    fn take(active: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(active.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

const FOREIGN_PEER: &str =
    "This LiveAPI socket serves one account; the connecting process's user may not use it.";

fn too_many_connections(max: usize) -> String {
    format!("This LiveAPI socket already serves its limit of {max} connections (liveapid --max-connections); try again in a moment.")
}

/// How long a refusal frame may take to go out: a peer that reads nothing
/// cannot keep a task alive.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Tells a refused peer why, in one frame, and hangs up. The frame goes out
/// at once: nothing the peer sends is read.
async fn refuse(stream: UnixStream, reason: String) {
    let mut framed = Framed::new(stream, LiveApiCodec::new(0));
    let frame = ReplyFrame::new(&session_closed(&reason));
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, framed.send(frame)).await;
}

struct Handler {
    framed: Framed<UnixStream, LiveApiCodec>,
    engine: Arc<Engine>,
    /// The peer, from its credentials: the rate limits count per uid.
    caller: Caller,
    keepalive: Duration,
    idle_timeout: Duration,
    shutdown: Shutdown,
    _shutdown_complete: mpsc::Sender<()>,
}

impl Handler {
    async fn run(&mut self) -> Result<()> {
        while !self.shutdown.is_shutdown() {
            // Restarted after every reply: the time a complete request may take to arrive.
            let idle = tokio::time::sleep(self.idle_timeout);
            let next = tokio::select! {
                next = self.framed.next() => next,
                () = self.shutdown.recv() => return Ok(()),
                () = idle => {
                    tracing::debug!(peer_pid = self.caller.pid.unwrap_or(0), "idle connection closed");
                    let reason = format!(
                        "The connection had no request for {} seconds (liveapid --idle-timeout) and is closed.",
                        self.idle_timeout.as_secs_f64()
                    );
                    let frame = ReplyFrame::new(&session_closed(&reason));
                    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, self.framed.send(frame)).await;
                    return Ok(());
                }
            };
            let mut payload = match next {
                None => return Ok(()), // EOF: the client is done
                Some(Ok(Inbound::Request(payload))) => payload,
                Some(Ok(Inbound::Oversized { len, max })) => {
                    // Say why before hanging up: otherwise a script only sees a broken pipe.
                    let refusal = Error::PayloadTooLarge { len, max };
                    tracing::warn!(error = %refusal, "request refused");
                    let reply = session_closed(&refusal.to_string());
                    self.framed.send(ReplyFrame::new(&reply)).await?;
                    return Ok(());
                }
                Some(Err(e)) => return Err(e),
            };
            let request = Request::parse(&payload);
            // The payload may hold a password; it is not needed any more.
            payload.as_mut().zeroize();
            let (response, declaration_sent) = self.respond(request).await?;
            let (reply, close) = match response {
                Response::Reply(reply) => (Some(reply), false),
                Response::Close(reply) => (reply, true),
            };
            if let Some(reply) = reply {
                let mut frame = ReplyFrame::new(&reply);
                if declaration_sent {
                    frame = frame.after_keepalive();
                }
                self.framed.send(frame).await?;
            }
            if close {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Runs the request, sending keep-alive bytes while it takes long.
    /// Also says whether the declaration line already went out.
    async fn respond(&mut self, request: Request) -> Result<(Response, bool)> {
        let work = self.engine.respond(request, self.caller);
        tokio::pin!(work);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + self.keepalive, self.keepalive);
        let mut declaration_sent = false;
        loop {
            tokio::select! {
                response = &mut work => return Ok((response, declaration_sent)),
                _ = ticks.tick() => {
                    // Nothing is buffered in the codec between requests, so these bytes go straight out.
                    let bytes: &[u8] = if declaration_sent { b"\n" } else { XML_DECLARATION };
                    let stream = self.framed.get_mut();
                    stream.write_all(bytes).await?;
                    stream.flush().await?;
                    declaration_sent = true;
                }
            }
        }
    }
}
