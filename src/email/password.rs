//! Which characters a mailbox password may contain.
//!
//! libxcrypt's `crypt()` (and so Dovecot, Exim and `perl -e crypt`) reads the
//! password as a C string: a NUL ends it, so a password stored with one
//! could never be typed in full. IMAP and POP3 logins cannot carry CR or LF
//! at all, and other control characters cannot be typed in a mail client's
//! password field. So every control character (Unicode category Cc: U+0000
//! to U+001F, U+007F to U+009F) is refused before any hashing; everything
//! else, spaces and any non-ASCII letter included, is accepted.

use crate::error::{Error, Result};

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
