//! Becoming an account's user for good, and proving it.
//!
//! A worker or a live script started for an account runs with that
//! account's uid and gid in all four slots (real, effective, saved,
//! filesystem), the supplementary groups it needs for the mail files and
//! nothing else, `no_new_privs` (no set-uid program can lift it back), and
//! not dumpable (its memory holds passwords in flight; no ptrace or core
//! dump by the account's owner).

use std::io;

use rustix::process::{Gid, Uid};

use crate::error::{Error, Result};

/// Who a process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (e.g. `mail`, the group of the account's mail files).
    pub groups: Vec<u32>,
}

/// An [`Identity`] in the form the system calls take, built before a fork:
/// the child may not allocate.
#[derive(Debug, Clone)]
pub struct PreparedIdentity {
    uid: Uid,
    gid: Gid,
    groups: Vec<Gid>,
}

impl Identity {
    /// Prepares the identity for [`PreparedIdentity::become_it`].
    pub fn prepare(&self) -> PreparedIdentity {
        PreparedIdentity {
            uid: Uid::from_raw(self.uid),
            gid: Gid::from_raw(self.gid),
            groups: self.groups.iter().map(|g| Gid::from_raw(*g)).collect(),
        }
    }
}

impl PreparedIdentity {
    /// Switches the calling process to this identity, groups first (they
    /// need root), then gid, then uid, then `no_new_privs`.
    ///
    /// Only for a single-threaded process (a worker's first step, or a
    /// forked child in `CommandExt::pre_exec`): the per-thread system calls
    /// then change the whole process. It makes only raw system calls (no
    /// allocation, no lock), so a forked child may call it.
    ///
    /// # Errors
    ///
    /// The first system call that fails; the child must then not run.
    pub fn become_it(&self) -> io::Result<()> {
        rustix::thread::set_thread_groups(&self.groups)?;
        rustix::thread::set_thread_res_gid(self.gid, self.gid, self.gid)?;
        rustix::thread::set_thread_res_uid(self.uid, self.uid, self.uid)?;
        rustix::thread::set_no_new_privs(true)?;
        Ok(())
    }
}

/// The ids of the calling process, as `/proc/self/status` lists them:
/// real, effective, saved and filesystem uids and gids, and the groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessIds {
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
}

impl ProcessIds {
    /// Reads them for this process.
    ///
    /// # Errors
    ///
    /// When `/proc/self/status` cannot be read or parsed.
    pub fn current() -> io::Result<ProcessIds> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        ProcessIds::parse(&status)
            .ok_or_else(|| io::Error::other("unexpected /proc/self/status format"))
    }

    /// Parses the `Uid:`, `Gid:` and `Groups:` lines of a `status` file.
    pub fn parse(status: &str) -> Option<ProcessIds> {
        let numbers = |key: &str| -> Option<Vec<u32>> {
            let line = status.lines().find_map(|l| l.strip_prefix(key))?;
            line.split_whitespace().map(|n| n.parse().ok()).collect()
        };
        Some(ProcessIds {
            uids: numbers("Uid:")?.try_into().ok()?,
            gids: numbers("Gid:")?.try_into().ok()?,
            groups: numbers("Groups:").unwrap_or_default(),
        })
    }
}

/// Run first thing in a worker, before any thread exists: makes the process
/// not dumpable (exec set it dumpable again) and checks that it really is
/// `expected`, with no way back to root.
///
/// # Errors
///
/// [`Error::PrivilegeDrop`] when any id differs or root can be regained; the
/// worker must then exit without serving.
pub fn confirm(expected: &Identity) -> Result<()> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| Error::PrivilegeDrop(format!("cannot make the worker non-dumpable: {e}")))?;
    let ids = ProcessIds::current()
        .map_err(|e| Error::PrivilegeDrop(format!("cannot read the worker's ids: {e}")))?;
    let mut groups = ids.groups.clone();
    groups.sort_unstable();
    let mut wanted = expected.groups.clone();
    wanted.sort_unstable();
    wanted.dedup();
    if ids.uids != [expected.uid; 4] || ids.gids != [expected.gid; 4] || groups != wanted {
        return Err(Error::PrivilegeDrop(format!(
            "the worker runs with uids {:?}, gids {:?}, groups {:?}; expected uid {}, gid {}, groups {:?}",
            ids.uids, ids.gids, ids.groups, expected.uid, expected.gid, wanted
        )));
    }
    if expected.uid != 0 {
        let root = Uid::from_raw(0);
        if rustix::thread::set_thread_res_uid(root, root, root).is_ok() {
            return Err(Error::PrivilegeDrop(
                "the worker could become root again".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_id_lines_of_proc_status() {
        let status = "Name:\tliveapid\nUid:\t1001\t1001\t1001\t1001\nGid:\t1002\t1002\t1002\t1002\nGroups:\t8 1002 \nNSpid:\t1\n";
        assert_eq!(
            ProcessIds::parse(status),
            Some(ProcessIds {
                uids: [1001; 4],
                gids: [1002; 4],
                groups: vec![8, 1002],
            })
        );
        assert_eq!(ProcessIds::parse("Name:\tx\n"), None);
        let no_groups = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\n";
        assert_eq!(
            ProcessIds::parse(no_groups).unwrap().groups,
            Vec::<u32>::new()
        );
    }

    #[test]
    fn this_process_can_read_its_own_ids() {
        let ids = ProcessIds::current().unwrap();
        assert_eq!(ids.uids[1], rustix::process::geteuid().as_raw());
    }
}
