//! What `liveapid demo` prints: the line that points a shell at the demo,
//! then the five ways cPanel documents to call `Email::passwd_pop`, each
//! ready to paste and working as printed against the demo's own account.
//!
//! The shape is kept simple on purpose, because `tests/cli.rs` runs what is
//! printed: the set-up line starts with `  export `, each way is a heading
//! indented by two spaces, and its command lines are indented by four (run
//! together in one shell, after the set-up line).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use super::{DOMAIN, MAILBOX, PASSWORD, USER};

/// Where the demo's parts are, for the printed lines.
#[derive(Debug)]
pub struct Places<'a> {
    /// The directory that holds everything.
    pub dir: &'a Path,
    /// The LiveAPI socket.
    pub socket: &'a Path,
    /// The mailbox's shadow file.
    pub shadow: &'a Path,
    /// For `PERL5LIB`: `Cpanel::LiveAPI` and the Template Toolkit plugin.
    pub perl_lib: &'a Path,
    /// For PHP's `include_path`: `cpanel.php`.
    pub php_dir: &'a Path,
    /// Holds `uapi`, for `PATH`.
    pub bin: &'a Path,
    /// The HTTPS front end, when it serves.
    pub https: Option<Https<'a>>,
}

/// The demo's HTTPS front end.
pub struct Https<'a> {
    pub address: SocketAddr,
    /// SHA-256 of the self-signed certificate.
    pub fingerprint: &'a str,
    /// The name of the demo's API token, and the token.
    pub token_name: &'a str,
    pub token: &'a str,
}

// Never shows the token.
impl std::fmt::Debug for Https<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Https")
            .field("address", &self.address)
            .field("token_name", &self.token_name)
            .finish_non_exhaustive()
    }
}

/// The text `liveapid demo` prints before it serves.
pub fn instructions(places: &Places<'_>) -> String {
    let mut out = String::new();
    let (dir, socket) = (shell_word(places.dir), shell_word(places.socket));
    let _ = writeln!(
        out,
        "liveapid demo: cPanel account “{USER}” (main domain {DOMAIN}) in {dir}"
    );
    let _ = writeln!(
        out,
        "  mailbox {MAILBOX}@{DOMAIN}, password {PASSWORD}: the password of cPanel's examples, \
         which this demo accepts (a real server's default minimum strength refuses it)"
    );
    out.push('\n');
    out.push_str("In another shell, point it at the demo:\n");
    let _ = writeln!(
        out,
        "  export CPANEL_CONNECT_SOCKET={socket} CPANEL_PHPCONNECT_SOCKET={socket} \
         PERL5LIB={} PATH={}:\"$PATH\"",
        shell_word(places.perl_lib),
        shell_word(places.bin),
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "Then set {MAILBOX}@{DOMAIN}'s password each way cPanel documents (each prints the result):"
    );
    let call =
        format!("email => \"{MAILBOX}\", password => \"{PASSWORD}\", domain => \"{DOMAIN}\"");
    let ways = [
        (
            "1. PHP, the CPANEL class".to_owned(),
            vec![format!(
                "php -d include_path={} -r 'require_once \"cpanel.php\"; $cpanel = new CPANEL(); \
                 $r = $cpanel->uapi(\"Email\", \"passwd_pop\", array(\"email\" => \"{MAILBOX}\", \
                 \"password\" => \"{PASSWORD}\", \"domain\" => \"{DOMAIN}\"))[\"cpanelresult\"][\"result\"]; \
                 echo $r[\"status\"] ? \"changed\\n\" : implode(\"; \", $r[\"errors\"]) . \"\\n\";'",
                shell_word(places.php_dir)
            )],
        ),
        (
            "2. Perl, Cpanel::LiveAPI".to_owned(),
            vec![format!(
                "perl -MCpanel::LiveAPI -e 'my $cpliveapi = Cpanel::LiveAPI->new(); \
                 my $r = $cpliveapi->uapi(\"Email\", \"passwd_pop\", {{{call}}})->{{cpanelresult}}{{result}}; \
                 print $r->{{status}} ? \"changed\\n\" : \"@{{$r->{{errors}}}}\\n\"'"
            )],
        ),
        (
            "3. Template Toolkit, execute()".to_owned(),
            vec![format!(
                "perl -MTemplate -e 'Template->new->process(\\q{{[% USE LiveAPI = Cpanel.LiveAPI %]\
                 [% r = LiveAPI.execute(\"Email\", \"passwd_pop\", {{{call}}}) %]\
                 [% r.status ? \"changed\" : r.errors.join(\"; \") %]}}) or die Template->error; print \"\\n\"'"
            )],
        ),
        (
            "4. The uapi command".to_owned(),
            vec![format!(
                "uapi --user={USER} Email passwd_pop email={MAILBOX} password={PASSWORD} domain={DOMAIN}"
            )],
        ),
    ];
    let mut ways = Vec::from(ways);
    if let Some(https) = &places.https {
        let base = format!("https://{}", https.address);
        let query = format!("email={MAILBOX}&password={PASSWORD}&domain={DOMAIN}");
        let jar = shell_word(&places.dir.join("cookies"));
        ways.push((
            format!(
                "5. HTTPS (self-signed; SHA-256 fingerprint {}), with the API token “{}”",
                https.fingerprint, https.token_name
            ),
            vec![format!(
                "curl -sSk -H 'Authorization: cpanel {USER}:{}' '{base}/execute/Email/passwd_pop?{query}'",
                https.token
            )],
        ));
        ways.push((
            format!(
                "5. HTTPS, the session URL /cpsess##########/..., after a webmail login as {MAILBOX}@{DOMAIN}"
            ),
            vec![
                format!(
                    "T=$(curl -sSk -c {jar} -d 'user={MAILBOX}@{DOMAIN}&pass={PASSWORD}' \
                     '{base}/login/?login_only=1' | sed -n 's/.*\"security_token\":\"\\([^\"]*\\)\".*/\\1/p')"
                ),
                format!("curl -sSk -b {jar} \"{base}$T/execute/Email/passwd_pop?{query}\""),
            ],
        ));
    }
    for (heading, lines) in ways {
        let _ = writeln!(out, "  {heading}:");
        for line in lines {
            let _ = writeln!(out, "    {line}");
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "The hash changes each time (a new salt): grep ^{MAILBOX}: {}",
        shell_word(places.shadow)
    );
    out
}

/// `path` as one shell word: as it is when it holds only characters no
/// shell treats specially, else in single quotes.
pub fn shell_word(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b));
    if plain {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places<'a>(dir: &'a Path, https: Option<Https<'a>>) -> Places<'a> {
        Places {
            dir,
            socket: dir,
            shadow: dir,
            perl_lib: dir,
            php_dir: dir,
            bin: dir,
            https,
        }
    }

    #[test]
    fn shell_words_quote_only_what_needs_it() {
        assert_eq!(
            shell_word(Path::new("/tmp/liveapid-demo-x1")),
            "/tmp/liveapid-demo-x1"
        );
        assert_eq!(shell_word(Path::new("/tmp/a b")), "'/tmp/a b'");
        assert_eq!(shell_word(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
        assert_eq!(shell_word(Path::new("/tmp/$x")), "'/tmp/$x'");
    }

    #[test]
    fn four_ways_without_https_and_five_with_it() {
        let dir = Path::new("/d");
        let text = instructions(&places(dir, None));
        let headings = |t: &str| {
            t.lines()
                .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
                .count()
        };
        assert_eq!(headings(&text), 4, "{text}");
        let https = Https {
            address: "127.0.0.1:2083".parse().unwrap(),
            fingerprint: "AB:CD",
            token_name: "demo-1",
            token: "TOKEN",
        };
        let text = instructions(&places(dir, Some(https)));
        assert_eq!(headings(&text), 6, "{text}");
        assert!(text.contains("cpanel demo:TOKEN"), "{text}");
        assert!(text.contains("/cpsess"), "{text}");
        assert!(text.contains("  export CPANEL_CONNECT_SOCKET=/d CPANEL_PHPCONNECT_SOCKET=/d "));
    }
}
