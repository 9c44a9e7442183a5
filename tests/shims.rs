//! The PHP and Perl shims, run by their own suites (PHPUnit, prove) against
//! the repository's reference server (`tests/support/reference-server`) and
//! against this build of liveapid, and the seed examples run unchanged
//! through `liveapid run`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{libxcrypt_verifies, ScratchAccount, OLD_PASSWORD};

fn run_suite(dir: &str, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(common::repo().join(dir))
        .env("LIVEAPID_BIN", env!("CARGO_BIN_EXE_liveapid"))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} (install it: scripts/test-all does): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} in {dir} failed:\n{text}");
    // Print the suite's summary into the cargo test output.
    for line in text.lines().rev().take(3) {
        println!("{dir}: {line}");
    }
    assert!(
        !text.contains("Skipped") && !text.to_lowercase().contains(" skipped"),
        "no liveapid test may be skipped here:\n{text}"
    );
}

#[test]
fn php_shim_suite_passes() {
    run_suite("bindings/php", "phpunit", &["--colors=never"]);
}

#[test]
fn perl_shim_suite_passes() {
    run_suite("bindings/perl", "prove", &["-lr", "t"]);
}

/// Runs a command in `dir`, panicking with its output when it fails.
fn run_in(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("LIVEAPID_BIN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} {args:?} in {} failed:\n{text}",
        dir.display()
    );
    text
}

/// The Perl distribution as a user gets it: `make dist` in a copy of the
/// files the repository tracks for it (so the source tree stays clean), the
/// tarball unpacked where no repository is around, and its own `make test`.
#[test]
fn perl_dist_tests_pass_without_the_repository() {
    let repo = common::repo();
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("repo");
    let manifest = std::fs::read_to_string(repo.join("bindings/perl/MANIFEST")).unwrap();
    let mut files: Vec<String> = manifest
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|name| format!("bindings/perl/{name}"))
        .collect();
    files.push("tests/golden/vectors.json".into());
    files.push("tests/support/reference-server".into());
    for file in &files {
        let target = copy.join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(repo.join(file), &target).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let dist_src = copy.join("bindings/perl");
    run_in(&dist_src, "perl", &["Makefile.PL"]);
    run_in(&dist_src, "make", &["dist"]);
    let tarball = std::fs::read_dir(&dist_src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("make dist made no tarball");

    let unpacked = work.path().join("elsewhere");
    std::fs::create_dir(&unpacked).unwrap();
    run_in(&unpacked, "tar", &["xzf", tarball.to_str().unwrap()]);
    std::fs::remove_dir_all(&copy).unwrap();
    let dist = std::fs::read_dir(&unpacked)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    run_in(&dist, "perl", &["Makefile.PL"]);
    run_in(&dist, "make", &[]);
    let text = run_in(&dist, "make", &["test"]);
    for line in text.lines().rev().take(3) {
        println!("perl dist: {line}");
    }
    assert!(text.contains("Result: PASS"), "{text}");
    // Only the daemon tests may skip there, and they must say why.
    let skipped: Vec<&str> = text.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skipped.len(), 1, "{text}");
    assert!(
        skipped[0].contains("20-liveapid.t") && skipped[0].contains("LIVEAPID_BIN is not set"),
        "{text}"
    );
}

#[test]
fn the_seed_examples_run_unchanged_under_liveapid_run() {
    let account = ScratchAccount::new(&["--min-strength", "60"]);
    let repo = common::repo();
    for (script, password) in [
        (
            "bindings/php/examples/passwd_pop.live.php",
            "Php-Seed-Pass-41",
        ),
        (
            "bindings/perl/examples/passwd_pop.live.pl",
            "Perl-Seed-Pass-42",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .args(["run", "--user", "demo", "--root"])
            .arg(account.root())
            .arg("--home")
            .arg(account.home())
            .arg(repo.join(script))
            .arg(password)
            // As on a cPanel host, where Cpanel::LiveAPI is in @INC.
            .env("PERL5LIB", repo.join("bindings/perl/lib"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{script}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("\"status\":1") || stdout.contains("\"status\" : 1"),
            "{script}: {stdout}"
        );
        let hash = account.hash_of("user", "example.com");
        assert!(libxcrypt_verifies(password, &hash), "{script}");
        assert!(!libxcrypt_verifies(OLD_PASSWORD, &hash));
    }
    // The default seed password, 12345luggage, rates 63: refused at 65.
    account.set_min_strength(65);
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .args(["run", "--user", "demo", "--root"])
        .arg(account.root())
        .arg("--home")
        .arg(account.home())
        .arg(repo.join("bindings/php/examples/passwd_pop.live.php"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("strength rating of 65 or higher"));
}
