//! The daemon keeps what it parsed of the account's files (issue 12) and
//! must never answer from a stale copy: another process that replaces a
//! file, as cPanel's tools, `uapi` or an editor do, is seen by the next call.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::json;

/// Replaces `path` with `text` the way cPanel's tools do: a new file
/// renamed over the old one.
fn replace(path: &std::path::Path, text: &str) {
    let temp = path.with_extension("new");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

#[test]
fn a_quota_file_replaced_by_another_process_is_read_again() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let args = json!({"email": "user", "domain": "example.com", "as_bytes": 1});
    let before = client.email_ok("get_pop_quota", args.clone());
    // Twice from the cache, then a same-size change of one digit.
    assert_eq!(client.email_ok("get_pop_quota", args.clone()), before);
    let quota = account.etc("example.com").join("quota");
    let text = std::fs::read_to_string(&quota).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("user:"))
        .unwrap()
        .to_owned();
    let old: u64 = line["user:".len()..].parse().unwrap();
    assert_eq!(before, json!(old));
    let new = old + 1; // 262144000 → 262144001: the same size
    replace(&quota, &text.replace(&line, &format!("user:{new}")));
    assert_eq!(client.email_ok("get_pop_quota", args), json!(new));
}

#[test]
fn a_password_changed_by_the_command_line_is_seen_by_the_daemon_at_once() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let check = |client: &mut common::Client, password: &str| {
        client.email_ok(
            "verify_password",
            json!({"email": "alice@example.com", "password": password}),
        )
    };
    assert_eq!(check(&mut client, OLD_PASSWORD), json!(1));
    let new = "Changed-Elsewhere-47";
    common::remember_password(new);
    let mut uapi = Command::new(env!("CARGO_BIN_EXE_uapi"))
        .args(["--user=demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .args([
            "Email",
            "passwd_pop",
            "email=alice@example.com",
            "password=-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(uapi.stdin.take().unwrap(), "{new}").unwrap();
    assert!(uapi.wait().unwrap().success());
    assert_eq!(check(&mut client, OLD_PASSWORD), json!(0));
    assert_eq!(check(&mut client, new), json!(1));
}

#[test]
fn a_domain_added_to_the_account_is_served_by_the_next_call() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    assert_eq!(client.email_ok("count_pops", json!({})), json!(6));
    // The panel gives the account a third domain with one mailbox.
    let etc = account.etc("example.org");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::copy(
        account.etc("example.com").join("passwd"),
        etc.join("passwd"),
    )
    .unwrap();
    std::fs::copy(
        account.etc("example.com").join("shadow"),
        etc.join("shadow"),
    )
    .unwrap();
    let cpuser = account.root().join("var/cpanel/users/demo");
    let text = std::fs::read_to_string(&cpuser).unwrap();
    let verify = json!({"email": "bob@example.org", "password": OLD_PASSWORD});
    // Not the account's yet: refused (and the account view is now cached).
    client.email_err("verify_password", verify.clone());
    replace(&cpuser, &format!("{text}DNS9=example.org\n"));
    // The mailbox calls and the listings each see it at once.
    assert_eq!(client.email_ok("verify_password", verify.clone()), json!(1));
    assert_eq!(client.email_ok("count_pops", json!({})), json!(9));
    // And its removal.
    replace(&cpuser, &text);
    client.email_err("verify_password", verify);
}
