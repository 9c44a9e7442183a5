//! The socket protocol at the byte level: framing limits, odd payloads,
//! shutdown, keep-alive, and the daemon's own lifecycle.

mod common;

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::time::{Duration, Instant};

use common::{parse_frame, status_and_errors, Client, Daemon, ScratchAccount};
use serde_json::json;

const NO_VALID_COMMAND: &[u8] = b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"apiversion\":\"1\",\"error\":\"No Valid Command Given.\",\"data\":{\"reason\":\"No Valid Command Given.\",\"result\":\"0\"},\"type\":\"text\"}</cpanelresult>\n";

#[test]
fn anything_else_gets_the_real_servers_error_and_the_session_goes_on() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    assert_eq!(client.request(b"hello"), NO_VALID_COMMAND);
    assert_eq!(
        client.request(b"<cpanelaction>{\"module\":\"Email\"}"),
        NO_VALID_COMMAND
    );
    assert_eq!(
        client.request(b"<cpanelxml shutdown=\"0\" />"),
        NO_VALID_COMMAND
    );
    let tag = parse_frame(&client.request(b"<cpanel setvar=\"debug=0\">"));
    assert_eq!(tag["event"]["result"], 0);
    assert!(tag["error"].as_str().unwrap().contains("setvar"));
    // Latin-1 bytes (the official Perl client's U+0080..U+00FF) are understood.
    let latin1: Vec<u8> = "<cpanelaction>{\"module\":\"print\",\"func\":\"\",\"apiversion\":1,\"args\":[\"caf\u{e9}\"]}</cpanelaction>"
        .chars()
        .map(|c| c as u8)
        .collect();
    assert_eq!(
        parse_frame(&client.request(&latin1))["data"]["result"],
        "caf\u{e9}"
    );
    // An unknown API version is an error reply, not a hang-up.
    let reply = parse_frame(&client.request(b"<cpanelaction>{\"module\":\"Email\",\"func\":\"passwd_pop\",\"apiversion\":\"7\"}</cpanelaction>"));
    assert!(reply["error"].as_str().unwrap().contains("“7”"));
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "Still-Works-123"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
}

#[test]
fn a_value_that_looks_like_a_frame_end_is_escaped() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let frame = client.request(b"<cpanelaction>{\"module\":\"print\",\"func\":\"\",\"apiversion\":1,\"args\":[\"a </cpanelresult> & <cpanelresult>{\\\"cpanelresult\\\"\"]}</cpanelaction>");
    let text = String::from_utf8(frame.clone()).unwrap();
    assert_eq!(text.matches("</cpanelresult>").count(), 1);
    assert_eq!(
        parse_frame(&frame)["data"]["result"],
        "a </cpanelresult> & <cpanelresult>{\"cpanelresult\""
    );
}

#[test]
fn an_over_long_length_line_ends_the_connection_without_a_reply() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    client.send(&[b'9'; 4096]);
    assert!(client.is_closed());
    // The daemon itself is fine.
    let mut other = daemon.connect();
    assert_eq!(other.request(b"x"), NO_VALID_COMMAND);
}

/// The refusal of an over-limit request, as the client reads it.
fn over_limit_refusal(len: &str, max: usize) -> Vec<u8> {
    let text = format!("The request of {len} bytes is over this server's limit of {max} bytes (liveapid --max-request-bytes); the connection is closed.");
    format!("<?xml version=\"1.0\" ?>\n<cpanelresult>{{\"apiversion\":\"1\",\"error\":\"{text}\",\"data\":{{\"reason\":\"{text}\",\"result\":\"0\"}},\"type\":\"text\",\"session\":\"closed\"}}</cpanelresult>\n").into_bytes()
}

#[test]
fn a_payload_over_the_cap_is_drained_refused_with_the_limit_and_the_connection_closed() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--max-request-bytes", "1000"]);
    let mut client = daemon.connect();
    assert_eq!(client.request(&[b'x'; 1000]), NO_VALID_COMMAND);
    // Sent whole, as PHP's fwrite does: the write completes (the daemon
    // reads and discards it), then the client reads why it was refused.
    let big = vec![b'y'; 300_000];
    assert_eq!(client.request(&big), over_limit_refusal("300000", 1000));
    assert!(client.is_closed());
    // A length far beyond anything worth draining: refused at once, still readable.
    let mut client = daemon.connect();
    client.send(b"99999999999999999999\n");
    assert_eq!(
        client.read_frame(),
        over_limit_refusal(&u64::MAX.to_string(), 1000)
    );
    assert!(client.is_closed());
    // The daemon itself is fine.
    let mut other = daemon.connect();
    assert_eq!(other.request(b"x"), NO_VALID_COMMAND);
    assert!(daemon.output().contains("limit of 1000 bytes"));
}

/// A signal the instant the socket appears (a service manager or a script
/// that stops the daemon right after starting it) gives the clean exit:
/// status 0 and no socket left behind, every time.
#[test]
fn a_signal_the_instant_the_socket_appears_gives_the_clean_exit() {
    let account = ScratchAccount::new(&[]);
    for round in 0..30 {
        let signal = if round % 2 == 0 {
            libc::SIGTERM
        } else {
            libc::SIGINT
        };
        let socket = account.dir.path().join(format!("race-{round}.sock"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .args(["serve", "--user", "demo", "--root"])
            .arg(account.root())
            .arg("--home")
            .arg(account.home())
            .arg("--socket")
            .arg(&socket)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::symlink_metadata(&socket).is_err() {
            assert!(Instant::now() < deadline, "socket never appeared");
            std::thread::yield_now();
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "round {round}: {status}");
        assert!(!socket.exists(), "round {round}: socket left behind");
    }
}

/// Started in the background by a non-interactive shell, the daemon
/// inherits SIGINT ignored; it still stops cleanly on SIGINT.
#[test]
fn an_early_sigint_to_a_background_daemon_is_not_lost() {
    let account = ScratchAccount::new(&[]);
    let socket = account.dir.path().join("bg.sock");
    // 20 rounds; a SIGINT that was lost shows as "lost" (the daemon is then
    // stopped with SIGTERM so the test cannot hang).
    let script = format!(
        "for round in $(seq 20); do\n\
           {bin} serve --user demo --root {root} --home {home} --socket {sock} >/dev/null 2>&1 &\n\
           pid=$!\n\
           while [ ! -S {sock} ]; do :; done\n\
           kill -INT $pid\n\
           for t in $(seq 40); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done\n\
           if kill -0 $pid 2>/dev/null; then echo lost; kill -TERM $pid; fi\n\
           wait $pid\n\
           echo status=$?\n\
         done",
        bin = env!("CARGO_BIN_EXE_liveapid"),
        root = account.root().display(),
        home = account.home().display(),
        sock = socket.display(),
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("lost"), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| *l == "status=0").count(),
        20,
        "{stdout}"
    );
    assert!(!socket.exists());
}

#[test]
fn zero_or_garbage_length_and_eof_mid_request_end_quietly() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    for bytes in [&b"0\n"[..], b"abc\n", b"-5\nhello"] {
        let mut client = daemon.connect();
        client.send(bytes);
        assert!(client.is_closed(), "{bytes:?}");
    }
    // An unprefixed shutdown then close (some third-party scripts).
    let mut client = daemon.connect();
    client.send(b"<cpanelxml shutdown=\"1\" />");
    client.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(client.is_closed());
    // EOF in the middle of a payload.
    let mut client = daemon.connect();
    client.send(b"100\n<cpanelaction>");
    drop(client);
    let mut client = daemon.connect();
    assert_eq!(client.request(b"x"), NO_VALID_COMMAND);
}

#[test]
fn requests_split_into_bursts_and_sent_back_to_back() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = Client::raw(&daemon.socket);
    let whole = b"23\n<cpaneljson enable=\"1\">5\nhello";
    for chunk in whole.chunks(3) {
        client.send(chunk);
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(client.read_frame(), b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"data\":{\"result\":\"json\"}}</cpanelresult>\n");
    assert_eq!(client.read_frame(), NO_VALID_COMMAND);
}

#[test]
fn shutdown_answers_once_and_closes() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    client.send(b"26\n<cpanelxml shutdown=\"1\" />");
    assert_eq!(client.read_frame(), b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"data\":{\"result\":\"shutdown\"}}</cpanelresult>\n");
    assert!(client.is_closed());
}

#[test]
fn a_slow_call_sends_keepalive_lines_then_the_frame() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &["--keepalive-secs", "0.2"]);
    // Another process holds the shadow lock for a while, as a cPanel tool might.
    let lock_path = account.etc("example.com").join("shadow.lock");
    let mut holder = common::hold_lock(&lock_path, 1);
    let mut client = daemon.connect();
    let action = json!({"module": "Email", "reqtype": "exec", "func": "passwd_pop", "apiversion": "uapi", "args": {"email": "user", "password": "Slow-Call-Pass-1"}});
    let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
    client.send(format!("{}\n{payload}", payload.len()).as_bytes());
    let started = Instant::now();
    let reply = client.read_frame();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the call had to wait for the lock"
    );
    holder.wait().unwrap();
    let text = String::from_utf8(reply).unwrap();
    let body = text
        .strip_prefix("<?xml version=\"1.0\" ?>\n")
        .expect("declaration first");
    let newlines = body.len() - body.trim_start_matches('\n').len();
    assert!(newlines >= 2, "keep-alive newlines: {text:?}");
    assert!(
        body.trim_start_matches('\n')
            .starts_with("<cpanelresult>{\"apiversion\":3"),
        "{text:?}"
    );
    assert_eq!(
        status_and_errors(&parse_frame(text.as_bytes())),
        (1, vec![])
    );
    assert!(!text[1..].contains("<?xml"), "one declaration only");
}

#[test]
fn socket_is_private_and_sigterm_drains_and_removes_it() {
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(&account, &[]);
    let meta = std::fs::metadata(&daemon.socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let mut idle = daemon.connect();
    let status = daemon.stop();
    assert!(status.success(), "{status}");
    assert!(!account.socket().exists(), "socket file removed");
    assert!(idle.is_closed(), "idle connections are closed");
}

#[test]
fn a_second_daemon_on_the_same_socket_is_refused_and_a_stale_socket_replaced() {
    let account = ScratchAccount::new(&[]);
    let first = Daemon::serve(&account, &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["serve", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg("--socket")
        .arg(&first.socket)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already listening"), "{stderr}");
    drop(first);
    // A socket file left by a killed daemon does not block the next one.
    let stale = std::os::unix::net::UnixListener::bind(account.socket()).unwrap();
    drop(stale);
    let second = Daemon::serve(&account, &[]);
    let mut client = second.connect();
    assert_eq!(client.request(b"x"), NO_VALID_COMMAND);
}

#[test]
fn start_up_errors_are_one_clear_line_and_a_failure_status() {
    let account = ScratchAccount::new(&[]);
    let bin = env!("CARGO_BIN_EXE_liveapid");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let root = account.root().display().to_string();
    let home = account.home().display().to_string();
    let sock = account.socket().display().to_string();
    let (ok, err) = run(&[
        "serve", "--user", "nosuch", "--root", &root, "--home", &home, "--socket", &sock,
    ]);
    assert!(!ok);
    assert!(
        err.contains("cannot read the cPanel user file") && err.contains("nosuch"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let (ok, err) = run(&["serve", "--user", "demo", "--root", &root]);
    assert!(!ok);
    assert!(err.contains("no system user named “demo”"), "{err}");
    let unwritable = format!("{}/file/sock", account.dir.path().display());
    std::fs::write(account.dir.path().join("file"), b"").unwrap();
    let (ok, err) = run(&[
        "serve",
        "--user",
        "demo",
        "--root",
        &root,
        "--home",
        &home,
        "--socket",
        &unwritable,
    ]);
    assert!(!ok);
    assert!(err.contains("socket directory"), "{err}");
    let long = format!("/tmp/{}/s.sock", "x".repeat(120));
    let (ok, err) = run(&[
        "serve", "--user", "demo", "--root", &root, "--home", &home, "--socket", &long,
    ]);
    assert!(!ok && err.contains("at most 107"), "{err}");
}

#[test]
fn a_client_that_vanishes_mid_call_does_not_hurt_the_daemon() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    for _ in 0..20 {
        let mut client = daemon.connect();
        let action = json!({"module": "Email", "reqtype": "exec", "func": "passwd_pop", "apiversion": "uapi", "args": {"email": "alice", "password": "Vanishing-Client-1"}});
        let payload = format!("<cpanelaction>{action}</cpanelaction>");
        client
            .stream
            .write_all(format!("{}\n{payload}", payload.len()).as_bytes())
            .unwrap();
        drop(client); // gone before the reply
    }
    let mut client = daemon.connect();
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "bob", "password": "Survivor-Pass-77"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    assert!(
        common::libxcrypt_verifies(
            "Vanishing-Client-1",
            &account.hash_of("alice", "example.com")
        ),
        "a request that arrived is carried out"
    );
}
