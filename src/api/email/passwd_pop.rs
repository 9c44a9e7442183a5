//! `Email::passwd_pop` (UAPI) and its API2 wrapper `Email::passwdpop`
//! (spec/EMAIL.md §1, §9).

use std::time::SystemTime;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::email::{hash, mailbox, strength, MailAddress};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Changes a mailbox's password.
///
/// Arguments: `email` (localpart or full address), `password`, optional
/// `domain` (default: the address's domain, else the main domain). The new
/// password must reach the server's minimum strength; the stored hash keeps
/// a suspension prefix.
///
/// # Errors
///
/// Missing or empty arguments, an invalid or foreign address, a weak
/// password, a missing mailbox, or a storage failure.
pub async fn passwd_pop(engine: &Engine, args: &Args) -> Result<UapiResult> {
    args.require(&["email", "password"])?;
    let account = engine.account()?;
    let email = args.get("email")?.unwrap_or_default();
    let address = MailAddress::resolve(email, args.get("domain")?, &account)?;
    let password = Zeroizing::new(args.get("password")?.unwrap_or_default().to_owned());
    let required = account.config.min_mailbox_strength;
    if strength::strength(password.as_bytes()) < required {
        return Err(Error::WeakPassword(required));
    }
    // Hashing takes about a millisecond of CPU: off the I/O threads.
    let new_hash = tokio::task::spawn_blocking(move || hash::hash_password(password.as_bytes()))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
    let dir = account.mail_etc_dir(&address.domain);
    let changed = address.clone();
    engine
        .mail_files()
        .run(&dir, move |files| {
            mailbox::change_password(files, &changed, &new_hash, SystemTime::now())
        })
        .await?;
    tracing::info!(mailbox = %address, "password changed");
    let mut outcome = UapiResult::success(Value::Null);
    outcome.warnings = engine.after_auth_change(&address).await;
    Ok(outcome)
}
