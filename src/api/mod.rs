//! The API surface: arguments ([`args`]), reply shapes ([`result`], and
//! [`api2`] for API2's), the modules ([`email`], each with its table of
//! functions made by [`functions`]) and the legacy print/if/feature pieces
//! ([`legacy`]). Every function takes the [`crate::state::AccountState`].
//! The dispatcher (`src/dispatch.rs`) routes each call here; nothing here
//! knows it or any transport: a transport makes its wire arguments into
//! [`Args`] (the socket's handler, `src/engine.rs`; the HTTPS forms and the
//! `uapi` command line through [`key_value`]), and `tests/layering.rs`
//! keeps this module from naming the modules above it.

pub mod api2;
pub mod args;
pub mod email;
pub mod functions;
pub mod key_value;
pub mod legacy;
pub mod result;
pub mod tokens;

pub use crate::caller::Caller;
pub use args::Args;
pub use result::UapiResult;
