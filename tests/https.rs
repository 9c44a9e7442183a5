//! The HTTPS front end as its clients meet it, over real TLS on loopback
//! with curl: API tokens, the Roundcube driver's request, webmail limits,
//! logins and sessions, the one 401, the failure limit, and no plaintext.
//! The real-user parts (PAM, a supervisor with two accounts) need root.

#[macro_use]
mod common;

use std::io::{Read, Write};

use common::https::{self, Call};
use common::{Daemon, ScratchAccount, OLD_PASSWORD};
use serde_json::{json, Value};

/// A scratch account served in-process with HTTPS on a free port.
fn serve(extra: &[&str]) -> (ScratchAccount, Daemon, u16) {
    let account = ScratchAccount::new(&[]);
    let mut args = vec!["--https", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let daemon = Daemon::serve(&account, &args);
    let port = https::port_in_log(|| daemon.output());
    (account, daemon, port)
}

fn create_token(daemon: &Daemon, name: &str) -> String {
    let data = daemon
        .connect()
        .uapi("Tokens", "create_full_access", json!({"name": name}));
    assert_eq!(data["result"]["status"], 1, "{data}");
    let token = data["result"]["data"]["token"].as_str().unwrap().to_owned();
    common::remember_password(&token);
    token
}

fn token<'a>(user: &'a str, token: &'a str) -> Call<'a> {
    Call {
        token: Some((user, token)),
        ..Call::default()
    }
}

#[test]
fn a_token_answers_get_and_post_like_the_socket_until_it_is_revoked() {
    let (account, daemon, port) = serve(&[]);
    let secret = create_token(&daemon, "billing");
    assert_eq!(secret.len(), 32);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    let call = token("demo", &secret);

    let socket = daemon
        .connect()
        .uapi("Email", "list_pops", json!({"skip_main": "1"}));
    let get = https::request(port, "/execute/Email/list_pops?skip_main=1", &call);
    assert_eq!(get.status, 200);
    assert_eq!(
        get.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(get.json(), socket["result"], "the bare result object");
    let post = https::request(
        port,
        "/execute/Email/list_pops",
        &Call {
            form: Some("skip_main=1"),
            ..call.clone()
        },
    );
    assert_eq!(post.json(), get.json());

    // A change over POST, with URI-encoded values.
    let changed = https::request(
        port,
        "/execute/Email/passwd_pop",
        &Call {
            form: Some("email=user&domain=example.com&password=Token-Changed%2BPass-7"),
            ..call.clone()
        },
    );
    common::remember_password("Token-Changed+Pass-7");
    assert_eq!(changed.json()["status"], 1, "{}", changed.text);
    assert!(common::libxcrypt_verifies(
        "Token-Changed+Pass-7",
        &account.hash_of("user", "example.com")
    ));

    // The list shows names and times, never the secret.
    let listed = https::request(port, "/execute/Tokens/list", &call);
    assert_eq!(listed.json()["data"][0]["name"], "billing");
    assert!(!listed.text.contains(&secret));
    // Only a hash is on disk.
    let stored = std::fs::read_to_string(account.home().join(".liveapid/api_tokens")).unwrap();
    assert!(
        stored.starts_with("billing:") && !stored.contains(&secret),
        "{stored}"
    );
    // The internal check is not reachable by a client.
    let internal = https::request(port, "/execute/Tokens/_check_token?token=x", &call);
    assert_eq!(
        internal.json()["errors"][0],
        "Illegal function name: _check_token"
    );
    // A token names its own account only.
    assert_eq!(
        https::request(port, "/execute/Email/count_pops", &token("root", &secret)).status,
        401
    );

    let revoked = https::request(port, "/execute/Tokens/revoke?name=billing", &call);
    assert_eq!(revoked.json()["status"], 1, "{}", revoked.text);
    let after = https::request(port, "/execute/Email/list_pops", &call);
    assert_eq!(after.status, 401);
    assert_eq!(after.json()["errors"][0], "Access denied");
}

#[test]
fn the_roundcube_driver_changes_the_password_and_the_old_one_stops_working() {
    let (account, daemon, port) = serve(&[]);
    let _ = &daemon;
    // plugins/password/drivers/cpanel.php: POST http_build_query(email=<localpart>,
    // password=<new>) with CURLOPT_USERPWD "<address>:<current>" to port 2096's
    // /execute/Email/passwd_pop; it reads `status` and `errors[0]`.
    let new = "Roundcube New Pass 42";
    common::remember_password(new);
    let changed = https::request(
        port,
        "/execute/Email/passwd_pop",
        &Call {
            form: Some("email=user&password=Roundcube+New+Pass+42"),
            basic: Some(("user@example.com", OLD_PASSWORD)),
            ..Call::default()
        },
    );
    assert_eq!(changed.status, 200);
    let body = changed.json();
    assert_eq!(body["status"], json!(1), "{body}");
    assert!(common::libxcrypt_verifies(
        new,
        &account.hash_of("user", "example.com")
    ));

    let old = https::request(
        port,
        "/execute/Email/passwd_pop",
        &Call {
            form: Some("email=user&password=Another-Pass-999"),
            basic: Some(("user@example.com", OLD_PASSWORD)),
            ..Call::default()
        },
    );
    assert_eq!(old.status, 401);
    assert!(common::libxcrypt_verifies(
        new,
        &account.hash_of("user", "example.com")
    ));

    // A weak password: status 0 and the reason in errors[0], as the driver shows it.
    let weak = https::request(
        port,
        "/execute/Email/passwd_pop",
        &Call {
            form: Some("email=user&password=abc"),
            basic: Some(("user@example.com", new)),
            ..Call::default()
        },
    );
    let body = weak.json();
    assert_eq!(body["status"], json!(0));
    assert!(
        body["errors"][0].as_str().unwrap().contains("too weak"),
        "{body}"
    );
}

#[test]
fn a_webmail_login_may_change_only_its_own_password() {
    let (account, _daemon, port) = serve(&[]);
    let webmail = |path: &str, form: &'static str| {
        https::request(
            port,
            path,
            &Call {
                form: Some(form),
                basic: Some(("user@example.com", OLD_PASSWORD)),
                ..Call::default()
            },
        )
    };
    let before = account.snapshot();
    let other = webmail(
        "/execute/Email/passwd_pop",
        "email=alice&domain=example.net&password=Stolen-Pass-12345",
    );
    assert_eq!(other.status, 200);
    assert_eq!(
        other.json()["errors"][0],
        "You do not have an email account named “alice@example.net”."
    );
    let other_by_address = webmail(
        "/execute/Email/passwd_pop",
        "email=bob%40example.com&password=Stolen-Pass-12345",
    );
    assert_eq!(other_by_address.json()["status"], 0);
    let add = webmail(
        "/execute/Email/add_pop",
        "email=evil&domain=example.com&password=Stolen-Pass-12345",
    );
    assert_eq!(
        add.json()["errors"][0],
        "Execution of Email::add_pop (api version:3) is not permitted inside of webmail"
    );
    let list = webmail("/execute/Email/list_pops", "");
    assert_eq!(list.json()["status"], 0);
    assert_eq!(account.snapshot(), before, "nothing changed");
}

#[test]
fn a_login_session_needs_its_cookie_and_its_token_and_logout_ends_it() {
    let (account, _daemon, port) = serve(&[]);
    let login = https::request(
        port,
        "/login/?login_only=1",
        &Call {
            form: Some("user=user%40example.com&pass=Old-Secret-1234"),
            ..Call::default()
        },
    );
    assert_eq!(login.status, 200, "{}", login.text);
    let body = login.json();
    assert_eq!(body["status"], 1);
    let path = body["security_token"].as_str().unwrap().to_owned();
    assert!(path.starts_with("/cpsess") && path.len() == 17, "{path}");
    let set_cookie = login.header("set-cookie").unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("Secure"),
        "{set_cookie}"
    );
    let cookie = https::session_cookie(&login);
    common::remember_password(cookie.split_once('=').unwrap().1);

    // The seed's URL form, in a webmail session.
    let new = "Session-New-Pass-31";
    common::remember_password(new);
    let url =
        format!("{path}/execute/Email/passwd_pop?email=user&password={new}&domain=example.com");
    let with_cookie = Call {
        cookie: Some(&cookie),
        ..Call::default()
    };
    let changed = https::request(port, &url, &with_cookie);
    assert_eq!(changed.json()["status"], 1, "{}", changed.text);
    assert!(common::libxcrypt_verifies(
        new,
        &account.hash_of("user", "example.com")
    ));

    let listed = format!("{path}/execute/Email/count_pops");
    assert_eq!(
        https::request(port, &listed, &Call::default()).status,
        401,
        "no cookie"
    );
    assert_eq!(
        https::request(
            port,
            "/cpsess0000000000/execute/Email/count_pops",
            &with_cookie
        )
        .status,
        401,
        "another token"
    );
    assert_eq!(
        https::request(port, "/execute/Email/count_pops", &with_cookie).status,
        401,
        "no token"
    );
    let logout = https::request(port, "/logout/", &with_cookie);
    assert_eq!(logout.status, 200);
    assert_eq!(
        https::request(port, &listed, &with_cookie).status,
        401,
        "logged out"
    );
}

#[test]
fn every_authentication_failure_gets_the_same_401() {
    let (_account, daemon, port) = serve(&[]);
    let secret = create_token(&daemon, "real");
    let wrong_token = format!("{}X", &secret[..31]);
    let answers = [
        https::request(port, "/execute/Email/count_pops", &token("nobody", &secret)),
        https::request(
            port,
            "/execute/Email/count_pops",
            &token("demo", &wrong_token),
        ),
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                basic: Some(("user@example.com", "Wrong-Password-1")),
                ..Call::default()
            },
        ),
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                basic: Some(("nobody@nowhere.example", "Wrong-Password-1")),
                ..Call::default()
            },
        ),
        https::request(
            port,
            "/execute/Email/count_pops",
            &Call {
                basic: Some(("demo", "Wrong-Password-1")),
                ..Call::default()
            },
        ),
        https::request(port, "/execute/Email/count_pops", &Call::default()),
    ];
    for answer in &answers {
        assert_eq!(
            (answer.status, &answer.text),
            (401, &answers[0].text),
            "{answers:?}"
        );
    }
    assert_eq!(
        answers[0].json(),
        json!({"data": null, "errors": ["Access denied"], "messages": null, "metadata": {}, "status": 0, "warnings": null})
    );
}

#[test]
fn after_n_failures_even_the_right_credentials_get_429() {
    // In a directory of its own: root writes no log in a directory others
    // can write (such as /tmp).
    let audit_dir = tempfile::tempdir().unwrap();
    let audit = audit_dir.path().join("audit.log");
    let audit_path = audit.display().to_string();
    let (_account, daemon, port) = serve(&["--auth-failures", "3", "--audit-log", &audit_path]);
    let secret = create_token(&daemon, "right");
    let wrong = token("demo", "WRONGWRONGWRONGWRONGWRONGWRONG00");
    let statuses: Vec<u16> = (0..3)
        .map(|_| https::request(port, "/execute/Email/count_pops", &wrong).status)
        .collect();
    assert_eq!(statuses, [401, 401, 401]);
    let right = https::request(port, "/execute/Email/count_pops", &token("demo", &secret));
    assert_eq!(right.status, 429, "{}", right.text);
    assert_eq!(right.header("retry-after").as_deref(), Some("300"));
    // The same source is refused for any user.
    let other = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            basic: Some(("user@example.com", OLD_PASSWORD)),
            ..Call::default()
        },
    );
    assert_eq!(other.status, 429);

    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &Value| l["event"] == "login")
        .collect();
    let outcomes: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["outcome"].as_str().unwrap(),
                l["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("refused", "wrong or missing credentials"),
            ("refused", "wrong or missing credentials"),
            ("refused", "wrong or missing credentials"),
            ("refused", "too many failures"),
            ("refused", "too many failures"),
        ]
    );
    assert_eq!(lines[0]["method"], "token");
    assert_eq!(lines[0]["source"], "127.0.0.1");
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains(&secret) && !daemon.output().contains(&secret));
    common::keep_for_the_suite("logs", &text);
}

#[test]
fn a_success_is_audited_without_the_secret() {
    // In a directory of its own: root writes no log in a directory others
    // can write (such as /tmp).
    let audit_dir = tempfile::tempdir().unwrap();
    let audit = audit_dir.path().join("audit.log");
    let audit_path = audit.display().to_string();
    let (_account, daemon, port) = serve(&["--audit-log", &audit_path]);
    let secret = create_token(&daemon, "audited");
    let ok = https::request(port, "/execute/Email/count_pops", &token("demo", &secret));
    assert_eq!(ok.status, 200);
    let text = std::fs::read_to_string(&audit).unwrap();
    let login: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["event"] == "login")
        .unwrap();
    assert_eq!(
        (
            login["account"].as_str(),
            login["method"].as_str(),
            login["outcome"].as_str()
        ),
        (Some("demo"), Some("token"), Some("ok"))
    );
    assert!(!text.contains(&secret));
    common::keep_for_the_suite("logs", &text);
}

#[test]
fn plain_http_on_the_tls_port_gets_no_http_answer() {
    let (_account, _daemon, port) = serve(&[]);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"GET /execute/Email/count_pops HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(
        !reply.starts_with(b"HTTP"),
        "{:?}",
        String::from_utf8_lossy(&reply)
    );
    assert!(!String::from_utf8_lossy(&reply).contains("count"));
}

// ---- real users (root) ----

#[test]
fn the_seeds_url_form_after_an_account_login_with_the_system_password() {
    needs_root!();
    https::install_pam_service();
    let host = common::host::Host::new(&["ha", "hb"]);
    let (a, b) = (&host.users[0], &host.users[1]);
    let password = "System-Pass-A-8731";
    https::set_system_password(&a.name, password);
    https::set_system_password(&b.name, "System-Pass-B-1927");
    let users: Vec<String> = host
        .users
        .iter()
        .flat_map(|u| ["--user".to_owned(), u.name.clone()])
        .chain(["--https".to_owned(), "127.0.0.1:0".to_owned()])
        .collect();
    let supervisor = host.start(&users);
    let port = https::port_in_log(|| supervisor.log());

    let form = format!("user={}&pass={password}", a.name);
    let login = https::request(
        port,
        "/login/?login_only=1",
        &Call {
            form: Some(&form),
            ..Call::default()
        },
    );
    assert_eq!(login.status, 200, "{}", login.text);
    let path = login.json()["security_token"].as_str().unwrap().to_owned();
    let cookie = https::session_cookie(&login);
    common::remember_password(cookie.split_once('=').unwrap().1);
    let new = "Seed-Form-Pass-5521";
    common::remember_password(new);
    let url =
        format!("{path}/execute/Email/passwd_pop?email=user&password={new}&domain=example.com");
    let changed = https::request(
        port,
        &url,
        &Call {
            cookie: Some(&cookie),
            ..Call::default()
        },
    );
    assert_eq!(changed.json()["status"], 1, "{}", changed.text);
    assert!(common::libxcrypt_verifies(new, &host.hash_of(a, "user")));
    // The worker made the change, as the account: the file is still its own.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(host.shadow_path(a)).unwrap().uid(), a.uid);

    // HTTP Basic with the system password; a wrong one is the same 401.
    let basic = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            basic: Some((&a.name, password)),
            ..Call::default()
        },
    );
    assert_eq!(basic.json()["status"], 1, "{}", basic.text);
    let wrong = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            basic: Some((&a.name, "System-Pass-Wrong-1")),
            ..Call::default()
        },
    );
    assert_eq!(wrong.status, 401);
    // Root's password opens nothing, and neither does a name that is no account.
    let unknown = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            basic: Some(("nosuchuser", password)),
            ..Call::default()
        },
    );
    assert_eq!((unknown.status, unknown.text), (401, wrong.text.clone()));

    // One listener serves both accounts; a token opens its own only.
    let mut client = common::Client::connect(&host.socket(b));
    let reply = client.uapi("Tokens", "create_full_access", json!({"name": "b"}));
    let secret = reply["result"]["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    common::remember_password(&secret);
    let own = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            token: Some((&b.name, &secret)),
            ..Call::default()
        },
    );
    assert_eq!(own.json()["status"], 1, "{}", own.text);
    let foreign = https::request(
        port,
        "/execute/Email/count_pops",
        &Call {
            token: Some((&a.name, &secret)),
            ..Call::default()
        },
    );
    assert_eq!(foreign.status, 401);
    assert!(!supervisor.log().contains(&secret) && !supervisor.log().contains(password));
}

#[test]
fn a_token_made_with_the_uapi_command_opens_https_and_the_command_lists_and_revokes_it() {
    let (account, _daemon, port) = serve(&[]);
    let uapi = |args: &[&str]| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_uapi"))
            .arg("--root")
            .arg(account.root())
            .arg("--home")
            .arg(account.home())
            .args(["--user=demo", "--output=json"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let made = uapi(&["Tokens", "create_full_access", "name=cli"]);
    let secret = made["result"]["data"]["token"].as_str().unwrap().to_owned();
    common::remember_password(&secret);
    let ok = https::request(port, "/execute/Email/count_pops", &token("demo", &secret));
    assert_eq!(ok.json()["status"], 1, "{}", ok.text);
    let listed = uapi(&["Tokens", "list"]);
    assert_eq!(listed["result"]["data"][0]["name"], "cli");
    assert!(!listed.to_string().contains(&secret));
    let taken = uapi(&["Tokens", "create_full_access", "name=cli"]);
    assert_eq!(
        taken["result"]["errors"][0],
        "An API token named “cli” already exists."
    );
    assert_eq!(
        uapi(&["Tokens", "revoke", "name=cli"])["result"]["status"],
        1
    );
    assert_eq!(
        https::request(port, "/execute/Email/count_pops", &token("demo", &secret)).status,
        401
    );
    let gone = uapi(&["Tokens", "revoke", "name=cli"]);
    assert_eq!(
        gone["result"]["errors"][0],
        "You do not have an API token named “cli”."
    );
}
