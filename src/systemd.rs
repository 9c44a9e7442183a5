//! Running under systemd: the listening socket it hands over (socket
//! activation, `LISTEN_FDS`/`LISTEN_PID`) and the state changes it is told
//! (`READY=1`, `RELOADING=1`, `STOPPING=1` on `NOTIFY_SOCKET`, for
//! `Type=notify`). Outside systemd both are no-ops.

use std::os::fd::{FromRawFd, OwnedFd};

use crate::error::{Error, Result};

/// The socket systemd bound for this process, if it handed one over.
///
/// A handed socket is served as it is: liveapid neither binds nor removes
/// a path (the `.socket` unit owns the file, its owner and its mode).
///
/// # Errors
///
/// More than one socket (one process serves one account's socket), or a
/// descriptor that is not a listening Unix stream socket.
pub fn handed_listener() -> Result<Option<tokio::net::UnixListener>> {
    let fds = sd_notify::listen_fds()
        .map_err(|e| Error::Config(format!("systemd's LISTEN_FDS cannot be read: {e}")))?;
    let fds: Vec<i32> = fds.collect();
    let fd = match fds.as_slice() {
        [] => return Ok(None),
        [fd] => *fd,
        more => {
            return Err(Error::Config(format!(
                "systemd handed {} sockets; liveapid serves one per process (one ListenStream= per socket unit)",
                more.len()
            )))
        }
    };
    // SAFETY: LISTEN_PID names this process, so systemd placed descriptor
    // `fd` (3) here for it alone; `listen_fds` has checked that and set
    // CLOEXEC, and nothing else in this process has taken it. No safe API
    // adopts an inherited descriptor.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let unfit = |what: &str| {
        Err(Error::Config(format!(
            "the socket systemd handed over (descriptor {fd}) {what}; the socket unit needs ListenStream=/a/path.sock"
        )))
    };
    use rustix::net::{sockopt, AddressFamily, SocketType};
    if sockopt::socket_domain(&owned).ok() != Some(AddressFamily::UNIX) {
        return unfit("is not a Unix socket");
    }
    if sockopt::socket_type(&owned).ok() != Some(SocketType::STREAM) {
        return unfit("is not a stream socket");
    }
    if sockopt::socket_acceptconn(&owned).ok() != Some(true) {
        return unfit("is not listening (Accept=no is needed)");
    }
    let listener = std::os::unix::net::UnixListener::from(owned);
    listener.set_nonblocking(true)?;
    Ok(Some(tokio::net::UnixListener::from_std(listener)?))
}

/// A state systemd is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Serving: every socket accepts connections.
    Ready,
    /// Reading the configuration again (SIGHUP).
    Reloading,
    /// Draining before exit.
    Stopping,
}

/// Tells systemd `status`, when it is listening (`NOTIFY_SOCKET`). A
/// failure is logged, never fatal: the daemon serves either way.
pub fn notify(status: Status) {
    use sd_notify::NotifyState;
    let result = match status {
        Status::Ready => sd_notify::notify(&[NotifyState::Ready]),
        // systemd wants the clock with RELOADING=1 (for Type=notify-reload).
        Status::Reloading => match NotifyState::monotonic_usec_now() {
            Ok(now) => sd_notify::notify(&[NotifyState::Reloading, now]),
            Err(e) => Err(e),
        },
        Status::Stopping => sd_notify::notify(&[NotifyState::Stopping]),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, ?status, "cannot notify systemd");
    }
}
