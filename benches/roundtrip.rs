//! Speed and memory of the engine, as ratios against a baseline measured in
//! the same run (these machines are shared and noisy).
//!
//! Run: `cargo bench --bench roundtrip` (a plain binary, no harness).
//!
//! - baseline: one LiveAPI round trip that does no work (the JSON switch)
//!   over a kept connection;
//! - `passwd_pop`: one password change (hash + locked rewrite + fsync);
//! - `passwd_pop` × 8 clients: throughput with group commit;
//! - `list_pops` of 10 000 mailboxes;
//! - peak resident memory of the process.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use liveapid::account::AccountLocator;
use liveapid::server::{self, ServerOptions};
use liveapid::{demo, socket, AccountState, Engine};

fn request(stream: &mut UnixStream, payload: &[u8]) -> Vec<u8> {
    let mut msg = format!("{}\n", payload.len()).into_bytes();
    msg.extend_from_slice(payload);
    stream.write_all(&msg).unwrap();
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 65536];
    while !buf.ends_with(b"</cpanelresult>\n") {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

fn connect(path: &Path) -> UnixStream {
    let mut s = UnixStream::connect(path).unwrap();
    request(&mut s, b"<cpaneljson enable=\"1\">");
    s
}

fn passwd_pop(localpart: &str, i: usize) -> Vec<u8> {
    format!("<cpanelaction>{{\"module\":\"Email\",\"func\":\"passwd_pop\",\"apiversion\":3,\"args\":{{\"email\":\"{localpart}\",\"password\":\"Bench-Pass-{i}-xyz\"}}}}</cpanelaction>").into_bytes()
}

/// Median and p90 of `n` runs of `f`, in microseconds.
fn measure(n: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (us(times[n / 2]), us(times[n * 9 / 10]))
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmHWM:")
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let account = demo::create(dir.path()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let locator = AccountLocator::new(demo::USER, &account.root, Some(&account.home)).unwrap();
    runtime
        .block_on(demo::add_mailbox(&AccountState::new(locator.clone())))
        .unwrap();
    // 10 000 more mailboxes in a second domain, for the listing.
    std::fs::write(
        account.root.join("var/cpanel/users/demo"),
        "DNS=example.com\nDNS1=big.example\n",
    )
    .unwrap();
    let big = account.home.join("etc/big.example");
    std::fs::create_dir_all(&big).unwrap();
    let (mut passwd, mut shadow) = (String::new(), String::new());
    for i in 0..10_000 {
        passwd.push_str(&format!("box{i:05}:x:0:0:demo:/m:/h\n"));
        shadow.push_str(&format!("box{i:05}:$6$abcdefghijklmnop$x:20000::::::\n"));
    }
    std::fs::write(big.join("passwd"), passwd).unwrap();
    std::fs::write(big.join("shadow"), shadow).unwrap();
    // Eight mailboxes for the concurrent run.
    let etc = account.mail_etc();
    let mut passwd = std::fs::read_to_string(etc.join("passwd")).unwrap();
    let mut shadow = std::fs::read_to_string(etc.join("shadow")).unwrap();
    let hash = shadow.split(':').nth(1).unwrap().to_owned();
    for c in 0..8 {
        passwd.push_str(&format!("c{c}:x:0:0:demo:/m:/h\n"));
        shadow.push_str(&format!("c{c}:{hash}:20000::::::\n"));
    }
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    std::fs::write(etc.join("shadow"), shadow).unwrap();

    let path = dir.path().join("bench.sock");
    let (listener, _file) = runtime.block_on(async { socket::bind(&path) }).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(server::run(
        listener,
        Arc::new(Engine::new(AccountState::new(locator))),
        ServerOptions::default(),
        async {
            let _ = stop_rx.await;
        },
    ));

    let mut s = connect(&path);
    let (base, base90) = measure(2000, |_| {
        request(&mut s, b"<cpaneljson enable=\"1\">");
    });
    let (pw, pw90) = measure(200, |i| {
        let r = request(&mut s, &passwd_pop("user", i));
        assert!(r.windows(10).any(|w| w == b"\"status\":1"));
    });
    let rounds = 50;
    let started = Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|c| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = connect(&path);
                for i in 0..rounds {
                    let r = request(&mut s, &passwd_pop(&format!("c{c}"), i));
                    assert!(r.windows(10).any(|w| w == b"\"status\":1"));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let per_change_concurrent =
        started.elapsed().as_secs_f64() * 1e6 / f64::from(8 * rounds as u32);
    let list = b"<cpanelaction>{\"module\":\"Email\",\"func\":\"list_pops\",\"apiversion\":3}</cpanelaction>";
    let mut reply_len = 0;
    let (ls, ls90) = measure(20, |_| reply_len = request(&mut s, list).len());

    println!(
        "liveapid round-trip benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<44} {:>12} {:>12} {:>10}",
        "case", "median µs", "p90 µs", "× base"
    );
    println!(
        "{:<44} {:>12.1} {:>12.1} {:>10.1}",
        "baseline: JSON switch round trip", base, base90, 1.0
    );
    println!(
        "{:<44} {:>12.1} {:>12.1} {:>10.1}",
        "passwd_pop, one client",
        pw,
        pw90,
        pw / base
    );
    println!(
        "{:<44} {:>12.1} {:>12} {:>10.1}",
        "passwd_pop, 8 clients (wall time per change)",
        per_change_concurrent,
        "-",
        per_change_concurrent / base
    );
    println!(
        "{:<44} {:>12.1} {:>12.1} {:>10.1}",
        format!("list_pops, 10 001 rows ({} KiB reply)", reply_len / 1024),
        ls,
        ls90,
        ls / base
    );
    println!("peak resident memory: {} KiB", peak_rss_kib());
    let _ = stop_tx.send(());
    runtime.block_on(server).unwrap();
}
