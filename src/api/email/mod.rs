//! The UAPI `Email` module and its API2 wrappers.

mod add_pop;
pub mod api2;
mod common;
mod delete_pop;
mod list_pops;
mod login;
mod passwd_pop;
mod quota;
mod verify_password;

pub use add_pop::add_pop;
pub use delete_pop::delete_pop;
pub use list_pops::{count_pops, list_pops, list_pops_with_disk};
pub use passwd_pop::passwd_pop;
pub use quota::{edit_pop_quota, get_pop_quota};
pub use verify_password::verify_password;

use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::engine::Engine;
use crate::error::Result;

/// Runs the UAPI function `func` of `Email`; `None` when there is none.
pub async fn call(engine: &Engine, func: &str, args: &Args) -> Option<Result<UapiResult>> {
    Some(match func {
        "passwd_pop" => passwd_pop(engine, args).await,
        "add_pop" => add_pop(engine, args).await,
        "delete_pop" => delete_pop(engine, args).await,
        "list_pops" => list_pops(engine, args).await,
        "list_pops_with_disk" => list_pops_with_disk(engine, args).await,
        "count_pops" => count_pops(engine, args).await,
        "verify_password" => verify_password(engine, args).await,
        "suspend_login" => login::set_login_suspended(engine, args, true).await,
        "unsuspend_login" => login::set_login_suspended(engine, args, false).await,
        "get_pop_quota" => get_pop_quota(engine, args).await,
        "edit_pop_quota" => edit_pop_quota(engine, args).await,
        _ => return None,
    })
}
