//! `liveapid run --user A SCRIPT` started by root from a terminal: the
//! account's script must not reach root's terminal (no controlling tty,
//! no `TIOCSTI` into root's input), and nothing it starts outlives it.
//! Root only (a real user made with `useradd`).

#[macro_use]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::host::{wait_until, Host};

/// Runs `argv` on a new pseudo-terminal as its controlling terminal, as
/// root's shell would, and prints what the terminal's input queue holds
/// afterwards (what a shell reading it would run) after a `QUEUED:` line.
const ON_A_TERMINAL: &str = r#"
import fcntl, os, select, signal, sys, termios
signal.alarm(60)  # never hang the suite
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(sys.argv[1], sys.argv[1:])
screen = b""
while True:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            chunk = b""
        screen += chunk
    done, status = os.waitpid(pid, os.WNOHANG)
    if done and not ready:
        break
queued = b""
os.set_blocking(slave, False)
while True:
    try:
        chunk = os.read(slave, 4096)
    except OSError:
        break
    if not chunk:
        break
    queued += chunk
sys.stdout.buffer.write(screen + b"\nQUEUED:" + queued + b"\n")
sys.exit(os.waitstatus_to_exitcode(status))
"#;

/// What a hostile live script tries: type a command into the terminal
/// through every descriptor it has and through `/dev/tty`, and leave a
/// process behind. It records what it saw in `$HOME/run-record`.
const HOSTILE_SCRIPT: &str = r#"
open my $st, '<', '/proc/self/stat' or die;
my $stat = <$st>; $stat =~ s/^.*\) //;
my $tty_nr = (split / /, $stat)[4];
my $tty;
my $devtty = open($tty, '+<', '/dev/tty') ? 'opened' : "refused: $!";
my $inject = "touch /tmp/liveapid-pwned-$$\n";
my $typed = 0;
for my $fh (\*STDIN, \*STDOUT, \*STDERR, ($tty ? $tty : ())) {
    for my $c (split //, $inject) { $typed++ if ioctl($fh, 0x5412, $c) }
}
my $sleeper = fork();
if ($sleeper == 0) { exec 'sleep', '1000'; exit 1 }
open my $out, '>', "$ENV{HOME}/run-record" or die "record: $!";
print {$out} "tty_nr=$tty_nr\ndevtty=$devtty\ntyped=$typed\nsleeper=$sleeper\n";
close $out;
print "script done\n";
exit 0;
"#;

fn recorded(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .to_owned()
}

/// Whether `pid` still runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn a_script_run_for_an_account_cannot_reach_roots_terminal_or_outlive_run() {
    needs_root!();
    let host = Host::new(&["t"]);
    let user = &host.users[0];
    let script = host.dir.path().join("hostile.live.pl");
    std::fs::write(&script, HOSTILE_SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new("python3")
        .args(["-c", ON_A_TERMINAL])
        .arg(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", &user.name, "--root"])
        .arg(host.root())
        .arg(&script)
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    let record = std::fs::read_to_string(host.home(user).join("run-record")).unwrap_or_else(|e| {
        panic!(
            "no record ({e}): {screen}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let sleeper: u32 = recorded(&record, "sleeper").parse().unwrap();
    let left_alive = alive(sleeper);
    if left_alive {
        common::host::signal(sleeper, rustix::process::Signal::KILL);
    }
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("script done"),
        "its output still reaches root: {screen}"
    );

    // Everywhere: the script has no controlling terminal at all.
    assert_eq!(recorded(&record, "tty_nr"), "0", "{record}");
    assert!(
        recorded(&record, "devtty").starts_with("refused"),
        "{record}"
    );
    // Its background child ended with it.
    assert!(!left_alive, "the script's child outlived run: {record}");

    // Nothing was typed into root's terminal.
    let queued = screen.rsplit_once("QUEUED:").map(|(_, q)| q).unwrap_or("");
    assert!(
        !queued.contains("touch"),
        "typed into root's terminal: {queued:?}"
    );
    let legacy = std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").unwrap_or_default();
    if legacy.trim() == "0" {
        println!("skipped (in part): TIOCSTI is off in this kernel (dev.tty.legacy_tiocsti=0); the no-terminal checks above ran");
    } else {
        assert_eq!(recorded(&record, "typed"), "0", "{record}");
    }
}

/// An interrupted `run` (SIGTERM to liveapid) ends the script's whole group.
#[test]
fn an_interrupted_run_ends_everything_the_script_started() {
    needs_root!();
    let host = Host::new(&["u"]);
    let user = &host.users[0];
    let script = host.dir.path().join("waits.live.pl");
    std::fs::write(
        &script,
        r#"
my $sleeper = fork();
if ($sleeper == 0) { exec 'sleep', '1000'; exit 1 }
open my $out, '>', "$ENV{HOME}/run-record" or die;
print {$out} "sleeper=$sleeper\n"; close $out;
sleep 1000;
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let record = host.home(user).join("run-record");
    let mut run = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", &user.name, "--root"])
        .arg(host.root())
        .arg(&script)
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until(
        || record.exists() && std::fs::read_to_string(&record).unwrap().ends_with('\n'),
        "the script started",
    );
    let sleeper: u32 = recorded(&std::fs::read_to_string(&record).unwrap(), "sleeper")
        .parse()
        .unwrap();
    common::host::signal(run.id(), rustix::process::Signal::TERM);
    run.wait().unwrap();
    let left_alive = alive(sleeper);
    if left_alive {
        common::host::signal(sleeper, rustix::process::Signal::KILL);
    }
    assert!(
        !left_alive,
        "the script's child outlived an interrupted run"
    );
}
