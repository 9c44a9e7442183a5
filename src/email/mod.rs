//! The pure rules of mail accounts: addresses, password strength and
//! hashes, shadow lines, quotas. No I/O: the per-domain files and the
//! mailbox operations on them are in [`crate::home`].

pub mod address;
pub mod hash;
pub mod password;
pub mod quota;
pub mod shadow;
pub mod strength;

pub use address::MailAddress;
