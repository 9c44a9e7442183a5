//! liveapid: a LiveAPI engine for cPanel-style hosting accounts.
//!
//! Scripts written for cPanel (`new CPANEL()` in PHP, `Cpanel::LiveAPI` in
//! Perl) connect to a Unix socket and call UAPI functions such as
//! `Email::passwd_pop`; liveapid answers them byte-compatibly and executes
//! them on the account's real files.
//!
//! # Layout
//!
//! - [`protocol`]: the wire format: request framing ([`protocol::codec`]),
//!   reply frames ([`protocol::frame`]), payload kinds ([`protocol::request`]).
//! - [`server`]: accept loop and per-connection handler; [`shutdown`]: the
//!   drain signal; [`socket`]: the socket file.
//! - [`engine`]: the socket's request handler (JSON switch, shutdown, tags,
//!   `<cpanelaction>`); it calls the dispatcher.
//! - [`dispatch`]: the one dispatcher every transport calls
//!   ([`dispatch::uapi`], [`dispatch::api2`], [`dispatch::api1`]): name
//!   checks, the [`dispatch::Module`] table, lookup, errors and logging.
//! - [`state`]: one account's [`AccountState`] (account, the handle on its
//!   home, mail files, after-change hook, audit sink), passed to every API
//!   function; only the process serving the account makes one.
//! - [`api`]: arguments, reply shapes, print/if/feature, and the `Email`
//!   module, whose table in `src/api/email/mod.rs` is the only list of its
//!   functions: adding one is a new file there plus one line in that table.
//!   Nothing in `api` knows `engine`, `dispatch` or any transport's wire
//!   type: it sees only [`api::Args`].
//! - [`caller`]: who made a call; [`secrets`]: request values kept out of
//!   logs and wiped from memory.
//! - [`account`]: the cPanel account's facts (user, uid, gid, home path,
//!   domains, settings), plain data root reads too;
//!   [`provision`]: `liveapid account add`/`remove`, which make and undo one.
//! - [`email`]: the pure rules: addresses, strength, hashes, shadow lines,
//!   quotas.
//! - [`home`]: every byte under the account's home, confined beneath a
//!   handle on it that only the process serving the account opens: locks,
//!   crash-safe replacement, group commit, the per-domain files and the
//!   mailbox operations on them, Maildirs.
//! - [`https`]: the HTTPS front end (`/execute/Module/function`, API tokens,
//!   account and webmail logins); it reaches each account through its socket.
//! - [`after_change`]: commands run after a password change.
//! - [`demo`]: the scratch account of `liveapid demo`; [`shims`]: the PHP and
//!   Perl shims built in, for `liveapid run`.
//! - [`limits`]: the hashing pool and the rate tables; [`in_flight`]: the
//!   mail files with their commits counted, so a shutdown waits for them.
//! - [`off_reactor`]: file I/O and walks run on the blocking pool, never
//!   on the runtime's worker threads.
//! - [`config`]: the configuration file (`/etc/liveapid/liveapid.toml`)
//!   and how it meets the flags; [`reload`]: SIGHUP, settings that new
//!   connections read; [`worker_settings`]: those settings as one value,
//!   sent whole to a worker and put in force; [`systemd`]: handed sockets
//!   and readiness.
//! - [`logging`]: text or JSON log lines.
//! - [`error`]: the one error type.
//!
//! The top-level modules form layers with no cycle: the processes and
//! commands, then the socket transport, the dispatcher, the API, the
//! account's state, and the home, the facts and the pure rules.
//! `tests/layering.rs` reads the source into that graph and fails on a
//! cycle or on an edge its table of allowed directions does not declare.

pub mod account;
pub mod after_change;
pub mod api;
pub mod audit;
pub mod audit_budget;
pub mod bounded_lines;
pub mod caller;
pub mod command_line;
pub mod config;
pub mod control;
pub mod demo;
pub mod dispatch;
pub mod email;
pub mod engine;
pub mod error;
pub mod home;
pub mod https;
pub mod in_flight;
pub mod limits;
pub mod live_script;
pub mod logging;
pub mod off_reactor;
pub mod privilege;
pub mod protocol;
pub mod provision;
pub mod reload;
pub mod secrets;
pub mod server;
pub mod service;
pub mod shims;
pub mod shutdown;
pub mod socket;
pub mod state;
pub mod supervisor;
pub mod systemd;
pub mod worker;
pub mod worker_settings;

pub use engine::Engine;
pub use error::{Error, Result};
pub use state::AccountState;
