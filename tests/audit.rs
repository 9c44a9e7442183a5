//! The audit log (`--audit-log FILE`): what an operator reads back after an
//! incident. One JSON line per state-changing call and per refused call,
//! with the caller's uid and pid from the socket's peer credentials, never
//! a password or a hash.

#[macro_use]
mod common;

use std::os::unix::fs::PermissionsExt;

use common::host::Host;
use common::{Client, Daemon, ScratchAccount};
use serde_json::{json, Value};

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_change_and_every_refusal_is_one_line_without_secrets() {
    let account = ScratchAccount::new(&[]);
    let log = account.dir.path().join("audit.log");
    let daemon = Daemon::serve(&account, &["--audit-log", log.to_str().unwrap()]);
    let mut client = daemon.connect();
    client.email_ok(
        "passwd_pop",
        json!({"email": "user", "domain": "example.com", "password": "Audited-Change-Pass-1"}),
    );
    client.email_err(
        "passwd_pop",
        json!({"email": "user", "password": "12345luggage"}),
    );
    client.email_ok("list_pops", json!({}));
    client.email_ok(
        "verify_password",
        json!({"email": "alice@example.com", "password": "Not-Alices-Pass-22"}),
    );
    client.email_err(
        "verify_password",
        json!({"email": "ghost@example.com", "password": "Ghosts-Password-33"}),
    );
    client.email_ok(
        "add_pop",
        json!({"email": "new@example.net", "password": "Audited-New-Box-44"}),
    );
    let payload = format!(
        "<cpanelaction>{}</cpanelaction>",
        json!({"module": "Email", "reqtype": "exec", "func": "passwdpop", "apiversion": 2,
               "args": {"email": "bob", "domain": "example.com", "password": "Audited-Api2-Pass-55"}})
    );
    common::remember_passwords(&json!({"password": "Audited-Api2-Pass-55"}));
    client.request(payload.as_bytes());
    drop(client);
    drop(daemon);

    let text = std::fs::read_to_string(&log).unwrap();
    for secret in [
        "Audited-Change-Pass-1",
        "12345luggage",
        "Not-Alices-Pass-22",
        "Ghosts-Password-33",
        "Audited-New-Box-44",
        "Audited-Api2-Pass-55",
        "$6$",
    ] {
        assert!(!text.contains(secret), "{secret} in the audit log:\n{text}");
    }
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let lines = lines(&log);
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["func"].as_str().unwrap().to_owned(),
                l["mailbox"].as_str().unwrap_or("").to_owned(),
                l["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("passwd_pop", "user@example.com", "ok"),
        ("passwd_pop", "user", "refused"),
        ("verify_password", "ghost@example.com", "refused"),
        ("add_pop", "new@example.net", "ok"),
        ("passwd_pop", "bob@example.com", "ok"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
        .collect();
    assert_eq!(
        summary, expected,
        "list_pops and a wrong password are no line"
    );
    let uid = rustix::process::getuid().as_raw();
    for line in &lines {
        assert_eq!(line["account"], "demo", "{line}");
        assert_eq!(line["module"], "Email", "{line}");
        assert_eq!(line["uid"], uid, "{line}");
        assert_eq!(line["pid"], std::process::id(), "{line}");
        let time = line["time"].as_str().unwrap();
        assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
    }
    assert!(
        lines[1]["reason"].as_str().unwrap().contains("too weak"),
        "{}",
        lines[1]
    );
}

#[test]
fn uapi_writes_the_same_lines() {
    let account = ScratchAccount::new(&[]);
    let log = account.dir.path().join("audit.log");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("uapi"))
        .args(["--user=demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg("--audit-log")
        .arg(&log)
        .args(["Email", "suspend_login", "email=alice@example.com"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = lines(&log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["func"], "suspend_login");
    assert_eq!(lines[0]["outcome"], "ok");
    // The uapi process's own uid and pid.
    assert_eq!(lines[0]["uid"], rustix::process::getuid().as_raw());
    assert!(lines[0]["pid"].is_u64(), "{}", lines[0]);
}

/// On a server, the root supervisor writes every worker's lines, naming
/// the worker's account itself: a worker cannot write for another account.
#[test]
fn the_supervisor_writes_each_workers_lines_with_its_account() {
    needs_root!();
    let host = Host::new(&["au", "av"]);
    let log = host.dir.path().join("audit.log");
    let mut args: Vec<String> = host
        .users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .collect();
    args.extend(["--audit-log".to_owned(), log.display().to_string()]);
    let daemon = host.start(&args);
    for user in &host.users {
        let mut client = Client::connect(&host.socket(user));
        client.email_ok(
            "passwd_pop",
            json!({"email": "user@example.com", "password": "Supervised-Audit-Pass-6"}),
        );
    }
    drop(daemon);
    common::keep_for_the_suite("logs", &std::fs::read_to_string(&log).unwrap_or_default());
    let lines = lines(&log);
    let accounts: Vec<&str> = lines
        .iter()
        .map(|l| l["account"].as_str().unwrap())
        .collect();
    let names: Vec<&str> = host.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(accounts, names, "{lines:?}");
    let meta = std::fs::metadata(&log).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0, "root's file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

/// 60 000 refused calls (`delete_pop` of a mailbox that does not exist,
/// refused before anything is hashed or written), pipelined over four
/// connections; each reply is read, so every call was answered.
fn burst_of_refusals(socket: &std::path::Path, calls: usize) {
    use std::io::{BufRead, BufReader, Write};
    let action = json!({"module": "Email", "reqtype": "exec", "func": "delete_pop",
                        "apiversion": "uapi", "args": {"email": "ghost@example.com"}});
    let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
    let frame = format!("{}\n{payload}", payload.len());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = Client::connect(socket);
            let frame = frame.clone();
            std::thread::spawn(move || {
                let mut writer = client.stream.try_clone().unwrap();
                let count = calls / 4;
                let sender = std::thread::spawn(move || {
                    let batch = frame.repeat(100);
                    for _ in 0..count / 100 {
                        writer.write_all(batch.as_bytes()).unwrap();
                    }
                });
                let mut reader = BufReader::new(client.stream);
                let mut answered = 0;
                let mut line = Vec::new();
                while answered < count {
                    line.clear();
                    assert!(reader.read_until(b'\n', &mut line).unwrap() > 0, "EOF");
                    if line.ends_with(b"</cpanelresult>\n") {
                        let text = String::from_utf8_lossy(&line);
                        assert!(text.contains("\"status\":0"), "{text}");
                        answered += 1;
                    }
                }
                sender.join().unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// The burst's lines: how many were written for `account`, and how many
/// the summary lines say were counted and not written.
fn written_and_counted(lines: &[Value], account: &str) -> (usize, u64) {
    let refused = lines
        .iter()
        .filter(|l| l["account"] == account && l["func"] == "delete_pop")
        .count();
    let counted = lines
        .iter()
        .filter(|l| l["event"] == "suppressed")
        .map(|l| l["count"].as_u64().unwrap())
        .sum();
    (refused, counted)
}

/// At most `REFUSALS_PER_KEY` (10) refusals of one kind a minute are
/// written per account; the rest are one summary line with their count,
/// written at the latest when the daemon stops. The burst takes seconds,
/// so it spans one or two minutes: at most 2 × 10 lines and 2 summaries.
fn assert_bounded(lines: &[Value], account: &str, calls: usize) {
    let (refused, counted) = written_and_counted(lines, account);
    assert!(
        lines.len() <= 24,
        "{} audit lines for {calls} refused calls",
        lines.len()
    );
    assert_eq!(
        refused as u64 + counted,
        calls as u64,
        "every refusal is written or counted: {lines:?}"
    );
    let summary = lines.iter().find(|l| l["event"] == "suppressed").unwrap();
    assert_eq!(summary["account"], account, "{summary}");
    assert!(
        summary["reason"].as_str().unwrap().contains("ghost"),
        "{summary}"
    );
}

#[test]
fn a_burst_of_refused_calls_adds_a_bounded_number_of_lines() {
    let account = ScratchAccount::new(&[]);
    let log = account.dir.path().join("audit.log");
    let daemon = Daemon::serve(&account, &["--audit-log", log.to_str().unwrap()]);
    burst_of_refusals(&account.socket(), 60_000);
    drop(daemon);
    assert_bounded(&lines(&log), "demo", 60_000);
}

/// The same through the root supervisor, which enforces the budget where
/// it writes: a worker's own lines cannot get past it.
#[test]
fn the_supervisor_bounds_a_workers_burst_of_refusals() {
    needs_root!();
    let host = Host::new(&["ab"]);
    let log = host.dir.path().join("audit.log");
    let user = &host.users[0];
    let daemon = host.start(&[
        "--user".to_owned(),
        user.name.clone(),
        "--audit-log".to_owned(),
        log.display().to_string(),
    ]);
    // Fewer calls than above: each of a worker's lines is a round trip to
    // the supervisor, and the path that bounds them is the same.
    burst_of_refusals(&host.socket(user), 20_000);
    drop(daemon);
    assert_bounded(&lines(&log), &user.name, 20_000);
}

/// A tmpfs of 64 KiB, filled up, unmounted when dropped: a full disk.
struct FullDisk(tempfile::TempDir);

impl FullDisk {
    fn new() -> FullDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount a tmpfs");
        let mut filler = std::fs::File::create(dir.path().join("filler")).unwrap();
        let block = [0u8; 4096];
        while std::io::Write::write_all(&mut filler, &block).is_ok() {}
        FullDisk(dir)
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

/// A full disk: every call is answered as usual, and the failure is logged
/// once, not once a call. As root (which takes only a regular file in a
/// directory no one else can write as its audit log) on a full tmpfs;
/// otherwise on `/dev/full`, which answers every write with ENOSPC.
#[test]
fn a_full_disk_under_the_audit_log_never_stops_a_call() {
    let account = ScratchAccount::new(&[]);
    let socket = account.socket();
    let log = socket.with_extension("log");
    let full = common::host::is_root().then(FullDisk::new);
    let audit_log = match &full {
        Some(disk) => disk.0.path().join("audit.log"),
        None => std::path::PathBuf::from("/dev/full"),
    };
    // Started here rather than with Daemon::serve, which reads the audit
    // log back at the end (and /dev/full reads as endless zeros).
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["serve", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg("--socket")
        .arg(&socket)
        .arg("--audit-log")
        .arg(&audit_log)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let daemon = Daemon::adopt(child, &socket, &log);
    common::host::wait_until(
        || std::os::unix::net::UnixStream::connect(&socket).is_ok(),
        "socket answers",
    );
    let mut client = daemon.connect();
    for _ in 0..5 {
        client.email_err("delete_pop", json!({"email": "ghost@example.com"}));
        client.email_ok("suspend_login", json!({"email": "alice@example.com"}));
    }
    drop(client);
    let output = daemon.output();
    assert_eq!(
        output.matches("cannot write the audit log").count(),
        1,
        "{output}"
    );
}
