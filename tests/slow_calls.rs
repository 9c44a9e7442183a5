//! A slow call never holds up another connection (issue 12): directory
//! walks, file reads and hashes run off the runtime's worker threads, so
//! while more slow calls run than the runtime has threads, a cheap call on
//! another connection is still answered at once, and every slow call keeps
//! sending its keep-alive bytes.
//!
//! Judged by order, not by time: every slow call has shown it is running
//! (its keep-alive declaration arrived) and none has finished when the
//! cheap call's reply arrives.

mod common;

use std::io::Read;

use common::{parse_frame, Client, Daemon, ScratchAccount};
use serde_json::json;

/// Files in the big Maildir: enough that measuring it takes a good while
/// longer than a round trip, even on a fast disk.
const MAILDIR_FILES: usize = 60_000;

/// Fills `user@example.com`'s Maildir with small messages.
fn fill_maildir(account: &ScratchAccount) {
    let cur = account.home().join("mail/example.com/user/cur");
    for i in 0..MAILDIR_FILES {
        std::fs::write(cur.join(format!("{i}.M1P1.host:2,S")), b"x").unwrap();
    }
}

/// Sends `list_pops_with_disk` for the big mailbox without reading the reply.
fn start_listing(daemon: &Daemon) -> Client {
    let mut client = daemon.connect();
    let action = json!({"module": "Email", "reqtype": "exec", "func": "list_pops_with_disk",
        "apiversion": "uapi", "args": {"email": "user", "domain": "example.com"}});
    let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
    client.send(format!("{}\n{payload}", payload.len()).as_bytes());
    client
}

/// Whether a reply (more than the keep-alive bytes) is waiting on `client`.
fn has_reply_waiting(client: &mut Client) -> bool {
    client.stream.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 256];
    let waiting = loop {
        match client.stream.read(&mut buf) {
            // Keep-alive newlines are not the reply; read past them.
            Ok(n) if n > 0 && buf[..n].iter().all(|&b| b == b'\n') => continue,
            Ok(n) => break n > 0,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(e) => panic!("{e}"),
        }
    };
    client.stream.set_nonblocking(false).unwrap();
    waiting
}

#[test]
fn maildir_walks_delay_no_other_connection() {
    let account = ScratchAccount::new(&[]);
    fill_maildir(&account);
    let daemon = Daemon::serve(&account, &["--keepalive-secs", "0.01"]);
    // One more slow call than the runtime has worker threads (one per core):
    // if a walk ran on a worker thread, every one of them would be stuck.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut slow: Vec<Client> = (0..=cores).map(|_| start_listing(&daemon)).collect();
    for client in &mut slow {
        let mut declaration = [0u8; 23];
        client.stream.read_exact(&mut declaration).unwrap();
        assert_eq!(
            &declaration, b"<?xml version=\"1.0\" ?>\n",
            "a keep-alive while it runs"
        );
    }
    // A new connection and its JSON switch, answered while the walks run.
    let mut quick = daemon.connect();
    let reply = quick.uapi("Email", "count_pops", json!({}));
    assert_eq!(reply["result"]["data"], json!(6), "{reply}");
    for client in &mut slow {
        assert!(
            !has_reply_waiting(client),
            "a slow call finished before the cheap one was answered: the cheap one waited for it"
        );
    }
    for mut client in slow {
        let reply = parse_frame(&client.read_frame());
        let row = &reply["result"]["data"][0];
        assert_eq!(row["email"], "user@example.com", "{reply}");
        assert!(
            row["_diskused"].as_u64().unwrap() >= MAILDIR_FILES as u64,
            "{row}"
        );
    }
}
