//! The system user behind a cPanel account, from `<root>/etc/passwd`.
//!
//! Read as a file rather than through NSS so that `--root` points the whole
//! daemon at a scratch tree; cPanel accounts are always local users.

use std::path::{Path, PathBuf};

/// The fields of a system user that the mail files record.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemUser {
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// Looks `user` up in a passwd(5) file. `Ok(None)` when it is not there.
pub fn lookup(passwd_file: &Path, user: &str) -> std::io::Result<Option<SystemUser>> {
    let text = match std::fs::read_to_string(passwd_file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(parse(&text, user))
}

/// The name of the user with `uid` in a passwd(5) file; `Ok(None)` when no
/// line has it.
pub fn name_of(passwd_file: &Path, uid: u32) -> std::io::Result<Option<String>> {
    let text = match std::fs::read_to_string(passwd_file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 7 && fields[2].parse() == Ok(uid)).then(|| fields[0].to_owned())
    }))
}

fn parse(text: &str, user: &str) -> Option<SystemUser> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 || fields[0] != user {
            return None;
        }
        Some(SystemUser {
            uid: fields[2].parse().ok()?,
            gid: fields[3].parse().ok()?,
            home: PathBuf::from(fields[5]),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_user_line() {
        let text = "root:x:0:0:root:/root:/bin/bash\ndemo:x:1001:1002::/home/demo:/bin/bash\n";
        assert_eq!(
            parse(text, "demo"),
            Some(SystemUser {
                uid: 1001,
                gid: 1002,
                home: "/home/demo".into()
            })
        );
        assert_eq!(parse(text, "dem"), None);
    }
}
