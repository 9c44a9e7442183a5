//! Group commit: concurrent changes to one set of files become one locked
//! read-modify-write cycle.
//!
//! Every change is a job queued for its key (a domain of one home). Whoever
//! runs next takes every queued job, opens the state once (locks + reads),
//! applies the jobs in arrival order, commits once, and answers each job.
//! So 50 simultaneous password changes in one domain cost a handful of
//! rewrites instead of 50, and Dovecot's mtime rule runs ahead of the clock
//! by a second per rewrite, not per change (docs/email.md §9.10).
//!
//! Jobs must check everything before they change the state: a job that
//! fails must leave it as it found it, because the other jobs of its batch
//! are committed with it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::confined::ConfinedDir;
use crate::error::{Error, Result};

/// State that a batch opens, changes and commits as a unit.
pub trait BatchState: Sized + 'static {
    /// What a committed batch leaves to the next batch of its key (the
    /// files as written), so that it need not read them again if nobody
    /// else changed them meanwhile.
    type Kept: Send + 'static;

    /// Takes the locks and reads the files of `key` (a domain), opened
    /// beneath `home`, the handle of whoever queued the jobs; `kept` is
    /// what the last batch of this key left, to use if it is still current.
    ///
    /// # Errors
    ///
    /// When the locks or the files cannot be had; every job of the batch then fails.
    fn open(home: &ConfinedDir, key: &str, kept: Option<Self::Kept>) -> Result<Self>;

    /// Writes what the jobs changed, all or nothing.
    ///
    /// # Errors
    ///
    /// When the files cannot be written; every job of the batch then fails.
    fn commit(&mut self) -> Result<()>;

    /// After a successful commit: releases the locks and gives what the
    /// next batch may start from.
    fn keep(self) -> Option<Self::Kept>;
}

type Completion = Box<dyn FnOnce(Option<&Error>) + Send>;
/// A queued job: given the opened state, or the error that kept it from opening.
type Job<S> =
    Box<dyn for<'a> FnOnce(std::result::Result<&'a mut S, &'a Error>) -> Completion + Send>;

/// The queue and runner of one key.
struct Queue<S: BatchState> {
    home: ConfinedDir,
    key: String,
    jobs: Mutex<Vec<Job<S>>>,
    /// Held while a batch runs, so batches of one key never overlap.
    running: tokio::sync::Mutex<()>,
    /// What the last successful batch left; taken by the next one.
    kept: Mutex<Option<S::Kept>>,
}

/// A queue's identity: the home's path and the key.
type QueueKey = (PathBuf, String);

/// Group-committing access to many keys.
pub struct Batcher<S: BatchState> {
    /// By home path and key: one engine serves one home, but nothing here relies on it.
    queues: Mutex<HashMap<QueueKey, Arc<Queue<S>>>>,
}

impl<S: BatchState> Default for Batcher<S> {
    fn default() -> Self {
        Batcher {
            queues: Mutex::new(HashMap::new()),
        }
    }
}

impl<S: BatchState> Batcher<S> {
    /// Runs `job` on the state of `key` beneath `home` in the next batch and waits for its
    /// commit. The result is the job's own, or the batch's open or commit
    /// error.
    ///
    /// # Errors
    ///
    /// The job's error, or the batch's storage error.
    pub async fn run<T, F>(&self, home: &ConfinedDir, key: &str, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut S) -> Result<T> + Send + 'static,
    {
        let queue = self.queue(home, key);
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let job: Job<S> = Box::new(
            move |opened: std::result::Result<&mut S, &Error>| -> Completion {
                let state = match opened {
                    Ok(state) => state,
                    Err(open_error) => {
                        let _ = tx.send(Err(open_error.duplicate()));
                        return Box::new(|_| {});
                    }
                };
                match job(state) {
                    Ok(value) => Box::new(move |batch_error: Option<&Error>| {
                        let _ = tx.send(match batch_error {
                            None => Ok(value),
                            Some(e) => Err(e.duplicate()),
                        });
                    }),
                    Err(e) => Box::new(move |_| {
                        let _ = tx.send(Err(e));
                    }),
                }
            },
        );
        lock(&queue.jobs).push(job);
        // The runner is its own task, so the batch completes even if the
        // caller stops waiting (a client that hangs up mid-call).
        tokio::spawn(drain(queue));
        rx.await.unwrap_or_else(|_| {
            Err(Error::Io(std::io::Error::other(
                "the storage task ended before answering",
            )))
        })
    }

    fn queue(&self, home: &ConfinedDir, key: &str) -> Arc<Queue<S>> {
        lock(&self.queues)
            .entry((home.display_path(""), key.to_owned()))
            .or_insert_with(|| {
                Arc::new(Queue {
                    home: home.clone(),
                    key: key.to_owned(),
                    jobs: Mutex::new(Vec::new()),
                    running: tokio::sync::Mutex::new(()),
                    kept: Mutex::new(None),
                })
            })
            .clone()
    }
}

async fn drain<S: BatchState>(queue: Arc<Queue<S>>) {
    let _running = queue.running.lock().await;
    let jobs = std::mem::take(&mut *lock(&queue.jobs));
    if jobs.is_empty() {
        return; // an earlier runner took ours
    }
    let runner = queue.clone();
    // A panic inside a job drops the completions; their callers get an error.
    let _ = crate::off_reactor::blocking(move || run_batch::<S>(&runner, jobs)).await;
}

fn run_batch<S: BatchState>(queue: &Queue<S>, jobs: Vec<Job<S>>) {
    // Taken, not copied: a batch that fails leaves nothing to reuse.
    let kept = lock(&queue.kept).take();
    let mut state = match S::open(&queue.home, &queue.key, kept) {
        Ok(state) => state,
        Err(e) => {
            tracing::warn!(error = %e, "a storage batch could not start");
            for job in jobs {
                let _answered = job(Err(&e));
            }
            return;
        }
    };
    let completions: Vec<Completion> = jobs.into_iter().map(|job| job(Ok(&mut state))).collect();
    let error = state.commit().err();
    // Release the locks before answering.
    match error {
        None => *lock(&queue.kept) = state.keep(),
        Some(_) => drop(state),
    }
    for complete in completions {
        complete(error.as_ref());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned queue only means a job panicked; the data is still consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}
