//! Keeping request values out of logs and out of freed memory: any of them
//! may be a password.

use std::fmt;

use serde_json::Value;
use zeroize::Zeroize;

/// Stands for a value in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Overwrites every string in `value` (members, items, nested) with zeros
/// before it is freed. Numbers are left: JSON numbers are not passwords a
/// client sends (the shims send strings).
pub fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wipe_empties_every_string_at_any_depth() {
        let mut v = json!({"a": "secret-1", "b": ["secret-2", {"c": "secret-3"}], "n": 5});
        wipe(&mut v);
        assert_eq!(v, json!({"a": "", "b": ["", {"c": ""}], "n": 5}));
        assert_eq!(format!("{Redacted:?}"), "<redacted>");
    }
}
