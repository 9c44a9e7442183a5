//! The after-change command is root's, its values come from an account:
//! a localpart never becomes one of its options, it never sees root's
//! environment, and its output never reaches the account.

#[macro_use]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::host::{wait_until, Host};
use common::{Client, Daemon, ScratchAccount};
use serde_json::json;

/// In the daemon's environment: the command must not see it.
const ROOTS_SECRET: &str = "Roots-Environment-Secret-77";
/// On the command's stderr: the account must not see it.
const COMMANDS_DETAIL: &str = "Detail-Only-For-The-Operator";

/// A command that records its arguments and environment, prints to
/// stderr and fails.
fn recorder(dir: &Path) -> (PathBuf, PathBuf) {
    let record = dir.join("recorded");
    let script = dir.join("record.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n{{ for a in \"$@\"; do echo \"ARG $a\"; done; env | sed 's/^/ENV /'; }} >> {}\necho {COMMANDS_DETAIL} >&2\nexit 1\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, record)
}

/// `-a` (cPanel allows a leading `-`) gets a password; then `user` does.
fn attack_and_check(socket: &Path, record: &Path) {
    let mut client = Client::connect(socket);
    client.email_ok(
        "add_pop",
        json!({"email": "-a@example.com", "password": "Dash-Localpart-Pass-41"}),
    );
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "-a@example.com", "password": "Dash-Localpart-Pass-42"}),
    );
    assert_eq!(reply["result"]["status"], 1, "the change stands: {reply}");
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user@example.com", "password": "Plain-Localpart-Pass-43"}),
    );
    assert_eq!(reply["result"]["status"], 1, "{reply}");
    let warning = reply["result"]["warnings"][0].as_str().unwrap_or("");
    assert!(
        warning.contains("after-change"),
        "the failure is told: {reply}"
    );
    // Every problem is listed, not only the first.
    let mut problems = Vec::new();
    if reply.to_string().contains(COMMANDS_DETAIL) {
        problems.push(format!("the command's output reached the account: {reply}"));
    }
    let recorded = std::fs::read_to_string(record).unwrap_or_default();
    for arg in recorded.lines().filter_map(|l| l.strip_prefix("ARG ")) {
        if arg.starts_with('-') {
            problems.push(format!("an option from a localpart: {arg}"));
        }
    }
    if !recorded.contains("ARG user@example.com") {
        problems.push("the plain address was not run".into());
    }
    if recorded.contains(ROOTS_SECRET) {
        problems.push("root's environment reached the command".into());
    }
    for name in recorded
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
    {
        // PATH and LANG are given; the shell sets the rest itself.
        if !["PATH", "LANG", "PWD", "SHLVL", "_", "OLDPWD"].contains(&name) {
            problems.push(format!("{name} in the command's environment"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}\n{recorded}");
}

#[test]
fn a_daemons_after_change_command_gets_arguments_a_minimal_environment_and_keeps_its_output() {
    let account = ScratchAccount::new(&[]);
    let (script, record) = recorder(account.dir.path());
    let socket = account.socket();
    let log = socket.with_extension("log");
    let child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["serve", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg("--socket")
        .arg(&socket)
        .arg("--after-password-change")
        .arg(format!("{} %u", script.display()))
        .env("ROOTS_SECRET", ROOTS_SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let daemon = Daemon::adopt(child, &socket, &log);
    wait_until(|| UnixStream::connect(&socket).is_ok(), "socket answers");
    attack_and_check(&socket, &record);
    assert!(
        daemon.output().contains(COMMANDS_DETAIL),
        "the operator's log has the command's output"
    );
}

#[test]
fn the_supervisors_after_change_command_gets_arguments_a_minimal_environment_and_keeps_its_output()
{
    needs_root!();
    let host = Host::new(&["ac"]);
    let user = &host.users[0];
    let (script, record) = recorder(host.dir.path());
    let supervisor = host.start_with_env(
        &[
            "--user".to_owned(),
            user.name.clone(),
            "--after-password-change".to_owned(),
            format!("{} %u", script.display()),
        ],
        &[("ROOTS_SECRET", ROOTS_SECRET)],
    );
    attack_and_check(&host.socket(user), &record);
    assert!(
        supervisor.log().contains(COMMANDS_DETAIL),
        "the operator's log has the command's output"
    );
}
