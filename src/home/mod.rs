//! Every byte under an account's home, reached only through a handle on
//! the home ([`confined`]): locks ([`lock`]), crash-safe replacement
//! ([`atomic`]), group commit of concurrent changes ([`batch`]), the
//! per-domain mail files ([`domain_files`]), cached views of them for
//! the calls that only read ([`domain_view`]), Maildirs ([`maildir`]) and
//! the API token file ([`token_file`]); what a file must be before it is
//! read ([`file_rules`]); the lines of one file with the metadata it was
//! read with ([`line_file`]), the mailbox operations on a domain's locked
//! files ([`mailbox`]), and the handle a worker holds on its account's
//! home ([`account_home`]).
//!
//! The account owner is not trusted: any path under his home may be a
//! symlink he planted. Nothing here takes an absolute path; every
//! operation is relative to a [`ConfinedDir`] and refuses, with
//! [`crate::Error::OutsideHome`], a path that leads out of it.

pub mod account_home;
pub mod atomic;
pub mod batch;
pub mod confined;
pub mod domain_files;
pub mod domain_view;
pub mod file_rules;
pub mod line_file;
pub mod lock;
pub mod mailbox;
pub mod maildir;
pub mod stamp;
pub mod token_file;

pub use account_home::AccountHome;
pub use batch::{BatchState, Batcher};
pub use confined::ConfinedDir;
pub use domain_files::DomainFiles;
pub use domain_view::DomainViews;
pub use stamp::FileStamp;
