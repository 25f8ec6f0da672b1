//! The workspace follows the pipeline: a crate depends only on crates of earlier stages, and
//! the server and parser libraries stay in the crates that own those concepts. Read from
//! `cargo metadata`, so a new dependency that breaks the order fails here.

use std::collections::BTreeMap;

/// Workspace crates in pipeline order (earlier first); the root `pgspec` is the binary.
const PIPELINE: &[&str] = &[
    "pgspec_diagnostics",
    "pgspec_document",
    "pgspec_sql",
    "pgspec_postgres",
    "pgspec_schema",
    "pgspec_diff",
    "pgspec_checks",
    "pgspec_provision",
    "pgspec_seed",
    "pgspec_verify",
    "pgspec_migrate",
    "pgspec_picture",
    "pgspec",
];

/// Which workspace crates may depend on these libraries (the SQL parser, the server client),
/// counting dev-dependencies too.
const OWNERS: &[(&str, &[&str])] = &[
    ("pg_query", &["pgspec_sql"]),
    ("postgres", &["pgspec_postgres"]),
];

/// Dev-dependencies allowed beyond [`OWNERS`]: the root's integration tests reach the server
/// as an outside client (hostile-document checks read what a document did from outside).
const TEST_CLIENTS: &[(&str, &str)] = &[("pgspec", "postgres")];

/// `cargo metadata` with these arguments, as JSON.
fn cargo_metadata(args: &[&str]) -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .arg("metadata")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn metadata() -> serde_json::Value {
    cargo_metadata(&["--format-version", "1", "--no-deps", "--offline"])
}

/// Workspace crate → its dependencies: `(name, is a dev-dependency)`.
fn dependencies() -> BTreeMap<String, Vec<(String, bool)>> {
    let meta = metadata();
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null() || d["kind"] == "dev")
                .map(|d| {
                    let name = d["name"].as_str().expect("name").to_string();
                    (name, d["kind"] == "dev")
                })
                .collect();
            (p["name"].as_str().expect("name").to_string(), deps)
        })
        .collect()
}

#[test]
fn crates_depend_only_on_earlier_stages() {
    let deps = dependencies();
    let members: Vec<&String> = deps.keys().collect();
    for name in &members {
        assert!(
            PIPELINE.contains(&name.as_str()),
            "{name} is not placed in the pipeline order of tests/it/workspace.rs"
        );
    }
    for (i, name) in PIPELINE.iter().enumerate() {
        let Some(own) = deps.get(*name) else {
            panic!("workspace crate {name} is missing: {members:?}");
        };
        // Dev-dependencies too: a test of an earlier stage may not use a later one.
        for (dep, _) in own.iter().filter(|(d, _)| d.starts_with("pgspec")) {
            let at = PIPELINE.iter().position(|p| p == dep);
            assert!(
                at.is_some_and(|j| j < i),
                "{name} depends on {dep}, which is not an earlier stage of the pipeline"
            );
        }
    }
}

#[test]
fn parser_and_server_libraries_stay_in_their_crates() {
    for (name, own) in dependencies() {
        for (library, owners) in OWNERS {
            for (_, dev) in own.iter().filter(|(d, _)| d == library) {
                let test_client = *dev && TEST_CLIENTS.contains(&(name.as_str(), *library));
                assert!(
                    owners.contains(&name.as_str()) || test_client,
                    "{name} depends on {library}{}; only {owners:?} may",
                    if *dev { " (dev)" } else { "" }
                );
            }
        }
    }
}

/// Crates whose every extra version is a whole extra compile on a cold build: `syn` alone is
/// among the slowest dependencies (tens of seconds of CPU). Cargo.lock holds releases of
/// serde, clap, async-trait and thiserror that share pg_query's `syn` 2.
const ONE_VERSION_ONLY: &[&str] = &["syn", "thiserror", "thiserror-impl"];

#[test]
fn the_build_compiles_one_version_of_each_heavy_macro_crate() {
    // Resolved for this machine's platform (a wasm-only dependency may pull another syn).
    let host = std::process::Command::new("rustc")
        .args(["--print", "host-tuple"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut args = vec!["--format-version", "1", "--offline"];
    if let Some(host) = &host {
        args.extend(["--filter-platform", host]);
    }
    let meta = cargo_metadata(&args);
    // Packages in the resolved graph (metadata's package list has every package of the lock).
    let resolved: Vec<&str> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let mut versions: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let (Some(name), Some(version), Some(id)) =
            (p["name"].as_str(), p["version"].as_str(), p["id"].as_str())
        else {
            continue;
        };
        if ONE_VERSION_ONLY.contains(&name) && resolved.contains(&id) {
            versions.entry(name).or_default().push(version);
        }
    }
    for name in ONE_VERSION_ONLY {
        let found = versions.get(name).cloned().unwrap_or_default();
        assert!(
            found.len() <= 1,
            "{name} is compiled in {} versions ({found:?}): pin the newer dependents in \
             Cargo.lock (`cargo update -p CRATE --precise VERSION`) to the release that shares \
             the older one, or move every dependent to the newer one",
            found.len()
        );
    }
}

/// Files stay short enough to read: no Rust source of ours (crates, the binary, the tests) is
/// over [`MAX_LINES`] lines unless its module doc says why (`Long because …`).
#[test]
fn no_source_file_is_long_unless_its_module_doc_says_why() {
    const MAX_LINES: usize = 800;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src"), root.join("tests")];
    for crate_dir in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        dirs.push(crate_dir.path().join("src"));
    }
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 100, "found {} files", files.len());
    let mut long = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let lines = text.lines().count();
        let doc = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .flat_map(str::split_whitespace)
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if lines > MAX_LINES && !doc.contains("long because") {
            long.push(format!(
                "{} ({lines} lines)",
                path.strip_prefix(root).unwrap_or(&path).display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "split these files, or say in their module doc why they are long: {long:#?}"
    );
}

/// The binary's `main.rs` holds the arguments and the dispatch only (issue 11: under 200
/// lines); each command's work is in `commands/`, the interruptions in `interrupt.rs`.
#[test]
fn the_binarys_main_stays_small() {
    let main = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs");
    let lines = std::fs::read_to_string(&main)
        .expect("src/main.rs")
        .lines()
        .count();
    assert!(lines < 200, "src/main.rs has {lines} lines");
}
