//! `Email::get_pop_quota` and `Email::edit_pop_quota`.

use serde_json::{json, Value};

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::home::mailbox;
use crate::email::quota::Quota;
use crate::state::AccountState;
use crate::error::Result;

/// A mailbox's quota in MiB, or `"unlimited"`; with `as_bytes=1`, in bytes
/// (0 for unlimited).
///
/// # Errors
///
/// A missing argument, an invalid or foreign address, no such mailbox.
pub async fn get_pop_quota(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email"])?;
    let (_, _, record) = common::mailbox(state, args).await?;
    let data = if args.flag("as_bytes")? {
        json!(record.quota.bytes())
    } else {
        record.quota.mib().map_or(json!("unlimited"), |m| json!(m))
    };
    Ok(UapiResult::success(data))
}

/// Sets a mailbox's quota (`quota` in MiB, `0` or `unlimited`; above the
/// account's maximum it is clamped to it).
///
/// # Errors
///
/// Missing arguments, an invalid quota, an invalid or foreign address, no
/// such mailbox, or a storage failure.
pub async fn edit_pop_quota(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email", "quota"])?;
    let (account, address) = common::address(state, args).await?;
    let quota = Quota::from_argument(
        args.get("quota")?.unwrap_or_default(),
        account.max_quota_mib,
    )?;
    let target = address.clone();
    state
        .mail_files()
        .run(&state.home_dir(), &address.domain, move |files| {
            mailbox::set_quota(files, &target, quota)
        })
        .await?;
    tracing::info!(mailbox = %address, %quota, "quota changed");
    Ok(UapiResult::success(Value::Null))
}
