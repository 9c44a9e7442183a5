//! No path escapes the home (issue 9, item 4): an account owner who plants
//! a symlink in his own home cannot make liveapid read, write, create or
//! delete anything outside it. Each test plants the link, calls through
//! the real daemon socket, and checks the call is refused (status 0, an
//! error naming the path relative to the home) and that the directory
//! outside the home is exactly as it was.

mod common;

use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

use common::{Daemon, ScratchAccount};
use serde_json::json;

const NEW_PASSWORD: &str = "Kq7#vTz2!mWp9xRb";

/// A scratch account with a third domain, example.org, and a `victim`
/// mailbox, plus an `outside/` directory beside the home.
fn account() -> ScratchAccount {
    let account = ScratchAccount::new(&[
        "--domains",
        "example.com,example.net,example.org",
        "--mailboxes",
        "user,alice,bob,victim",
    ]);
    std::fs::create_dir(outside(&account)).unwrap();
    account
}

fn outside(account: &ScratchAccount) -> PathBuf {
    account.dir.path().join("outside")
}

/// Every entry under `dir` (not following symlinks): its kind, bytes (files),
/// symlink target, mode and mtime, so that any read-write, creation or
/// deletion shows.
fn tree(dir: &Path) -> Vec<(PathBuf, String, Vec<u8>, u32, i64, i64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let (kind, bytes) = if meta.file_type().is_symlink() {
                (
                    "link",
                    std::fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes(),
                )
            } else if meta.is_dir() {
                stack.push(p.clone());
                ("dir", Vec::new())
            } else {
                ("file", std::fs::read(&p).unwrap())
            };
            out.push((
                p.strip_prefix(dir).unwrap().to_owned(),
                kind.to_owned(),
                bytes,
                meta.mode(),
                meta.mtime(),
                meta.mtime_nsec(),
            ));
        }
    }
    let top = std::fs::metadata(dir).unwrap();
    out.push((
        PathBuf::new(),
        "top".into(),
        Vec::new(),
        top.mode(),
        top.mtime(),
        top.mtime_nsec(),
    ));
    out.sort();
    out
}

/// A root-owned-looking domain directory outside the home: `passwd` and
/// `shadow` with a `root` line (what `/etc/passwd` and `/etc/shadow` hold).
fn plant_system_files(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("passwd"),
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("shadow"),
        "root:$6$saltsaltsaltsalt$KfB1ryb2nB/Ezrs6UqKc2VnwG1shqg0cCX8tZ9pNX4x5MTEoNOf5o9vlE9ODWf0k0VbXV2P0zk5Y2dm4oNmKk1:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    )
    .unwrap();
    std::fs::write(dir.join("quota"), "root:1\n").unwrap();
}

/// Replaces `path` (a directory in the home) by a symlink to `target`.
fn replace_with_link(path: &Path, target: &Path) {
    std::fs::remove_dir_all(path).unwrap();
    symlink(target, path).unwrap();
}

/// Asserts one status-0 error that names `relative` and says it leads outside the home.
fn assert_refused(reply: &serde_json::Value, relative: &str) {
    let (status, errors) = common::status_and_errors(reply);
    assert_eq!(status, 0, "the call must be refused: {reply}");
    assert_eq!(errors.len(), 1, "{reply}");
    assert!(
        errors[0].contains(&format!("“{relative}”")) && errors[0].contains("outside"),
        "the error must name “{relative}”: {}",
        errors[0]
    );
}

#[test]
fn symlinked_domain_dir_passwd_pop_on_a_root_line_is_refused() {
    let account = account();
    let system = outside(&account).join("etc");
    plant_system_files(&system);
    replace_with_link(&account.etc("example.org"), &system);
    let before = tree(&outside(&account));
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        json!({"email": "root@example.org", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc/example.org");
}

#[test]
fn symlinked_domain_dir_add_pop_is_refused() {
    let account = account();
    let system = outside(&account).join("etc");
    plant_system_files(&system);
    replace_with_link(&account.etc("example.org"), &system);
    let before = tree(&outside(&account));
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "add_pop",
        json!({"email": "evil@example.org", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc/example.org");
    assert!(!account.home().join("mail/example.org/evil").exists());
}

#[test]
fn symlinked_shadow_file_is_refused_and_no_file_changes() {
    let account = account();
    let system = outside(&account).join("etc");
    plant_system_files(&system);
    let etc = account.etc("example.org");
    // The passwd file in the home names root too, so that only the shadow file stops the change.
    let mut passwd = std::fs::read_to_string(etc.join("passwd")).unwrap();
    passwd.push_str("root:x:0:0:root:/root:/bin/bash\n");
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    std::fs::remove_file(etc.join("shadow")).unwrap();
    symlink(system.join("shadow"), etc.join("shadow")).unwrap();
    let before = tree(&outside(&account));
    let home_before = tree(&account.home().join("etc"));
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        json!({"email": "root@example.org", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc/example.org/shadow");
    let home_after: Vec<_> = tree(&account.home().join("etc"))
        .into_iter()
        .filter(|e| e.0.extension().is_none_or(|x| x != "lock"))
        .filter(|e| e.0 != Path::new("example.org"))
        .collect();
    let home_before: Vec<_> = home_before
        .into_iter()
        .filter(|e| e.0 != Path::new("example.org"))
        .collect();
    assert_eq!(home_after, home_before, "the home's files are as they were");
}

#[test]
fn symlinked_quota_file_is_refused() {
    let account = account();
    let system = outside(&account).join("etc");
    plant_system_files(&system);
    let etc = account.etc("example.org");
    std::fs::remove_file(etc.join("quota")).unwrap();
    symlink(system.join("quota"), etc.join("quota")).unwrap();
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "edit_pop_quota",
        json!({"email": "alice@example.org", "quota": "5"}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc/example.org/quota");
    assert_eq!(account.snapshot(), snapshot);
}

#[test]
fn symlinked_lock_files_are_refused_and_create_nothing_outside() {
    let account = account();
    let victim = outside(&account).join("victim-file");
    std::fs::write(&victim, b"precious\n").unwrap();
    let etc = account.etc("example.com");
    // A dangling link: following it with O_CREAT would make a file outside.
    symlink(
        outside(&account).join("made-by-liveapid"),
        etc.join("passwd.lock"),
    )
    .unwrap();
    symlink(&victim, etc.join("shadow.lock")).unwrap();
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        json!({"email": "alice@example.com", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc/example.com/passwd.lock");
    assert_eq!(account.snapshot(), snapshot);
}

#[test]
fn symlinked_etc_is_refused() {
    let account = account();
    let system = outside(&account).join("etc");
    plant_system_files(&system.join("example.org"));
    replace_with_link(&account.home().join("etc"), &system);
    let before = tree(&outside(&account));
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "root@example.org", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "etc");
    let reply = client.uapi(
        "Email",
        "add_pop",
        json!({"email": "evil@example.net", "password": NEW_PASSWORD}),
    );
    assert_refused(&reply, "etc");
    let reply = client.uapi("Email", "list_pops", json!({}));
    assert_refused(&reply, "etc");
    assert_eq!(tree(&outside(&account)), before);
}

#[test]
fn symlinked_mail_add_pop_makes_no_maildir_outside() {
    let account = account();
    let target = outside(&account).join("mail");
    std::fs::create_dir(&target).unwrap();
    replace_with_link(&account.home().join("mail"), &target);
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "add_pop",
        json!({"email": "new@example.com", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "mail");
    assert_eq!(account.snapshot(), snapshot, "no etc line was added");
}

#[test]
fn symlinked_mail_domain_add_pop_makes_no_maildir_outside() {
    let account = account();
    let target = outside(&account).join("maildomain");
    std::fs::create_dir(&target).unwrap();
    replace_with_link(&account.home().join("mail/example.com"), &target);
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "add_pop",
        json!({"email": "new@example.com", "password": NEW_PASSWORD}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "mail/example.com");
    assert_eq!(account.snapshot(), snapshot, "no etc line was added");
}

/// `outside/<name>/victim/{cur,new,tmp}` with a message.
fn plant_victim_maildir(account: &ScratchAccount, name: &str) -> PathBuf {
    let target = outside(account).join(name);
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(target.join("victim").join(sub)).unwrap();
    }
    std::fs::write(target.join("victim/new/1.msg"), b"Subject: keep me\n\n").unwrap();
    target
}

#[test]
fn symlinked_mail_domain_delete_pop_deletes_nothing_outside() {
    let account = account();
    let target = plant_victim_maildir(&account, "maildomain");
    replace_with_link(&account.home().join("mail/example.com"), &target);
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "delete_pop",
        json!({"email": "victim@example.com"}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "mail/example.com");
    assert!(target.join("victim/new/1.msg").exists());
    assert_eq!(account.snapshot(), snapshot, "the mailbox's lines are kept");
}

#[test]
fn symlinked_mail_delete_pop_deletes_nothing_outside() {
    let account = account();
    let target = outside(&account).join("mail");
    plant_victim_maildir(&account, "mail/example.com");
    replace_with_link(&account.home().join("mail"), &target);
    let before = tree(&outside(&account));
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "delete_pop",
        json!({"email": "victim@example.com"}),
    );
    assert_eq!(tree(&outside(&account)), before, "nothing outside changed");
    assert_refused(&reply, "mail");
    assert_eq!(account.snapshot(), snapshot, "the mailbox's lines are kept");
}

#[test]
fn list_pops_with_disk_does_not_measure_outside() {
    let account = account();
    let target = outside(&account).join("big");
    std::fs::create_dir_all(target.join("cur")).unwrap();
    std::fs::write(target.join("cur/big.msg"), vec![b'x'; 300_000]).unwrap();
    replace_with_link(&account.home().join("mail/example.com/alice"), &target);
    let before = tree(&outside(&account));
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let reply = client.uapi(
        "Email",
        "list_pops_with_disk",
        json!({"domain": "example.com", "email": "alice"}),
    );
    assert!(
        !reply.to_string().contains("300000"),
        "the outside size is not reported: {reply}"
    );
    assert_refused(&reply, "mail/example.com/alice");
    assert_eq!(tree(&outside(&account)), before);
}

#[test]
fn a_symlink_inside_a_maildir_survives_delete_pop_untouched() {
    let account = account();
    let precious = outside(&account).join("precious");
    std::fs::create_dir_all(precious.join("cur")).unwrap();
    std::fs::write(precious.join("cur/1.msg"), b"mine\n").unwrap();
    let maildir = account.home().join("mail/example.com/alice");
    symlink(&precious, maildir.join("cur/dir-link")).unwrap();
    symlink(precious.join("cur/1.msg"), maildir.join("new/file-link")).unwrap();
    let before = tree(&outside(&account));
    let daemon = Daemon::serve(&account, &[]);
    daemon
        .connect()
        .email_ok("delete_pop", json!({"email": "alice@example.com"}));
    assert!(!maildir.exists(), "the Maildir itself is gone");
    assert_eq!(tree(&outside(&account)), before);
}

#[test]
fn a_symlinked_domain_dir_that_stays_in_the_home_is_followed() {
    let account = account();
    let etc = account.etc("example.org");
    let moved = account.home().join("etc-real-example.org");
    std::fs::rename(&etc, &moved).unwrap();
    symlink("../etc-real-example.org", &etc).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    daemon.connect().email_ok(
        "passwd_pop",
        json!({"email": "alice@example.org", "password": NEW_PASSWORD}),
    );
    assert!(common::libxcrypt_verifies(
        NEW_PASSWORD,
        &account.hash_of("alice", "example.org")
    ));
    assert!(std::fs::symlink_metadata(&etc)
        .unwrap()
        .file_type()
        .is_symlink());
}
