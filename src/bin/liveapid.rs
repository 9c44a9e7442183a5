//! The `liveapid` command: `serve` an account, run the `demo`, or `run` a
//! live script against an account; `check-config` the configuration file;
//! `account add|remove` a system user as an account.
//! Argument parsing and exit codes live here (with the file's settings as
//! the flags' defaults: `liveapid/effective.rs`); the work is in the library.

// Beside this file, in src/bin/liveapid/ (a crate root looks for its
// modules next to itself otherwise).
#[path = "liveapid/effective.rs"]
mod effective;
#[path = "liveapid/manual.rs"]
mod manual;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use liveapid::account::AccountLocator;
use liveapid::account::SystemUser;
use liveapid::after_change::AfterChange;
use liveapid::limits::{self, Limits};
use liveapid::live_script::{self, Target};
use liveapid::logging::LogFormat;
use liveapid::privilege::Identity;
use liveapid::server::{self, ServerOptions};
use liveapid::service;
use liveapid::shutdown::Termination;
use liveapid::worker::{self, WorkerConfig};
use liveapid::worker_settings::WorkerSettings;
use liveapid::{demo, socket, AccountState, Engine, Error, Result};

#[derive(Parser)]
#[command(
    name = "liveapid",
    version,
    about = "A LiveAPI engine for cPanel-style hosting accounts",
    long_about = "A LiveAPI engine for cPanel-style hosting accounts. \
                  `liveapid uapi ARGS` is the uapi(1) command.",
    disable_help_subcommand = true
)]
struct Cli {
    /// The configuration file; its settings are the defaults of `serve`'s
    /// flags, and flags given on the command line win
    /// [default: /etc/liveapid/liveapid.toml, if it exists].
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// How log lines (on standard error) are written: text, or one JSON
    /// object per line; LIVEAPID_LOG sets the level (e.g. debug).
    #[arg(long, value_name = "FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve cPanel accounts on LiveAPI sockets until SIGTERM or SIGINT.
    ///
    /// Run as an account's own user, it serves that account. Run as root, it
    /// serves each account from its own worker process running as that
    /// account, on DIR/USER.sock owned by the account (mode 0600), and
    /// restarts a worker that dies.
    ///
    /// Under systemd it serves the socket a socket unit hands over
    /// (LISTEN_FDS), says READY=1 once it serves, and on SIGHUP reads its
    /// configuration again: new connections get the new limits, open ones
    /// keep theirs.
    Serve {
        /// A cPanel account; repeat it to serve several (needs root)
        /// [default: the configuration file's [[account]] tables].
        #[arg(long = "user", value_name = "NAME")]
        users: Vec<String>,
        /// Serve every account in ROOT/var/cpanel/users/ (needs root).
        #[arg(long, conflicts_with = "users")]
        all: bool,
        /// The account's home directory, for one account [default: from ROOT/etc/passwd].
        #[arg(long)]
        home: Option<PathBuf>,
        /// Prefix of the system files (var/cpanel/users/USER, var/cpanel/cpanel.config, etc/passwd).
        #[arg(long, default_value = "/")]
        root: PathBuf,
        /// Socket path, for one account [default: DIR/USER.sock].
        #[arg(long)]
        socket: Option<PathBuf>,
        /// Directory of the sockets, USER.sock each; it must be a real
        /// directory that only its owner (this user or root) can write
        /// [default: /run/liveapid for root, else $XDG_RUNTIME_DIR/liveapid].
        #[arg(long, value_name = "DIR")]
        socket_dir: Option<PathBuf>,
        // Boxed: the largest command by far, and the worker's is now small.
        #[command(flatten)]
        server: Box<ServerArgs>,
        #[command(flatten)]
        https: HttpsArgs,
    },
    /// Check the configuration file and print the settings `serve` would
    /// use (flags aside); exits non-zero naming the wrong key and its line.
    CheckConfig,
    /// Serve an existing system user as a cPanel account (root): write
    /// ROOT/var/cpanel/users/USER and the mail layout in its home, or undo it.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Write the manual pages (liveapid.8, its subcommands', uapi.1) to DIR.
    #[command(hide = true)]
    Man {
        /// Where the pages go (created if missing).
        dir: PathBuf,
    },
    /// One account's worker, started by `serve` as root (not for direct use).
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// Lay out a scratch account (demo / example.com / user@example.com) and
    /// serve it until interrupted. No root, no system changes.
    Demo {
        /// Where to put the account [default: a new temporary directory,
        /// removed on exit].
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Socket path [default: DIR/live.sock].
        #[arg(long)]
        socket: Option<PathBuf>,
        /// Also serve HTTPS (self-signed) here; "off" for none.
        #[arg(long, value_name = "ADDR:PORT|off", default_value = "127.0.0.1:2083")]
        https: String,
    },
    /// Run a live script (.php, .pl or any executable) against an account,
    /// with CPANEL_CONNECT_SOCKET and CPANEL_PHPCONNECT_SOCKET set, as cPanel
    /// runs .live.php/.live.pl scripts. Give --user (serve that account on a
    /// private socket for the script's lifetime) or --socket (use a running
    /// daemon). The built-in Perl shim is on PERL5LIB and the PHP class on
    /// PHP's include_path. Exits with the script's status.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["user", "socket"])))]
    Run {
        /// Use this running daemon's socket instead of serving an account
        /// (give --user or --socket).
        #[arg(long, conflicts_with = "user")]
        socket: Option<PathBuf>,
        #[command(flatten)]
        account: OptionalAccountArgs,
        /// The script, then its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        script: Vec<String>,
    },
}

/// `liveapid account add|remove` (the work is in `liveapid::provision`).
#[derive(Subcommand)]
enum AccountCommand {
    /// Make the system user USER an account with these domains (the first
    /// is the main domain), or add domains to its account: writes
    /// ROOT/var/cpanel/users/USER (root:USER 0640), ~/etc/DOMAIN/ with empty
    /// passwd, shadow and quota (USER:mail, 0750 and 0640) and ~/mail/DOMAIN/
    /// (0751). Refuses root and system users (uids outside 1000-60000), a
    /// domain another account has, and paths in the home that lead out.
    Add {
        /// The system user (in ROOT/etc/passwd).
        #[arg(long)]
        user: String,
        /// A domain of the account; repeatable, the first is the main domain.
        #[arg(long = "domain", value_name = "DOMAIN", required = true)]
        domains: Vec<String>,
        /// Prefix of the system files (etc/passwd, etc/group, var/cpanel/users).
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
    /// Remove the account USER: its ROOT/var/cpanel/users/USER; mail,
    /// ~/etc and ~/mail stay unless --delete-mail.
    Remove {
        /// The account.
        #[arg(long)]
        user: String,
        /// Also delete ~/etc/DOMAIN/ and ~/mail/DOMAIN/ of each of its domains.
        #[arg(long)]
        delete_mail: bool,
        /// Prefix of the system files.
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
}

/// What the supervisor passes a worker (`supervisor::spawn`).
#[derive(Args)]
struct WorkerArgs {
    #[arg(long)]
    user: String,
    #[arg(long)]
    uid: u32,
    #[arg(long)]
    gid: u32,
    #[arg(long = "group")]
    groups: Vec<u32>,
    #[arg(long)]
    home: PathBuf,
    #[arg(long)]
    root: PathBuf,
    #[arg(long)]
    after_change_via_supervisor: bool,
    #[arg(long)]
    audit_via_supervisor: bool,
}

#[derive(Args)]
struct OptionalAccountArgs {
    /// The cPanel account to serve for the script (give --user or --socket).
    #[arg(long)]
    user: Option<String>,
    /// The account's home directory [default: from ROOT/etc/passwd].
    #[arg(long)]
    home: Option<PathBuf>,
    /// Prefix of the system files.
    #[arg(long, default_value = "/")]
    root: PathBuf,
}

#[derive(Args)]
struct ServerArgs {
    /// Largest request accepted, in bytes; a larger one ends its connection.
    #[arg(long, default_value_t = 1 << 20)]
    max_request_bytes: usize,
    /// Connections served at once; one more is told so and closed at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Seconds a connection may wait between requests before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    idle_timeout: f64,
    /// Seconds running calls may take after SIGTERM before they are stopped
    /// (a commit that has begun still completes).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    drain_timeout: f64,
    /// verify_password calls per minute per mailbox, whoever makes them:
    /// the limit on password guessing (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_VERIFY_RATE)]
    verify_rate: u32,
    /// verify_password calls per minute per caller uid (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 0)]
    verify_rate_per_caller: u32,
    /// Password changes (passwd_pop, add_pop with a password) per minute
    /// per mailbox (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 0)]
    change_rate: u32,
    /// Password changes per minute per caller uid (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 0)]
    change_rate_per_caller: u32,
    /// Passwords hashed at once [default: 0, one per core].
    #[arg(long, value_name = "N", default_value_t = 0)]
    hash_threads: usize,
    /// Hashes that may wait for a thread; one more is answered "busy".
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_HASH_QUEUE)]
    hash_queue: usize,
    /// Largest file under a home that is read (shadow, passwd, quota, the
    /// token file), in bytes; a larger one is refused unread.
    #[arg(long, value_name = "BYTES", default_value_t = liveapid::home::file_rules::DEFAULT_MAX_FILE_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_file_bytes: u64,
    /// Seconds before a slow call starts sending keep-alive newlines.
    #[arg(long, default_value_t = 15.0)]
    keepalive_secs: f64,
    /// Command run after each password change, e.g. "doveadm auth cache flush %u"
    /// (%u address, %d domain, %n localpart; never the password).
    #[arg(long)]
    after_password_change: Option<String>,
    /// Seconds the after-change command may take.
    #[arg(long, default_value_t = 10.0)]
    after_change_timeout: f64,
    /// Append one JSON line per state-changing or refused call to FILE
    /// (created 0600; never a password or a hash).
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Most audit lines written in a minute; past it lines are counted, and
    /// one summary line says how many.
    #[arg(long, value_name = "N", default_value_t = liveapid::audit_budget::DEFAULT_MAX_LINES_PER_MINUTE)]
    audit_max_lines_per_minute: u32,
}

/// The HTTPS front end of `serve`.
#[derive(Args)]
struct HttpsArgs {
    /// Serve /execute/Module/function, logins and API tokens over HTTPS
    /// here, e.g. 0.0.0.0:2083 (repeat it, e.g. for 2096 too).
    #[arg(long = "https", value_name = "ADDR:PORT")]
    https_listen: Vec<std::net::SocketAddr>,
    /// The certificate chain (PEM) [default: a self-signed one, made at start-up].
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Failed logins per source address and per user within 5 minutes after
    /// which every login is refused (429) until the window passes (0: no limit).
    #[arg(long, value_name = "N", default_value_t = liveapid::https::DEFAULT_AUTH_FAILURES)]
    auth_failures: u32,
    /// Seconds a login session may stay unused before it ends.
    #[arg(long, value_name = "SECS", default_value_t = liveapid::https::DEFAULT_SESSION_IDLE.as_secs_f64())]
    session_idle: f64,
    /// Calls to one account's worker in progress at once; one more is
    /// answered 503 at once, so one account cannot take the others' share.
    #[arg(long, value_name = "N", default_value_t = liveapid::https::worker_calls::DEFAULT_WORKER_CALLS)]
    worker_calls: usize,
    /// Seconds a call to an account's worker may take in all (keep-alive
    /// bytes do not extend it); then the caller gets 504.
    #[arg(long, value_name = "SECS", default_value_t = liveapid::protocol::client::DEFAULT_CALL_TIMEOUT.as_secs_f64())]
    worker_call_timeout: f64,
}

impl HttpsArgs {
    fn config(&self, server: &ServerArgs) -> Result<liveapid::https::HttpsConfig> {
        Ok(liveapid::https::HttpsConfig {
            https_listen: self.https_listen.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            auth_failures: self.auth_failures,
            session_idle: seconds("--session-idle", self.session_idle)?,
            max_body: server.max_request_bytes,
            max_connections: server.max_connections.max(1),
            worker_calls: self.worker_calls.max(1),
            worker_call_timeout: seconds("--worker-call-timeout", self.worker_call_timeout)?,
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `liveapid uapi ARGS` is the `uapi` command, so that a build of this
    // binary alone (`cargo run --release -- demo`) has it too.
    if args.get(1).is_some_and(|a| a == "uapi") {
        let program = std::iter::once(std::ffi::OsString::from("uapi"));
        return liveapid::command_line::main(program.chain(args.into_iter().skip(2)));
    }
    let parsed = match effective::parse(args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("liveapid: {e}");
            return ExitCode::FAILURE;
        }
    };
    liveapid::logging::init("info", parsed.cli.log_format);
    let command = match parsed.cli.command {
        // A worker becomes its account before any thread starts; it makes
        // its own runtime afterwards.
        Command::Worker(args) => {
            return match run_worker(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("liveapid worker: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig => return effective::check_config(&parsed),
        Command::Man { dir } => return manual::write_all(&dir),
        Command::Account(action) => return run_account(action),
        other => other,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("liveapid: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(command, parsed.serve));
    // By now the server has waited for every commit; what may still run is
    // a hash whose call the drain stopped: pure CPU, so it is not waited for.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("liveapid: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `liveapid account add|remove`: what was done on stdout, or one line on
/// stderr and exit 1.
fn run_account(action: AccountCommand) -> ExitCode {
    let outcome = match action {
        AccountCommand::Add {
            user,
            domains,
            root,
        } => liveapid::provision::add(&root, &user, &domains).map(|added| {
            let verb = if added.new_account {
                "wrote"
            } else {
                "added to"
            };
            println!(
                "{verb} {}: {}",
                added.user_file.display(),
                added.domains.join(" ")
            );
            for path in added.made {
                println!("made {}", path.display());
            }
        }),
        AccountCommand::Remove {
            user,
            delete_mail,
            root,
        } => liveapid::provision::remove(&root, &user, delete_mail).map(|removed| {
            println!("removed {}", removed.user_file.display());
            for path in removed.deleted {
                println!("deleted {}", path.display());
            }
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("liveapid account: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_worker(args: WorkerArgs) -> Result<()> {
    let WorkerArgs {
        user,
        uid,
        gid,
        groups,
        home,
        root,
        after_change_via_supervisor,
        audit_via_supervisor,
    } = args;
    worker::run(WorkerConfig {
        user,
        system_user: SystemUser { uid, gid, home },
        identity: Identity { uid, gid, groups },
        root,
        after_change: after_change_via_supervisor,
        audit: audit_via_supervisor,
    })
}

async fn run(command: Command, serve: Option<effective::Serve>) -> Result<ExitCode> {
    match command {
        Command::Serve { .. } => {
            // Before any socket is bound, so that a signal the instant one
            // exists is caught.
            let termination = Termination::install()?;
            let serve = serve.expect("serve's settings are read with its arguments");
            service::serve(serve.config()?, termination).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(_) => unreachable!("main runs workers before any runtime exists"),
        Command::CheckConfig | Command::Man { .. } | Command::Account(_) => {
            unreachable!("main answers these itself")
        }
        Command::Demo { dir, socket, https } => run_demo(dir, socket, &https).await,
        Command::Run {
            socket,
            account,
            script,
        } => run_script(socket, account, script).await,
    }
}

impl ServerArgs {
    /// The options of a server for the account of `uid`.
    fn options(&self, uid: u32) -> Result<ServerOptions> {
        Ok(ServerOptions {
            max_payload: self.max_request_bytes,
            max_connections: self.max_connections.max(1),
            idle_timeout: seconds("--idle-timeout", self.idle_timeout)?,
            drain_timeout: seconds("--drain-timeout", self.drain_timeout)?,
            keepalive: seconds("--keepalive-secs", self.keepalive_secs)?,
            allowed_uids: server::allowed_uids(uid),
        })
    }

    /// Everything serving one account of `uid` is set to (sent whole to
    /// the workers).
    fn settings(&self, uid: u32) -> Result<WorkerSettings> {
        Ok(WorkerSettings {
            server: self.options(uid)?,
            limits: self.limits(),
        })
    }

    /// The per-account limits: the hashing pool and the rates.
    fn limits(&self) -> Limits {
        Limits {
            hash_threads: self.hash_threads,
            hash_queue: self.hash_queue,
            verify_rate: self.verify_rate,
            verify_rate_per_caller: self.verify_rate_per_caller,
            change_rate: self.change_rate,
            change_rate_per_caller: self.change_rate_per_caller,
            max_file_bytes: self.max_file_bytes,
        }
    }

    fn after_change(&self) -> Result<Option<AfterChange>> {
        let timeout = seconds("--after-change-timeout", self.after_change_timeout)?;
        Ok(self
            .after_password_change
            .as_deref()
            .and_then(|c| AfterChange::parse(c, timeout)))
    }
}

fn seconds(flag: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Error::Config(format!("{flag} must be a positive number of seconds")))
}

/// Binds `path` and serves until SIGTERM or SIGINT.
async fn serve(engine: Engine, path: &Path, options: ServerOptions) -> Result<()> {
    // Before the bind, so that a signal the instant the socket exists is caught.
    let mut termination = Termination::install()?;
    let (listener, socket_file) = socket::bind(path)?;
    tracing::info!(socket = %socket_file.path().display(), user = engine_user(&engine).await, "listening");
    server::run(listener, Arc::new(engine), options, termination.recv()).await;
    drop(socket_file); // removes the socket file
    Ok(())
}

async fn engine_user(engine: &Engine) -> String {
    engine
        .state()
        .account()
        .await
        .map(|a| a.user)
        .unwrap_or_default()
}

async fn run_demo(
    dir: Option<PathBuf>,
    socket_path: Option<PathBuf>,
    https: &str,
) -> Result<ExitCode> {
    let (dir, _cleanup) = match dir {
        Some(d) => (d, None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("liveapid-demo-")
                .tempdir()?;
            (t.path().to_owned(), Some(t))
        }
    };
    let account = demo::create(&dir)?;
    let path = socket_path.unwrap_or_else(|| dir.join("live.sock"));
    let locator = AccountLocator::new(demo::USER, &account.root, Some(&account.home))?;
    let state = AccountState::new(locator.clone());
    demo::add_mailbox(&state).await?;
    let shims = liveapid::shims::install(&dir.join("lib"))?;
    let front = demo_https(&state, locator, &path, https).await?;
    let shadow = account.mail_etc().join("shadow");
    print!(
        "{}",
        demo::instructions(&demo::Places {
            dir: &dir,
            socket: &path,
            shadow: &shadow,
            perl_lib: &shims.perl_lib,
            php_dir: &shims.php_dir,
            bin: &account.bin,
            https: front.as_ref().map(|f| demo::Https {
                address: f.front.addresses[0],
                fingerprint: &f.front.fingerprint,
                token_name: &f.token_name,
                token: &f.token,
            }),
        })
    );
    println!();
    println!("Press Ctrl-C to stop.");
    serve(Engine::new(state), &path, ServerOptions::default()).await?;
    if let Some(front) = front {
        front.front.finish().await;
    }
    println!("liveapid demo: stopped");
    Ok(ExitCode::SUCCESS)
}

async fn run_script(
    socket_path: Option<PathBuf>,
    account: OptionalAccountArgs,
    script: Vec<String>,
) -> Result<ExitCode> {
    // Caught from the start: an interrupted run still removes its private socket.
    let termination = Termination::install()?;
    let target =
        match (socket_path, account.user) {
            (Some(path), _) => Target::Socket(path),
            (None, Some(user)) => Target::Account {
                user,
                root: account.root,
                home: account.home,
            },
            (None, None) => return Err(Error::Config(
                "give --user (serve an account for the script) or --socket (use a running daemon)"
                    .into(),
            )),
        };
    live_script::run(target, &script, termination)
        .await
        .map(ExitCode::from)
}

/// The demo's HTTPS front end and the API token made for it.
struct DemoHttps {
    front: liveapid::https::Running,
    token_name: String,
    token: zeroize::Zeroizing<String>,
}

/// The demo's HTTPS front end (self-signed) on `address` ("off": none), with
/// a fresh API token. A port in use is no error: the demo then serves its
/// socket only, and says so.
async fn demo_https(
    state: &AccountState,
    locator: AccountLocator,
    socket: &Path,
    address: &str,
) -> Result<Option<DemoHttps>> {
    use liveapid::api::{Args as UapiArgs, Caller};
    use liveapid::https::{self, Accounts, HttpsConfig, ServedAccount};
    if address == "off" {
        return Ok(None);
    }
    let address: std::net::SocketAddr = address
        .parse()
        .map_err(|_| Error::Config(format!("--https {address}: not an ADDR:PORT")))?;
    let config = HttpsConfig {
        https_listen: vec![address],
        ..HttpsConfig::default()
    };
    let served = ServedAccount {
        locator,
        socket: socket.to_owned(),
        stuck: None,
    };
    let front = match https::start(&config, Accounts::new([served]), None).await {
        Ok(Some(front)) => front,
        Ok(None) => return Ok(None),
        Err(e) => {
            println!("(no HTTPS: {e}; try --https 127.0.0.1:PORT)");
            println!();
            return Ok(None);
        }
    };
    let token_name = format!(
        "demo-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let created = liveapid::dispatch::uapi(
        state,
        Caller::this_process(),
        "Tokens",
        "create_full_access",
        Ok(UapiArgs::from_pairs([("name", token_name.as_str())])),
    )
    .await;
    let token = zeroize::Zeroizing::new(
        created.data["token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    Ok(Some(DemoHttps {
        front,
        token_name,
        token,
    }))
}
