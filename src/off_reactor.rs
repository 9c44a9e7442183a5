//! Running blocking work (file I/O, directory walks) off the async
//! runtime's worker threads, so that a slow call never delays another
//! connection's cheap one: the runtime has one worker thread per core, and
//! a call that blocks one of them stalls every task queued on it.
//!
//! Work that is still running after [`STALL_REPORT`] is reported in the
//! log, and again each [`STALL_REPORT`] after: files under a home are opened
//! without blocking ([`crate::home::file_rules`]), so what still hangs is
//! the storage itself (a dead NFS server, a stuck disk), which the operator
//! must hear about.

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// How long blocking work may run before the log says so: twice the
/// longest a lock is waited for ([`crate::home::lock::LOCK_TIMEOUT`]).
pub const STALL_REPORT: Duration = Duration::from_secs(60);

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
    blocking(work)
        .await
        .unwrap_or_else(|| Err(Error::Io(std::io::Error::other("a storage task failed"))))
}

/// Runs `work` on the runtime's blocking pool and waits for it, reporting
/// it while it runs too long; `None` if it panicked.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    watched(tokio::task::spawn_blocking(work), STALL_REPORT, |waited| {
        tracing::warn!(
            seconds = waited.as_secs(),
            "a file operation on the account's home is still running: its storage may be hung"
        );
    })
    .await
}

/// Waits for `task`, calling `report` with the time waited after each
/// `every` that it is still running.
async fn watched<T>(
    task: impl Future<Output = std::result::Result<T, tokio::task::JoinError>>,
    every: Duration,
    report: impl Fn(Duration),
) -> Option<T> {
    tokio::pin!(task);
    let mut waited = Duration::ZERO;
    loop {
        match tokio::time::timeout(every, &mut task).await {
            Ok(joined) => return joined.ok(),
            Err(_) => {
                waited += every;
                report(waited);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::mpsc;

    #[tokio::test]
    async fn work_that_hangs_is_reported_until_it_ends_and_its_answer_still_comes() {
        let (release, hold) = mpsc::channel::<()>();
        let reports = AtomicU32::new(0);
        let task = tokio::task::spawn_blocking(move || {
            // Hangs until the third report lets it go, as stuck storage would.
            hold.recv().unwrap();
            7
        });
        let answer = watched(task, Duration::from_millis(5), |waited| {
            let n = reports.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(waited, Duration::from_millis(5) * n);
            if n == 3 {
                release.send(()).unwrap();
            }
        })
        .await;
        assert_eq!(answer, Some(7));
        assert!(reports.load(Ordering::SeqCst) >= 3);
        let quick = watched(
            tokio::task::spawn_blocking(|| 1),
            Duration::from_secs(3600),
            |_| panic!("work that ends is not reported"),
        )
        .await;
        assert_eq!(quick, Some(1));
        let panicked = watched(
            tokio::task::spawn_blocking(|| -> u8 { panic!("a bug") }),
            Duration::from_secs(3600),
            |_| {},
        )
        .await;
        assert_eq!(panicked, None);
    }
}
