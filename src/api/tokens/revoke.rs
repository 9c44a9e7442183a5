//! `Tokens::revoke`: deletes an API token; it fails from the next request on.

use serde_json::json;

use super::secret;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::error::{Error, Result};
use crate::off_reactor;
use crate::home::token_file;
use crate::state::AccountState;

/// Removes the token `name`; data 1.
///
/// # Errors
///
/// A missing `name`, no token of that name, or storage errors.
pub async fn revoke(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["name"])?;
    let name = args.get("name")?.unwrap_or_default().to_owned();
    let home = secret::home(state).await?;
    off_reactor::run(move || {
        token_file::update(&home, |tokens| {
            let before = tokens.len();
            tokens.retain(|t| t.name != name);
            if tokens.len() == before {
                return Err(Error::NoSuchToken(name.clone()));
            }
            Ok(())
        })
    })
    .await?;
    Ok(UapiResult::success(json!(1)))
}
