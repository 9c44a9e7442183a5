//! Actions run after a successful password change, such as flushing
//! Dovecot's auth cache (`doveadm auth cache flush %u`), as cPanel queues a
//! flush after every change (docs/email.md §1.2 step 5).
//!
//! The command gets the address (`%u`) as an argument and never the
//! password; its environment is the daemon's, which holds none. A failure
//! or a timeout is logged and returned as a UAPI warning: the change stands.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use crate::control::ActionClient;
use crate::email::MailAddress;

/// Who runs the action: this process, or (in an unprivileged worker) the
/// root supervisor, asked with the validated address only.
#[derive(Debug, Clone)]
pub enum AfterChangeHook {
    /// Run it here.
    Local(AfterChange),
    /// Ask the supervisor, which knows the command and runs it as root.
    Supervisor(Arc<ActionClient>),
}

impl AfterChangeHook {
    /// Runs the action for `address`; `Some(warning)` when it failed.
    pub async fn run(&self, address: &MailAddress) -> Option<String> {
        match self {
            AfterChangeHook::Local(action) => action.run(address).await,
            AfterChangeHook::Supervisor(client) => client.after_change(address).await,
        }
    }
}

/// A command to run after each password change.
#[derive(Debug, Clone)]
pub struct AfterChange {
    /// The program and its arguments; `%u` in any of them becomes the
    /// address, `%d` the domain, `%n` the localpart.
    pub argv: Vec<String>,
    pub timeout: Duration,
}

impl AfterChange {
    /// Parses a command line split on whitespace (no shell is involved).
    pub fn parse(command: &str, timeout: Duration) -> Option<AfterChange> {
        let argv: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        (!argv.is_empty()).then_some(AfterChange { argv, timeout })
    }

    /// Runs the command for `address`; `Some(warning)` when it failed.
    pub async fn run(&self, address: &MailAddress) -> Option<String> {
        let expand = |arg: &str| {
            arg.replace("%u", &address.to_string())
                .replace("%d", &address.domain)
                .replace("%n", &address.localpart)
        };
        let program = expand(&self.argv[0]);
        let mut command = tokio::process::Command::new(&program);
        command
            .args(self.argv[1..].iter().map(|a| expand(a)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let outcome = match command.spawn() {
            Err(e) => Err(format!("could not start “{program}”: {e}")),
            Ok(child) => match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
                Err(_) => Err(format!(
                    "“{program}” did not finish within {} seconds",
                    self.timeout.as_secs_f32()
                )),
                Ok(Err(e)) => Err(format!("“{program}” failed: {e}")),
                Ok(Ok(out)) if out.status.success() => Ok(()),
                Ok(Ok(out)) => {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let detail = stderr.lines().next().unwrap_or("").trim();
                    Err(format!(
                        "“{program}” exited with {}{}{}",
                        out.status,
                        if detail.is_empty() { "" } else { ": " },
                        detail
                    ))
                }
            },
        };
        outcome.err().map(|reason| {
            tracing::warn!(mailbox = %address, %reason, "after-change action failed");
            format!("The password was changed, but the after-change action for “{address}” failed: {reason}")
        })
    }
}
