//! The `uapi` command: one UAPI call from a shell, as cPanel's
//! `/usr/local/cpanel/bin/uapi` makes it. The command itself is the
//! library's (`liveapid uapi` runs the same).

fn main() -> std::process::ExitCode {
    liveapid::command_line::main(std::env::args_os())
}
