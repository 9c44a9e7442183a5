//! Root never waits on one account for ever (issue 19): each call root
//! makes to a worker (the HTTPS front end, `uapi --user`) has a hard
//! deadline that keep-alive bytes do not extend, one account has at most
//! `--worker-calls` of them in progress, and the other accounts are served
//! as usual meanwhile; `uapi --user` leaves no scratch directory behind,
//! whatever signal ends it.
//!
//! The stuck storage is another process holding the account's shadow lock
//! (as a cPanel tool might): the worker waits for it, sending keep-alive
//! newlines, which is what a worker stuck on its storage looks like to root.
//!
//! Real users (`useradd`) and a root-started daemon: root only; without
//! root each test says "skipped" and why.

#[macro_use]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::host::{signal, wait_until, Host, RealUser};
use common::https::{self, Call};
use common::Client;
use serde_json::json;

/// The shadow lock of `user`'s example.com, made by the worker itself (so
/// it is the account's) before another process takes it.
fn shadow_lock(host: &Host, user: &RealUser) -> std::path::PathBuf {
    let mut client = Client::connect(&host.socket(user));
    client.email_ok("suspend_login", json!({"email": "user@example.com"}));
    client.email_ok("unsuspend_login", json!({"email": "user@example.com"}));
    let lock = host.home(user).join("etc/example.com/shadow.lock");
    assert!(lock.exists(), "{}", lock.display());
    lock
}

fn token_of(host: &Host, user: &RealUser) -> String {
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi("Tokens", "create_full_access", json!({"name": "t"}));
    let token = reply["result"]["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    common::remember_password(&token);
    token
}

/// The thread count of process `pid`.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_worker_that_never_answers_costs_only_its_own_share_and_every_caller_gets_an_error() {
    needs_root!();
    const SHARE: usize = 4;
    const FLOOD: usize = 16;
    let host = Host::new(&["wa", "wb"]);
    let (alice, bob) = (&host.users[0], &host.users[1]);
    let mut args: Vec<String> = host
        .users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .collect();
    args.extend(
        [
            "--https",
            "127.0.0.1:0",
            "--worker-calls",
            &SHARE.to_string(),
            "--worker-call-timeout",
            "8",
            "--keepalive-secs",
            "0.2",
        ]
        .map(str::to_owned),
    );
    let supervisor = host.start(&args);
    let port = https::port_in_log(|| supervisor.log());
    let (alice_token, bob_token) = (token_of(&host, alice), token_of(&host, bob));
    let lock = shadow_lock(&host, alice);

    // alice's storage is stuck: each of her calls waits for the lock, and
    // her worker sends a keep-alive newline every 0.2 s meanwhile.
    let mut holder = common::hold_lock(&lock, 25);
    let flood: Vec<_> = (0..FLOOD)
        .map(|_| {
            let (name, token) = (alice.name.clone(), alice_token.clone());
            std::thread::spawn(move || {
                https::request(
                    port,
                    "/execute/Email/suspend_login?email=user%40example.com",
                    &Call {
                        token: Some((&name, &token)),
                        ..Call::default()
                    },
                )
            })
        })
        .collect();
    // Her share is taken: every call beyond it was refused at once.
    let refused_at_once = || {
        supervisor
            .log()
            .matches("calls in progress are at their limit")
            .count()
    };
    wait_until(|| refused_at_once() >= FLOOD - SHARE, "the share is full");
    let pending = flood.iter().filter(|t| !t.is_finished()).count();
    assert!(pending > 0, "alice's calls in progress");

    // Meanwhile bob is answered, over HTTPS and on his socket, and root has
    // pinned no thread on alice's calls.
    let bob_https = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            token: Some((&bob.name, &bob_token)),
            ..Call::default()
        },
    );
    assert_eq!(
        (bob_https.status, bob_https.json()["status"].clone()),
        (200, json!(1)),
        "{}",
        bob_https.text
    );
    let mut bob_socket = Client::connect(&host.socket(bob));
    bob_socket.email_ok("count_pops", json!({}));
    let root_threads = threads(supervisor.pid());
    assert!(
        flood.iter().any(|t| !t.is_finished()),
        "bob was answered while alice's calls were still waiting"
    );
    assert!(
        root_threads < FLOOD,
        "root's threads while {FLOOD} of alice's calls wait: {root_threads}"
    );

    // Every one of alice's callers got a clear error: busy at once beyond
    // her share, the deadline for the calls within it (keep-alives or not).
    let answers: Vec<_> = flood.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        holder.try_wait().unwrap().is_none(),
        "the lock is still held"
    );
    let late: Vec<_> = answers.iter().filter(|a| a.status == 504).collect();
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert_eq!(late.len() + busy.len(), FLOOD, "{:?}", answers);
    assert!(!late.is_empty() && !busy.is_empty(), "{answers:?}");
    assert_eq!(
        late[0].json()["errors"][0],
        "The account's server did not answer within 8 seconds (liveapid --worker-call-timeout); try again later."
    );
    assert_eq!(
        busy[0].json()["errors"][0],
        format!("The account's server already has {SHARE} calls in progress (liveapid --worker-calls); try again in a moment.")
    );
    let log = supervisor.log();
    assert!(
        log.lines().any(
            |l| l.contains("the account's worker did not answer in time")
                && l.contains(&format!("user=\"{}\"", alice.name))
        ),
        "{log}"
    );

    // Once the storage is back, so is alice: nothing of hers stayed pinned.
    let _ = holder.kill();
    holder.wait().unwrap();
    let again = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            token: Some((&alice.name, &alice_token)),
            ..Call::default()
        },
    );
    assert_eq!(again.json()["status"], 1, "{}", again.text);
}

/// `uapi --user=NAME ...` as root, with `TMPDIR` set to `tmp`.
fn uapi(host: &Host, user: &RealUser, tmp: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_uapi"));
    command
        .arg(format!("--user={}", user.name))
        .arg("--root")
        .arg(host.root())
        .args(args)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn scratch_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("liveapid-uapi-"))
        .collect()
}

/// The pids of the processes running as `uid`.
fn processes_of(uid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| common::host::ids(*pid).is_some_and(|(uids, _, _)| uids[0] == uid))
        .collect()
}

/// `user`'s storage stuck: a first `uapi` call, answered, makes the
/// shadow lock as the account, then another process holds that lock.
fn stuck_storage(host: &Host, user: &RealUser, tmp: &Path) -> std::process::Child {
    let first = uapi(
        host,
        user,
        tmp,
        &["Email", "suspend_login", "email=user@example.com"],
    )
    .output()
    .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let lock = host.home(user).join("etc/example.com/shadow.lock");
    common::hold_lock(&lock, 25)
}

#[test]
fn uapi_as_root_gives_up_at_its_deadline_and_leaves_nothing_behind() {
    needs_root!();
    let host = Host::new(&["wu"]);
    let user = &host.users[0];
    let tmp = tempfile::tempdir().unwrap();
    let mut holder = stuck_storage(&host, user, tmp.path());
    let out = uapi(
        &host,
        user,
        tmp.path(),
        &[
            "--worker-call-timeout",
            "2",
            "Email",
            "unsuspend_login",
            "email=user@example.com",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        holder.try_wait().unwrap().is_none(),
        "uapi waited until the lock was released"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not answer within 2 seconds"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(scratch_dirs(tmp.path()), Vec::<String>::new());
    // The worker lost its lifeline with uapi: it ends once its storage is
    // back (a commit waiting for the lock still completes first).
    let _ = holder.kill();
    holder.wait().unwrap();
    wait_until(|| processes_of(user.uid).is_empty(), "the worker ended");
}

#[test]
fn uapi_as_root_removes_its_scratch_directory_when_a_signal_ends_it() {
    needs_root!();
    use rustix::process::Signal;
    let host = Host::new(&["ws"]);
    let user = &host.users[0];
    let tmp = tempfile::tempdir().unwrap();
    let mut holder = stuck_storage(&host, user, tmp.path());
    for sent in [Signal::TERM, Signal::INT, Signal::HUP] {
        let child = uapi(
            &host,
            user,
            tmp.path(),
            &["Email", "unsuspend_login", "email=user@example.com"],
        )
        .spawn()
        .unwrap();
        // The call is in progress: its scratch directory holds the
        // worker's socket (the last one's directory is gone, see below).
        wait_until(
            || {
                scratch_dirs(tmp.path())
                    .iter()
                    .any(|d| tmp.path().join(d).join("live.sock").exists())
            },
            "the call is in progress",
        );
        signal(child.id(), sent);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{sent:?}: {stderr}");
        assert!(stderr.contains("interrupted by"), "{sent:?}: {stderr}");
        assert_eq!(scratch_dirs(tmp.path()), Vec::<String>::new(), "{sent:?}");
    }
    assert!(
        holder.try_wait().unwrap().is_none(),
        "the lock was held throughout"
    );
    let _ = holder.kill();
    holder.wait().unwrap();
    wait_until(|| processes_of(user.uid).is_empty(), "the workers ended");
}

/// A worker that answers nothing at all (here: stopped with SIGSTOP) is
/// killed and restarted once root's calls to it have missed their
/// deadline three times in a row; the other account's worker is left alone.
#[test]
fn a_worker_that_stops_answering_is_restarted_and_the_others_are_left_alone() {
    needs_root!();
    let host = Host::new(&["sa", "sb"]);
    let (alice, bob) = (&host.users[0], &host.users[1]);
    let mut args: Vec<String> = host
        .users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .collect();
    args.extend(["--https", "127.0.0.1:0", "--worker-call-timeout", "2"].map(str::to_owned));
    let supervisor = host.start(&args);
    let port = https::port_in_log(|| supervisor.log());
    let alice_token = token_of(&host, alice);
    let (stuck, bob_worker) = (
        supervisor.worker_of(alice).unwrap(),
        supervisor.worker_of(bob).unwrap(),
    );
    signal(stuck, rustix::process::Signal::STOP);
    let call = || {
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                token: Some((&alice.name, &alice_token)),
                ..Call::default()
            },
        )
    };
    for _ in 0..3 {
        let answer = call();
        assert_eq!(answer.status, 504, "{}", answer.text);
    }
    wait_until(
        || supervisor.worker_of(alice).is_some_and(|pid| pid != stuck),
        "a new worker for alice",
    );
    assert!(
        !Path::new(&format!("/proc/{stuck}")).exists()
            || std::fs::read_to_string(format!("/proc/{stuck}/status"))
                .is_ok_and(|s| s.contains("State:\tZ")),
        "the stuck worker is gone"
    );
    let answer = call();
    assert_eq!(answer.json()["status"], 1, "{}", answer.text);
    assert_eq!(
        supervisor.worker_of(bob),
        Some(bob_worker),
        "bob's worker untouched"
    );
    let log = supervisor.log();
    assert!(
        log.contains("the worker stopped answering root's calls; killing it"),
        "{log}"
    );
}
