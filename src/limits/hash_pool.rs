//! The hashing pool: at most one hash per thread at a time, and a bounded
//! number waiting. `spawn_blocking` alone would start a thread for every
//! call (up to 512) and queue without end, so a handful of callers could
//! take every core.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// A bounded pool of hashing threads with a bounded queue.
#[derive(Debug)]
pub struct HashPool {
    /// Jobs running or waiting; a job that finds none free is refused at
    /// once rather than queued.
    slots: Arc<Semaphore>,
    /// Jobs running: one per thread.
    running: Arc<Semaphore>,
}

impl HashPool {
    /// `threads` hashes at once (at least one), `queue` more waiting.
    pub fn new(threads: usize, queue: usize) -> HashPool {
        let threads = threads.max(1);
        HashPool {
            slots: Arc::new(Semaphore::new(threads + queue)),
            running: Arc::new(Semaphore::new(threads)),
        }
    }

    /// Runs `work` on a blocking thread once one of the pool's turns is free.
    ///
    /// # Errors
    ///
    /// [`Error::HashingBusy`] when every slot is taken.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let slot = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::HashingBusy)?;
        let turn = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::HashingBusy)?;
        // The permits go with the work, not with the caller: a caller that
        // stops waiting (its client hung up, the shutdown drain ran out)
        // leaves the thread hashing, and its turn taken until it is done.
        tokio::task::spawn_blocking(move || {
            let _permits = (slot, turn);
            work()
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Waits until `n` slots are taken.
    async fn taken(pool: &HashPool, total: usize, n: usize) {
        while total - pool.slots.available_permits() < n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_is_refused_at_once_and_frees_as_work_ends() {
        let pool = Arc::new(HashPool::new(1, 1));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let running = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || release_rx.recv().is_ok()).await })
        };
        taken(&pool, 2, 1).await;
        let waiting = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|| 2).await })
        };
        taken(&pool, 2, 2).await;
        assert!(matches!(pool.run(|| 3).await, Err(Error::HashingBusy)));
        release_tx.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
        assert_eq!(pool.run(|| 4).await.unwrap(), 4);
        assert_eq!(pool.slots.available_permits(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_job_keeps_its_turn_until_it_ends() {
        let pool = Arc::new(HashPool::new(1, 0));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let caller = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = release_rx.recv();
                    let _ = done_tx.send(());
                })
                .await
            })
        };
        taken(&pool, 1, 1).await;
        caller.abort();
        let _ = caller.await;
        assert!(matches!(pool.run(|| ()).await, Err(Error::HashingBusy)));
        release_tx.send(()).unwrap();
        done_rx.await.unwrap();
        // The permits drop just after the work returns.
        while pool.slots.available_permits() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(pool.run(|| ()).await.is_ok());
    }
}
