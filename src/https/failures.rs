//! Failed logins counted per source address and per user name: after
//! `limit` failures within [`WINDOW`], every attempt from that address or
//! for that user is refused (429) until the oldest of them leaves the
//! window, right password or not. A success does not clear the count, so
//! a guesser cannot reset it with an account of his own.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The counting window.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Past this many keys, those with no failure in the window are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
struct Tables {
    by_source: HashMap<IpAddr, VecDeque<Instant>>,
    by_user: HashMap<String, VecDeque<Instant>>,
}

/// The failure counts.
pub struct Failures {
    /// 0: never refuse.
    limit: u32,
    tables: Mutex<Tables>,
}

impl Failures {
    pub fn new(limit: u32) -> Failures {
        Failures {
            limit,
            tables: Mutex::new(Tables::default()),
        }
    }

    /// Whether `source` or `user` has reached the limit.
    pub fn blocked(&self, source: IpAddr, user: Option<&str>) -> bool {
        if self.limit == 0 {
            return false;
        }
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let limit = self.limit as usize;
        let by_source = recent(&mut tables.by_source, &source, now) >= limit;
        let by_user = user.is_some_and(|u| recent(&mut tables.by_user, &user_key(u), now) >= limit);
        by_source || by_user
    }

    /// Counts one failure.
    pub fn record(&self, source: IpAddr, user: Option<&str>) {
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        push(&mut tables.by_source, source, now);
        if let Some(user) = user {
            push(&mut tables.by_user, user_key(user), now);
        }
    }
}

/// User names are counted case-blind (`Bob` and `bob` are one target).
fn user_key(user: &str) -> String {
    user.to_ascii_lowercase()
}

/// The failures of `key` still in the window (older ones dropped).
fn recent<K: Hash + Eq>(table: &mut HashMap<K, VecDeque<Instant>>, key: &K, now: Instant) -> usize {
    let Some(times) = table.get_mut(key) else {
        return 0;
    };
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
    times.len()
}

fn push<K: Hash + Eq>(table: &mut HashMap<K, VecDeque<Instant>>, key: K, now: Instant) {
    if table.len() >= PRUNE_AT {
        table.retain(|_, times| {
            times
                .back()
                .is_some_and(|t| now.duration_since(*t) < WINDOW)
        });
    }
    table.entry(key).or_default().push_back(now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_per_source_and_per_user() {
        let failures = Failures::new(2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        failures.record(a, Some("bob"));
        assert!(!failures.blocked(a, Some("bob")));
        failures.record(a, Some("Bob"));
        assert!(failures.blocked(a, None), "the address");
        assert!(failures.blocked(b, Some("bob")), "the user, from anywhere");
        assert!(!failures.blocked(b, Some("alice")));
        assert!(!Failures::new(0).blocked(a, Some("bob")));
    }
}
