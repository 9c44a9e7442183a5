//! The limits of issue 11, as a script meets them over the socket: the
//! password length (and the command line's), the hashing queue, the shutdown drain, the connection
//! cap, the idle timeout and the per-minute rates.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{libxcrypt_verifies, parse_frame, status_and_errors, Client, Daemon, ScratchAccount};
use serde_json::{json, Value};

const TOO_LONG: &str = "The password cannot be longer than 511 bytes.";
/// libxcrypt refuses longer passphrases, so no login could use one.
const LONGEST: usize = 511;
const BUSY: &str = "The server is busy hashing other passwords; try again in a moment.";

/// A strong password of exactly `len` bytes.
fn password_of(len: usize) -> String {
    "Long-Pass-9!xyZ".chars().cycle().take(len).collect()
}

/// Sends a UAPI call without reading the reply.
fn send_call(client: &mut Client, func: &str, args: &Value) {
    common::remember_passwords(args);
    let action = json!({"module": "Email", "reqtype": "exec", "func": func, "apiversion": "uapi", "args": args});
    let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
    client.send(format!("{}\n{payload}", payload.len()).as_bytes());
}

/// Waits for the declaration line a call sends once it has run longer
/// than `--keepalive-secs`: proof that it is running.
fn wait_until_running(client: &mut Client) {
    let mut declaration = [0u8; 23];
    client.stream.read_exact(&mut declaration).unwrap();
    assert_eq!(&declaration, b"<?xml version=\"1.0\" ?>\n");
}

/// Gives `localpart@example.com` a stored hash that takes minutes to check
/// (999 999 999 rounds, libxcrypt's maximum): a call that checks it runs
/// until it is stopped.
fn plant_slow_hash(account: &ScratchAccount, localpart: &str) {
    let path = account.etc("example.com").join("shadow");
    let slow = format!("$6$rounds=999999999$saltsalt${}", "a".repeat(86));
    let shadow: String = account
        .shadow("example.com")
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split(':').collect();
            if fields[0] == localpart {
                fields[1] = &slow;
            }
            format!("{}\n", fields.join(":"))
        })
        .collect();
    std::fs::write(path, shadow).unwrap();
}

/// A connection whose call checks the slow hash, seen running.
fn start_slow_verify(daemon: &Daemon) -> Client {
    let mut client = daemon.connect();
    send_call(
        &mut client,
        "verify_password",
        &json!({"email": "alice", "password": "Any-Guess-12345"}),
    );
    wait_until_running(&mut client);
    // Past the mailbox lookup (milliseconds), well into the hash (minutes).
    std::thread::sleep(Duration::from_secs(1));
    client
}

#[test]
fn a_password_over_511_bytes_is_refused_before_hashing_everywhere() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let (longest, too_long) = (password_of(LONGEST), password_of(LONGEST + 1));
    let before = account.snapshot();
    for (func, args) in [
        ("passwd_pop", json!({"email": "user", "password": too_long})),
        ("add_pop", json!({"email": "newbox", "password": too_long})),
        (
            "verify_password",
            json!({"email": "user", "password": too_long}),
        ),
    ] {
        assert_eq!(c.email_err(func, args), TOO_LONG, "{func}");
    }
    assert_eq!(account.snapshot(), before, "nothing was changed");
    // API2's wrapper goes through the same function.
    let action = json!({"module": "Email", "reqtype": "exec", "func": "passwdpop", "apiversion": "2", "args": {"email": "user", "password": too_long}});
    let reply = c.request(format!("<cpanelaction>\n{action}\n</cpanelaction>").as_bytes());
    assert!(
        String::from_utf8_lossy(&reply).contains(TOO_LONG),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(account.snapshot(), before);

    // 511 bytes are accepted, and libxcrypt checks the stored hash.
    c.email_ok("passwd_pop", json!({"email": "user", "password": longest}));
    assert!(libxcrypt_verifies(
        &longest,
        &account.hash_of("user", "example.com")
    ));
    let data = c.email_ok(
        "verify_password",
        json!({"email": "user", "password": longest}),
    );
    assert_eq!(data, json!(1));
    c.email_ok("add_pop", json!({"email": "newbox", "password": longest}));
    assert!(libxcrypt_verifies(
        &longest,
        &account.hash_of("newbox", "example.com")
    ));
}

#[test]
fn the_uapi_command_line_refuses_a_password_over_511_bytes() {
    let account = ScratchAccount::new(&[]);
    let before = account.snapshot();
    let out = Command::new(env!("CARGO_BIN_EXE_uapi"))
        .arg("--root")
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .args(["--user=demo", "Email", "passwd_pop", "email=user"])
        .arg(format!("password={}", password_of(LONGEST + 1)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(TOO_LONG), "{stdout}");
    assert!(stdout.contains("status: 0"), "{stdout}");
    assert_eq!(account.snapshot(), before);
}

#[test]
fn a_full_hashing_queue_answers_busy_and_other_calls_still_work() {
    let account = ScratchAccount::new(&[]);
    plant_slow_hash(&account, "alice");
    let daemon = Daemon::serve(
        &account,
        &[
            "--hash-threads",
            "1",
            "--hash-queue",
            "0",
            "--keepalive-secs",
            "0.2",
            "--drain-timeout",
            "1",
        ],
    );
    let _slow = start_slow_verify(&daemon);
    let mut c = daemon.connect();
    let before = account.snapshot();
    assert_eq!(
        c.email_err(
            "verify_password",
            json!({"email": "user", "password": common::OLD_PASSWORD})
        ),
        BUSY
    );
    assert_eq!(
        c.email_err(
            "passwd_pop",
            json!({"email": "user", "password": "Busy-Server-Pass-1"})
        ),
        BUSY
    );
    assert_eq!(
        account.snapshot(),
        before,
        "a refused change changes nothing"
    );
    // Calls that hash nothing are served as usual.
    c.email_ok("count_pops", json!({}));
    assert!(daemon.output().contains("busy hashing"));
}

#[test]
fn sigterm_stops_a_long_call_after_the_drain_timeout_and_exits_cleanly() {
    let account = ScratchAccount::new(&[]);
    plant_slow_hash(&account, "alice");
    let mut daemon = Daemon::serve(
        &account,
        &["--keepalive-secs", "0.2", "--drain-timeout", "1"],
    );
    let mut slow = start_slow_verify(&daemon);
    let started = Instant::now();
    let status = daemon.stop();
    let took = started.elapsed();
    assert!(status.success(), "{status}");
    // The hash alone would take minutes; 1 s of drain and a generous margin.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        took >= Duration::from_millis(900),
        "drained first: {took:?}"
    );
    assert!(!daemon.socket.exists(), "socket removed");
    // Only keep-alive newlines came, then the close: no reply.
    let mut rest = Vec::new();
    slow.stream.read_to_end(&mut rest).unwrap();
    assert!(rest.iter().all(|b| *b == b'\n'), "{rest:?}");
    assert!(daemon.output().contains("drain timeout"));
}

#[test]
fn a_commit_that_has_begun_completes_even_when_the_drain_times_out() {
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(
        &account,
        &["--keepalive-secs", "0.2", "--drain-timeout", "1"],
    );
    // Another process holds the shadow lock for 4 s: the change waits in its batch.
    let lock_path = account.etc("example.com").join("shadow.lock");
    let mut holder = common::hold_lock(&lock_path, 4);
    let mut c = daemon.connect();
    let new = "Committed-At-Exit-1";
    send_call(
        &mut c,
        "passwd_pop",
        &json!({"email": "user", "password": new}),
    );
    wait_until_running(&mut c);
    let status = daemon.stop();
    assert!(status.success(), "{status}");
    holder.wait().unwrap();
    assert!(
        libxcrypt_verifies(new, &account.hash_of("user", "example.com")),
        "the change was committed before the exit"
    );
    let output = daemon.output();
    assert!(output.contains("drain timeout"), "{output}");
    assert!(
        output.contains("waiting for the commits in flight"),
        "{output}"
    );
}

#[test]
fn one_connection_over_the_cap_is_told_at_once_and_closed() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--max-connections", "2"]);
    let first = daemon.connect();
    let _second = daemon.connect();
    let mut third = Client::raw(&daemon.socket);
    third
        .stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let reply = parse_frame(&third.read_frame());
    assert_eq!(reply["session"], "closed", "{reply}");
    let text = reply.to_string();
    assert!(text.contains("limit of 2 connections"), "{text}");
    assert!(text.contains("--max-connections"), "{text}");
    assert!(third.is_closed());
    // A freed place is served again.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut c = Client::raw(&daemon.socket);
        // A refused connection may be closed before this is written.
        let _ = c.stream.write_all(b"23\n<cpaneljson enable=\"1\">");
        let reply = c.read_frame();
        if !String::from_utf8_lossy(&reply).contains("closed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never reused"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_idle_connection_is_closed_but_a_busy_one_or_a_long_call_is_not() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(
        &account,
        &["--idle-timeout", "1", "--keepalive-secs", "0.2"],
    );
    let mut idle = daemon.connect();
    let reply = parse_frame(&idle.read_frame());
    assert_eq!(reply["session"], "closed", "{reply}");
    assert!(reply.to_string().contains("--idle-timeout"), "{reply}");
    assert!(idle.is_closed());

    // Requests every 100 ms for 3 s: never idle.
    let mut busy = daemon.connect();
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        busy.email_ok("count_pops", json!({}));
        std::thread::sleep(Duration::from_millis(100));
    }

    // A call that runs longer than the idle timeout is not cut.
    let lock_path = account.etc("example.com").join("shadow.lock");
    let mut holder = common::hold_lock(&lock_path, 2);
    busy.email_ok(
        "passwd_pop",
        json!({"email": "user", "password": "Long-Call-Pass-77"}),
    );
    holder.wait().unwrap();
}

/// The error of a call refused by a rate, and that nothing changed.
fn refused(c: &mut Client, account: &ScratchAccount, func: &str, args: Value) -> String {
    let before = account.snapshot();
    let reply = c.uapi("Email", func, args);
    let (status, errors) = status_and_errors(&reply);
    assert_eq!((status, errors.len()), (0, 1), "{reply}");
    assert_eq!(account.snapshot(), before, "a refused call is not executed");
    errors[0].clone()
}

#[test]
fn verify_rate_counts_per_mailbox_whoever_calls() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--verify-rate", "3"]);
    let mut c = daemon.connect();
    let check = |email: &str| json!({"email": email, "password": common::OLD_PASSWORD});
    for _ in 0..3 {
        assert_eq!(c.email_ok("verify_password", check("user")), json!(1));
    }
    // The fourth check of the same mailbox.
    let error = refused(&mut c, &account, "verify_password", check("user"));
    assert_eq!(error, "Too many password checks in the last minute (at most 3 per minute for user@example.com); try again in a minute.");
    // Other mailboxes have their own counts: the caller has none by default.
    for email in ["alice", "bob"] {
        for _ in 0..3 {
            assert_eq!(c.email_ok("verify_password", check(email)), json!(1));
        }
    }
    // Changes have their own count.
    c.email_ok(
        "passwd_pop",
        json!({"email": "alice", "password": "Rate-Other-Kind-1"}),
    );
    assert!(daemon.output().contains("Too many password checks"));
}

#[test]
fn verify_rate_per_caller_counts_every_mailbox_of_the_caller() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--verify-rate-per-caller", "3"]);
    let mut c = daemon.connect();
    let check = |email: &str| json!({"email": email, "password": common::OLD_PASSWORD});
    for email in ["user", "alice", "bob"] {
        assert_eq!(c.email_ok("verify_password", check(email)), json!(1));
    }
    let error = refused(&mut c, &account, "verify_password", check("user"));
    assert!(error.contains("for the calling user (uid "), "{error}");
}

#[test]
fn change_rate_per_caller_counts_every_change_of_the_caller() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--change-rate-per-caller", "3"]);
    let mut c = daemon.connect();
    let change =
        |email: &str, n: u32| json!({"email": email, "password": format!("Rate-Change-{n}-Pass")});
    c.email_ok("passwd_pop", change("user", 1));
    c.email_ok("passwd_pop", change("user", 2));
    c.email_ok("add_pop", change("newbox", 3));
    // A fourth change, of a mailbox with changes left: the caller's count is full.
    let error = refused(&mut c, &account, "passwd_pop", change("bob", 4));
    assert!(error.contains("password changes"), "{error}");
    assert!(error.contains("the calling user (uid "), "{error}");
    let error = refused(&mut c, &account, "add_pop", change("another", 5));
    assert!(error.contains("the calling user"), "{error}");
    // A hash given as is costs nothing and is not counted.
    let hash = account.hash_of("user", "example.com");
    c.email_ok("add_pop", json!({"email": "hashed", "password_hash": hash}));
    // Checks have their own count.
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user", "password": "Rate-Change-2-Pass"})
        ),
        json!(1)
    );
}

/// An account's own script resetting or creating many mailboxes (after a
/// breach, in a migration) is not limited by default.
#[test]
fn a_thousand_changes_in_a_row_from_the_accounts_script_are_all_made() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    for n in 0..1000 {
        let password = format!("Bulk-Add-{n}-Pass");
        common::remember_password(&password);
        let reply = c.uapi(
            "Email",
            "add_pop",
            json!({"email": format!("bulk{n}"), "password": password, "quota": 0}),
        );
        assert_eq!(status_and_errors(&reply), (1, vec![]), "add_pop number {n}");
    }
    for n in 0..1000 {
        let password = format!("Bulk-Reset-{n}-Pass");
        common::remember_password(&password);
        let reply = c.uapi(
            "Email",
            "passwd_pop",
            json!({"email": "user", "password": password}),
        );
        assert_eq!(
            status_and_errors(&reply),
            (1, vec![]),
            "passwd_pop number {n}"
        );
    }
    assert!(libxcrypt_verifies(
        "Bulk-Reset-999-Pass",
        &account.hash_of("user", "example.com")
    ));
    assert!(libxcrypt_verifies(
        "Bulk-Add-999-Pass",
        &account.hash_of("bulk999", "example.com")
    ));
}

#[test]
fn change_rate_counts_each_mailbox() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--change-rate", "2"]);
    let mut c = daemon.connect();
    let change = |n: u32| json!({"email": "user", "password": format!("Rate-Mailbox-{n}-Pass")});
    c.email_ok("passwd_pop", change(1));
    c.email_ok("passwd_pop", change(2));
    let error = refused(&mut c, &account, "passwd_pop", change(3));
    assert_eq!(error, "Too many password changes in the last minute (at most 2 per minute for user@example.com); try again in a minute.");
    assert!(libxcrypt_verifies(
        "Rate-Mailbox-2-Pass",
        &account.hash_of("user", "example.com")
    ));
}
