//! SHA-crypt password hashes exactly as glibc/libxcrypt `crypt()` writes
//! them (docs/email.md §9.1, docs/email.md §9.1).
//!
//! The `sha-crypt` crate supplies the digest; the `$6$<salt>$<hash>` string is
//! built here, because the crate's own string form either adds `rounds=5000`
//! or writes a 22-character salt of which only 16 are hashed, which libxcrypt
//! and Dovecot then reject.

use sha_crypt::{sha256_crypt, sha512_crypt, Params};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The crypt alphabet, in the order of its 6-bit values.
const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// SHA-crypt hashes at most 16 salt characters.
pub const SALT_LEN: usize = 16;
const DEFAULT_ROUNDS: u32 = 5000;

/// Hashes `password` as `$6$` + 16 salt characters from the OS CSPRNG + `$` +
/// 86 characters: what `crypt(password, "$6$<salt>$")` returns.
///
/// # Errors
///
/// Only when the OS random source fails.
pub fn hash_password(password: &[u8]) -> Result<String> {
    let salt = random_salt()?;
    Ok(sha512_crypt_string(password, &salt, None))
}

/// Checks `password` against a stored `$6$`, `$5$` or (older cPanel
/// servers) `$1$` hash the way libxcrypt does: the hash is recomputed from
/// the stored salt (cut to 16, or 8 for `$1$`, characters) and the whole
/// string must match. Other schemes answer `None`.
pub fn verify_password(password: &[u8], stored: &str) -> Option<bool> {
    if let Some(rest) = stored.strip_prefix("$1$") {
        let salt = rest.split('$').next().unwrap_or("");
        return Some(constant_time_eq(
            md5_crypt_string(password, salt).as_bytes(),
            stored.as_bytes(),
        ));
    }
    let parsed = ParsedHash::parse(stored)?;
    let expected = match parsed.scheme {
        Scheme::Sha512 => sha512_crypt_string(password, parsed.salt, parsed.rounds),
        Scheme::Sha256 => sha256_crypt_string(password, parsed.salt, parsed.rounds),
    };
    Some(constant_time_eq(expected.as_bytes(), stored.as_bytes()))
}

/// Whether `stored` is a well-formed `$6$`/`$5$` crypt string that
/// [`verify_password`] can check (for `add_pop password_hash=`).
pub fn is_supported_hash(stored: &str) -> bool {
    ParsedHash::parse(stored).is_some_and(|p| {
        let expected_len = match p.scheme {
            Scheme::Sha512 => 86,
            Scheme::Sha256 => 43,
        };
        p.salt.len() <= SALT_LEN
            && p.hash.len() == expected_len
            && p.hash.bytes().all(|b| CRYPT_ALPHABET.contains(&b))
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scheme {
    Sha256,
    Sha512,
}

struct ParsedHash<'a> {
    scheme: Scheme,
    rounds: Option<u32>,
    salt: &'a str,
    hash: &'a str,
}

impl<'a> ParsedHash<'a> {
    fn parse(stored: &'a str) -> Option<ParsedHash<'a>> {
        let (scheme, rest) = if let Some(rest) = stored.strip_prefix("$6$") {
            (Scheme::Sha512, rest)
        } else if let Some(rest) = stored.strip_prefix("$5$") {
            (Scheme::Sha256, rest)
        } else {
            return None;
        };
        let (rounds, rest) = match rest.strip_prefix("rounds=") {
            Some(r) => {
                let (n, rest) = r.split_once('$')?;
                (Some(n.parse::<u32>().ok()?), rest)
            }
            None => (None, rest),
        };
        let (salt, hash) = rest.split_once('$')?;
        Some(ParsedHash {
            scheme,
            rounds,
            salt,
            hash,
        })
    }
}

fn random_salt() -> Result<String> {
    let mut bytes = [0u8; SALT_LEN];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::Io(std::io::Error::other(format!(
            "the system random source failed: {e}"
        )))
    })?;
    // 64 symbols: the low six bits of a uniform byte are uniform.
    Ok(bytes
        .iter()
        .map(|b| char::from(CRYPT_ALPHABET[usize::from(b & 63)]))
        .collect())
}

/// libxcrypt's rounds handling: clamped to 1000..=999_999_999, and written
/// back only when given.
fn params(rounds: Option<u32>) -> (Params, String) {
    match rounds {
        None => (
            Params::new(DEFAULT_ROUNDS).expect("5000 rounds are valid"),
            String::new(),
        ),
        Some(n) => {
            let n = n.clamp(Params::ROUNDS_MIN, Params::ROUNDS_MAX);
            (
                Params::new(n).expect("clamped rounds are valid"),
                format!("rounds={n}$"),
            )
        }
    }
}

/// The first `max` characters of `salt`: all that crypt hashes.
fn cut_salt(salt: &str, max: usize) -> &str {
    match salt.char_indices().nth(max) {
        Some((i, _)) => &salt[..i],
        None => salt,
    }
}

fn sha512_crypt_string(password: &[u8], salt: &str, rounds: Option<u32>) -> String {
    let salt = cut_salt(salt, SALT_LEN);
    let (params, rounds_field) = params(rounds);
    let digest = Zeroizing::new(sha512_crypt(password, salt.as_bytes(), params));
    let mut out = format!("$6${rounds_field}{salt}$");
    for i in 0..21 {
        let (x, y, z) = (digest[i], digest[i + 21], digest[i + 42]);
        let (a, b, c) = match i % 3 {
            0 => (x, y, z),
            1 => (y, z, x),
            _ => (z, x, y),
        };
        push_base64(&mut out, a, b, c, 4);
    }
    push_base64(&mut out, 0, 0, digest[63], 2);
    out
}

fn sha256_crypt_string(password: &[u8], salt: &str, rounds: Option<u32>) -> String {
    let salt = cut_salt(salt, SALT_LEN);
    let (params, rounds_field) = params(rounds);
    let digest = Zeroizing::new(sha256_crypt(password, salt.as_bytes(), params));
    let mut out = format!("$5${rounds_field}{salt}$");
    for i in 0..10 {
        let (x, y, z) = (digest[i], digest[i + 10], digest[i + 20]);
        let (a, b, c) = match i % 3 {
            0 => (x, y, z),
            1 => (z, x, y),
            _ => (y, z, x),
        };
        push_base64(&mut out, a, b, c, 4);
    }
    push_base64(&mut out, 0, digest[31], digest[30], 3);
    out
}

/// MD5-crypt (`$1$`), the scheme cPanel fell back to where the system named
/// no stronger one: 1000 rounds of MD5 over password, salt and magic.
fn md5_crypt_string(password: &[u8], salt: &str) -> String {
    use md5::{Digest, Md5};
    let salt = cut_salt(salt, 8);
    let alternate = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut context = Md5::new()
        .chain_update(password)
        .chain_update(b"$1$")
        .chain_update(salt);
    let mut remaining = password.len();
    while remaining > 0 {
        let n = remaining.min(16);
        context.update(&alternate[..n]);
        remaining -= n;
    }
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            context.update([0u8]);
        } else {
            context.update(&password[..1]);
        }
        bits >>= 1;
    }
    let mut digest = Zeroizing::new(context.finalize().to_vec());
    for round in 0..1000 {
        let mut step = Md5::new();
        if round & 1 == 1 {
            step.update(password);
        } else {
            step.update(&digest[..]);
        }
        if round % 3 != 0 {
            step.update(salt);
        }
        if round % 7 != 0 {
            step.update(password);
        }
        if round & 1 == 1 {
            step.update(&digest[..]);
        } else {
            step.update(password);
        }
        digest = Zeroizing::new(step.finalize().to_vec());
    }
    let mut out = format!("$1${salt}$");
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push_base64(&mut out, digest[a], digest[b], digest[c], 4);
    }
    push_base64(&mut out, 0, 0, digest[11], 2);
    out
}

/// crypt's `b64_from_24bit`: least significant six bits first.
fn push_base64(out: &mut String, b2: u8, b1: u8, b0: u8, chars: usize) {
    let mut w = (u32::from(b2) << 16) | (u32::from(b1) << 8) | u32::from(b0);
    for _ in 0..chars {
        out.push(char::from(CRYPT_ALPHABET[(w & 63) as usize]));
        w >>= 6;
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // What libxcrypt answers: perl -e 'print crypt("Hello world!", q($6$saltstring))'
    const SHA512_VECTOR: &str = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    const SHA512_ROUNDS_VECTOR: &str = "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.";
    const SHA256_VECTOR: &str = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

    #[test]
    fn reproduces_the_specification_vectors() {
        assert_eq!(
            sha512_crypt_string(b"Hello world!", "saltstring", None),
            SHA512_VECTOR
        );
        assert_eq!(
            sha512_crypt_string(b"Hello world!", "saltstringsaltstring", Some(10000)),
            SHA512_ROUNDS_VECTOR
        );
        assert_eq!(
            sha256_crypt_string(b"Hello world!", "saltstring", None),
            SHA256_VECTOR
        );
    }

    #[test]
    fn new_hashes_have_the_libxcrypt_shape() {
        let h = hash_password(b"n3w/Pass&word").unwrap();
        let parts: Vec<&str> = h.split('$').collect();
        assert_eq!(parts.len(), 4, "{h}");
        assert_eq!(parts[1], "6");
        assert_eq!(parts[2].len(), 16);
        assert_eq!(parts[3].len(), 86);
        assert!(!h.contains(':') && !h.contains("rounds="));
        assert_eq!(verify_password(b"n3w/Pass&word", &h), Some(true));
        assert_eq!(verify_password(b"n3w/Pass&wore", &h), Some(false));
        assert_ne!(
            hash_password(b"x").unwrap(),
            hash_password(b"x").unwrap(),
            "salts must differ"
        );
    }

    #[test]
    fn verify_matches_libxcrypt_on_the_vectors_and_the_salt_trap() {
        assert_eq!(verify_password(b"Hello world!", SHA512_VECTOR), Some(true));
        assert_eq!(
            verify_password(b"Hello world!", SHA512_ROUNDS_VECTOR),
            Some(true)
        );
        assert_eq!(verify_password(b"Hello world!", SHA256_VECTOR), Some(true));
        // A 22-character salt is hashed as 16 but libxcrypt compares the
        // whole string, so such a hash never verifies.
        let long_salt = sha512_crypt_string(b"pw", "abcdefghijklmnopqrstuv", None)
            .replace("$abcdefghijklmnop$", "$abcdefghijklmnopqrstuv$");
        assert_eq!(verify_password(b"pw", &long_salt), Some(false));
        assert_eq!(
            verify_password(b"pw", "$2y$10$abcdefghijklmnopqrstuu"),
            None
        );
        assert_eq!(verify_password(b"pw", "!!$6$x"), None);
    }

    #[test]
    fn md5_crypt_matches_libxcrypt() {
        // perl -e 'print crypt("Hello world!", q($1$saltstri$))' and friends.
        assert_eq!(
            verify_password(b"Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
            Some(true)
        );
        assert_eq!(
            verify_password(b"", "$1$abc$Or2rbeUYTvt12aiVzMuS/."),
            Some(true)
        );
        assert_eq!(
            verify_password(&[b'a'; 40], "$1$12345678$beiWYJUUHF.ZVo9A4ag9w0"),
            Some(true)
        );
        assert_eq!(
            verify_password(b"Hello world?", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
            Some(false)
        );
    }

    #[test]
    fn supported_hash_check() {
        assert!(is_supported_hash(SHA512_VECTOR));
        assert!(is_supported_hash(SHA256_VECTOR));
        assert!(!is_supported_hash("$6$salt$short"));
        assert!(!is_supported_hash("$1$abc$def"));
        assert!(!is_supported_hash("plain"));
    }
}
