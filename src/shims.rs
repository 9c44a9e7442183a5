//! The Perl and PHP client shims, built into the binary so that `liveapid
//! run` can make them findable for the script it runs, wherever liveapid was
//! installed and whatever version of the repository it came from.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Every file of the Perl distribution's `lib/`, by its path under `lib/`.
const PERL_LIB: &[(&str, &str)] = &[
    (
        "Cpanel/LiveAPI.pm",
        include_str!("../bindings/perl/lib/Cpanel/LiveAPI.pm"),
    ),
    (
        "Cpanel/LiveAPI/Result.pm",
        include_str!("../bindings/perl/lib/Cpanel/LiveAPI/Result.pm"),
    ),
    (
        "Cpanel/LiveAPI/Template.pm",
        include_str!("../bindings/perl/lib/Cpanel/LiveAPI/Template.pm"),
    ),
    (
        "Template/Plugin/Cpanel/LiveAPI.pm",
        include_str!("../bindings/perl/lib/Template/Plugin/Cpanel/LiveAPI.pm"),
    ),
];

/// The PHP class, for `require_once 'cpanel.php'` through the include path.
const PHP_CLASS: &str = include_str!("../bindings/php/cpanel.php");

/// Where [`install`] put the shims.
#[derive(Debug, Clone)]
pub struct ShimPaths {
    /// For `PERL5LIB`.
    pub perl_lib: PathBuf,
    /// For PHP's `include_path`.
    pub php_dir: PathBuf,
}

/// Writes the shims under `dir` (`dir/perl/...`, `dir/php/cpanel.php`),
/// readable by everyone: the script may run as another user than liveapid.
///
/// # Errors
///
/// [`Error::Storage`] when a file cannot be written.
pub fn install(dir: &Path) -> Result<ShimPaths> {
    let perl_lib = dir.join("perl");
    let php_dir = dir.join("php");
    let files = PERL_LIB
        .iter()
        .map(|(path, text)| (perl_lib.join(path), *text))
        .chain(std::iter::once((php_dir.join("cpanel.php"), PHP_CLASS)));
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::storage("create", parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::storage("write", &path, e))?;
    }
    Ok(ShimPaths { perl_lib, php_dir })
}

/// `PERL5LIB` with `lib` added after what the caller already has, so an
/// operator's own choice still wins.
pub fn perl5lib(lib: &Path, existing: Option<&std::ffi::OsStr>) -> std::ffi::OsString {
    let mut value = std::ffi::OsString::new();
    if let Some(existing) = existing.filter(|e| !e.is_empty()) {
        value.push(existing);
        value.push(":");
    }
    value.push(lib);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_every_module_and_the_php_class() {
        let dir = tempfile::tempdir().unwrap();
        let paths = install(dir.path()).unwrap();
        for (path, text) in PERL_LIB {
            assert_eq!(
                std::fs::read_to_string(paths.perl_lib.join(path)).unwrap(),
                *text
            );
        }
        assert!(std::fs::read_to_string(paths.php_dir.join("cpanel.php"))
            .unwrap()
            .contains("class CPANEL"));
    }

    #[test]
    fn perl5lib_keeps_the_callers_entries_first() {
        let lib = Path::new("/x/perl");
        assert_eq!(perl5lib(lib, None), "/x/perl");
        assert_eq!(perl5lib(lib, Some("".as_ref())), "/x/perl");
        assert_eq!(perl5lib(lib, Some("/mine".as_ref())), "/mine:/x/perl");
    }
}
