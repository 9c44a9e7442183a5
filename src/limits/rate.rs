//! Per-minute rate counting: a sliding window of the last minute's events
//! for each key (a caller uid, a mailbox), with one limit for mailboxes and
//! one for callers. The table stays bounded: each key keeps at most its
//! limit's times, a key is only added while every other key of the same
//! event is under its limit (so a caller at its limit adds no mailboxes),
//! and keys with no event in the last minute are swept out. A kind of key
//! whose limit is 0 is neither limited nor recorded.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How far back events count.
pub const WINDOW: Duration = Duration::from_secs(60);

/// What one count is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    /// The uid of the process that made the call.
    Caller(u32),
    /// The mailbox acted on, as `localpart@domain`.
    Mailbox(String),
}

/// Events per key in the last [`WINDOW`], against the limit of its kind.
#[derive(Debug)]
pub struct RateTable {
    /// Per mailbox; 0: unlimited, nothing recorded.
    per_mailbox: u32,
    /// Per caller uid; 0: unlimited, nothing recorded.
    per_caller: u32,
    events: HashMap<RateKey, VecDeque<Instant>>,
    last_sweep: Option<Instant>,
}

impl RateTable {
    pub fn new(per_mailbox: u32, per_caller: u32) -> RateTable {
        RateTable {
            per_mailbox,
            per_caller,
            events: HashMap::new(),
            last_sweep: None,
        }
    }

    /// Counts against these limits from now on. The events of the last
    /// minute stay counted; a kind of key now unlimited forgets its own.
    pub fn set_limits(&mut self, per_mailbox: u32, per_caller: u32) {
        self.per_mailbox = per_mailbox;
        self.per_caller = per_caller;
        self.events.retain(|key, _| match key {
            RateKey::Mailbox(_) => per_mailbox != 0,
            RateKey::Caller(_) => per_caller != 0,
        });
    }

    /// The limit `key` is counted against (0: none).
    pub fn limit_of(&self, key: &RateKey) -> u32 {
        match key {
            RateKey::Mailbox(_) => self.per_mailbox,
            RateKey::Caller(_) => self.per_caller,
        }
    }

    /// Counts one event at `now` for every key in `keys`, unless one of
    /// them already had `limit` events in the last minute: then nothing is
    /// counted and that key is returned.
    ///
    /// # Errors
    ///
    /// The first key at its limit.
    pub fn take<'k>(&mut self, keys: &'k [RateKey], now: Instant) -> Result<(), &'k RateKey> {
        if self.per_mailbox == 0 && self.per_caller == 0 {
            return Ok(());
        }
        self.sweep(now);
        for key in keys {
            let limit = self.limit_of(key);
            if let Some(times) = self.events.get_mut(key) {
                forget_before(times, now);
                if limit != 0 && times.len() >= limit as usize {
                    return Err(key);
                }
            }
        }
        for key in keys {
            if self.limit_of(key) != 0 {
                self.events.entry(key.clone()).or_default().push_back(now);
            }
        }
        Ok(())
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Once a window: drops every key with no event in the last window.
    fn sweep(&mut self, now: Instant) {
        match self.last_sweep {
            Some(last) if now.saturating_duration_since(last) < WINDOW => return,
            _ => {}
        }
        self.last_sweep = Some(now);
        self.events.retain(|_, times| {
            forget_before(times, now);
            !times.is_empty()
        });
    }
}

/// Drops the times older than a window before `now`.
fn forget_before(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(uid: u32, mailbox: &str) -> [RateKey; 2] {
        [RateKey::Caller(uid), RateKey::Mailbox(mailbox.into())]
    }

    #[test]
    fn each_key_is_limited_and_a_refusal_counts_nothing() {
        let mut table = RateTable::new(3, 3);
        let t0 = Instant::now();
        let a = keys(1000, "a@example.com");
        for _ in 0..3 {
            assert!(table.take(&a, t0).is_ok());
        }
        assert_eq!(table.take(&a, t0), Err(&RateKey::Caller(1000)));
        // Another uid on the same mailbox: the mailbox is full.
        let other_uid = keys(0, "a@example.com");
        assert_eq!(
            table.take(&other_uid, t0),
            Err(&RateKey::Mailbox("a@example.com".into()))
        );
        // The refusals were not counted: uid 0 has no events yet.
        assert!(table.take(&keys(0, "b@example.com"), t0).is_ok());
        assert_eq!(table.events[&RateKey::Caller(0)].len(), 1);
    }

    #[test]
    fn new_limits_count_the_last_minute_and_unlimited_kinds_forget() {
        let mut table = RateTable::new(100, 100);
        let t0 = Instant::now();
        let a = keys(1000, "a@example.com");
        assert!(table.take(&a, t0).is_ok());
        table.set_limits(2, 0);
        // The event before the change counts against the new limit.
        assert!(table.take(&a, t0).is_ok());
        assert_eq!(
            table.take(&a, t0),
            Err(&RateKey::Mailbox("a@example.com".into()))
        );
        assert!(!table.events.contains_key(&RateKey::Caller(1000)));
    }

    #[test]
    fn the_window_slides() {
        let mut table = RateTable::new(2, 2);
        let t0 = Instant::now();
        let a = keys(1000, "a@example.com");
        assert!(table.take(&a, t0).is_ok());
        assert!(table.take(&a, t0 + Duration::from_secs(30)).is_ok());
        assert!(table.take(&a, t0 + Duration::from_secs(59)).is_err());
        // The first event is a minute old: one more is allowed, not two.
        assert!(table.take(&a, t0 + WINDOW).is_ok());
        assert!(table.take(&a, t0 + WINDOW).is_err());
    }

    #[test]
    fn idle_keys_are_swept_and_a_key_holds_at_most_limit_times() {
        let mut table = RateTable::new(5, 5);
        let t0 = Instant::now();
        for i in 0..100 {
            let _ = table.take(&keys(i, &format!("box{i}@example.com")), t0);
        }
        assert_eq!(table.len(), 200);
        for _ in 0..50 {
            let _ = table.take(&keys(7, "box7@example.com"), t0);
        }
        assert_eq!(table.events[&RateKey::Caller(7)].len(), 5);
        // A minute later, one call sweeps out everything idle.
        assert!(table.take(&keys(1, "x@example.com"), t0 + WINDOW).is_ok());
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn a_caller_at_its_limit_adds_no_mailboxes() {
        let mut table = RateTable::new(2, 2);
        let t0 = Instant::now();
        for i in 0..1000 {
            let _ = table.take(&keys(1000, &format!("box{i}@example.com")), t0);
        }
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn zero_is_unlimited_and_records_nothing() {
        let mut table = RateTable::new(0, 0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(table.take(&keys(1, "a@example.com"), t0).is_ok());
        }
        assert!(table.is_empty());
    }

    #[test]
    fn each_kind_of_key_has_its_own_limit_and_zero_records_none_of_it() {
        let t0 = Instant::now();
        // Mailboxes limited, callers not: one caller changes many mailboxes.
        let mut table = RateTable::new(2, 0);
        for i in 0..1000 {
            assert!(table
                .take(&keys(1000, &format!("box{i}@example.com")), t0)
                .is_ok());
        }
        assert!(!table.events.contains_key(&RateKey::Caller(1000)));
        assert!(table.take(&keys(1000, "box1@example.com"), t0).is_ok());
        assert_eq!(
            table.take(&keys(1000, "box1@example.com"), t0),
            Err(&RateKey::Mailbox("box1@example.com".into()))
        );
        // Callers limited, mailboxes not.
        let mut table = RateTable::new(0, 3);
        for _ in 0..3 {
            assert!(table.take(&keys(7, "a@example.com"), t0).is_ok());
        }
        assert_eq!(
            table.take(&keys(7, "a@example.com"), t0),
            Err(&RateKey::Caller(7))
        );
        assert_eq!(table.len(), 1);
    }
}
