//! Mail accounts: addresses, password strength and hashes, and the
//! per-domain files, with the operations the `Email` API performs on them.

pub mod address;
pub mod domain_files;
pub mod hash;
pub mod line_file;
pub mod mailbox;
pub mod maildir;
pub mod password;
pub mod quota;
pub mod shadow;
pub mod strength;

pub use address::MailAddress;
pub use domain_files::DomainFiles;
