//! An account turns its own files against the service (issue 19): a FIFO
//! where `shadow` or the token file should be, a 2 GiB sparse `shadow`.
//! Each is a clear status-0 error for that account, answered at once, while
//! the other account is served as usual; the worker neither hangs nor grows.
//!
//! Real users under a root-started supervisor, so root only. Every call
//! runs on a thread of its own and is given 30 s: a call that hangs (the
//! old behaviour) fails the test instead of hanging it.

#[macro_use]
mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::host::{Host, RealUser};
use common::https::{self, Call};
use common::{status_and_errors, Client};
use serde_json::{json, Value};

/// How long a call that must be answered at once may take before the test
/// calls it hung: generous, so a slow machine never fails it.
const ANSWERED_WITHIN: Duration = Duration::from_secs(30);

/// `work`'s answer, or a failure naming `what` if it takes longer than
/// [`ANSWERED_WITHIN`] (the thread is left behind: it is hung).
fn within<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(ANSWERED_WITHIN)
        .unwrap_or_else(|_| panic!("{what}: no answer within {ANSWERED_WITHIN:?}"))
}

/// One UAPI call on `socket`, answered within the limit.
fn call(socket: &Path, module: &'static str, func: &'static str, args: Value) -> Value {
    let socket = socket.to_owned();
    within(&format!("{module}::{func}"), move || {
        Client::connect(&socket).uapi(module, func, args)
    })
}

/// Replaces `path` with a FIFO owned by `user`, as the account owner can.
fn plant_fifo(path: &Path, user: &RealUser) {
    let _ = std::fs::remove_file(path);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).unwrap();
}

/// `--user A --user B` and any more arguments.
fn serve_args(host: &Host, more: &[&str]) -> Vec<String> {
    host.users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .chain(more.iter().map(|s| (*s).to_owned()))
        .collect()
}

fn change(localpart: &str, password: &str) -> Value {
    json!({"email": localpart, "domain": "example.com", "password": password})
}

#[test]
fn a_fifo_shadow_is_an_error_for_its_account_while_the_other_is_served() {
    needs_root!();
    let host = Host::new(&["fa", "fb"]);
    let (alice, bob) = (&host.users[0], &host.users[1]);
    let daemon = host.start(&serve_args(&host, &[]));
    plant_fifo(&host.shadow_path(alice), alice);

    // Several of alice's calls at once: on the old code each pinned a
    // thread of her worker for ever.
    let socket = host.socket(alice);
    let hers: Vec<_> = (0..4)
        .map(|i| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                call(
                    &socket,
                    "Email",
                    "passwd_pop",
                    change("user", &format!("Fifo-Blocked-Pass-{i}7")),
                )
            })
        })
        .collect();
    let reply = call(
        &host.socket(bob),
        "Email",
        "passwd_pop",
        change("user", "Bob-Served-Pass-71"),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]), "bob: {reply}");
    assert!(common::libxcrypt_verifies(
        "Bob-Served-Pass-71",
        &host.hash_of(bob, "user")
    ));
    for handle in hers {
        let reply = handle.join().unwrap();
        let (status, errors) = status_and_errors(&reply);
        assert_eq!(status, 0, "{reply}");
        assert_eq!(
            errors,
            ["The system refused to read “etc/example.com/shadow”: it is a FIFO, not a regular file."],
            "{reply}"
        );
    }
    // The listing reads the same file: the same error, not a hang.
    let reply = call(&socket, "Email", "list_pops", json!({}));
    assert_eq!(status_and_errors(&reply).0, 0, "{reply}");
    // Root's `uapi --user` on the account: an answer, not a hang.
    let (code, stdout) = uapi_as_root(&host, alice, &["Email", "list_pops"]);
    assert!(
        code != Some(0) || stdout.contains("status: 0"),
        "{code:?} {stdout}"
    );
    assert!(stdout.contains("it is a FIFO"), "{stdout}");
    assert!(daemon.log().contains("FIFO"), "the refusal is logged");
}

#[test]
fn a_fifo_token_file_is_an_error_over_the_socket_and_https_while_the_other_is_served() {
    needs_root!();
    let host = Host::new(&["ta", "tb"]);
    let (alice, bob) = (&host.users[0], &host.users[1]);
    let daemon = host.start(&serve_args(&host, &["--https", "127.0.0.1:0"]));
    let port = https::port_in_log(|| daemon.log());
    let reply = call(
        &host.socket(bob),
        "Tokens",
        "create_full_access",
        json!({"name": "b"}),
    );
    let bobs = reply["result"]["data"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{reply}"))
        .to_owned();
    common::remember_password(&bobs);
    let dir = host.home(alice).join(".liveapid");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(alice.uid), Some(alice.gid)).unwrap();
    plant_fifo(&dir.join("api_tokens"), alice);

    let reply = call(&host.socket(alice), "Tokens", "list", json!({}));
    assert_eq!(
        status_and_errors(&reply),
        (
            0,
            vec![
                "The system refused to read “.liveapid/api_tokens”: it is a FIFO, not a regular file."
                    .to_owned()
            ]
        ),
        "{reply}"
    );
    // A token for alice over HTTPS is checked by her worker, which reads the FIFO.
    let guess = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    let user = alice.name.clone();
    let refused = within("alice's HTTPS token request", move || {
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                token: Some((&user, guess)),
                ..Call::default()
            },
        )
    });
    assert_eq!(refused.status, 401, "{}", refused.text);
    let user = bob.name.clone();
    let served = within("bob's HTTPS token request", move || {
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                token: Some((&user, &bobs)),
                ..Call::default()
            },
        )
    });
    assert_eq!(served.json()["status"], 1, "{}", served.text);
}

#[test]
fn a_two_gib_sparse_shadow_is_refused_unread_and_the_worker_stays_small() {
    needs_root!();
    let host = Host::new(&["sa"]);
    let alice = &host.users[0];
    let daemon = host.start(&serve_args(&host, &[]));
    // Made as the owner would: his own file, grown without writing a byte.
    let shadow = host.shadow_path(alice);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&shadow)
        .unwrap()
        .set_len(SPARSE_BYTES)
        .unwrap();
    assert_eq!(std::fs::metadata(&shadow).unwrap().uid(), alice.uid);
    let worker = daemon.worker_of(alice).unwrap();
    let reply = call(
        &host.socket(alice),
        "Email",
        "passwd_pop",
        change("user", "Sparse-File-Pass-33"),
    );
    assert_eq!(
        status_and_errors(&reply),
        (
            0,
            vec![
                "The system refused to read “etc/example.com/shadow”: it is larger than the limit of 67108864 bytes (--max-file-bytes)."
                    .to_owned()
            ]
        ),
        "{reply}"
    );
    let reply = call(&host.socket(alice), "Email", "list_pops", json!({}));
    assert_eq!(status_and_errors(&reply).0, 0, "{reply}");
    assert_eq!(
        daemon.worker_of(alice),
        Some(worker),
        "the same worker answered"
    );
    let peak = peak_rss_bytes(worker);
    assert!(
        peak < WORKER_PEAK_BOUND,
        "the worker's peak is {} MiB, over the bound of {} MiB",
        peak >> 20,
        WORKER_PEAK_BOUND >> 20
    );
}

#[test]
fn the_operators_limit_holds_in_a_single_account_daemon_and_in_each_worker() {
    let refusal = "The system refused to read “etc/example.com/passwd”: it is larger than the limit of 100 bytes (--max-file-bytes).";
    let account = common::ScratchAccount::new(&[]);
    let daemon = common::Daemon::serve(&account, &["--max-file-bytes", "100"]);
    let reply = call(&daemon.socket, "Email", "list_pops", json!({}));
    assert_eq!(
        status_and_errors(&reply),
        (0, vec![refusal.to_owned()]),
        "{reply}"
    );
    if !common::host::is_root() {
        println!("skipped the workers' half: needs root (real users)");
        return;
    }
    let host = Host::new(&["la"]);
    let _supervisor = host.start(&serve_args(&host, &["--max-file-bytes", "100"]));
    let reply = call(
        &host.socket(&host.users[0]),
        "Email",
        "list_pops",
        json!({}),
    );
    assert_eq!(
        status_and_errors(&reply),
        (0, vec![refusal.to_owned()]),
        "{reply}"
    );
}

/// The sparse file's size: 2 GiB, far past the default limit (64 MiB).
const SPARSE_BYTES: u64 = 2 << 30;

/// SECURITY.md's bound on a worker whose files are all over the limit (so
/// refused unread): 64 MiB plus the default limit, 128 MiB in all.
const WORKER_PEAK_BOUND: u64 = (64 << 20) + (64 << 20);

/// `VmHWM` of `/proc/PID/status`: the process's peak resident memory.
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"));
    kib * 1024
}

/// Root's `uapi --user=USER ARGS`: its exit code and output, or a failure
/// if it has not exited within [`ANSWERED_WITHIN`] (it is then killed).
fn uapi_as_root(host: &Host, user: &RealUser, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uapi"))
        .arg("--root")
        .arg(host.root())
        .arg(format!("--user={}", user.name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + ANSWERED_WITHIN;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.code(), text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("uapi --user={} {args:?} hung", user.name);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
