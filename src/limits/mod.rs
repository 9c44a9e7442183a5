//! Bounds on the work any one caller can make the server do (issue 11):
//! hashing runs on a small pool with a bounded queue ([`hash_pool`]), and
//! password checks and changes are counted per caller and per mailbox
//! ([`rate`]). The password length rule is with the other password rules
//! in [`crate::email::password`]; connection limits are the server's
//! ([`crate::server::ServerOptions`]).

pub mod hash_pool;
pub mod rate;

use std::sync::Mutex;
use std::time::Instant;

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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The limits in force for one account: the hashing pool and the rate tables.
#[derive(Debug)]
pub struct Limiter {
    hashing: HashPool,
    verifies: Mutex<RateTable>,
    changes: Mutex<RateTable>,
}

impl Limiter {
    pub fn new(limits: &Limits) -> Limiter {
        let threads = match limits.hash_threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Limiter {
            hashing: HashPool::new(threads, limits.hash_queue),
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

    /// Runs CPU-heavy work (a hash) on the pool.
    ///
    /// # Errors
    ///
    /// [`Error::HashingBusy`] when the queue is full.
    pub async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.hashing.run(work).await
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
    let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
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
