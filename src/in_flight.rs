//! The account's mail files, with the commits in flight counted, so that a
//! shutdown that gives up on slow calls still waits for every commit that
//! has begun: a commit renames several files, and a process that exits
//! between two renames would leave passwd and shadow disagreeing.
//!
//! A batch runs on its own task and outlives a caller that stops waiting
//! ([`Batcher::run`]); the count goes with the job into the batch and is
//! only given back after the batch committed (or never began).

use std::sync::Arc;

use tokio::sync::watch;

use crate::error::Result;
use crate::home::{Batcher, ConfinedDir, DomainFiles, DomainViews};

/// Group-committed access to the per-domain mail files, and cached views
/// of them for the calls that only read.
#[derive(Default)]
pub struct MailFiles {
    batcher: Batcher<DomainFiles>,
    in_flight: Arc<watch::Sender<usize>>,
    views: Arc<DomainViews>,
}

/// One job counted until it is dropped.
struct Counted(Arc<watch::Sender<usize>>);

impl Counted {
    fn new(count: &Arc<watch::Sender<usize>>) -> Counted {
        count.send_modify(|n| *n += 1);
        Counted(count.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl MailFiles {
    /// [`Batcher::run`], counted until the job's batch has committed.
    ///
    /// # Errors
    ///
    /// The job's error, or the batch's storage error.
    pub async fn run<T, F>(&self, home: &ConfinedDir, key: &str, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DomainFiles) -> Result<T> + Send + 'static,
    {
        let counted = Counted::new(&self.in_flight);
        // On success the count rides in the job's value, which the batch
        // holds until after its commit; a job that fails changed nothing.
        let (value, _counted) = self
            .batcher
            .run(home, key, move |files| job(files).map(|v| (v, counted)))
            .await?;
        Ok(value)
    }

    /// The cached read-only views (shared, for blocking work).
    pub fn views(&self) -> Arc<DomainViews> {
        self.views.clone()
    }

    /// How many jobs are queued or in a batch that has not committed yet.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Waits until no job is queued or committing.
    pub async fn settled(&self) {
        let mut count = self.in_flight.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }
}
