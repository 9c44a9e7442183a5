//! The configuration file, `/etc/liveapid/liveapid.toml`: its shape, and
//! reading it so that every mistake names its key and line.
//!
//! # Format
//!
//! ```text
//! root = "/"
//! socket_dir = "/run/liveapid"
//! all = true                      # or one [[account]] table per account
//! audit_log = "/var/log/liveapid/audit.log"
//! audit_max_lines_per_minute = 6000
//!
//! [limits]
//! max_request_bytes = 1048576
//! max_connections = 256
//! idle_timeout = 300              # seconds
//! verify_rate = 60                # per minute
//!
//! [after_change]
//! command = "doveadm auth cache flush %u"
//! timeout = 10
//!
//! [https]
//! listen = ["0.0.0.0:2083", "0.0.0.0:2096"]
//! tls_cert = "/etc/liveapid/tls/fullchain.pem"
//! tls_key = "/etc/liveapid/tls/privkey.pem"
//! auth_failures = 10
//! session_idle = 900
//! worker_calls = 32               # per account, in progress at once
//! worker_call_timeout = 120       # seconds, each call to a worker
//!
//! [[account]]
//! user = "bob"
//! home = "/home/bob"              # optional
//! socket = "/run/liveapid/bob.sock"  # optional
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// The whole file. Every table refuses keys it does not know, so a typo is
/// an error instead of a setting silently left at its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Prefix of the system files (`etc/passwd`, `var/cpanel/...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<PathBuf>,
    /// Directory of the sockets, `USER.sock` each.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_dir: Option<PathBuf>,
    /// Serve every account in `ROOT/var/cpanel/users/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    /// One JSON line per state-changing or refused call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<PathBuf>,
    /// Most audit lines a minute (then one summary line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_max_lines_per_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "LimitsTable::is_empty")]
    pub limits: LimitsTable,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_change: Option<AfterChangeTable>,
    #[serde(default, skip_serializing_if = "HttpsTable::is_empty")]
    pub https: HttpsTable,
    /// `[[account]]` tables: the accounts to serve, when `all` is not set.
    #[serde(default, rename = "account", skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountTable>,
}

/// `[limits]`: the same limits as the `serve` flags of the same names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsTable {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_request_bytes: Option<Positive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<Positive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Seconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<Seconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive_secs: Option<Seconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_rate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_rate_per_caller: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_rate: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_rate_per_caller: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_threads: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_queue: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<Positive>,
}

impl LimitsTable {
    fn is_empty(&self) -> bool {
        *self == LimitsTable::default()
    }
}

/// `[after_change]`: the operator's command after each password change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterChangeTable {
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Seconds>,
}

/// `[https]`: the HTTPS front end, as the `serve` flags `--https`,
/// `--tls-cert`, `--tls-key`, `--auth-failures`, `--session-idle`,
/// `--worker-calls`, `--worker-call-timeout`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsTable {
    /// `ADDR:PORT` each; none: no HTTPS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listen: Vec<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_failures: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_idle: Option<Seconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_calls: Option<Positive>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_call_timeout: Option<Seconds>,
}

impl HttpsTable {
    fn is_empty(&self) -> bool {
        *self == HttpsTable::default()
    }
}

/// One `[[account]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountTable {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket: Option<PathBuf>,
}

/// A count that must be at least 1 (a limit of 0 bytes or 0 connections
/// would refuse everything: surely a mistake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Positive(pub u64);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        match u64::deserialize(deserializer)? {
            0 => Err(serde::de::Error::custom("must be 1 or more")),
            n => Ok(Positive(n)),
        }
    }
}

/// A positive number of seconds, integer or not (`300`, `0.5`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Number {
            Integer(i64),
            Float(f64),
        }
        let value = match Number::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("must be a number of seconds"))?
        {
            Number::Integer(n) => n as f64,
            Number::Float(f) => f,
        };
        if value.is_finite() && value > 0.0 && value <= 1e9 {
            Ok(Seconds(value))
        } else {
            Err(serde::de::Error::custom(
                "must be a positive number of seconds",
            ))
        }
    }
}

impl ConfigFile {
    /// Parses `text`, the contents of `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] as `PATH line L: KEY: what is wrong`, e.g.
    /// `liveapid.toml line 4: limits.max_request_bytes: must be 1 or more`.
    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile> {
        let fail = |key: String, error: toml::de::Error| {
            let line = error
                .span()
                .map(|span| line_of(text, span.start))
                .map(|line| format!(" line {line}"))
                .unwrap_or_default();
            let key = if key.is_empty() || key == "." {
                String::new()
            } else {
                format!(" {key}:")
            };
            Error::Config(format!(
                "{}{line}:{key} {}",
                path.display(),
                error.message().trim_end()
            ))
        };
        let deserializer =
            toml::de::Deserializer::parse(text).map_err(|e| fail(String::new(), e))?;
        let file: ConfigFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            fail(key, e.into_inner())
        })?;
        file.check()
            .map_err(|why| Error::Config(format!("{}: {why}", path.display())))?;
        Ok(file)
    }

    /// What no single key's type can say.
    fn check(&self) -> std::result::Result<(), String> {
        if self.https.tls_cert.is_some() != self.https.tls_key.is_some() {
            return Err("[https] tls_cert and tls_key go together (without both, a self-signed pair is made at start-up)".into());
        }
        if self.all == Some(true) && !self.accounts.is_empty() {
            return Err("all = true and [[account]] tables do not go together: serve every account, or the ones listed".into());
        }
        let mut users: Vec<&str> = self.accounts.iter().map(|a| a.user.as_str()).collect();
        users.sort_unstable();
        if let Some(twice) = users.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("[[account]] user = {:?} is listed twice", twice[0]));
        }
        Ok(())
    }

    /// The file as TOML, for `liveapid check-config`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"))
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile> {
        ConfigFile::parse(text, Path::new("liveapid.toml"))
    }

    #[test]
    fn a_full_file_reads_back_the_same() {
        let text = "root = \"/srv\"\nall = false\n\n[https]\nlisten = [\"127.0.0.1:2083\", \"[::1]:2096\"]\n\n[limits]\nmax_request_bytes = 4096\nidle_timeout = 0.5\n\n[[account]]\nuser = \"bob\"\nhome = \"/home/bob\"\n";
        let file = parse(text).unwrap();
        assert_eq!(file.limits.max_request_bytes, Some(Positive(4096)));
        assert_eq!(file.limits.idle_timeout, Some(Seconds(0.5)));
        assert_eq!(
            file.accounts[0].home.as_deref(),
            Some(Path::new("/home/bob"))
        );
        assert_eq!(parse(&file.to_toml()).unwrap(), file);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err = parse("root = \"/\"\n[limits]\nmax_request_byte = 10\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("liveapid.toml line 3:"), "{err}");
        assert!(err.contains("unknown field `max_request_byte`"), "{err}");
    }

    #[test]
    fn a_bad_value_is_named_with_its_key_and_line() {
        let err = parse("[limits]\n\nmax_request_bytes = 0\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "liveapid.toml line 3: limits.max_request_bytes: must be 1 or more"
        );
        let err = parse("[limits]\nidle_timeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "liveapid.toml line 2: limits.idle_timeout: must be a number of seconds"
        );
        let err = parse("[https]\nlisten = [\"0.0.0.0:2083\", \"nowhere\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("liveapid.toml line 2: https.listen[1]:"),
            "{err}"
        );
        let err = parse("[[account]]\nuser = 7\n").unwrap_err().to_string();
        assert!(
            err.starts_with("liveapid.toml line 2: account[0].user:"),
            "{err}"
        );
    }
}
