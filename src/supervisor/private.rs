//! One account served by its own worker on a private socket, for the
//! lifetime of one command run by root (`liveapid run --user`, `uapi
//! --user`): the same worker, privilege drop and path rules as `liveapid
//! serve`.

use std::path::{Path, PathBuf};

use tokio::sync::oneshot;

use super::{Supervised, WorkerSpec};
use crate::account::{group_gid, AccountLocator, DirectFiles, SystemFiles};
use crate::after_change::AfterChange;
use crate::audit::AuditLog;
use crate::error::{Error, Result};
use crate::socket;

/// A running private worker; [`PrivateWorker::stop`] ends it.
#[derive(Debug)]
pub struct PrivateWorker {
    socket: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl PrivateWorker {
    /// Serves the account `locator` finds on `dir/live.sock` (owned by the
    /// account, 0600) from a worker running as the account. `dir` must be
    /// fit for a socket (see [`socket::check_directory`]).
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound or given to the account.
    pub fn start(
        locator: AccountLocator,
        root: &Path,
        dir: &Path,
        after_change: Option<AfterChange>,
        audit: Option<AuditLog>,
    ) -> Result<PrivateWorker> {
        let path = dir.join("live.sock");
        let (listener, socket_file) = socket::bind(&path)?;
        let system_user = locator.system_user();
        socket_file.give_to(system_user.uid, system_user.gid)?;
        let etc_group = DirectFiles::new(root)
            .read("etc/group")
            .map_err(|e| Error::storage("read", root.join("etc/group"), e))?
            .unwrap_or_default();
        let spec = WorkerSpec {
            log_level: "warn",
            ..WorkerSpec::new(
                &locator,
                root,
                group_gid(&etc_group, "mail"),
                crate::logging::LogFormat::default(),
                after_change.is_some(),
                audit.is_some(),
            )
        };
        let supervised = Supervised {
            spec,
            locator,
            listener: listener.into_std()?,
            socket: Some(socket_file),
            restart: false,
            stuck: None,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        // The worker runs with the default settings.
        let (_fixed, settings) =
            tokio::sync::watch::channel(crate::worker_settings::WorkerSettings::default());
        let task = tokio::spawn(super::run(
            vec![supervised],
            after_change,
            audit.map(std::sync::Arc::new),
            settings,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(PrivateWorker {
            socket: path,
            stop: Some(stop),
            task,
        })
    }

    /// The socket to connect to (the worker accepts once it has started).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Completes when the worker has exited (or could not start): a command
    /// waiting on it should give up.
    pub async fn exited(&mut self) {
        let _ = (&mut self.task).await;
    }

    /// Stops the worker (it finishes its running calls) and removes the socket.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}
