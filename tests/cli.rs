//! The `liveapid` command line: `demo` and `run`, as a user meets them.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{libxcrypt_verifies, status_and_errors, Client, ScratchAccount};
use serde_json::json;

fn sigint(child: &std::process::Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

#[test]
fn demo_prints_the_five_ways_and_each_changes_the_password_as_printed() {
    let (mut child, printed) = common::demo::start(&["--https", "127.0.0.1:0"]);
    let headings: Vec<&str> = printed.ways.iter().map(|w| w.heading.as_str()).collect();
    for (i, way) in [
        "PHP",
        "Perl",
        "Template Toolkit",
        "uapi",
        "API token",
        "session URL",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            headings.get(i).is_some_and(|h| h.contains(way)),
            "way {i} should be {way}: {headings:#?}"
        );
    }
    assert!(
        printed.ways[3].commands
            == ["uapi --user=demo Email passwd_pop email=user password=12345luggage domain=example.com"],
        "cPanel's documented uapi line: {:?}",
        printed.ways[3].commands
    );
    let fingerprint = headings[4].split("fingerprint ").nth(1).unwrap_or_default();
    assert_eq!(
        fingerprint.split(')').next().unwrap().len(),
        95,
        "32 hex pairs and colons"
    );
    printed.check_every_way();
    let dir = printed.dir().to_owned();
    sigint(&child);
    assert!(child.wait().unwrap().success());
    assert!(
        !dir.exists(),
        "the temporary account is removed: {}",
        dir.display()
    );
}

#[test]
fn the_demo_accepts_the_seed_password_but_still_rates_passwords() {
    let (mut child, printed) = common::demo::start(&["--https", "off"]);
    assert_eq!(printed.ways.len(), 4, "no HTTPS ways with --https off");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::os::unix::net::UnixStream::connect(&printed.socket).is_err() {
        assert!(Instant::now() < deadline, "demo socket never answered");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut client = Client::connect(&printed.socket);
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "domain": "example.com", "password": "Demo-Password-42"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    let shadow =
        std::fs::read_to_string(printed.dir().join("home/demo/etc/example.com/shadow")).unwrap();
    let hash = shadow.lines().next().unwrap().split(':').nth(1).unwrap();
    assert!(libxcrypt_verifies("Demo-Password-42", hash));
    let weak = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "123456"}),
    );
    assert_eq!(
        status_and_errors(&weak).0,
        0,
        "a weak password is still refused"
    );
    drop(client);
    sigint(&child);
    assert!(child.wait().unwrap().success());
}

#[test]
fn demo_in_a_given_directory_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("live.sock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["demo", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    sigint(&child);
    assert!(child.wait().unwrap().success());
    assert!(dir.path().join("home/demo/etc/example.com/shadow").exists());
    assert!(!socket.exists());
}

/// A live script that checks both socket variables, changes a password
/// through the raw protocol and exits 7.
const SCRIPT: &str = r#"
use strict; use warnings; use IO::Socket::UNIX;
my $path = $ENV{CPANEL_CONNECT_SOCKET} // die "no CPANEL_CONNECT_SOCKET\n";
$ENV{CPANEL_PHPCONNECT_SOCKET} eq $path or die "the two variables differ\n";
my $s = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!\n";
sub call { my $p = shift; print {$s} length($p) . "\n" . $p; my $r = '';
  while ($r !~ m{</cpanelresult>\n\z}) { sysread($s, $r, 65536, length $r) or die "eof\n" } $r }
call('<cpaneljson enable="1">');
my $r = call('<cpanelaction>{"module":"Email","func":"passwd_pop","apiversion":3,"args":{"email":"alice","password":"' . $ARGV[0] . '"}}</cpanelaction>');
$r =~ /"status":1/ or die "failed: $r\n";
exit 7;
"#;

#[test]
fn run_serves_the_account_for_the_script_and_returns_its_status() {
    let account = ScratchAccount::new(&[]);
    let script = account.dir.path().join("change.live.pl");
    std::fs::write(&script, SCRIPT).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg(&script)
        .arg("Run-Script-Pass-9")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));
    assert!(libxcrypt_verifies(
        "Run-Script-Pass-9",
        &account.hash_of("alice", "example.com")
    ));
}

#[test]
fn run_against_a_running_daemon() {
    let account = ScratchAccount::new(&[]);
    let daemon = common::Daemon::serve(&account, &[]);
    let script = account.dir.path().join("change.live.pl");
    std::fs::write(&script, SCRIPT).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--socket"])
        .arg(&daemon.socket)
        .arg(&script)
        .arg("Via-Daemon-Pass-8")
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(7));
    assert!(libxcrypt_verifies(
        "Via-Daemon-Pass-8",
        &account.hash_of("alice", "example.com")
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--socket", "/nonexistent/live.sock"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no LiveAPI socket"));
}

/// The shipped Perl example needs `Cpanel::LiveAPI`; `liveapid run` makes
/// its built-in copy findable, with no PERL5LIB from the caller, both
/// against a running daemon and on a private socket.
#[test]
fn run_finds_the_built_in_perl_shim_without_perl5lib() {
    let account = ScratchAccount::new(&["--min-strength", "60"]);
    let example = common::repo().join("bindings/perl/examples/passwd_pop.live.pl");
    let daemon = common::Daemon::serve(&account, &[]);
    let via_socket = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--socket"])
        .arg(&daemon.socket)
        .arg(&example)
        .arg("Perl-Shim-Found-41")
        .env_remove("PERL5LIB")
        .output()
        .unwrap();
    assert!(
        via_socket.status.success(),
        "{}",
        String::from_utf8_lossy(&via_socket.stderr)
    );
    assert!(libxcrypt_verifies(
        "Perl-Shim-Found-41",
        &account.hash_of("user", "example.com")
    ));
    drop(daemon);
    let private = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg(&example)
        .arg("Perl-Shim-Found-42")
        .env_remove("PERL5LIB")
        .output()
        .unwrap();
    assert!(
        private.status.success(),
        "{}",
        String::from_utf8_lossy(&private.stderr)
    );
    assert!(libxcrypt_verifies(
        "Perl-Shim-Found-42",
        &account.hash_of("user", "example.com")
    ));
}

/// A PHP script that loads the class the way cPanel scripts do, by name
/// through the include path, finds the built-in copy.
#[test]
fn run_puts_the_php_class_on_the_include_path() {
    if Command::new("php").arg("-v").output().is_err() {
        println!("skipped: php is not installed (scripts/test-all installs it)");
        return;
    }
    let account = ScratchAccount::new(&[]);
    let script = account.dir.path().join("by-name.live.php");
    std::fs::write(
        &script,
        "<?php require_once 'cpanel.php'; $c = new CPANEL(); \
         $r = $c->uapi('Email', 'count_pops'); $c->end(); \
         exit($r['cpanelresult']['result']['status'] == 1 ? 5 : 1);\n",
    )
    .unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg(&script)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(5));
}

#[test]
fn run_without_user_or_socket_names_both() {
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "script.live.pl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--user") && stderr.contains("--socket"),
        "{stderr}"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("<--user <USER>|--socket <SOCKET>>"), "{help}");
}

#[test]
fn every_man_page_has_examples_and_files_and_names_only_pages_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .arg("man")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(pages.len() >= 6, "{pages:?}");
    let names = regex::Regex::new(r"\b((?:liveapid|uapi)[a-z-]*)\((\d)\)").unwrap();
    for page in &pages {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap()
            .replace("\\-", "-");
        for section in [".SH EXAMPLES", ".SH FILES"] {
            assert!(text.contains(section), "{page} has no {section}");
        }
        for named in names.captures_iter(&text) {
            let file = format!("{}.{}", &named[1], &named[2]);
            assert!(
                pages.contains(&file),
                "{page} names {file}, which does not exist"
            );
        }
    }
    let uapi = std::fs::read_to_string(dir.path().join("uapi.1")).unwrap();
    assert!(
        uapi.replace("\\-", "-").contains(
            "uapi --user=bob Email passwd_pop email=user password=12345luggage domain=example.com"
        ),
        "uapi(1) shows cPanel's documented line"
    );
}
