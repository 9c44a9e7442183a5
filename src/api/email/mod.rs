//! The UAPI `Email` module.

mod passwd_pop;

pub use passwd_pop::{api2_passwdpop, passwd_pop};
