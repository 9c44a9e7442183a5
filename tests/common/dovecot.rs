//! A private Dovecot for the tests: its own base_dir, state, logs and a
//! free loopback IMAP port, with the passdb/userdb section a test gives,
//! such as the README's recipe ([`readme_recipe`]). Its auth process runs
//! as the `dovecot` user, so only root can start one.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Dovecot's passwd-file reader notices a change within about a second.
pub const RELOAD_WINDOW: Duration = Duration::from_millis(1100);

/// The README's marker lines, each followed by a fenced block of the recipe.
const RECIPE_ONCE: &str = "<!-- dovecot-recipe:once -->";
const RECIPE_PER_ACCOUNT: &str = "<!-- dovecot-recipe:per-account -->";
/// The home the README's per-account block is written for.
const RECIPE_HOME: &str = "/home/bob";

/// The fenced block right after the line `marker` in README.md.
pub fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(super::repo().join("README.md")).unwrap();
    let mut lines = readme.lines().skip_while(|l| l.trim() != marker).skip(1);
    let fence = lines.next().unwrap_or_default();
    assert!(
        fence.starts_with("```"),
        "README.md: no fenced block right after {marker}"
    );
    let mut block = String::new();
    for line in lines.by_ref() {
        if line.starts_with("```") {
            return block;
        }
        block.push_str(line);
        block.push('\n');
    }
    panic!("README.md: the block after {marker} is not closed");
}

/// The README's Dovecot recipe as a reader copies it: the part given once,
/// then the per-account part once for each home, with only the documented
/// placeholder (`/home/bob`) replaced.
pub fn readme_recipe(homes: &[PathBuf]) -> String {
    let mut recipe = readme_block(RECIPE_ONCE);
    let per_account = readme_block(RECIPE_PER_ACCOUNT);
    assert!(
        per_account.contains(RECIPE_HOME),
        "README.md: the per-account block no longer names {RECIPE_HOME}"
    );
    for home in homes {
        recipe.push_str(&per_account.replace(RECIPE_HOME, &home.display().to_string()));
    }
    recipe
}

/// A private Dovecot on a free loopback port, stopped when dropped.
pub struct Dovecot {
    dir: tempfile::TempDir,
    port: u16,
}

impl Dovecot {
    /// Starts Dovecot with its private settings plus `auth_section(dir)`
    /// (passdb, userdb and whatever they need; `dir` is Dovecot's private
    /// directory, for files such as a Lua script).
    pub fn start(auth_section: impl FnOnce(&Path) -> String) -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("liveapid-dovecot-")
            .tempdir()
            .unwrap();
        let t = dir.path().to_owned();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(t.join(sub)).unwrap();
        }
        let section = auth_section(&t);
        let conf = |port: u16| {
            format!(
                "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {t}/run\nstate_dir = {t}/state\n\
                 instance_name = liveapid-test-{port}\nlog_path = {t}/dovecot.log\ninfo_log_path = {t}/dovecot-info.log\n\
                 ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                 auth_failure_delay = 0\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 {section}",
                t = t.display(),
            )
        };
        // A port found free may be taken by the time Dovecot binds it (other
        // tests run in parallel): try a few.
        let mut dovecot = Dovecot { dir, port: 0 };
        for _attempt in 0..3 {
            dovecot.port = free_port();
            std::fs::write(dovecot.conf(), conf(dovecot.port)).unwrap();
            let status = Command::new("dovecot")
                .arg("-c")
                .arg(dovecot.conf())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("dovecot is installed (apt-get install dovecot-core dovecot-imapd)");
            if status.success() && dovecot.wait_listening(Duration::from_secs(10)) {
                return dovecot;
            }
            dovecot.stop();
        }
        panic!("dovecot did not start: {}", dovecot.log());
    }

    /// Dovecot configured with the README's recipe for the accounts whose
    /// homes are `homes`.
    pub fn with_readme_recipe(homes: &[PathBuf]) -> Dovecot {
        let recipe = readme_recipe(homes);
        Dovecot::start(|_| recipe)
    }

    fn wait_listening(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Stops this Dovecot and waits until its master is gone.
    pub fn stop(&self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .arg("stop")
            .stderr(Stdio::null())
            .status();
        let pid_file = self.dir.path().join("run/master.pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        while pid_file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// `doveadm auth test`: true on "auth succeeded", false on "auth failed".
    pub fn auth(&self, user: &str, password: &str) -> bool {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .args(["auth", "test", user, password])
            .output()
            .unwrap();
        match out.status.code() {
            Some(0) => true,
            Some(77) => false,
            other => panic!(
                "doveadm auth test: {other:?} {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// A field of the userdb's answer for `user` (`doveadm user -f FIELD`);
    /// `None` when the userdb does not know the user.
    pub fn userdb_field(&self, user: &str, field: &str) -> Option<String> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.conf())
            .args(["user", "-f", field, user])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// An IMAP LOGIN on the private port.
    pub fn imap_login(&self, user: &str, password: &str) -> bool {
        self.imap_session(user, password, &[]).is_some()
    }

    /// An IMAP LOGIN, then each of `commands` (tagged `c1`, `c2`, ...);
    /// `None` when the login is refused, else every line the server sent
    /// after the login.
    pub fn imap_session(&self, user: &str, password: &str, commands: &[&str]) -> Option<String> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("* OK"), "{line}");
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        write!(&stream, "a1 LOGIN {} {}\r\n", quote(user), quote(password)).unwrap();
        let read_until_tagged = |reader: &mut BufReader<TcpStream>, tag: &str| -> String {
            let mut lines = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 {
                    return lines;
                }
                lines.push_str(&line);
                if line.starts_with(&format!("{tag} ")) {
                    return lines;
                }
            }
        };
        let login = read_until_tagged(&mut reader, "a1");
        if !login
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("a1 OK")
        {
            return None;
        }
        let mut transcript = String::new();
        for (i, command) in commands.iter().enumerate() {
            let tag = format!("c{}", i + 1);
            write!(&stream, "{tag} {command}\r\n").unwrap();
            transcript.push_str(&read_until_tagged(&mut reader, &tag));
        }
        let _ = write!(&stream, "a2 LOGOUT\r\n");
        Some(transcript)
    }

    pub fn flush_cache_command(&self) -> String {
        format!("doveadm -c {} auth cache flush %u", self.conf().display())
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
