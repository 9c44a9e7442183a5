//! Everything one account's server is set to beyond who it serves: the
//! server's limits and timings and the per-account limits (hashing pool,
//! rates, file cap), as one typed value. A worker gets it whole from its
//! supervisor, as one JSON line on its settings pipe, at start and after
//! every reload; the single-account daemon gets it from its own reloads.
//! Either way [`in_force`] applies it to the running engine.
//!
//! ```text
//! {"server":{"max_request_bytes":1048576,"max_connections":256,"idle_timeout":300.0,
//!            "drain_timeout":10.0,"keepalive":15.0},
//!  "limits":{"hash_threads":0,"hash_queue":256,"verify_rate":60,…,"max_file_bytes":…}}
//! ```

pub mod in_force;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::server::ServerOptions;

/// What serving one account is set to. The uids served are not in it: the
/// process that serves fixes them itself ([`crate::server::allowed_uids`]).
#[derive(Debug, Clone, Default)]
pub struct WorkerSettings {
    /// Read by each new connection.
    pub server: ServerOptions,
    /// Read by each new call.
    pub limits: Limits,
}

/// [`WorkerSettings`] on the settings pipe.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    server: ServerLine,
    limits: Limits,
}

/// [`ServerOptions`] without the uids, durations in seconds.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerLine {
    max_request_bytes: usize,
    max_connections: usize,
    idle_timeout: f64,
    drain_timeout: f64,
    keepalive: f64,
}

impl WorkerSettings {
    /// One JSON line, newline included.
    pub fn to_line(&self) -> String {
        let server = &self.server;
        let line = Line {
            server: ServerLine {
                max_request_bytes: server.max_payload,
                max_connections: server.max_connections,
                idle_timeout: server.idle_timeout.as_secs_f64(),
                drain_timeout: server.drain_timeout.as_secs_f64(),
                keepalive: server.keepalive.as_secs_f64(),
            },
            limits: self.limits.clone(),
        };
        // Numbers and strings only: serializing cannot fail.
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The settings of one line made by [`WorkerSettings::to_line`], serving
    /// `allowed_uids`.
    ///
    /// # Errors
    ///
    /// [`Error::UnreadableSettings`] for anything else: not the shape, a
    /// duration that is not a positive number of seconds.
    pub fn from_line(line: &str, allowed_uids: Vec<u32>) -> Result<WorkerSettings> {
        let unreadable = |why: String| Error::UnreadableSettings(why);
        let line: Line = serde_json::from_str(line).map_err(|e| unreadable(e.to_string()))?;
        let seconds = |name: &str, s: f64| {
            Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| unreadable(format!("{name} is not a positive number of seconds")))
        };
        let server = line.server;
        Ok(WorkerSettings {
            server: ServerOptions {
                max_payload: server.max_request_bytes,
                max_connections: server.max_connections.max(1),
                idle_timeout: seconds("idle_timeout", server.idle_timeout)?,
                drain_timeout: seconds("drain_timeout", server.drain_timeout)?,
                keepalive: seconds("keepalive", server.keepalive)?,
                allowed_uids,
            },
            limits: line.limits,
        })
    }

    /// The same settings, serving `allowed_uids`.
    #[must_use]
    pub fn serving(mut self, allowed_uids: Vec<u32>) -> WorkerSettings {
        self.server.allowed_uids = allowed_uids;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_round_trips_every_setting_but_the_uids() {
        let settings = WorkerSettings {
            server: ServerOptions {
                max_payload: 4096,
                max_connections: 3,
                idle_timeout: Duration::from_millis(1500),
                drain_timeout: Duration::from_secs(2),
                keepalive: Duration::from_secs(7),
                allowed_uids: vec![0],
            },
            limits: Limits {
                hash_threads: 2,
                hash_queue: 5,
                verify_rate: 9,
                verify_rate_per_caller: 8,
                change_rate: 7,
                change_rate_per_caller: 6,
                max_file_bytes: 1234,
            },
        };
        let line = settings.to_line();
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let back = WorkerSettings::from_line(&line, vec![1001, 0]).unwrap();
        assert_eq!(back.limits, settings.limits);
        assert_eq!(back.server.max_payload, 4096);
        assert_eq!(back.server.max_connections, 3);
        assert_eq!(back.server.idle_timeout, Duration::from_millis(1500));
        assert_eq!(back.server.drain_timeout, Duration::from_secs(2));
        assert_eq!(back.server.keepalive, Duration::from_secs(7));
        assert_eq!(back.server.allowed_uids, [1001, 0]);
    }

    #[test]
    fn anything_but_a_whole_settings_line_is_refused() {
        let good = WorkerSettings::default().to_line();
        let no_limits = good.replace(",\"limits\"", ",\"other\"");
        let zero_idle = good.replace("\"idle_timeout\":300.0", "\"idle_timeout\":0.0");
        assert_ne!(zero_idle, good, "the default idle timeout is in the line");
        for line in ["", "{}", "[1]", no_limits.as_str(), zero_idle.as_str()] {
            let refused = WorkerSettings::from_line(line, vec![0]);
            assert!(
                matches!(refused, Err(Error::UnreadableSettings(_))),
                "{line}: {refused:?}"
            );
        }
    }
}
