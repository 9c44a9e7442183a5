//! The load generator: latency, throughput and memory of a running
//! `liveapid serve`, each beside the floor it is judged against, measured in
//! the same run (these machines are shared and noisy: read the ratios).
//!
//! Run: `cargo bench --bench load` (a plain binary, release build). The
//! daemon is the release `liveapid` binary in its own process, on scratch
//! accounts; the clients are threads of this process speaking the LiveAPI
//! protocol over the account's socket, one connection each.
//!
//! Floors, each measured here:
//! - one SHA-512-crypt hash by libxcrypt (`crypt_r`), and the all-core hash
//!   rate (one thread per core, each hashing);
//! - one atomic rewrite of the domain's `shadow` file (temp file, fsync,
//!   rename, directory fsync);
//! - a bare Unix-socket echo of a JSON-switch-sized message;
//! - the daemon's cheapest round trip (the JSON switch).
//!
//! `BENCHMARKS.md` keeps the results and the targets.

use std::ffi::{CStr, CString};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use liveapid::demo;

/// How long each case runs, after a short warm-up.
const CASE_TIME: Duration = Duration::from_millis(1500);
const WARM_UP: Duration = Duration::from_millis(200);
/// Mailboxes of the small and the big domain.
const SMALL: usize = 10;
const BIG: usize = 100_000;
const IDLE_CONNECTIONS: usize = 1000;
const CLIENTS: [usize; 3] = [1, 8, 64];

fn main() {
    raise_descriptor_limit();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "liveapid load benchmark: {cores} cores, release build, {} per case",
        secs(CASE_TIME)
    );
    let scratch = tempfile::tempdir().unwrap();
    let small = Fixture::new(&scratch.path().join("small"), "example.com", SMALL);
    let big = Fixture::new(&scratch.path().join("big"), "big.example", BIG);
    let daemon = Daemon::start(&small, &scratch.path().join("small.sock"));
    let big_daemon = Daemon::start(&big, &scratch.path().join("big.sock"));
    let shadow = small.domain_dir().join("shadow");

    // Part 1: every figure once.
    let (hash_p50, hash_cpu) = libxcrypt_hash_p50(CASE_TIME / 2);
    println!();
    println!("{:<52} {:>10} {:>10}", "floor", "p50 µs", "per s");
    row_floor("libxcrypt SHA-512-crypt hash, one core", hash_p50, None);
    row_floor("  its CPU time", hash_cpu, None);
    row_floor(
        "  the daemon's own hash (sha-crypt crate), CPU time",
        crate_hash_cpu(),
        None,
    );
    row_floor(
        &format!("all-core hash rate ({cores} threads)"),
        Duration::ZERO,
        Some(all_core_hash_rate(cores, CASE_TIME)),
    );
    row_floor(
        "atomic rewrite of shadow (fsyncs included)",
        atomic_rewrite_p50(&shadow),
        None,
    );
    row_floor("bare Unix-socket echo", socket_echo_p50(), None);
    row_floor(
        "daemon JSON-switch round trip",
        json_switch_p50(&daemon, CASE_TIME),
        None,
    );

    println!();
    println!(
        "{:<34} {:>7} {:>10} {:>10} {:>9} {:>12} {:>12}",
        "call (10-mailbox domain)",
        "clients",
        "p50 µs",
        "p99 µs",
        "calls/s",
        "daemon CPU µs",
        "client CPU µs"
    );
    for call in [
        Call::VerifyPassword,
        Call::GetPopQuota,
        Call::ListPops,
        Call::PasswdPop,
    ] {
        for clients in CLIENTS {
            let r = load(&daemon, call, clients, SMALL, "example.com", CASE_TIME);
            print_load(call.name(), clients, &r);
        }
    }
    let big_64 = load(
        &big_daemon,
        Call::PasswdPop,
        64,
        64,
        "big.example",
        CASE_TIME,
    );
    print_load("passwd_pop, 100 000-mailbox domain", 64, &big_64);

    let idle = Fixture::new(&scratch.path().join("idle"), "example.com", SMALL);
    let idle_daemon = Daemon::start(&idle, &scratch.path().join("idle.sock"));
    let rss_idle = idle_daemon.rss_kib();
    let connections: Vec<Client> = (0..IDLE_CONNECTIONS)
        .map(|_| {
            let mut c = Client::connect(&idle_daemon.socket);
            c.json_switch();
            c
        })
        .collect();
    let rss_loaded = idle_daemon.rss_kib();
    drop(connections);
    drop(idle_daemon);
    let per_connection = (rss_loaded.saturating_sub(rss_idle)) as f64 / IDLE_CONNECTIONS as f64;
    println!();
    println!("daemon resident memory: {rss_idle} KiB idle, {rss_loaded} KiB with {IDLE_CONNECTIONS} idle connections ({per_connection:.1} KiB each)");

    // The 10-mailbox domain under `clients` clients, for one round.
    let small_case = |call, clients| load(&daemon, call, clients, SMALL, "example.com", ROUND_TIME);
    // Part 2: each ratio from rounds that measure the case and its floor
    // one right after the other, so that a change in the machine's speed
    // between them (other jobs, a throttled core) moves both.
    println!();
    println!(
        "ratios, each the median of {ROUNDS} rounds of floor and case measured back to back ({} each):",
        secs(ROUND_TIME)
    );
    println!(
        "{:<62} {:>7} {:>15} {:>8}",
        "ratio", "median", "range", "target"
    );
    rounds(
        "passwd_pop p50 / (one hash + one atomic rewrite)",
        "≤ 1.15",
        || {
            let floor = us(libxcrypt_hash_p50(ROUND_TIME / 2).0) + us(atomic_rewrite_p50(&shadow));
            let case = small_case(Call::PasswdPop, 1);
            us(case.p50) / floor
        },
    );
    rounds(
        "get_pop_quota p50 / JSON-switch round trip",
        "≤ 2",
        || {
            let floor = us(json_switch_p50(&daemon, ROUND_TIME));
            let case = small_case(Call::GetPopQuota, 1);
            us(case.p50) / floor
        },
    );
    if python_available() {
        rounds(
            "the same, Python client (how issue 12 measured it)",
            "≤ 2",
            || {
                let (switch, quota) = python_round_trips(&daemon.socket, ROUND_TIME);
                quota / switch
            },
        );
    }
    rounds(
        "verify_password at 8 clients / all-core hash rate",
        "≥ 0.7",
        || {
            let floor = all_core_hash_rate(cores, ROUND_TIME);
            let case = small_case(Call::VerifyPassword, 8);
            case.throughput / floor
        },
    );
    rounds(
        "passwd_pop at 64 clients, 10 mailboxes / all-core hash rate",
        "≥ 0.8",
        || {
            let floor = all_core_hash_rate(cores, ROUND_TIME);
            let case = small_case(Call::PasswdPop, 64);
            case.throughput / floor
        },
    );
    rounds(
        "64 clients: 100 000-mailbox / 10-mailbox domain",
        "≥ 0.5",
        || {
            let floor = small_case(Call::PasswdPop, 64);
            let case = load(
                &big_daemon,
                Call::PasswdPop,
                64,
                64,
                "big.example",
                ROUND_TIME,
            );
            case.throughput / floor.throughput
        },
    );
    rounds(
        "hash CPU / daemon CPU per passwd_pop at 64 clients",
        "-",
        || {
            let (_, floor) = libxcrypt_hash_p50(ROUND_TIME / 2);
            let case = small_case(Call::PasswdPop, 64);
            us(floor) / us(case.daemon_cpu)
        },
    );
    println!(
        "{:<62} {:>7.2} {:>15} {:>8}",
        "resident MiB with 1 000 idle connections",
        rss_loaded as f64 / 1024.0,
        "-",
        "≤ 30"
    );
}

/// Rounds per ratio, and the time of each measurement in a round.
const ROUNDS: usize = 3;
const ROUND_TIME: Duration = Duration::from_millis(800);

/// Prints the median and the range of `ROUNDS` values of `round`.
fn rounds(name: &str, target: &str, mut round: impl FnMut() -> f64) {
    let mut values: Vec<f64> = (0..ROUNDS).map(|_| round()).collect();
    values.sort_by(f64::total_cmp);
    let range = format!("{:.2}–{:.2}", values[0], values[ROUNDS - 1]);
    println!(
        "{name:<62} {:>7.2} {range:>15} {target:>8}",
        values[ROUNDS / 2]
    );
}

/// A Python LiveAPI client, as scripts that are not PHP or Perl have.
const PYTHON_CLIENT: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def call(p):
    p = p.encode(); s.sendall(b"%d\n" % len(p) + p); r = b""
    while not r.endswith(b"</cpanelresult>\n"): r += s.recv(65536)
switch = '<cpaneljson enable="1">'
quota = '<cpanelaction>{"module":"Email","func":"get_pop_quota","apiversion":3,"args":{"email":"box00000","domain":"example.com"}}</cpanelaction>'
call(switch)
times = {switch: [], quota: []}
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    for p in (switch, quota):
        t = time.perf_counter(); call(p); times[p].append(time.perf_counter() - t)
med = lambda v: sorted(v)[len(v) // 2] * 1e6
print(med(times[switch]), med(times[quota]))
"#;

fn python_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Median JSON-switch and `get_pop_quota` round trips (µs) of the Python
/// client, alternating on one connection.
fn python_round_trips(socket: &Path, time: Duration) -> (f64, f64) {
    let out = Command::new("python3")
        .args(["-c", PYTHON_CLIENT])
        .arg(socket)
        .arg(time.as_secs_f64().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut numbers = text.split_whitespace().map(|n| n.parse::<f64>().unwrap());
    (numbers.next().unwrap(), numbers.next().unwrap())
}

/// The median JSON-switch round trip on one kept connection.
fn json_switch_p50(daemon: &Daemon, time: Duration) -> Duration {
    let mut c = Client::connect(&daemon.socket);
    let mut times = Vec::new();
    run_for(WARM_UP, || c.json_switch());
    run_for(time, || {
        let t = Instant::now();
        c.json_switch();
        times.push(t.elapsed());
    });
    percentile(&mut times, 50)
}

/// CPU time (user + system) a process has used, from `/proc/PID/stat`.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let per_second = rustix::param::clock_ticks_per_second();
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / per_second as f64)
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn print_load(name: &str, clients: usize, r: &LoadResult) {
    println!(
        "{name:<34} {clients:>7} {:>10.1} {:>10.1} {:>9.0} {:>12.1} {:>12.1}",
        us(r.p50),
        us(r.p99),
        r.throughput,
        us(r.daemon_cpu),
        us(r.client_cpu)
    );
}

fn row_floor(name: &str, p50: Duration, rate: Option<f64>) {
    let p50 = if p50.is_zero() {
        "-".to_owned()
    } else {
        format!("{:.1}", us(p50))
    };
    let rate = rate.map_or("-".to_owned(), |r| format!("{r:.0}"));
    println!("{name:<52} {p50:>10} {rate:>10}");
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

fn run_for(time: Duration, mut f: impl FnMut()) {
    let end = Instant::now() + time;
    while Instant::now() < end {
        f();
    }
}

/// A scratch account whose domain has `mailboxes` mailboxes (`box00000`,
/// …), each with a real `$6$` hash of [`OLD_PASSWORD`].
struct Fixture {
    account: demo::DemoAccount,
    domain: String,
}

const OLD_PASSWORD: &str = "Bench-Old-Pass-9z";

impl Fixture {
    fn new(dir: &Path, domain: &str, mailboxes: usize) -> Fixture {
        std::fs::create_dir_all(dir).unwrap();
        let account = demo::create(dir).unwrap();
        std::fs::write(
            account.root.join("var/cpanel/users").join(demo::USER),
            format!("USER={}\nDNS={domain}\nFEATURELIST=default\n", demo::USER),
        )
        .unwrap();
        let fixture = Fixture {
            account,
            domain: domain.to_owned(),
        };
        let etc = fixture.domain_dir();
        std::fs::create_dir_all(&etc).unwrap();
        let hash = liveapid::email::hash::hash_password(OLD_PASSWORD.as_bytes()).unwrap();
        let (mut passwd, mut shadow, mut quota) = (String::new(), String::new(), String::new());
        for i in 0..mailboxes {
            passwd.push_str(&format!(
                "box{i:05}:x:0:0:demo:/h/demo/mail/{domain}/box{i:05}:/h/demo\n"
            ));
            shadow.push_str(&format!("box{i:05}:{hash}:20000::::::\n"));
            quota.push_str(&format!("box{i:05}:262144000\n"));
        }
        for (name, text) in [("passwd", passwd), ("shadow", shadow), ("quota", quota)] {
            std::fs::write(etc.join(name), text).unwrap();
        }
        fixture
    }

    fn domain_dir(&self) -> PathBuf {
        self.account.home.join("etc").join(&self.domain)
    }
}

/// The release daemon serving one fixture, stopped when dropped.
struct Daemon {
    child: Child,
    socket: PathBuf,
}

impl Daemon {
    fn start(fixture: &Fixture, socket: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .args(["serve", "--user", demo::USER, "--root"])
            .arg(&fixture.account.root)
            .arg("--home")
            .arg(&fixture.account.home)
            .arg("--socket")
            .arg(socket)
            // The load is the point: no rate limit, room for every client.
            .args([
                "--verify-rate",
                "0",
                "--change-rate",
                "0",
                "--max-connections",
                "2000",
                "--hash-queue",
                "2000",
            ])
            .env("LIVEAPID_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while UnixStream::connect(socket).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Daemon {
            child,
            socket: socket.to_owned(),
        }
    }

    fn rss_kib(&self) -> u64 {
        // Let the allocator settle after the last connection's reply.
        std::thread::sleep(Duration::from_millis(200));
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(self.child.id() as i32).unwrap(),
            rustix::process::Signal::TERM,
        );
        let _ = self.child.wait();
    }
}

/// One LiveAPI connection, in JSON mode.
struct Client {
    stream: UnixStream,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(path: &Path) -> Client {
        let mut client = Client {
            stream: UnixStream::connect(path).unwrap(),
            buffer: Vec::with_capacity(4096),
        };
        client.json_switch();
        client
    }

    fn json_switch(&mut self) {
        self.request(b"<cpaneljson enable=\"1\">");
    }

    /// Sends one request and returns the reply's JSON text.
    fn request(&mut self, payload: &[u8]) -> &[u8] {
        let mut message = format!("{}\n", payload.len()).into_bytes();
        message.extend_from_slice(payload);
        self.stream.write_all(&message).unwrap();
        self.buffer.clear();
        let mut chunk = [0u8; 65536];
        while !self.buffer.ends_with(b"</cpanelresult>\n") {
            let n = self.stream.read(&mut chunk).unwrap();
            assert!(n > 0, "the daemon closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        &self.buffer
    }

    fn call(&mut self, func: &str, args: &str) -> bool {
        let payload = format!(
            "<cpanelaction>{{\"module\":\"Email\",\"func\":\"{func}\",\"apiversion\":3,\"args\":{{{args}}}}}</cpanelaction>"
        );
        let reply = self.request(payload.as_bytes());
        reply.windows(10).any(|w| w == b"\"status\":1")
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Call {
    PasswdPop,
    VerifyPassword,
    GetPopQuota,
    ListPops,
}

impl Call {
    fn name(self) -> &'static str {
        match self {
            Call::PasswdPop => "passwd_pop",
            Call::VerifyPassword => "verify_password",
            Call::GetPopQuota => "get_pop_quota",
            Call::ListPops => "list_pops",
        }
    }

    /// The arguments of call number `i` of client `c`, on one of `mailboxes`.
    fn args(self, c: usize, i: usize, mailboxes: usize, domain: &str) -> String {
        let mailbox = format!("box{:05}", c % mailboxes);
        match self {
            Call::PasswdPop => format!(
                "\"email\":\"{mailbox}\",\"domain\":\"{domain}\",\"password\":\"Bench-New-{c}-{i}-q7\""
            ),
            Call::VerifyPassword => format!(
                "\"email\":\"{mailbox}\",\"domain\":\"{domain}\",\"password\":\"{OLD_PASSWORD}\""
            ),
            Call::GetPopQuota => format!("\"email\":\"{mailbox}\",\"domain\":\"{domain}\""),
            Call::ListPops => String::new(),
        }
    }
}

#[derive(Clone)]
struct LoadResult {
    p50: Duration,
    p99: Duration,
    throughput: f64,
    /// CPU time of the daemon per call, and of this process (the clients).
    daemon_cpu: Duration,
    client_cpu: Duration,
}

/// `clients` connections calling `call` as fast as they can for
/// `time`; every reply must succeed.
fn load(
    daemon: &Daemon,
    call: Call,
    clients: usize,
    mailboxes: usize,
    domain: &str,
    time: Duration,
) -> LoadResult {
    let socket = daemon.socket.as_path();
    // (verify_password may find the password changed by an earlier case:
    // a wrong password costs the same hash.)
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (socket, measuring, stop) = (socket.to_owned(), measuring.clone(), stop.clone());
            let domain = domain.to_owned();
            std::thread::spawn(move || {
                let mut client = Client::connect(&socket);
                let mut times = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let args = call.args(c, i, mailboxes, &domain);
                    let t = Instant::now();
                    assert!(client.call(call.name(), &args), "{} failed", call.name());
                    if measuring.load(Ordering::Relaxed) {
                        times.push(t.elapsed());
                    }
                    i += 1;
                }
                times
            })
        })
        .collect();
    std::thread::sleep(WARM_UP);
    let (daemon_before, clients_before) = (
        process_cpu(daemon.child.id()),
        process_cpu(std::process::id()),
    );
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(time);
    measuring.store(false, Ordering::Relaxed);
    let wall = started.elapsed();
    let daemon_cpu = process_cpu(daemon.child.id()).saturating_sub(daemon_before);
    let client_cpu = process_cpu(std::process::id()).saturating_sub(clients_before);
    stop.store(true, Ordering::Relaxed);
    let mut times: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let calls = times.len();
    let per_call = |cpu: Duration| cpu / u32::try_from(calls.max(1)).unwrap_or(u32::MAX);
    LoadResult {
        p50: percentile(&mut times, 50),
        p99: percentile(&mut times, 99),
        throughput: calls as f64 / wall.as_secs_f64(),
        daemon_cpu: per_call(daemon_cpu),
        client_cpu: per_call(client_cpu),
    }
}

#[link(name = "crypt")]
extern "C" {
    /// libxcrypt's `crypt_r` (`<crypt.h>`); `data` is a `struct crypt_data`.
    fn crypt_r(
        phrase: *const libc::c_char,
        setting: *const libc::c_char,
        data: *mut libc::c_void,
    ) -> *mut libc::c_char;
}

/// libxcrypt's `struct crypt_data` is 32 768 bytes; zeroed before first use.
const CRYPT_DATA_SIZE: usize = 32768;

/// One `$6$` hash by the system's libxcrypt, as `perl -e crypt` or PAM would.
fn libxcrypt_hash(data: &mut [u8], phrase: &CStr, setting: &CStr) -> usize {
    // SAFETY: both strings are NUL-terminated and live across the call;
    // `data` is a zeroed, writable buffer of the size libxcrypt's
    // `struct crypt_data` has, owned by this thread. No safe binding of
    // crypt_r exists in the crates this project uses; this is the floor the
    // daemon's own hashing is compared against.
    let out = unsafe { crypt_r(phrase.as_ptr(), setting.as_ptr(), data.as_mut_ptr().cast()) };
    assert!(!out.is_null(), "crypt_r failed");
    // SAFETY: a non-null result points into `data`, NUL-terminated.
    unsafe { CStr::from_ptr(out) }.to_bytes().len()
}

/// The median wall time of one libxcrypt hash, and its CPU time.
fn libxcrypt_hash_p50(time: Duration) -> (Duration, Duration) {
    let mut data = vec![0u8; CRYPT_DATA_SIZE];
    let phrase = CString::new("Bench-New-0-0-q7").unwrap();
    let setting = CString::new("$6$abcdefghijklmnop$").unwrap();
    assert_eq!(
        libxcrypt_hash(&mut data, &phrase, &setting),
        3 + 16 + 1 + 86
    );
    let mut times = Vec::new();
    let cpu = thread_cpu();
    run_for(time, || {
        let t = Instant::now();
        libxcrypt_hash(&mut data, &phrase, &setting);
        times.push(t.elapsed());
    });
    let cpu = (thread_cpu() - cpu) / u32::try_from(times.len()).unwrap_or(u32::MAX);
    (percentile(&mut times, 50), cpu)
}

/// The CPU time of one hash by the function the daemon uses.
fn crate_hash_cpu() -> Duration {
    let cpu = thread_cpu();
    let mut n = 0u32;
    run_for(CASE_TIME / 2, || {
        liveapid::email::hash::hash_password(b"Bench-New-0-0-q7").unwrap();
        n += 1;
    });
    (thread_cpu() - cpu) / n
}

/// Hashes per second with one libxcrypt hashing thread per core.
fn all_core_hash_rate(cores: usize, time: Duration) -> f64 {
    let started = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            std::thread::spawn(move || {
                let mut data = vec![0u8; CRYPT_DATA_SIZE];
                let phrase = CString::new("Bench-New-0-0-q7").unwrap();
                let setting = CString::new("$6$abcdefghijklmnop$").unwrap();
                let mut n = 0u64;
                run_for(time, || {
                    libxcrypt_hash(&mut data, &phrase, &setting);
                    n += 1;
                });
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// One crash-safe replacement of `file` with its own bytes: a temp file
/// beside it, written and fsynced, renamed over it, the directory fsynced.
fn atomic_rewrite_p50(file: &Path) -> Duration {
    let bytes = std::fs::read(file).unwrap();
    let dir = file.parent().unwrap();
    let temp = dir.join(".bench-rewrite");
    let directory = std::fs::File::open(dir).unwrap();
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let mut f = std::fs::File::create(&temp).unwrap();
        f.write_all(&bytes).unwrap();
        f.sync_all().unwrap();
        drop(f);
        std::fs::rename(&temp, file).unwrap();
        directory.sync_all().unwrap();
        times.push(t.elapsed());
    }
    percentile(&mut times, 50)
}

/// A request and a reply of the JSON switch's sizes over a socket pair,
/// answered by a thread that does nothing else.
fn socket_echo_p50() -> Duration {
    let (mut near, mut far) = UnixStream::pair().unwrap();
    const REQUEST: &[u8] = b"23\n<cpaneljson enable=\"1\">";
    const REPLY: usize = 120;
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; REQUEST.len()];
        let reply = [b'x'; REPLY];
        while far.read_exact(&mut buf).is_ok() {
            if far.write_all(&reply).is_err() {
                break;
            }
        }
    });
    let mut reply = [0u8; REPLY];
    let mut times = Vec::new();
    run_for(CASE_TIME / 2, || {
        let t = Instant::now();
        near.write_all(REQUEST).unwrap();
        near.read_exact(&mut reply).unwrap();
        times.push(t.elapsed());
    });
    drop(near);
    echo.join().unwrap();
    percentile(&mut times, 50)
}

/// 1 000 idle connections need more descriptors than the usual soft limit.
fn raise_descriptor_limit() {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let wanted = limit.maximum.unwrap_or(65536).min(65536);
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(wanted),
            maximum: limit.maximum,
        },
    );
}
