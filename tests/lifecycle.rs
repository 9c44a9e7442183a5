//! The mailbox lifecycle over the socket: add, list, verify, suspend, quota,
//! delete, their API2 wrappers, their refusals, and all-or-nothing changes.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{libxcrypt_verifies, Client, Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::{json, Value};

const MIB: u64 = 1_048_576;

fn line_of(account: &ScratchAccount, domain: &str, file: &str, localpart: &str) -> Option<String> {
    std::fs::read_to_string(account.etc(domain).join(file))
        .unwrap_or_default()
        .lines()
        .find(|l| l.split(':').next() == Some(localpart))
        .map(str::to_owned)
}

#[test]
fn add_pop_writes_three_lines_and_a_maildir() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let data = c.email_ok(
        "add_pop",
        json!({"email": "New.User", "password": "Fresh-Mailbox-Pw1", "domain": "example.com"}),
    );
    assert_eq!(data, "new.user+example.com");
    let home = account.home().display().to_string();
    let passwd = line_of(&account, "example.com", "passwd", "new.user").unwrap();
    let fields: Vec<&str> = passwd.split(':').collect();
    assert_eq!(fields.len(), 7);
    assert_eq!(
        (fields[1], fields[4], fields[6]),
        ("x", "demo", home.as_str())
    );
    assert_eq!(fields[5], format!("{home}/mail/example.com/new.user"));
    let shadow = line_of(&account, "example.com", "shadow", "new.user").unwrap();
    assert!(shadow.ends_with("::::::"));
    assert!(libxcrypt_verifies(
        "Fresh-Mailbox-Pw1",
        &account.hash_of("new.user", "example.com")
    ));
    assert_eq!(
        line_of(&account, "example.com", "quota", "new.user").unwrap(),
        format!("new.user:{}", 1024 * MIB)
    );
    let maildir = account.home().join("mail/example.com/new.user");
    for d in [
        maildir.clone(),
        maildir.join("cur"),
        maildir.join("new"),
        maildir.join("tmp"),
    ] {
        assert_eq!(
            std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o751,
            "{}",
            d.display()
        );
    }
    // It is a mailbox like any other now.
    c.email_ok(
        "passwd_pop",
        json!({"email": "new.user@example.com", "password": "Changed-Again-Pw2"}),
    );
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "new.user@example.com", "password": "Changed-Again-Pw2"})
        ),
        1
    );
}

#[test]
fn add_pop_quota_forms_and_a_premade_hash() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    c.email_ok(
        "add_pop",
        json!({"email": "q250", "password": "Quota-Two-Fifty-1", "quota": 250}),
    );
    assert_eq!(
        line_of(&account, "example.com", "quota", "q250").unwrap(),
        format!("q250:{}", 250 * MIB)
    );
    c.email_ok(
        "add_pop",
        json!({"email": "qinf", "password": "Quota-Unlimited-1", "quota": "unlimited"}),
    );
    assert_eq!(line_of(&account, "example.com", "quota", "qinf"), None);
    assert_eq!(
        c.email_ok("get_pop_quota", json!({"email": "qinf"})),
        "unlimited"
    );
    // A hash made by libxcrypt elsewhere.
    let out = std::process::Command::new("perl")
        .args(["-e", "print crypt($ENV{PW}, '$6$abcdefghijklmnop$')"])
        .env("PW", "Premade-Hash-Pw-3")
        .output()
        .unwrap();
    let premade = String::from_utf8(out.stdout).unwrap();
    c.email_ok(
        "add_pop",
        json!({"email": "hashed@example.net", "password_hash": premade}),
    );
    assert_eq!(account.hash_of("hashed", "example.net"), premade);
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "hashed@example.net", "password": "Premade-Hash-Pw-3"})
        ),
        1
    );
}

#[test]
fn add_pop_refusals_change_nothing() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let before = account.full_snapshot();
    let cases = [
        (json!({"email": "user", "password": "Dup-Mailbox-Pw-1"}), "The email account “user@example.com” already exists."),
        (json!({"email": "cpanel", "password": "Reserved-Name-Pw-1"}), "“cpanel” is a reserved name and cannot be used for an email account."),
        (json!({"email": "shadow", "password": "Reserved-Name-Pw-1"}), "“shadow” is a reserved name and cannot be used for an email account."),
        (json!({"email": "weak", "password": "12345luggage"}), "The given password is too weak. Please enter a password with a strength rating of 65 or higher."),
        (json!({"email": "both", "password": "Both-Given-Pw-1", "password_hash": "$6$abc$def"}), "Provide the “password” or the “password_hash” argument, not both."),
        (json!({"email": "neither"}), "Provide the “password” or “password_hash” argument."),
        (json!({"email": "badhash", "password_hash": "$6$short$x"}), "The “password_hash” argument is not a valid SHA-512 (“$6$”) or SHA-256 (“$5$”) crypt hash."),
        (json!({"email": "badquota", "password": "Bad-Quota-Pw-1", "quota": "lots"}), "The quota “lots” is not valid. Give a whole number of megabytes, or “unlimited”."),
        (json!({"email": "x@example.org", "password": "Foreign-Domain-1"}), "You do not have an email account named “x@example.org”."),
        (json!({"email": "../etc", "password": "Hostile-Name-Pw-1"}), "“../etc” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~."),
        (json!({"email": "a".repeat(65), "password": "Too-Long-Name-Pw-1"}), "Your username cannot contain more than 64 characters."),
        (json!({"password": "No-Email-Pw-1"}), "Provide the “email” argument."),
    ];
    for (args, expected) in cases {
        assert_eq!(c.email_err("add_pop", args.clone()), expected, "{args}");
    }
    assert_eq!(
        account.full_snapshot(),
        before,
        "no file or directory changed"
    );
}

#[test]
fn the_account_limits_apply() {
    let account = ScratchAccount::new(&[]);
    let cpuser = account.root().join("var/cpanel/users/demo");
    let text = std::fs::read_to_string(&cpuser)
        .unwrap()
        .replace("MAXPOP=unlimited", "MAXPOP=7");
    std::fs::write(&cpuser, format!("{text}MAX_EMAILACCT_QUOTA=500\n")).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    // Six exist; a seventh fits, an eighth does not.
    c.email_ok(
        "add_pop",
        json!({"email": "seventh", "password": "Seventh-Box-Pw-1", "quota": 100}),
    );
    assert_eq!(
        c.email_err(
            "add_pop",
            json!({"email": "eighth", "password": "Eighth-Box-Pw-1"})
        ),
        "You cannot create more email accounts: this account allows at most 7."
    );
    // Quotas above the maximum are clamped; unlimited is refused.
    c.email_ok("edit_pop_quota", json!({"email": "seventh", "quota": 9000}));
    assert_eq!(
        c.email_ok("get_pop_quota", json!({"email": "seventh"})),
        500
    );
    assert_eq!(
        c.email_err(
            "edit_pop_quota",
            json!({"email": "seventh", "quota": "unlimited"})
        ),
        "The quota cannot be unlimited: this account allows at most 500 MB per email account."
    );
}

#[test]
fn add_pop_creates_the_files_of_a_domain_that_has_none() {
    let account = ScratchAccount::new(&["--domains", "example.com"]);
    let cpuser = account.root().join("var/cpanel/users/demo");
    let text = std::fs::read_to_string(&cpuser).unwrap();
    std::fs::write(&cpuser, format!("{text}DNS1=fresh.example\n")).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    c.email_ok(
        "add_pop",
        json!({"email": "first", "domain": "fresh.example", "password": "First-In-Domain-1"}),
    );
    let dir = account.etc("fresh.example");
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o750
    );
    for f in ["passwd", "shadow", "quota"] {
        assert_eq!(
            std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777,
            0o640,
            "{f}"
        );
    }
    assert!(libxcrypt_verifies(
        "First-In-Domain-1",
        &account.hash_of("first", "fresh.example")
    ));
    assert_eq!(c.email_ok("count_pops", json!({})), 4);
}

#[test]
fn delete_pop_removes_lines_and_mail_unless_told_to_keep_it() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let maildir = account.home().join("mail/example.com/alice");
    std::fs::write(maildir.join("new/1.eml"), b"Subject: hi\n\nhello\n").unwrap();
    let bob_before: Vec<_> = ["passwd", "shadow", "quota"]
        .iter()
        .map(|f| line_of(&account, "example.com", f, "bob"))
        .collect();
    assert_eq!(
        c.email_ok("delete_pop", json!({"email": "alice@example.com"})),
        Value::Null
    );
    for f in ["passwd", "shadow", "quota"] {
        assert_eq!(line_of(&account, "example.com", f, "alice"), None, "{f}");
    }
    assert!(!maildir.exists());
    let leftovers: Vec<_> = std::fs::read_dir(account.home().join("mail/example.com"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !leftovers
            .iter()
            .any(|n| n.to_string_lossy().starts_with('.')),
        "{leftovers:?}"
    );
    let bob_after: Vec<_> = ["passwd", "shadow", "quota"]
        .iter()
        .map(|f| line_of(&account, "example.com", f, "bob"))
        .collect();
    assert_eq!(bob_before, bob_after);
    // flags=passwd keeps the mail.
    c.email_ok("delete_pop", json!({"email": "bob", "flags": "passwd"}));
    assert_eq!(line_of(&account, "example.com", "passwd", "bob"), None);
    assert!(account.home().join("mail/example.com/bob/cur").is_dir());
    assert_eq!(
        c.email_err("delete_pop", json!({"email": "bob"})),
        "You do not have an email account named “bob@example.com”."
    );
    assert_eq!(
        c.email_err("delete_pop", json!({"email": "user@example.org"})),
        "You do not have an email account named “user@example.org”."
    );
    // A half-made account (shadow line only) can be cleaned up.
    let shadow = account.etc("example.net").join("shadow");
    std::fs::write(
        &shadow,
        format!("{}ghost:x:1::::::\n", account.shadow("example.net")),
    )
    .unwrap();
    c.email_ok("delete_pop", json!({"email": "ghost@example.net"}));
    assert_eq!(line_of(&account, "example.net", "shadow", "ghost"), None);
}

#[test]
fn listings() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let reply = c.uapi("Email", "list_pops", json!({}));
    assert_eq!(reply["result"]["metadata"], json!({"transformed": 1}));
    let rows = reply["result"]["data"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 7);
    assert_eq!(
        rows[0],
        json!({"email": "demo", "login": "Main Account", "suspended_incoming": 0, "suspended_login": 0})
    );
    assert_eq!(
        rows[1],
        json!({"email": "user@example.com", "login": "user@example.com", "suspended_incoming": 0, "suspended_login": 0})
    );
    let rows = c.email_ok(
        "list_pops",
        json!({"skip_main": 1, "regex": "^(alice|bob)@example\\.net$"}),
    );
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["email"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["alice@example.net", "bob@example.net"]
    );
    assert!(c
        .email_err("list_pops", json!({"regex": "("}))
        .starts_with("The “regex” argument is not a valid regular expression"));
    assert_eq!(c.email_ok("count_pops", json!({})), 6);

    std::fs::write(
        account.home().join("mail/example.com/user/new/1.eml"),
        vec![b'x'; 3000],
    )
    .unwrap();
    let rows = c.email_ok("list_pops_with_disk", json!({"domain": "example.com"}));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let user = &rows[0];
    assert_eq!(
        (
            user["email"].as_str(),
            user["user"].as_str(),
            user["domain"].as_str()
        ),
        (Some("user@example.com"), Some("user"), Some("example.com"))
    );
    assert_eq!(user["_diskused"], 3000);
    assert_eq!(user["_diskquota"], 1024 * MIB);
    assert_eq!(user["diskquota"], "1024");
    assert_eq!(user["humandiskused"], "2.93\u{a0}KB");
    let one = c.email_ok(
        "list_pops_with_disk",
        json!({"domain": "example.com", "email": "user", "no_disk": 1}),
    );
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["_diskused"], 0);
    assert_eq!(
        c.email_err("list_pops_with_disk", json!({"domain": "example.org"})),
        "You do not have any email accounts configured for “example.org”."
    );
    assert_eq!(
        c.email_err(
            "list_pops_with_disk",
            json!({"domain": "example.com", "email": "nobody"})
        ),
        "You do not have an email account named “nobody@example.com”."
    );
}

#[test]
fn verify_suspend_unsuspend() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user@example.com", "password": OLD_PASSWORD})
        ),
        1
    );
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user@example.com", "password": "wrong"})
        ),
        0
    );
    assert_eq!(
        c.email_err(
            "verify_password",
            json!({"email": "nobody@example.com", "password": "x"})
        ),
        "You do not have an email account named “nobody@example.com”."
    );
    assert_eq!(
        c.email_err("verify_password", json!({"email": "user@example.com"})),
        "Provide the “password” argument."
    );

    let before = account.shadow("example.com");
    c.email_ok("suspend_login", json!({"email": "user@example.com"}));
    let hash = account.hash_of("user", "example.com");
    assert!(hash.starts_with("!!$6$"));
    assert_eq!(
        account
            .shadow("example.com")
            .replacen("user:!!$6$", "user:$6$", 1),
        before,
        "only the prefix changed"
    );
    assert_eq!(
        c.email_ok("list_pops", json!({"regex": "^user@example\\.com$"}))[0]["suspended_login"],
        1
    );
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user@example.com", "password": OLD_PASSWORD})
        ),
        0
    );
    c.email_ok("suspend_login", json!({"email": "user@example.com"}));
    assert_eq!(
        account.hash_of("user", "example.com"),
        hash,
        "suspending twice changes nothing"
    );
    c.email_ok("unsuspend_login", json!({"email": "user@example.com"}));
    assert_eq!(account.shadow("example.com"), before);
    assert_eq!(
        c.email_ok(
            "verify_password",
            json!({"email": "user@example.com", "password": OLD_PASSWORD})
        ),
        1
    );
    // A single-`!` suspension from older cPanel is lifted too.
    std::fs::write(
        account.etc("example.com").join("shadow"),
        before.replacen("user:$6$", "user:!$6$", 1),
    )
    .unwrap();
    c.email_ok("unsuspend_login", json!({"email": "user"}));
    assert_eq!(account.shadow("example.com"), before);
    assert_eq!(
        c.email_err("suspend_login", json!({"email": "x@example.org"})),
        "You do not have an email account named “x@example.org”."
    );
}

#[test]
fn quotas() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    assert_eq!(c.email_ok("get_pop_quota", json!({"email": "user"})), 1024);
    assert_eq!(
        c.email_ok("get_pop_quota", json!({"email": "user", "as_bytes": 1})),
        1024 * MIB
    );
    c.email_ok(
        "edit_pop_quota",
        json!({"email": "user", "domain": "example.com", "quota": 250}),
    );
    assert_eq!(
        line_of(&account, "example.com", "quota", "user").unwrap(),
        format!("user:{}", 250 * MIB)
    );
    c.email_ok("edit_pop_quota", json!({"email": "user", "quota": 0}));
    assert_eq!(line_of(&account, "example.com", "quota", "user"), None);
    assert_eq!(
        c.email_ok("get_pop_quota", json!({"email": "user", "as_bytes": 1})),
        0
    );
    c.email_ok("edit_pop_quota", json!({"email": "user", "quota": 10}));
    assert_eq!(c.email_ok("get_pop_quota", json!({"email": "user"})), 10);
    assert_eq!(
        c.email_err("edit_pop_quota", json!({"email": "user", "quota": "-5"})),
        "The quota “-5” is not valid. Give a whole number of megabytes, or “unlimited”."
    );
    assert_eq!(
        c.email_err("edit_pop_quota", json!({"email": "user"})),
        "Provide the “quota” argument."
    );
    assert_eq!(
        c.email_err("get_pop_quota", json!({"email": "nobody"})),
        "You do not have an email account named “nobody@example.com”."
    );
}

#[test]
fn api2_wrappers() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let api2 = |c: &mut Client, func: &str, args: Value| {
        let action = json!({"module": "Email", "reqtype": "exec", "func": func, "apiversion": 2, "args": args});
        let frame = c.request(format!("<cpanelaction>\n{action}\n</cpanelaction>").as_bytes());
        assert!(frame.starts_with(b"<?xml version=\"1.0\" ?>\n<cpanelresult>{\"cpanelresult\""));
        common::parse_frame(&frame)["cpanelresult"].clone()
    };
    let r = api2(
        &mut c,
        "addpop",
        json!({"email": "two", "domain": "example.com", "password": "Api-Two-Pass-1", "quota": 100}),
    );
    assert_eq!(r["data"], json!([{"result": 1, "reason": ""}]));
    let r = api2(
        &mut c,
        "addpop",
        json!({"email": "weak2", "password": "12345luggage"}),
    );
    assert_eq!(r["data"][0]["result"], 0);
    assert!(r["error"]
        .as_str()
        .unwrap()
        .starts_with("Sorry, the password you selected cannot be used"));
    let r = api2(
        &mut c,
        "getpopquota",
        json!({"email": "two", "domain": "example.com"}),
    );
    assert_eq!(r["data"], json!([{"result": 100}]));
    let r = api2(
        &mut c,
        "editquota",
        json!({"email": "two", "domain": "example.com", "quota": 200}),
    );
    assert_eq!(r["data"], json!([{"result": 1, "reason": ""}]));
    let r = api2(&mut c, "listpops", json!({"regex": "^two@"}));
    assert_eq!(
        r["data"],
        json!([{"email": "two@example.com", "login": "two@example.com"}])
    );
    let r = api2(
        &mut c,
        "listpopswithdisk",
        json!({"domain": "example.com", "email": "two"}),
    );
    assert_eq!(r["data"][0]["txtdiskquota"], 200);
    assert_eq!(r["event"]["result"], 1);
    let r = api2(
        &mut c,
        "delpop",
        json!({"email": "two", "domain": "example.com"}),
    );
    assert_eq!(r["data"], json!([{"result": 1, "reason": ""}]));
    let r = api2(&mut c, "listpopswithdisk", json!({"domain": "example.org"}));
    assert_eq!(r["event"]["result"], 0);
    assert_eq!(
        r["error"],
        "You do not have any email accounts configured for “example.org”."
    );
}

#[test]
fn an_add_that_cannot_write_its_quota_file_leaves_the_account_as_it_was() {
    let account = ScratchAccount::new(&[]);
    let mut daemon = Daemon::serve(&account, &[]);
    let pid = daemon.child.as_ref().unwrap().id();
    // Block every temp name the daemon would stage the quota file under.
    for attempt in 0..8 {
        std::fs::create_dir(
            account
                .etc("example.com")
                .join(format!(".quota.liveapid-{pid}-{attempt}")),
        )
        .unwrap();
    }
    let before = account.full_snapshot();
    let mut c = daemon.connect();
    let error = c.email_err(
        "add_pop",
        json!({"email": "doomed", "password": "Doomed-Mailbox-Pw1"}),
    );
    assert!(
        error.contains("temporary file") && error.contains("quota"),
        "{error}"
    );
    assert_eq!(
        account.full_snapshot(),
        before,
        "passwd, shadow and the Maildir are as they were"
    );
    // The other files were staged and dropped: no temp file is left.
    let names: Vec<String> = std::fs::read_dir(account.etc("example.com"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with(".passwd") || n.starts_with(".shadow")),
        "{names:?}"
    );
    // And the same add works once the obstacle is gone.
    for attempt in 0..8 {
        std::fs::remove_dir(
            account
                .etc("example.com")
                .join(format!(".quota.liveapid-{pid}-{attempt}")),
        )
        .unwrap();
    }
    c.email_ok(
        "add_pop",
        json!({"email": "doomed", "password": "Doomed-Mailbox-Pw1"}),
    );
    assert!(daemon.stop().success());
}

#[test]
fn ten_thousand_mailboxes_list_in_one_reply() {
    let boxes: Vec<String> = (0..10_000).map(|i| format!("box{i:05}")).collect();
    // Laid out directly: 10 000 libxcrypt hashes would take a while and prove nothing here.
    let account = ScratchAccount::new(&["--domains", "example.com", "--mailboxes", "user"]);
    let etc = account.etc("example.com");
    let hash = account.hash_of("user", "example.com");
    let mut passwd = String::new();
    let mut shadow = String::new();
    for b in &boxes {
        passwd.push_str(&format!("{b}:x:0:0:demo:/m/{b}:/h\n"));
        shadow.push_str(&format!("{b}:{hash}:20000::::::\n"));
    }
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    std::fs::write(etc.join("shadow"), shadow).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let action =
        json!({"module": "Email", "reqtype": "exec", "func": "list_pops", "apiversion": "uapi"});
    let frame = c.request(format!("<cpanelaction>\n{action}\n</cpanelaction>").as_bytes());
    assert!(frame.len() < 20 * MIB as usize, "{} bytes", frame.len());
    let reply = common::parse_frame(&frame);
    assert_eq!(reply["result"]["data"].as_array().unwrap().len(), 10_001);
    // The Perl shim decodes it in one call (and a call after it still works).
    let out = std::process::Command::new("perl")
        .arg("-I")
        .arg(common::repo().join("bindings/perl/lib"))
        .args(["-MCpanel::LiveAPI", "-e", "my $c = Cpanel::LiveAPI->new(); my $r = $c->uapi('Email', 'list_pops'); my $n = $c->uapi('Email', 'count_pops'); print scalar(@{$r->{cpanelresult}{result}{data}}), ' ', $n->{cpanelresult}{result}{data}; $c->end();"])
        .env("CPANEL_CONNECT_SOCKET", &daemon.socket)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "10001 10000",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_refusal_of_the_other_functions_changes_nothing() {
    let account = ScratchAccount::new(&[]);
    let daemon = Daemon::serve(&account, &[]);
    let mut c = daemon.connect();
    let before = account.full_snapshot();
    let missing = "You do not have an email account named “ghost@example.com”.";
    let foreign = "You do not have an email account named “user@example.org”.";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("delete_pop", json!({"email": "ghost"}), missing),
        ("delete_pop", json!({"email": "user@example.org"}), foreign),
        ("delete_pop", json!({}), "Provide the “email” argument."),
        ("suspend_login", json!({"email": "ghost@example.com"}), missing),
        ("unsuspend_login", json!({"email": "user@example.org"}), foreign),
        ("suspend_login", json!({"email": "../x"}), "“../x” is not a valid email account name. Use letters, numbers, periods (not first, last, or twice in a row), and the characters ! # $ - = ? ^ _ { } ~."),
        ("edit_pop_quota", json!({"email": "ghost", "quota": 5}), missing),
        ("edit_pop_quota", json!({"email": "user", "quota": "5MB"}), "The quota “5MB” is not valid. Give a whole number of megabytes, or “unlimited”."),
        ("edit_pop_quota", json!({"email": "user", "domain": "../../etc", "quota": 5}), "“../../etc” is not a valid domain name."),
        ("get_pop_quota", json!({"email": "user@example.org"}), foreign),
        ("verify_password", json!({"email": "ghost@example.com", "password": "Whatever-123"}), missing),
        ("verify_password", json!({"password": "Whatever-123"}), "Provide the “email” argument."),
        ("list_pops_with_disk", json!({"domain": "../x"}), "“../x” is not a valid domain name."),
    ];
    for (func, args, expected) in cases {
        assert_eq!(c.email_err(func, args.clone()), expected, "{func} {args}");
    }
    assert_eq!(
        account.full_snapshot(),
        before,
        "no file or directory changed"
    );
}

/// The account's mailbox limit holds under concurrency: it is counted
/// across every domain under one account-wide lock held until the commit,
/// so 20 simultaneous adds (in two domains, on 20 connections) at the limit
/// create exactly the number still allowed.
#[test]
fn twenty_concurrent_adds_at_the_limit_create_exactly_the_allowed_number() {
    let account = ScratchAccount::new(&[]);
    // Six mailboxes exist (three in each of two domains); two more are allowed.
    let cpuser = account.root().join("var/cpanel/users/demo");
    let text = std::fs::read_to_string(&cpuser)
        .unwrap()
        .replace("MAXPOP=unlimited", "MAXPOP=8");
    std::fs::write(&cpuser, text).unwrap();
    let daemon = Daemon::serve(&account, &[]);
    let socket = daemon.socket.clone();
    let adds: Vec<_> = (0..20)
        .map(|i| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let domain = if i % 2 == 0 {
                    "example.com"
                } else {
                    "example.net"
                };
                let mut client = Client::connect(&socket);
                let reply = client.uapi(
                    "Email",
                    "add_pop",
                    json!({"email": format!("new{i}@{domain}"), "password": "Limit-Race-Pass-20"}),
                );
                reply["result"]["status"].as_i64().unwrap()
            })
        })
        .collect();
    let created = adds.into_iter().map(|t| t.join().unwrap()).sum::<i64>();
    assert_eq!(created, 2, "exactly the two allowed");
    let mut client = daemon.connect();
    let count = client.uapi("Email", "count_pops", json!({}));
    assert_eq!(count["result"]["data"], 8, "{count}");
}
