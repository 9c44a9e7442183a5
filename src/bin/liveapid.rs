//! The `liveapid` command: `serve` an account, run the `demo`, or `run` a
//! live script against an account. Argument parsing and exit codes live
//! here; the work is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use liveapid::account::AccountLocator;
use liveapid::after_change::AfterChange;
use liveapid::server::{self, ServerOptions};
use liveapid::{demo, socket, Engine, Error, Result};

#[derive(Parser)]
#[command(
    name = "liveapid",
    version,
    about = "A LiveAPI engine for cPanel-style hosting accounts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve one cPanel account on a LiveAPI socket until SIGTERM or SIGINT.
    Serve {
        #[command(flatten)]
        account: AccountArgs,
        /// Socket path [default: $XDG_RUNTIME_DIR/liveapid/USER.sock, or
        /// /run/liveapid/USER.sock for root, or /tmp/liveapid-UID/USER.sock].
        #[arg(long)]
        socket: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
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
    },
    /// Run a live script (.php, .pl or any executable) against an account,
    /// with CPANEL_CONNECT_SOCKET and CPANEL_PHPCONNECT_SOCKET set, as cPanel
    /// runs .live.php/.live.pl scripts. Exits with the script's status.
    Run {
        /// Use this running daemon's socket instead of serving the account
        /// on a private socket for the script's lifetime.
        #[arg(long, conflicts_with = "user")]
        socket: Option<PathBuf>,
        #[command(flatten)]
        account: OptionalAccountArgs,
        /// The script, then its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        script: Vec<String>,
    },
}

#[derive(Args)]
struct AccountArgs {
    /// The cPanel account's user name.
    #[arg(long)]
    user: String,
    /// The account's home directory [default: from ROOT/etc/passwd].
    #[arg(long)]
    home: Option<PathBuf>,
    /// Prefix of the system files (var/cpanel/users/USER, var/cpanel/cpanel.config, etc/passwd).
    #[arg(long, default_value = "/")]
    root: PathBuf,
}

#[derive(Args)]
struct OptionalAccountArgs {
    /// The cPanel account to serve for the script.
    #[arg(long, required_unless_present = "socket")]
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
    /// Connections served at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIVEAPID_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("liveapid: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("liveapid: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Serve {
            account,
            socket,
            server,
        } => {
            let locator =
                AccountLocator::new(&account.user, &account.root, account.home.as_deref())?;
            let path = socket.unwrap_or_else(|| socket::default_path(&account.user));
            let options = server.options()?;
            let engine = Engine::new(locator).with_after_change(server.after_change()?);
            serve(engine, &path, options, None).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dir, socket } => run_demo(dir, socket).await,
        Command::Run {
            socket,
            account,
            script,
        } => run_script(socket, account, script).await,
    }
}

impl ServerArgs {
    fn options(&self) -> Result<ServerOptions> {
        Ok(ServerOptions {
            max_payload: self.max_request_bytes,
            max_connections: self.max_connections.max(1),
            keepalive: seconds("--keepalive-secs", self.keepalive_secs)?,
        })
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

/// Binds `path` and serves until a signal (or until `until` completes).
async fn serve(
    engine: Engine,
    path: &Path,
    options: ServerOptions,
    until: Option<tokio::sync::oneshot::Receiver<()>>,
) -> Result<()> {
    let (listener, socket_file) = socket::bind(path)?;
    tracing::info!(socket = %socket_file.path().display(), user = engine_user(&engine), "listening");
    let stop = async {
        match until {
            Some(rx) => {
                tokio::select! {
                    _ = rx => {}
                    r = termination() => r?,
                }
            }
            None => termination().await?,
        }
        Ok::<(), Error>(())
    };
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel();
    let stop = async move {
        let r = stop.await;
        let _ = stopped_tx.send(r);
    };
    server::run(listener, Arc::new(engine), options, stop).await;
    drop(socket_file); // removes the socket file
    match stopped_rx.await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}

fn engine_user(engine: &Engine) -> String {
    engine.account().map(|a| a.user).unwrap_or_default()
}

/// SIGTERM or SIGINT.
async fn termination() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

async fn run_demo(dir: Option<PathBuf>, socket_path: Option<PathBuf>) -> Result<ExitCode> {
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
    let shadow = account.mail_etc().join("shadow");
    let sock = path.display();
    println!(
        "liveapid demo: cPanel account “{}” (main domain {}) in {}",
        demo::USER,
        demo::DOMAIN,
        dir.display()
    );
    println!(
        "  mailbox {}@{}; its password file: {}",
        demo::MAILBOX,
        demo::DOMAIN,
        shadow.display()
    );
    println!();
    println!("Point a script at it:");
    println!("  export CPANEL_CONNECT_SOCKET={sock} CPANEL_PHPCONNECT_SOCKET={sock}");
    println!();
    println!("Then try, from the liveapid checkout:");
    println!("  php bindings/php/examples/passwd_pop.live.php 'Choose-A-Strong-One-42'");
    println!("  perl -Ibindings/perl/lib bindings/perl/examples/passwd_pop.live.pl 'Choose-A-Strong-One-42'");
    println!("  grep ^user: {}", shadow.display());
    println!();
    println!("Press Ctrl-C to stop.");
    let engine = Engine::new(locator);
    demo::add_mailbox(&engine).await?;
    serve(engine, &path, ServerOptions::default(), None).await?;
    println!("liveapid demo: stopped");
    Ok(ExitCode::SUCCESS)
}

async fn run_script(
    socket_path: Option<PathBuf>,
    account: OptionalAccountArgs,
    script: Vec<String>,
) -> Result<ExitCode> {
    let (program, args) = interpreter(&script);
    match socket_path {
        Some(path) => {
            if !path.exists() {
                return Err(Error::Config(format!(
                    "no LiveAPI socket at {}; start one with `liveapid serve` or `liveapid demo`",
                    path.display()
                )));
            }
            spawn_script(&program, &args, &path).await
        }
        None => {
            let user = account.user.expect("clap requires --user without --socket");
            let locator = AccountLocator::new(&user, &account.root, account.home.as_deref())?;
            let dir = tempfile::Builder::new().prefix("liveapid-run-").tempdir()?;
            let path = dir.path().join("live.sock");
            let (listener, _socket_file) = socket::bind(&path)?;
            let engine = Arc::new(Engine::new(locator));
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(server::run(
                listener,
                engine,
                ServerOptions::default(),
                async {
                    let _ = stop_rx.await;
                },
            ));
            let status = spawn_script(&program, &args, &path).await;
            let _ = stop_tx.send(());
            let _ = server.await;
            status
        }
    }
}

/// `php SCRIPT` for PHP files, `perl SCRIPT` for Perl files, the script
/// itself otherwise.
fn interpreter(script: &[String]) -> (String, Vec<String>) {
    let path = &script[0];
    let lower = path.to_ascii_lowercase();
    let by = |program: &str| (program.to_owned(), script.to_vec());
    if lower.ends_with(".php") || lower.ends_with(".livephp") {
        by("php")
    } else if lower.ends_with(".pl") || lower.ends_with(".livepl") {
        by("perl")
    } else {
        (path.clone(), script[1..].to_vec())
    }
}

async fn spawn_script(program: &str, args: &[String], socket_path: &Path) -> Result<ExitCode> {
    let status = tokio::process::Command::new(program)
        .args(args)
        .env("CPANEL_CONNECT_SOCKET", socket_path)
        .env("CPANEL_PHPCONNECT_SOCKET", socket_path)
        .status()
        .await
        .map_err(|e| Error::Config(format!("cannot run {program}: {e}")))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            use std::os::unix::process::ExitStatusExt;
            // Killed by a signal: the shell's convention, 128 + signal.
            ExitCode::from(128u8.saturating_add(status.signal().unwrap_or(0) as u8))
        }
    })
}
