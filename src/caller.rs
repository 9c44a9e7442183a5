//! Who made a call: the process at the other end of the connection (its
//! peer credentials), or the `uapi` command line's own process. The rate
//! limits count calls per caller uid.

/// The process that made a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    /// Unknown when the kernel does not say (or for a call from this process).
    pub pid: Option<u32>,
}

impl Caller {
    /// This process, for calls made in-process (the `uapi` command line).
    pub fn this_process() -> Caller {
        Caller {
            uid: rustix::process::getuid().as_raw(),
            pid: Some(std::process::id()),
        }
    }
}

impl Default for Caller {
    fn default() -> Self {
        Caller::this_process()
    }
}
