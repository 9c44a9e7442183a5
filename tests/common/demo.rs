//! `liveapid demo` as a newcomer meets it: read what it prints, then run
//! each printed way to change the mailbox's password, as printed, in a
//! shell that ran the printed `export` line first.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{libxcrypt_verifies, status_and_errors, Client};

/// The password of cPanel's examples, which the demo's lines set.
pub const SEED_PASSWORD: &str = "12345luggage";

/// One printed way: its heading and the command lines under it.
#[derive(Debug)]
pub struct Way {
    pub heading: String,
    pub commands: Vec<String>,
}

/// What the demo printed before "Press Ctrl-C to stop.".
#[derive(Debug)]
pub struct Printed {
    pub lines: Vec<String>,
    /// The `export ...` line.
    pub export: String,
    pub socket: PathBuf,
    pub ways: Vec<Way>,
}

/// Starts `liveapid demo ARGS` (the debug binary of this build) and reads
/// what it prints before it serves.
pub fn start(args: &[&str]) -> (std::process::Child, Printed) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .arg("demo")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let printed = Printed::read(child.stdout.take().unwrap(), Duration::from_secs(20));
    (child, printed)
}

impl Printed {
    /// Reads `stdout` until the demo says it serves, for at most `limit`
    /// (a cold `cargo run --release` builds first).
    pub fn read(stdout: impl Read + Send + 'static, limit: Duration) -> Printed {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + limit;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line == "Press Ctrl-C to stop." => break,
                Ok(line) => lines.push(line),
                Err(e) => panic!("the demo did not finish its instructions ({e}): {lines:#?}"),
            }
        }
        Printed::parse(lines)
    }

    fn parse(lines: Vec<String>) -> Printed {
        let export = lines
            .iter()
            .find(|l| l.starts_with("  export CPANEL_CONNECT_SOCKET="))
            .unwrap_or_else(|| panic!("no export line: {lines:#?}"))
            .trim()
            .to_owned();
        let socket = export
            .strip_prefix("export CPANEL_CONNECT_SOCKET=")
            .and_then(|rest| rest.split_whitespace().next())
            .map(PathBuf::from)
            .unwrap();
        let mut ways: Vec<Way> = Vec::new();
        for line in &lines {
            if let Some(command) = line.strip_prefix("    ") {
                ways.last_mut()
                    .unwrap_or_else(|| panic!("a command before any heading: {line}"))
                    .commands
                    .push(command.to_owned());
            } else if line.starts_with("  ") && line.ends_with(':') {
                ways.push(Way {
                    heading: line.trim().to_owned(),
                    commands: Vec::new(),
                });
            }
        }
        for way in &ways {
            for command in &way.commands {
                if let Some(rest) = command.split("Authorization: cpanel demo:").nth(1) {
                    super::remember_password(rest.split('\'').next().unwrap());
                }
            }
        }
        Printed {
            lines,
            export,
            socket,
            ways,
        }
    }

    /// The demo's directory (the socket's).
    pub fn dir(&self) -> &Path {
        self.socket.parent().unwrap()
    }

    fn shadow_hash(&self) -> String {
        let shadow = self.dir().join("home/demo/etc/example.com/shadow");
        let text = std::fs::read_to_string(&shadow).unwrap();
        let line = text.lines().find(|l| l.starts_with("user:")).unwrap();
        line.split(':').nth(1).unwrap().to_owned()
    }

    /// Runs every way as printed and checks that each changed the password
    /// to the seed's: the hash afterwards is new and libxcrypt verifies it.
    /// Before a way that does not log in with the password, the password is
    /// set to another one, so that the way must really change it.
    pub fn check_every_way(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::os::unix::net::UnixStream::connect(&self.socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "the demo's socket never answered"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut client = Client::connect(&self.socket);
        for way in &self.ways {
            let logs_in = way.commands.iter().any(|c| c.contains("/login/"));
            let start = if logs_in {
                SEED_PASSWORD
            } else {
                "Another-Demo-Pass-77"
            };
            let reply = client.uapi(
                "Email",
                "passwd_pop",
                json!({"email": "user", "domain": "example.com", "password": start}),
            );
            assert_eq!(status_and_errors(&reply), (1, vec![]));
            let before = self.shadow_hash();
            assert_eq!(libxcrypt_verifies(SEED_PASSWORD, &before), logs_in);
            let script = format!("set -e\n{}\n{}\n", self.export, way.commands.join("\n"));
            let out = Command::new("bash")
                .arg("-c")
                .arg(&script)
                .current_dir(std::env::temp_dir())
                .env_remove("CPANEL_CONNECT_SOCKET")
                .env_remove("CPANEL_PHPCONNECT_SOCKET")
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert!(
                out.status.success(),
                "{}: {:?}\n{stdout}\n{stderr}",
                way.heading,
                out.status
            );
            let after = self.shadow_hash();
            assert_ne!(
                before, after,
                "{}: the hash did not change\n{stdout}",
                way.heading
            );
            assert!(
                libxcrypt_verifies(SEED_PASSWORD, &after),
                "{}: the new hash does not verify\n{stdout}",
                way.heading
            );
        }
    }
}
