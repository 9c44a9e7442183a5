//! What `uapi` prints: the call's envelope (`apiversion`, `func`, `module`,
//! `result`) as YAML in cPanel's shape, or as JSON.
//!
//! # Format
//!
//! ```text
//! ---
//! apiversion: 3
//! func: passwd_pop
//! module: Email
//! result:
//!   data: ~
//!   errors: ~
//!   messages: ~
//!   metadata: {}
//!   status: 1
//!   warnings: ~
//! ```
//!
//! Keys are sorted at every level and null is `~`, as cPanel's YAML writer
//! prints them.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The output formats of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    JsonPretty,
}

impl Format {
    /// `yaml`, `json` or `jsonpretty`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other name.
    pub fn from_name(name: &str) -> Result<Format> {
        match name {
            "yaml" => Ok(Format::Yaml),
            "json" => Ok(Format::Json),
            "jsonpretty" => Ok(Format::JsonPretty),
            other => Err(Error::Config(format!(
                "--output must be yaml, json or jsonpretty, not “{}”",
                crate::error::shown(other)
            ))),
        }
    }
}

/// `value` in `format`, ending with a newline.
///
/// # Errors
///
/// [`Error::Output`] if the YAML writer fails (it does not for JSON values).
pub fn render(value: &Value, format: Format) -> Result<String> {
    match format {
        Format::Json => Ok(format!("{value}\n")),
        Format::JsonPretty => serde_json::to_string_pretty(&sorted(value))
            .map(|text| format!("{text}\n"))
            .map_err(|e| Error::Output {
                format: "JSON",
                message: e.to_string(),
            }),
        Format::Yaml => yaml(value),
    }
}

/// cPanel's YAML: a `---` document, sorted keys, `~` for null.
fn yaml(value: &Value) -> Result<String> {
    let text = serde_norway::to_string(&sorted(value)).map_err(|e| Error::Output {
        format: "YAML",
        message: e.to_string(),
    })?;
    let mut out = String::from("---\n");
    for line in text.lines() {
        // The writer quotes a string "null", so an unquoted null is a null.
        let line = match line.strip_suffix("null") {
            Some(head) if head.is_empty() || head.ends_with(": ") || head.ends_with("- ") => {
                format!("{head}~")
            }
            _ => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// A copy of `value` with every object's keys in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let map: Map<String, Value> = keys
                .into_iter()
                .map(|k| (k.clone(), sorted(&map[k])))
                .collect();
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope() -> Value {
        json!({"apiversion": 3, "func": "passwd_pop", "module": "Email",
               "result": {"data": null, "errors": null, "messages": null, "metadata": {}, "status": 1, "warnings": null}})
    }

    #[test]
    fn yaml_is_cpanels_document() {
        assert_eq!(
            render(&envelope(), Format::Yaml).unwrap(),
            "---\napiversion: 3\nfunc: passwd_pop\nmodule: Email\nresult:\n  data: ~\n  errors: ~\n  messages: ~\n  metadata: {}\n  status: 1\n  warnings: ~\n"
        );
    }

    #[test]
    fn yaml_sorts_keys_quotes_tricky_strings_and_lists_errors() {
        let value = json!({"result": {"status": 0, "errors": ["You do not have an email account named “x@example.com”."],
                                      "data": [{"login": "null", "email": "a: b"}, null]}});
        let text = render(&value, Format::Yaml).unwrap();
        assert_eq!(
            text,
            "---\nresult:\n  data:\n  - email: 'a: b'\n    login: 'null'\n  - ~\n  errors:\n  - You do not have an email account named “x@example.com”.\n  status: 0\n"
        );
        let back: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(back["result"]["data"][0]["login"], "null");
        assert_eq!(back["result"]["data"][1], Value::Null);
    }

    #[test]
    fn json_is_compact_and_jsonpretty_indented() {
        let compact = render(&envelope(), Format::Json).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&compact).unwrap(), envelope());
        assert_eq!(compact.lines().count(), 1);
        let pretty = render(&envelope(), Format::JsonPretty).unwrap();
        assert!(
            pretty.contains("\n  \"result\": {\n    \"data\": null,"),
            "{pretty}"
        );
        assert_eq!(serde_json::from_str::<Value>(&pretty).unwrap(), envelope());
        assert!(Format::from_name("xml").is_err());
    }
}
