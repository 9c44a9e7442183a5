//! Mailbox addresses: from the caller's `email` and `domain` arguments to a
//! validated localpart and an owned domain (docs/email.md §3.1, §9.4, §9.5).
//!
//! Nothing here touches the disk, and no path is ever built from a value
//! that has not passed these checks.

use std::fmt;

use crate::error::{Error, Result};

/// The longest localpart cPanel's interface accepts.
pub const MAX_LOCALPART: usize = 64;
/// The longest full address cPanel's interface accepts.
pub const MAX_ADDRESS: usize = 254;

/// A validated mailbox address on one of the account's domains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailAddress {
    /// Lowercased, trimmed, and matching cPanel's localpart pattern.
    pub localpart: String,
    /// Lowercased, a valid DNS name, owned by the account.
    pub domain: String,
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.localpart, self.domain)
    }
}

impl MailAddress {
    /// Resolves `email` (a localpart or a full address) and the optional
    /// `domain` argument against an account's domains: `main_domain`, the
    /// default, and `other_domains`.
    ///
    /// # Errors
    ///
    /// An invalid localpart or domain, an address whose domain differs from
    /// `domain`, an over-long name, or a domain the account does not own
    /// (which reads exactly like a missing mailbox, so callers cannot probe
    /// other accounts' domains).
    pub fn resolve(
        email: &str,
        domain: Option<&str>,
        main_domain: &str,
        other_domains: &[String],
    ) -> Result<MailAddress> {
        let address = MailAddress::parse(email, domain, main_domain)?;
        if address.domain != main_domain && !other_domains.contains(&address.domain) {
            return Err(Error::NoSuchMailbox(address.to_string()));
        }
        Ok(address)
    }

    /// The syntactic part of [`MailAddress::resolve`]: everything but ownership.
    pub fn parse(email: &str, domain: Option<&str>, main_domain: &str) -> Result<MailAddress> {
        let domain_arg = domain.filter(|d| !d.is_empty());
        let (raw_local, domain) = match email.split_once('@') {
            Some((local, from_address)) => {
                if let Some(given) = domain_arg {
                    if !given.eq_ignore_ascii_case(from_address) {
                        return Err(Error::AddressDomainMismatch {
                            address: email.to_owned(),
                            domain: given.to_owned(),
                        });
                    }
                }
                (local, from_address)
            }
            None => (email, domain_arg.unwrap_or(main_domain)),
        };
        let localpart = raw_local.trim().to_ascii_lowercase();
        if localpart.chars().count() > MAX_LOCALPART {
            return Err(Error::LocalpartTooLong);
        }
        if !is_valid_localpart(&localpart) {
            return Err(Error::InvalidLocalpart(raw_local.to_owned()));
        }
        let domain = domain.to_ascii_lowercase();
        if !is_valid_domain(&domain) {
            return Err(Error::InvalidDomain(domain));
        }
        if localpart.len() + 1 + domain.len() > MAX_ADDRESS {
            return Err(Error::AddressTooLong);
        }
        Ok(MailAddress { localpart, domain })
    }
}

/// cPanel's pattern: `\A[a-zA-Z0-9!#$\-=?^_{}~]+(?:\.[a-zA-Z0-9!#$\-=?^_{}~]+)*\z`.
/// It admits no `/`, `:`, NUL, whitespace, or a leading, trailing or double `.`.
pub fn is_valid_localpart(localpart: &str) -> bool {
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$-=?^_{}~".contains(c);
    !localpart.is_empty()
        && localpart
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
}

/// A DNS name of letters, digits, `-` and `_` in dot-separated labels of 1–63
/// characters, at most 253 in all, no label starting or ending with `-`.
/// This rules out `/`, `..`, NUL, `:`, whitespace and a leading `.`.
pub fn is_valid_domain(domain: &str) -> bool {
    domain.len() <= 253
        && !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(email: &str, domain: Option<&str>) -> Result<MailAddress> {
        MailAddress::parse(email, domain, "example.com")
    }

    #[test]
    fn localpart_alone_uses_the_domain_argument_or_the_main_domain() {
        assert_eq!(parse("user", None).unwrap().to_string(), "user@example.com");
        assert_eq!(
            parse("user", Some("example.net")).unwrap().to_string(),
            "user@example.net"
        );
        assert_eq!(
            parse("user", Some("")).unwrap().to_string(),
            "user@example.com"
        );
    }

    #[test]
    fn full_address_brings_its_domain() {
        assert_eq!(
            parse("User@Example.NET", None).unwrap().to_string(),
            "user@example.net"
        );
        assert_eq!(
            parse("user@example.net", Some("EXAMPLE.net"))
                .unwrap()
                .to_string(),
            "user@example.net"
        );
    }

    #[test]
    fn conflicting_address_and_domain_is_refused_naming_both() {
        let err = parse("user@example.net", Some("example.com")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("user@example.net") && text.contains("example.com"),
            "{text}"
        );
    }

    #[test]
    fn localparts_are_trimmed_and_lowercased() {
        assert_eq!(parse("  Alice \t", None).unwrap().localpart, "alice");
    }

    #[test]
    fn hostile_localparts_are_refused() {
        for bad in [
            "../x", "a/b", "a:b", "a\0b", "a\nb", ".a", "a.", "a..b", "", "@", "a b", "ü",
        ] {
            assert!(
                matches!(parse(bad, None), Err(Error::InvalidLocalpart(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse(&"a".repeat(300), None),
            Err(Error::LocalpartTooLong)
        ));
    }

    #[test]
    fn hostile_domains_are_refused() {
        for bad in [
            "../../etc",
            "/etc",
            "exa mple.com",
            "example.com ",
            ".example.com",
            "a..b",
            "a:b",
            "a\0b",
            "-a.com",
            "ex/ample",
        ] {
            assert!(
                matches!(parse("user", Some(bad)), Err(Error::InvalidDomain(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse("user@../../etc", None),
            Err(Error::InvalidDomain(_))
        ));
    }

    #[test]
    fn over_long_address_is_refused() {
        let domain = format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(60)
        );
        assert!(matches!(
            parse(&"u".repeat(10), Some(&domain)),
            Err(Error::AddressTooLong)
        ));
    }

    proptest! {
        #[test]
        fn a_valid_address_never_yields_a_path_escape(email in "\\PC{0,80}", domain in "\\PC{0,40}") {
            if let Ok(a) = MailAddress::parse(&email, Some(&domain), "example.com") {
                prop_assert!(!a.localpart.contains('/') && !a.domain.contains('/'));
                prop_assert!(!a.localpart.contains(':') && !a.localpart.starts_with('.'));
                prop_assert!(a.domain != ".." && !a.domain.contains(".."));
            }
        }
    }
}
