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
use liveapid::shutdown::Termination;
use liveapid::{demo, shims, socket, Engine, Error, Result};

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
            serve(engine, &path, options).await?;
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

/// Binds `path` and serves until SIGTERM or SIGINT.
async fn serve(engine: Engine, path: &Path, options: ServerOptions) -> Result<()> {
    // Before the bind, so that a signal the instant the socket exists is caught.
    let mut termination = Termination::install()?;
    let (listener, socket_file) = socket::bind(path)?;
    tracing::info!(socket = %socket_file.path().display(), user = engine_user(&engine), "listening");
    server::run(listener, Arc::new(engine), options, termination.recv()).await;
    drop(socket_file); // removes the socket file
    Ok(())
}

fn engine_user(engine: &Engine) -> String {
    engine.account().map(|a| a.user).unwrap_or_default()
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
    serve(engine, &path, ServerOptions::default()).await?;
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
    let scratch = tempfile::Builder::new().prefix("liveapid-run-").tempdir()?;
    let shims = shims::install(scratch.path())?;
    let script = Script::new(&script, &shims);
    match (socket_path, account.user) {
        (Some(path), _) => {
            if !path.exists() {
                return Err(Error::Config(format!(
                    "no LiveAPI socket at {}; start one with `liveapid serve` or `liveapid demo`",
                    path.display()
                )));
            }
            script.run(&path, termination).await
        }
        (None, Some(user)) => {
            let locator = AccountLocator::new(&user, &account.root, account.home.as_deref())?;
            let path = scratch.path().join("live.sock");
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
            let status = script.run(&path, termination).await;
            let _ = stop_tx.send(());
            let _ = server.await;
            status
        }
        (None, None) => Err(Error::Config(
            "give --user (serve an account for the script) or --socket (use a running daemon)"
                .into(),
        )),
    }
}

/// A live script and how to start it.
struct Script {
    program: String,
    args: Vec<String>,
    perl5lib: std::ffi::OsString,
}

impl Script {
    /// `php SCRIPT` for PHP files (with the shim's directory on the include
    /// path), `perl SCRIPT` for Perl files, the script itself otherwise.
    fn new(script: &[String], shims: &shims::ShimPaths) -> Script {
        let path = &script[0];
        let lower = path.to_ascii_lowercase();
        let (program, args) = if lower.ends_with(".php") || lower.ends_with(".livephp") {
            let mut args = php_include_path(&shims.php_dir)
                .map(|p| vec!["-d".to_owned(), format!("include_path={p}")])
                .unwrap_or_default();
            args.extend(script.iter().cloned());
            ("php".to_owned(), args)
        } else if lower.ends_with(".pl") || lower.ends_with(".livepl") {
            ("perl".to_owned(), script.to_vec())
        } else {
            (path.clone(), script[1..].to_vec())
        };
        let perl5lib = shims::perl5lib(&shims.perl_lib, std::env::var_os("PERL5LIB").as_deref());
        Script {
            program,
            args,
            perl5lib,
        }
    }

    /// Runs the script against `socket_path`; its exit status. A SIGTERM or
    /// SIGINT to liveapid is passed on to the script, and liveapid waits for it.
    async fn run(&self, socket_path: &Path, mut termination: Termination) -> Result<ExitCode> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .env("CPANEL_CONNECT_SOCKET", socket_path)
            .env("CPANEL_PHPCONNECT_SOCKET", socket_path)
            .env("PERL5LIB", &self.perl5lib)
            .spawn()
            .map_err(|e| Error::Config(format!("cannot run {}: {e}", self.program)))?;
        let status = tokio::select! {
            status = child.wait() => status,
            () = termination.recv() => {
                if let Some(pid) = child.id() {
                    // SAFETY: kill(2) on our own child's pid; no memory is passed.
                    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
                }
                child.wait().await
            }
        }
        .map_err(|e| Error::Config(format!("cannot wait for {}: {e}", self.program)))?;
        Ok(match status.code() {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => {
                use std::os::unix::process::ExitStatusExt;
                // Killed by a signal: the shell's convention, 128 + signal.
                ExitCode::from(128u8.saturating_add(status.signal().unwrap_or(0) as u8))
            }
        })
    }
}

/// PHP's include path with `dir` added after `.`; `None` when PHP cannot
/// say what its own path is (the script then runs with PHP's default).
fn php_include_path(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("php")
        .args(["-r", "echo get_include_path();"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let current = String::from_utf8(out.stdout).ok()?;
    let rest: Vec<&str> = current
        .split(':')
        .filter(|p| *p != "." && !p.is_empty())
        .collect();
    let mut parts = vec![".".to_owned(), dir.display().to_string()];
    parts.extend(rest.iter().map(|p| (*p).to_owned()));
    Some(parts.join(":"))
}
