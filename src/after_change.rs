//! Actions run after a successful password change, such as flushing
//! Dovecot's auth cache (`doveadm auth cache flush %u`), as cPanel queues a
//! flush after every change (docs/email.md §1.2 step 5).
//!
//! The command is the operator's, run by root; the values it gets come
//! from an account. So:
//! - the address (`%u`), domain (`%d`) and localpart (`%n`) are only ever
//!   arguments, never the program, and never an option: cPanel's localpart
//!   rules allow a leading `-`, so an argument the substitution would make
//!   start with `-` (`-a@example.com` as doveadm's `-a`) is refused, and the
//!   command not run, unless a `--` comes before it in the template
//!   (`doveadm auth cache flush -- %u`), after which the command reads
//!   operands only;
//! - it runs with a minimal environment (`PATH`, `LANG=C`), not root's;
//! - its output is logged for the operator (the first 4 KiB of each
//!   stream) and never returned to the account: a failure or a timeout is
//!   one fixed UAPI warning, and the change stands.
//!
//! Never the password.

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
        let program = &self.argv[0];
        let outcome = match self.arguments(address) {
            Err(refused) => Err(refused),
            Ok(args) => self.execute(program, &args).await,
        };
        outcome.err().map(|reason| {
            tracing::warn!(mailbox = %address, %reason, "after-change action failed");
            format!("The password was changed, but the after-change action for “{address}” did not complete; the server's log has the details.")
        })
    }

    /// The arguments with the placeholders filled in, or why they cannot be.
    fn arguments(&self, address: &MailAddress) -> Result<Vec<String>, String> {
        let mut operands_only = false;
        let mut args = Vec::with_capacity(self.argv.len() - 1);
        for template in &self.argv[1..] {
            let arg = template
                .replace("%u", &address.to_string())
                .replace("%d", &address.domain)
                .replace("%n", &address.localpart);
            if arg.starts_with('-') && !template.starts_with('-') && !operands_only {
                return Err(format!(
                    "not run: the argument “{arg}” would read as an option (write `--` before the placeholder in the command to allow it)"
                ));
            }
            operands_only |= template == "--";
            args.push(arg);
        }
        Ok(args)
    }

    /// Runs `program` with `args` and a minimal environment; its output is
    /// logged, not returned.
    async fn execute(&self, program: &str, args: &[String]) -> Result<(), String> {
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", MINIMAL_PATH)
            .env("LANG", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| format!("could not start “{program}”: {e}"))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let finished = async {
            let (status, stdout, stderr) =
                tokio::join!(child.wait(), capture(stdout), capture(stderr));
            (status, stdout, stderr)
        };
        let (status, stdout, stderr) =
            tokio::time::timeout(self.timeout, finished)
                .await
                .map_err(|_| {
                    format!(
                        "“{program}” did not finish within {} seconds",
                        self.timeout.as_secs_f32()
                    )
                })?;
        let status = status.map_err(|e| format!("“{program}” failed: {e}"))?;
        if !stdout.is_empty() || !stderr.is_empty() {
            tracing::info!(
                program,
                %status,
                stdout = %String::from_utf8_lossy(&stdout),
                stderr = %String::from_utf8_lossy(&stderr),
                "after-change command output"
            );
        }
        if status.success() {
            Ok(())
        } else {
            Err(format!("“{program}” exited with {status}"))
        }
    }
}

/// The command's whole `PATH`: root's own may hold directories the
/// operator did not mean for this.
const MINIMAL_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";
/// The most of each output stream kept for the log.
const OUTPUT_KEPT: u64 = 4096;

/// The first [`OUTPUT_KEPT`] bytes of `pipe`; the rest is read and dropped
/// so the command never blocks on a full pipe.
async fn capture(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else { return kept };
    let _ = (&mut pipe).take(OUTPUT_KEPT).read_to_end(&mut kept).await;
    let _ = tokio::io::copy(&mut pipe, &mut tokio::io::sink()).await;
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(localpart: &str) -> MailAddress {
        MailAddress {
            localpart: localpart.into(),
            domain: "example.com".into(),
        }
    }

    fn action(command: &str) -> AfterChange {
        AfterChange::parse(command, Duration::from_secs(10)).unwrap()
    }

    #[test]
    fn a_value_that_would_read_as_an_option_is_refused() {
        let flush = action("doveadm auth cache flush %u");
        assert!(flush.arguments(&address("-a")).is_err());
        assert!(action("tool %n").arguments(&address("--help")).is_err());
        assert_eq!(
            flush.arguments(&address("a-b")).unwrap(),
            ["auth", "cache", "flush", "a-b@example.com"]
        );
    }

    #[test]
    fn after_a_double_dash_a_leading_dash_is_an_operand() {
        let flush = action("doveadm auth cache flush -- %u");
        assert_eq!(
            flush.arguments(&address("-a")).unwrap(),
            ["auth", "cache", "flush", "--", "-a@example.com"]
        );
        // The operator's own options stay his.
        assert!(action("tool --user=%u").arguments(&address("-a")).is_ok());
    }

    #[tokio::test]
    async fn the_commands_output_is_never_in_the_warning() {
        let warning = AfterChange {
            argv: vec![
                "sh".into(),
                "-c".into(),
                "echo secret-detail >&2; echo more; exit 3".into(),
            ],
            timeout: Duration::from_secs(10),
        }
        .run(&address("user"))
        .await
        .unwrap();
        assert!(!warning.contains("secret-detail"), "{warning}");
        assert!(warning.contains("the server's log"), "{warning}");
    }
}
