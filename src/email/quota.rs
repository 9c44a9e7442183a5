//! Mailbox quotas: the `quota` argument (MiB or `unlimited`) and the quota
//! file's `<localpart>:<bytes>` lines (docs/email.md §3.6).

use std::fmt;

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;

/// A mailbox's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Unlimited,
    Bytes(u64),
}

impl Quota {
    /// Parses a `quota` argument: a whole number of MiB (`0` = unlimited) or
    /// `unlimited`. Above `max_mib` it is clamped to `max_mib`, as cPanel
    /// does; unlimited is refused when there is a maximum.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuota`] for anything else.
    pub fn from_argument(value: &str, max_mib: Option<u64>) -> Result<Quota> {
        let trimmed = value.trim();
        let mib = if trimmed.eq_ignore_ascii_case("unlimited") {
            0
        } else {
            trimmed
                .parse::<u64>()
                .ok()
                .filter(|n| n.checked_mul(MIB).is_some())
                .ok_or_else(|| Error::InvalidQuota(value.to_owned()))?
        };
        match (mib, max_mib) {
            (0, None) => Ok(Quota::Unlimited),
            (0, Some(max)) => Err(Error::QuotaAboveMaximum(max)),
            (n, Some(max)) if n > max => Ok(Quota::Bytes(max * MIB)),
            (n, _) => Ok(Quota::Bytes(n * MIB)),
        }
    }

    /// From the second field of a quota line: missing, empty or 0 is unlimited.
    pub fn from_file_field(field: Option<&[u8]>) -> Quota {
        match field
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|f| f.trim().parse::<u64>().ok())
        {
            None | Some(0) => Quota::Unlimited,
            Some(n) => Quota::Bytes(n),
        }
    }

    /// The quota line for `localpart`, or `None` for unlimited (no line).
    pub fn line(self, localpart: &str) -> Option<Vec<u8>> {
        match self {
            Quota::Unlimited => None,
            Quota::Bytes(n) => Some(format!("{localpart}:{n}\n").into_bytes()),
        }
    }

    /// Bytes, 0 for unlimited (cPanel's `_diskquota`).
    pub fn bytes(self) -> u64 {
        match self {
            Quota::Unlimited => 0,
            Quota::Bytes(n) => n,
        }
    }

    /// Whole MiB, rounded down; `None` for unlimited.
    pub fn mib(self) -> Option<u64> {
        match self {
            Quota::Unlimited => None,
            Quota::Bytes(n) => Some(n / MIB),
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mib() {
            None => f.write_str("unlimited"),
            Some(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(
            Quota::from_argument("250", None).unwrap(),
            Quota::Bytes(250 * MIB)
        );
        assert_eq!(
            Quota::from_argument(" unlimited ", None).unwrap(),
            Quota::Unlimited
        );
        assert_eq!(Quota::from_argument("0", None).unwrap(), Quota::Unlimited);
        assert_eq!(
            Quota::from_argument("5000", Some(1024)).unwrap(),
            Quota::Bytes(1024 * MIB)
        );
        assert!(matches!(
            Quota::from_argument("unlimited", Some(1024)),
            Err(Error::QuotaAboveMaximum(1024))
        ));
        for bad in ["", "-1", "1.5", "abc", "99999999999999999999"] {
            assert!(
                matches!(Quota::from_argument(bad, None), Err(Error::InvalidQuota(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn file_fields_and_lines() {
        assert_eq!(
            Quota::from_file_field(Some(b"262144000")),
            Quota::Bytes(262_144_000)
        );
        assert_eq!(Quota::from_file_field(Some(b"0")), Quota::Unlimited);
        assert_eq!(Quota::from_file_field(None), Quota::Unlimited);
        assert_eq!(Quota::Bytes(5).line("u").unwrap(), b"u:5\n");
        assert_eq!(Quota::Unlimited.line("u"), None);
        assert_eq!(Quota::Bytes(250 * MIB).to_string(), "250");
    }
}
