//! The README's own set-up commands, as a newcomer runs them on a fresh
//! clone: the first one must start the demo, and every way the demo prints
//! must then change the mailbox's password as printed.

mod common;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::demo::Printed;

/// The commands of the README's "Set-up: two commands" section: the lines
/// of its `sh` blocks, in order.
fn set_up_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Set-up: two commands"))
        .expect("README has a \"Set-up: two commands\" section");
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .flat_map(|block| block.lines().map(str::trim).map(str::to_owned))
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Where this test binary's cargo builds: the fresh clone builds there too,
/// so that it compiles only the crate itself, not every dependency again.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // target/<profile>/deps/readme-HASH
            let exe = std::env::current_exe().unwrap();
            exe.ancestors().nth(3).unwrap().to_owned()
        })
}

#[test]
fn the_readme_names_two_set_up_commands() {
    assert_eq!(
        set_up_commands(),
        ["cargo run --release -- demo", "scripts/test-all"],
        "README's set-up section changed: update this test and the demo tests together"
    );
}

#[test]
fn the_first_set_up_command_starts_the_demo_in_a_fresh_clone() {
    let commands = set_up_commands();
    let clone = tempfile::Builder::new()
        .prefix("liveapid-clone-")
        .tempdir()
        .unwrap();
    let status = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(common::repo())
        .arg(clone.path().join("liveapid"))
        .status()
        .expect("git runs");
    assert!(status.success(), "git clone");
    // Its own process group, so that Ctrl-C reaches cargo and the demo alike.
    // The shell `scripts/test-all` ran in: none of the variables `cargo
    // test` sets for its tests (cargo would rebuild dependencies whose build
    // scripts watch them).
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&commands[0])
        .current_dir(clone.path().join("liveapid"))
        .env_clear()
        .envs(std::env::vars_os().filter(|(k, _)| {
            let k = k.to_string_lossy();
            !(k.starts_with("CARGO") && k != "CARGO_HOME" || k == "LD_LIBRARY_PATH")
        }))
        .env("CARGO_TARGET_DIR", target_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .unwrap();
    let printed = Printed::read(child.stdout.take().unwrap(), Duration::from_secs(1200));
    assert!(
        !printed.lines.iter().any(|l| l.starts_with("(no HTTPS")),
        "the demo's HTTPS port is taken (another demo running?): {:#?}",
        printed.lines
    );
    assert_eq!(printed.ways.len(), 6, "{:#?}", printed.lines);
    printed.check_every_way();
    // SAFETY: kill(2) on the process group made for this child.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the demo stops cleanly on Ctrl-C: {status:?}"
    );
}
