//! The UAPI `Tokens` module: API tokens for `Authorization: cpanel
//! <user>:<token>` on the HTTPS front end. One file per function, and the
//! table below, the only place that says which functions exist (see
//! [`crate::api::email`] for how to add one).
//!
//! [`check_presented`] is not in the table: it is the front end's internal
//! question "does this token open this account?", which the dispatcher
//! answers only for the front end (see `src/dispatch.rs`).

mod secret;

use crate::api::functions::functions;

pub use secret::{check_presented, CHECK_FUNCTION};

functions! {
    /// The functions of UAPI's `Tokens` module.
    pub enum TokensFunction {
        // file            { Variant          => function }
        create_full_access { CreateFullAccess => create_full_access }
        list               { List             => list }
        revoke             { Revoke           => revoke }
    }
}
