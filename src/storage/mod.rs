//! How liveapid changes files: locks ([`lock`]), crash-safe replacement
//! ([`atomic`]) and group commit of concurrent changes ([`batch`]).

pub mod atomic;
pub mod batch;
pub mod lock;

pub use batch::{BatchState, Batcher};
