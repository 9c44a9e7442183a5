//! Log set-up shared by the binaries: structured (tracing) lines on
//! standard error, filtered by `LIVEAPID_LOG` (e.g. `debug`), as text
//! (colours only on a terminal) or as one JSON object per line
//! (`--log-format json`, for the journal or a log shipper). No log line
//! ever holds a password.

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: timestamp, level, target, fields.
    Json,
}

impl LogFormat {
    /// The flag's value, as a worker is given it.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Starts logging at `default_filter` (e.g. `info`) unless `LIVEAPID_LOG`
/// says otherwise. Starts no thread, so a worker may call it before it
/// drops its privileges.
pub fn init(default_filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIVEAPID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}
