//! The `uapi` command line, as operators, cron jobs and support staff use
//! it: the seed command line, every output format, URI-decoded arguments,
//! `password=-`, exit codes, and (as root) acting as another account with
//! the daemon's privilege and path rules.

#[macro_use]
mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use common::host::Host;
use common::{libxcrypt_verifies, Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::{json, Value};

/// `uapi --user=demo --root R --home H ARGS...` on the scratch account
/// (its own user's account: scratch accounts belong to whoever runs the tests).
fn uapi(account: &ScratchAccount, args: &[&str]) -> Command {
    let mut all = vec!["--user=demo"];
    all.extend_from_slice(args);
    uapi_raw(account, &all)
}

/// The same without `--user`.
fn uapi_raw(account: &ScratchAccount, args: &[&str]) -> Command {
    let mut command = Command::cargo_bin("uapi").unwrap();
    command
        .arg("--root")
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .args(args)
        .stdin(Stdio::null());
    command
}

fn run(mut command: Command) -> (i32, String, String) {
    for arg in command.get_args().filter_map(|a| a.to_str()) {
        if let Some(password) = arg.strip_prefix("password=").filter(|p| *p != "-") {
            common::remember_password(password);
        }
    }
    let out = command.output().unwrap();
    common::keep_for_the_suite("logs", &String::from_utf8_lossy(&out.stderr));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SEED_YAML: &str = "---\napiversion: 3\nfunc: passwd_pop\nmodule: Email\nresult:\n  data: ~\n  errors: ~\n  messages: ~\n  metadata: {}\n  status: 1\n  warnings: ~\n";

mod output {
    use super::*;

    /// cPanel's documented command line, verbatim but for the binary's path
    /// and the scratch account's location: it changes the password and
    /// prints cPanel's YAML.
    #[test]
    fn the_seed_command_line_changes_the_password_and_prints_cpanels_yaml() {
        // 12345luggage rates 63: allowed with a minimum of 60.
        let account = ScratchAccount::new(&["--min-strength", "60"]);
        let (code, stdout, stderr) = run(uapi(
            &account,
            &[
                "Email",
                "passwd_pop",
                "email=user",
                "password=12345luggage",
                "domain=example.com",
            ],
        ));
        assert_eq!((code, stdout.as_str()), (0, SEED_YAML), "{stderr}");
        assert!(libxcrypt_verifies(
            "12345luggage",
            &account.hash_of("user", "example.com")
        ));
    }

    /// `--output=json` is the object the socket returns for the same call.
    #[test]
    fn json_is_what_the_socket_answers_and_jsonpretty_the_same_indented() {
        let account = ScratchAccount::new(&[]);
        let daemon = Daemon::serve(&account, &[]);
        let mut client = daemon.connect();
        for (func, args, words) in [
            ("list_pops", json!({}), vec![]),
            (
                "verify_password",
                json!({"email": "alice@example.net", "password": OLD_PASSWORD}),
                vec![
                    "email=alice@example.net".to_owned(),
                    format!("password={OLD_PASSWORD}"),
                ],
            ),
            (
                "passwd_pop",
                json!({"email": "bob", "password": "weak"}),
                vec!["email=bob".to_owned(), "password=weak".to_owned()],
            ),
        ] {
            let socket_reply = client.uapi("Email", func, args);
            let mut argv: Vec<&str> = vec!["--output=json", "Email", func];
            argv.extend(words.iter().map(String::as_str));
            let (code, stdout, stderr) = run(uapi(&account, &argv));
            assert_eq!(code, 0, "{stderr}");
            assert_eq!(stdout.lines().count(), 1, "compact: {stdout}");
            let cli_reply: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(cli_reply, socket_reply, "{func}");
            argv[0] = "--output=jsonpretty";
            let (_, pretty, _) = run(uapi(&account, &argv));
            assert!(pretty.lines().count() > 5, "{pretty}");
            assert_eq!(
                serde_json::from_str::<Value>(&pretty).unwrap(),
                socket_reply
            );
        }
    }

    #[test]
    fn a_refused_call_still_exits_0_with_status_0_as_cpanel_does() {
        let account = ScratchAccount::new(&[]);
        let (code, stdout, _) = run(uapi(
            &account,
            &["Email", "passwd_pop", "email=user", "password=12345luggage"],
        ));
        assert_eq!(code, 0);
        assert!(stdout.contains("\n  status: 0\n"), "{stdout}");
        assert!(
            stdout.contains("strength rating of 65 or higher"),
            "{stdout}"
        );
        let (code, stdout, _) = run(uapi(&account, &["Email", "no_such_function"]));
        assert_eq!(code, 0);
        assert!(stdout.contains("could not find the function"), "{stdout}");
    }
}

mod arguments {
    use super::*;

    /// `%20 %2B %3D %25` and `+` decode as cPanel's decoder does, in keys too.
    #[test]
    fn keys_and_values_are_uri_decoded() {
        let account = ScratchAccount::new(&[]);
        let (code, stdout, stderr) = run(uapi(
            &account,
            &[
                "--output=json",
                "Email",
                "passwd_pop",
                "%65mail=user",
                "password=Sp%20ace%2Bplus%3Deq%25pct+and+more",
            ],
        ));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            serde_json::from_str::<Value>(&stdout).unwrap()["result"]["status"],
            1,
            "{stdout}"
        );
        assert!(libxcrypt_verifies(
            "Sp ace+plus=eq%pct and more",
            &account.hash_of("user", "example.com")
        ));
    }

    #[test]
    fn password_dash_reads_the_first_line_of_a_pipe() {
        let account = ScratchAccount::new(&[]);
        let mut command = uapi(
            &account,
            &["Email", "passwd_pop", "email=alice", "password=-"],
        );
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"From-A-Pipe-Pass-81\nsecond line ignored\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("status: 1"));
        assert!(libxcrypt_verifies(
            "From-A-Pipe-Pass-81",
            &account.hash_of("alice", "example.com")
        ));
    }

    /// On a terminal, `password=-` prompts and does not echo what is typed:
    /// the password never appears on the screen. (A pseudo-terminal made by
    /// Python's pty module stands in for the operator's.)
    #[test]
    fn password_dash_on_a_terminal_is_not_echoed() {
        let account = ScratchAccount::new(&[]);
        let program = r#"
import os, pty, signal, sys, time
signal.alarm(60)  # never hang the suite
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
def read_some(limit):
    global seen
    end = time.time() + limit
    while time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        if b"assword" in seen and b"\n" not in seen.split(b"assword", 1)[1]:
            return True
    return True
read_some(10)
os.write(fd, os.environ["SECRET"].encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
"#;
        let secret = "Typed-On-A-Tty-Pass-63";
        let out = Command::new("python3")
            .args(["-c", program])
            .arg(assert_cmd::cargo::cargo_bin("uapi"))
            .arg("--root")
            .arg(account.root())
            .arg("--home")
            .arg(account.home())
            .args([
                "--user=demo",
                "Email",
                "passwd_pop",
                "email=bob",
                "password=-",
            ])
            .env("SECRET", secret)
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{screen}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(screen.contains("assword"), "a prompt: {screen}");
        assert!(!screen.contains(secret), "echoed: {screen}");
        assert!(screen.contains("status: 1"), "{screen}");
        assert!(libxcrypt_verifies(
            secret,
            &account.hash_of("bob", "example.com")
        ));
    }
}

mod errors {
    use super::*;

    /// Usage errors, an unknown account and unreadable files exit non-zero
    /// with one line on standard error.
    #[test]
    fn every_error_exit_is_one_line_and_non_zero() {
        let account = ScratchAccount::new(&[]);
        let cases: Vec<(Vec<&str>, i32, &str)> = vec![
            (vec!["--bogus", "Email", "list_pops"], 2, "--bogus"),
            (vec!["Email"], 2, "<FUNCTION>"),
            (
                vec!["--output=xml", "Email", "list_pops"],
                2,
                "yaml, json or jsonpretty",
            ),
            (vec!["Email", "list_pops", "novalue"], 2, "key=value"),
        ];
        for (args, expected, needle) in cases {
            let (code, stdout, stderr) = run(uapi(&account, &args));
            assert_eq!(code, expected, "{args:?}: {stderr}");
            assert!(stdout.is_empty(), "{args:?}: {stdout}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
            assert!(stderr.starts_with("uapi: "), "{stderr}");
            assert!(stderr.contains(needle), "{args:?}: {stderr}");
        }
        // An account the host does not have.
        let (code, stdout, stderr) =
            run(uapi_raw(&account, &["--user=nosuch", "Email", "list_pops"]));
        assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
        assert!(
            stderr.starts_with("uapi: ") && stderr.contains("nosuch"),
            "{stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        // The account's cPanel user file cannot be read.
        let cpuser = account.root().join("var/cpanel/users/demo");
        std::fs::remove_file(&cpuser).unwrap();
        std::fs::create_dir(&cpuser).unwrap();
        let (code, _, stderr) = run(uapi(&account, &["Email", "list_pops"]));
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("cannot read the cPanel user file"),
            "{stderr}"
        );
        // No password from an empty standard input.
        let (code, _, stderr) = run(uapi(
            &account,
            &["Email", "passwd_pop", "email=user", "password=-"],
        ));
        assert_eq!(code, 1, "{stderr}");
    }

    #[test]
    fn help_documents_every_option_with_an_example() {
        let (code, stdout, _) = run({
            let mut c = Command::cargo_bin("uapi").unwrap();
            c.arg("--help");
            c
        });
        assert_eq!(code, 0);
        for needle in [
            "--user",
            "-u",
            "--output",
            "--home",
            "--root",
            "password=-",
            "uapi --user=bob Email passwd_pop",
        ] {
            assert!(stdout.contains(needle), "{needle}: {stdout}");
        }
    }
}

/// A change made by `uapi` while the daemon serves the same account is
/// never lost: both take the same `flock` locks on the domain's files.
#[test]
fn uapi_beside_the_daemon_loses_nothing() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let socket = daemon.socket.clone();
    let by_daemon = std::thread::spawn(move || {
        let mut client = common::Client::connect(&socket);
        for round in 0..15 {
            let reply = client.uapi(
                "Email",
                "passwd_pop",
                json!({"email": "alice", "password": format!("Daemon-Round-{round}-Pass")}),
            );
            assert_eq!(reply["result"]["status"], 1, "{reply}");
            let reply = client.uapi(
                "Email",
                "edit_pop_quota",
                json!({"email": "user", "domain": "example.com", "quota": 100 + round}),
            );
            assert_eq!(reply["result"]["status"], 1, "{reply}");
        }
    });
    for round in 0..15 {
        let password = format!("password=Cli-Round-{round}-Pass");
        let (code, stdout, stderr) = run(uapi(
            &account,
            &["Email", "passwd_pop", "email=bob", &password],
        ));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("status: 1"), "{stdout}");
    }
    by_daemon.join().unwrap();
    assert!(libxcrypt_verifies(
        "Daemon-Round-14-Pass",
        &account.hash_of("alice", "example.com")
    ));
    assert!(libxcrypt_verifies(
        "Cli-Round-14-Pass",
        &account.hash_of("bob", "example.com")
    ));
    let quota = std::fs::read_to_string(account.etc("example.com").join("quota")).unwrap();
    assert!(
        quota.contains(&format!("user:{}\n", 114 * 1024 * 1024)),
        "{quota}"
    );
}

mod as_root {
    use super::*;

    /// A copy of `uapi` any user can run (the build directory may be closed).
    fn copy_of_uapi(host: &Host) -> std::path::PathBuf {
        let bin = host.dir.path().join("uapi");
        std::fs::copy(assert_cmd::cargo::cargo_bin("uapi"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin
    }

    /// A normal user acts on their own account only.
    #[test]
    fn a_normal_user_is_refused_another_account() {
        needs_root!();
        let host = Host::new(&["ua", "ub"]);
        let (me, other) = (&host.users[0], &host.users[1]);
        let bin = copy_of_uapi(&host);
        let as_me = |args: &[&str]| {
            let mut command = Command::new(&bin);
            command
                .arg("--root")
                .arg(host.root())
                .args(args)
                .uid(me.uid)
                .gid(me.gid)
                .current_dir("/");
            run(command)
        };
        let before = host.hash_of(other, "user");
        let (code, stdout, stderr) = as_me(&[
            &format!("--user={}", other.name),
            "Email",
            "passwd_pop",
            "email=user",
            "password=Not-My-Account-Pass-1",
        ]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stderr.contains("needs root"), "{stderr}");
        assert_eq!(host.hash_of(other, "user"), before);
        // Their own account, named or not, works.
        let (code, stdout, stderr) = as_me(&["Email", "count_pops"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("data: 6"), "{stdout}");
        let (code, _, stderr) = as_me(&[&format!("-u{}", me.name), "Email", "count_pops"]);
        assert_eq!(code, 0, "{stderr}");
    }

    /// Root with `--user` acts as that account, exactly as the daemon's
    /// worker does: the shadow file stays the account's, and a symlink out
    /// of the home is refused.
    #[test]
    fn root_with_user_acts_as_the_account() {
        needs_root!();
        let host = Host::new(&["uc"]);
        let user = &host.users[0];
        let (target, shadow, _) = host.plant_root_files_as_domain(user);
        let root_uapi = |args: &[&str]| {
            let mut command = Command::cargo_bin("uapi").unwrap();
            command
                .arg("--root")
                .arg(host.root())
                .arg(format!("--user={}", user.name))
                .args(args);
            run(command)
        };
        let (code, stdout, stderr) = root_uapi(&[
            "Email",
            "passwd_pop",
            "email=user@example.com",
            "password=Root-Ran-It-Pass-2",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("status: 1"), "{stdout}");
        // Only the answer: no log line of the one-command worker around it.
        assert_eq!(stderr, "", "uapi as root prints nothing but the answer");
        assert!(stdout.starts_with("---\napiversion: 3\n"), "{stdout}");
        let meta = std::fs::metadata(host.shadow_path(user)).unwrap();
        assert_eq!(meta.uid(), user.uid, "the shadow file stays the account's");
        assert!(libxcrypt_verifies(
            "Root-Ran-It-Pass-2",
            &host.hash_of(user, "user")
        ));
        let (code, stdout, _) = root_uapi(&[
            "Email",
            "passwd_pop",
            "email=root@example.org",
            "password=Root-Line-Stolen-3",
        ]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("status: 0") && stdout.contains("etc/example.org"),
            "{stdout}"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("shadow")).unwrap(),
            shadow
        );
        // Root without --user is refused, as cPanel's uapi does.
        let mut command = Command::cargo_bin("uapi").unwrap();
        command
            .arg("--root")
            .arg(host.root())
            .args(["Email", "count_pops"]);
        let (code, _, stderr) = run(command);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--user"), "{stderr}");
    }
}
