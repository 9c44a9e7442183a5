//! Reply shapes (docs/protocol.md §5) and the one place where an [`Error`]
//! becomes a UAPI `errors[]` entry.
//!
//! Key order is part of the contract: wrapped replies must begin with the
//! exact bytes `{"cpanelresult"` (C5), so replies are built with
//! `serde_json`'s insertion-ordered maps.

use serde_json::{json, Map, Value};

use crate::error::Error;

/// What a UAPI function returns.
#[derive(Debug, Clone, PartialEq)]
pub struct UapiResult {
    pub status: bool,
    pub data: Value,
    pub errors: Vec<String>,
    pub messages: Vec<String>,
    pub warnings: Vec<String>,
    pub metadata: Map<String, Value>,
}

impl UapiResult {
    /// Success with `data`.
    pub fn success(data: Value) -> Self {
        UapiResult {
            status: true,
            data,
            errors: Vec::new(),
            messages: Vec::new(),
            warnings: Vec::new(),
            metadata: Map::new(),
        }
    }

    /// Failure with one error: the error's text is exactly its `Display`,
    /// which never contains a password.
    pub fn failure(error: &Error) -> Self {
        UapiResult {
            status: false,
            errors: vec![error.to_string()],
            ..UapiResult::success(Value::Null)
        }
    }

    /// The bare result object, as HTTP `/execute` returns it.
    pub fn body(&self) -> Value {
        let list = |items: &[String]| {
            if items.is_empty() {
                Value::Null
            } else {
                json!(items)
            }
        };
        json!({
            "data": self.data,
            "errors": list(&self.errors),
            "messages": list(&self.messages),
            "metadata": self.metadata,
            "status": u8::from(self.status),
            "warnings": list(&self.warnings),
        })
    }

    /// The live-socket and `uapi` CLI envelope (unwrapped, C5).
    pub fn envelope(&self, module: &str, func: &str) -> Value {
        json!({"apiversion": 3, "func": func, "module": module, "result": self.body()})
    }
}

/// An API2 reply (wrapped). `error` marks a failure of the call itself
/// (unknown function, bad arguments): `event.result` 0 with the reason.
pub fn api2(module: &str, func: &str, data: Vec<Value>, error: Option<&str>) -> Value {
    let mut inner = Map::new();
    inner.insert("apiversion".into(), json!(2));
    inner.insert("func".into(), json!(func));
    inner.insert("module".into(), json!(module));
    inner.insert("data".into(), Value::Array(data));
    match error {
        None => {
            inner.insert("event".into(), json!({"result": 1}));
        }
        Some(reason) => {
            inner.insert("event".into(), json!({"result": 0, "reason": reason}));
            inner.insert("error".into(), json!(reason));
        }
    }
    json!({"cpanelresult": inner})
}

/// An API2 reply of a function whose rows say it failed while the call
/// itself ran (the legacy `passwdpop` shape: `event.result` 1, an `error`
/// string, one `{result: 0, reason}` row).
pub fn api2_row_failure(module: &str, func: &str, reason: &str) -> Value {
    json!({"cpanelresult": {
        "apiversion": 2, "func": func, "module": module,
        "error": reason,
        "data": [{"result": 0, "reason": reason}],
        "event": {"result": 1},
    }})
}

/// An API1 module reply (unwrapped).
pub fn api1(module: &str, func: &str, result: Result<String, String>) -> Value {
    let mut reply = json!({
        "apiversion": "1", "type": "event", "module": module, "func": func, "source": "module",
    });
    add_api1_outcome(&mut reply, result);
    reply
}

/// The API1 `print` reply, also the answer to `<cpanel print="...">`.
pub fn api1_print(value: &str) -> Value {
    json!({
        "apiversion": "1", "type": "internal", "command": "print", "source": "internal",
        "data": {"result": value}, "event": {"result": 1},
    })
}

/// A legacy `<cpanel ...>` tag liveapid does not run.
pub fn api1_tag_failure(reason: &str) -> Value {
    let mut reply = json!({"apiversion": "1", "type": "internal", "source": "internal"});
    add_api1_outcome(&mut reply, Err(reason.to_owned()));
    reply
}

fn add_api1_outcome(reply: &mut Value, result: Result<String, String>) {
    let map = reply.as_object_mut().expect("an object");
    match result {
        Ok(text) => {
            map.insert("data".into(), json!({"result": text}));
            map.insert("event".into(), json!({"result": 1}));
        }
        Err(reason) => {
            map.insert("data".into(), json!({"result": ""}));
            map.insert("event".into(), json!({"result": 0, "reason": reason}));
            map.insert("error".into(), json!(reason));
        }
    }
}

/// The reply to `cpanelif` / `cpanelfeature` (wrapped, as cPanel's SDK shows).
pub fn condition(module: &str, truth: bool) -> Value {
    json!({"cpanelresult": {"data": {"result": u8::from(truth)}, "module": module, "apiversion": 1}})
}

/// The reply to `<cpaneljson enable="1">`.
pub fn json_switch() -> Value {
    json!({"data": {"result": "json"}})
}

/// The optional reply before closing on shutdown, for third-party clients
/// that wait for one (docs/protocol.md §6).
pub fn shutdown() -> Value {
    json!({"data": {"result": "shutdown"}})
}

/// The real server's "text" error object (docs/protocol.md §3.5).
pub fn text_error(reason: &str) -> Value {
    json!({"apiversion": "1", "error": reason, "data": {"reason": reason, "result": "0"}, "type": "text"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uapi_success_envelope_is_the_vector() {
        let v = UapiResult::success(Value::Null).envelope("Email", "passwd_pop");
        assert_eq!(
            v.to_string(),
            r#"{"apiversion":3,"func":"passwd_pop","module":"Email","result":{"data":null,"errors":null,"messages":null,"metadata":{},"status":1,"warnings":null}}"#
        );
    }

    #[test]
    fn api2_failure_matches_the_hand_built_vector() {
        let v = api2(
            "Email",
            "listpopswithdisk",
            vec![],
            Some("Permission denied."),
        );
        assert_eq!(
            v.to_string(),
            r#"{"cpanelresult":{"apiversion":2,"func":"listpopswithdisk","module":"Email","data":[],"event":{"result":0,"reason":"Permission denied."},"error":"Permission denied."}}"#
        );
    }

    #[test]
    fn print_and_condition_shapes() {
        assert_eq!(
            api1_print("cow").to_string(),
            r#"{"apiversion":"1","type":"internal","command":"print","source":"internal","data":{"result":"cow"},"event":{"result":1}}"#
        );
        assert_eq!(
            condition("if", true).to_string(),
            r#"{"cpanelresult":{"data":{"result":1},"module":"if","apiversion":1}}"#
        );
    }
}
