//! The text of the cPanel user file `liveapid account add` writes, or
//! extends with more domains (docs/email.md §3.7). Pure: no file here.

/// A new account's file: `USER=`, the first domain as `DNS=` (the main
/// domain), the others as `DNS1=`, `DNS2=`, ...
pub fn new_file(user: &str, domains: &[String]) -> String {
    let mut text = format!("USER={user}\n");
    for (n, domain) in domains.iter().enumerate() {
        match n {
            0 => text.push_str(&format!("DNS={domain}\n")),
            n => text.push_str(&format!("DNS{n}={domain}\n")),
        }
    }
    text
}

/// `text` with `domains` appended as the next numbered `DNSn=` lines; every
/// line already there is kept byte for byte, the main domain included.
pub fn with_domains_added(text: &str, domains: &[String]) -> String {
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for (n, domain) in (last_dns_number(text) + 1..).zip(domains) {
        out.push_str(&format!("DNS{n}={domain}\n"));
    }
    out
}

/// The highest `n` of the `DNSn=` lines (0 with none). Removed domains
/// (`XDNSn=`) do not count: their numbers may be given again, as cPanel does.
fn last_dns_number(text: &str) -> u32 {
    text.lines()
        .filter_map(|line| line.split_once('=')?.0.strip_prefix("DNS")?.parse().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::CpUserFile;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_new_file_names_the_user_and_its_main_domain_first() {
        let text = new_file(
            "bob",
            &names(&["example.com", "example.org", "example.net"]),
        );
        assert_eq!(
            text,
            "USER=bob\nDNS=example.com\nDNS1=example.org\nDNS2=example.net\n"
        );
        let parsed = CpUserFile::parse(&text).unwrap();
        assert_eq!(parsed.main_domain, "example.com");
        assert_eq!(parsed.other_domains, names(&["example.org", "example.net"]));
    }

    #[test]
    fn added_domains_follow_the_highest_number_and_keep_every_line() {
        let old = "USER=bob\nDNS=example.com\nDNS3=c.example\nXDNS7=gone.example\nMAXPOP=5";
        let text = with_domains_added(old, &names(&["d.example", "e.example"]));
        assert_eq!(
            text,
            format!("{old}\nDNS4=d.example\nDNS5=e.example\n"),
            "appended after the last DNSn, a missing final newline added"
        );
        let parsed = CpUserFile::parse(&text).unwrap();
        assert_eq!(parsed.main_domain, "example.com");
        assert_eq!(
            parsed.other_domains,
            names(&["c.example", "d.example", "e.example"])
        );
        assert_eq!(
            with_domains_added("DNS=a.example\n", &names(&["b.example"])),
            "DNS=a.example\nDNS1=b.example\n"
        );
    }
}
