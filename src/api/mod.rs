//! The API surface: arguments ([`args`]), reply shapes ([`result`]), the
//! modules ([`email`]) and the legacy print/if/feature pieces ([`legacy`]).
//! [`crate::engine`] routes each call here.

pub mod args;
pub mod email;
pub mod legacy;
pub mod result;

pub use args::Args;
pub use result::UapiResult;
