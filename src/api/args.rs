//! UAPI and API2 arguments: named text values, with cPanel's missing/empty
//! checks. Every value is wiped from memory when the arguments are dropped,
//! and never shown by `Debug`, because one of them is usually a password.

use std::fmt;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::Caller;
use crate::error::{Error, Result};
use crate::secrets::{wipe, Redacted};

/// One argument's value(s).
enum ArgValue {
    One(Zeroizing<String>),
    /// A JSON array: a multi-valued parameter.
    Many(Vec<Zeroizing<String>>),
}

/// Named arguments in arrival order.
#[derive(Default)]
pub struct Args {
    values: Vec<(String, ArgValue)>,
    /// Who made the call (set by the dispatcher; the rate limits count it).
    caller: Caller,
}

/// Names only: `Args { email: <redacted>, password: <redacted> }`.
impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, _) in &self.values {
            map.entry(name, &Redacted);
        }
        map.finish()
    }
}

impl Args {
    /// The same arguments, made by `caller`.
    #[must_use]
    pub fn with_caller(mut self, caller: Caller) -> Args {
        self.caller = caller;
        self
    }

    /// Who made the call.
    pub fn caller(&self) -> Caller {
        self.caller
    }

    /// The arguments of a call given as a JSON object (a transport checks
    /// that it has one). Scalars become text: `true` → `1`, `false` → `0`,
    /// null → empty.
    pub fn from_object(map: Map<String, Value>) -> Args {
        let values = map
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::Array(items) => ArgValue::Many(
                        items
                            .into_iter()
                            .map(|v| Zeroizing::new(into_text(v)))
                            .collect(),
                    ),
                    other => ArgValue::One(Zeroizing::new(into_text(other))),
                };
                (name, value)
            })
            .collect();
        Args {
            values,
            ..Args::default()
        }
    }

    /// Builds arguments from `key=value` pairs (the `uapi` command line, tests).
    pub fn from_pairs<I, K, V>(pairs: I) -> Args
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut args = Args::default();
        for (k, v) in pairs {
            let (k, v) = (k.into(), Zeroizing::new(v.into()));
            match args.values.iter_mut().find(|(name, _)| *name == k) {
                Some((_, ArgValue::One(first))) => {
                    let first = std::mem::take(first);
                    args.set(k, ArgValue::Many(vec![first, v]));
                }
                Some((_, ArgValue::Many(list))) => list.push(v),
                None => args.values.push((k, ArgValue::One(v))),
            }
        }
        args
    }

    fn set(&mut self, name: String, value: ArgValue) {
        if let Some(slot) = self.values.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        }
    }

    /// Checks that every name in `required` is present and not empty:
    /// first all missing ones in one error, then all empty ones.
    ///
    /// # Errors
    ///
    /// [`Error::MissingArguments`] or [`Error::EmptyArguments`].
    pub fn require(&self, required: &[&str]) -> Result<()> {
        let missing: Vec<String> = required
            .iter()
            .filter(|n| self.find(n).is_none())
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::MissingArguments(missing));
        }
        let empty: Vec<String> = required
            .iter()
            .filter(|n| match self.find(n) {
                Some(ArgValue::One(v)) => v.is_empty(),
                Some(ArgValue::Many(list)) => list.iter().all(|v| v.is_empty()),
                None => false,
            })
            .map(|n| n.to_string())
            .collect();
        if !empty.is_empty() {
            return Err(Error::EmptyArguments(empty));
        }
        Ok(())
    }

    /// The single value of `name`, if given.
    ///
    /// # Errors
    ///
    /// [`Error::NotSingleValue`] when several values were given.
    pub fn get(&self, name: &str) -> Result<Option<&str>> {
        match self.find(name) {
            None => Ok(None),
            Some(ArgValue::One(v)) => Ok(Some(v.as_str())),
            Some(ArgValue::Many(_)) => Err(Error::NotSingleValue(name.to_owned())),
        }
    }

    /// Whether `name` is a true flag (`1`, or any non-empty value but `0`).
    ///
    /// # Errors
    ///
    /// [`Error::NotSingleValue`] when several values were given.
    pub fn flag(&self, name: &str) -> Result<bool> {
        Ok(self.get(name)?.is_some_and(|v| !v.is_empty() && v != "0"))
    }

    /// The names given, in order (never the values).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|(n, _)| n.as_str())
    }

    fn find(&self, name: &str) -> Option<&ArgValue> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// The value as text: numbers in their JSON form, booleans as `1`/`0`,
/// null as empty; a nested object or list (which has none) is wiped.
fn into_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
        mut other => {
            wipe(&mut other);
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        Args::from_object(v.as_object().unwrap().clone())
    }

    #[test]
    fn scalars_become_text() {
        let a = args(json!({"n": 5, "t": true, "f": false, "z": null, "s": "x"}));
        assert_eq!(a.get("n").unwrap(), Some("5"));
        assert_eq!(a.get("t").unwrap(), Some("1"));
        assert_eq!(a.get("f").unwrap(), Some("0"));
        assert_eq!(a.get("z").unwrap(), Some(""));
        assert_eq!(a.get("s").unwrap(), Some("x"));
        assert_eq!(a.get("nope").unwrap(), None);
    }

    #[test]
    fn missing_are_reported_together_before_empty() {
        let a = args(json!({"domain": ""}));
        assert_eq!(
            a.require(&["email", "password"]).unwrap_err().to_string(),
            "Provide the “email” and “password” arguments."
        );
        let a = args(json!({"email": "", "password": "x"}));
        assert_eq!(
            a.require(&["email", "password"]).unwrap_err().to_string(),
            "The “email” argument cannot be empty."
        );
        let a = args(json!({"email": null, "password": ""}));
        assert_eq!(
            a.require(&["email", "password"]).unwrap_err().to_string(),
            "The “email” and “password” arguments cannot be empty."
        );
    }

    #[test]
    fn lists_are_multi_valued_and_refused_where_one_value_is_expected() {
        let a = args(json!({"email": ["a", "b"]}));
        assert!(a.require(&["email"]).is_ok());
        assert!(matches!(a.get("email"), Err(Error::NotSingleValue(_))));
    }

    #[test]
    fn debug_output_shows_names_never_values() {
        let secret = "Sup3r-Secret-Pw";
        let a = args(
            json!({"email": "user", "password": secret, "pass": secret, "secret": secret,
                            "token": secret, "password_hash": secret, "list": [secret, secret]}),
        );
        let b = Args::from_pairs([("password", secret), ("password", secret)]);
        for shown in [format!("{a:?}"), format!("{a:#?}"), format!("{b:?}")] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(
            format!(
                "{:?}",
                Args::from_pairs([("email", "user"), ("password", secret)])
            ),
            r#"{"email": <redacted>, "password": <redacted>}"#
        );
    }

    #[test]
    fn pairs_repeat_into_lists() {
        let a = Args::from_pairs([("k", "1"), ("k", "2"), ("j", "3")]);
        assert!(a.get("k").is_err());
        assert_eq!(a.get("j").unwrap(), Some("3"));
        assert_eq!(a.names().collect::<Vec<_>>(), vec!["k", "j"]);
    }
}
