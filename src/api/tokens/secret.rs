//! Making, naming, hashing and checking API tokens. A token is 32
//! characters of `[A-Z0-9]` (165 random bits, as cPanel's); only its
//! SHA-256 is stored. A slow hash would add nothing: the token is random,
//! not chosen by a person, so there is no dictionary to try.

use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::api::args::Args;
use crate::api::result::UapiResult;
use crate::error::{Error, Result};
use crate::home::{token_file, ConfinedDir};
use crate::off_reactor;
use crate::state::AccountState;

/// The internal function the front end calls to check a token (a name no
/// client can call: names starting with `_` are illegal to them).
pub const CHECK_FUNCTION: &str = "_check_token";

/// The length of a token.
pub const TOKEN_LENGTH: usize = 32;
const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A new random token.
///
/// # Errors
///
/// When the system's random source fails.
pub fn new_token() -> Result<Zeroizing<String>> {
    let mut token = Zeroizing::new(String::with_capacity(TOKEN_LENGTH));
    let mut bytes = Zeroizing::new([0u8; 64]);
    while token.len() < TOKEN_LENGTH {
        getrandom::fill(&mut bytes[..]).map_err(|e| std::io::Error::other(e.to_string()))?;
        // 252 = 7 × 36: rejecting the rest keeps every character equally likely.
        for &b in bytes.iter().filter(|&&b| b < 252) {
            if token.len() < TOKEN_LENGTH {
                token.push(ALPHABET[usize::from(b % 36)] as char);
            }
        }
    }
    Ok(token)
}

/// Hex SHA-256 of `token`.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// cPanel's token names: 1 to 50 of `[A-Za-z0-9_-]`.
pub fn check_name(name: &str) -> Result<()> {
    let fine = !name.is_empty()
        && name.len() <= 50
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(())
    } else {
        Err(Error::InvalidTokenName(name.to_owned()))
    }
}

/// Whether `presented` is one of `stored`, compared in constant time
/// (every stored digest is compared, whatever matched).
pub fn matches(stored: &[token_file::StoredToken], presented: &str) -> bool {
    let wanted = digest(presented);
    stored.iter().fold(false, |found, t| {
        found | bool::from(t.sha256.as_bytes().ct_eq(wanted.as_bytes()))
    })
}

/// The home's handle, for a blocking job.
pub(super) async fn home(state: &AccountState) -> Result<ConfinedDir> {
    // The account is looked up first: an unreadable cPanel user file fails here.
    state.account().await?;
    Ok(state.home_dir())
}

/// The front end's check: data 1 when `token` is a live token of this
/// account, else 0.
///
/// # Errors
///
/// A missing `token`, or an unreadable token file.
pub async fn check_presented(state: &AccountState, args: &Args) -> Result<UapiResult> {
    args.require(&["token"])?;
    let presented = Zeroizing::new(args.get("token")?.unwrap_or_default().to_owned());
    let home = home(state).await?;
    let stored = off_reactor::run(move || token_file::read(&home)).await?;
    let ok = presented.len() == TOKEN_LENGTH && matches(&stored, &presented);
    Ok(UapiResult::success(json!(u8::from(ok))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_of_the_alphabet_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), TOKEN_LENGTH);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{}", a.as_str());
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_stored_digest_matches() {
        let token = new_token().unwrap();
        let stored = vec![token_file::StoredToken {
            name: "x".into(),
            created: 0,
            sha256: digest(&token),
        }];
        assert!(matches(&stored, &token));
        assert!(!matches(&stored, &new_token().unwrap()));
        assert!(!matches(&[], &token));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn names_follow_cpanels_rule() {
        for good in ["a", "billing-2", "My_Token", &"x".repeat(50)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a:b", "é", &"x".repeat(51)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
