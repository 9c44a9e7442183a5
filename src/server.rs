//! The accept loop and the per-connection handler.
//!
//! One connection is one client object in a script: strictly one request,
//! then one reply (docs/protocol.md §1.3, C14). A bad request gets an error reply and
//! the connection lives on; a broken frame or EOF ends that connection only.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio_util::codec::Framed;
use zeroize::Zeroize;

use crate::api::result;
use crate::engine::{Engine, Response};
use crate::error::{Error, Result};
use crate::protocol::frame::XML_DECLARATION;
use crate::protocol::{Inbound, LiveApiCodec, ReplyFrame, Request};
use crate::shutdown::Shutdown;

/// Limits and timings of a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The largest request payload accepted (a larger one ends the connection).
    pub max_payload: usize,
    /// How many connections are served at once; more wait to be accepted.
    pub max_connections: usize,
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
            keepalive: Duration::from_secs(15),
            allowed_uids: allowed_uids(rustix::process::geteuid().as_raw()),
        }
    }
}

/// Serves `listener` until `shutdown` completes, then lets every connection
/// finish the request it is running and returns.
pub async fn run(
    listener: UnixListener,
    engine: Arc<Engine>,
    options: ServerOptions,
    shutdown: impl Future,
) {
    let (notify_shutdown, _) = broadcast::channel(1);
    // Every handler holds a sender; when all are dropped, all are done.
    let (shutdown_complete_tx, mut shutdown_complete_rx) = mpsc::channel::<()>(1);
    let mut server = Listener {
        listener,
        engine,
        limit: Arc::new(Semaphore::new(options.max_connections)),
        options,
        notify_shutdown,
        shutdown_complete_tx,
    };
    tokio::select! {
        () = server.accept_loop() => {}
        _ = shutdown => tracing::info!("shutting down"),
    }
    let Listener {
        notify_shutdown,
        shutdown_complete_tx,
        ..
    } = server;
    drop(notify_shutdown);
    drop(shutdown_complete_tx);
    let _ = shutdown_complete_rx.recv().await;
}

struct Listener {
    listener: UnixListener,
    engine: Arc<Engine>,
    options: ServerOptions,
    /// Caps concurrent connections so a flood cannot exhaust descriptors.
    limit: Arc<Semaphore>,
    notify_shutdown: broadcast::Sender<()>,
    shutdown_complete_tx: mpsc::Sender<()>,
}

impl Listener {
    async fn accept_loop(&mut self) {
        loop {
            let Ok(permit) = self.limit.clone().acquire_owned().await else {
                return;
            };
            let stream = self.accept().await;
            if !self.peer_allowed(&stream) {
                tokio::spawn(refuse(stream));
                continue;
            }
            let mut handler = Handler {
                framed: Framed::new(stream, LiveApiCodec::new(self.options.max_payload)),
                engine: self.engine.clone(),
                keepalive: self.options.keepalive,
                shutdown: Shutdown::new(self.notify_shutdown.subscribe()),
                _shutdown_complete: self.shutdown_complete_tx.clone(),
            };
            tokio::spawn(async move {
                if let Err(e) = handler.run().await {
                    tracing::debug!(error = %e, "connection ended");
                }
                drop(permit);
            });
        }
    }

    /// Whether the connecting process's uid may use this account.
    fn peer_allowed(&self, stream: &UnixStream) -> bool {
        match stream.peer_cred() {
            Ok(peer) if self.options.allowed_uids.contains(&peer.uid()) => true,
            Ok(peer) => {
                tracing::warn!(
                    peer_uid = peer.uid(),
                    peer_pid = peer.pid().unwrap_or(0),
                    "connection refused: the peer is not this account's user or root"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "connection refused: cannot read the peer's credentials");
                false
            }
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

/// Tells a refused peer why, in one frame, and hangs up. The frame goes out
/// at once: nothing the peer sends is read.
async fn refuse(stream: UnixStream) {
    let reason =
        "This LiveAPI socket serves one account; the connecting process's user may not use it.";
    let mut framed = Framed::new(stream, LiveApiCodec::new(0));
    let _ = framed
        .send(ReplyFrame::new(&result::session_closed(reason)))
        .await;
}

struct Handler {
    framed: Framed<UnixStream, LiveApiCodec>,
    engine: Arc<Engine>,
    keepalive: Duration,
    shutdown: Shutdown,
    _shutdown_complete: mpsc::Sender<()>,
}

impl Handler {
    async fn run(&mut self) -> Result<()> {
        while !self.shutdown.is_shutdown() {
            let next = tokio::select! {
                next = self.framed.next() => next,
                () = self.shutdown.recv() => return Ok(()),
            };
            let mut payload = match next {
                None => return Ok(()), // EOF: the client is done
                Some(Ok(Inbound::Request(payload))) => payload,
                Some(Ok(Inbound::Oversized { len, max })) => {
                    // Say why before hanging up: otherwise a script only sees a broken pipe.
                    let refusal = Error::PayloadTooLarge { len, max };
                    tracing::warn!(error = %refusal, "request refused");
                    let reply = result::session_closed(&refusal.to_string());
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
        let work = self.engine.respond(request);
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
