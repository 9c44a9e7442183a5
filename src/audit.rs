//! The audit log (`--audit-log FILE`): one JSON line per state-changing
//! call and per refused call, for an operator reading back an incident.
//!
//! # Format
//!
//! ```text
//! {"time":"2026-12-01T19:05:03Z","account":"bob","uid":1001,"pid":4242,"module":"Email","func":"passwd_pop","mailbox":"user@example.com","outcome":"ok"}
//! {"time":"2026-12-01T19:05:04Z","account":"bob","uid":1001,"pid":4243,"module":"Email","func":"passwd_pop","mailbox":"user","outcome":"refused","reason":"The given password is too weak. …"}
//! ```
//!
//! Never a password or a hash: a line holds the names above only, and a
//! refusal's reason is an error text, which never carries either. Each line
//! is one `write` on a file opened with `O_APPEND`, so lines from several
//! processes (the workers of a server) never interleave; the file is
//! created 0600.
//!
//! Bounded: refusals past a budget per account (or per source address) and
//! reason, and any line past `--audit-max-lines-per-minute`, are counted
//! and summed up in one line instead ([`crate::audit_budget`]). A write
//! that fails (a full disk) is logged once a minute and never fails the call.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::audit_budget::{AuditBudget, Subject, DEFAULT_MAX_LINES_PER_MINUTE};
use crate::caller::Caller;
use crate::control::ActionClient;
use crate::error::{Error, Result};

/// The functions that change an account; their calls are always logged.
const STATE_CHANGING: &[&str] = &[
    "passwd_pop",
    "add_pop",
    "delete_pop",
    "suspend_login",
    "unsuspend_login",
    "edit_pop_quota",
    "create_full_access",
    "revoke",
];

/// Whether a call of `func` is logged when it succeeds.
pub fn changes_state(func: &str) -> bool {
    STATE_CHANGING.contains(&func)
}

/// What one audited call was and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub time: SystemTime,
    /// The connecting process (from the socket's peer credentials), or the
    /// `uapi` command's own.
    pub uid: Option<u32>,
    pub pid: Option<u32>,
    pub module: String,
    pub func: String,
    /// The mailbox the call named (`email`, with `domain` if given).
    pub mailbox: Option<String>,
    /// `None` for success, else the first error.
    pub refusal: Option<String>,
}

impl AuditRecord {
    /// The line's JSON object, without the account (the writer adds it).
    pub fn to_value(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("time".into(), json!(rfc3339(self.time)));
        map.insert("uid".into(), json!(self.uid));
        map.insert("pid".into(), json!(self.pid));
        map.insert("module".into(), json!(self.module));
        map.insert("func".into(), json!(self.func));
        map.insert("mailbox".into(), json!(self.mailbox));
        match &self.refusal {
            None => map.insert("outcome".into(), json!("ok")),
            Some(reason) => {
                map.insert("outcome".into(), json!("refused"));
                map.insert("reason".into(), json!(reason))
            }
        };
        map
    }
}

/// The mailbox a call's `email` and `domain` arguments name, as given.
pub fn named_mailbox(email: Option<&str>, domain: Option<&str>) -> Option<String> {
    let email = email.filter(|e| !e.is_empty())?;
    let shown = crate::error::shown(email);
    Some(
        match domain.filter(|d| !d.is_empty() && !email.contains('@')) {
            Some(domain) => format!("{shown}@{}", crate::error::shown(domain)),
            None => shown,
        },
    )
}

/// An open audit log file, with its budget (see [`crate::audit_budget`]).
#[derive(Debug)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    budget: Mutex<AuditBudget>,
    /// When a failed write was last logged: a full disk is logged once a
    /// minute, not once a call.
    last_failure_logged: Mutex<Option<Instant>>,
}

/// How often the flusher looks for a minute's summaries to write.
const FLUSH_EVERY: Duration = Duration::from_secs(5);

impl AuditLog {
    /// Opens `path` for appending, creating it 0600, with the default cap.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when it cannot be opened.
    pub fn open(path: &Path) -> Result<AuditLog> {
        AuditLog::open_with_cap(path, DEFAULT_MAX_LINES_PER_MINUTE)
    }

    /// Opens `path` with at most `max_lines_per_minute` lines a minute (plus
    /// one summary line); a thread writes a minute's summaries when no
    /// further line comes to carry them.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when it cannot be opened.
    pub fn open_with_cap(path: &Path, max_lines_per_minute: u32) -> Result<AuditLog> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| Error::storage("open the audit log", path, e))?;
        let inner = Arc::new(Inner {
            file,
            budget: Mutex::new(AuditBudget::new(max_lines_per_minute, Instant::now())),
            last_failure_logged: Mutex::new(None),
        });
        let weak = Arc::downgrade(&inner);
        // Holds only a weak handle: it ends soon after the log is closed.
        let _ = std::thread::Builder::new()
            .name("audit-flush".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                let Some(inner) = weak.upgrade() else { return };
                let due = inner.budget().due(Instant::now());
                inner.write_all(due);
            });
        Ok(AuditLog { inner })
    }

    /// Appends one line for `account` if the budget allows it (one write; a
    /// failure is logged, the call's outcome stands).
    pub fn append(&self, account: &str, mut line: Map<String, Value>) {
        let subject = match line.get("source").and_then(Value::as_str) {
            // An HTTPS login: the claimed name is the stranger's choice.
            Some(source) => Subject::Source(source.to_owned()),
            None => Subject::Account(account.to_owned()),
        };
        let refusal = match line.get("outcome").and_then(Value::as_str) {
            Some("ok") | None => None,
            Some(_) => Some(line.get("reason").and_then(Value::as_str).unwrap_or("")),
        };
        let admission = self.inner.budget().admit(Instant::now(), subject, refusal);
        self.inner.write_all(admission.summaries);
        if admission.write {
            line.insert("account".into(), json!(account));
            self.inner.write(line);
        }
    }

    /// When a failed write was last logged (a full disk, say).
    #[cfg(test)]
    fn failures_logged_at(&self) -> Option<Instant> {
        *self
            .inner
            .last_failure_logged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for AuditLog {
    /// The counts of the current minute are written at close.
    fn drop(&mut self) {
        let pending = self.inner.budget().finish(Instant::now());
        self.inner.write_all(pending);
    }
}

impl Inner {
    fn budget(&self) -> std::sync::MutexGuard<'_, AuditBudget> {
        self.budget.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write_all(&self, lines: Vec<Map<String, Value>>) {
        for mut line in lines {
            line.insert("time".into(), json!(rfc3339(SystemTime::now())));
            self.write(line);
        }
    }

    fn write(&self, line: Map<String, Value>) {
        let mut text = Value::Object(order(line)).to_string();
        text.push('\n');
        if let Err(e) = (&self.file).write_all(text.as_bytes()) {
            let mut last = self
                .last_failure_logged
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                *last = Some(Instant::now());
                tracing::error!(error = %e, "cannot write the audit log (logged once a minute while it lasts)");
            }
        }
    }
}

/// `time`, `account` first, then the rest as made.
fn order(line: Map<String, Value>) -> Map<String, Value> {
    const FIRST: [&str; 2] = ["time", "account"];
    let mut ordered: Map<String, Value> = FIRST
        .iter()
        .filter_map(|key| line.get(*key).map(|v| ((*key).to_owned(), v.clone())))
        .collect();
    ordered.extend(
        line.into_iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str())),
    );
    ordered
}

/// Where a process's audit lines go.
#[derive(Debug, Clone)]
pub enum AuditSink {
    /// Written here (a daemon of one account, or `uapi`).
    Local { log: Arc<AuditLog>, account: String },
    /// Sent to the supervisor, which writes them with the worker's account
    /// (a worker cannot write lines for another account).
    Supervisor(Arc<ActionClient>),
}

impl AuditSink {
    /// Records one call.
    pub async fn record(&self, record: &AuditRecord) {
        match self {
            AuditSink::Local { log, account } => {
                // A file write: off the runtime's threads, like every other.
                let (log, account, line) = (log.clone(), account.clone(), record.to_value());
                let _ = tokio::task::spawn_blocking(move || log.append(&account, line)).await;
            }
            AuditSink::Supervisor(client) => client.audit(record.to_value()).await,
        }
    }
}

/// Records a finished call in `sink`, if there is one and the call changed
/// the account or was refused. `func` is the UAPI function's name (an API2
/// call is recorded under the function it wraps); `email` and `domain` are
/// its arguments of those names, which name the mailbox.
pub async fn after_call(
    sink: Option<&AuditSink>,
    caller: Caller,
    module: &str,
    func: &str,
    email: Option<&str>,
    domain: Option<&str>,
    refusal: Option<String>,
) {
    let Some(sink) = sink else { return };
    if refusal.is_none() && !changes_state(func) {
        return;
    }
    let record = AuditRecord {
        time: SystemTime::now(),
        uid: Some(caller.uid),
        pid: caller.pid,
        module: module.to_owned(),
        func: func.to_owned(),
        mailbox: named_mailbox(email, domain),
        refusal,
    };
    sink.record(&record).await;
}

/// `2026-12-01T19:05:03Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_796_151_903)),
            "2026-12-01T19:05:03Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn lines_are_appended_whole_to_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path).unwrap();
        let record = AuditRecord {
            time: UNIX_EPOCH,
            uid: Some(1001),
            pid: Some(7),
            module: "Email".into(),
            func: "passwd_pop".into(),
            mailbox: named_mailbox(Some("user"), Some("example.com")),
            refusal: Some("The given password is too weak.".into()),
        };
        log.append("bob", record.to_value());
        log.append(
            "bob",
            AuditRecord {
                refusal: None,
                ..record
            }
            .to_value(),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"time":"1970-01-01T00:00:00Z","account":"bob","uid":1001,"pid":7,"module":"Email","func":"passwd_pop","mailbox":"user@example.com","outcome":"refused","reason":"The given password is too weak."}"#
        );
        assert!(lines[1].ends_with(r#""outcome":"ok"}"#), "{}", lines[1]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    fn refused(reason: &str) -> Map<String, Value> {
        AuditRecord {
            time: UNIX_EPOCH,
            uid: Some(1001),
            pid: Some(7),
            module: "Email".into(),
            func: "passwd_pop".into(),
            mailbox: None,
            refusal: Some(reason.into()),
        }
        .to_value()
    }

    #[test]
    fn a_burst_of_refusals_is_a_few_lines_and_a_count_at_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open_with_cap(&path, 6000).unwrap();
        for _ in 0..60_000 {
            log.append("alice", refused("no such mailbox"));
        }
        log.append("bob", refused("no such mailbox"));
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let alices = lines.iter().filter(|l| l["account"] == "alice").count();
        assert_eq!(
            alices,
            crate::audit_budget::REFUSALS_PER_KEY as usize + 1,
            "{text}"
        );
        let summary = lines.last().unwrap();
        assert_eq!(summary["event"], "suppressed", "{text}");
        assert_eq!(summary["count"], 60_000 - 10, "{text}");
        assert!(
            lines.iter().any(|l| l["account"] == "bob"),
            "bob keeps his line"
        );
    }

    /// An HTTPS login refusal is counted by its source address: a stranger
    /// cannot get more lines by claiming a new name each time.
    #[test]
    fn https_refusals_are_budgeted_per_source_whatever_name_is_claimed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path).unwrap();
        let login = |source: &str| {
            let mut line = Map::new();
            line.insert("event".into(), json!("login"));
            line.insert("source".into(), json!(source));
            line.insert("outcome".into(), json!("refused"));
            line.insert("reason".into(), json!("wrong or missing credentials"));
            line
        };
        for i in 0..5000 {
            log.append(&format!("claimed{i}"), login("192.0.2.7"));
        }
        log.append("bob", login("198.51.100.1"));
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let from_attacker = lines
            .iter()
            .filter(|l| l["source"] == "192.0.2.7" && l["event"] == "login")
            .count();
        assert_eq!(
            from_attacker,
            crate::audit_budget::REFUSALS_PER_KEY as usize
        );
        assert!(
            lines.iter().any(|l| l["source"] == "198.51.100.1"),
            "{text}"
        );
        let summary = lines.iter().find(|l| l["event"] == "suppressed").unwrap();
        assert_eq!(summary["source"], "192.0.2.7");
        assert_eq!(summary["count"], 5000 - 10);
    }

    /// A full disk (`/dev/full` answers every write with ENOSPC) is logged,
    /// and the call that wanted the line goes on.
    #[test]
    fn a_full_disk_is_logged_and_never_fails_the_call() {
        let Ok(log) = AuditLog::open(Path::new("/dev/full")) else {
            eprintln!("skipped: /dev/full cannot be opened here");
            return;
        };
        for _ in 0..3 {
            log.append("bob", refused("wrong"));
        }
        assert!(
            log.failures_logged_at().is_some(),
            "the failure was noticed"
        );
    }

    #[test]
    fn the_named_mailbox_is_shown_safely() {
        assert_eq!(
            named_mailbox(Some("a@b.c"), Some("x.y")).as_deref(),
            Some("a@b.c")
        );
        assert_eq!(named_mailbox(Some("a\nb"), None).as_deref(), Some("a\\nb"));
        assert_eq!(named_mailbox(None, Some("x.y")), None);
        assert!(changes_state("passwd_pop") && !changes_state("list_pops"));
    }
}
