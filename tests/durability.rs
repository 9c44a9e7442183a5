//! A password change survives a crash: after the last rename into
//! `~/etc/DOMAIN/` the directory itself is fsynced (without it the rename
//! can be lost, and the old password come back). Checked on the system
//! calls of a real daemon, recorded by strace; skipped where strace is
//! missing (scripts/test-all installs it).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Client, ScratchAccount};
use serde_json::json;

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The daemon's pid: the peer of a connection to it.
fn peer_pid(client: &Client) -> i32 {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `len` bytes into `cred`.
    let rc = unsafe {
        libc::getsockopt(
            client.stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0);
    cred.pid
}

#[test]
fn the_domain_directory_is_synced_after_the_last_rename() {
    if !strace_available() {
        eprintln!("skipped: strace is not installed (apt-get install strace)");
        return;
    }
    let account = ScratchAccount::new(&[]);
    let trace = account.dir.path().join("trace");
    let socket = account.socket();
    let mut strace = Command::new("strace")
        .args([
            "-f",
            "-y",
            "-qq",
            "-e",
            "trace=rename,renameat,renameat2,fsync,fdatasync",
            "-o",
        ])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_liveapid"))
        .args(["serve", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg("--socket")
        .arg(&socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            strace.try_wait().unwrap().is_none(),
            "strace or liveapid exited"
        );
        assert!(Instant::now() < deadline, "socket never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut client = Client::connect(&socket);
    client.email_ok(
        "passwd_pop",
        json!({"email": "user", "password": "Durable-Change-2026", "domain": "example.com"}),
    );
    let pid = peer_pid(&client);
    drop(client);
    // SAFETY: kill(2) on the daemon we started (the tracee).
    unsafe { libc::kill(pid, libc::SIGTERM) };
    strace.wait().unwrap();

    let calls = std::fs::read_to_string(&trace).unwrap();
    let dir = account.etc("example.com");
    let lines: Vec<&str> = calls.lines().collect();
    let last_rename = lines
        .iter()
        .rposition(|l| l.contains("rename") && l.contains("shadow"))
        .unwrap_or_else(|| panic!("no rename of the shadow file:\n{calls}"));
    let synced = lines[last_rename + 1..].iter().any(|l| is_sync_of(l, &dir));
    assert!(
        synced,
        "no fsync of {} after the last rename:\n{calls}",
        dir.display()
    );
}

/// `PID fsync(7</…/etc/example.com>) = 0`: an fsync of that directory.
fn is_sync_of(line: &str, dir: &Path) -> bool {
    (line.contains("fsync(") || line.contains("fdatasync("))
        && line.contains(&format!("<{}>", dir.display()))
        && line.trim_end().ends_with("= 0")
}
