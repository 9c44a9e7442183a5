//! Shared helpers of the integration tests: a scratch account laid out by
//! Perl (so every starting hash comes from libxcrypt), a daemon process,
//! and a raw LiveAPI client.
#![allow(dead_code)] // each test binary uses a different part

pub mod demo;
#[macro_use]
pub mod host;
pub mod dovecot;
pub mod https;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The password every mailbox of a fresh scratch account starts with.
pub const OLD_PASSWORD: &str = "Old-Secret-1234";

/// Every password a test sent through [`Client::uapi`] (8 characters or
/// more, so that it cannot match ordinary log text by chance). Each daemon
/// checks on drop that none of them is in its output.
static SENT_PASSWORDS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub fn remember_passwords(args: &Value) {
    let mut sent = SENT_PASSWORDS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = args
        .get("password")
        .and_then(Value::as_str)
        .filter(|p| p.len() >= 8)
    {
        sent.push(p.to_owned());
        keep_for_the_suite("passwords", &hex(p.as_bytes()));
    }
}

/// Records a password sent some other way (a command line, a pipe) for the
/// suite-wide check of [`suite_log_dir`].
pub fn remember_password(password: &str) {
    remember_passwords(&serde_json::json!({ "password": password }));
}

/// Where every test binary leaves the logs its daemons wrote and the
/// passwords it sent (hex, one a line), so that `scripts/test-all` can check,
/// once the whole suite has run, that no password of any test reached any
/// log or audit file of any test.
pub fn suite_log_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("suite-logs")
}

/// Appends `text` (and a newline) to this test process's `<kind>` file in
/// [`suite_log_dir`].
pub fn keep_for_the_suite(kind: &str, text: &str) {
    use std::io::Write as _;
    let dir = suite_log_dir();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{kind}-{}.txt", std::process::id()));
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{text}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch cPanel account (user `demo`; example.com and example.net; mailboxes user, alice, bob).
pub struct ScratchAccount {
    pub dir: tempfile::TempDir,
}

impl ScratchAccount {
    /// Lays it out with `tests/fixtures/make-account` and extra options.
    pub fn new(options: &[&str]) -> ScratchAccount {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("perl")
            .arg(repo().join("tests/fixtures/make-account"))
            .arg(dir.path())
            .args(options)
            .env("MAKE_ACCOUNT_PASSWORD", OLD_PASSWORD)
            .stdout(Stdio::null())
            .status()
            .expect("perl runs");
        assert!(status.success(), "make-account failed");
        ScratchAccount { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home/demo")
    }

    pub fn etc(&self, domain: &str) -> PathBuf {
        self.home().join("etc").join(domain)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("live.sock")
    }

    /// The shadow file of `domain`.
    pub fn shadow(&self, domain: &str) -> String {
        std::fs::read_to_string(self.etc(domain).join("shadow")).unwrap()
    }

    /// The stored hash of `localpart@domain`.
    pub fn hash_of(&self, localpart: &str, domain: &str) -> String {
        let shadow = self.shadow(domain);
        let line = shadow
            .lines()
            .find(|l| l.split(':').next() == Some(localpart))
            .expect("mailbox line");
        line.split(':').nth(1).unwrap().to_owned()
    }

    /// Every file under `etc/` with its bytes, for "nothing changed" checks
    /// (lock files excluded: taking a lock creates them).
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut dirs = vec![self.home().join("etc")];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_none_or(|e| e != "lock") {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    pub fn set_min_strength(&self, n: u32) {
        std::fs::write(
            self.root().join("var/cpanel/cpanel.config"),
            format!("minpwstrength={n}\n"),
        )
        .unwrap();
    }
}

/// Another process (as a cPanel tool might) holding the `flock` on
/// `lock_path` for `seconds`; returns once the lock is taken. Wait for the
/// child to see it released.
pub fn hold_lock(lock_path: &Path, seconds: u32) -> Child {
    let script = format!(
        "open my $f, '>>', $ARGV[0] or die; flock($f, LOCK_EX) or die; print \"locked\\n\"; $|=1; sleep {seconds}; close $f"
    );
    let mut holder = Command::new("perl")
        .args(["-MFcntl=:flock", "-e", &script])
        .arg(lock_path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = [0u8; 7];
    holder
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut line)
        .unwrap();
    holder
}

/// Whether libxcrypt (Perl's crypt) accepts `password` for `hash`. The
/// password goes through the environment of this test's own child.
pub fn libxcrypt_verifies(password: &str, hash: &str) -> bool {
    Command::new("perl")
        .args(["-e", "exit(crypt($ENV{PW}, $ENV{H}) eq $ENV{H} ? 0 : 1)"])
        .env("PW", password)
        .env("H", hash)
        .status()
        .unwrap()
        .success()
}

/// A running `liveapid` process; stopped with SIGTERM when dropped.
pub struct Daemon {
    pub child: Option<Child>,
    pub socket: PathBuf,
    log: PathBuf,
    /// `--audit-log FILE`, if the daemon was given one.
    audit_log: Option<PathBuf>,
}

impl Daemon {
    /// `liveapid serve` on the scratch account, with extra arguments.
    pub fn serve(account: &ScratchAccount, extra: &[&str]) -> Daemon {
        Daemon::serve_at(account, &account.socket(), &account.home(), extra)
    }

    /// The same with an explicit socket and home.
    pub fn serve_at(
        account: &ScratchAccount,
        socket: &Path,
        home: &Path,
        extra: &[&str],
    ) -> Daemon {
        let log = socket.with_extension("log");
        let mut args: Vec<String> = vec!["serve".into(), "--user".into(), "demo".into()];
        args.extend(["--root".into(), account.root().display().to_string()]);
        args.extend(["--home".into(), home.display().to_string()]);
        args.extend(["--socket".into(), socket.display().to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        Daemon::spawn(&args, socket, &log)
    }

    /// `liveapid ARGS...`, waiting until `socket` accepts connections.
    pub fn spawn(args: &[String], socket: &Path, log: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .args(args)
            .env("LIVEAPID_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let audit_log = args
            .iter()
            .position(|a| a == "--audit-log")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from);
        let mut daemon = Daemon {
            child: Some(child),
            socket: socket.to_owned(),
            log: log.to_owned(),
            audit_log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while UnixStream::connect(socket).is_err() {
            if let Some(status) = daemon.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("liveapid exited with {status}: {}", daemon.output());
            }
            assert!(Instant::now() < deadline, "socket never appeared");
            std::thread::sleep(Duration::from_millis(10));
        }
        daemon
    }

    /// A daemon this test started itself (say, with a socket it handed
    /// over), whose standard error goes to `log`; it is stopped and its log
    /// kept for the suite like any other.
    pub fn adopt(child: Child, socket: &Path, log: &Path) -> Daemon {
        Daemon {
            child: Some(child),
            socket: socket.to_owned(),
            log: log.to_owned(),
            audit_log: None,
        }
    }

    pub fn connect(&self) -> Client {
        Client::connect(&self.socket)
    }

    /// Everything the daemon wrote (stderr and stdout).
    pub fn output(&self) -> String {
        let mut s = std::fs::read_to_string(&self.log).unwrap_or_default();
        s.push_str(&std::fs::read_to_string(self.log.with_extension("out")).unwrap_or_default());
        s
    }

    /// Sends SIGTERM and waits; the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
        let mut output = self.output();
        if let Some(audit) = &self.audit_log {
            output.push_str(&std::fs::read_to_string(audit).unwrap_or_default());
        }
        keep_for_the_suite("logs", &output);
        if std::thread::panicking() {
            return;
        }
        let sent = SENT_PASSWORDS.lock().unwrap_or_else(|p| p.into_inner());
        for password in sent.iter() {
            assert!(
                !output.contains(password.as_str()),
                "a password reached the daemon's output: {password:?}"
            );
        }
    }
}

/// A raw LiveAPI connection.
pub struct Client {
    pub stream: UnixStream,
}

impl Client {
    /// Connects and does the JSON switch, as every official client does.
    pub fn connect(socket: &Path) -> Client {
        let mut client = Client::raw(socket);
        let reply = client.request(b"<cpaneljson enable=\"1\">");
        assert_eq!(reply, b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"data\":{\"result\":\"json\"}}</cpanelresult>\n");
        client
    }

    /// Connects without the switch.
    pub fn raw(socket: &Path) -> Client {
        let stream = UnixStream::connect(socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Client { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends one length-prefixed payload and reads one reply frame.
    pub fn request(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut msg = format!("{}\n", payload.len()).into_bytes();
        msg.extend_from_slice(payload);
        self.send(&msg);
        self.read_frame()
    }

    /// Reads up to and including `</cpanelresult>\n`; panics on EOF first.
    pub fn read_frame(&mut self) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"</cpanelresult>\n") {
            let n = self.stream.read(&mut byte).unwrap();
            assert!(n == 1, "EOF after {:?}", String::from_utf8_lossy(&buf));
            buf.push(byte[0]);
        }
        buf
    }

    /// Whether the server closed the connection (within the read timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0))
    }

    /// A UAPI call with the given JSON args, as PHP would send it; the parsed reply.
    pub fn uapi(&mut self, module: &str, func: &str, args: Value) -> Value {
        remember_passwords(&args);
        let action = serde_json::json!({"module": module, "reqtype": "exec", "func": func, "apiversion": "uapi", "args": args});
        let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
        parse_frame(&self.request(payload.as_bytes()))
    }
}

/// The JSON object inside a reply frame.
pub fn parse_frame(frame: &[u8]) -> Value {
    let text = std::str::from_utf8(frame).unwrap();
    let start = text.find("<cpanelresult>").unwrap() + "<cpanelresult>".len();
    let end = text.rfind("</cpanelresult>").unwrap();
    serde_json::from_str(&text[start..end]).unwrap()
}

/// `result.status` and `result.errors` of a UAPI reply.
pub fn status_and_errors(reply: &Value) -> (i64, Vec<String>) {
    let status = reply["result"]["status"].as_i64().unwrap();
    let errors = reply["result"]["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    (status, errors)
}

impl Client {
    /// An `Email` UAPI call that must succeed; its `data`.
    pub fn email_ok(&mut self, func: &str, args: Value) -> Value {
        let reply = self.uapi("Email", func, args.clone());
        assert_eq!(reply["result"]["status"], 1, "{func} {args}: {reply}");
        reply["result"]["data"].clone()
    }

    /// An `Email` UAPI call that must fail with one error; its text.
    pub fn email_err(&mut self, func: &str, args: Value) -> String {
        let reply = self.uapi("Email", func, args.clone());
        let (status, errors) = status_and_errors(&reply);
        assert_eq!((status, errors.len()), (0, 1), "{func} {args}: {reply}");
        errors[0].clone()
    }
}

impl ScratchAccount {
    /// The account's files and Maildirs: etc/ bytes and every path under mail/.
    pub fn full_snapshot(&self) -> (Vec<(PathBuf, Vec<u8>)>, Vec<PathBuf>) {
        let mut dirs = Vec::new();
        let mut stack = vec![self.home().join("mail")];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                dirs.push(p);
            }
        }
        dirs.sort();
        (self.snapshot(), dirs)
    }
}
