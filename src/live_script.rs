//! `liveapid run`: a live script run against an account, as cPanel runs
//! `.live.php` and `.live.pl` scripts, with the socket variables set and
//! the built-in shims findable.
//!
//! Run by root for a real account, the script runs as that account (uid,
//! gid, groups, `HOME`, a clean environment) and the account is served by an
//! unprivileged worker, exactly as `liveapid serve` would.
//!
//! Root's terminal stays root's: the script starts in a session of its own
//! (`setsid`), so it has no controlling terminal and `TIOCSTI` or
//! `/dev/tty` cannot reach root's; its standard input is `/dev/null` and
//! its output comes through pipes that liveapid copies to its own (a live
//! script needs no terminal). When it ends, or `run` is interrupted, its
//! whole process group ends too. The scratch directory (shims, socket)
//! stays root's, mode 0711: the account can reach what is in it and
//! write nothing there, so root never removes a path the account made.

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::account::{member_groups, AccountLocator, DirectFiles, SystemFiles};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::privilege::{Identity, PreparedIdentity};
use crate::server::{self, ServerOptions};
use crate::shims;
use crate::shutdown::Termination;
use crate::socket;
use crate::state::AccountState;
use crate::supervisor::PrivateWorker;

/// What the script talks to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A running daemon's socket.
    Socket(PathBuf),
    /// This account, served on a private socket for the script's lifetime.
    Account {
        user: String,
        root: PathBuf,
        home: Option<PathBuf>,
    },
}

/// Runs `script` (the script, then its arguments); its exit status (128 +
/// the signal when a signal ended it). SIGTERM or SIGINT is passed on to it.
///
/// # Errors
///
/// When the account or the socket cannot be had or the script cannot start.
pub async fn run(target: Target, script: &[String], termination: Termination) -> Result<u8> {
    let scratch = tempfile::Builder::new().prefix("liveapid-run-").tempdir()?;
    let shims = shims::install(scratch.path())?;
    let mut script = Script::new(script, &shims);
    match target {
        Target::Socket(path) => {
            if !path.exists() {
                return Err(Error::Config(format!(
                    "no LiveAPI socket at {}; start one with `liveapid serve` or `liveapid demo`",
                    path.display()
                )));
            }
            script.run(&path, termination).await
        }
        Target::Account { user, root, home } => {
            let locator = AccountLocator::new(&user, &root, home.as_deref())?;
            let system_user = locator.system_user();
            if !rustix::process::geteuid().is_root() || system_user.uid == 0 {
                let path = scratch.path().join("live.sock");
                let (listener, _socket_file) = socket::bind(&path)?;
                let engine = Arc::new(Engine::new(AccountState::new(locator)));
                let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
                let options = ServerOptions::for_account(system_user.uid);
                let server = tokio::spawn(server::run(listener, engine, options, async {
                    let _ = stop_rx.await;
                }));
                let status = script.run(&path, termination).await;
                let _ = stop_tx.send(());
                let _ = server.await;
                return status;
            }
            // Root for a real account: a worker serves it, and the script
            // runs as the account. The directory stays root's; the account
            // may pass through it to the shims and its socket, nothing more.
            std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o711))
                .map_err(|e| Error::storage("set the mode of", scratch.path(), e))?;
            let worker = PrivateWorker::start(locator, &root, scratch.path(), None, None)?;
            let etc_group = DirectFiles::new(&root)
                .read("etc/group")
                .ok()
                .flatten()
                .unwrap_or_default();
            let identity = Identity {
                uid: system_user.uid,
                gid: system_user.gid,
                groups: member_groups(&etc_group, &user, system_user.gid),
            };
            script.become_account(&user, &system_user.home, &identity);
            let status = script.run(worker.socket(), termination).await;
            worker.stop().await;
            status
        }
    }
}

/// A live script and how to start it.
struct Script {
    program: String,
    args: Vec<String>,
    perl5lib: OsString,
    /// Set when root runs the script for an account.
    account: Option<AccountRun>,
}

/// The identity and environment of a script run for an account by root.
struct AccountRun {
    identity: PreparedIdentity,
    env: Vec<(String, OsString)>,
}

impl Script {
    /// `php SCRIPT` for PHP files (with the shim's directory on the include
    /// path), `perl SCRIPT` for Perl files, the script itself otherwise.
    fn new(script: &[String], shims: &shims::ShimPaths) -> Script {
        let path = &script[0];
        let lower = path.to_ascii_lowercase();
        let (program, args) = if lower.ends_with(".php") || lower.ends_with(".livephp") {
            let mut args = php_include_path(&shims.php_dir)
                .map(|p| vec!["-d".to_owned(), format!("include_path={p}")])
                .unwrap_or_default();
            args.extend(script.iter().cloned());
            ("php".to_owned(), args)
        } else if lower.ends_with(".pl") || lower.ends_with(".livepl") {
            ("perl".to_owned(), script.to_vec())
        } else {
            (path.clone(), script[1..].to_vec())
        };
        let perl5lib = shims::perl5lib(&shims.perl_lib, std::env::var_os("PERL5LIB").as_deref());
        Script {
            program,
            args,
            perl5lib,
            account: None,
        }
    }

    /// Runs the script as the account: its ids, and a clean environment
    /// with the account's `HOME`, `USER` and `LOGNAME` (root's environment
    /// may hold secrets the account must not see), keeping only the locale,
    /// time zone and terminal of the caller.
    fn become_account(&mut self, user: &str, home: &Path, identity: &Identity) {
        let mut env: Vec<(String, OsString)> = vec![
            ("HOME".into(), home.into()),
            ("USER".into(), user.into()),
            ("LOGNAME".into(), user.into()),
            ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ];
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key == "LANG" || key.starts_with("LC_") || key == "TZ" || key == "TERM" {
                env.push((key.to_owned(), value));
            }
        }
        self.account = Some(AccountRun {
            identity: identity.prepare(),
            env,
        });
    }

    /// Runs the script against `socket_path`; its exit status. A SIGTERM or
    /// SIGINT to liveapid is passed on to the script, and liveapid waits for it.
    async fn run(&self, socket_path: &Path, mut termination: Termination) -> Result<u8> {
        let mut command = std::process::Command::new(&self.program);
        command.args(&self.args);
        if let Some(account) = &self.account {
            command
                .env_clear()
                .envs(account.env.iter().map(|(k, v)| (k, v)));
            if let Some((_, home)) = account.env.iter().find(|(k, _)| k == "HOME") {
                command.current_dir(home);
            }
            let identity = account.identity.clone();
            // SAFETY: runs in the forked child before exec; `setsid` and
            // `become_it` only make system calls (no allocation, no lock),
            // as pre_exec requires. std's `uid`/`gid` cannot set the
            // supplementary groups or no_new_privs.
            unsafe {
                command.pre_exec(move || {
                    // A new session: no controlling terminal, and a process
                    // group of its own that ends with it.
                    rustix::process::setsid()?;
                    identity.become_it()
                });
            }
            command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
        }
        command
            .env("CPANEL_CONNECT_SOCKET", socket_path)
            .env("CPANEL_PHPCONNECT_SOCKET", socket_path)
            .env("PERL5LIB", &self.perl5lib);
        let mut child = tokio::process::Command::from(command)
            .spawn()
            .map_err(|source| Error::Script {
                action: "run",
                program: self.program.clone(),
                source,
            })?;
        let pid = child
            .id()
            .and_then(|p| rustix::process::Pid::from_raw(p as i32));
        // The account's script leads its own process group (setsid).
        let group = pid.filter(|_| self.account.is_some());
        let relays = [
            child
                .stdout
                .take()
                .and_then(|out| Some(relay(out, own(std::io::stdout().as_fd())?))),
            child
                .stderr
                .take()
                .and_then(|err| Some(relay(err, own(std::io::stderr().as_fd())?))),
        ];
        let status = tokio::select! {
            status = child.wait() => status,
            () = termination.recv() => {
                match (group, pid) {
                    (Some(group), _) => {
                        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::TERM);
                    }
                    (None, Some(pid)) => {
                        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                    }
                    (None, None) => {}
                }
                child.wait().await
            }
        }
        .map_err(|source| Error::Script {
            action: "wait for",
            program: self.program.clone(),
            source,
        })?;
        if let Some(group) = group {
            // What the script left behind in its group ends with it.
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        for mut relay in relays.into_iter().flatten() {
            // A process that left the group may still hold a pipe: its
            // output is not waited for past a moment.
            if tokio::time::timeout(RELAY_GRACE, &mut relay).await.is_err() {
                relay.abort();
                tracing::warn!(
                    "a process the script started still holds its output; no longer copied"
                );
            }
        }
        Ok(match status.code() {
            Some(code) => u8::try_from(code).unwrap_or(1),
            None => {
                use std::os::unix::process::ExitStatusExt;
                // Killed by a signal: the shell's convention, 128 + signal.
                128u8.saturating_add(status.signal().unwrap_or(0) as u8)
            }
        })
    }
}

/// How long the script's output is still copied after it ended.
const RELAY_GRACE: Duration = Duration::from_secs(2);

/// A handle of liveapid's own on `fd` (its stdout or stderr) to copy to.
fn own(fd: std::os::fd::BorrowedFd<'_>) -> Option<tokio::fs::File> {
    let owned = fd.try_clone_to_owned().ok()?;
    Some(tokio::fs::File::from_std(std::fs::File::from(owned)))
}

/// Copies the script's `from` to liveapid's own `to` until it closes.
fn relay(
    mut from: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    mut to: impl tokio::io::AsyncWrite + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from, &mut to).await;
        use tokio::io::AsyncWriteExt;
        let _ = to.flush().await;
    })
}

/// PHP's include path with `dir` added after `.`; `None` when PHP cannot
/// say what its own path is (the script then runs with PHP's default).
fn php_include_path(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("php")
        .args(["-r", "echo get_include_path();"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let current = String::from_utf8(out.stdout).ok()?;
    let rest = current.split(':').filter(|p| *p != "." && !p.is_empty());
    let mut parts = vec![".".to_owned(), dir.display().to_string()];
    parts.extend(rest.map(str::to_owned));
    Some(parts.join(":"))
}
