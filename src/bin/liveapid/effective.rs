//! The settings `serve` runs with: the configuration file's settings become
//! the defaults of `serve`'s flags, then the command line is parsed on top
//! of them, so a flag given there wins. SIGHUP repeats the same with the
//! file as it is then and the same command line.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use liveapid::config::file::{
    AccountTable, AfterChangeTable, HttpsTable, LimitsTable, Positive, Seconds,
};
use liveapid::config::{defaults, ConfigFile, ConfigPath};
use liveapid::reload::Reloader;
use liveapid::service::ServeConfig;
use liveapid::{Error, Result};

use super::{Cli, Command, HttpsArgs, LogFormat, ServerArgs};

/// The command line, read with the configuration file where it matters.
pub struct Parsed {
    pub cli: Cli,
    /// For `serve` and `check-config`: what `serve` would run with.
    pub serve: Option<Serve>,
    config: ConfigPath,
    /// The file, if there was one.
    file: Option<ConfigFile>,
}

/// `serve`'s effective settings.
pub struct Serve {
    users: Vec<String>,
    all: bool,
    home: Option<PathBuf>,
    root: PathBuf,
    socket: Option<PathBuf>,
    socket_dir: Option<PathBuf>,
    server: Box<ServerArgs>,
    https: HttpsArgs,
    /// The file's `[[account]]` tables, when the command line names no account.
    accounts: Vec<AccountTable>,
    log_format: LogFormat,
    reloader: Reloader,
}

/// Parses `argv`; for `serve` and `check-config` the configuration file
/// first. Usage errors, `--help` and `--version` exit here as clap does.
///
/// # Errors
///
/// The configuration file's error, naming the key and its line.
pub fn parse(argv: Vec<OsString>) -> Result<Parsed> {
    let first = Cli::command().get_matches_from(&argv);
    let cli = Cli::from_arg_matches(&first).unwrap_or_else(|e| e.exit());
    let config = ConfigPath::new(cli.config.clone());
    if !matches!(cli.command, Command::Serve { .. } | Command::CheckConfig) {
        return Ok(Parsed {
            cli,
            serve: None,
            config,
            file: None,
        });
    }
    let file = config.load()?;
    let matches = matches_with(&argv, file.as_ref()).unwrap_or_else(|e| e.exit());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let serve_argv = if matches!(cli.command, Command::Serve { .. }) {
        argv
    } else {
        // check-config: what `serve` would use without flags of its own.
        vec![argv[0].clone(), "serve".into()]
    };
    let serve = Serve::read(&serve_argv, &config, file.as_ref())?;
    Ok(Parsed {
        cli,
        serve: Some(serve),
        config,
        file,
    })
}

/// `argv` parsed with `file`'s settings as `serve`'s defaults.
fn matches_with(argv: &[OsString], file: Option<&ConfigFile>) -> clap::error::Result<ArgMatches> {
    let command = match file {
        Some(file) => defaults::apply(Cli::command(), "serve", file),
        None => Cli::command(),
    };
    command.try_get_matches_from(argv)
}

impl Serve {
    /// `serve`'s settings from `argv` (a `serve` command line) and `file`.
    fn read(argv: &[OsString], config: &ConfigPath, file: Option<&ConfigFile>) -> Result<Serve> {
        let matches = matches_with(argv, file).map_err(|e| Error::Config(one_line(&e)))?;
        let cli = Cli::from_arg_matches(&matches).map_err(|e| Error::Config(one_line(&e)))?;
        let Command::Serve {
            users,
            all,
            home,
            root,
            socket,
            socket_dir,
            server,
            https,
        } = cli.command
        else {
            return Err(Error::Config("not a serve command line".into()));
        };
        let given = |id: &str| {
            matches
                .subcommand_matches("serve")
                .and_then(|m| m.value_source(id))
                == Some(ValueSource::CommandLine)
        };
        // Accounts named on the command line replace the file's, `all` included.
        let named = given("users") || given("all");
        let accounts = match file {
            Some(file) if !named => file.accounts.clone(),
            _ => Vec::new(),
        };
        let all = all && (given("all") || users.is_empty());
        let (argv, config) = (argv.to_vec(), config.clone());
        let reloader = Reloader::new(move || {
            let file = config.load()?;
            let serve = Serve::read(&argv, &config, file.as_ref())?;
            serve.server.settings(rustix::process::geteuid().as_raw())
        });
        Ok(Serve {
            users,
            all,
            home,
            root,
            socket,
            socket_dir,
            server,
            https,
            accounts,
            log_format: cli.log_format,
            reloader,
        })
    }

    /// What the library's `serve` takes.
    pub fn config(self) -> Result<ServeConfig> {
        if let Some(log) = &self.server.audit_log {
            liveapid::config::ownership::check_audit_log(log)?;
        }
        let mut users = self.users;
        let mut homes = BTreeMap::new();
        let mut sockets = BTreeMap::new();
        for account in self.accounts {
            if let Some(home) = account.home {
                homes.insert(account.user.clone(), home);
            }
            if let Some(socket) = account.socket {
                sockets.insert(account.user.clone(), socket);
            }
            users.push(account.user);
        }
        Ok(ServeConfig {
            users,
            all: self.all,
            home: self.home,
            root: self.root,
            socket: self.socket,
            socket_dir: self.socket_dir,
            settings: self.server.settings(rustix::process::geteuid().as_raw())?,
            log_format: self.log_format,
            after_change: self.server.after_change()?,
            audit_log: self.server.audit_log.clone(),
            audit_max_lines_per_minute: self.server.audit_max_lines_per_minute,
            https: self.https.config(&self.server)?,
            homes,
            sockets,
            reloader: Some(self.reloader),
        })
    }

    /// The settings as a configuration file, every key given.
    fn as_file(&self) -> ConfigFile {
        let s = &self.server;
        let count = |n: usize| Some(Positive(n as u64));
        let small = |n: usize| Some(u32::try_from(n).unwrap_or(u32::MAX));
        ConfigFile {
            root: Some(self.root.clone()),
            socket_dir: self.socket_dir.clone(),
            all: Some(self.all),
            audit_log: s.audit_log.clone(),
            audit_max_lines_per_minute: Some(s.audit_max_lines_per_minute),
            limits: LimitsTable {
                max_request_bytes: count(s.max_request_bytes),
                max_connections: count(s.max_connections),
                idle_timeout: Some(Seconds(s.idle_timeout)),
                drain_timeout: Some(Seconds(s.drain_timeout)),
                keepalive_secs: Some(Seconds(s.keepalive_secs)),
                verify_rate: Some(s.verify_rate),
                verify_rate_per_caller: Some(s.verify_rate_per_caller),
                change_rate: Some(s.change_rate),
                change_rate_per_caller: Some(s.change_rate_per_caller),
                hash_threads: small(s.hash_threads),
                hash_queue: small(s.hash_queue),
                max_file_bytes: Some(Positive(s.max_file_bytes)),
            },
            after_change: s
                .after_password_change
                .clone()
                .map(|command| AfterChangeTable {
                    command,
                    timeout: Some(Seconds(s.after_change_timeout)),
                }),
            https: HttpsTable {
                listen: self.https.https_listen.clone(),
                tls_cert: self.https.tls_cert.clone(),
                tls_key: self.https.tls_key.clone(),
                auth_failures: Some(self.https.auth_failures),
                session_idle: Some(Seconds(self.https.session_idle)),
                worker_calls: count(self.https.worker_calls),
                worker_call_timeout: Some(Seconds(self.https.worker_call_timeout)),
            },
            accounts: self.accounts.clone(),
        }
    }
}

/// `liveapid check-config`: the file is valid (parsing it got this far) if
/// its values also make a server; print what `serve` would use.
pub fn check_config(parsed: &Parsed) -> ExitCode {
    let serve = parsed.serve.as_ref().expect("read with check-config");
    let path = parsed.config.path().display();
    // The checks `serve` makes before it binds anything.
    let checked = serve
        .server
        .options(0)
        .and_then(|_| serve.server.after_change())
        .and_then(|_| match &serve.server.audit_log {
            Some(log) => liveapid::config::ownership::check_audit_log(log),
            None => Ok(()),
        })
        .and_then(|_| serve.https.config(&serve.server).map(drop));
    if let Err(e) = checked {
        eprintln!("liveapid check-config: {path}: {e}");
        return ExitCode::FAILURE;
    }
    match &parsed.file {
        Some(_) => println!(
            "# {path} is valid. The settings `liveapid serve` uses (its flags override them):"
        ),
        None => {
            println!("# No {path}: the built-in settings, which `liveapid serve`'s flags override:")
        }
    }
    print!("{}", serve.as_file().to_toml());
    ExitCode::SUCCESS
}

/// clap's message without its usage block, as one line (for the log).
fn one_line(error: &clap::Error) -> String {
    let text = error.to_string();
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}
