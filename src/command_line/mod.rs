//! The `uapi` command line's own parts: `key=value` arguments as cPanel's
//! decoder reads them, the YAML and JSON output, and reading a password
//! from standard input so it never stands in a shell's history.

pub mod arguments;
pub mod cli;
pub mod invocation;
mod main;
pub mod output;
pub mod secret;

pub use main::main;
