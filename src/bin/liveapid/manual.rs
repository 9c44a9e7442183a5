//! `liveapid man DIR`: the manual pages, rendered by clap_mangen from the
//! very definitions that parse the command lines, so they cannot drift:
//! liveapid(8), one page per subcommand (liveapid-serve(8), ...), and uapi(1).
//! Each page also gets EXAMPLES and FILES sections, written here.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use super::Cli;

/// Writes every page to `dir`.
pub fn write_all(dir: &Path) -> ExitCode {
    match write_pages(dir) {
        Ok(names) => {
            for name in names {
                println!("{}", dir.join(name).display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("liveapid man: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn write_pages(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    let liveapid = Cli::command();
    pages_of(dir, &liveapid, "liveapid", "liveapid", &mut names)?;
    let uapi = liveapid::command_line::cli::Cli::command();
    names.push(page(dir, uapi, "uapi", "1")?);
    Ok(names)
}

/// The page of `command` (named `name`, run as `bin`), then one page per
/// subcommand, theirs included (liveapid-account-add(8)).
fn pages_of(
    dir: &Path,
    command: &clap::Command,
    name: &str,
    bin: &str,
    names: &mut Vec<String>,
) -> std::io::Result<()> {
    // The page's title and synopsis name the whole command.
    let this = command
        .clone()
        .name(name.to_owned())
        .bin_name(bin.to_owned())
        .disable_help_subcommand(true);
    names.push(page(dir, this, name, "8")?);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_name = format!("{name}-{}", sub.get_name());
        let sub_bin = format!("{bin} {}", sub.get_name());
        pages_of(dir, sub, &sub_name, &sub_bin, names)?;
    }
    Ok(())
}

/// Renders `command` as `dir/NAME.SECTION`; the file's name.
fn page(dir: &Path, command: clap::Command, name: &str, section: &str) -> std::io::Result<String> {
    let file = format!("{name}.{section}");
    let man = clap_mangen::Man::new(command.clone())
        .title(name.to_uppercase())
        .section(section)
        .manual("liveapid");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let (examples, files) = extra_sections(name);
    out.extend_from_slice(examples_section(examples).as_bytes());
    out.extend_from_slice(files_section(files).as_bytes());
    if command.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    std::fs::write(dir.join(&file), out)?;
    Ok(file)
}

/// One example: what it does, and the command lines.
type Example = (&'static str, &'static [&'static str]);

const SEED_FORMS: &[Example] = &[
    (
        "Change the password of user@example.com, each way cPanel documents (the account is bob; a script sets CPANEL_CONNECT_SOCKET to /run/liveapid/bob.sock):",
        &[
            "$cpanel->uapi('Email', 'passwd_pop', array('email' => 'user', 'password' => '12345luggage', 'domain' => 'example.com'));   # PHP, the CPANEL class",
            "$cpliveapi->uapi('Email', 'passwd_pop', {email => 'user', password => '12345luggage', domain => 'example.com'});   # Perl, Cpanel::LiveAPI",
            "[% execute('Email', 'passwd_pop', {email => 'user', password => '12345luggage', domain => 'example.com'}) %]   # Template Toolkit",
            "uapi --user=bob Email passwd_pop email=user password=12345luggage domain=example.com",
            "curl -H 'Authorization: cpanel bob:TOKEN' 'https://host:2083/execute/Email/passwd_pop?email=user&password=12345luggage&domain=example.com'",
        ],
    ),
];

const SERVE_EXAMPLES: &[Example] = &[
    (
        "Serve every account as root, one worker per account, flushing Dovecot's cache after each change:",
        &["liveapid serve --all --after-password-change 'doveadm auth cache flush %u'"],
    ),
    (
        "Serve bob as bob, on a socket of his:",
        &["liveapid serve --user bob --socket /home/bob/.liveapi/live.sock"],
    ),
    (
        "Add cPanel's HTTPS form of every call (self-signed unless given a pair):",
        &["liveapid serve --all --https 0.0.0.0:2083 --https 0.0.0.0:2096 --tls-cert /etc/liveapid/cert.pem --tls-key /etc/liveapid/key.pem"],
    ),
];

const DEMO_EXAMPLES: &[Example] = &[
    (
        "A scratch account in a temporary directory; it prints the five ways to change its mailbox's password:",
        &["liveapid demo"],
    ),
    (
        "Keep the account in a directory, without HTTPS:",
        &["liveapid demo --dir /tmp/demo --https off"],
    ),
];

const RUN_EXAMPLES: &[Example] = &[
    (
        "Run a live script as root against bob's account (the script runs as bob):",
        &["liveapid run --user bob /usr/local/cpanel/base/frontend/jupiter/plugin/change.live.php"],
    ),
    (
        "Run it against a daemon already serving the account:",
        &["liveapid run --socket /run/liveapid/bob.sock passwd_pop.live.pl"],
    ),
];

const ACCOUNT_EXAMPLES: &[Example] = &[
    (
        "As root, make the system user bob a cPanel account with two domains, then a mailbox, then check it with Dovecot:",
        &[
            "liveapid account add --user bob --domain example.com --domain example.net",
            "uapi --user=bob Email add_pop email=info password=- domain=example.com",
            "doveadm auth test info@example.com",
        ],
    ),
    (
        "Undo it, keeping the mail (add --delete-mail to delete it too):",
        &["liveapid account remove --user bob"],
    ),
];

const CHECK_CONFIG_EXAMPLES: &[Example] = &[(
    "Check a file before installing it, and print every setting in force:",
    &["liveapid check-config --config ./liveapid.toml"],
)];

const UAPI_EXAMPLES: &[Example] = &[
    (
        "As root, change user@example.com's password, read from standard input:",
        &["uapi --user=bob Email passwd_pop email=user password=- domain=example.com"],
    ),
    (
        "cPanel's documented line (the password is then visible in ps):",
        &["uapi --user=bob Email passwd_pop email=user password=12345luggage domain=example.com"],
    ),
    (
        "As bob, his mailboxes whose address starts with \"info\":",
        &["uapi Email list_pops regex=%5Einfo --output=jsonpretty"],
    ),
];

/// One file: its path, and what it is.
type File = (&'static str, &'static str);

const CONFIG_FILE: File = (
    "/etc/liveapid/liveapid.toml",
    "the settings; each key is the serve flag of the same name",
);
const ACCOUNT_FILES: &[File] = &[
    (
        "/var/cpanel/users/USER",
        "the cPanel user file: the account's domains (DNS=, DNS1=, ...), MAXPOP, quotas",
    ),
    (
        "/var/cpanel/cpanel.config",
        "server-wide settings: minpwstrength, minpwstrength_virtual, the default quota",
    ),
    (
        "~USER/etc/DOMAIN/passwd, shadow, quota",
        "a domain's mailboxes, their hashes (read by Dovecot) and quotas",
    ),
    ("~USER/mail/DOMAIN/LOCALPART/", "a mailbox's Maildir"),
    (
        "~USER/.liveapid/api_tokens",
        "the hashes of the account's API tokens",
    ),
];
const SOCKET_FILES: &[File] = &[
    (
        "/run/liveapid/USER.sock",
        "an account's socket as root serves it (owned by the account, mode 0600)",
    ),
    (
        "/etc/pam.d/liveapid",
        "the PAM service of HTTPS account logins",
    ),
];

/// The EXAMPLES and FILES of the page `name`.
fn extra_sections(name: &str) -> (Vec<Example>, Vec<File>) {
    let account = ACCOUNT_FILES.iter().copied();
    match name {
        "liveapid" => (
            [SEED_FORMS, DEMO_EXAMPLES, SERVE_EXAMPLES].concat(),
            std::iter::once(CONFIG_FILE)
                .chain(account)
                .chain(SOCKET_FILES.iter().copied())
                .collect(),
        ),
        "liveapid-serve" => (
            [SERVE_EXAMPLES, SEED_FORMS].concat(),
            std::iter::once(CONFIG_FILE)
                .chain(account)
                .chain(SOCKET_FILES.iter().copied())
                .collect(),
        ),
        "liveapid-demo" => (
            DEMO_EXAMPLES.to_vec(),
            vec![
                ("DIR/live.sock", "the demo account's socket"),
                ("DIR/bin/uapi", "the uapi command for the demo account"),
                (
                    "DIR/home/demo/etc/example.com/shadow",
                    "the demo mailbox's hash",
                ),
            ],
        ),
        "liveapid-run" => (RUN_EXAMPLES.to_vec(), account.collect()),
        "liveapid-account" | "liveapid-account-add" | "liveapid-account-remove" => {
            (ACCOUNT_EXAMPLES.to_vec(), account.collect())
        }
        "liveapid-check-config" => (CHECK_CONFIG_EXAMPLES.to_vec(), vec![CONFIG_FILE]),
        "uapi" => (UAPI_EXAMPLES.to_vec(), account.collect()),
        _ => (Vec::new(), Vec::new()),
    }
}

fn examples_section(examples: Vec<Example>) -> String {
    let mut roff = String::from(".SH EXAMPLES\n");
    for (what, lines) in examples {
        roff.push_str(&format!(".PP\n{}\n.PP\n.RS 4\n.nf\n", escape(what)));
        for line in lines {
            roff.push_str(&escape(line));
            roff.push('\n');
        }
        roff.push_str(".fi\n.RE\n");
    }
    roff
}

fn files_section(files: Vec<File>) -> String {
    let mut roff = String::from(".SH FILES\n");
    for (path, what) in files {
        roff.push_str(&format!(
            ".TP\n\\fI{}\\fR\n{}\n",
            escape(path),
            escape(what)
        ));
    }
    roff
}

/// Text as roff shows it literally: backslashes and hyphens escaped, and a
/// line that would start with a control character made safe.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
