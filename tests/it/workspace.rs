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

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
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
