//! liveapid
