//! Two daemons on one account (two sockets, as during a restart or beside a
//! `uapi` command) changing one domain at once: the cross-process `flock`
//! on each file is all that keeps one from writing over the other's change.
//! Every change of both must be in the files at the end.

mod common;

use std::thread;

use common::{libxcrypt_verifies, Daemon, ScratchAccount};
use serde_json::json;

const THREADS_PER_DAEMON: usize = 4;
const ROUNDS: usize = 6;

fn line_of(account: &ScratchAccount, file: &str, localpart: &str) -> Option<String> {
    std::fs::read_to_string(account.etc("example.com").join(file))
        .unwrap()
        .lines()
        .find(|l| l.split(':').next() == Some(localpart))
        .map(str::to_owned)
}

#[test]
fn two_daemons_on_one_domain_lose_no_change() {
    let workers = 2 * THREADS_PER_DAEMON;
    let boxes: Vec<String> = (0..workers).map(|i| format!("box{i}")).collect();
    let account =
        ScratchAccount::new(&["--domains", "example.com", "--mailboxes", &boxes.join(",")]);
    let first = Daemon::serve(&account, &[]);
    let second_socket = account.dir.path().join("second.sock");
    let second = Daemon::serve_at(&account, &second_socket, &account.home(), &[]);

    thread::scope(|s| {
        for w in 0..workers {
            let daemon = if w % 2 == 0 { &first } else { &second };
            s.spawn(move || {
                let mut c = daemon.connect();
                for r in 0..ROUNDS {
                    // passwd (and shadow, quota): a new mailbox.
                    c.email_ok(
                        "add_pop",
                        json!({"email": format!("new{w}x{r}"), "password": format!("Added-Pw-{w}-{r}-x9"), "domain": "example.com", "quota": 10 + r}),
                    );
                    // shadow: this worker's own mailbox.
                    c.email_ok(
                        "passwd_pop",
                        json!({"email": format!("box{w}"), "password": format!("Changed-Pw-{w}-{r}-x9"), "domain": "example.com"}),
                    );
                    // quota: this worker's own mailbox.
                    c.email_ok(
                        "edit_pop_quota",
                        json!({"email": format!("box{w}"), "quota": 100 * w + r + 1, "domain": "example.com"}),
                    );
                }
            });
        }
    });

    let mut c = first.connect();
    for w in 0..workers {
        for r in 0..ROUNDS {
            let name = format!("new{w}x{r}");
            for file in ["passwd", "shadow", "quota"] {
                assert!(
                    line_of(&account, file, &name).is_some(),
                    "{name} lost from {file}"
                );
            }
        }
        let hash = line_of(&account, "shadow", &format!("box{w}")).unwrap();
        let hash = hash.split(':').nth(1).unwrap();
        let last = format!("Changed-Pw-{w}-{}-x9", ROUNDS - 1);
        assert!(
            libxcrypt_verifies(&last, hash),
            "box{w}: the last password change was lost"
        );
        assert_eq!(
            c.email_ok(
                "get_pop_quota",
                json!({"email": format!("box{w}@example.com")})
            ),
            100 * w + ROUNDS,
            "box{w}: the last quota change was lost"
        );
    }
    assert_eq!(
        c.email_ok("count_pops", json!({})),
        workers + workers * ROUNDS
    );
}
