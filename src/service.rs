//! `liveapid serve`: which accounts, on which sockets, in which processes.
//!
//! One account served by its own user (or a root-owned scratch account) is
//! served in this process. Run as root for real accounts, liveapid becomes
//! a supervisor: it binds every account's socket, gives each to its
//! account, and serves each from its own unprivileged worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::account::{group_gid, AccountLocator, DirectFiles, SystemFiles};
use crate::after_change::{AfterChange, AfterChangeHook};
use crate::audit::{AuditLog, AuditSink};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::https::{self, Accounts, HttpsConfig, ServedAccount};
use crate::limits::Limits;
use crate::server::{self, allowed_uids, ServerOptions};
use crate::shutdown::Termination;
use crate::socket;
use crate::state::AccountState;
use crate::supervisor::{self, Supervised, WorkerSpec};

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
    pub options: ServerOptions,
    /// The same limits as command-line arguments, for the workers.
    pub worker_args: Vec<String>,
    /// The hashing pool's size and the rates, for an account served here.
    pub limits: Limits,
    pub after_change: Option<AfterChange>,
    /// `--audit-log`: one JSON line per state-changing or refused call.
    pub audit_log: Option<PathBuf>,
    /// `--https` and its TLS and login settings (no listener when empty).
    pub https: HttpsConfig,
}

/// Serves until SIGTERM or SIGINT (`termination`, installed by the caller
/// before anything was bound).
///
/// # Errors
///
/// Start-up problems: unknown accounts, options that do not fit together,
/// unfit socket directories, sockets in use.
pub async fn serve(config: ServeConfig, mut termination: Termination) -> Result<()> {
    let users = accounts(&config)?;
    if users.len() > 1 && (config.home.is_some() || config.socket.is_some()) {
        return Err(Error::Config(
            "--home and --socket name one account's; for several accounts use --socket-dir".into(),
        ));
    }
    let locators = users
        .iter()
        .map(|u| AccountLocator::new(u, &config.root, config.home.as_deref()))
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
        let path = socket_path(&config, locator.user())?;
        let (listener, socket_file) = socket::bind(&path)?;
        tracing::info!(socket = %socket_file.path().display(), user = locator.user(), "listening");
        let options = ServerOptions {
            allowed_uids: allowed_uids(locator.system_user().uid),
            ..config.options
        };
        let audit_log = config
            .audit_log
            .as_deref()
            .map(AuditLog::open)
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
            socket: socket_file.path().to_owned(),
        };
        let front = https::start(&config.https, Accounts::new([served]), audit_log).await?;
        let state = AccountState::new(locator)
            .with_limits(&config.limits)
            .with_after_change(config.after_change.map(AfterChangeHook::Local))
            .with_audit(audit);
        let engine = Engine::new(state);
        let stop = async {
            termination.recv().await;
            if let Some(front) = &front {
                front.stop();
            }
        };
        server::run(listener, Arc::new(engine), options, stop).await;
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
    for locator in locators {
        let path = socket_path(&config, locator.user())?;
        let (listener, socket_file) = socket::bind(&path)?;
        let system_user = locator.system_user();
        socket_file.give_to(system_user.uid, system_user.gid)?;
        tracing::info!(socket = %socket_file.path().display(), user = locator.user(), "listening");
        served.push(ServedAccount {
            locator: locator.clone(),
            socket: socket_file.path().to_owned(),
        });
        let spec = WorkerSpec::new(
            &locator,
            &config.root,
            mail_gid,
            config.worker_args.clone(),
            config.after_change.is_some(),
            config.audit_log.is_some(),
        );
        supervised.push(Supervised {
            spec,
            locator,
            listener: listener.into_std()?,
            socket: socket_file,
            restart: true,
        });
    }
    // Opened by root, written by root: a worker sends its lines through its
    // channel and cannot write for another account.
    let audit = config
        .audit_log
        .as_deref()
        .map(AuditLog::open)
        .transpose()?;
    // The front end's own handle on the audit log (O_APPEND: its lines
    // and the supervisor's never interleave).
    let front_audit = config
        .audit_log
        .as_deref()
        .map(AuditLog::open)
        .transpose()?
        .map(Arc::new);
    let front = https::start(&config.https, Accounts::new(served), front_audit).await?;
    // A worker drains for --drain-timeout, then waits for its commits.
    let stop_timeout = config.options.drain_timeout + supervisor::STOP_MARGIN;
    let stop = async {
        termination.recv().await;
        if let Some(front) = &front {
            front.stop();
        }
    };
    supervisor::run(supervised, config.after_change, audit, stop, stop_timeout).await;
    if let Some(front) = front {
        front.finish().await;
    }
    Ok(())
}

/// The accounts named, or with `all` every cPanel user file's name.
fn accounts(config: &ServeConfig) -> Result<Vec<String>> {
    if !config.all {
        if config.users.is_empty() {
            return Err(Error::Config(
                "give --user NAME (repeatable) or --all".into(),
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
    match (&config.socket, &config.socket_dir) {
        (Some(path), _) => Ok(path.clone()),
        (None, Some(dir)) => Ok(Path::new(dir).join(format!("{user}.sock"))),
        (None, None) => socket::default_path(user),
    }
}
