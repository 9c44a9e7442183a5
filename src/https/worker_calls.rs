//! Root's calls to one account's worker, bounded: at most `--worker-calls`
//! in progress per account (one more is refused at once), each with a hard
//! deadline (`--worker-call-timeout`) that keep-alive bytes do not extend.
//! The calls are asynchronous, so a worker that never answers pins no
//! thread of root's: it holds only its own account's permits, and the
//! other accounts' calls are answered as usual.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Notify, Semaphore};

use crate::error::{Error, Result};
use crate::protocol::client;
use crate::secrets::wipe;

/// Deadlines missed in a row, with no answer between them, after which the
/// worker is taken for stuck and its supervisor is told to restart it.
pub const STUCK_AFTER: u32 = 3;

/// Calls in progress per account by default: far more than a panel or a
/// webmail makes at once for one account, and a small share of the front
/// end's connections.
pub const DEFAULT_WORKER_CALLS: usize = 32;

/// One account's share of root's calls.
#[derive(Debug)]
pub struct WorkerGate {
    user: String,
    permits: Arc<Semaphore>,
    limit: usize,
    deadline: Duration,
    /// Deadlines missed since the last answer: the sign of stuck storage.
    late_in_a_row: AtomicU32,
    /// Told after [`STUCK_AFTER`] deadlines missed in a row.
    stuck: Option<Arc<Notify>>,
}

impl WorkerGate {
    /// A gate for `user`'s worker: `limit` calls at once (at least one),
    /// each ending within `deadline`.
    pub fn new(user: &str, limit: usize, deadline: Duration) -> WorkerGate {
        let limit = limit.max(1);
        WorkerGate {
            user: user.to_owned(),
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            deadline,
            late_in_a_row: AtomicU32::new(0),
            stuck: None,
        }
    }

    /// The same gate, telling `stuck` when the worker stops answering.
    pub fn telling(self, stuck: Option<Arc<Notify>>) -> WorkerGate {
        WorkerGate { stuck, ..self }
    }

    /// Calls UAPI `module::func` with `args` on `socket`; the reply's
    /// envelope. The arguments are wiped, whatever happens.
    ///
    /// # Errors
    ///
    /// [`Error::WorkerBusy`] when the account's calls in progress are at
    /// the limit, [`Error::WorkerDeadline`] past the deadline, or the
    /// client's error.
    pub async fn call(
        &self,
        socket: &Path,
        module: &str,
        func: &str,
        mut args: Map<String, Value>,
    ) -> Result<Value> {
        let reply = match self.permits.clone().try_acquire_owned() {
            Ok(_permit) => client::uapi_call(socket, module, func, &args, self.deadline).await,
            Err(_) => {
                tracing::warn!(
                    user = self.user,
                    limit = self.limit,
                    "the account's calls in progress are at their limit; one more refused"
                );
                Err(Error::WorkerBusy { limit: self.limit })
            }
        };
        for value in args.values_mut() {
            wipe(value);
        }
        match &reply {
            Err(Error::WorkerDeadline { seconds }) => {
                let late = self.late_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    user = self.user,
                    seconds,
                    late_in_a_row = late,
                    "the account's worker did not answer in time; its storage may be stuck"
                );
                if late >= STUCK_AFTER {
                    if let Some(stuck) = &self.stuck {
                        // The restarted worker gets its own chances.
                        self.late_in_a_row.store(0, Ordering::Relaxed);
                        stuck.notify_one();
                    }
                }
            }
            Ok(_) => self.late_in_a_row.store(0, Ordering::Relaxed),
            Err(_) => {}
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A socket whose server accepts and then only sends keep-alive bytes.
    fn stuck_worker(path: &Path) -> tokio::task::JoinHandle<()> {
        let listener = tokio::net::UnixListener::bind(path).unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
                for stream in &mut held {
                    let _ = stream.write_all(b"\n").await;
                }
            }
        })
    }

    #[tokio::test]
    async fn one_call_more_than_the_share_is_refused_at_once_and_the_rest_end_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.sock");
        let server = stuck_worker(&path);
        let gate = Arc::new(WorkerGate::new("alice", 2, Duration::from_millis(400)));
        let calls: Vec<_> = (0..2)
            .map(|_| {
                let (gate, path) = (gate.clone(), path.clone());
                tokio::spawn(
                    async move { gate.call(&path, "Email", "count_pops", Map::new()).await },
                )
            })
            .collect();
        // Both permits are taken before the third call is made.
        while gate.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let third = gate.call(&path, "Email", "count_pops", Map::new()).await;
        assert!(
            matches!(third, Err(Error::WorkerBusy { limit: 2 })),
            "{third:?}"
        );
        for call in calls {
            let late = call.await.unwrap();
            assert!(
                matches!(late, Err(Error::WorkerDeadline { .. })),
                "{late:?}"
            );
        }
        // Every permit is back once the calls have ended.
        assert_eq!(gate.permits.available_permits(), 2);
        assert_eq!(gate.late_in_a_row.load(Ordering::Relaxed), 2);
        server.abort();
    }
}
