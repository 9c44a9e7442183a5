//! cPanel's password strength rating (docs/email.md §4,
//! `Cpanel::PasswdStrength::Check` v1.10), so a password liveapid accepts is
//! one cPanel would accept and the reverse.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The shipped list of passwords that always rate 1.
const BAD_PASSWORDS: &str = include_str!("../../data/bad_passwords_list");

// The character-class bits of cPanel's algorithm; the pool is the sum of the
// sizes of the classes a password touches.
const DIGITS: u8 = 1 << 0; // 10
const LOWER_HEX: u8 = 1 << 1; // a-f: 6
const LOWER_REST: u8 = 1 << 2; // g-z: 20
const UPPER_HEX: u8 = 1 << 3; // A-F: 6
const UPPER_REST: u8 = 1 << 4; // G-Z: 20
const PUNCT: u8 = 1 << 5; // !$%&()*+,-./:<=>?`{|}~ : 22
const QUOTES: u8 = 1 << 6; // "#'; : 4
const SPACE: u8 = 1 << 7; // 1
const CLASS_SIZES: [(u8, u32); 8] = [
    (DIGITS, 10),
    (LOWER_HEX, 6),
    (LOWER_REST, 20),
    (UPPER_HEX, 6),
    (UPPER_REST, 20),
    (PUNCT, 22),
    (QUOTES, 4),
    (SPACE, 1),
];

/// The strength of `password`, 0 to 100, as cPanel rates it (without
/// cracklib, which is optional in liveapid).
pub fn strength(password: &[u8]) -> u32 {
    match password.len() {
        0 => 0,
        1..=3 => 1,
        _ if is_listed(password) => 1,
        _ => entropy_rating(password),
    }
}

/// The entropy part alone: what cPanel computes once the length, cracklib
/// and bad-list checks have passed.
pub fn entropy_rating(password: &[u8]) -> u32 {
    let mut classes = 0u8;
    let mut different = 0u32;
    let mut repeated = 0u32;
    let mut previous: Option<u8> = None;
    for &byte in password {
        match previous {
            Some(p) if p.abs_diff(byte) <= 1 => repeated += 1,
            _ => different += 1,
        }
        previous = Some(byte);
        classes |= class_of(byte);
    }
    let pool: u32 = CLASS_SIZES
        .iter()
        .filter(|(bit, _)| classes & bit != 0)
        .map(|(_, n)| n)
        .sum();
    let entropy = f64::from(different) * f64::from(pool).log2() + f64::from(repeated) * 3f64.log2();
    if entropy > 70.0 {
        100
    } else {
        (100.0 * entropy / 70.0) as u32
    }
}

fn class_of(byte: u8) -> u8 {
    match byte {
        b'0'..=b'9' => DIGITS,
        b'a'..=b'f' => LOWER_HEX,
        b'g'..=b'z' => LOWER_HEX | LOWER_REST,
        b'A'..=b'F' => UPPER_HEX,
        b'G'..=b'Z' => UPPER_HEX | UPPER_REST,
        b'!' | b'$' | b'%' | b'&' | b'(' | b')' | b'*' | b'+' | b',' | b'-' | b'.' | b'/'
        | b':' | b'<' | b'=' | b'>' | b'?' | b'`' | b'{' | b'|' | b'}' | b'~' => PUNCT,
        b'"' | b'#' | b'\'' | b';' => QUOTES,
        b' ' => SPACE,
        // `@ [ \ ] ^ _` and every non-ASCII byte count as every class.
        _ => u8::MAX,
    }
}

fn is_listed(password: &[u8]) -> bool {
    static LIST: OnceLock<HashSet<&'static [u8]>> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        BAD_PASSWORDS
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace)
            .map(str::as_bytes)
            .collect()
    });
    list.contains(password.to_ascii_lowercase().as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of docs/email.md §4, computed by cPanel's own code with
    /// cracklib and the bad list stubbed out.
    #[test]
    fn cpanel_test_vectors() {
        for (pw, expected) in [
            ("abcd", 10),
            ("aaaaaaaa", 19),
            ("abcdefgh", 22),
            ("1234567890", 27),
            ("password", 49),
            ("12345luggage", 63),
            ("Password1", 70),
            ("correcthorse", 71),
            ("Password1!", 84),
            ("hello_world", 94),
            ("Tr0ub4dor&3", 100),
        ] {
            assert_eq!(entropy_rating(pw.as_bytes()), expected, "{pw}");
        }
    }

    #[test]
    fn short_empty_and_listed_passwords() {
        assert_eq!(strength(b""), 0);
        assert_eq!(strength(b"abc"), 1);
        assert_eq!(strength(b"password"), 1);
        assert_eq!(strength(b"PassWord"), 1);
        assert_eq!(strength(b"12345luggage"), 63);
        assert_eq!(strength(b"Tr0ub4dor&3"), 100);
    }

    #[test]
    fn non_ascii_bytes_widen_the_pool_to_everything() {
        assert_eq!(entropy_rating("aé".as_bytes()), entropy_rating(b"a_\x01"));
    }
}
