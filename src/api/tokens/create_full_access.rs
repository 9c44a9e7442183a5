//! `Tokens::create_full_access`: a new API token with the account's full
//! access; the token is in this reply only (only its hash is kept).

use serde_json::json;

use super::secret;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::error::{Error, Result};
use crate::off_reactor;
use crate::home::token_file::{self, StoredToken};
use crate::state::AccountState;

/// Makes the token `name`: `{"name", "token", "create_time"}`.
///
/// # Errors
///
/// A missing or invalid `name`, a name already in use, or storage errors.
pub async fn create_full_access(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["name"])?;
    let name = args.get("name")?.unwrap_or_default().to_owned();
    secret::check_name(&name)?;
    let token = secret::new_token()?;
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let stored = StoredToken {
        name: name.clone(),
        created,
        sha256: secret::digest(&token),
    };
    let home = secret::home(state).await?;
    off_reactor::run(move || {
        token_file::update(&home, |tokens| {
            if tokens.iter().any(|t| t.name == stored.name) {
                return Err(Error::TokenNameTaken(stored.name.clone()));
            }
            tokens.push(stored);
            Ok(())
        })
    })
    .await?;
    Ok(UapiResult::success(json!({
        "name": name,
        "token": token.as_str(),
        "create_time": created,
    })))
}
