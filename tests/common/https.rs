//! An HTTPS client for the tests: curl (the client Roundcube's cPanel
//! driver uses, through libcurl), configured on its standard input so that
//! no password or token is on a command line.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// A header's value (case-blind name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// One request's options.
#[derive(Default, Clone)]
pub struct Call<'a> {
    /// POST this form body (`application/x-www-form-urlencoded`).
    pub form: Option<&'a str>,
    /// HTTP Basic `user:password`.
    pub basic: Option<(&'a str, &'a str)>,
    /// `Authorization: cpanel user:token`.
    pub token: Option<(&'a str, &'a str)>,
    /// `Cookie:` header value.
    pub cookie: Option<&'a str>,
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `curl` to `https://127.0.0.1:<port><path>` (certificate not checked:
/// the daemons of the tests use a self-signed one).
pub fn request(port: u16, path: &str, call: &Call) -> Answer {
    let dir = tempfile::tempdir().unwrap();
    let headers = dir.path().join("headers");
    let mut config = String::new();
    config.push_str(&format!(
        "url = {}\n",
        quoted(&format!("https://127.0.0.1:{port}{path}"))
    ));
    config.push_str("insecure\nsilent\nshow-error\n");
    config.push_str(&format!(
        "dump-header = {}\n",
        quoted(&headers.display().to_string())
    ));
    config.push_str("write-out = \"\\n%{http_code}\"\n");
    if let Some(form) = call.form {
        config.push_str(&format!("data = {}\n", quoted(form)));
    }
    if let Some((user, password)) = call.basic {
        super::remember_password(password);
        config.push_str(&format!(
            "user = {}\n",
            quoted(&format!("{user}:{password}"))
        ));
    }
    if let Some((user, token)) = call.token {
        super::remember_password(token);
        config.push_str(&format!(
            "header = {}\n",
            quoted(&format!("Authorization: cpanel {user}:{token}"))
        ));
    }
    if let Some(cookie) = call.cookie {
        config.push_str(&format!("cookie = {}\n", quoted(cookie)));
    }
    let mut child = Command::new("curl")
        .args(["-K", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(config.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "curl failed: {} {stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (text, code) = stdout.rsplit_once('\n').unwrap();
    Answer {
        status: code.parse().unwrap(),
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        text: text.trim_end().to_owned(),
    }
}

/// The port of the first "listening for HTTPS" line in a daemon's log.
pub fn port_in_log(log: impl Fn() -> String) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = log();
        if let Some(line) = text.lines().find(|l| l.contains("listening for HTTPS")) {
            let address = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("address="))
                .unwrap();
            return address.rsplit_once(':').unwrap().1.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "no HTTPS listener: {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `cpsession=…` pair of a login answer's `Set-Cookie`.
pub fn session_cookie(answer: &Answer) -> String {
    let set = answer.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().trim().to_owned()
}

/// Installs `packaging/pam.d/liveapid` as `/etc/pam.d/liveapid` unless one
/// is there (root only).
pub fn install_pam_service() {
    let target = Path::new("/etc/pam.d/liveapid");
    if !target.exists() {
        std::fs::copy(super::repo().join("packaging/pam.d/liveapid"), target).unwrap();
    }
}

/// Sets a real user's system password with chpasswd (on its standard input).
pub fn set_system_password(user: &str, password: &str) {
    super::remember_password(password);
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .expect("chpasswd runs");
    writeln!(child.stdin.take().unwrap(), "{user}:{password}").unwrap();
    assert!(child.wait().unwrap().success(), "chpasswd {user}");
}
