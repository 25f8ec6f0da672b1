//! `pgspec diff` on pairs of schemas. Each case in `tests/diff/<group>/<case>/` is our own pair
//! `a.sql` (FROM) and `b.sql` (TO), optionally with `hazards` (the exact hazard codes the plan
//! must carry, or `refused`). The property, on a real PostgreSQL: build A and B with psql, print
//! the plan from A's catalog to B's, run it on A with psql, and the normalised
//! `pg_dump --schema-only` of A and B are equal; a second plan is empty. The peers' own cases
//! (`../shared/peer-cases`) are read at run time by `peer_cases_sample` when present.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use pgspec::diagnostics::{Category, Diagnostic};
use pgspec::diff::{self, Options};
use pgspec::pipeline;
use pgspec::postgres::catalog::Catalog;
use pgspec::postgres::Server;
use pgspec::text::TextRange;

use crate::postgres::shared_cluster;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("diff")
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pgspec_t_diff_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn admin() -> ::postgres::Client {
    ::postgres::Client::connect(&shared_cluster().url("postgres"), ::postgres::NoTls)
        .expect("connect to the shared cluster")
}

fn bin(name: &str) -> PathBuf {
    shared_cluster().bins.bin_dir.join(name)
}

/// A database for one side of a case, dropped on drop.
struct Db {
    name: String,
}

impl Db {
    fn new(prefix: &str) -> Db {
        let name = unique(prefix);
        admin()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        Db { name }
    }

    fn url(&self) -> String {
        shared_cluster().url(&self.name)
    }

    /// Run a file with psql; the error text when it fails.
    fn run_file(&self, file: &Path) -> Result<(), String> {
        let out = Command::new(bin("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url(), "-f"])
            .arg(file)
            .output()
            .expect("run psql");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn catalog(&self) -> Catalog {
        let server = Server::Url(shared_cluster().url("postgres"));
        Catalog::load_database(&server, &self.name).expect("read the catalog")
    }

    /// `pg_dump --schema-only` without comments, settings and blank lines, as its statements
    /// sorted (the order pg_dump prints objects in says nothing about the schema: it follows
    /// their oids where names tie).
    fn dump(&self) -> Vec<String> {
        let out = Command::new(bin("pg_dump"))
            .args(["--schema-only", "-d", &self.url()])
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim_end)
            .filter(|l| {
                !(l.is_empty()
                    || l.starts_with("--")
                    || l.starts_with("SET ")
                    || l.starts_with("SELECT pg_catalog.set_config")
                    || l.starts_with("\\restrict")
                    || l.starts_with("\\unrestrict"))
            })
            .fold(Vec::<String>::new(), |mut statements, line| {
                match statements.last_mut() {
                    Some(last) if !last.ends_with(';') => {
                        last.push('\n');
                        last.push_str(line);
                    }
                    _ => statements.push(line.to_owned()),
                }
                statements
            })
            .into_iter()
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// What went wrong with one case (`None`: it holds).
fn round_trip(dir: &Path, roles: &[String]) -> Option<String> {
    let name = dir.display();
    for role in roles {
        let _ = admin().batch_execute(&format!(
            "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE \"{role}\"; END IF; END$$"
        ));
    }
    let a = Db::new("a");
    let b = Db::new("b");
    if let Err(e) = a
        .run_file(&dir.join("a.sql"))
        .and_then(|()| b.run_file(&dir.join("b.sql")))
    {
        return Some(format!("{name}: the case does not build: {e}"));
    }
    let expected = std::fs::read_to_string(dir.join("hazards")).ok();
    let plan = match diff::plan(&a.catalog(), &b.catalog(), &Options::default()) {
        Ok(plan) => plan,
        Err(refusals) => {
            return (expected.as_deref().map(str::trim) != Some("refused"))
                .then(|| format!("{name}: refused: {refusals:?}"));
        }
    };
    if expected.as_deref().map(str::trim) == Some("refused") {
        return Some(format!(
            "{name}: expected a refusal, got:\n{}",
            plan.script()
        ));
    }
    let script = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(script.path(), plan.script()).expect("write plan");
    if let Err(e) = a.run_file(script.path()) {
        return Some(format!(
            "{name}: the plan does not apply: {e}\n{}",
            plan.script()
        ));
    }
    let (after, want) = (a.dump(), b.dump());
    if after != want {
        let lost: Vec<&String> = after.iter().filter(|l| !want.contains(l)).collect();
        let missing: Vec<&String> = want.iter().filter(|l| !after.contains(l)).collect();
        return Some(format!(
            "{name}: after the plan A differs from B\n  only in A: {lost:?}\n  only in B: {missing:?}\nplan:\n{}",
            plan.script()
        ));
    }
    match diff::plan(&a.catalog(), &b.catalog(), &Options::default()) {
        Ok(again) if again.is_empty() => {}
        other => return Some(format!("{name}: a second diff is not empty: {other:?}")),
    }
    if let Some(expected) = expected {
        let want: BTreeSet<&str> = expected.split_whitespace().collect();
        let got: BTreeSet<&str> = plan
            .statements
            .iter()
            .flat_map(|s| s.hazards.iter().map(|h| h.code.code()))
            .collect();
        if want != got {
            return Some(format!(
                "{name}: hazards {got:?}, expected {want:?}\n{}",
                plan.script()
            ));
        }
    }
    None
}

fn run_group(group: &str) {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir().join(group))
        .unwrap_or_else(|e| panic!("tests/diff/{group}: {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "tests/diff/{group} has no case");
    let failures: Vec<String> = cases.iter().filter_map(|c| round_trip(c, &[])).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const GROUPS: &[&str] = &[
    "schema",
    "extension",
    "enum",
    "type",
    "sequence",
    "table",
    "column",
    "check_constraint",
    "unique_constraint",
    "foreign_key",
    "index",
    "partition",
    "view",
    "materialized_view",
    "function",
    "trigger",
    "policy",
    "privilege",
    "comment",
    "refusal",
];

macro_rules! groups {
    ($($test:ident => $group:literal,)*) => {
        $(#[test] fn $test() { run_group($group); })*
    };
}

groups! {
    pairs_schema => "schema",
    pairs_extension => "extension",
    pairs_enum => "enum",
    pairs_type => "type",
    pairs_sequence => "sequence",
    pairs_table => "table",
    pairs_column => "column",
    pairs_check_constraint => "check_constraint",
    pairs_unique_constraint => "unique_constraint",
    pairs_foreign_key => "foreign_key",
    pairs_index => "index",
    pairs_partition => "partition",
    pairs_view => "view",
    pairs_materialized_view => "materialized_view",
    pairs_function => "function",
    pairs_trigger => "trigger",
    pairs_policy => "policy",
    pairs_privilege => "privilege",
    pairs_comment => "comment",
    pairs_refusal => "refusal",
}

#[test]
fn every_group_of_pairs_has_a_test() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(cases_dir())
        .expect("tests/diff")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let tested: BTreeSet<String> = GROUPS.iter().map(|g| (*g).to_string()).collect();
    assert_eq!(on_disk, tested);
}

/// A fixed sample of the peers' cases (the first three of every pg-schema-diff group that expect
/// a plan, the migra fixtures named in `MIGRA_SAMPLE` and the sqldef cases in `SQLDEF_SAMPLE`,
/// both ways), read at run time; skipped with a message
/// when `../shared/peer-cases` is absent. Each one round-trips or is refused: never a plan that
/// fails or diverges.
#[test]
#[allow(clippy::print_stderr)] // the skip is said where the test runner shows it
fn peer_cases_sample() {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peer-cases");
    let schema_diff = peers.join("pg-schema-diff");
    if !schema_diff.is_dir() {
        eprintln!("peer_cases_sample: skipped, {} is absent", peers.display());
        return;
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut groups: Vec<PathBuf> = std::fs::read_dir(&schema_diff)
        .expect("peer cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    for group in groups {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&group)
            .expect("group")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        cases.sort();
        let sample = cases.into_iter().filter(|c| {
            let meta = std::fs::read_to_string(c.join("meta.json")).unwrap_or_default();
            !meta.contains("\"expected_error\"")
                && !meta.contains("\"plan_factory\"")
                && !SAMPLE_KNOWN_FAILURES.iter().any(|k| c.ends_with(k))
        });
        for case in sample.take(3) {
            let meta: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(case.join("meta.json")).expect("meta.json"),
            )
            .expect("meta.json is JSON");
            let roles: Vec<String> = meta["roles"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            ran += 1;
            // Cases that create roles do not share the cluster with other such tests.
            let _roles = (!roles.is_empty()).then(crate::postgres::role_lock);
            if let Some(f) = peer_round_trip(&case, &roles) {
                failures.push(f);
            }
        }
    }
    // migra's own fixtures (no roles beyond its rls one, which `round_trip` creates).
    let fixtures = peers.join("migra").join("FIXTURES");
    for name in MIGRA_SAMPLE {
        ran += 1;
        let _roles = crate::postgres::role_lock();
        if let Some(f) = peer_round_trip(
            &fixtures.join(name),
            &["schemainspect_test_role".to_string()],
        ) {
            failures.push(f);
        }
    }
    // sqldef's psqldef cases, both ways (desired → current is the rollback).
    let sqldef = peers.join("sqldef").join("psqldef");
    for (file, name) in SQLDEF_SAMPLE {
        let text = std::fs::read_to_string(sqldef.join(format!("tests_{file}.yml")))
            .unwrap_or_else(|e| panic!("sqldef {file}: {e}"));
        let (current, desired) =
            sqldef_case(&text, name).unwrap_or_else(|| panic!("sqldef {file}: no case {name}"));
        assert!(
            desired.contains("CREATE") && current != desired,
            "sqldef {file}/{name} was not read: {current:?} → {desired:?}"
        );
        for (a, b) in [(&current, &desired), (&desired, &current)] {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("a.sql"), a).expect("write a.sql");
            std::fs::write(dir.path().join("b.sql"), b).expect("write b.sql");
            ran += 1;
            if let Some(f) = peer_round_trip(dir.path(), &[]) {
                failures.push(format!("sqldef {file}/{name}: {f}"));
            }
        }
    }
    assert!(ran >= 60, "only {ran} peer cases sampled");
    assert!(
        failures.is_empty(),
        "{} of {ran} sampled peer cases fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// migra fixtures in the sample: one of each kind of object they exercise.
const MIGRA_SAMPLE: &[&str] = &[
    "dependencies2",
    "enumdeps",
    "generated_added",
    "inherit2",
    "privileges",
    "rls",
    "seq",
    "triggers2",
];

/// sqldef cases in the sample, `(file after tests_, case)`, each run both ways.
const SQLDEF_SAMPLE: &[(&str, &str)] = &[
    ("comments", "Comment"),
    ("constraints", "ParseAllAnyCheckConstraint"),
    ("datatypes", "CreateTableChangeDefaultBoolean"),
    ("dependency_ordering", "ViewDependsOnView_MultipleJoins"),
    ("domains", "CreateDomainWithConstraints"),
    ("identity", "RemoveIdentityFromColumn"),
    ("indices", "CreateIndexWithBoolExpr"),
    ("partition", "PartitionByList"),
];

/// `current` and `desired` of one case of a psqldef YAML file (empty when left out). Reads only
/// what those files use for them: a case is a top-level `Name:` key, its SQL a `key: |` block
/// scalar indented under it, or `""`.
fn sqldef_case(text: &str, name: &str) -> Option<(String, String)> {
    let mut lines = text
        .lines()
        .skip_while(|l| l.trim_end() != format!("{name}:"));
    lines.next()?;
    let mut fields: std::collections::BTreeMap<String, String> = Default::default();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in lines {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            break;
        }
        let field = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.split_once(':'));
        if let Some((key, value)) = field {
            if let Some((k, body)) = current.take() {
                fields.insert(k, block(&body));
            }
            if value.trim().starts_with('|') {
                current = Some((key.to_string(), Vec::new()));
            }
            continue;
        }
        if let Some((_, body)) = current.as_mut() {
            body.push(line);
        }
    }
    if let Some((k, body)) = current {
        fields.insert(k, block(&body));
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    Some((get("current"), get("desired")))
}

/// A YAML block scalar's lines without their common indentation.
fn block(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Peer cases whose failure is known and listed in BENCHMARKS.md (kept out of the sample so it
/// guards what works; the script measures them all).
const SAMPLE_KNOWN_FAILURES: &[&str] = &[];

/// A peer case: like [`round_trip`] but a refusal is an acceptable answer and their files carry
/// no hazard list of ours.
fn peer_round_trip(dir: &Path, roles: &[String]) -> Option<String> {
    let copy = tempfile::tempdir().expect("tempdir");
    for f in ["a.sql", "b.sql"] {
        std::fs::copy(dir.join(f), copy.path().join(f)).expect("copy case file");
    }
    match round_trip(copy.path(), roles) {
        Some(why) if why.contains(": refused: ") => None,
        Some(why) => Some(why.replace(
            &copy.path().display().to_string(),
            &dir.display().to_string(),
        )),
        None => None,
    }
}

/// The findings of a docs example: FROM is the body before the line `-- to`, TO the rest, each
/// applied as a document; a hazard is a finding, a refusal a `DIF008` one.
pub(crate) fn example_findings(body: &str) -> Vec<Diagnostic> {
    let (from, to) = body
        .split_once("\n-- to\n")
        .expect("a diff example has a `-- to` line");
    let server = Server::Url(shared_cluster().url("postgres"));
    let catalog = |sql: &str| {
        let doc = format!("# example\n\n```sql\n{sql}\n```\n");
        let mut applied = pipeline::apply_in_scratch(pipeline::extract(doc.as_bytes()), &server)
            .expect("apply the example");
        applied.session.catalog().expect("read the catalog")
    };
    let (from, to) = (catalog(from), catalog(to));
    let finding = |code, message: &str| {
        Diagnostic::new(code, Category::Migration, message, TextRange::empty(0))
    };
    match diff::plan(&from, &to, &Options::default()) {
        Ok(plan) => plan
            .statements
            .iter()
            .flat_map(|s| s.hazards.iter().map(|h| finding(h.code, &h.message)))
            .collect(),
        Err(refusals) => refusals
            .iter()
            .map(|r| finding(pgspec::diagnostics::Rule::MigrationRefused, &r.message))
            .collect(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn pgspec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

mod command;
