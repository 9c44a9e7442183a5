//! Every byte under an account's home: locks ([`lock`]), crash-safe
//! replacement ([`atomic`]), group commit of concurrent changes ([`batch`]),
//! the per-domain mail files ([`domain_files`]) and Maildirs ([`maildir`]).

pub mod atomic;
pub mod batch;
pub mod domain_files;
pub mod lock;
pub mod maildir;

pub use batch::{BatchState, Batcher};
pub use domain_files::DomainFiles;
