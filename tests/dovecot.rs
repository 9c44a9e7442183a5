//! The real consumer: a private Dovecot reads the account's shadow file, and
//! must accept each new password and refuse the old one (docs/email.md §9.10).
//!
//! Passwords are changed through the PHP and Perl shims, as a user's script
//! would. Dovecot's auth process runs as the `dovecot` user, so these tests
//! need root; on a developer machine without it they say so and pass.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::dovecot::{Dovecot, RELOAD_WINDOW};
use common::host::Host;
use common::{Daemon, ScratchAccount, OLD_PASSWORD};

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() == 0 }
}

macro_rules! require_root {
    () => {
        if !is_root() {
            eprintln!(
                "skipped: Dovecot's auth runs as user dovecot, which needs root (CI runs as root)"
            );
            return;
        }
    };
}

/// How the private Dovecot reads the shadow file.
#[derive(Clone, Copy, PartialEq)]
enum Passdb {
    /// Stock `passwd-file` on `~/etc/%d/shadow`, as a non-cPanel host runs
    /// it. Dovecot never caches passwd-file lookups.
    PasswdFile,
    /// A lookup that hands Dovecot the hash from the same file, with the auth
    /// cache on: the stand-in for cPanel's cpdoveauthd, whose answers Dovecot
    /// caches (passwd-file lookups are never cached).
    CachedLookup,
}

/// The cached passdb: a Lua lookup that returns the stored hash from
/// `~/etc/<domain>/shadow` and lets Dovecot verify and cache it.
const LUA_PASSDB: &str = r#"
local home = "HOME_PLACEHOLDER"
function auth_passdb_lookup(req)
  local f = io.open(home .. "/etc/" .. req.domain .. "/shadow", "r")
  if f == nil then return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "no such domain" end
  for line in f:lines() do
    local name, hash = line:match("^([^:]*):([^:]*)")
    if name == req.username then
      f:close()
      return dovecot.auth.PASSDB_RESULT_OK, "password={CRYPT}" .. hash
    end
  end
  f:close()
  return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "no such user"
end
"#;

/// A private Dovecot reading `account`'s files the way `passdb` says, its
/// mail services running as `nobody`.
fn start_dovecot(account: &ScratchAccount, passdb: Passdb) -> Dovecot {
    let home = account.home().display().to_string();
    Dovecot::start(|dir| {
        let (cache, passdb) = match passdb {
            Passdb::PasswdFile => (
                "auth_cache_size = 0\n".to_owned(),
                format!("driver = passwd-file\n  args = scheme=CRYPT username_format=%n {home}/etc/%d/shadow"),
            ),
            Passdb::CachedLookup => {
                let script = dir.join("passdb.lua");
                std::fs::write(&script, LUA_PASSDB.replace("HOME_PLACEHOLDER", &home)).unwrap();
                (
                    "auth_cache_size = 1M\nauth_cache_ttl = 1 hour\nauth_cache_negative_ttl = 0\n".to_owned(),
                    format!("driver = lua\n  args = file={} blocking=yes cache_key=%u", script.display()),
                )
            }
        };
        format!(
            "{cache}first_valid_uid = 65534\nlast_valid_uid = 65534\nmail_location = maildir:~/Maildir\n\
             passdb {{\n  {passdb}\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={}/mail/%d/%n\n}}\n",
            dir.display()
        )
    })
}

/// A scratch account Dovecot's `dovecot` user can read.
fn readable_account() -> ScratchAccount {
    let account = ScratchAccount::new(&["--group", "dovecot"]);
    use std::os::unix::fs::PermissionsExt;
    for dir in [
        account.dir.path().to_owned(),
        account.dir.path().join("home"),
        account.home(),
    ] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    account
}

enum Shim {
    Php,
    Perl,
}

/// Changes a password the way a user's script does, through a shim.
fn change_password(shim: Shim, socket: &Path, email: &str, password: &str) {
    let result = shim_call(
        shim,
        socket,
        "passwd_pop",
        serde_json::json!({"email": email, "password": password}),
    );
    assert_eq!(
        result["status"], 1,
        "the shim's passwd_pop failed for {email}: {result}"
    );
}

#[test]
fn dovecot_accepts_the_new_password_and_refuses_the_old_through_both_shims() {
    require_root!();
    let account = readable_account();
    let dovecot = start_dovecot(&account, Passdb::PasswdFile);
    let daemon = Daemon::serve(&account, &[]);
    assert!(
        dovecot.auth("user@example.com", OLD_PASSWORD),
        "{}",
        dovecot.log()
    );

    change_password(
        Shim::Php,
        &daemon.socket,
        "user@example.com",
        "Php-Changed-Pass-1",
    );
    std::thread::sleep(RELOAD_WINDOW);
    assert!(
        dovecot.auth("user@example.com", "Php-Changed-Pass-1"),
        "{}",
        dovecot.log()
    );
    assert!(!dovecot.auth("user@example.com", OLD_PASSWORD));
    assert!(dovecot.imap_login("user@example.com", "Php-Changed-Pass-1"));
    assert!(!dovecot.imap_login("user@example.com", OLD_PASSWORD));

    change_password(
        Shim::Perl,
        &daemon.socket,
        "alice@example.net",
        "Perl-Changed-Pass-2",
    );
    std::thread::sleep(RELOAD_WINDOW);
    assert!(dovecot.auth("alice@example.net", "Perl-Changed-Pass-2"));
    assert!(!dovecot.auth("alice@example.net", OLD_PASSWORD));
    assert!(dovecot.imap_login("alice@example.net", "Perl-Changed-Pass-2"));
    // The other mailboxes are untouched.
    assert!(dovecot.auth("bob@example.com", OLD_PASSWORD));
}

#[test]
fn two_changes_within_one_second_end_on_the_second_password() {
    require_root!();
    let account = readable_account();
    let dovecot = start_dovecot(&account, Passdb::PasswdFile);
    let daemon = Daemon::serve(&account, &[]);
    // Start just after a second boundary, so all steps share one second.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    std::thread::sleep(
        Duration::from_nanos(1_000_000_000 - u64::from(now.subsec_nanos()))
            + Duration::from_millis(10),
    );
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut client = daemon.connect();
    let set = |client: &mut common::Client, pw: &str| {
        let reply = client.uapi(
            "Email",
            "passwd_pop",
            serde_json::json!({"email": "user", "password": pw}),
        );
        assert_eq!(common::status_and_errors(&reply), (1, vec![]));
    };
    set(&mut client, "First-Second-Pass-1");
    // Dovecot loads the first version now, within the same second...
    assert!(dovecot.auth("user@example.com", "First-Second-Pass-1"));
    // ...and the second change keeps the file size.
    set(&mut client, "Second-Second-Pass-2");
    let ended = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        started, ended,
        "the steps must share one second for this test to mean anything"
    );
    std::thread::sleep(RELOAD_WINDOW * 2);
    assert!(
        dovecot.auth("user@example.com", "Second-Second-Pass-2"),
        "{}",
        dovecot.log()
    );
    assert!(!dovecot.auth("user@example.com", "First-Second-Pass-1"));
}

#[test]
fn a_suspended_mailbox_stays_refused_after_a_password_change() {
    require_root!();
    let account = readable_account();
    let shadow = account.etc("example.com").join("shadow");
    let text = account
        .shadow("example.com")
        .replacen("alice:$6$", "alice:!!$6$", 1);
    std::fs::write(&shadow, text).unwrap();
    let dovecot = start_dovecot(&account, Passdb::PasswdFile);
    let daemon = Daemon::serve(&account, &[]);
    assert!(!dovecot.auth("alice@example.com", OLD_PASSWORD));
    change_password(Shim::Php, &daemon.socket, "alice", "Suspended-New-Pass-3");
    std::thread::sleep(RELOAD_WINDOW);
    assert!(!dovecot.auth("alice@example.com", "Suspended-New-Pass-3"));
    assert!(!dovecot.imap_login("alice@example.com", "Suspended-New-Pass-3"));
    assert!(!dovecot.auth("alice@example.com", OLD_PASSWORD));
    assert!(account.hash_of("alice", "example.com").starts_with("!!$6$"));
    // Unsuspended by hand, the new password is the one that works.
    let text = account
        .shadow("example.com")
        .replacen("alice:!!$6$", "alice:$6$", 1);
    std::fs::write(&shadow, text).unwrap();
    std::thread::sleep(RELOAD_WINDOW);
    assert!(dovecot.auth("alice@example.com", "Suspended-New-Pass-3"));
}

#[test]
fn with_the_auth_cache_on_the_after_change_flush_retires_the_old_password() {
    require_root!();
    let account = readable_account();
    let dovecot = start_dovecot(&account, Passdb::CachedLookup);

    // Without the action the cache keeps the old password alive.
    let plain_socket = account.dir.path().join("plain.sock");
    let plain = Daemon::serve_at(&account, &plain_socket, &account.home(), &[]);
    assert!(dovecot.auth("bob@example.com", OLD_PASSWORD)); // now cached
    change_password(Shim::Perl, &plain.socket, "bob", "Uncached-New-Pass-4");
    std::thread::sleep(RELOAD_WINDOW);
    assert!(
        dovecot.auth("bob@example.com", OLD_PASSWORD),
        "the cache is on: the old password still works"
    );
    drop(plain);

    // With it, the old password is refused at once.
    let flush = dovecot.flush_cache_command();
    let daemon = Daemon::serve(&account, &["--after-password-change", &flush]);
    assert!(dovecot.auth("user@example.com", OLD_PASSWORD)); // cached
    change_password(Shim::Php, &daemon.socket, "user", "Flushed-New-Pass-5");
    std::thread::sleep(RELOAD_WINDOW);
    assert!(
        !dovecot.auth("user@example.com", OLD_PASSWORD),
        "{}",
        dovecot.log()
    );
    assert!(dovecot.auth("user@example.com", "Flushed-New-Pass-5"));
    let output = daemon.output();
    assert!(!output.contains("Flushed-New-Pass-5"));
}

#[test]
fn a_failing_after_change_action_is_a_warning_and_the_change_stands() {
    // Needs no Dovecot: the action is just a command that fails.
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(
        &account,
        &[
            "--after-password-change",
            "false %u",
            "--after-change-timeout",
            "5",
        ],
    );
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        serde_json::json!({"email": "user", "password": "Warned-Pass-6x"}),
    );
    assert_eq!(reply["result"]["status"], 1);
    let warnings = reply["result"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.contains("user@example.com") && !w.contains("“false”"),
        "the account is told, the operator's log has the details: {w}"
    );
    assert!(daemon.output().contains("“false” exited with"));
    assert!(!w.contains("Warned-Pass-6x"));
    assert!(common::libxcrypt_verifies(
        "Warned-Pass-6x",
        &account.hash_of("user", "example.com")
    ));
    // A command that hangs is cut off by the timeout.
    drop(daemon);
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(
        &account,
        &[
            "--after-password-change",
            "sleep 30",
            "--after-change-timeout",
            "0.3",
        ],
    );
    let started = Instant::now();
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        serde_json::json!({"email": "user", "password": "Timed-Out-Pass-7"}),
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(reply["result"]["status"], 1);
    assert!(reply["result"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("after-change action"));
    assert!(daemon.output().contains("did not finish"));
}

/// A UAPI `Email` call through a shim; the `result` object. Arguments (and
/// so passwords) reach the script through its environment.
fn shim_call(shim: Shim, socket: &Path, func: &str, args: serde_json::Value) -> serde_json::Value {
    common::remember_passwords(&args);
    let repo = common::repo();
    let mut command = match shim {
        Shim::Php => {
            let mut c = Command::new("php");
            c.arg("-r").arg(format!(
                "require {:?}; $c = new CPANEL(); $r = $c->uapi('Email', getenv('FN'), json_decode(getenv('ARGS'), true)); $c->end(); echo json_encode($r['cpanelresult']['result']);",
                repo.join("bindings/php/cpanel.php").display().to_string()
            ));
            c
        }
        Shim::Perl => {
            let mut c = Command::new("perl");
            c.arg("-I").arg(repo.join("bindings/perl/lib")).args([
                "-MCpanel::LiveAPI",
                "-MJSON::PP",
                "-e",
                "my $c = Cpanel::LiveAPI->new(); my $r = $c->uapi('Email', $ENV{FN}, JSON::PP->new->decode($ENV{ARGS})); $c->end(); print JSON::PP->new->canonical->encode($r->{cpanelresult}{result});",
            ]);
            c
        }
    };
    let out = command
        .env("CPANEL_CONNECT_SOCKET", socket)
        .env("CPANEL_PHPCONNECT_SOCKET", socket)
        .env("FN", func)
        .env("ARGS", args.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{func}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{func}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_mailbox_lifecycle_through_both_shims_as_dovecot_sees_it() {
    require_root!();
    let account = readable_account();
    let dovecot = start_dovecot(&account, Passdb::PasswdFile);
    let daemon = Daemon::serve(&account, &[]);
    let s = &daemon.socket;
    let ok = |r: serde_json::Value| {
        assert_eq!(r["status"], 1, "{r}");
        r["data"].clone()
    };
    let addr = "newbox@example.com";

    assert_eq!(
        ok(shim_call(
            Shim::Php,
            s,
            "add_pop",
            serde_json::json!({"email": "newbox", "domain": "example.com", "password": "Lifecycle-First-1", "quota": 100})
        )),
        "newbox+example.com"
    );
    std::thread::sleep(RELOAD_WINDOW);
    assert!(
        dovecot.imap_login(addr, "Lifecycle-First-1"),
        "{}",
        dovecot.log()
    );

    ok(shim_call(
        Shim::Perl,
        s,
        "passwd_pop",
        serde_json::json!({"email": addr, "password": "Lifecycle-Second-2"}),
    ));
    std::thread::sleep(RELOAD_WINDOW);
    assert!(dovecot.auth(addr, "Lifecycle-Second-2"));
    assert!(!dovecot.auth(addr, "Lifecycle-First-1"));

    assert_eq!(
        ok(shim_call(
            Shim::Php,
            s,
            "verify_password",
            serde_json::json!({"email": addr, "password": "Lifecycle-Second-2"})
        )),
        1
    );
    assert_eq!(
        ok(shim_call(
            Shim::Perl,
            s,
            "verify_password",
            serde_json::json!({"email": addr, "password": "Lifecycle-First-1"})
        )),
        0
    );

    ok(shim_call(
        Shim::Perl,
        s,
        "suspend_login",
        serde_json::json!({"email": addr}),
    ));
    std::thread::sleep(RELOAD_WINDOW);
    assert!(!dovecot.auth(addr, "Lifecycle-Second-2"), "suspended");
    ok(shim_call(
        Shim::Php,
        s,
        "unsuspend_login",
        serde_json::json!({"email": addr}),
    ));
    std::thread::sleep(RELOAD_WINDOW);
    assert!(dovecot.auth(addr, "Lifecycle-Second-2"), "unsuspended");

    ok(shim_call(
        Shim::Perl,
        s,
        "edit_pop_quota",
        serde_json::json!({"email": "newbox", "domain": "example.com", "quota": 300}),
    ));
    assert_eq!(
        ok(shim_call(
            Shim::Php,
            s,
            "get_pop_quota",
            serde_json::json!({"email": "newbox", "domain": "example.com"})
        )),
        300
    );
    let listed = ok(shim_call(
        Shim::Php,
        s,
        "list_pops",
        serde_json::json!({"regex": "^newbox@"}),
    ));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    ok(shim_call(
        Shim::Perl,
        s,
        "delete_pop",
        serde_json::json!({"email": addr}),
    ));
    for f in ["passwd", "shadow", "quota"] {
        let text = std::fs::read_to_string(account.etc("example.com").join(f)).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("newbox:")), "{f}");
    }
    assert!(!account.home().join("mail/example.com/newbox").exists());
    std::thread::sleep(RELOAD_WINDOW);
    assert!(!dovecot.auth(addr, "Lifecycle-Second-2"), "deleted");
    let refused = shim_call(
        Shim::Php,
        s,
        "verify_password",
        serde_json::json!({"email": addr, "password": "Lifecycle-Second-2"}),
    );
    assert_eq!(
        refused["errors"][0],
        "You do not have an email account named “newbox@example.com”."
    );
}

#[test]
fn dovecot_accepts_a_password_changed_over_https_by_the_roundcube_request() {
    require_root!();
    let account = readable_account();
    let dovecot = start_dovecot(&account, Passdb::PasswdFile);
    let daemon = Daemon::serve(&account, &["--https", "127.0.0.1:0"]);
    let port = common::https::port_in_log(|| daemon.output());
    let new = "Https-Changed-Pass-3";
    common::remember_password(new);
    // The request of Roundcube's cPanel driver (see tests/https.rs).
    let answer = common::https::request(
        port,
        "/execute/Email/passwd_pop",
        &common::https::Call {
            form: Some("email=user&password=Https-Changed-Pass-3"),
            basic: Some(("user@example.com", OLD_PASSWORD)),
            ..Default::default()
        },
    );
    assert_eq!(answer.json()["status"], 1, "{}", answer.text);
    std::thread::sleep(RELOAD_WINDOW);
    assert!(dovecot.auth("user@example.com", new), "{}", dovecot.log());
    assert!(!dovecot.auth("user@example.com", OLD_PASSWORD));
    assert!(dovecot.imap_login("user@example.com", new));
}

/// The README's recipe, copied as a reader copies it (only `/home/bob`
/// replaced), serving two real accounts laid out as cPanel lays them out:
/// homes 0711, `~/etc` and `~/etc/<domain>` 0750 and the files 0640, all
/// owner:mail. Dovecot's auth process runs as `dovecot`, which is not in
/// group `mail`, so it reads these files only through the recipe's
/// `extra_groups = mail`.
#[test]
fn the_readme_recipe_serves_two_accounts_laid_out_as_cpanel_has_them() {
    require_root!();
    let host = Host::with_domains(&[("ra", "example.com"), ("rb", "example.org,example.net")]);
    let mail = common::host::group_gid("mail");
    for (user, domain) in host.users.iter().zip(["example.com", "example.org"]) {
        let home = host.home(user);
        let etc = home.join("etc");
        // The layout this test is about; without it the recipe's group would not matter.
        assert_eq!(mode_and_owner(&home).0, 0o711);
        assert_eq!(mode_and_owner(&etc), (0o750, user.uid, mail));
        assert_eq!(mode_and_owner(&etc.join(domain)), (0o750, user.uid, mail));
        assert_eq!(
            mode_and_owner(&etc.join(domain).join("shadow")),
            (0o640, user.uid, mail)
        );
    }
    let homes: Vec<_> = host.users.iter().map(|u| host.home(u)).collect();
    let dovecot = Dovecot::with_readme_recipe(&homes);
    let _supervisor = host.serve();
    let changes = [
        (&host.users[0], "user@example.com", "Recipe-First-Acct-41"),
        (&host.users[1], "alice@example.org", "Recipe-Second-Acct-42"),
    ];
    for (user, address, new) in changes {
        assert!(dovecot.auth(address, OLD_PASSWORD), "{}", dovecot.log());
        common::Client::connect(&host.socket(user)).email_ok(
            "passwd_pop",
            serde_json::json!({"email": address, "password": new}),
        );
    }
    std::thread::sleep(RELOAD_WINDOW);
    for (_, address, new) in changes {
        assert!(dovecot.auth(address, new), "{address}: {}", dovecot.log());
        assert!(!dovecot.auth(address, OLD_PASSWORD), "{address}");
        // A mail client's login: passdb, userdb and the Maildir as the account.
        let selected = dovecot.imap_session(address, new, &["SELECT INBOX"]);
        assert!(
            selected.as_deref().is_some_and(|s| s.contains("c1 OK")),
            "{address}: {selected:?} {}",
            dovecot.log()
        );
    }
    // The second account's other domain, untouched; a domain nobody has, unknown.
    assert!(dovecot.auth("bob@example.net", OLD_PASSWORD));
    assert!(!dovecot.auth("user@example.invalid", OLD_PASSWORD));
    // The recipe's userdb: each mailbox's Maildir in its own account's home.
    assert_eq!(
        dovecot.userdb_field("alice@example.org", "home"),
        Some(
            homes[1]
                .join("mail/example.org/alice")
                .display()
                .to_string()
        ),
        "{}",
        dovecot.log()
    );
}

fn mode_and_owner(path: &Path) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).unwrap();
    (meta.mode() & 0o7777, meta.uid(), meta.gid())
}
