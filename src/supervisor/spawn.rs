//! Starting one worker process: `liveapid worker ...` with the account's
//! listening socket and its channels to the supervisor as inherited file
//! descriptors. The worker becomes the account's user as its very first
//! step, before it reads anything or starts a thread (it is exec'd as root
//! so that the binary need not be readable by the account).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::account::{AccountLocator, SystemUser};
use crate::control::{ACTIONS_FD, FILES_FD, LIFELINE_FD, LISTENER_FD, SETTINGS_FD};
use crate::error::{Error, Result};
use crate::logging::LogFormat;
use crate::privilege::Identity;

/// Everything needed to start (and restart) one account's worker.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub user: String,
    pub system_user: SystemUser,
    /// Who the worker runs as: the account's uid and gid, and the group of
    /// its mail files.
    pub identity: Identity,
    pub root: PathBuf,
    /// How the worker writes its log lines: as its supervisor does.
    pub log_format: LogFormat,
    /// Whether an after-change action is configured (the supervisor runs it).
    pub after_change: bool,
    /// Whether the worker sends audit lines (the supervisor writes them).
    pub audit: bool,
    /// The worker's log level when `LIVEAPID_LOG` does not set one: `info`
    /// for a served account, `warn` for a one-command worker, whose start
    /// and stop lines would only stand around the command's own output.
    pub log_level: &'static str,
}

impl WorkerSpec {
    /// The worker of the account `locator` finds: its uid and gid, with the
    /// mail files' group (`mail_gid`, if the host has one) as its only other.
    pub fn new(
        locator: &AccountLocator,
        root: &Path,
        mail_gid: Option<u32>,
        log_format: LogFormat,
        after_change: bool,
        audit: bool,
    ) -> WorkerSpec {
        let system_user = locator.system_user();
        WorkerSpec {
            user: locator.user().to_owned(),
            identity: Identity {
                uid: system_user.uid,
                gid: system_user.gid,
                groups: mail_gid.into_iter().collect(),
            },
            system_user,
            root: root.to_owned(),
            log_format,
            after_change,
            audit,
            log_level: "info",
        }
    }
}

/// A started worker and the supervisor's ends of its channels.
#[derive(Debug)]
pub struct Started {
    pub child: tokio::process::Child,
    pub files: UnixStream,
    pub actions: UnixStream,
    /// Held open for the worker's lifetime; dropping it tells the worker to stop.
    pub lifeline: OwnedFd,
    /// Where the worker's settings go.
    pub settings: tokio::net::unix::pipe::Sender,
}

/// The `liveapid` binary: this one, or the one installed beside it (when
/// this is `uapi`).
fn liveapid_binary() -> Result<PathBuf> {
    let missing = Error::WorkerBinary;
    let exe = std::env::current_exe().map_err(missing)?;
    if exe.file_name().is_some_and(|n| n == "liveapid") {
        return Ok(exe);
    }
    let sibling = exe.with_file_name("liveapid");
    if sibling.is_file() {
        Ok(sibling)
    } else {
        Err(missing(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} does not exist", sibling.display()),
        )))
    }
}

/// Starts the worker of `spec`, serving `listener`.
///
/// # Errors
///
/// When the channels cannot be made or the process cannot be started.
pub fn start(spec: &WorkerSpec, listener: &UnixListener) -> Result<Started> {
    let (files, files_worker) = UnixStream::pair()?;
    let (actions, actions_worker) = UnixStream::pair()?;
    let (lifeline_read, lifeline) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(std::io::Error::from)?;
    let (settings_read, settings) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(std::io::Error::from)?;
    // Copies at 10 and up, so that moving them to 3..7 in the child cannot
    // overwrite one that is still to be moved.
    let high = |fd: &dyn AsFd| -> Result<OwnedFd> {
        Ok(rustix::io::fcntl_dupfd_cloexec(fd, 10).map_err(std::io::Error::from)?)
    };
    let sources = [
        (high(listener)?, LISTENER_FD),
        (high(&files_worker)?, FILES_FD),
        (high(&actions_worker)?, ACTIONS_FD),
        (high(&lifeline_read)?, LIFELINE_FD),
        (high(&settings_read)?, SETTINGS_FD),
    ];
    let raw: Vec<(i32, i32)> = sources
        .iter()
        .map(|(fd, to)| (fd.as_raw_fd(), *to))
        .collect();
    let exe = liveapid_binary()?;
    let system_user = &spec.system_user;
    let mut command = std::process::Command::new(exe);
    command
        .arg("worker")
        .args(["--user", &spec.user])
        .arg("--uid")
        .arg(system_user.uid.to_string())
        .arg("--gid")
        .arg(system_user.gid.to_string())
        .args(
            spec.identity
                .groups
                .iter()
                .flat_map(|g| ["--group".to_owned(), g.to_string()]),
        )
        .arg("--home")
        .arg(&system_user.home)
        .arg("--root")
        .arg(&spec.root)
        .args(["--log-format", spec.log_format.name()])
        .args(spec.after_change.then_some("--after-change-via-supervisor"))
        .args(spec.audit.then_some("--audit-via-supervisor"))
        .env_clear()
        .env(
            "LIVEAPID_LOG",
            std::env::var_os("LIVEAPID_LOG").unwrap_or_else(|| spec.log_level.into()),
        )
        .current_dir("/")
        .stdin(Stdio::null());
    // SAFETY: the closure runs in the forked child before exec and only
    // calls dup2, which allocates nothing and takes no lock, as pre_exec
    // requires. No safe API places a descriptor at a given number in the
    // child.
    unsafe {
        command.pre_exec(move || {
            for (from, to) in &raw {
                if libc::dup2(*from, *to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = tokio::process::Command::from(command)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| Error::WorkerStart {
            user: spec.user.clone(),
            source,
        })?;
    drop(sources);
    Ok(Started {
        child,
        files,
        actions,
        lifeline,
        settings: tokio::net::unix::pipe::Sender::from_owned_fd(settings)?,
    })
}
