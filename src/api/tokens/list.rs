//! `Tokens::list`: the account's API tokens, by name and creation time
//! (never the token, which is not kept).

use serde_json::{json, Value};

use super::secret;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::error::Result;
use crate::off_reactor;
use crate::home::token_file;
use crate::state::AccountState;

/// `[{"name", "create_time", "has_full_access": 1}]`, oldest first.
///
/// # Errors
///
/// An unreadable token file.
pub async fn list(state: &AccountState, _args: &Args) -> Result<UapiResult> {
    let home = secret::home(state).await?;
    let tokens = off_reactor::run(move || token_file::read(&home)).await?;
    let rows: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"name": t.name, "create_time": t.created, "has_full_access": 1}))
        .collect();
    Ok(UapiResult::success(Value::Array(rows)))
}
