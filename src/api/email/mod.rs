//! The UAPI `Email` module and its API2 wrappers: one file per function (or
//! per family of functions), and the table below, the only place that says
//! which functions exist.
//!
//! To add a function, write `async fn my_function(state: &AccountState,
//! args: &Args) -> Result<UapiResult>` in a new file `my_function.rs` here
//! and add one line to the table:
//!
//! ```text
//! my_function { MyFunction => my_function }
//! ```
//!
//! The UAPI name is the Rust function's name; `, api2 name: Shape::…` adds
//! an API2 wrapper. See [`crate::api::functions`].

mod common;

use crate::api::api2::Shape;
use crate::api::functions::functions;

functions! {
    /// The functions of UAPI's `Email` module.
    pub enum EmailFunction {
        // file         { Variant          => function            [, api2 name: how API2 shows it] }
        passwd_pop      { PasswdPop        => passwd_pop,          api2 passwdpop: Shape::StatusRow }
        add_pop         { AddPop           => add_pop,             api2 addpop: Shape::StatusRow }
        delete_pop      { DeletePop        => delete_pop,          api2 delpop: Shape::StatusRow }
        list_pops       {
                          ListPops         => list_pops,           api2 listpops: Shape::Rows(Some(&["email", "login"]));
                          ListPopsWithDisk => list_pops_with_disk, api2 listpopswithdisk: Shape::Rows(None);
                          CountPops        => count_pops;
                        }
        verify_password { VerifyPassword   => verify_password }
        login           {
                          SuspendLogin     => suspend_login;
                          UnsuspendLogin   => unsuspend_login;
                        }
        quota           {
                          GetPopQuota      => get_pop_quota,       api2 getpopquota: Shape::ResultRow;
                          EditPopQuota     => edit_pop_quota,      api2 editquota: Shape::StatusRow;
                        }
    }
}
