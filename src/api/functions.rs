//! The macro that turns a module's table of functions into its typed enum.
//!
//! A module's `mod.rs` invokes `functions!` once; the table is the only
//! place that says which functions the module has. For each file it declares
//! the file's `mod`; for each function it makes one enum variant whose
//! UAPI name is the name of the Rust function that answers it, and, when
//! given, the API2 name that wraps it with its [`Shape`](crate::api::api2::Shape)
//! (how API2 presents the result):
//!
//! ```text
//! functions! {
//!     /// The functions of UAPI's `Example` module.
//!     pub enum ExampleFunction {
//!         // file  { Variant => function [, api2 name: shape]; … }
//!         greet    { Greet => greet, api2 sayhello: Shape::StatusRow }
//!     }
//! }
//! ```
//!
//! generates `mod greet;` and `enum ExampleFunction { Greet }` with
//! `ALL`, `FILES`, `from_name("greet")`, `name()`, `apply(state, args)` (which calls
//! `greet::greet(state, args)`), `API2_NAMES` and
//! `from_api2_name("sayhello")`. Each function is
//! `async fn(&AccountState, &Args) -> Result<UapiResult>`.

/// Generates a module's function enum from its table; see the module
/// documentation.
macro_rules! functions {
    (
        $(#[$meta:meta])*
        $vis:vis enum $enum:ident {
            $(
                $file:ident {
                    $(
                        $variant:ident => $func:ident $(, api2 $api2:ident: $shape:expr)?
                    );+ $(;)?
                }
            )+
        }
    ) => {
        $( mod $file; )+

        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $enum {
            $( $(
                #[doc = concat!("`", stringify!($func), "` (`", stringify!($file), ".rs`).")]
                $variant,
            )+ )+
        }

        impl $enum {
            /// Every function, in the table's order.
            pub const ALL: &'static [$enum] = &[ $( $( $enum::$variant, )+ )+ ];

            /// The table's files (without `.rs`), one `mod` each: a file of
            /// the module's directory missing here is not even compiled.
            pub const FILES: &'static [&'static str] = &[ $( stringify!($file), )+ ];

            /// Every API2 name that wraps one of the functions.
            pub const API2_NAMES: &'static [&'static str] =
                &[ $( $( $( stringify!($api2), )? )+ )+ ];

            /// The function called `name` in UAPI; `None` when there is none.
            pub fn from_name(name: &str) -> Option<$enum> {
                match name {
                    $( $( stringify!($func) => Some($enum::$variant), )+ )+
                    _ => None,
                }
            }

            /// The function's UAPI name.
            pub fn name(self) -> &'static str {
                match self {
                    $( $( $enum::$variant => stringify!($func), )+ )+
                }
            }

            /// The function the API2 function `name` wraps, and how API2
            /// presents its result; `None` when there is none.
            pub fn from_api2_name(
                name: &str,
            ) -> Option<($enum, $crate::api::api2::Shape)> {
                match name {
                    $( $( $( stringify!($api2) => Some(($enum::$variant, $shape)), )? )+ )+
                    _ => None,
                }
            }

            /// Runs the function on the account.
            ///
            /// # Errors
            ///
            /// Whatever the function refuses or fails with.
            pub async fn apply(
                self,
                state: &$crate::state::AccountState,
                args: &$crate::api::args::Args,
            ) -> $crate::error::Result<$crate::api::result::UapiResult> {
                match self {
                    $( $( $enum::$variant => $file::$func(state, args).await, )+ )+
                }
            }
        }
    };
}

pub(crate) use functions;
