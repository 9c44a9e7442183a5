//! The shutdown signal each connection listens for (mini-redis's shape):
//! a broadcast that is received at most once per connection.

use tokio::sync::broadcast;

/// One connection's view of the server-wide shutdown.
#[derive(Debug)]
pub struct Shutdown {
    is_shutdown: bool,
    notify: broadcast::Receiver<()>,
}

impl Shutdown {
    pub fn new(notify: broadcast::Receiver<()>) -> Shutdown {
        Shutdown {
            is_shutdown: false,
            notify,
        }
    }

    /// Whether the signal has been received.
    pub fn is_shutdown(&self) -> bool {
        self.is_shutdown
    }

    /// Waits for the signal (returns at once if it already came).
    pub async fn recv(&mut self) {
        if self.is_shutdown {
            return;
        }
        // A lagged or closed channel also means: shut down.
        let _ = self.notify.recv().await;
        self.is_shutdown = true;
    }
}

/// SIGTERM and SIGINT, caught from the moment this is made.
///
/// Make it before the socket is bound: a signal that arrives between the
/// bind and the handlers would otherwise kill the process the default way,
/// leaving its socket file behind (or, in a background job whose SIGINT is
/// ignored, be lost).
#[derive(Debug)]
pub struct Termination {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Termination {
    /// Installs the handlers. Needs a running Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the handlers cannot be installed.
    pub fn install() -> std::io::Result<Termination> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Termination {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either signal (one that came before this call counts).
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
