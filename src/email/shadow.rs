//! The `shadow` line of a mailbox (docs/email.md §3.3, §3.5).
//!
//! # Format
//!
//! ```text
//! <localpart>:<crypt hash>:<days since the epoch>::::::
//! ```
//!
//! A login-suspended mailbox has its hash prefixed with `!` or `!!`.

use std::time::{SystemTime, UNIX_EPOCH};

/// The line for `localpart` with `hash`, changed on `days`.
pub fn line(localpart: &str, hash: &str, days: u64) -> Vec<u8> {
    format!("{localpart}:{hash}:{days}::::::\n").into_bytes()
}

/// The suspension prefix of a stored hash: its leading `!` characters.
pub fn suspension_prefix(stored: &[u8]) -> &str {
    let n = stored.iter().take_while(|&&b| b == b'!').count();
    &"!!!!!!!!"[..n.min(8)]
}

/// Days since the Unix epoch, as cPanel's `int(time / 86400)`.
pub fn days_since_epoch(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn line_has_nine_fields() {
        let l = line("user", "$6$abc$def", 20000);
        assert_eq!(l, b"user:$6$abc$def:20000::::::\n");
        assert_eq!(l.iter().filter(|&&b| b == b':').count(), 8);
    }

    #[test]
    fn suspension_prefix_is_kept_as_found() {
        assert_eq!(suspension_prefix(b"$6$x"), "");
        assert_eq!(suspension_prefix(b"!$6$x"), "!");
        assert_eq!(suspension_prefix(b"!!$6$x"), "!!");
    }

    #[test]
    fn days_are_whole_days() {
        assert_eq!(
            days_since_epoch(UNIX_EPOCH + Duration::from_secs(86_400 * 3 - 1)),
            2
        );
    }
}
