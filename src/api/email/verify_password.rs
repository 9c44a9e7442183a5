//! `Email::verify_password`: whether a password opens a mailbox (data 1 or
//! 0; a wrong password is a successful call with data 0).

use serde_json::json;
use zeroize::Zeroizing;

use super::common;
use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::email::{hash, password};
use crate::state::AccountState;
use crate::error::{Error, Result};

/// Checks `password` for `email`. A suspended login answers 0.
///
/// # Errors
///
/// Missing arguments, an invalid or foreign address, no such mailbox, or a
/// stored hash of a scheme liveapid cannot check.
pub async fn verify_password(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["email", "password"])?;
    password::check(args.get("password")?.unwrap_or_default())?;
    // One trip for the account and the record; a missing mailbox costs no
    // hash, so it is answered without being counted.
    let (_, address, record) = common::mailbox(state, args).await?;
    state.limits().count_verify(args.caller(), &address)?;
    let stored = record.stored_hash.clone().unwrap_or_default();
    if record.login_suspended() {
        return Ok(UapiResult::success(json!(0)));
    }
    let password = Zeroizing::new(args.get("password")?.unwrap_or_default().to_owned());
    let verdict =
        common::off_thread(state, move || hash::verify_password(password.as_bytes(), &stored))
            .await?;
    match verdict {
        Some(ok) => Ok(UapiResult::success(json!(u8::from(ok)))),
        None => Err(Error::UnsupportedHashScheme(address.to_string())),
    }
}
