//! liveapid under systemd, as a service manager drives it: a listening
//! socket handed over at descriptor 3 (`LISTEN_FDS=1`, `LISTEN_PID`),
//! readiness on `NOTIFY_SOCKET`, and SIGHUP reloading the configuration
//! without dropping a connection.

#[macro_use]
mod common;

use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{parse_frame, Client, Daemon, ScratchAccount};
use serde_json::json;

/// The service manager's side: the socket it binds and hands over, and the
/// datagram socket it hears the daemon's state on.
struct Manager {
    dir: tempfile::TempDir,
    listener: UnixListener,
    notify: UnixDatagram,
}

impl Manager {
    fn new() -> Manager {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("handed.sock")).unwrap();
        let notify = UnixDatagram::bind(dir.path().join("notify")).unwrap();
        notify
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Manager {
            dir,
            listener,
            notify,
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("handed.sock")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("liveapid.toml")
    }

    /// Starts `liveapid ARGS` as systemd does: the listening socket at
    /// descriptor 3, `LISTEN_FDS=1`, `LISTEN_PID` its own pid (set by the
    /// shell that then becomes it), `NOTIFY_SOCKET`.
    fn start(&self, args: &[String]) -> Daemon {
        let log = self.dir.path().join("liveapid.log");
        let high = rustix::io::fcntl_dupfd_cloexec(self.listener.as_fd(), 10).unwrap();
        let raw = high.as_raw_fd();
        let mut command = Command::new("sh");
        command
            .args(["-c", "export LISTEN_PID=$$; exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_liveapid"))
            .args(args)
            .env("LISTEN_FDS", "1")
            .env("NOTIFY_SOCKET", self.dir.path().join("notify"))
            .env("LIVEAPID_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        // SAFETY: runs in the forked child before exec and only calls
        // dup2, which is async-signal-safe; `raw` (10 or more) stays open
        // in the parent until spawn returns. dup2 to 3 leaves the copy
        // without CLOEXEC, so it survives both execs.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(raw, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap();
        drop(high);
        Daemon::adopt(child, &self.socket(), &log)
    }

    /// The next state the daemon told the manager, e.g. "READY=1".
    fn next_state(&self) -> String {
        let mut buf = [0u8; 4096];
        let n = self
            .notify
            .recv(&mut buf)
            .expect("the daemon notifies the manager");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// Waits for a notification holding `state`.
    fn wait_for_state(&self, state: &str) {
        loop {
            let message = self.next_state();
            if message.lines().any(|l| l == state) {
                return;
            }
        }
    }
}

/// `serve` of the scratch account, on whatever socket it is handed.
fn serve_args(account: &ScratchAccount, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["serve", "--user", "demo", "--root"]
        .map(String::from)
        .to_vec();
    args.push(account.root().display().to_string());
    args.push("--home".into());
    args.push(account.home().display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A `list_pops` request of about `size` bytes (an argument it ignores pads it).
fn list_pops_of_size(client: &mut Client, size: usize) -> Vec<u8> {
    let action = json!({"module": "Email", "reqtype": "exec", "func": "list_pops",
        "apiversion": "uapi", "args": {"padding": "x".repeat(size)}});
    let payload = format!("<cpanelaction>\n{action}\n</cpanelaction>");
    assert!(payload.len() >= size);
    client.request(payload.as_bytes())
}

fn works(frame: &[u8]) -> bool {
    parse_frame(frame)["result"]["status"] == 1
}

#[test]
fn a_handed_socket_is_served_once_ready_and_left_to_its_unit() {
    let account = ScratchAccount::new(&[]);
    let manager = Manager::new();
    let config = manager.config().display().to_string();
    std::fs::write(&config, "").unwrap();
    let mut daemon = manager.start(&serve_args(&account, &["--config", &config]));
    manager.wait_for_state("READY=1");
    let mut client = Client::connect(&manager.socket());
    let data = client.email_ok("list_pops", json!({}));
    let emails: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"user@example.com"), "{data}");
    drop(client);
    assert!(daemon.stop().success(), "{}", daemon.output());
    manager.wait_for_state("STOPPING=1");
    // The socket unit owns the file: the daemon neither bound its own nor removed this one.
    assert!(manager.socket().exists());
    assert!(!account.socket().exists());
    assert!(
        daemon
            .output()
            .contains("listening on the socket systemd handed over"),
        "{}",
        daemon.output()
    );
}

#[test]
fn after_sighup_open_connections_keep_their_limit_and_new_ones_get_the_new_one() {
    let account = ScratchAccount::new(&[]);
    let manager = Manager::new();
    let config = manager.config();
    std::fs::write(&config, "[limits]\nmax_request_bytes = 4096\n").unwrap();
    let config_arg = config.display().to_string();
    let daemon = manager.start(&serve_args(&account, &["--config", &config_arg]));
    manager.wait_for_state("READY=1");
    let mut open = Client::connect(&manager.socket());
    assert!(works(&list_pops_of_size(&mut open, 1000)));

    reload(
        &manager,
        &daemon,
        &config,
        "[limits]\nmax_request_bytes = 300\n",
    );

    // Accepted before the reload: it keeps 4096.
    assert!(works(&list_pops_of_size(&mut open, 1000)));
    // Accepted after: 300.
    let mut new = Client::connect(&manager.socket());
    let frame = list_pops_of_size(&mut new, 1000);
    let text = String::from_utf8_lossy(&frame);
    assert!(
        text.contains("over this server's limit of 300 bytes"),
        "{text}"
    );
    assert!(new.is_closed());
    let mut small = Client::connect(&manager.socket());
    assert!(works(&list_pops_of_size(&mut small, 10)));
    assert!(works(&list_pops_of_size(&mut open, 1000)));
    assert!(daemon.output().contains("configuration reloaded"));
}

#[test]
fn a_broken_file_on_sighup_is_reported_and_the_settings_stay() {
    let account = ScratchAccount::new(&[]);
    let manager = Manager::new();
    let config = manager.config();
    std::fs::write(&config, "[limits]\nmax_request_bytes = 300\n").unwrap();
    let config_arg = config.display().to_string();
    let daemon = manager.start(&serve_args(&account, &["--config", &config_arg]));
    manager.wait_for_state("READY=1");

    reload(
        &manager,
        &daemon,
        &config,
        "[limits]\n\nmax_request_bytes = \"lots\"\n",
    );

    let output = daemon.output();
    assert!(output.contains("configuration not reloaded"), "{output}");
    assert!(
        output.contains("line 3: limits.max_request_bytes"),
        "{output}"
    );
    let mut client = Client::connect(&manager.socket());
    let frame = list_pops_of_size(&mut client, 1000);
    assert!(String::from_utf8_lossy(&frame).contains("limit of 300 bytes"));
}

#[test]
fn a_supervisor_forwards_a_reload_to_its_workers_without_dropping_connections() {
    needs_root!();
    let host = common::host::Host::new(&["rl"]);
    let user = &host.users[0];
    let config = host.dir.path().join("liveapid.toml");
    std::fs::write(&config, "[limits]\nmax_request_bytes = 4096\n").unwrap();
    let supervisor = host.start(&[
        "--user".into(),
        user.name.clone(),
        "--config".into(),
        config.display().to_string(),
    ]);
    let socket = host.socket(user);
    let mut open = Client::connect(&socket);
    assert!(works(&list_pops_of_size(&mut open, 1000)));

    reload_supervisor(&supervisor, &config, "[limits]\nmax_request_bytes = 300\n");

    assert!(works(&list_pops_of_size(&mut open, 1000)));
    let mut new = Client::connect(&socket);
    let text = String::from_utf8_lossy(&list_pops_of_size(&mut new, 1000)).into_owned();
    assert!(
        text.contains("over this server's limit of 300 bytes"),
        "{text}"
    );
    // The worker that serves both is the one that was there before.
    assert_eq!(common::host::children(supervisor.pid()).len(), 1);
    assert!(!supervisor.log().contains("worker exited"));
}

/// `verify_password` of user@example.com with its password: the error
/// text, or `None` when the check was made.
fn verify_refusal(client: &mut Client) -> Option<String> {
    let args = json!({"email": "user@example.com", "password": common::OLD_PASSWORD});
    let reply = client.uapi("Email", "verify_password", args);
    let (status, errors) = common::status_and_errors(&reply);
    (status != 1).then(|| errors.join(" "))
}

/// Three checks of one mailbox where 2 a minute are allowed: the first two
/// are made, the third refused naming the reloaded limit.
fn assert_the_third_check_is_refused(client: &mut Client) {
    assert_eq!(verify_refusal(client), None);
    assert_eq!(verify_refusal(client), None);
    let refusal = verify_refusal(client).expect("the third check is refused");
    assert!(
        refusal.contains("at most 2 per minute for user@example.com"),
        "{refusal}"
    );
}

#[test]
fn after_sighup_a_lower_verify_rate_refuses_the_next_calls() {
    let account = ScratchAccount::new(&[]);
    let manager = Manager::new();
    let config = manager.config();
    std::fs::write(&config, "[limits]\nverify_rate = 100\n").unwrap();
    let config_arg = config.display().to_string();
    let daemon = manager.start(&serve_args(&account, &["--config", &config_arg]));
    manager.wait_for_state("READY=1");

    reload(&manager, &daemon, &config, "[limits]\nverify_rate = 2\n");

    assert_the_third_check_is_refused(&mut Client::connect(&manager.socket()));
}

#[test]
fn a_supervisor_sends_a_reloaded_verify_rate_to_its_running_worker() {
    needs_root!();
    let host = common::host::Host::new(&["vr"]);
    let user = &host.users[0];
    let config = host.dir.path().join("liveapid.toml");
    std::fs::write(&config, "[limits]\nverify_rate = 100\n").unwrap();
    let supervisor = host.start(&[
        "--user".into(),
        user.name.clone(),
        "--config".into(),
        config.display().to_string(),
    ]);
    let worker = supervisor.worker_of(user).expect("a worker");

    reload_supervisor(&supervisor, &config, "[limits]\nverify_rate = 2\n");

    assert_the_third_check_is_refused(&mut Client::connect(&host.socket(user)));
    // The worker that refused is the one that was there before the reload.
    assert_eq!(supervisor.worker_of(user), Some(worker));
    assert!(!supervisor.log().contains("worker exited"));
}

fn daemon_pid(daemon: &Daemon) -> u32 {
    daemon.child.as_ref().unwrap().id()
}

/// Writes `text` as the configuration file, sends SIGHUP, and waits until
/// the daemon has said RELOADING=1 and READY=1 again.
fn reload(manager: &Manager, daemon: &Daemon, config: &std::path::Path, text: &str) {
    std::fs::write(config, text).unwrap();
    common::host::signal(daemon_pid(daemon), rustix::process::Signal::HUP);
    manager.wait_for_state("RELOADING=1");
    manager.wait_for_state("READY=1");
}

/// Writes `text` as the configuration file, sends SIGHUP to the
/// supervisor, and waits until its worker has taken the new settings.
fn reload_supervisor(supervisor: &common::host::Supervisor, config: &std::path::Path, text: &str) {
    std::fs::write(config, text).unwrap();
    common::host::signal(supervisor.pid(), rustix::process::Signal::HUP);
    common::host::wait_until(
        || {
            supervisor
                .log()
                .contains("new settings from the supervisor")
        },
        "the worker takes the new settings",
    );
}

#[test]
fn a_root_supervisor_serves_a_handed_socket_from_the_accounts_worker() {
    needs_root!();
    let host = common::host::Host::new(&["hs"]);
    let user = &host.users[0];
    let manager = Manager::new();
    let config = manager.config();
    std::fs::write(&config, "").unwrap();
    let args: Vec<String> = vec![
        "serve".into(),
        "--user".into(),
        user.name.clone(),
        "--root".into(),
        host.root().display().to_string(),
        "--config".into(),
        config.display().to_string(),
    ];
    let mut daemon = manager.start(&args);
    manager.wait_for_state("READY=1");
    let mut client = Client::connect(&manager.socket());
    let data = client.email_ok("list_pops", json!({}));
    assert!(data.to_string().contains("@example.com"), "{data}");
    // Served by a worker running as the account, not by the root process.
    let workers = common::host::children(daemon_pid(&daemon));
    assert_eq!(workers.len(), 1, "{}", daemon.output());
    let (uids, _, _) = common::host::ids(workers[0]).unwrap();
    assert_eq!(uids, [user.uid; 4]);
    drop(client);
    assert!(daemon.stop().success(), "{}", daemon.output());
    assert!(manager.socket().exists());
    assert!(!host.socket(user).exists());
}
