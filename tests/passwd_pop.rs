//! `Email::passwd_pop` over the socket, against a scratch account whose
//! hashes were written by Perl's crypt(): every acceptance line of the core
//! issue, at the level a script meets it.

mod common;

use std::os::unix::fs::MetadataExt;
use std::thread;

use common::{libxcrypt_verifies, status_and_errors, Client, Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::json;

const NEW: &str = "n3w/Pass&word-2026";

#[test]
fn success_rewrites_exactly_that_line_and_libxcrypt_accepts_it() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let before = account.shadow("example.com");
    let meta_before = std::fs::metadata(account.etc("example.com").join("shadow")).unwrap();
    let others_before = account.snapshot();

    let mut client = daemon.connect();
    let reply = client.request(
        format!(
            "<cpanelaction>\n{}\n</cpanelaction>",
            json!({"module": "Email", "reqtype": "exec", "func": "passwd_pop", "apiversion": "uapi",
                   "args": {"email": "user", "password": NEW, "domain": "example.com"}})
        )
        .as_bytes(),
    );
    assert_eq!(
        String::from_utf8(reply).unwrap(),
        "<?xml version=\"1.0\" ?>\n<cpanelresult>{\"apiversion\":3,\"func\":\"passwd_pop\",\"module\":\"Email\",\"result\":{\"data\":null,\"errors\":null,\"messages\":null,\"metadata\":{},\"status\":1,\"warnings\":null}}</cpanelresult>\n"
    );

    let after = account.shadow("example.com");
    let (old_lines, new_lines): (Vec<&str>, Vec<&str>) =
        (before.lines().collect(), after.lines().collect());
    assert_eq!(old_lines.len(), new_lines.len());
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    for (old, new) in old_lines.iter().zip(&new_lines) {
        if old.starts_with("user:") {
            let fields: Vec<&str> = new.split(':').collect();
            assert_eq!(fields.len(), 9, "{new}");
            assert_eq!(
                &fields[2..],
                &[days.to_string().as_str(), "", "", "", "", "", ""]
            );
            let hash: Vec<&str> = fields[1].split('$').collect();
            assert_eq!(
                (hash[0], hash[1], hash[2].len(), hash[3].len()),
                ("", "6", 16, 86),
                "{new}"
            );
            assert!(hash[2]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/'));
            assert!(libxcrypt_verifies(NEW, fields[1]));
            assert!(!libxcrypt_verifies(OLD_PASSWORD, fields[1]));
        } else {
            assert_eq!(old, new, "other lines are byte-identical");
        }
    }
    assert!(after.ends_with('\n'));
    let meta_after = std::fs::metadata(account.etc("example.com").join("shadow")).unwrap();
    assert_eq!(meta_after.mode(), meta_before.mode());
    assert_eq!(
        (meta_after.uid(), meta_after.gid()),
        (meta_before.uid(), meta_before.gid())
    );
    assert!(
        meta_after.mtime() > meta_before.mtime(),
        "the whole-second mtime moves on (Dovecot)"
    );
    // Only the one file changed.
    let changed: Vec<_> = account
        .snapshot()
        .into_iter()
        .zip(others_before)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0)
        .collect();
    assert_eq!(changed, vec![account.etc("example.com").join("shadow")]);
}

#[test]
fn address_forms_and_the_second_domain() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    for (args, localpart, domain) in [
        (
            json!({"email": "alice@example.net", "password": "Full-Address-77"}),
            "alice",
            "example.net",
        ),
        (
            json!({"email": "bob", "password": "Main-Domain-77"}),
            "bob",
            "example.com",
        ),
        (
            json!({"email": "user", "domain": "example.net", "password": "Second-Domain-77"}),
            "user",
            "example.net",
        ),
        (
            json!({"email": "ALICE@EXAMPLE.COM", "domain": "example.com", "password": "Upper-Case-77"}),
            "alice",
            "example.com",
        ),
    ] {
        let password = args["password"].as_str().unwrap().to_owned();
        let reply = client.uapi("Email", "passwd_pop", args);
        assert_eq!(status_and_errors(&reply), (1, vec![]), "{reply}");
        assert!(
            libxcrypt_verifies(&password, &account.hash_of(localpart, domain)),
            "{localpart}@{domain}"
        );
    }
    // Untouched: bob@example.net still has the old password.
    assert!(libxcrypt_verifies(
        OLD_PASSWORD,
        &account.hash_of("bob", "example.net")
    ));
}

#[test]
fn every_refusal_has_cpanels_wording_changes_nothing_and_keeps_the_connection() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let snapshot = account.snapshot();
    let mut client = daemon.connect();
    let long = "a".repeat(300);
    let cases = vec![
        (json!({"email": "user@example.net", "domain": "example.com", "password": NEW}),
         "The email address “user@example.net” is not in the domain “example.com”. Give the address alone, or a matching domain.".to_owned()),
        (json!({"email": "nobody", "password": NEW}), "You do not have an email account named “nobody@example.com”.".to_owned()),
        (json!({"email": "user", "domain": "example.org", "password": NEW}), "You do not have an email account named “user@example.org”.".to_owned()),
        (json!({"email": "user@example.org", "password": NEW}), "You do not have an email account named “user@example.org”.".to_owned()),
        (json!({"email": "user", "password": "12345luggage"}),
         "The given password is too weak. Please enter a password with a strength rating of 65 or higher.".to_owned()),
        (json!({"email": "user"}), "Provide the “password” argument.".to_owned()),
        (json!({"password": NEW}), "Provide the “email” argument.".to_owned()),
        (json!({}), "Provide the “email” and “password” arguments.".to_owned()),
        (json!({"email": "user", "password": ""}), "The “password” argument cannot be empty.".to_owned()),
        (json!({"email": "", "password": NEW}), "The “email” argument cannot be empty.".to_owned()),
        (json!({"email": "../user", "password": NEW}), "“../user” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.".to_owned()),
        (json!({"email": "a/b", "password": NEW}), "“a/b” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.".to_owned()),
        (json!({"email": "us:er", "password": NEW}), "“us:er” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.".to_owned()),
        (json!({"email": "us\u{0}er", "password": NEW}), "“us\\u{0}er” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.".to_owned()),
        (json!({"email": "user\nbob:x", "password": NEW}), "“user\\nbob:x” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~.".to_owned()),
        (json!({"email": long, "password": NEW}), "Your username cannot contain more than 64 characters.".to_owned()),
        (json!({"email": "user", "domain": "../../etc", "password": NEW}), "“../../etc” is not a valid domain name.".to_owned()),
        (json!({"email": "user", "domain": "/etc", "password": NEW}), "“/etc” is not a valid domain name.".to_owned()),
        (json!({"email": "user@ex ample.com", "password": NEW}), "“ex ample.com” is not a valid domain name.".to_owned()),
        (json!({"email": ["user", "bob"], "password": NEW}), "The “email” argument must have a single value.".to_owned()),
    ];
    for (args, expected) in cases {
        let reply = client.uapi("Email", "passwd_pop", args.clone());
        assert_eq!(status_and_errors(&reply), (0, vec![expected]), "{args}");
        assert_eq!(reply["result"]["data"], serde_json::Value::Null);
    }
    // A password with a newline or colon is refused by nothing but strength:
    // it must not be able to add a line either.
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "x\nbob:y"}),
    );
    assert_eq!(status_and_errors(&reply).0, 0);
    assert_eq!(account.snapshot(), snapshot, "no file changed");
    // Framework errors keep the connection too.
    let reply = client.uapi("Email", "no_such_function", json!({}));
    assert_eq!(
        status_and_errors(&reply),
        (
            0,
            vec![
                "The system could not find the function “no_such_function” in the module “Email”."
                    .to_owned()
            ]
        )
    );
    let reply = client.uapi("Nope", "passwd_pop", json!({}));
    assert_eq!(
        status_and_errors(&reply),
        (
            0,
            vec!["Failed to load module “Nope”: liveapid does not provide this module.".to_owned()]
        )
    );
    let reply = client.uapi("Email", "_private", json!({}));
    assert_eq!(
        status_and_errors(&reply),
        (0, vec!["Illegal function name: _private".to_owned()])
    );
    // Arguments as a list (a PHP array with keys 0..n) are refused, not guessed.
    let reply = client.uapi("Email", "passwd_pop", json!(["user", NEW]));
    assert_eq!(
        status_and_errors(&reply),
        (
            0,
            vec!["The arguments must be a JSON object of names and values.".to_owned()]
        )
    );
    // Still usable after all of that.
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": NEW}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
}

#[test]
fn a_password_with_colon_and_markup_is_stored_safely() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let tricky = "Str0ng:pass word/&<x>\u{e9}";
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": tricky}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    assert_eq!(account.shadow("example.com").lines().count(), 3);
    assert!(libxcrypt_verifies(
        tricky,
        &account.hash_of("user", "example.com")
    ));
}

/// crypt() stops at a NUL and no mail client can send a line break, so a
/// password holding either could never be typed: refused before hashing,
/// by every function that takes a password.
#[test]
fn passwords_with_nul_or_control_characters_are_refused_everywhere() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let before = account.full_snapshot();
    let expected = "The password cannot contain control characters (such as NUL, tab, or a line break): no mail client could send them at login.";
    for bad in [
        "Strong-Before\u{0}-After-123",
        "Strong-Line\nBreak-123",
        "Strong-Tab\tStop-123",
        "Strong-Del\u{7f}-123",
    ] {
        for (func, args) in [
            ("passwd_pop", json!({"email": "user", "password": bad})),
            ("add_pop", json!({"email": "newbox", "password": bad})),
            ("verify_password", json!({"email": "user", "password": bad})),
        ] {
            assert_eq!(client.email_err(func, args), expected, "{func} {bad:?}");
        }
        // API2 wraps passwd_pop: the same refusal.
        let payload = format!(
            "<cpanelaction>{}</cpanelaction>",
            json!({"module": "Email", "reqtype": "exec", "func": "passwdpop", "apiversion": 2,
                   "args": {"email": "user", "domain": "example.com", "password": bad}})
        );
        let reply = common::parse_frame(&client.request(payload.as_bytes()));
        assert_eq!(
            reply["cpanelresult"]["data"][0]["reason"], expected,
            "{reply}"
        );
    }
    assert_eq!(account.full_snapshot(), before, "nothing changed");
    assert!(libxcrypt_verifies(
        OLD_PASSWORD,
        &account.hash_of("user", "example.com")
    ));
}

#[test]
fn the_minimum_strength_comes_from_cpanel_config_per_call() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    account.set_min_strength(60);
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "12345luggage"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    account.set_min_strength(100);
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "Password1!"}),
    );
    assert_eq!(
        status_and_errors(&reply),
        (0, vec!["The given password is too weak. Please enter a password with a strength rating of 100.".to_owned()])
    );
    // The shipped bad list: "password" rates 1.
    account.set_min_strength(5);
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "Password"}),
    );
    assert_eq!(status_and_errors(&reply).0, 0);
}

#[test]
fn a_suspended_login_stays_suspended() {
    let account = ScratchAccount::new(&[]);
    let path = account.etc("example.com").join("shadow");
    let text = account
        .shadow("example.com")
        .replacen("user:$6$", "user:!!$6$", 1);
    std::fs::write(&path, text).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": NEW}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    let stored = account.hash_of("user", "example.com");
    assert!(stored.starts_with("!!$6$"), "{stored}");
    assert!(libxcrypt_verifies(NEW, &stored[2..]));
    assert!(
        !libxcrypt_verifies(NEW, &stored),
        "the suspended form must not verify"
    );
}

#[test]
fn a_mailbox_in_only_one_file_is_reported_damaged() {
    let account = ScratchAccount::new(&[]);
    let path = account.etc("example.com").join("shadow");
    let text: String = account
        .shadow("example.com")
        .lines()
        .filter(|l| !l.starts_with("bob:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, text).unwrap();
    let snapshot = account.snapshot();
    let daemon = Daemon::serve(&account, &[]);
    let reply = daemon.connect().uapi(
        "Email",
        "passwd_pop",
        json!({"email": "bob", "password": NEW}),
    );
    let (status, errors) = status_and_errors(&reply);
    assert_eq!(status, 0);
    assert!(
        errors[0].contains("bob@example.com") && errors[0].contains("damaged"),
        "{errors:?}"
    );
    assert_eq!(account.snapshot(), snapshot);
}

#[test]
fn fifty_concurrent_connections_all_persist() {
    let boxes: Vec<String> = (0..50).map(|i| format!("box{i:02}")).collect();
    let account =
        ScratchAccount::new(&["--mailboxes", &boxes.join(","), "--domains", "example.com"]);
    let daemon = Daemon::serve(&account, &[]);
    let socket = daemon.socket.clone();
    let mtime_before = std::fs::metadata(account.etc("example.com").join("shadow"))
        .unwrap()
        .mtime();
    let workers: Vec<_> = boxes
        .iter()
        .map(|b| {
            let (socket, b) = (socket.clone(), b.clone());
            thread::spawn(move || {
                let mut client = Client::connect(&socket);
                let reply = client.uapi(
                    "Email",
                    "passwd_pop",
                    json!({"email": b, "password": format!("Concurrent-{b}-Pw9")}),
                );
                assert_eq!(status_and_errors(&reply), (1, vec![]), "{b}");
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    for b in &boxes {
        assert!(
            libxcrypt_verifies(
                &format!("Concurrent-{b}-Pw9"),
                &account.hash_of(b, "example.com")
            ),
            "{b}"
        );
    }
    // Group commit keeps the mtime from running far ahead of the clock.
    let mtime_after = std::fs::metadata(account.etc("example.com").join("shadow"))
        .unwrap()
        .mtime();
    assert!(mtime_after > mtime_before);
    let leftovers: Vec<_> = std::fs::read_dir(account.etc("example.com"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn two_changes_in_one_second_both_move_the_mtime_second() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let shadow = account.etc("example.com").join("shadow");
    let mut seconds = vec![std::fs::metadata(&shadow).unwrap().mtime()];
    for pw in ["First-Change-11", "Second-Change-22", "Third-Change-33"] {
        let reply = client.uapi(
            "Email",
            "passwd_pop",
            json!({"email": "user", "password": pw}),
        );
        assert_eq!(status_and_errors(&reply), (1, vec![]));
        seconds.push(std::fs::metadata(&shadow).unwrap().mtime());
    }
    assert!(seconds.windows(2).all(|w| w[1] > w[0]), "{seconds:?}");
}

#[test]
fn api2_passwdpop_wraps_the_same_call() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let call = |client: &mut Client, args: serde_json::Value| {
        let action = json!({"module": "Email", "reqtype": "exec", "func": "passwdpop", "apiversion": "2", "args": args});
        let frame = client.request(format!("<cpanelaction>\n{action}\n</cpanelaction>").as_bytes());
        assert!(frame.starts_with(b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"cpanelresult\""));
        common::parse_frame(&frame)
    };
    let ok = call(
        &mut client,
        json!({"email": "user", "domain": "example.com", "password": NEW}),
    );
    assert_eq!(
        ok["cpanelresult"]["data"],
        json!([{"result": 1, "reason": ""}])
    );
    assert_eq!(ok["cpanelresult"]["event"]["result"], 1);
    assert!(libxcrypt_verifies(
        NEW,
        &account.hash_of("user", "example.com")
    ));
    let weak = call(
        &mut client,
        json!({"email": "user", "domain": "example.com", "password": "12345luggage"}),
    );
    let legacy = "Sorry, the password you selected cannot be used because it is too weak and would be too easy to guess. Please select a password with strength rating of 65 or higher.";
    assert_eq!(
        weak["cpanelresult"]["data"],
        json!([{"result": 0, "reason": legacy}])
    );
    assert_eq!(weak["cpanelresult"]["error"], legacy);
}

#[test]
fn no_password_ever_reaches_the_daemons_output() {
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    let secrets = ["Leak-Canary-5931x", "12345luggage", "Leak/Canary&<6>"];
    for (i, s) in secrets.iter().enumerate() {
        for args in [
            json!({"email": "user", "password": s}),
            json!({"email": "nobody", "password": s}),
            json!({"email": "../x", "password": s}),
            json!({"email": "user", "domain": "example.org", "password": s}),
            json!({"email": format!("user{i}@a@b"), "password": s}),
        ] {
            client.uapi("Email", "passwd_pop", args);
        }
    }
    client.request(b"<cpanelaction>\n{\"module\":\"Email\",\"func\":\"passwd_pop\",\"apiversion\":3,\"args\":{\"password\":\"Leak-Canary-5931x\"");
    drop(client);
    assert!(daemon.stop().success());
    let output = daemon.output();
    assert!(
        output.contains("password changed"),
        "the log is on: {output}"
    );
    for s in secrets {
        assert!(!output.contains(s), "password {s:?} in output:\n{output}");
    }
}

#[test]
fn a_password_rated_exactly_the_minimum_is_accepted() {
    // "12345luggage" rates exactly 63: the minimum is inclusive.
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut client = daemon.connect();
    account.set_min_strength(64);
    let before = account.snapshot();
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "12345luggage"}),
    );
    assert_eq!(
        status_and_errors(&reply),
        (0, vec!["The given password is too weak. Please enter a password with a strength rating of 64 or higher.".to_owned()])
    );
    assert_eq!(account.snapshot(), before);
    account.set_min_strength(63);
    let reply = client.uapi(
        "Email",
        "passwd_pop",
        json!({"email": "user", "password": "12345luggage"}),
    );
    assert_eq!(status_and_errors(&reply), (1, vec![]));
    assert!(libxcrypt_verifies(
        "12345luggage",
        &account.hash_of("user", "example.com")
    ));
}
