//! The API2 `Email` functions: thin wrappers over the UAPI ones, answered
//! in API2's shape (docs/email.md §1.5, §2; cPanel's `Cpanel/Email.pm`).

use serde_json::{json, Value};

use crate::api::args::Args;
use crate::api::result::{self, UapiResult};
use crate::engine::Engine;
use crate::error::Error;

/// How an API2 function presents its UAPI result.
#[derive(Clone, Copy)]
enum Shape {
    /// One `{result, reason}` row; a refusal is a row with result 0.
    StatusRow,
    /// The UAPI rows, optionally only some of their fields.
    Rows(Option<&'static [&'static str]>),
    /// One `{result: <data>}` row.
    ResultRow,
}

/// Runs the API2 function `func` of `Email`; `None` when there is none.
pub async fn call(engine: &Engine, func: &str, args: &Args) -> Option<Value> {
    let (uapi_func, shape) = match func {
        "passwdpop" => ("passwd_pop", Shape::StatusRow),
        "addpop" => ("add_pop", Shape::StatusRow),
        "delpop" => ("delete_pop", Shape::StatusRow),
        "editquota" => ("edit_pop_quota", Shape::StatusRow),
        "listpops" => ("list_pops", Shape::Rows(Some(&["email", "login"]))),
        "listpopswithdisk" => ("list_pops_with_disk", Shape::Rows(None)),
        "getpopquota" => ("get_pop_quota", Shape::ResultRow),
        _ => return None,
    };
    let outcome = super::call(engine, uapi_func, args)
        .await
        .expect("every wrapped function exists");
    Some(present("Email", func, shape, outcome))
}

fn present(module: &str, func: &str, shape: Shape, outcome: Result<UapiResult, Error>) -> Value {
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
