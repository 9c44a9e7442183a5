//! The crate's layers, read from its source and checked.
//!
//! Every file under `src/` (the binaries aside) belongs to one top-level
//! module: `src/X.rs` or anything under `src/X/`. Each mention of another
//! top-level module in a file's code (`crate::Y`, `use crate::{Y, …}` across
//! lines, a `super::` path that climbs to the crate root, an item `lib.rs`
//! re-exports from `Y`) is an edge from its module to `Y`. The edges must
//! form no cycle, and each must be one [`ALLOWED`] declares: that table is
//! the architecture, read top down, and a new edge is a decision written
//! there, not an accident.
//!
//! The two older checks stay as they were: nothing under `src/api/` names
//! the dispatcher or the engine, and the HTTPS front end reaches an
//! account only through its socket.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Which top-level module may name which, from the processes down to the
/// pure rules. Every module has a row, and names only modules whose rows
/// come after its own ([`the_table_reads_top_down`]): the order is the
/// layering, so no cycle can be declared.
const ALLOWED: &[(&str, &[&str])] = &[
    // ---- The processes and the commands: the root part (`serve`'s
    // supervisor, the HTTPS front end), a worker, the command line.
    (
        "service",
        &[
            "account",
            "after_change",
            "audit",
            "engine",
            "error",
            "https",
            "logging",
            "reload",
            "server",
            "shutdown",
            "socket",
            "state",
            "supervisor",
            "systemd",
            "worker_settings",
        ],
    ),
    (
        "live_script",
        &[
            "account",
            "engine",
            "error",
            "privilege",
            "server",
            "shims",
            "shutdown",
            "socket",
            "state",
            "supervisor",
        ],
    ),
    (
        "command_line",
        &[
            "account",
            "api",
            "audit",
            "config",
            "dispatch",
            "error",
            "logging",
            "protocol",
            "shutdown",
            "state",
            "supervisor",
        ],
    ),
    (
        "worker",
        &[
            "account",
            "after_change",
            "audit",
            "bounded_lines",
            "control",
            "engine",
            "error",
            "privilege",
            "server",
            "shutdown",
            "state",
            "worker_settings",
        ],
    ),
    (
        "supervisor",
        &[
            "account",
            "after_change",
            "audit",
            "bounded_lines",
            "control",
            "email",
            "error",
            "logging",
            "privilege",
            "socket",
            "worker_settings",
        ],
    ),
    // Root's front end: an account only through its socket (the protocol's
    // client), never its state or home.
    (
        "https",
        &["account", "api", "audit", "error", "protocol", "secrets"],
    ),
    ("demo", &["account", "api", "error", "state"]),
    ("provision", &["account", "email", "error", "home"]),
    ("reload", &["error", "systemd", "worker_settings"]),
    // The settings a supervisor sends its worker, whole, at start and on
    // every reload, and how the worker puts them in force.
    ("worker_settings", &["engine", "error", "limits", "server"]),
    ("config", &["error"]),
    ("systemd", &["error"]),
    ("privilege", &["error"]),
    ("shims", &["error"]),
    // ---- The socket transport: the server, its request handler, the wire
    // format.
    (
        "server",
        &["caller", "engine", "error", "protocol", "shutdown"],
    ),
    ("engine", &["api", "dispatch", "error", "protocol", "state"]),
    ("protocol", &["error", "secrets"]),
    ("socket", &["error"]),
    ("shutdown", &[]),
    // ---- The one dispatcher every transport calls.
    ("dispatch", &["account", "api", "audit", "error", "state"]),
    // ---- The API: arguments, reply shapes, the modules' functions.
    (
        "api",
        &[
            "account",
            "caller",
            "email",
            "error",
            "home",
            "off_reactor",
            "secrets",
            "state",
        ],
    ),
    // ---- One account's state as the process serving it holds it, and
    // what it is made of; the channels a worker asks root through.
    (
        "state",
        &[
            "account",
            "after_change",
            "audit",
            "email",
            "error",
            "home",
            "in_flight",
            "limits",
            "off_reactor",
        ],
    ),
    ("limits", &["caller", "email", "error", "home"]),
    ("in_flight", &["error", "home"]),
    ("after_change", &["control", "email"]),
    ("audit", &["audit_budget", "caller", "control", "error"]),
    ("control", &["account", "bounded_lines", "email"]),
    ("audit_budget", &[]),
    ("bounded_lines", &[]),
    // ---- The account's facts, its home (the capability only the process
    // serving it opens), the pure rules, and the leaves.
    ("account", &["error", "home"]),
    ("home", &["email", "error", "off_reactor"]),
    ("email", &["error"]),
    ("off_reactor", &["error"]),
    ("caller", &[]),
    ("secrets", &[]),
    ("logging", &[]),
    ("error", &[]),
];

/// Edges only test code makes, against the order: the dispatcher's tests
/// serve the demo account.
const ALLOWED_IN_TESTS: &[(&str, &str)] = &[("dispatch", "demo")];

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

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module of a file under `src/` and how deep its module
/// sits (`src/X.rs` and `src/X/mod.rs`: 1, `src/X/y.rs`: 2, …); `None`
/// for `lib.rs` and the binaries.
fn module_of(relative: &Path) -> Option<(String, usize)> {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let first = parts.first()?;
    if first == "bin" || first == "lib.rs" {
        return None;
    }
    let name = first.trim_end_matches(".rs").to_owned();
    let last = parts.last()?;
    let depth = if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    };
    Some((name, depth))
}

/// The names `lib.rs` re-exports (`pub use engine::Engine;`), each with
/// the module it comes from, and every top-level module it declares.
fn crate_root() -> (BTreeSet<String>, BTreeMap<String, String>) {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let modules = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
        .unwrap()
        .captures_iter(&lib)
        .map(|c| c[1].to_owned())
        .collect();
    let mut reexports = BTreeMap::new();
    let uses = regex::Regex::new(r"(?m)^\s*pub\s+use\s+(\w+)\s*::\s*(\{[^}]*\}|\w+)\s*;").unwrap();
    for c in uses.captures_iter(&lib) {
        for item in c[2].trim_matches(|ch| ch == '{' || ch == '}').split(',') {
            let item = item.trim();
            if !item.is_empty() {
                reexports.insert(item.to_owned(), c[1].to_owned());
            }
        }
    }
    (modules, reexports)
}

/// The first segment of each path in the `{…}` group that opens at
/// `open` (`{a::b, c, d::{e, f}}`: `a`, `c`, `d`).
fn group_heads(text: &str, open: usize) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut depth = 0;
    for ch in text[open..].chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 1 => items.push(String::new()),
            _ => {}
        }
        if depth == 0 {
            break;
        }
        if depth == 1 && ch != '{' && ch != ',' {
            items.last_mut().unwrap().push(ch);
        }
    }
    let head = regex::Regex::new(r"^\s*(\w+)").unwrap();
    items
        .iter()
        .filter_map(|item| head.captures(item).map(|c| c[1].to_owned()))
        .collect()
}

/// The top-level modules `text`, a file of a module `depth` deep, names:
/// `crate::Y`, `crate::{Y, …}` (also across lines and with spaces around
/// `::`), `super::` paths that climb to the crate root, and the names
/// `lib.rs` re-exports.
fn mentions(
    text: &str,
    depth: usize,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let path = regex::Regex::new(r"\b(crate\s*::|(?:super\s*::\s*)+)\s*(\{|\w+)").unwrap();
    let mut found = BTreeSet::new();
    for c in path.captures_iter(text) {
        let climbs = c[1].matches("super").count();
        let at_root = c[1].starts_with("crate") || climbs >= depth;
        if !at_root {
            continue;
        }
        let heads = if &c[2] == "{" {
            group_heads(text, c.get(2).unwrap().start())
        } else {
            vec![c[2].to_owned()]
        };
        for head in heads {
            if modules.contains(&head) {
                found.insert(head);
            } else if let Some(module) = reexports.get(&head) {
                found.insert(module.clone());
            }
        }
    }
    found
}

/// `text` without its `//` comments, doc comments included: a doc link
/// says where to read on, not what the code uses.
fn without_comments(text: &str) -> String {
    regex::Regex::new(r"//[^\n]*")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

/// Every edge between top-level modules, with one file that makes it.
fn edges() -> BTreeMap<(String, String), PathBuf> {
    let (modules, reexports) = crate_root();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src()).unwrap().to_owned();
        let Some((from, depth)) = module_of(&relative) else {
            continue;
        };
        let text = without_comments(&fs::read_to_string(&file).unwrap());
        for to in mentions(&text, depth, &modules, &reexports) {
            if to != from {
                edges
                    .entry((from.clone(), to))
                    .or_insert_with(|| relative.clone());
            }
        }
    }
    edges
}

/// One cycle of the graph, if it has any (depth-first search).
fn a_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        next: &BTreeMap<&str, Vec<&str>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for to in next.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(to, next, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges {
        next.entry(from).or_default().push(to);
    }
    let mut done = BTreeSet::new();
    for start in next.keys() {
        if let Some(cycle) = visit(start, &next, &mut done, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

fn declared(from: &str, to: &str) -> bool {
    ALLOWED
        .iter()
        .any(|(f, targets)| *f == from && targets.contains(&to))
        || ALLOWED_IN_TESTS.contains(&(from, to))
}

fn shown(edges: &BTreeMap<(String, String), PathBuf>, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|pair| {
            let file = &edges[&(pair[0].clone(), pair[1].clone())];
            format!("{} -> {} (src/{})", pair[0], pair[1], file.display())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let edges = edges();
    assert!(
        edges.contains_key(&("api".to_owned(), "state".to_owned())),
        "the graph was not read: {edges:?}"
    );
    let graph = edges.keys().cloned().collect();
    if let Some(cycle) = a_cycle(&graph) {
        panic!(
            "a cycle among top-level modules:\n{}",
            shown(&edges, &cycle)
        );
    }
}

#[test]
fn every_edge_is_a_declared_direction() {
    let undeclared: Vec<String> = edges()
        .into_iter()
        .filter(|((from, to), _)| !declared(from, to))
        .map(|((from, to), file)| format!("{from} -> {to} (src/{})", file.display()))
        .collect();
    assert!(
        undeclared.is_empty(),
        "edges that tests/layering.rs's ALLOWED does not declare (declare the \
         direction there if it is one the layering allows, else remove it):\n{}",
        undeclared.join("\n")
    );
}

/// The table is what the code does: a direction no file takes any more
/// is struck from it, so that it cannot let an edge back in unnoticed.
#[test]
fn every_declared_direction_is_taken() {
    let edges = edges();
    let unused: Vec<String> = ALLOWED
        .iter()
        .flat_map(|(from, targets)| targets.iter().map(move |to| (*from, *to)))
        .chain(ALLOWED_IN_TESTS.iter().copied())
        .filter(|(from, to)| !edges.contains_key(&((*from).to_owned(), (*to).to_owned())))
        .map(|(from, to)| format!("{from} -> {to}"))
        .collect();
    assert!(
        unused.is_empty(),
        "directions ALLOWED declares that no file takes (strike them):\n{}",
        unused.join("\n")
    );
}

/// Each module has one row and names only modules whose rows come later,
/// so the declared directions themselves have no cycle.
#[test]
fn the_table_reads_top_down() {
    let (modules, _) = crate_root();
    let rows: Vec<&str> = ALLOWED.iter().map(|(m, _)| *m).collect();
    let listed: BTreeSet<String> = rows.iter().map(|m| (*m).to_owned()).collect();
    assert_eq!(rows.len(), listed.len(), "a module has two rows");
    assert_eq!(
        listed, modules,
        "ALLOWED must have one row for each module lib.rs declares"
    );
    for (at, (from, targets)) in ALLOWED.iter().enumerate() {
        for to in *targets {
            let row = rows.iter().position(|m| m == to);
            assert!(
                row.is_some_and(|row| row > at),
                "{from} may name {to}, whose row is not below its own"
            );
        }
    }
}

/// The reader sees every way a file names a module, and nothing else.
#[test]
fn the_graph_sees_every_spelling() {
    let modules: BTreeSet<String> = ["api", "engine", "home", "state", "error"]
        .map(String::from)
        .into();
    let reexports = BTreeMap::from([("Engine".to_owned(), "engine".to_owned())]);
    let seen = |text: &str, depth: usize| -> Vec<String> {
        mentions(&without_comments(text), depth, &modules, &reexports)
            .into_iter()
            .collect()
    };
    assert_eq!(seen("use crate::api::Args;", 1), ["api"]);
    assert_eq!(seen("use crate :: home :: ConfinedDir;", 1), ["home"]);
    assert_eq!(seen("let x = crate::state::f();", 2), ["state"]);
    assert_eq!(
        seen(
            "use crate::{\n    api::{args::Args, Caller},\n    home,\n    error::Result,\n};",
            1
        ),
        ["api", "error", "home"]
    );
    assert_eq!(seen("use crate::Engine;", 1), ["engine"]);
    assert_eq!(seen("use $crate::api::Args;", 1), ["api"]);
    // `super::` from src/X.rs (depth 1) is the crate root; from src/X/y.rs
    // (depth 2) it is X, and twice it is the root again.
    assert_eq!(seen("use super::home::ConfinedDir;", 1), ["home"]);
    assert!(seen("use super::home::ConfinedDir;", 2).is_empty());
    assert_eq!(
        seen("use super::super::{home, state};", 2),
        ["home", "state"]
    );
    assert!(seen("use crate::engineering;", 1).is_empty());
    assert!(seen("/// See [`crate::api::Args`].", 1).is_empty());
    assert!(seen("let s = \"crate\"; // crate::api", 1).is_empty());
}

#[test]
fn a_cycle_is_found_and_shown_in_order() {
    let graph: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .iter()
        .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(a_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let acyclic: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("a", "c")]
        .iter()
        .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
        .collect();
    assert_eq!(a_cycle(&acyclic), None);
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
