//! What a request presents: an `Authorization` header (an API token or
//! HTTP Basic) and the `cpsession` cookie. Secrets stay in wiped buffers
//! and out of `Debug`.

use base64::Engine as _;
use zeroize::Zeroizing;

/// The name of the session cookie (cPanel's).
pub const SESSION_COOKIE: &str = "cpsession";

/// An `Authorization` header's credential.
pub enum Credential {
    /// `cpanel <user>:<token>`.
    Token {
        user: String,
        token: Zeroizing<String>,
    },
    /// `Basic base64(<user>:<password>)`.
    Basic {
        user: String,
        password: Zeroizing<String>,
    },
    /// A header of another scheme or a broken one.
    Malformed,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Token { user, .. } => write!(f, "Token({user:?})"),
            Credential::Basic { user, .. } => write!(f, "Basic({user:?})"),
            Credential::Malformed => write!(f, "Malformed"),
        }
    }
}

impl Credential {
    /// The user name the credential claims, if it names one.
    pub fn user(&self) -> Option<&str> {
        match self {
            Credential::Token { user, .. } | Credential::Basic { user, .. } => Some(user),
            Credential::Malformed => None,
        }
    }
}

/// Parses an `Authorization` header's value.
pub fn parse_authorization(value: &[u8]) -> Credential {
    let Ok(text) = std::str::from_utf8(value) else {
        return Credential::Malformed;
    };
    let Some((scheme, rest)) = text.trim().split_once(' ') else {
        return Credential::Malformed;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("cpanel") {
        return match rest.split_once(':') {
            Some((user, token)) if !user.is_empty() && !token.is_empty() => Credential::Token {
                user: user.to_owned(),
                token: Zeroizing::new(token.to_owned()),
            },
            _ => Credential::Malformed,
        };
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
            return Credential::Malformed;
        };
        let decoded = Zeroizing::new(decoded);
        let Ok(text) = std::str::from_utf8(&decoded) else {
            return Credential::Malformed;
        };
        return match text.split_once(':') {
            Some((user, password)) if !user.is_empty() => Credential::Basic {
                user: user.to_owned(),
                password: Zeroizing::new(password.to_owned()),
            },
            _ => Credential::Malformed,
        };
    }
    Credential::Malformed
}

/// The value of the `cpsession` cookie among the `Cookie` headers.
pub fn session_cookie<'a>(headers: impl Iterator<Item = &'a [u8]>) -> Option<Zeroizing<String>> {
    for header in headers {
        let Ok(text) = std::str::from_utf8(header) else {
            continue;
        };
        for pair in text.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if name == SESSION_COOKIE && !value.is_empty() {
                    return Some(Zeroizing::new(value.to_owned()));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_to_credentials() {
        match parse_authorization(b"cpanel bob:ABC123") {
            Credential::Token { user, token } => {
                assert_eq!((user.as_str(), token.as_str()), ("bob", "ABC123"));
            }
            other => panic!("{other:?}"),
        }
        // "user@example.com:pa:ss"
        match parse_authorization(b"Basic dXNlckBleGFtcGxlLmNvbTpwYTpzcw==") {
            Credential::Basic { user, password } => {
                assert_eq!(
                    (user.as_str(), password.as_str()),
                    ("user@example.com", "pa:ss")
                );
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            &b"Bearer x"[..],
            b"cpanel bob",
            b"cpanel :x",
            b"Basic !!",
            b"Basic",
            b"\xff",
        ] {
            assert!(matches!(parse_authorization(bad), Credential::Malformed));
        }
        let shown = format!("{:?}", parse_authorization(b"cpanel bob:SECRETTOKEN"));
        assert!(!shown.contains("SECRETTOKEN"), "{shown}");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let headers = [&b"a=1; cpsession=xyz; b=2"[..]];
        assert_eq!(
            session_cookie(headers.into_iter())
                .as_deref()
                .map(String::as_str),
            Some("xyz")
        );
        assert!(session_cookie([&b"cpsessionx=1"[..]].into_iter()).is_none());
    }
}
