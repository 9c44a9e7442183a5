//! The cPanel user file, `/var/cpanel/users/<user>` (docs/email.md §3.7).
//!
//! # Format
//!
//! ```text
//! DNS=example.com        the main domain
//! DNS1=example.net       further domains, DNS2=, DNS3=, ...
//! XDNS1=old.example      removed domains (ignored)
//! FEATURELIST=default
//! ```

/// What liveapid needs from the cPanel user file.
#[derive(Debug, Clone, PartialEq)]
pub struct CpUserFile {
    /// The main domain (`DNS=`), lowercased.
    pub main_domain: String,
    /// The other domains (`DNS1=`, `DNS2=`, ...), lowercased, in number order.
    pub other_domains: Vec<String>,
    /// The feature list name (`FEATURELIST=`), `default` when absent.
    pub feature_list: String,
    /// `MAXPOP=`: how many mailboxes the account may have; `None` = unlimited.
    pub max_mailboxes: Option<u64>,
    /// `MAX_EMAILACCT_QUOTA=` in MiB: the largest quota a mailbox may get;
    /// `None` = unlimited.
    pub max_quota_mib: Option<u64>,
}

impl CpUserFile {
    /// Parses the text; `None` without a main domain.
    pub fn parse(text: &str) -> Option<CpUserFile> {
        let mut main_domain = None;
        let mut numbered: Vec<(u32, String)> = Vec::new();
        let mut feature_list = "default".to_owned();
        let (mut max_mailboxes, mut max_quota_mib) = (None, None);
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            if key == "DNS" {
                if !value.is_empty() {
                    main_domain = Some(value.to_ascii_lowercase());
                }
            } else if let Some(n) = key.strip_prefix("DNS").and_then(|n| n.parse::<u32>().ok()) {
                if !value.is_empty() {
                    numbered.push((n, value.to_ascii_lowercase()));
                }
            } else if key == "FEATURELIST" && !value.is_empty() {
                feature_list = value.to_owned();
            } else if key == "MAXPOP" {
                max_mailboxes = value.parse().ok();
            } else if key == "MAX_EMAILACCT_QUOTA" {
                // 0 or "unlimited" means no limit.
                max_quota_mib = value.parse().ok().filter(|&n| n > 0);
            }
        }
        numbered.sort_by_key(|(n, _)| *n);
        let main_domain = main_domain?;
        let mut other_domains: Vec<String> = Vec::new();
        for (_, d) in numbered {
            if d != main_domain && !other_domains.contains(&d) {
                other_domains.push(d);
            }
        }
        Some(CpUserFile {
            main_domain,
            other_domains,
            feature_list,
            max_mailboxes,
            max_quota_mib,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_main_and_numbered_domains_in_order() {
        let f = CpUserFile::parse("USER=demo\nDNS2=C.example\nDNS=Example.COM\nDNS1=b.example\nXDNS1=gone.example\nDNS10=d.example\n").unwrap();
        assert_eq!(f.main_domain, "example.com");
        assert_eq!(f.other_domains, vec!["b.example", "c.example", "d.example"]);
        assert_eq!(f.feature_list, "default");
        assert_eq!((f.max_mailboxes, f.max_quota_mib), (None, None));
    }

    #[test]
    fn limits() {
        let f = CpUserFile::parse("DNS=a.example\nMAXPOP=5\nMAX_EMAILACCT_QUOTA=2048\n").unwrap();
        assert_eq!((f.max_mailboxes, f.max_quota_mib), (Some(5), Some(2048)));
        let f =
            CpUserFile::parse("DNS=a.example\nMAXPOP=unlimited\nMAX_EMAILACCT_QUOTA=unlimited\n")
                .unwrap();
        assert_eq!((f.max_mailboxes, f.max_quota_mib), (None, None));
    }

    #[test]
    fn no_main_domain_is_none() {
        assert!(CpUserFile::parse("DNS1=b.example\n").is_none());
        assert!(CpUserFile::parse("DNS=\n").is_none());
    }
}
