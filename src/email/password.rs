//! Which mailbox passwords are accepted: how long, and which characters.
//!
//! SHA-512-crypt's cost grows with the square of the password's length (a
//! 16 KiB password takes over a second, one near the request limit about an
//! hour), so a password over [`MAX_PASSWORD_BYTES`] is refused before any
//! hashing. The limit is libxcrypt's own: its `crypt()` (and so Dovecot,
//! Exim and `perl -e crypt`) refuses a passphrase of
//! `CRYPT_MAX_PASSPHRASE_SIZE` (512) bytes or more, so a longer password
//! could be stored but never used to log in. 511 bytes is far beyond any
//! password a person or a password manager makes (those stop at 128 or so)
//! and costs about a millisecond to hash.
//!
//! libxcrypt's `crypt()` (and so Dovecot, Exim and `perl -e crypt`) reads the
//! password as a C string: a NUL ends it, so a password stored with one
//! could never be typed in full. IMAP and POP3 logins cannot carry CR or LF
//! at all, and other control characters cannot be typed in a mail client's
//! password field. So every control character (Unicode category Cc: U+0000
//! to U+001F, U+007F to U+009F) is refused before any hashing; everything
//! else, spaces and any non-ASCII letter included, is accepted.

use crate::error::{Error, Result};

/// The longest password accepted, in bytes (UTF-8): libxcrypt's
/// `CRYPT_MAX_PASSPHRASE_SIZE` less its terminating NUL.
pub const MAX_PASSWORD_BYTES: usize = 511;

/// Every rule a password must pass before it is hashed or checked: the
/// length, then the characters. Every function that takes a password calls this.
///
/// # Errors
///
/// [`Error::PasswordTooLong`], [`Error::PasswordControlCharacter`].
pub fn check(password: &str) -> Result<()> {
    check_length(password)?;
    check_characters(password)
}

/// Fails when `password` is longer than [`MAX_PASSWORD_BYTES`].
///
/// # Errors
///
/// [`Error::PasswordTooLong`].
pub fn check_length(password: &str) -> Result<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::PasswordTooLong {
            max: MAX_PASSWORD_BYTES,
        });
    }
    Ok(())
}

/// Fails when `password` holds a character no mail client could send.
///
/// # Errors
///
/// [`Error::PasswordControlCharacter`].
pub fn check_characters(password: &str) -> Result<()> {
    if password.chars().any(char::is_control) {
        return Err(Error::PasswordControlCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_limit_is_in_bytes_and_checked_first() {
        assert!(check(&"a".repeat(MAX_PASSWORD_BYTES)).is_ok());
        assert!(matches!(
            check(&"a".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(Error::PasswordTooLong { max: 511 })
        ));
        // 171 three-byte characters are 513 bytes.
        assert!(check(&"日".repeat(171)).is_err());
        assert!(check(&"日".repeat(170)).is_ok());
        // Too long and a control character: the length is the error.
        let both = format!("{}\0", "a".repeat(MAX_PASSWORD_BYTES));
        assert!(matches!(check(&both), Err(Error::PasswordTooLong { .. })));
        assert!(matches!(check("a\0"), Err(Error::PasswordControlCharacter)));
    }

    #[test]
    fn control_characters_are_refused_and_everything_else_accepted() {
        for bad in [
            "a\0b",
            "\0",
            "line\nbreak",
            "cr\r",
            "tab\there",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(check_characters(bad).is_err(), "{bad:?}");
        }
        for good in [
            "12345luggage",
            "with space",
            "ümlaut-pässwörd",
            "日本語パス",
            "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        ] {
            assert!(check_characters(good).is_ok(), "{good:?}");
        }
    }
}
