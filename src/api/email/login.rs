//! `Email::suspend_login` and `Email::unsuspend_login`: the `!!` prefix of
//! a mailbox's hash (docs/email.md §3.5). Mail is still delivered.

use serde_json::Value;

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::home::mailbox;
use crate::state::AccountState;
use crate::error::Result;

/// Suspends logins to `email` (argument: `email`, optional `domain`).
///
/// # Errors
///
/// As [`set_login_suspended`].
pub async fn suspend_login(state: &AccountState, args: &Args) -> Result<UapiResult> {
    set_login_suspended(state, args, true).await
}

/// Restores logins to `email` (argument: `email`, optional `domain`).
///
/// # Errors
///
/// As [`set_login_suspended`].
pub async fn unsuspend_login(state: &AccountState, args: &Args) -> Result<UapiResult> {
    set_login_suspended(state, args, false).await
}

/// Suspends (`true`) or restores (`false`) logins to `email`, then runs the
/// after-change action so a cached login is dropped at once.
///
/// # Errors
///
/// A missing argument, an invalid or foreign address, no such mailbox, or a
/// storage failure.
async fn set_login_suspended(
    state: &AccountState,
    args: &Args,
    suspended: bool,
) -> Result<UapiResult> {
    args.require(&["email"])?;
    let (_, address) = common::address(state, args).await?;
    let target = address.clone();
    state
        .mail_files()
        .run(&state.home_dir(), &address.domain, move |files| {
            mailbox::set_login_suspended(files, &target, suspended)
        })
        .await?;
    tracing::info!(mailbox = %address, suspended, "login suspension changed");
    let mut result = UapiResult::success(Value::Null);
    result.warnings = state.after_auth_change(&address).await;
    Ok(result)
}
