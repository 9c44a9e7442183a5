//! Query strings and `application/x-www-form-urlencoded` bodies, decoded as
//! the `uapi` command line decodes its `key=value` words (`%XX`, `+` for a
//! space, repeated and `key-N` keys as lists).

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::api::key_value::{decode_pairs, to_object};
use crate::error::Result;

/// The arguments of `text` (`a=1&b=2`); a word without `=` is a key with
/// an empty value, empty words are skipped.
///
/// # Errors
///
/// Bytes that are not UTF-8 once decoded.
pub fn decode(text: &str) -> Result<Map<String, Value>> {
    let words: Vec<Zeroizing<String>> = text
        .split('&')
        .filter(|w| !w.is_empty())
        .map(|w| {
            Zeroizing::new(if w.contains('=') {
                w.to_owned()
            } else {
                format!("{w}=")
            })
        })
        .collect();
    let plain: Vec<String> = words.iter().map(|w| w.as_str().to_owned()).collect();
    let pairs = decode_pairs(&plain);
    // The copies (one usually holds a password) are wiped with the words.
    for mut w in plain {
        zeroize::Zeroize::zeroize(&mut w);
    }
    Ok(to_object(pairs?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms_decode_like_the_command_line() {
        assert_eq!(
            Value::Object(decode("email=user&password=12345luggage&domain=example.com").unwrap()),
            json!({"email": "user", "password": "12345luggage", "domain": "example.com"})
        );
        assert_eq!(
            Value::Object(decode("a=x+y%2B%26&&flag&n-1=b&n-0=a").unwrap()),
            json!({"a": "x y+&", "flag": "", "n": ["a", "b"]})
        );
        assert!(decode("a=%FF").is_err());
    }
}
