//! Running blocking work (file I/O, directory walks) off the async
//! runtime's worker threads, so that a slow call never delays another
//! connection's cheap one: the runtime has one worker thread per core, and
//! a call that blocks one of them stalls every task queued on it.

use crate::error::{Error, Result};

/// Runs `work` on the runtime's blocking pool and waits for it.
///
/// # Errors
///
/// The work's own error, or an I/O error if it panicked (the panic is not
/// passed on: nothing panics on input, and a bug must not take the daemon
/// down with it).
pub async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("a storage task failed"))))
}
