//! `liveapid serve`: which accounts, on which sockets, in which processes.
//!
//! One account served by its own user (or a root-owned scratch account) is
//! served in this process. Run as root for real accounts, liveapid becomes
//! a supervisor: it binds every account's socket, gives each to its
//! account, and serves each from its own unprivileged worker.
//!
//! Under systemd, a socket it hands over (socket activation) is served
//! instead of binding one, the daemon says `READY=1` once it serves, and
//! SIGHUP reloads the settings ([`crate::reload`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use crate::account::{group_gid, AccountLocator, DirectFiles, SystemFiles};
use crate::after_change::{AfterChange, AfterChangeHook};
use crate::audit::{AuditLog, AuditSink};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::https::{self, Accounts, HttpsConfig, ServedAccount};
use crate::logging::LogFormat;
use crate::reload::{self, Hangup, Reloader};
use crate::server::{self, allowed_uids};
use crate::shutdown::Termination;
use crate::socket;
use crate::state::AccountState;
use crate::supervisor::{self, Supervised, WorkerSpec};
use crate::systemd::{self, Status};
use crate::worker_settings::{in_force, WorkerSettings};

/// What `serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The accounts; empty with `all`.
    pub users: Vec<String>,
    /// Every account in `ROOT/var/cpanel/users/`.
    pub all: bool,
    pub home: Option<PathBuf>,
    pub root: PathBuf,
    /// The socket of a single account.
    pub socket: Option<PathBuf>,
    /// Where `<user>.sock` goes for each account.
    pub socket_dir: Option<PathBuf>,
    /// The server's options and the per-account limits (sent whole to
    /// each worker).
    pub settings: WorkerSettings,
    /// How log lines are written (a worker writes them as this process does).
    pub log_format: LogFormat,
    pub after_change: Option<AfterChange>,
    /// `--audit-log`: one JSON line per state-changing or refused call.
    pub audit_log: Option<PathBuf>,
    /// `--audit-max-lines-per-minute`: the audit log's overall cap.
    pub audit_max_lines_per_minute: u32,
    /// `--https` and its TLS and login settings (no listener when empty).
    pub https: HttpsConfig,
    /// Homes of some accounts (the configuration file's `[[account]]`
    /// tables); the others' come from `ROOT/etc/passwd`.
    pub homes: BTreeMap<String, PathBuf>,
    /// Sockets of some accounts (likewise); the others' are in `socket_dir`.
    pub sockets: BTreeMap<String, PathBuf>,
    /// How SIGHUP reads the settings again; without it SIGHUP is ignored.
    pub reloader: Option<Reloader>,
}

/// Serves until SIGTERM or SIGINT (`termination`, installed by the caller
/// before anything was bound).
///
/// # Errors
///
/// Start-up problems: unknown accounts, options that do not fit together,
/// unfit socket directories, sockets in use.
pub async fn serve(config: ServeConfig, mut termination: Termination) -> Result<()> {
    // Before READY=1: SIGHUP's default action would end the daemon.
    let hangup = Hangup::install()?;
    let handed = systemd::handed_listener()?;
    let users = accounts(&config)?;
    if handed.is_some() && users.len() != 1 {
        return Err(Error::Config(
            "a socket handed over by systemd serves one account: give one --user (liveapid@USER.socket starts one per account)".into(),
        ));
    }
    if users.len() > 1 && (config.home.is_some() || config.socket.is_some()) {
        return Err(Error::Config(
            "--home and --socket name one account's; for several accounts use --socket-dir".into(),
        ));
    }
    let locators = users
        .iter()
        .map(|u| {
            let home = config.homes.get(u).or(config.home.as_ref());
            AccountLocator::new(u, &config.root, home.map(PathBuf::as_path))
        })
        .collect::<Result<Vec<_>>>()?;
    let root_user = rustix::process::geteuid().is_root();
    if !root_user && locators.len() > 1 {
        return Err(Error::Config(
            "serving several accounts needs root: each is served by its own worker running as that account".into(),
        ));
    }
    let in_process = !root_user || (locators.len() == 1 && locators[0].system_user().uid == 0);
    if in_process {
        let locator = locators.into_iter().next().expect("one account");
        let (listener, socket_file, socket_path) = listen(&config, locator.user(), handed)?;
        let uids = allowed_uids(locator.system_user().uid);
        let initial = config.settings.clone().serving(uids.clone());
        let settings = settings(hangup, config.reloader.clone(), initial, move |s| {
            s.serving(uids.clone())
        });
        let audit_log = config
            .audit_log
            .as_deref()
            .map(|path| AuditLog::open_with_cap(path, config.audit_max_lines_per_minute))
            .transpose()?
            .map(Arc::new);
        let audit = audit_log.clone().map(|log| AuditSink::Local {
            log,
            account: locator.user().to_owned(),
        });
        // The front end reaches the account through its socket, as root's
        // front end reaches a worker's.
        let served = ServedAccount {
            locator: locator.clone(),
            socket: socket_path,
            // Served in this process: nothing to restart.
            stuck: None,
        };
        let front = https::start(&config.https, Accounts::new([served]), audit_log).await?;
        let state = AccountState::new(locator)
            .with_limits(&config.settings.limits)
            .with_after_change(config.after_change.map(AfterChangeHook::Local))
            .with_audit(audit);
        let engine = Arc::new(Engine::new(state));
        let options = in_force::follow(settings, &engine);
        systemd::notify(Status::Ready);
        let stop = async {
            termination.recv().await;
            systemd::notify(Status::Stopping);
            if let Some(front) = &front {
                front.stop();
            }
        };
        server::run_with_settings(listener, engine, options, stop).await;
        if let Some(front) = front {
            front.finish().await;
        }
        drop(socket_file);
        return Ok(());
    }
    let mail_gid = DirectFiles::new(&config.root)
        .read("etc/group")
        .ok()
        .flatten()
        .and_then(|text| group_gid(&text, "mail"));
    let mut supervised = Vec::new();
    let mut served = Vec::new();
    let mut handed = handed;
    for locator in locators {
        let (listener, socket_file, socket_path) = listen(&config, locator.user(), handed.take())?;
        let system_user = locator.system_user();
        if let Some(file) = &socket_file {
            file.give_to(system_user.uid, system_user.gid)?;
        }
        let stuck = Arc::new(tokio::sync::Notify::new());
        served.push(ServedAccount {
            locator: locator.clone(),
            socket: socket_path,
            stuck: Some(stuck.clone()),
        });
        let spec = WorkerSpec::new(
            &locator,
            &config.root,
            mail_gid,
            config.log_format,
            config.after_change.is_some(),
            config.audit_log.is_some(),
        );
        supervised.push(Supervised {
            spec,
            locator,
            listener: listener.into_std()?,
            socket: socket_file,
            restart: true,
            stuck: Some(stuck),
        });
    }
    // Opened by root, written by root: a worker sends its lines through its
    // channel and cannot write for another account. The front end writes
    // its own lines through the same handle.
    let audit = config
        .audit_log
        .as_deref()
        .map(|path| AuditLog::open_with_cap(path, config.audit_max_lines_per_minute))
        .transpose()?
        .map(Arc::new);
    let front = https::start(&config.https, Accounts::new(served), audit.clone()).await?;
    // Each worker keeps its own uids; the supervisor forwards the rest.
    let settings = settings(
        hangup,
        config.reloader.clone(),
        config.settings.clone(),
        |s| s,
    );
    systemd::notify(Status::Ready);
    let stop = async {
        termination.recv().await;
        systemd::notify(Status::Stopping);
        if let Some(front) = &front {
            front.stop();
        }
    };
    supervisor::run(supervised, config.after_change, audit, settings, stop).await;
    if let Some(front) = front {
        front.finish().await;
    }
    Ok(())
}

/// The listening socket of `user` and its path: the one systemd `handed`
/// over (its file belongs to the socket unit), or a new one bound at its
/// path (removed when the [`socket::SocketFile`] is dropped).
fn listen(
    config: &ServeConfig,
    user: &str,
    handed: Option<tokio::net::UnixListener>,
) -> Result<(
    tokio::net::UnixListener,
    Option<socket::SocketFile>,
    PathBuf,
)> {
    if let Some(listener) = handed {
        let path = listener
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(Path::to_owned))
            .unwrap_or_default();
        tracing::info!(user, socket = %path.display(), "listening on the socket systemd handed over");
        return Ok((listener, None, path));
    }
    let path = socket_path(config, user)?;
    let (listener, socket_file) = socket::bind(&path)?;
    tracing::info!(socket = %socket_file.path().display(), user, "listening");
    Ok((listener, Some(socket_file), path))
}

/// The settings in force: `initial`, then whatever each SIGHUP reloads
/// (passed through `adjust`).
fn settings(
    hangup: Hangup,
    reloader: Option<Reloader>,
    initial: WorkerSettings,
    adjust: impl Fn(WorkerSettings) -> WorkerSettings + Send + 'static,
) -> watch::Receiver<WorkerSettings> {
    match reloader {
        Some(reloader) => reload::follow(hangup, reloader, initial, adjust),
        None => watch::channel(initial).1,
    }
}

/// The accounts named, or with `all` every cPanel user file's name.
fn accounts(config: &ServeConfig) -> Result<Vec<String>> {
    if !config.all {
        if config.users.is_empty() {
            return Err(Error::Config(
                "give --user NAME (repeatable) or --all, or [[account]] tables or all = true in the configuration file".into(),
            ));
        }
        return Ok(config.users.clone());
    }
    let dir = config.root.join("var/cpanel/users");
    let mut users: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::storage("list the accounts in", &dir, e))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| crate::account::is_valid_user_name(name))
        .collect();
    users.sort();
    if users.is_empty() {
        return Err(Error::Config(format!(
            "--all: no accounts in {}",
            dir.display()
        )));
    }
    Ok(users)
}

/// The socket of `user`: `--socket`, else `--socket-dir/<user>.sock`, else
/// the default.
fn socket_path(config: &ServeConfig, user: &str) -> Result<PathBuf> {
    if let Some(path) = config.sockets.get(user) {
        return Ok(path.clone());
    }
    match (&config.socket, &config.socket_dir) {
        (Some(path), _) => Ok(path.clone()),
        (None, Some(dir)) => Ok(Path::new(dir).join(format!("{user}.sock"))),
        (None, None) => socket::default_path(user),
    }
}
