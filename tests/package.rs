//! The Debian package that `scripts/build-deb` makes: every file an
//! operator needs is in it at its place, the configuration files are
//! conffiles, the units are `Type=notify`, and what it ships works.
//!
//! `scripts/test-all` builds the package first and names it in
//! `LIVEAPID_DEB`; then a missing package fails this test. A plain `cargo
//! test` has no package and says that it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The package to check, or `None` (having said why) when none was built.
fn package() -> Option<PathBuf> {
    match std::env::var_os("LIVEAPID_DEB") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "LIVEAPID_DEB names {}, which does not exist: scripts/build-deb failed?",
                path.display()
            );
            Some(path)
        }
        None => {
            println!("skipped: no package to check; scripts/test-all builds it (scripts/build-deb) and names it in LIVEAPID_DEB");
            None
        }
    }
}

fn dpkg_deb(args: &[&str], deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The paths in the package's data, as `/usr/bin/liveapid`.
fn files(deb: &Path) -> Vec<String> {
    dpkg_deb(&["-c"], deb)
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|path| path.trim_start_matches('.').to_owned())
        .collect()
}

const EXPECTED_FILES: &[&str] = &[
    "/usr/bin/liveapid",
    "/usr/bin/uapi",
    "/usr/lib/systemd/system/liveapid@.socket",
    "/usr/lib/systemd/system/liveapid@.service",
    "/usr/lib/systemd/system/liveapid.service",
    "/usr/share/liveapid/php/cpanel.php",
    "/usr/share/perl5/Cpanel/LiveAPI.pm",
    "/usr/share/perl5/Cpanel/LiveAPI/Result.pm",
    "/usr/share/perl5/Cpanel/LiveAPI/Template.pm",
    "/usr/share/perl5/Template/Plugin/Cpanel/LiveAPI.pm",
    "/usr/share/man/man8/liveapid.8.gz",
    "/usr/share/man/man8/liveapid-serve.8.gz",
    "/usr/share/man/man1/uapi.1.gz",
    "/etc/liveapid/liveapid.toml",
    "/etc/pam.d/liveapid",
];

#[test]
fn the_package_has_every_file_at_its_place() {
    let Some(deb) = package() else { return };
    let arch = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .unwrap();
    let arch = String::from_utf8(arch.stdout).unwrap();
    assert_eq!(
        deb.file_name().unwrap().to_string_lossy(),
        format!("liveapid_{}_{}.deb", env!("CARGO_PKG_VERSION"), arch.trim())
    );
    let files = files(&deb);
    for expected in EXPECTED_FILES {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} is missing: {files:?}"
        );
    }
    // Every manual page `liveapid man` writes is shipped.
    let pages = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_liveapid"))
        .arg("man")
        .arg(pages.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in std::fs::read_dir(pages.path()).unwrap() {
        let name = page.unwrap().file_name().to_string_lossy().into_owned();
        let section = name.rsplit('.').next().unwrap();
        let shipped = format!("/usr/share/man/man{section}/{name}.gz");
        assert!(
            files.contains(&shipped),
            "{shipped} is not in the package (Cargo.toml's deb assets)"
        );
    }
    let field = |name: &str| {
        dpkg_deb(&["-f"], &deb)
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
    };
    assert_eq!(field("Package").as_deref(), Some("liveapid"));
    assert_eq!(field("Version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let depends = field("Depends").expect("Depends");
    // libpam0g from the binary's links, pam_unix.so for /etc/pam.d/liveapid.
    for needed in ["libc6", "libpam0g", "libpam-modules"] {
        assert!(depends.contains(needed), "Depends: {depends}");
    }
    // Upgrades keep the operator's edits.
    let out = Command::new("dpkg-deb")
        .args(["-I"])
        .arg(&deb)
        .arg("conffiles")
        .output()
        .unwrap();
    let conffiles = String::from_utf8(out.stdout).unwrap();
    for conffile in ["/etc/liveapid/liveapid.toml", "/etc/pam.d/liveapid"] {
        assert!(conffiles.lines().any(|l| l == conffile), "{conffiles}");
    }
}

#[test]
fn the_packaged_units_and_files_work_as_shipped() {
    let Some(deb) = package() else { return };
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let read = |path: &str| std::fs::read_to_string(dir.path().join(path)).unwrap();
    let lines = |path: &str| -> Vec<String> { read(path).lines().map(str::to_owned).collect() };
    let has = |path: &str, line: &str| {
        assert!(
            lines(path).iter().any(|l| l == line),
            "{path} has no line {line:?}:\n{}",
            read(path)
        )
    };
    let units = "usr/lib/systemd/system";
    has(&format!("{units}/liveapid@.service"), "Type=notify");
    has(&format!("{units}/liveapid@.service"), "User=%i");
    has(
        &format!("{units}/liveapid@.service"),
        "ExecStart=/usr/bin/liveapid serve --user %i --log-format json",
    );
    has(&format!("{units}/liveapid.service"), "Type=notify");
    has(&format!("{units}/liveapid@.socket"), "SocketUser=%i");
    has(&format!("{units}/liveapid@.socket"), "SocketMode=0600");
    has(
        &format!("{units}/liveapid@.socket"),
        "ListenStream=/run/liveapid/%i.sock",
    );
    has(
        "etc/pam.d/liveapid",
        "auth     required pam_unix.so nodelay",
    );
    has("etc/pam.d/liveapid", "account  required pam_unix.so");

    // The shipped binary accepts the shipped configuration.
    let binary = dir.path().join("usr/bin/liveapid");
    let out = Command::new(&binary)
        .arg("check-config")
        .arg("--config")
        .arg(dir.path().join("etc/liveapid/liveapid.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all = true"));

    // The manual pages are man pages of the shipped commands.
    for (page, title) in [
        ("usr/share/man/man8/liveapid.8.gz", ".TH LIVEAPID 8"),
        (
            "usr/share/man/man8/liveapid-serve.8.gz",
            ".TH LIVEAPID-SERVE 8",
        ),
        ("usr/share/man/man1/uapi.1.gz", ".TH UAPI 1"),
    ] {
        let out = Command::new("zcat")
            .arg(dir.path().join(page))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(title), "{page}: {text}");
    }
    let serve = Command::new("zcat")
        .arg(dir.path().join("usr/share/man/man8/liveapid-serve.8.gz"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&serve.stdout).contains("max\\-request\\-bytes"));
}
