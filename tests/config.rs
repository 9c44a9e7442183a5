//! The configuration file as an operator meets it: `liveapid check-config`
//! on good and bad files, and `serve` taking its settings from the file
//! with the command line's flags on top.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::https::{self, Call};

use assert_cmd::Command;
use common::{parse_frame, Client, Daemon, ScratchAccount};
use serde_json::json;

fn liveapid() -> Command {
    Command::cargo_bin("liveapid").unwrap()
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("liveapid.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `check-config --config FILE`: (success, stdout, stderr).
fn check(path: &Path) -> (bool, String, String) {
    let out = liveapid()
        .arg("check-config")
        .arg("--config")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

mod check_config {
    use super::*;

    #[test]
    fn a_good_file_prints_every_effective_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "root = \"/srv/host\"\naudit_log = \"/var/log/liveapid/audit.log\"\n\n[https]\nlisten = [\"0.0.0.0:2083\", \"0.0.0.0:2096\"]\ntls_cert = \"/etc/liveapid/cert.pem\"\ntls_key = \"/etc/liveapid/key.pem\"\n\n[limits]\nmax_request_bytes = 4096\nidle_timeout = 30\nverify_rate = 10\n\n[after_change]\ncommand = \"doveadm auth cache flush %u\"\n\n[[account]]\nuser = \"bob\"\nhome = \"/home/bob\"\n\n[[account]]\nuser = \"carol\"\nsocket = \"/run/liveapid/carol.sock\"\n",
        );
        let (ok, stdout, stderr) = check(&path);
        assert!(ok, "{stderr}");
        assert!(stdout.starts_with(&format!("# {} is valid.", path.display())));
        let effective: toml::Table = toml::from_str(&stdout).unwrap();
        let limits = effective["limits"].as_table().unwrap();
        assert_eq!(limits["max_request_bytes"].as_integer(), Some(4096));
        assert_eq!(limits["idle_timeout"].as_float(), Some(30.0));
        assert_eq!(limits["verify_rate"].as_integer(), Some(10));
        // Not in the file: the built-in defaults, shown.
        assert_eq!(limits["max_connections"].as_integer(), Some(256));
        assert_eq!(limits["change_rate"].as_integer(), Some(0));
        assert_eq!(effective["root"].as_str(), Some("/srv/host"));
        let listen = effective["https"]["listen"].as_array().unwrap();
        assert_eq!(listen.len(), 2);
        assert_eq!(listen[1].as_str(), Some("0.0.0.0:2096"));
        assert_eq!(
            effective["https"]["tls_key"].as_str(),
            Some("/etc/liveapid/key.pem")
        );
        assert_eq!(effective["https"]["auth_failures"].as_integer(), Some(10));
        assert_eq!(
            effective["after_change"]["command"].as_str(),
            Some("doveadm auth cache flush %u")
        );
        assert_eq!(effective["after_change"]["timeout"].as_float(), Some(10.0));
        let accounts = effective["account"].as_array().unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0]["home"].as_str(), Some("/home/bob"));
        assert_eq!(
            accounts[1]["socket"].as_str(),
            Some("/run/liveapid/carol.sock")
        );
        // What it prints is itself a valid file with the same settings.
        let again = write(dir.path(), &stdout);
        let (ok, stdout_again, _) = check(&again);
        assert!(ok);
        assert_eq!(
            stdout_again.lines().skip(1).collect::<Vec<_>>(),
            stdout.lines().skip(1).collect::<Vec<_>>()
        );
    }

    /// Root takes no settings from a file another user could have written
    /// (the after-change command runs as root), and writes no audit log in
    /// a directory others can write.
    #[test]
    fn as_root_a_file_or_audit_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        needs_root!();
        let mode = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "root = \"/\"\n");
        mode(&path, 0o644);
        let (ok, _, stderr) = check(&path);
        assert!(ok, "{stderr}");
        for (bits, expected) in [(0o666, "mode 0666"), (0o620, "mode 0620")] {
            mode(&path, bits);
            let (ok, stdout, stderr) = check(&path);
            assert!(!ok && stdout.is_empty(), "{bits:o} accepted");
            assert!(
                stderr.contains(&format!(
                    "the configuration file {} is writable by group or others ({expected})",
                    path.display()
                )),
                "{stderr}"
            );
            let serve = liveapid()
                .args(["serve", "--user", "nobody", "--config"])
                .arg(&path)
                .output()
                .unwrap();
            assert_eq!(serve.status.code(), Some(1));
            let stderr = String::from_utf8_lossy(&serve.stderr);
            assert!(stderr.contains("writable by group or others"), "{stderr}");
        }
        mode(&path, 0o644);
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let (ok, _, stderr) = check(&path);
        assert!(!ok);
        assert!(
            stderr.contains("belongs to uid 65534, not root"),
            "{stderr}"
        );
        std::os::unix::fs::chown(&path, Some(0), None).unwrap();
        mode(dir.path(), 0o777);
        let (ok, _, stderr) = check(&path);
        assert!(!ok);
        assert!(
            stderr.contains("the configuration file's directory"),
            "{stderr}"
        );
        mode(dir.path(), 0o755);

        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        mode(&logs, 0o1777);
        let path = write(
            dir.path(),
            &format!("audit_log = \"{}\"\n", logs.join("audit.log").display()),
        );
        let (ok, _, stderr) = check(&path);
        assert!(!ok);
        assert!(
            stderr.contains(&format!(
                "the audit log's directory {} is writable by group or others (mode 1777)",
                logs.display()
            )),
            "{stderr}"
        );
        mode(&logs, 0o755);
        let (ok, _, stderr) = check(&path);
        assert!(ok, "{stderr}");
    }

    #[test]
    fn a_mistake_is_named_with_its_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "root = \"/\"\n[limits]\nmax_requests = 10\n",
                "line 3: limits.max_requests: unknown field `max_requests`",
            ),
            (
                "[limits]\nmax_request_bytes = -5\n",
                "line 2: limits.max_request_bytes:",
            ),
            (
                "[limits]\nmax_connections = 0\n",
                "line 2: limits.max_connections: must be 1 or more",
            ),
            (
                "\n\n[after_change]\ncommand = \"flush %u\"\ntimeout = 0\n",
                "line 5: after_change.timeout: must be a positive number of seconds",
            ),
            (
                "[[account]]\nuser = \"bob\"\n[[account]]\nhome = \"/home/x\"\n",
                "line 3: account[1]: missing field `user`",
            ),
            ("all = \"yes\"\n", "line 1: all:"),
            (
                "colour = \"blue\"\n",
                "line 1: colour: unknown field `colour`",
            ),
            ("[limits\n", "line 1:"),
            (
                "[https]\nlisten = [\"localhost\"]\n",
                "line 2: https.listen[0]:",
            ),
            (
                "[https]\ntls_cert = \"/etc/c.pem\"\n",
                "[https] tls_cert and tls_key go together",
            ),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), text);
            let (ok, stdout, stderr) = check(&path);
            assert!(!ok, "{text:?} was accepted: {stdout}");
            assert!(
                stderr.contains(&format!("{}: {expected}", path.display()))
                    || stderr.contains(&format!("{} {expected}", path.display())),
                "{text:?}: {stderr}"
            );
            assert!(stdout.is_empty());
        }
    }

    #[test]
    fn all_and_account_tables_do_not_go_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "all = true\n[[account]]\nuser = \"bob\"\n");
        let (ok, _, stderr) = check(&path);
        assert!(!ok);
        assert!(stderr.contains("all = true and [[account]]"), "{stderr}");
    }

    #[test]
    fn a_named_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let (ok, _, stderr) = check(&dir.path().join("missing.toml"));
        assert!(!ok);
        assert!(
            stderr.contains("cannot read the configuration file"),
            "{stderr}"
        );
    }
}

mod serve {
    use super::*;

    /// A `list_pops` request of more than `size` bytes.
    fn big_request(client: &mut Client, size: usize) -> Vec<u8> {
        let action = json!({"module": "Email", "reqtype": "exec", "func": "list_pops",
            "apiversion": "uapi", "args": {"padding": "x".repeat(size)}});
        client.request(format!("<cpanelaction>\n{action}\n</cpanelaction>").as_bytes())
    }

    #[test]
    fn the_file_sets_the_limits_and_a_flag_overrides_it() {
        let account = ScratchAccount::new(&[]);
        let config = write(account.dir.path(), "[limits]\nmax_request_bytes = 300\n");
        let config = config.display().to_string();

        let from_file = Daemon::serve(&account, &["--config", &config]);
        let frame = big_request(&mut from_file.connect(), 1000);
        assert!(
            String::from_utf8_lossy(&frame).contains("limit of 300 bytes"),
            "{}",
            String::from_utf8_lossy(&frame)
        );
        drop(from_file);

        let overridden = Daemon::serve(
            &account,
            &["--config", &config, "--max-request-bytes", "5000"],
        );
        let frame = big_request(&mut overridden.connect(), 1000);
        assert_eq!(parse_frame(&frame)["result"]["status"], 1);
    }

    #[test]
    fn account_tables_name_the_accounts_their_homes_and_sockets() {
        let account = ScratchAccount::new(&[]);
        let socket = account.dir.path().join("from-file.sock");
        let config = write(
            account.dir.path(),
            &format!(
                "root = {:?}\n\n[[account]]\nuser = \"demo\"\nhome = {:?}\nsocket = {:?}\n",
                account.root().display().to_string(),
                account.home().display().to_string(),
                socket.display().to_string()
            ),
        );
        let log = account.dir.path().join("from-file.log");
        let args: Vec<String> = vec![
            "serve".into(),
            "--config".into(),
            config.display().to_string(),
        ];
        let daemon = Daemon::spawn(&args, &socket, &log);
        let data = daemon.connect().email_ok("list_pops", json!({}));
        assert!(data.to_string().contains("user@example.com"), "{data}");
    }

    #[test]
    fn the_https_table_starts_the_front_end() {
        let account = ScratchAccount::new(&[]);
        let config = write(
            account.dir.path(),
            "[https]\nlisten = [\"127.0.0.1:0\"]\nauth_failures = 3\n",
        );
        let config = config.display().to_string();
        let daemon = Daemon::serve(&account, &["--config", &config]);
        let port = https::port_in_log(|| daemon.output());
        let reply =
            daemon
                .connect()
                .uapi("Tokens", "create_full_access", json!({"name": "from-file"}));
        let token = reply["result"]["data"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        common::remember_password(&token);
        let call = Call {
            token: Some(("demo", &token)),
            ..Call::default()
        };
        let answer = https::request(port, "/execute/Email/count_pops", &call);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json()["status"], 1);
    }

    #[test]
    fn a_broken_file_stops_serve_before_it_binds() {
        let account = ScratchAccount::new(&[]);
        let config = write(account.dir.path(), "[limits]\nidle_timeout = -1\n");
        let out = liveapid()
            .args(["serve", "--user", "demo", "--root"])
            .arg(account.root())
            .arg("--home")
            .arg(account.home())
            .arg("--socket")
            .arg(account.socket())
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("line 2: limits.idle_timeout: must be a positive number of seconds"),
            "{stderr}"
        );
        assert!(!account.socket().exists());
    }
}

/// One default per setting: what `serve --help` says (clap's definitions,
/// which also write the man pages) is what README's option table, the man
/// page and the shipped `packaging/liveapid.toml` say.
mod one_default_per_setting {
    use super::*;
    use std::collections::BTreeMap;

    /// `--flag` → its default, from `liveapid serve --help`: the defaults that
    /// are one value (not a sentence).
    fn help_defaults() -> BTreeMap<String, String> {
        let out = liveapid().args(["serve", "--help"]).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        let mut defaults = BTreeMap::new();
        let mut flag = None;
        for line in help.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("--") {
                flag = rest.split([' ', '=']).next().map(|f| format!("--{f}"));
            }
            // clap's own defaults stand on a line of their own; a default
            // written in a flag's text (a sentence, a placeholder) does not.
            if let (Some(flag), Some(rest)) = (&flag, line.strip_prefix("[default: ")) {
                let value = rest.trim_end_matches(']');
                if !value.contains(' ') {
                    defaults.insert(flag.clone(), value.to_owned());
                }
            }
        }
        defaults
    }

    fn same(a: &str, b: &str) -> bool {
        let a = a.trim_matches(|c| c == '`' || c == '"');
        let b = b.trim_matches(|c| c == '`' || c == '"');
        match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        }
    }

    #[test]
    fn help_and_man_page_agree() {
        let defaults = help_defaults();
        assert!(defaults.len() >= 12, "{defaults:?}");
        assert_eq!(defaults["--verify-rate"], "60");
        assert_eq!(defaults["--change-rate"], "0");
        let dir = tempfile::tempdir().unwrap();
        liveapid().arg("man").arg(dir.path()).assert().success();
        // The global flags (--config, --log-format) are on liveapid(8).
        let page = ["liveapid-serve.8", "liveapid.8"]
            .map(|p| std::fs::read_to_string(dir.path().join(p)).unwrap())
            .concat()
            .replace("\\-", "-");
        for (flag, value) in &defaults {
            let entry = page
                .split(".TP\n")
                .find(|e| e.starts_with(&format!("\\fB{flag}\\fR")))
                .unwrap_or_else(|| panic!("{flag} is not in liveapid-serve(8) or liveapid(8)"));
            assert!(
                entry.contains(&format!("[default: {value}]")),
                "the man page on {flag}: {entry}"
            );
        }
    }

    #[test]
    fn readme_option_table_agrees() {
        let defaults = help_defaults();
        let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
        let mut seen = 0;
        for row in readme.lines().filter(|l| l.starts_with("| `--")) {
            let flag = row[3..].split(['`', ' ']).next().unwrap();
            let Some(default) = defaults.get(flag) else {
                continue;
            };
            let said = row
                .split("(default ")
                .nth(1)
                .and_then(|rest| rest.split([';', ',', ')', ' ', ':']).next())
                .unwrap_or_else(|| {
                    panic!("README's row of {flag} does not say its default: {row}")
                });
            assert!(
                same(said, default),
                "README says {flag} defaults to {said}, --help says {default}"
            );
            seen += 1;
        }
        assert!(
            seen >= 12,
            "README's option table has {seen} flags with defaults"
        );
    }

    /// Every `key = value` (or `# key = value`, a documented default) of
    /// the shipped file's tables, as the flag it sets.
    fn shipped_settings() -> Vec<(String, String)> {
        let text = std::fs::read_to_string(common::repo().join("packaging/liveapid.toml")).unwrap();
        let mut table = String::new();
        let mut settings = Vec::new();
        for line in text.lines() {
            let line = line.trim_start_matches('#').trim();
            if line.starts_with('[') && !line.starts_with("[[") {
                table = line.trim_matches(['[', ']']).to_owned();
                continue;
            }
            let Some((key, value)) = line.split_once(" = ") else {
                continue;
            };
            if key.contains(' ') || table.is_empty() {
                continue;
            }
            let value = value.split('#').next().unwrap().trim().to_owned();
            let flag = match (table.as_str(), key) {
                ("after_change", "timeout") => "--after-change-timeout".to_owned(),
                _ => format!("--{}", key.replace('_', "-")),
            };
            settings.push((flag, value));
        }
        settings
    }

    #[test]
    fn the_shipped_file_shows_the_defaults() {
        let defaults = help_defaults();
        let mut seen = 0;
        for (flag, value) in shipped_settings() {
            if let Some(default) = defaults.get(&flag) {
                assert!(
                    same(&value, default),
                    "packaging/liveapid.toml sets {flag} to {value}, its default is {default}"
                );
                seen += 1;
            }
        }
        assert!(
            seen >= 12,
            "the shipped file names {seen} settings with defaults"
        );
    }
}
