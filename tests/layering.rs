//! The API functions know nothing of routing or transports: no file under
//! `src/api/` names `crate::engine` or `crate::dispatch` (nor the `Engine`
//! re-exported at the crate root), so the dispatcher → API → state layering
//! has no cycle and cannot grow one back silently.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every mention of the routing layer in `text`: `crate::engine`,
/// `crate::dispatch`, `crate::Engine`, also inside `crate::{…}` groups and
/// with spaces around `::`.
fn routing_mentions(text: &str) -> Vec<String> {
    let pattern =
        regex::Regex::new(r"crate\s*::\s*(?:\{[^}]*?\b)?(?:engine|dispatch|Engine)\b").unwrap();
    pattern
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .collect()
}

#[test]
fn nothing_under_src_api_names_the_dispatcher_or_the_engine() {
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut files = Vec::new();
    rust_files(&api, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("email/mod.rs")),
        "no files found under {}",
        api.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = fs::read_to_string(file).unwrap();
            routing_mentions(&text)
                .into_iter()
                .map(move |m| format!("{}: {m}", file.display()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "src/api must not depend on the routing layer:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_sees_every_spelling() {
    for text in [
        "use crate::engine::Engine;",
        "use crate::dispatch;",
        "use crate :: dispatch::uapi;",
        "use crate::{api::Args, engine::Engine};",
        "use crate::Engine;",
        "/// See [`crate::dispatch::uapi`].",
    ] {
        assert_eq!(routing_mentions(text).len(), 1, "{text}");
    }
    for text in [
        "use crate::state::AccountState;",
        "use crate::api::{args::Args, result::UapiResult};",
        "// the dispatcher (src/dispatch.rs)",
        "use crate::engineering;",
    ] {
        assert!(routing_mentions(text).is_empty(), "{text}");
    }
}

/// The HTTPS front end runs in the root supervisor: it reaches an account
/// only through the account's socket, so nothing under `src/https/` may
/// name the home's I/O layer, an account's state or its engine.
#[test]
fn nothing_under_src_https_reaches_into_a_home() {
    let https = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/https");
    let mut files = Vec::new();
    rust_files(&https, &mut files);
    assert!(files.iter().any(|f| f.ends_with("https/front_end.rs")));
    let pattern = regex::Regex::new(
        r"crate\s*::\s*(?:\{[^}]*?\b)?(?:home|state|engine|dispatch|Engine|AccountState)\b|ConfinedDir|home_dir",
    )
    .unwrap();
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = fs::read_to_string(file).unwrap();
            pattern
                .find_iter(&text)
                .map(|m| format!("{}: {}", file.display(), m.as_str()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "src/https must reach accounts through their sockets only:\n{}",
        offenders.join("\n")
    );
}
