//! `Email::list_pops`, `Email::list_pops_with_disk` and `Email::count_pops`:
//! read-only views across the account's domains.

use serde_json::{json, Map, Value};

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::email::address::is_valid_domain;
use crate::home::mailbox::{self, MailboxRecord};
use crate::email::quota::Quota;
use crate::email::MailAddress;
use crate::state::AccountState;
use crate::error::{Error, Result};
use crate::home::maildir;

/// The biggest compiled `regex` accepted, so a hostile pattern cannot eat memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// cPanel's non-breaking space between a number and its unit.
const NBSP: char = '\u{a0}';

/// Every mailbox: `{email, login, suspended_incoming, suspended_login}`, and
/// the main account (`email` = user, `login` = `Main Account`) unless
/// `skip_main=1`; `regex` filters on `email`.
///
/// # Errors
///
/// An invalid `regex`, or unreadable files.
pub async fn list_pops(state: &AccountState, args: &Args) -> Result<UapiResult> {
    let filter = regex_filter(args)?;
    let skip_main = args.flag("skip_main")?;
    let rows = state
        .read(move |reader| {
            let account = reader.account()?;
            let mut rows = Vec::new();
            if !skip_main {
                rows.push(json!({"email": account.user, "login": "Main Account", "suspended_incoming": 0, "suspended_login": 0}));
            }
            for (domain, files) in common::all_domains(reader, &account)? {
                for record in mailbox::records(&files) {
                    let email = format!("{}@{domain}", record.localpart);
                    rows.push(json!({
                        "email": email, "login": email,
                        // liveapid has no incoming-mail suspension: mail is always delivered.
                        "suspended_incoming": 0,
                        "suspended_login": u8::from(record.login_suspended()),
                    }));
                }
            }
            rows.retain(|row| {
                filter
                    .as_ref()
                    .is_none_or(|re| re.is_match(row["email"].as_str().unwrap_or("")))
            });
            Ok(rows)
        })
        .await?;
    Ok(transformed(Value::Array(rows)))
}

/// Mailboxes with their quota and disk use; `domain` limits to one domain,
/// `email` (with `domain`) to one mailbox, `no_disk=1` skips measuring.
///
/// # Errors
///
/// An invalid or foreign domain, a missing mailbox, an invalid `regex`.
pub async fn list_pops_with_disk(state: &AccountState, args: &Args) -> Result<UapiResult> {
    let filter = regex_filter(args)?;
    let measure = !args.flag("no_disk")?;
    let only_domain = args
        .get("domain")?
        .filter(|d| !d.is_empty())
        .map(str::to_ascii_lowercase);
    let only_email = args
        .get("email")?
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    // The walks of the Maildirs take long on a big mailbox: all of it runs
    // on the blocking pool, where it delays no other connection.
    let rows = state
        .read(move |reader| {
            let account = reader.account()?;
            if let Some(d) = &only_domain {
                if !is_valid_domain(d) {
                    return Err(Error::InvalidDomain(d.clone()));
                }
                if !account.owns_domain(d) {
                    return Err(Error::NoAccountsForDomain(d.clone()));
                }
            }
            let only_mailbox = match &only_email {
                Some(email) => Some(MailAddress::resolve(
                    email,
                    only_domain.as_deref(),
                    &account.main_domain,
                    &account.other_domains,
                )?),
                None => None,
            };
            let mut rows = Vec::new();
            for (domain, files) in common::all_domains(reader, &account)? {
                if only_domain.as_ref().is_some_and(|d| *d != domain) {
                    continue;
                }
                for record in mailbox::records(&files) {
                    if only_mailbox
                        .as_ref()
                        .is_some_and(|a| a.localpart != record.localpart || a.domain != domain)
                    {
                        continue;
                    }
                    let email = format!("{}@{domain}", record.localpart);
                    if filter.as_ref().is_some_and(|re| !re.is_match(&email)) {
                        continue;
                    }
                    let (used, mtime) = if measure {
                        maildir::disk_usage(&reader.home_dir(), &domain, &record.localpart)?
                    } else {
                        (0, 0)
                    };
                    rows.push(disk_row(&record, &domain, used, mtime));
                }
            }
            if let Some(a) = &only_mailbox {
                if rows.is_empty() {
                    return Err(Error::NoSuchMailbox(a.to_string()));
                }
            }
            Ok(rows)
        })
        .await?;
    Ok(transformed(Value::Array(rows)))
}

/// How many mailboxes the account has (the main account not counted).
///
/// # Errors
///
/// Unreadable files.
pub async fn count_pops(state: &AccountState, _args: &Args) -> Result<UapiResult> {
    let count = state
        .read(|reader| common::mailbox_count(reader, &reader.account()?))
        .await?;
    Ok(transformed(json!(count)))
}

fn transformed(data: Value) -> UapiResult {
    let mut result = UapiResult::success(data);
    result.metadata = Map::from_iter([("transformed".to_owned(), json!(1))]);
    result
}

fn regex_filter(args: &Args) -> Result<Option<regex::Regex>> {
    match args.get("regex")?.filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(pattern) => regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Some)
            .map_err(|e| {
                Error::InvalidRegex(e.to_string().lines().last().unwrap_or("").to_owned())
            }),
    }
}

/// One row of `list_pops_with_disk`, with cPanel's field names.
pub(super) fn disk_row(record: &MailboxRecord, domain: &str, used: u64, mtime: u64) -> Value {
    let email = format!("{}@{domain}", record.localpart);
    let used_mib = used as f64 / 1_048_576.0;
    let (diskquota, percent) = match record.quota {
        Quota::Unlimited => (json!("unlimited"), 0.0),
        Quota::Bytes(limit) => (
            json!(record.quota.to_string()),
            100.0 * used as f64 / limit.max(1) as f64,
        ),
    };
    json!({
        "email": email,
        "login": email,
        "user": record.localpart,
        "domain": domain,
        "diskquota": diskquota,
        "txtdiskquota": record.quota.mib().map_or(json!("unlimited"), |m| json!(m)),
        "_diskquota": record.quota.bytes(),
        "diskused": (used_mib * 100.0).round() / 100.0,
        "_diskused": used,
        "humandiskquota": match record.quota { Quota::Unlimited => "None".to_owned(), Quota::Bytes(b) => human_size(b) },
        "humandiskused": if used == 0 { "None".to_owned() } else { human_size(used) },
        "diskusedpercent": percent as u64,
        "diskusedpercent20": ((percent / 20.0).round() * 20.0) as u64,
        "diskusedpercent_float": (percent * 100.0).round() / 100.0,
        "mtime": mtime,
        "suspended_incoming": 0,
        "suspended_login": u8::from(record.login_suspended()),
    })
}

/// `483 bytes`, `1.5 KB`, `250 MB`: cPanel's human sizes, with a
/// non-breaking space before the unit.
fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes}{NBSP}bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for next in ["KB", "MB", "GB", "TB", "PB"] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{NBSP}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(483), "483\u{a0}bytes");
        assert_eq!(human_size(1536), "1.5\u{a0}KB");
        assert_eq!(human_size(250 * 1_048_576), "250\u{a0}MB");
        assert_eq!(human_size(1_073_741_824), "1\u{a0}GB");
    }

    #[test]
    fn disk_rows() {
        let record = MailboxRecord {
            localpart: "u".into(),
            stored_hash: Some("!!$6$x".into()),
            quota: Quota::Bytes(100 * 1_048_576),
        };
        let row = disk_row(&record, "example.com", 50 * 1_048_576, 7);
        assert_eq!(row["email"], "u@example.com");
        assert_eq!(row["diskquota"], "100");
        assert_eq!(row["txtdiskquota"], 100);
        assert_eq!(row["diskusedpercent"], 50);
        assert_eq!(row["diskusedpercent20"], 60);
        assert_eq!(row["suspended_login"], 1);
        let unlimited = MailboxRecord {
            quota: Quota::Unlimited,
            ..record
        };
        let row = disk_row(&unlimited, "example.com", 0, 0);
        assert_eq!(
            (
                row["diskquota"].as_str(),
                row["_diskquota"].as_u64(),
                row["humandiskquota"].as_str()
            ),
            (Some("unlimited"), Some(0), Some("None"))
        );
    }
}
