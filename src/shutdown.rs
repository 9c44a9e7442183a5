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
