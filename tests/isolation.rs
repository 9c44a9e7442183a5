//! Safe on a multi-account server (issue 9): run as root, liveapid serves
//! each account from its own unprivileged worker; a peer of another uid is
//! refused whatever the socket's mode; a worker that dies comes back;
//! SIGTERM ends them all; `liveapid run --user` runs the script as the
//! account; unfit socket directories are refused; root's supervisor and
//! HTTPS front end hold no descriptor under any home (issue 20).
//!
//! These tests make real users with `useradd` (removed again with
//! `userdel`), so they need root. Without root each says "skipped" and why.

#[macro_use]
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::host::{ids, signal, wait_until, Host};
use common::{libxcrypt_verifies, parse_frame, status_and_errors, Client};
use serde_json::json;

fn mail_gid() -> u32 {
    let group = std::fs::read_to_string("/etc/group").unwrap();
    liveapid::account::group_gid(&group, "mail").expect("a mail group")
}

/// One raw LiveAPI exchange made by a process running as `uid`/`gid`
/// (system Perl, no file of the repository needed): the bytes it read.
fn exchange_as(uid: u32, gid: u32, socket: &Path, payload: &str) -> String {
    let script = r#"
use IO::Socket::UNIX;
$SIG{PIPE} = "IGNORE"; # a refused peer may be closed on before it writes
my $s = IO::Socket::UNIX->new(Peer => $ENV{SOCK}) or die "connect: $!\n";
my $p = $ENV{PAYLOAD};
print {$s} length($p) . "\n" . $p;
$s->flush;
my $r = '';
while (1) { my $n = sysread($s, $r, 65536, length $r); last if !$n; last if $r =~ m{</cpanelresult>\n\z} && $p ne 'x-wait-eof'; }
print $r;
"#;
    let out = Command::new("perl")
        .args(["-e", script])
        .env("SOCK", socket)
        .env("PAYLOAD", payload)
        .uid(uid)
        .gid(gid)
        .current_dir("/")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client as uid {uid}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn each_account_is_served_by_its_own_unprivileged_worker_on_its_own_socket() {
    needs_root!();
    let host = Host::new(&["a", "b"]);
    let daemon = host.serve();
    let mail = mail_gid();
    let socket_dir = std::fs::metadata(host.socket_dir()).unwrap();
    assert_eq!((socket_dir.uid(), socket_dir.mode() & 0o022), (0, 0));
    let mut workers = Vec::new();
    for user in &host.users {
        let socket = std::fs::metadata(host.socket(user)).unwrap();
        assert_eq!(
            (socket.uid(), socket.gid(), socket.mode() & 0o777),
            (user.uid, user.gid, 0o600),
            "{}'s socket",
            user.name
        );
        let pid = daemon.worker_of(user).expect("a worker");
        let (uids, gids, groups) = ids(pid).unwrap();
        assert_eq!(uids, [user.uid; 4], "real, effective, saved, fs uid");
        assert_eq!(gids, [user.gid; 4]);
        assert_eq!(groups, vec![mail], "only the mail files' group");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert!(status.contains("NoNewPrivs:\t1"), "{status}");
        // A non-dumpable process's /proc files belong to root: its owner
        // cannot ptrace it or read its memory.
        let proc_owner = std::fs::metadata(format!("/proc/{pid}/mem")).unwrap().uid();
        assert_eq!(proc_owner, 0, "worker {pid} is not dumpable");
        workers.push(pid);
    }
    assert_ne!(workers[0], workers[1], "one worker per account");
    assert!(daemon.log().contains("worker started"));
}

#[test]
fn a_root_started_daemon_changes_a_password_and_the_shadow_file_stays_the_accounts() {
    needs_root!();
    let host = Host::new(&["p"]);
    let user = &host.users[0];
    let _daemon = host.serve();
    let before = std::fs::metadata(host.shadow_path(user)).unwrap();
    assert_eq!((before.uid(), before.gid()), (user.uid, mail_gid()));
    // Root may connect to any account's socket (the HTTPS front end will).
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "domain": "example.com", "password": "Worker-Changed-It-77"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    let after = std::fs::metadata(host.shadow_path(user)).unwrap();
    assert_eq!(
        (after.uid(), after.gid(), after.mode() & 0o7777),
        (user.uid, mail_gid(), before.mode() & 0o7777),
        "owner, group and mode kept"
    );
    assert!(libxcrypt_verifies(
        "Worker-Changed-It-77",
        &host.hash_of(user, "user")
    ));
    // The account's own scripts connect as the account.
    let payload = r#"<cpanelaction>{"module":"Email","func":"verify_password","apiversion":3,"args":{"email":"user@example.com","password":"Worker-Changed-It-77"}}</cpanelaction>"#;
    let reply = exchange_as(user.uid, user.gid, &host.socket(user), payload);
    assert_eq!(
        parse_frame(reply.as_bytes())["result"]["data"],
        1,
        "{reply}"
    );
}

#[test]
fn a_peer_of_another_uid_is_refused_even_when_the_socket_is_opened_up() {
    needs_root!();
    let host = Host::new(&["x", "y"]);
    let (owner, other) = (&host.users[0], &host.users[1]);
    let daemon = host.serve();
    let socket = host.socket(owner);
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let hash_before = host.hash_of(owner, "user");
    let payload = r#"<cpanelaction>{"module":"Email","func":"passwd_pop","apiversion":3,"args":{"email":"user@example.com","password":"Stolen-Account-Pass-1"}}</cpanelaction>"#;
    let reply = exchange_as(other.uid, other.gid, &socket, payload);
    let frame = parse_frame(reply.as_bytes());
    assert_eq!(frame["session"], "closed", "{reply}");
    assert!(
        frame["error"]
            .as_str()
            .unwrap()
            .contains("serves one account"),
        "{reply}"
    );
    assert_eq!(host.hash_of(owner, "user"), hash_before, "nothing changed");
    wait_until(
        || daemon.log().contains(&format!("peer_uid={}", other.uid)),
        "the refusal is logged with the peer's uid",
    );
    let log = daemon.log();
    assert!(log.contains("peer_pid="), "{log}");
}

#[test]
fn a_killed_worker_is_restarted_and_serves_again() {
    needs_root!();
    let host = Host::new(&["k"]);
    let user = &host.users[0];
    let daemon = host.serve();
    let first = daemon.worker_of(user).unwrap();
    signal(first, rustix::process::Signal::KILL);
    wait_until(
        || daemon.worker_of(user).is_some_and(|pid| pid != first),
        "a new worker",
    );
    let second = daemon.worker_of(user).unwrap();
    assert_eq!(ids(second).unwrap().0, [user.uid; 4]);
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "alice", "domain": "example.com", "password": "After-Restart-Pass-5"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    let log = daemon.log();
    let line = log
        .lines()
        .find(|l| l.contains("restarting it"))
        .unwrap_or_else(|| panic!("{log}"));
    // In words, not Rust's debug form of an exit status.
    assert!(line.contains("signal: 9 (SIGKILL)"), "{line}");
    assert!(
        !log.contains("Some(") && !log.contains("ExitStatus("),
        "{log}"
    );
}

#[test]
fn sigterm_ends_every_worker_and_removes_every_socket() {
    needs_root!();
    let host = Host::new(&["s", "t"]);
    let mut daemon = host.serve();
    let workers: Vec<u32> = host
        .users
        .iter()
        .map(|u| daemon.worker_of(u).unwrap())
        .collect();
    let status = daemon.terminate();
    assert_eq!(status.code(), Some(0), "{status}");
    for pid in workers {
        assert!(ids(pid).is_none(), "worker {pid} still running");
    }
    for user in &host.users {
        assert!(
            !host.socket(user).exists(),
            "{}'s socket removed",
            user.name
        );
    }
}

#[test]
fn a_worker_exits_when_its_supervisor_is_killed() {
    needs_root!();
    let host = Host::new(&["w"]);
    let mut daemon = host.serve();
    let worker = daemon.worker_of(&host.users[0]).unwrap();
    let mut child = daemon.child.take().unwrap();
    signal(child.id(), rustix::process::Signal::KILL);
    child.wait().unwrap();
    wait_until(|| ids(worker).is_none(), "the orphaned worker stops");
}

/// The attack of the issue, with a real account: bob's `~/etc/example.org`
/// points at a root-owned directory holding a `root` line. The worker runs
/// as bob (who cannot write there) and the handle on his home refuses the
/// link anyway: nothing outside changes.
#[test]
fn a_symlinked_domain_directory_to_root_owned_files_is_refused() {
    needs_root!();
    let host = Host::new(&["e"]);
    let user = &host.users[0];
    let (target, shadow, passwd) = host.plant_root_files_as_domain(user);
    let _daemon = host.serve();
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "root@example.org", "password": "Owned-The-Root-Line-1"}),
    );
    let (status, errors) = status_and_errors(&reply);
    assert_eq!(status, 0, "{reply}");
    assert!(errors[0].contains("etc/example.org"), "{errors:?}");
    let reply = client.uapi(
        "Email",
        "add_pop",
        json!({"email": "evil@example.org", "password": "Owned-The-Root-Line-2"}),
    );
    assert_eq!(status_and_errors(&reply).0, 0, "{reply}");
    assert_eq!(
        std::fs::read_to_string(target.join("shadow")).unwrap(),
        shadow
    );
    assert_eq!(
        std::fs::read_to_string(target.join("passwd")).unwrap(),
        passwd
    );
}

/// The other attack of the issue, with a real account: `~/mail/example.com`
/// points at another mail directory outside the home (one with a `user/`
/// Maildir); `delete_pop user@example.com` must not delete that `user/`,
/// nor drop the mailbox's lines.
#[test]
fn a_symlinked_mail_directory_cannot_make_delete_pop_delete_outside() {
    needs_root!();
    let host = Host::new(&["v"]);
    let user = &host.users[0];
    let elsewhere = host.dir.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("user/cur")).unwrap();
    std::fs::write(elsewhere.join("user/cur/1.mail"), "precious").unwrap();
    let mail = host.home(user).join("mail/example.com");
    std::fs::rename(&mail, host.dir.path().join("moved-away")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &mail).unwrap();
    let passwd_before = std::fs::read(host.home(user).join("etc/example.com/passwd")).unwrap();
    let _daemon = host.serve();
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi("Email", "delete_pop", json!({"email": "user@example.com"}));
    let (status, errors) = status_and_errors(&reply);
    assert_eq!(status, 0, "{reply}");
    assert!(errors[0].contains("mail/example.com"), "{errors:?}");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("user/cur/1.mail")).unwrap(),
        "precious"
    );
    assert_eq!(
        std::fs::read(host.home(user).join("etc/example.com/passwd")).unwrap(),
        passwd_before,
        "the mailbox's lines stay"
    );
}

/// `liveapid run --user A SCRIPT` started by root runs the script as A:
/// uid, gid and groups, `HOME`, and the socket variables.
#[test]
fn run_as_root_runs_the_script_as_the_account() {
    needs_root!();
    let host = Host::new(&["r"]);
    let user = &host.users[0];
    let script = host.dir.path().join("whoami.live.pl");
    std::fs::write(
        &script,
        r#"use IO::Socket::UNIX;
open my $st, '<', '/proc/self/status' or die;
my ($uid) = map { /^Uid:\s+(.*)$/ ? $1 : () } <$st>;
my $s = IO::Socket::UNIX->new(Peer => $ENV{CPANEL_CONNECT_SOCKET}) or die "connect: $!\n";
my $p = '<cpanelaction>{"module":"Email","func":"count_pops","apiversion":3}</cpanelaction>';
print {$s} length($p) . "\n" . $p; $s->flush;
my $r = ''; while ($r !~ m{</cpanelresult>\n\z}) { sysread($s, $r, 65536, length $r) or die "eof\n" }
print "uid=$uid\nhome=$ENV{HOME}\ngroups=$)\nreply=$r";
exit 3;
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", &user.name, "--root"])
        .arg(host.root())
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let u = user.uid;
    assert!(
        stdout.contains(&format!("uid={u}\t{u}\t{u}\t{u}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("home={}\n", host.home(user).display())),
        "{stdout}"
    );
    assert!(stdout.contains("\"status\":1"), "{stdout}");
    let groups = stdout
        .lines()
        .find_map(|l| l.strip_prefix("groups="))
        .unwrap();
    assert!(
        !groups.split(' ').any(|g| g == "0"),
        "no root group: {groups}"
    );
}

/// The socket's directory must be a real directory only its owner can
/// write: an open one (another user could swap the socket and collect the
/// passwords scripts send) is refused at start-up, in one line.
#[test]
fn an_open_socket_directory_is_refused_at_start_up() {
    needs_root!();
    let host = Host::new(&["d"]);
    let open = host.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["serve", "--user", &host.users[0].name, "--root"])
        .arg(host.root())
        .arg("--socket-dir")
        .arg(&open)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("writable by other users (mode 0777)"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(
        std::fs::read_dir(&open).unwrap().count(),
        0,
        "nothing bound"
    );
}

/// Without root and without `XDG_RUNTIME_DIR`, liveapid does not guess a
/// shared place such as `/tmp/liveapid-UID` (another user could create it
/// first): it asks for `--socket`. A directory another user made is refused.
#[test]
fn a_non_root_daemon_never_guesses_a_socket_directory() {
    needs_root!();
    let host = Host::new(&["n", "m"]);
    let (user, squatter) = (&host.users[0], &host.users[1]);
    // The test binary's directory may be closed to other users: use a copy.
    let bin = host.dir.path().join("liveapid");
    std::fs::copy(env!("CARGO_BIN_EXE_liveapid"), &bin).unwrap();
    let run_as = |uid: u32, gid: u32, extra: &[&str]| {
        Command::new(&bin)
            .args(["serve", "--user", &user.name, "--root"])
            .arg(host.root())
            .args(extra)
            .env_remove("XDG_RUNTIME_DIR")
            .uid(uid)
            .gid(gid)
            .current_dir("/")
            .output()
            .unwrap()
    };
    let out = run_as(user.uid, user.gid, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("XDG_RUNTIME_DIR") && stderr.contains("--socket"),
        "{stderr}"
    );
    // A directory the squatter made for the user's daemon.
    let trap = host.dir.path().join("trap");
    std::fs::create_dir(&trap).unwrap();
    std::os::unix::fs::chown(&trap, Some(squatter.uid), Some(squatter.gid)).unwrap();
    std::fs::set_permissions(&trap, std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = trap.join("live.sock");
    let out = run_as(user.uid, user.gid, &["--socket", socket.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("belongs to uid {}", squatter.uid)),
        "{stderr}"
    );
    assert!(!socket.exists());
}

/// The worker makes what cPanel makes: a new domain's `~/etc/<domain>` and
/// its files belong to the account and to group `mail` (so Dovecot can read
/// them), and the Maildir to the account.
#[test]
fn what_a_worker_creates_belongs_to_the_account_and_group_mail() {
    needs_root!();
    let host = Host::new(&["c"]);
    let user = &host.users[0];
    let cpuser = host.root().join(format!("var/cpanel/users/{}", user.name));
    let mut text = std::fs::read_to_string(&cpuser).unwrap();
    text.push_str("DNS7=example.info\n");
    std::fs::write(&cpuser, text).unwrap();
    let _daemon = host.serve();
    let mut client = Client::connect(&host.socket(user));
    client.email_ok(
        "add_pop",
        json!({"email": "new@example.info", "password": "Fresh-Domain-Pass-3"}),
    );
    let etc = host.home(user).join("etc/example.info");
    for path in [
        etc.clone(),
        etc.join("passwd"),
        etc.join("shadow"),
        etc.join("quota"),
    ] {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (user.uid, mail_gid()),
            "{}",
            path.display()
        );
    }
    let maildir = std::fs::metadata(host.home(user).join("mail/example.info/new")).unwrap();
    assert_eq!(maildir.uid(), user.uid);
}

/// The after-change action needs root (`doveadm auth cache flush`): the
/// supervisor runs it, given only the address, and its failure comes back
/// as the call's warning while the change stands.
#[test]
fn the_supervisor_runs_the_after_change_action_as_root_with_the_address_only() {
    needs_root!();
    let host = Host::new(&["f"]);
    let user = &host.users[0];
    let record = host.dir.path().join("flushed");
    let action = host.dir.path().join("flush.sh");
    std::fs::write(
        &action,
        format!(
            "#!/bin/sh\necho \"$(id -u) $*\" >> {}\n[ \"$1\" != fail@example.com ]\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&action, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _daemon = host.start(&[
        "--user".to_owned(),
        user.name.clone(),
        "--after-password-change".to_owned(),
        format!("{} %u", action.display()),
    ]);
    let mut client = Client::connect(&host.socket(user));
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user@example.com", "password": "Flushed-By-Root-11"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]), "{reply}");
    let text = std::fs::read_to_string(&record).unwrap();
    assert_eq!(
        text, "0 user@example.com\n",
        "run as root, with the address only"
    );
    client.email_ok(
        "add_pop",
        json!({"email": "fail@example.com", "password": "Failing-Flush-Pass-12"}),
    );
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "fail@example.com", "password": "Failing-Flush-Pass-13"}),
    );
    assert_eq!(reply["result"]["status"], 1, "{reply}");
    let warning = reply["result"]["warnings"][0].as_str().unwrap();
    assert!(warning.contains("after-change action"), "{warning}");
    assert!(libxcrypt_verifies(
        "Failing-Flush-Pass-13",
        &host.hash_of(user, "fail")
    ));
}

/// `--all` serves every account in `ROOT/var/cpanel/users/`.
#[test]
fn all_serves_every_account_of_the_host() {
    needs_root!();
    let host = Host::new(&["g", "h"]);
    let _daemon = host.start(&["--all".to_owned()]);
    for user in &host.users {
        let mut client = Client::connect(&host.socket(user));
        let reply = client.uapi("Email", "count_pops", json!({}));
        assert_eq!(reply["result"]["data"], 6, "{reply}");
    }
}

/// A worker keeps what it parsed of the root-only host files it gets from
/// its supervisor, and sees at once when the panel replaces one (issue 12).
#[test]
fn a_worker_sees_the_panel_change_the_accounts_files_at_once() {
    needs_root!();
    let host = Host::new(&["c"]);
    let user = &host.users[0];
    let daemon = host.serve();
    let mut client = Client::connect(&host.socket(user));
    let count = |client: &mut Client| {
        client.uapi("Email", "count_pops", json!({}))["result"]["data"].clone()
    };
    assert_eq!(count(&mut client), json!(6));
    assert_eq!(count(&mut client), json!(6), "from what the worker kept");
    // The panel drops a domain: a new file renamed over the old one.
    let cpuser = host.root().join("var/cpanel/users").join(&user.name);
    let text = std::fs::read_to_string(&cpuser).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("DNS1="))
        .map(|l| format!("{l}\n"))
        .collect();
    let temp = cpuser.with_extension("new");
    std::fs::write(&temp, without).unwrap();
    std::fs::rename(&temp, &cpuser).unwrap();
    assert_eq!(count(&mut client), json!(3));
    // A lower minimum strength in cpanel.config holds for the next change.
    let change = json!({"email": "alice", "domain": "example.com", "password": "Abcdefgh1"});
    let reply = client.uapi("Email", "passwd_pop", change.clone());
    let (status, errors) = status_and_errors(&reply);
    assert_eq!(status, 0, "{reply}");
    assert!(errors[0].contains("strength rating of 65"), "{errors:?}");
    std::fs::write(
        host.root().join("var/cpanel/cpanel.config"),
        "minpwstrength=30\n",
    )
    .unwrap();
    common::remember_password("Abcdefgh1");
    let reply = client.uapi("Email", "passwd_pop", change);
    assert_eq!(status_and_errors(&reply), (1, vec![]), "{reply}");
    drop(daemon);
}

/// The descriptors of process `pid` that lead to a path under one of `homes`.
fn descriptors_under(pid: u32, homes: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| homes.iter().any(|home| target.starts_with(home)))
        .collect()
}

/// Root holds no capability on a home: once the supervisor and its HTTPS
/// front end have served calls for two accounts, none of its descriptors
/// leads under either home. Each worker holds its own (which shows the
/// check sees such a descriptor where there is one).
#[test]
fn the_supervisor_holds_no_descriptor_under_any_home() {
    needs_root!();
    let host = Host::new(&["fa", "fb"]);
    let args: Vec<String> = host
        .users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .chain(["--https".to_owned(), "127.0.0.1:0".to_owned()])
        .collect();
    let daemon = host.start(&args);
    let port = common::https::port_in_log(|| daemon.log());
    for user in &host.users {
        let mut client = Client::connect(&host.socket(user));
        let reply = client.uapi(
            "Email",
            "passwd_pop",
            json!({"email": "user", "domain": "example.com", "password": "No-Root-Handle-4471"}),
        );
        assert_eq!(status_and_errors(&reply), (1, vec![]));
        let reply = client.uapi("Tokens", "create_full_access", json!({"name": "fd"}));
        let token = reply["result"]["data"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        common::remember_password(&token);
        let answer = common::https::request(
            port,
            "/execute/Email/list_pops",
            &common::https::Call {
                token: Some((&user.name, &token)),
                ..common::https::Call::default()
            },
        );
        assert_eq!(answer.json()["status"], 1, "{}", answer.text);
    }
    let homes: Vec<std::path::PathBuf> = host.users.iter().map(|u| host.home(u)).collect();
    let held = descriptors_under(daemon.pid(), &homes);
    assert!(
        held.is_empty(),
        "the supervisor (pid {}) holds descriptors under a home: {held:?}",
        daemon.pid()
    );
    for user in &host.users {
        let worker = daemon.worker_of(user).expect("a worker");
        assert!(
            descriptors_under(worker, &homes).contains(&host.home(user)),
            "{}'s worker holds no handle on its home",
            user.name
        );
    }
}
