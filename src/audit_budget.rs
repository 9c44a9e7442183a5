//! How many audit lines may be written: the bound that keeps a hostile
//! account (or a stranger on the HTTPS port) from filling root's disk with
//! refused calls.
//!
//! Per minute:
//! - a refusal is written for the first [`REFUSALS_PER_KEY`] of its key, the
//!   key being who (the account, or for an HTTPS login the source address,
//!   since the claimed name is the stranger's choice) and why (the reason);
//!   the rest are counted, and one summary line per key says how many;
//! - one subject has at most [`REASONS_PER_SUBJECT`] reasons of its own
//!   (a worker taken over could invent a new reason for every line), and
//!   the table at most [`MAX_KEYS`] keys; the rest share one key each;
//! - every line, successes included, counts against the overall cap
//!   (`--audit-max-lines-per-minute`); past it lines are counted, not
//!   written, and one summary line says how many.
//!
//! Summary lines are written when the minute is over (at the next line, or
//! by the log's flusher) and count against the next minute's cap, folded
//! into one line when they would pass it: the log never grows by more than
//! the cap plus one line a minute.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

/// Refusals written per minute for one (who, why).
pub const REFUSALS_PER_KEY: u32 = 10;
/// Distinct reasons counted apart for one subject; the rest share a key.
pub const REASONS_PER_SUBJECT: usize = 16;
/// Keys counted apart in one minute; the rest share one key.
pub const MAX_KEYS: usize = 1024;
/// The overall cap when none is configured.
pub const DEFAULT_MAX_LINES_PER_MINUTE: u32 = 6000;
/// Longest reason kept in a key (a longer one is cut).
const REASON_KEY_CHARS: usize = 200;

/// Who a line is about: the account, or the source of an HTTPS login.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Account(String),
    Source(String),
    /// Every subject past [`MAX_KEYS`].
    Others,
}

impl Subject {
    fn field(&self) -> (&'static str, &str) {
        match self {
            Subject::Account(name) => ("account", name),
            Subject::Source(address) => ("source", address),
            Subject::Others => ("account", "(other accounts and sources)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    subject: Subject,
    reason: String,
}

#[derive(Debug, Default)]
struct Count {
    written: u32,
    suppressed: u64,
}

/// One minute's counts.
#[derive(Debug)]
struct Window {
    started: Instant,
    written: u32,
    over_cap: u64,
    keys: HashMap<Key, Count>,
    reasons: HashMap<Subject, usize>,
}

impl Window {
    fn new(started: Instant) -> Window {
        Window {
            started,
            written: 0,
            over_cap: 0,
            keys: HashMap::new(),
            reasons: HashMap::new(),
        }
    }

    /// The key a refusal is counted under, within the table's bounds.
    fn key_for(&mut self, subject: Subject, reason: &str) -> Key {
        let reason: String = reason.chars().take(REASON_KEY_CHARS).collect();
        let exact = Key {
            subject: subject.clone(),
            reason,
        };
        if self.keys.contains_key(&exact) {
            return exact;
        }
        if self.keys.len() >= MAX_KEYS {
            return Key {
                subject: Subject::Others,
                reason: "(other reasons)".into(),
            };
        }
        let reasons = self.reasons.entry(subject.clone()).or_default();
        if *reasons >= REASONS_PER_SUBJECT {
            return Key {
                subject,
                reason: "(other reasons)".into(),
            };
        }
        *reasons += 1;
        exact
    }
}

/// What to do with one line.
#[derive(Debug, PartialEq)]
pub struct Admission {
    /// Summary lines of the minute that just ended, to write first.
    pub summaries: Vec<Map<String, Value>>,
    /// Whether the line itself is written.
    pub write: bool,
}

/// The counts behind the bound; one per audit log.
#[derive(Debug)]
pub struct AuditBudget {
    max_per_minute: u32,
    minute: Duration,
    window: Window,
}

impl AuditBudget {
    /// At most `max_per_minute` lines a minute (0: the default).
    pub fn new(max_per_minute: u32, now: Instant) -> AuditBudget {
        AuditBudget::with_minute(max_per_minute, Duration::from_secs(60), now)
    }

    fn with_minute(max_per_minute: u32, minute: Duration, now: Instant) -> AuditBudget {
        let max_per_minute = if max_per_minute == 0 {
            DEFAULT_MAX_LINES_PER_MINUTE
        } else {
            max_per_minute
        };
        AuditBudget {
            max_per_minute,
            minute,
            window: Window::new(now),
        }
    }

    /// Whether a line about `subject` is written now; `refusal` is its
    /// reason when it reports a refused call.
    pub fn admit(&mut self, now: Instant, subject: Subject, refusal: Option<&str>) -> Admission {
        let summaries = self.roll(now);
        if let Some(reason) = refusal {
            let key = self.window.key_for(subject, reason);
            let count = self.window.keys.entry(key).or_default();
            if count.written >= REFUSALS_PER_KEY {
                count.suppressed += 1;
                return Admission {
                    summaries,
                    write: false,
                };
            }
            count.written += 1;
        }
        let write = self.take_one();
        Admission { summaries, write }
    }

    /// The summaries of a minute that is over, if it is (for the flusher).
    pub fn due(&mut self, now: Instant) -> Vec<Map<String, Value>> {
        self.roll(now)
    }

    /// Every summary so far, the minute over or not (at close).
    pub fn finish(&mut self, now: Instant) -> Vec<Map<String, Value>> {
        let ended = std::mem::replace(&mut self.window, Window::new(now));
        self.summarise(ended)
    }

    /// One place under the cap, or one more line counted over it.
    fn take_one(&mut self) -> bool {
        if self.window.written >= self.max_per_minute {
            self.window.over_cap += 1;
            return false;
        }
        self.window.written += 1;
        true
    }

    fn roll(&mut self, now: Instant) -> Vec<Map<String, Value>> {
        if now.duration_since(self.window.started) < self.minute {
            return Vec::new();
        }
        let ended = std::mem::replace(&mut self.window, Window::new(now));
        self.summarise(ended)
    }

    /// The summary lines of `ended`, each taking a place in the current
    /// minute; those past the cap fold into one last line.
    fn summarise(&mut self, ended: Window) -> Vec<Map<String, Value>> {
        let mut pending: Vec<(Key, u64)> = ended
            .keys
            .into_iter()
            .filter(|(_, c)| c.suppressed > 0)
            .map(|(k, c)| (k, c.suppressed))
            .collect();
        pending.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        let mut lines = Vec::new();
        let mut folded = ended.over_cap;
        for (key, count) in pending {
            // Keep one place for the folded line.
            if self.window.written + 1 < self.max_per_minute {
                self.window.written += 1;
                lines.push(summary(Some(&key), count, self.max_per_minute));
            } else {
                folded += count;
            }
        }
        if folded > 0 {
            self.window.written = self.window.written.saturating_add(1);
            lines.push(summary(None, folded, self.max_per_minute));
        }
        lines
    }
}

/// `{"event":"suppressed","account":"alice","reason":"…","count":59990}`,
/// or with `key` `None` the lines over the cap.
fn summary(key: Option<&Key>, count: u64, cap: u32) -> Map<String, Value> {
    let mut line = Map::new();
    line.insert("event".into(), json!("suppressed"));
    match key {
        Some(key) => {
            let (field, value) = key.subject.field();
            line.insert(field.into(), json!(value));
            line.insert("outcome".into(), json!("refused"));
            line.insert("reason".into(), json!(key.reason));
            line.insert(
                "note".into(),
                json!(format!(
                    "refusals past the first {REFUSALS_PER_KEY} a minute of this kind, counted and not written"
                )),
            );
        }
        None => {
            line.insert(
                "note".into(),
                json!(format!(
                    "lines past the audit log's limit of {cap} a minute, counted and not written"
                )),
            );
        }
    }
    line.insert("count".into(), json!(count));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Subject {
        Subject::Account("alice".into())
    }

    #[test]
    fn refusals_past_the_keys_budget_are_counted_in_one_summary() {
        let start = Instant::now();
        let mut budget = AuditBudget::new(6000, start);
        let written = (0..60_000)
            .filter(|_| budget.admit(start, alice(), Some("no such mailbox")).write)
            .count();
        assert_eq!(written, REFUSALS_PER_KEY as usize);
        let later = start + Duration::from_secs(61);
        let admission = budget.admit(later, alice(), None);
        assert!(admission.write);
        assert_eq!(admission.summaries.len(), 1, "{:?}", admission.summaries);
        let line = &admission.summaries[0];
        assert_eq!(line["account"], "alice");
        assert_eq!(line["reason"], "no such mailbox");
        assert_eq!(line["count"], 60_000 - u64::from(REFUSALS_PER_KEY));
        // A new minute, a new budget.
        assert!(budget.admit(later, alice(), Some("no such mailbox")).write);
    }

    #[test]
    fn one_subjects_refusals_do_not_use_up_anothers() {
        let start = Instant::now();
        let mut budget = AuditBudget::new(6000, start);
        for _ in 0..1000 {
            budget.admit(start, alice(), Some("x"));
        }
        let bob = Subject::Account("bob".into());
        assert!(budget.admit(start, bob, Some("x")).write);
    }

    #[test]
    fn invented_reasons_and_subjects_stay_within_the_table() {
        let start = Instant::now();
        let mut budget = AuditBudget::new(1_000_000, start);
        let mut written = 0;
        for i in 0..100_000 {
            if budget
                .admit(start, alice(), Some(&format!("reason {i}")))
                .write
            {
                written += 1;
            }
        }
        assert_eq!(
            written,
            REASONS_PER_SUBJECT + REFUSALS_PER_KEY as usize,
            "one line for each of 16 reasons, then the shared key's budget"
        );
        for i in 0..100_000 {
            let source = Subject::Source(format!("10.0.{}.{}", i / 256, i % 256));
            budget.admit(start, source, Some("wrong credentials"));
        }
        assert!(budget.window.keys.len() <= MAX_KEYS + 1);
        let summaries = budget.finish(start);
        assert!(summaries.len() <= MAX_KEYS + 2, "{}", summaries.len());
    }

    #[test]
    fn the_cap_holds_for_successes_too_and_summaries_fit_under_it() {
        let start = Instant::now();
        let mut budget = AuditBudget::new(100, start);
        let written = (0..10_000)
            .filter(|_| budget.admit(start, alice(), None).write)
            .count();
        assert_eq!(written, 100);
        let summaries = budget.due(start + Duration::from_secs(60));
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0]["count"], 9_900);
        // Many keys' summaries never pass the next minute's cap.
        let mut budget = AuditBudget::new(5, start);
        for i in 0..50 {
            for _ in 0..20 {
                budget.admit(start, Subject::Account(format!("a{i}")), Some("refused"));
            }
        }
        let summaries = budget.due(start + Duration::from_secs(60));
        assert!(summaries.len() <= 5, "{}", summaries.len());
        let counted: u64 = summaries.iter().map(|l| l["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, 50 * 20 - 5, "every line not written is counted");
    }
}
