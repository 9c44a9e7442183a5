//! Server-wide settings from `/var/cpanel/cpanel.config` (`key=value` lines).

/// The settings liveapid reads from `cpanel.config`.
#[derive(Debug, Clone, PartialEq)]
pub struct CpanelConfig {
    /// Minimum password strength for mailboxes: `minpwstrength_virtual`,
    /// else `minpwstrength`, else 65 (cPanel's shipped default).
    pub min_mailbox_strength: u32,
    /// Default quota of a new mailbox in MiB
    /// (`email_account_quota_userdefined_default_value`, else 1024).
    pub default_quota_mib: u64,
}

/// cPanel ships `minpwstrength=65`.
pub const DEFAULT_MIN_STRENGTH: u32 = 65;
const DEFAULT_QUOTA_MIB: u64 = 1024;

impl Default for CpanelConfig {
    fn default() -> Self {
        CpanelConfig {
            min_mailbox_strength: DEFAULT_MIN_STRENGTH,
            default_quota_mib: DEFAULT_QUOTA_MIB,
        }
    }
}

impl CpanelConfig {
    /// Parses the file's text; a missing file (`None`) means cPanel's defaults.
    pub fn from_file(text: Option<&str>) -> CpanelConfig {
        text.map_or_else(CpanelConfig::default, CpanelConfig::parse)
    }

    /// Parses the text; unknown keys and unreadable values are ignored.
    pub fn parse(text: &str) -> CpanelConfig {
        let value = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .filter(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim())
                .next_back()
        };
        let number = |key: &str| value(key).and_then(|v| v.parse::<u64>().ok());
        let strength = number("minpwstrength_virtual")
            .or_else(|| number("minpwstrength"))
            .map_or(DEFAULT_MIN_STRENGTH, |n| n.min(100) as u32);
        CpanelConfig {
            min_mailbox_strength: strength,
            default_quota_mib: number("email_account_quota_userdefined_default_value")
                .unwrap_or(DEFAULT_QUOTA_MIB),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_minimum_wins_over_the_general_one() {
        assert_eq!(
            CpanelConfig::parse("minpwstrength=50\nminpwstrength_virtual=70\n")
                .min_mailbox_strength,
            70
        );
        assert_eq!(
            CpanelConfig::parse("minpwstrength=50\n").min_mailbox_strength,
            50
        );
        assert_eq!(CpanelConfig::parse("").min_mailbox_strength, 65);
        assert_eq!(
            CpanelConfig::parse("minpwstrength=junk\n").min_mailbox_strength,
            65
        );
        assert_eq!(
            CpanelConfig::parse("minpwstrength_virtual=\nminpwstrength=0\n").min_mailbox_strength,
            0
        );
    }

    #[test]
    fn default_quota() {
        assert_eq!(CpanelConfig::parse("").default_quota_mib, 1024);
        assert_eq!(
            CpanelConfig::parse("email_account_quota_userdefined_default_value=250")
                .default_quota_mib,
            250
        );
    }
}
