//! A scratch host with real users (`useradd`), for the tests that need a
//! root-started daemon dropping to real accounts. Root only.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::OLD_PASSWORD;

/// Returns from the test, saying why, unless it runs as root.
#[allow(unused_macros)] // only the root-only test binaries use it
macro_rules! needs_root {
    () => {
        if !common::host::is_root() {
            println!("skipped: needs root (real users via useradd, a daemon that drops to them); CI runs it as root");
            return;
        }
    };
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A user made with `useradd` for one test, removed on drop.
pub struct RealUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl RealUser {
    pub fn new(tag: &str) -> RealUser {
        let name = format!("lvd{}{tag}", std::process::id() % 100_000);
        let status = Command::new("useradd")
            .args([
                "--no-create-home",
                "--user-group",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(&name)
            .status()
            .expect("useradd runs");
        assert!(status.success(), "useradd {name}");
        let id = |flag: &str| -> u32 {
            let out = Command::new("id").arg(flag).arg(&name).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
        };
        let (uid, gid) = (id("-u"), id("-g"));
        RealUser { name, uid, gid }
    }
}

impl Drop for RealUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

/// A scratch host: `root/` (the `--root` prefix, with `etc/passwd` naming
/// the real users and their homes under `home/`) and the accounts' files,
/// owned by the accounts with their mail files in group `mail`, as on cPanel.
pub struct Host {
    pub dir: tempfile::TempDir,
    pub users: Vec<RealUser>,
}

impl Host {
    pub fn new(tags: &[&str]) -> Host {
        let accounts: Vec<(&str, &str)> = tags
            .iter()
            .map(|t| (*t, "example.com,example.net"))
            .collect();
        Host::with_domains(&accounts)
    }

    /// The same, each account `(tag, "domain,domain")` with its own domains.
    pub fn with_domains(accounts: &[(&str, &str)]) -> Host {
        let dir = tempfile::Builder::new()
            .prefix("lvd-host")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let users: Vec<RealUser> = accounts.iter().map(|(t, _)| RealUser::new(t)).collect();
        let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
        for (user, (_, domains)) in users.iter().zip(accounts) {
            let status = Command::new("perl")
                .arg(super::repo().join("tests/fixtures/make-account"))
                .arg(dir.path())
                .args([
                    "--user",
                    &user.name,
                    "--group",
                    "mail",
                    "--domains",
                    domains,
                ])
                .args([
                    "--uid",
                    &user.uid.to_string(),
                    "--gid",
                    &user.gid.to_string(),
                ])
                .env("MAKE_ACCOUNT_PASSWORD", OLD_PASSWORD)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            let home = dir.path().join("home").join(&user.name);
            passwd.push_str(&format!(
                "{}:x:{}:{}::{}:/bin/sh\n",
                user.name,
                user.uid,
                user.gid,
                home.display()
            ));
            // The home and everything in it belong to the account; the mail
            // files keep group mail (make-account set it).
            let status = Command::new("chown")
                .args(["-R", &user.uid.to_string()])
                .arg(&home)
                .status()
                .unwrap();
            assert!(status.success());
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o711)).unwrap();
        }
        std::fs::set_permissions(
            dir.path().join("home"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(dir.path().join("root/etc/passwd"), passwd).unwrap();
        std::fs::copy("/etc/group", dir.path().join("root/etc/group")).unwrap();
        Host { dir, users }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn home(&self, user: &RealUser) -> PathBuf {
        self.dir.path().join("home").join(&user.name)
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    pub fn socket(&self, user: &RealUser) -> PathBuf {
        self.socket_dir().join(format!("{}.sock", user.name))
    }

    pub fn shadow_path(&self, user: &RealUser) -> PathBuf {
        self.home(user).join("etc/example.com/shadow")
    }

    pub fn hash_of(&self, user: &RealUser, localpart: &str) -> String {
        let text = std::fs::read_to_string(self.shadow_path(user)).unwrap();
        let line = text
            .lines()
            .find(|l| l.split(':').next() == Some(localpart))
            .unwrap()
            .to_owned();
        line.split(':').nth(1).unwrap().to_owned()
    }

    /// The attack of the isolation issue: gives `user` the domain
    /// example.org and makes `~/etc/example.org` a symlink to a root-owned
    /// directory outside the home whose `passwd`/`shadow` hold a `root` line.
    /// The directory's path, and the texts of its two files.
    pub fn plant_root_files_as_domain(&self, user: &RealUser) -> (PathBuf, String, String) {
        let target = self.dir.path().join("rootfiles");
        std::fs::create_dir(&target).unwrap();
        let shadow = "root:$6$saltsaltsaltsalt$notarealhash:20000::::::\n".to_owned();
        let passwd = "root:x:0:0::/root:/root\n".to_owned();
        std::fs::write(target.join("shadow"), &shadow).unwrap();
        std::fs::write(target.join("passwd"), &passwd).unwrap();
        let cpuser = self.root().join(format!("var/cpanel/users/{}", user.name));
        let mut text = std::fs::read_to_string(&cpuser).unwrap();
        text.push_str("DNS9=example.org\n");
        std::fs::write(&cpuser, text).unwrap();
        std::os::unix::fs::symlink(&target, self.home(user).join("etc/example.org")).unwrap();
        (target, shadow, passwd)
    }

    /// `liveapid serve --user A --user B ... --socket-dir DIR` as root.
    pub fn serve(&self) -> Supervisor {
        let users: Vec<String> = self
            .users
            .iter()
            .flat_map(|u| ["--user".to_owned(), u.name.clone()])
            .collect();
        self.start(&users)
    }

    /// `liveapid serve ARGS --root ROOT --socket-dir DIR` as root, once every
    /// account's worker serves its socket.
    pub fn start(&self, args: &[String]) -> Supervisor {
        self.start_with_env(args, &[])
    }

    /// [`Host::start`], with `env` added to the supervisor's environment.
    pub fn start_with_env(&self, args: &[String], env: &[(&str, &str)]) -> Supervisor {
        let log = self.dir.path().join("liveapid.log");
        let child = Command::new(env!("CARGO_BIN_EXE_liveapid"))
            .arg("serve")
            .args(args)
            .arg("--root")
            .arg(self.root())
            .arg("--socket-dir")
            .arg(self.socket_dir())
            .env("LIVEAPID_LOG", "debug")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let supervisor = Supervisor {
            child: Some(child),
            log,
        };
        for user in &self.users {
            wait_until(
                || UnixStream::connect(self.socket(user)).is_ok(),
                "socket answers",
            );
            wait_until(|| supervisor.worker_of(user).is_some(), "worker started");
        }
        supervisor
    }
}

/// A running root-started `liveapid serve`.
pub struct Supervisor {
    pub child: Option<std::process::Child>,
    pub log: PathBuf,
}

impl Supervisor {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The pid of the live worker serving `user`: a child of the supervisor
    /// running as the account's uid.
    pub fn worker_of(&self, user: &RealUser) -> Option<u32> {
        children(self.pid())
            .into_iter()
            .find(|pid| ids(*pid).is_some_and(|(uids, _, _)| uids == [user.uid; 4]))
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        signal(child.id(), rustix::process::Signal::TERM);
        child.wait().unwrap()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.terminate();
        }
        super::keep_for_the_suite("logs", &self.log());
    }
}

pub fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    let _ = rustix::process::kill_process(pid, signal);
}

pub fn wait_until(mut condition: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pids whose parent is `parent`.
pub fn children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let ppid = field(&status, "PPid:").and_then(|v| v.first().copied());
        if ppid == Some(parent) && field(&status, "State:").is_some() {
            out.push(pid);
        }
    }
    out
}

/// The (uids, gids, groups) lines of `/proc/PID/status`; `None` for a zombie
/// or a process that is gone.
pub fn ids(pid: u32) -> Option<([u32; 4], [u32; 4], Vec<u32>)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    if status.contains("State:\tZ") {
        return None;
    }
    let uids = field(&status, "Uid:")?.try_into().ok()?;
    let gids = field(&status, "Gid:")?.try_into().ok()?;
    Some((uids, gids, field(&status, "Groups:").unwrap_or_default()))
}

fn field(status: &str, key: &str) -> Option<Vec<u32>> {
    let line = status.lines().find_map(|l| l.strip_prefix(key))?;
    Some(
        line.split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect(),
    )
}

/// The gid of group `name` on this machine.
pub fn group_gid(name: &str) -> u32 {
    let out = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.split(':')
        .nth(2)
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or_else(|| panic!("no group {name}"))
}
