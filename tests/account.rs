//! `liveapid account add` / `remove` as a newcomer meets them: a real user
//! (`useradd`) with a real home becomes an account, `uapi` adds a mailbox
//! to it, and a private Dovecot configured with the README's recipe lets
//! that mailbox log in. Root only (real users, files given to them, Dovecot);
//! without root every test says "skipped" and passes.

#[macro_use]
mod common;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::dovecot::Dovecot;
use common::host::{group_gid, RealUser};

/// A strong password (rated 100), for the mailboxes made here.
const PASSWORD: &str = "Newcomer-First-Hour-77";

/// A scratch host: `root/etc/passwd` lists the users with homes under
/// `home/` (made 0711, theirs, as `useradd -m` would), `root/etc/group` is
/// this machine's (so group `mail` is the real one).
struct ScratchHost {
    dir: tempfile::TempDir,
    users: Vec<RealUser>,
}

impl ScratchHost {
    fn new(tags: &[&str]) -> ScratchHost {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("lvd-account")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(dir.path().join("root/etc")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        let users: Vec<RealUser> = tags.iter().map(|t| RealUser::new(t)).collect();
        let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
        passwd.push_str("daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
        for user in &users {
            let home = dir.path().join("home").join(&user.name);
            std::fs::create_dir(&home).unwrap();
            std::os::unix::fs::chown(&home, Some(user.uid), Some(user.gid)).unwrap();
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o711)).unwrap();
            passwd.push_str(&format!(
                "{}:x:{}:{}::{}:/bin/sh\n",
                user.name,
                user.uid,
                user.gid,
                home.display()
            ));
        }
        std::fs::write(dir.path().join("root/etc/passwd"), passwd).unwrap();
        std::fs::copy("/etc/group", dir.path().join("root/etc/group")).unwrap();
        ScratchHost { dir, users }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn home(&self, user: &RealUser) -> PathBuf {
        self.dir.path().join("home").join(&user.name)
    }

    fn user_file(&self, name: &str) -> PathBuf {
        self.root().join("var/cpanel/users").join(name)
    }

    /// `liveapid account ARGS --root ROOT`.
    fn account(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .arg("account")
            .args(args)
            .arg("--root")
            .arg(self.root())
            .output()
            .unwrap()
    }

    /// `uapi --user=USER --root ROOT --output=json ARGS`: exit code and the
    /// call's `result`.
    fn uapi(&self, user: &RealUser, args: &[&str]) -> (i32, serde_json::Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_uapi"))
            .arg(format!("--user={}", user.name))
            .arg("--root")
            .arg(self.root())
            .arg("--output=json")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains(PASSWORD) && !String::from_utf8_lossy(&out.stderr).contains(PASSWORD),
            "a password in uapi's output"
        );
        let value = serde_json::from_str::<serde_json::Value>(&stdout)
            .map(|v| v["result"].clone())
            .unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), value)
    }

    /// `info@DOMAIN` with [`PASSWORD`], made by the account's own worker
    /// (`uapi` as root with `--user`); it must succeed.
    fn add_info_mailbox(&self, user: &RealUser, domain: &str) {
        common::remember_password(PASSWORD);
        let password = format!("password={PASSWORD}");
        let domain = format!("domain={domain}");
        let (code, result) = self.uapi(
            user,
            &["Email", "add_pop", "email=info", &password, &domain],
        );
        assert_eq!(
            (code, &result["status"]),
            (0, &serde_json::json!(1)),
            "{result}"
        );
    }
}

/// Exit 1 and one line on stderr containing `expected`.
fn assert_refused(out: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(expected), "{stderr:?} lacks {expected:?}");
}

fn assert_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mode_and_owner(path: &Path) -> (u32, u32, u32) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    (meta.mode() & 0o7777, meta.uid(), meta.gid())
}

/// Every path under `dir`, for "nothing made" checks.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn an_added_account_takes_a_mailbox_that_dovecot_accepts_with_the_readme_recipe() {
    needs_root!();
    let host = ScratchHost::new(&["na"]);
    let user = &host.users[0];
    let home = host.home(user);
    let mail = group_gid("mail");
    let stdout = assert_ok(&host.account(&[
        "add",
        "--user",
        &user.name,
        "--domain",
        "shop.example",
        "--domain",
        "Blog.Example",
    ]));
    assert!(stdout.contains("shop.example blog.example"), "{stdout}");

    // The cPanel user file, and the layout cPanel has, with its owners.
    let user_file = host.user_file(&user.name);
    assert_eq!(
        std::fs::read_to_string(&user_file).unwrap(),
        format!("USER={}\nDNS=shop.example\nDNS1=blog.example\n", user.name)
    );
    assert_eq!(mode_and_owner(&user_file), (0o640, 0, user.gid));
    assert_eq!(mode_and_owner(&home.join("etc")), (0o750, user.uid, mail));
    assert_eq!(
        mode_and_owner(&home.join("mail")),
        (0o751, user.uid, user.gid)
    );
    for domain in ["shop.example", "blog.example"] {
        let etc = home.join("etc").join(domain);
        assert_eq!(mode_and_owner(&etc), (0o750, user.uid, mail));
        for file in ["passwd", "shadow", "quota"] {
            assert_eq!(mode_and_owner(&etc.join(file)), (0o640, user.uid, mail));
            assert_eq!(std::fs::read(etc.join(file)).unwrap(), b"");
        }
        assert_eq!(
            mode_and_owner(&home.join("mail").join(domain)),
            (0o751, user.uid, user.gid)
        );
    }

    // A mailbox made by the account's own worker (uapi as root with --user).
    host.add_info_mailbox(user, "blog.example");
    let shadow_path = home.join("etc/blog.example/shadow");
    let shadow = std::fs::read_to_string(&shadow_path).unwrap();
    let hash = shadow
        .lines()
        .find_map(|l| l.strip_prefix("info:"))
        .and_then(|rest| rest.split(':').next())
        .expect("info's shadow line");
    assert!(common::libxcrypt_verifies(PASSWORD, hash));
    assert_eq!(mode_and_owner(&shadow_path), (0o640, user.uid, mail));

    // Dovecot, set up with the README's recipe for this home, lets it in.
    let dovecot = Dovecot::with_readme_recipe(std::slice::from_ref(&home));
    assert!(
        dovecot.auth("info@blog.example", PASSWORD),
        "{}",
        dovecot.log()
    );
    assert!(!dovecot.auth("info@blog.example", "Not-The-Password-1"));
    let session = dovecot.imap_session("info@blog.example", PASSWORD, &["SELECT INBOX"]);
    assert!(
        session.as_deref().is_some_and(|s| s.contains("c1 OK")),
        "{session:?} {}",
        dovecot.log()
    );
}

#[test]
fn add_refuses_non_users_system_users_bad_domains_taken_domains_and_non_root() {
    needs_root!();
    let host = ScratchHost::new(&["ra", "rb"]);
    let (first, second) = (&host.users[0], &host.users[1]);
    let add = |user: &str, domain: &str| host.account(&["add", "--user", user, "--domain", domain]);

    assert_refused(&add("nosuchuser", "a.example"), "is not a system user");
    assert_refused(&add("root", "a.example"), "has uid 0");
    assert_refused(&add("daemon", "a.example"), "has uid 1");
    assert_refused(&add(&first.name, "../etc"), "is not a valid domain name");
    assert_refused(&add("../etc", "a.example"), "not a valid cPanel user name");
    assert!(!host.root().join("var/cpanel/users/nosuchuser").exists());
    assert!(!host.root().join("var/cpanel/users/root").exists());
    assert!(tree(&host.home(first)).is_empty(), "nothing made");

    // A domain belongs to one account only, whatever its case.
    assert_ok(&add(&first.name, "taken.example"));
    let before = tree(&host.home(second));
    assert_refused(
        &add(&second.name, "Taken.Example"),
        &format!("already belongs to the account “{}”", first.name),
    );
    assert!(!host.user_file(&second.name).exists());
    assert_eq!(tree(&host.home(second)), before, "nothing made");

    // The same account again: a new domain is added, the same ones refused.
    assert_refused(
        &add(&first.name, "taken.example"),
        "already has every domain given",
    );
    assert_ok(&add(&first.name, "more.example"));
    assert_eq!(
        std::fs::read_to_string(host.user_file(&first.name)).unwrap(),
        format!(
            "USER={}\nDNS=taken.example\nDNS1=more.example\n",
            first.name
        )
    );
    assert!(host.home(first).join("etc/more.example/shadow").exists());

    // Not root: refused before anything is read.
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args([
            "account",
            "add",
            "--user",
            &second.name,
            "--domain",
            "mine.example",
        ])
        .arg("--root")
        .arg(host.root())
        .uid(second.uid)
        .gid(second.gid)
        .output()
        .unwrap();
    assert_refused(&out, "needs root");
    assert!(!host.user_file(&second.name).exists());
}

#[test]
fn a_planted_etc_symlink_is_refused_with_nothing_written_outside() {
    needs_root!();
    let host = ScratchHost::new(&["sa"]);
    let user = &host.users[0];
    let outside = tempfile::Builder::new()
        .prefix("lvd-outside")
        .tempdir()
        .unwrap();
    std::os::unix::fs::symlink(outside.path(), host.home(user).join("etc")).unwrap();
    let out = host.account(&["add", "--user", &user.name, "--domain", "evil.example"]);
    assert_refused(&out, "leads outside the account's home directory");
    assert!(tree(outside.path()).is_empty(), "nothing written outside");
    assert!(
        !host.user_file(&user.name).exists(),
        "no account made half-way"
    );
    // The link is left as it was, and so is its target's owner.
    assert!(host.home(user).join("etc").is_symlink());
    assert_eq!(mode_and_owner(outside.path()).1, 0);
}

#[test]
fn remove_forgets_the_account_and_keeps_its_mail_unless_asked() {
    needs_root!();
    let host = ScratchHost::new(&["ma"]);
    let user = &host.users[0];
    let home = host.home(user);
    assert_ok(&host.account(&["add", "--user", &user.name, "--domain", "keep.example"]));
    host.add_info_mailbox(user, "keep.example");

    let stdout = assert_ok(&host.account(&["remove", "--user", &user.name]));
    assert!(stdout.contains("removed"), "{stdout}");
    assert!(!host.user_file(&user.name).exists());
    // The account is gone: uapi no longer finds it.
    let (code, _) = host.uapi(user, &["Email", "list_pops"]);
    assert_eq!(code, 1);
    // Its mail and mail files are kept.
    assert!(home.join("mail/keep.example/info/cur").is_dir());
    assert!(
        std::fs::read_to_string(home.join("etc/keep.example/shadow"))
            .unwrap()
            .starts_with("info:")
    );
    assert_refused(
        &host.account(&["remove", "--user", &user.name]),
        "there is no account",
    );

    // Made again (the mail is found again), then removed with its mail.
    assert_ok(&host.account(&["add", "--user", &user.name, "--domain", "keep.example"]));
    let (_, result) = host.uapi(user, &["Email", "list_pops"]);
    assert!(result.to_string().contains("info@keep.example"), "{result}");
    let stdout = assert_ok(&host.account(&["remove", "--user", &user.name, "--delete-mail"]));
    assert!(stdout.contains("deleted"), "{stdout}");
    assert!(!home.join("mail/keep.example").exists());
    assert!(!home.join("etc/keep.example").exists());
    assert!(home.join("etc").is_dir() && home.join("mail").is_dir());
    assert!(home.is_dir(), "the home stays");
}
