//! `key=value` arguments, as the `uapi` command line and an HTTPS form
//! (`application/x-www-form-urlencoded`) give them.
//!
//! # Format
//!
//! ```text
//! uapi Email passwd_pop email=user domain=example.com password=-
//! uapi Email list_pops regex=%5Eadmin      # ^admin: values are URI-encoded
//! uapi Mod func name=a name=b              # a repeated key gives a list
//! uapi Mod func name-0=a name-1=b          # so do numbered keys
//! ```
//!
//! As cPanel's decoder does, keys and values are URI-decoded: `%XX` is the
//! byte XX and `+` is a space (a literal plus is `%2B`). A `%` not followed
//! by two hex digits stays as it is.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One decoded argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub key: String,
    pub value: String,
}

/// Decodes every `key=value` word.
///
/// # Errors
///
/// [`Error::Config`] for a word without `=`, an empty key, or bytes that
/// are not UTF-8 once decoded.
pub fn decode_pairs(words: &[String]) -> Result<Vec<Pair>> {
    words
        .iter()
        .map(|word| {
            let Some((key, value)) = word.split_once('=') else {
                return Err(Error::Config(format!(
                    "the argument “{}” is not of the form key=value",
                    crate::error::shown(word)
                )));
            };
            let key = uri_decode(key)?;
            if key.is_empty() {
                return Err(Error::Config(format!(
                    "the argument “{}” has no key",
                    crate::error::shown(word)
                )));
            }
            Ok(Pair {
                key,
                value: uri_decode(value)?,
            })
        })
        .collect()
}

/// The arguments as the JSON object a LiveAPI call carries: one string per
/// key, or a list for a repeated key or for `key-0`, `key-1`, ... (in the
/// order of their numbers).
pub fn to_object(pairs: Vec<Pair>) -> Map<String, Value> {
    /// A key's values, each with its `-N` number if it had one.
    type Values = Vec<(Option<u64>, String)>;
    let mut values: Vec<(String, Values)> = Vec::new();
    for Pair { key, value } in pairs {
        let (name, index) = split_index(&key);
        match values.iter_mut().find(|(k, _)| *k == name) {
            Some((_, list)) => list.push((index, value)),
            None => values.push((name, vec![(index, value)])),
        }
    }
    values
        .into_iter()
        .map(|(name, mut list)| {
            let numbered = list.iter().any(|(i, _)| i.is_some());
            if list.len() == 1 && !numbered {
                let (_, value) = list.remove(0);
                return (name, Value::String(value));
            }
            // Numbered entries in number order; plain repeats keep their place.
            list.sort_by_key(|(i, _)| i.unwrap_or(u64::MAX));
            let items = list.into_iter().map(|(_, v)| Value::String(v)).collect();
            (name, Value::Array(items))
        })
        .collect()
}

/// `name-3` → (`name`, Some(3)); anything else → (key, None).
fn split_index(key: &str) -> (String, Option<u64>) {
    if let Some((name, number)) = key.rsplit_once('-') {
        if !name.is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = number.parse() {
                return (name.to_owned(), Some(n));
            }
        }
    }
    (key.to_owned(), None)
}

/// `%XX` → byte, `+` → space.
///
/// # Errors
///
/// [`Error::Config`] when the decoded bytes are not UTF-8.
pub fn uri_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match hex_pair(bytes[i + 1], bytes[i + 2]) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Error::Config(format!(
            "“{}” is not UTF-8 text once URI-decoded",
            crate::error::shown(text)
        ))
    })
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn uri_decoding_as_cpanel_does_it() {
        assert_eq!(uri_decode("a%20b").unwrap(), "a b");
        assert_eq!(uri_decode("a+b").unwrap(), "a b");
        assert_eq!(uri_decode("1%2B1%3D2").unwrap(), "1+1=2");
        assert_eq!(uri_decode("100%25").unwrap(), "100%");
        assert_eq!(uri_decode("caf%C3%A9").unwrap(), "café");
        assert_eq!(uri_decode("50%").unwrap(), "50%", "a lone % stays");
        assert_eq!(uri_decode("%zz%4").unwrap(), "%zz%4");
        assert!(uri_decode("%FF").is_err(), "not UTF-8");
    }

    #[test]
    fn pairs_split_on_the_first_equals_sign_and_decode_keys_too() {
        let pairs = decode_pairs(&words(&["password=a=b", "my%20key=x", "empty="])).unwrap();
        assert_eq!(
            pairs,
            vec![
                Pair {
                    key: "password".into(),
                    value: "a=b".into()
                },
                Pair {
                    key: "my key".into(),
                    value: "x".into()
                },
                Pair {
                    key: "empty".into(),
                    value: "".into()
                },
            ]
        );
        assert!(decode_pairs(&words(&["novalue"])).is_err());
        assert!(decode_pairs(&words(&["=x"])).is_err());
    }

    #[test]
    fn repeated_and_numbered_keys_give_lists() {
        let pairs = decode_pairs(&words(&[
            "email=user",
            "tag=a",
            "tag=b",
            "item-1=second",
            "item-0=first",
            "x-y=plain",
        ]))
        .unwrap();
        assert_eq!(
            Value::Object(to_object(pairs)),
            json!({"email": "user", "tag": ["a", "b"], "item": ["first", "second"], "x-y": "plain"})
        );
    }
}
