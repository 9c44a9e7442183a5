//! `Email::delete_pop`: a mailbox out of the three files and, unless
//! `flags=passwd`, off the disk.

use serde_json::Value;

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::home::mailbox;
use crate::state::AccountState;
use crate::error::Result;
use crate::home::maildir;

/// Deletes a mailbox. Arguments: `email`, optional `domain`, `flags`
/// (`passwd` keeps the mail directory), `skip_quota` (1 keeps the quota line).
///
/// # Errors
///
/// A missing argument, an invalid or foreign address, no such mailbox, or a
/// storage failure.
pub async fn delete_pop(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email"])?;
    let (_, address) = common::address(state, args).await?;
    let keep_maildir = args
        .get("flags")?
        .is_some_and(|f| f.split(',').any(|f| f.trim() == "passwd"));
    let keep_quota = args.flag("skip_quota")?;
    let removed = address.clone();
    let home = state.home_dir();
    let aside = state
        .mail_files()
        .run(&state.home_dir(), &address.domain, move |files| {
            mailbox::ensure_listed(files, &removed)?;
            // Moved aside under the lock, removed after the commit: a new
            // mailbox of the same name can never lose its mail to this delete.
            let aside = match maildir::open_domain(&home, &removed.domain)? {
                Some(mail_domain) if !keep_maildir => {
                    maildir::move_aside(&mail_domain, &removed.localpart)?
                        .map(|name| (mail_domain, name))
                }
                _ => None,
            };
            if let Some((mail_domain, moved)) = aside.clone() {
                let localpart = removed.localpart.clone();
                files.on_failure(Box::new(move || {
                    let _ = mail_domain.rename(&moved, &localpart);
                }));
            }
            mailbox::remove(files, &removed, keep_quota)?;
            Ok(aside)
        })
        .await?;
    let mut result = UapiResult::success(Value::Null);
    if let Some((mail_domain, aside)) = aside {
        let outcome =
            tokio::task::spawn_blocking(move || maildir::remove_aside(&mail_domain, &aside)).await;
        if let Ok(Err(e)) = outcome {
            tracing::warn!(mailbox = %address, error = %e, "mail directory not removed");
            result.warnings.push(format!(
                "The email account “{address}” was deleted, but its mail directory could not be removed: {e}"
            ));
        }
    }
    tracing::info!(mailbox = %address, "mailbox deleted");
    Ok(result)
}
