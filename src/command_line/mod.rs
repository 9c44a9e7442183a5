//! The `uapi` command line's own parts: the YAML and JSON output, and
//! reading a password from standard input so it never stands in a shell's
//! history. Its `key=value` arguments are decoded as cPanel's decoder reads
//! them by [`crate::api::key_value`], which the HTTPS forms share.

pub mod cli;
pub mod invocation;
mod main;
pub mod output;
pub mod secret;

pub use main::main;
