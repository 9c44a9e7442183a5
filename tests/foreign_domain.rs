//! A domain that is not the account's but has mail files under `~/etc/`
//! (left by a removed addon domain, or planted by the owner): every
//! function that names a mailbox answers as for a missing one and changes
//! nothing. Without the ownership check each of them would act on the files.

mod common;

use common::{Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::json;

const FOREIGN: &str = "foreign.example";

/// The scratch account with `~/etc/foreign.example/{passwd,shadow,quota}`
/// (copies of example.net's, mailbox `user` among them) and its Maildir;
/// the domain is not in the cPanel user file.
fn account_with_foreign_files() -> ScratchAccount {
    let account = ScratchAccount::new(&[]);
    let dir = account.etc(FOREIGN);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["passwd", "shadow", "quota"] {
        let text = std::fs::read_to_string(account.etc("example.net").join(file)).unwrap();
        let text = text.replace("/mail/example.net/", &format!("/mail/{FOREIGN}/"));
        assert!(text.starts_with("user:"), "{file}: {text}");
        std::fs::write(dir.join(file), text).unwrap();
    }
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(account.home().join(format!("mail/{FOREIGN}/user/{sub}"))).unwrap();
    }
    let cpuser = std::fs::read_to_string(account.root().join("var/cpanel/users/demo")).unwrap();
    assert!(!cpuser.contains(FOREIGN));
    account
}

#[test]
fn every_function_refuses_a_foreign_domain_with_files_and_changes_nothing() {
    let account = account_with_foreign_files();
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let before = account.full_snapshot();
    let expected = format!("You do not have an email account named “user@{FOREIGN}”.");
    let calls = [
        (
            "passwd_pop",
            json!({"email": "user", "domain": FOREIGN, "password": "Foreign-Takeover-99"}),
        ),
        (
            "passwd_pop",
            json!({"email": format!("user@{FOREIGN}"), "password": "Foreign-Takeover-99"}),
        ),
        ("delete_pop", json!({"email": "user", "domain": FOREIGN})),
        ("delete_pop", json!({"email": format!("user@{FOREIGN}")})),
        (
            "verify_password",
            json!({"email": "user", "domain": FOREIGN, "password": OLD_PASSWORD}),
        ),
        ("get_pop_quota", json!({"email": "user", "domain": FOREIGN})),
        (
            "edit_pop_quota",
            json!({"email": "user", "domain": FOREIGN, "quota": 5}),
        ),
    ];
    for (func, args) in calls {
        assert_eq!(c.email_err(func, args.clone()), expected, "{func} {args}");
        assert_eq!(
            account.full_snapshot(),
            before,
            "{func} {args} changed something"
        );
    }
    // The same calls on an own domain work: the refusals are the check's.
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user@example.net", "password": OLD_PASSWORD})
        ),
        1
    );
}
