//! Reading a password from standard input (`password=-`), so that it never
//! stands on a command line (visible in `ps`) or in a shell's history.
//!
//! From a terminal, liveapid prompts on standard error and turns echo off
//! while the line is typed; from a pipe it reads the first line.

use std::io::{self, BufRead, IsTerminal, Write};

use zeroize::Zeroizing;

/// The first line of standard input, without its line ending. On a
/// terminal, `prompt` is shown on standard error and the typing is not echoed.
///
/// # Errors
///
/// When standard input cannot be read, or ends before any line.
pub fn read_line(prompt: &str) -> io::Result<Zeroizing<String>> {
    let stdin = io::stdin();
    let terminal = stdin.is_terminal();
    // Echo goes off before the prompt shows, so nothing typed after the
    // prompt can be echoed (or lost to the mode change).
    let restore = if terminal {
        let off = EchoOff::new(&stdin)?;
        eprint!("{prompt}");
        io::stderr().flush()?;
        Some(off)
    } else {
        None
    };
    let mut line = Zeroizing::new(String::new());
    let read = stdin.lock().read_line(&mut line);
    drop(restore);
    if terminal {
        eprintln!();
    }
    if read? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "standard input ended before a password line",
        ));
    }
    let end = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(end);
    Ok(line)
}

/// Echo switched off on a terminal until dropped.
struct EchoOff<'a> {
    stdin: &'a io::Stdin,
    saved: rustix::termios::Termios,
}

impl<'a> EchoOff<'a> {
    fn new(stdin: &'a io::Stdin) -> io::Result<EchoOff<'a>> {
        let saved = rustix::termios::tcgetattr(stdin)?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        rustix::termios::tcsetattr(stdin, rustix::termios::OptionalActions::Now, &quiet)?;
        Ok(EchoOff { stdin, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            self.stdin,
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}
