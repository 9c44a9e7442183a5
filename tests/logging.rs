//! `--log-format json`: every line the daemon (and, under a supervisor,
//! every worker) writes to standard error is one JSON object.

#[macro_use]
mod common;

use common::{Daemon, ScratchAccount};
use serde_json::{json, Value};

/// Every non-empty line of `log` as JSON; panics naming a line that is not.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            assert!(value.is_object(), "{line}");
            for key in ["timestamp", "level", "target"] {
                assert!(value.get(key).is_some(), "no {key}: {line}");
            }
            value
        })
        .collect()
}

fn messages(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l["message"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_daemon_logging_json_writes_only_json_lines() {
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(&account, &["--log-format", "json"]);
    let mut client = daemon.connect();
    client.email_ok("list_pops", json!({}));
    // A refused call logs a warning with fields.
    client.uapi("Email", "no_such_function", json!({}));
    drop(client);
    assert!(daemon.stop().success());
    let lines = json_lines(&daemon.output());
    let messages = messages(&lines);
    assert!(messages.iter().any(|m| m == "listening"), "{messages:?}");
    assert!(
        messages.iter().any(|m| m == "shutting down"),
        "{messages:?}"
    );
    let listening = lines.iter().find(|l| l["message"] == "listening").unwrap();
    assert_eq!(listening["user"], "demo");
    assert_eq!(listening["level"], "INFO");
}

#[test]
fn the_text_format_is_not_json() {
    // The default, so that the test above can tell the formats apart.
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(&account, &[]);
    assert!(daemon.stop().success());
    let output = daemon.output();
    let first = output.lines().next().expect("a log line");
    assert!(serde_json::from_str::<Value>(first).is_err(), "{first}");
    assert!(first.contains("listening"), "{first}");
}

#[test]
fn workers_log_json_like_their_supervisor() {
    needs_root!();
    let host = common::host::Host::new(&["lj"]);
    let user = &host.users[0];
    let mut supervisor = host.start(&[
        "--user".into(),
        user.name.clone(),
        "--log-format".into(),
        "json".into(),
    ]);
    common::Client::connect(&host.socket(user)).email_ok("list_pops", json!({}));
    assert!(supervisor.terminate().success());
    let lines = json_lines(&supervisor.log());
    let messages = messages(&lines);
    // "worker serving" is written by the worker process itself.
    for expected in [
        "listening",
        "worker started",
        "worker serving",
        "worker stopped",
    ] {
        assert!(
            messages.iter().any(|m| m == expected),
            "{expected}: {messages:?}"
        );
    }
}
