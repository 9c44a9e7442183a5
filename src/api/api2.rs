//! How an API2 function presents the result of the UAPI function it wraps
//! (docs/email.md §1.5, §2; cPanel's `Cpanel/Email.pm`). Which API2 name
//! wraps which function, in which shape, is in each module's function table
//! (`src/api/email/mod.rs`).

use serde_json::{json, Value};

use crate::api::result::{self, UapiResult};
use crate::error::Error;

/// How an API2 function presents its UAPI result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One `{result, reason}` row; a refusal is a row with result 0.
    StatusRow,
    /// The UAPI rows, optionally only some of their fields.
    Rows(Option<&'static [&'static str]>),
    /// One `{result: <data>}` row.
    ResultRow,
}

/// The API2 reply of `module::func` for the `outcome` of the UAPI function
/// it wraps, in `shape`.
pub fn present(
    module: &str,
    func: &str,
    shape: Shape,
    outcome: Result<UapiResult, Error>,
) -> Value {
    match (shape, outcome) {
        (Shape::StatusRow, Ok(r)) => result::api2(
            module,
            func,
            vec![json!({"result": 1, "reason": r.messages.join("\n")})],
            None,
        ),
        (Shape::StatusRow, Err(e)) => result::api2_row_failure(module, func, &legacy_text(&e)),
        (Shape::Rows(fields), Ok(r)) => {
            let rows = match r.data {
                Value::Array(rows) => rows.into_iter().map(|row| project(row, fields)).collect(),
                other => vec![other],
            };
            result::api2(module, func, rows, None)
        }
        (Shape::ResultRow, Ok(r)) => {
            result::api2(module, func, vec![json!({"result": r.data})], None)
        }
        (Shape::Rows(_) | Shape::ResultRow, Err(e)) => {
            result::api2(module, func, Vec::new(), Some(&e.to_string()))
        }
    }
}

/// API2 keeps cPanel's older weak-password sentence (seen in a real
/// `passwdpop` failure); every other text is the UAPI one.
fn legacy_text(e: &Error) -> String {
    match e {
        Error::WeakPassword(n) => format!(
            "Sorry, the password you selected cannot be used because it is too weak and would be too easy to guess. Please select a password with strength rating of {n} or higher."
        ),
        other => other.to_string(),
    }
}

fn project(row: Value, fields: Option<&[&str]>) -> Value {
    match (fields, row) {
        (Some(fields), Value::Object(map)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .collect(),
        ),
        (_, row) => row,
    }
}
