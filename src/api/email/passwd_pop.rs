//! `Email::passwd_pop` (UAPI) and its API2 wrapper `Email::passwdpop`
//! (docs/email.md §1, §9).

use std::time::SystemTime;

use serde_json::Value;

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::home::mailbox;
use crate::state::AccountState;
use crate::error::Result;

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
pub async fn passwd_pop(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email", "password"])?;
    let (account, address) = common::address(state, args).await?;
    let password = args.get("password")?.unwrap_or_default();
    let new_hash = common::hash_new_password(state, args, &account, &address, password).await?;
    let changed = address.clone();
    state
        .mail_files()
        .run(&state.home_dir(), &address.domain, move |files| {
            mailbox::change_password(files, &changed, &new_hash, SystemTime::now())
        })
        .await?;
    tracing::info!(mailbox = %address, "password changed");
    let mut outcome = UapiResult::success(Value::Null);
    outcome.warnings = state.after_auth_change(&address).await;
    Ok(outcome)
}
