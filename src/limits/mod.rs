//! Bounds on the work any one caller can make the server do (issue 11):
//! hashing runs on a small pool with a bounded queue ([`hash_pool`]), and
//! password checks and changes are counted per caller and per mailbox
//! ([`rate`]). The password length rule is with the other password rules
//! in [`crate::email::password`]; connection limits are the server's
//! ([`crate::server::ServerOptions`]).

pub mod hash_pool;
pub mod rate;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::caller::Caller;
use crate::email::MailAddress;
use crate::error::{Error, Result};
use hash_pool::HashPool;
use rate::{RateKey, RateTable};

/// Jobs that may wait for a hashing thread. As many as the default
/// connection cap: each connection has at most one call in flight, so with
/// default options a burst of legitimate scripts is never told “busy”, and a
/// job waits at most 256 × about a millisecond (passwords are at most 511
/// bytes) divided by the threads. It bounds the queue when
/// `--max-connections` is raised.
pub const DEFAULT_HASH_QUEUE: usize = 256;

/// Password checks per minute of one mailbox: a person logging in makes a
/// few, and 60 is a guessing rate of one a second, whoever guesses (a script
/// on the socket, or webmail logins over HTTPS, which reach the worker as
/// root). The only limit on by default: changes need the account's own
/// credentials, and the account's own uid can read its own shadow file, so
/// counting its changes or its checks protects nothing and stops its bulk
/// scripts (a reset after a breach, a migration).
pub const DEFAULT_VERIFY_RATE: u32 = 60;

/// The limits of one account's server (the flags of `liveapid serve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Hashes computed at once; 0 means one per core.
    pub hash_threads: usize,
    /// Hashes that may wait beyond those; one more is answered “busy”.
    pub hash_queue: usize,
    /// `verify_password` calls per minute per mailbox; 0 = unlimited.
    pub verify_rate: u32,
    /// `verify_password` calls per minute per caller uid; 0 = unlimited.
    pub verify_rate_per_caller: u32,
    /// Password changes (`passwd_pop`, `add_pop` with a password) per
    /// minute per mailbox; 0 = unlimited.
    pub change_rate: u32,
    /// The same per caller uid; 0 = unlimited.
    pub change_rate_per_caller: u32,
    /// The largest file under the home that is read (`--max-file-bytes`).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash_threads: 0,
            hash_queue: DEFAULT_HASH_QUEUE,
            verify_rate: DEFAULT_VERIFY_RATE,
            verify_rate_per_caller: 0,
            change_rate: 0,
            change_rate_per_caller: 0,
            max_file_bytes: crate::home::file_rules::DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// The limits in force for one account: the hashing pool and the rate
/// tables. A reload changes them in place ([`Limiter::apply`]): the counts
/// of the last minute stay, so a reload gives no one a fresh minute.
#[derive(Debug)]
pub struct Limiter {
    /// Replaced whole when its size changes; a hash already running keeps
    /// the pool it started on.
    hashing: RwLock<SizedPool>,
    verifies: Mutex<RateTable>,
    changes: Mutex<RateTable>,
}

/// A hashing pool and the sizes it was made with.
#[derive(Debug)]
struct SizedPool {
    threads: usize,
    queue: usize,
    pool: Arc<HashPool>,
}

impl SizedPool {
    fn new(limits: &Limits) -> SizedPool {
        let threads = match limits.hash_threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        SizedPool {
            threads,
            queue: limits.hash_queue,
            pool: Arc::new(HashPool::new(threads, limits.hash_queue)),
        }
    }
}

impl Limiter {
    pub fn new(limits: &Limits) -> Limiter {
        Limiter {
            hashing: RwLock::new(SizedPool::new(limits)),
            verifies: Mutex::new(RateTable::new(
                limits.verify_rate,
                limits.verify_rate_per_caller,
            )),
            changes: Mutex::new(RateTable::new(
                limits.change_rate,
                limits.change_rate_per_caller,
            )),
        }
    }

    /// Puts `limits` in force for the calls that start from now on: the
    /// rates at once (with the last minute's counts kept), and a pool of the
    /// new size if the size changed.
    pub fn apply(&self, limits: &Limits) {
        let resized = SizedPool::new(limits);
        {
            let mut hashing = self.hashing.write().unwrap_or_else(|p| p.into_inner());
            if (hashing.threads, hashing.queue) != (resized.threads, resized.queue) {
                *hashing = resized;
            }
        }
        lock(&self.verifies).set_limits(limits.verify_rate, limits.verify_rate_per_caller);
        lock(&self.changes).set_limits(limits.change_rate, limits.change_rate_per_caller);
    }

    /// Runs CPU-heavy work (a hash) on the pool.
    ///
    /// # Errors
    ///
    /// [`Error::HashingBusy`] when the queue is full.
    pub async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let pool = self
            .hashing
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .pool
            .clone();
        pool.run(work).await
    }

    /// Counts one password check of `mailbox` by `caller`.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] when the mailbox is over `--verify-rate` or
    /// the caller over `--verify-rate-per-caller`; the check is then not
    /// counted.
    pub fn count_verify(&self, caller: Caller, mailbox: &MailAddress) -> Result<()> {
        take(&self.verifies, "password checks", caller, mailbox)
    }

    /// Counts one password change of `mailbox` by `caller`.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] when the mailbox is over `--change-rate` or
    /// the caller over `--change-rate-per-caller`.
    pub fn count_change(&self, caller: Caller, mailbox: &MailAddress) -> Result<()> {
        take(&self.changes, "password changes", caller, mailbox)
    }
}

fn take(
    table: &Mutex<RateTable>,
    what: &'static str,
    caller: Caller,
    mailbox: &MailAddress,
) -> Result<()> {
    // The mailbox first: when both are full, the error names the mailbox.
    let keys = [
        RateKey::Mailbox(mailbox.to_string()),
        RateKey::Caller(caller.uid),
    ];
    let mut table = lock(table);
    let taken = table.take(&keys, Instant::now()).map_err(Clone::clone);
    taken.map_err(|full| Error::RateLimited {
        what,
        limit: table.limit_of(&full),
        whom: match full {
            RateKey::Caller(uid) => format!("the calling user (uid {uid})"),
            RateKey::Mailbox(address) => address,
        },
    })
}

fn lock(table: &Mutex<RateTable>) -> std::sync::MutexGuard<'_, RateTable> {
    table.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_at_a_time() -> Limits {
        Limits {
            hash_threads: 1,
            hash_queue: 0,
            ..Limits::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_pool_size_applies_to_the_next_hashes() {
        let limiter = Arc::new(Limiter::new(&one_at_a_time()));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let busy = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                limiter
                    .hash(move || {
                        let _ = started.send(());
                        let _ = released.recv();
                    })
                    .await
            })
        };
        running.await.unwrap();
        assert!(matches!(limiter.hash(|| ()).await, Err(Error::HashingBusy)));
        // The same size again keeps the pool (and its one job running).
        limiter.apply(&one_at_a_time());
        assert!(matches!(limiter.hash(|| ()).await, Err(Error::HashingBusy)));
        limiter.apply(&Limits {
            hash_threads: 2,
            ..one_at_a_time()
        });
        assert!(limiter.hash(|| ()).await.is_ok(), "the new pool has room");
        release.send(()).unwrap();
        assert!(busy.await.unwrap().is_ok(), "the old pool's job finished");
    }
}
