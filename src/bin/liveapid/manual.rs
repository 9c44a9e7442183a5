//! `liveapid man DIR`: the manual pages, rendered by clap_mangen from the
//! very definitions that parse the command lines, so they cannot drift:
//! liveapid(8), one page per subcommand (liveapid-serve(8), ...), and uapi(1).

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
    names.push(page(dir, liveapid.clone(), "liveapid", "8")?);
    for sub in liveapid.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("liveapid-{}", sub.get_name());
        // The page's title and synopsis name the whole command.
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("liveapid {}", sub.get_name()));
        names.push(page(dir, sub, &name, "8")?);
    }
    let uapi = liveapid::command_line::cli::Cli::command();
    names.push(page(dir, uapi, "uapi", "1")?);
    Ok(names)
}

/// Renders `command` as `dir/NAME.SECTION`; the file's name.
fn page(dir: &Path, command: clap::Command, name: &str, section: &str) -> std::io::Result<String> {
    let file = format!("{name}.{section}");
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .title(name.to_uppercase())
        .section(section)
        .manual("liveapid")
        .render(&mut out)?;
    std::fs::write(dir.join(&file), out)?;
    Ok(file)
}
