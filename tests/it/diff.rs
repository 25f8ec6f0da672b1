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

#[test]
fn the_command_prints_a_validated_plan_and_follows_the_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.sql",
        "CREATE TABLE t (id int PRIMARY KEY, note text);\n",
    );
    let b = write(
        dir.path(),
        "b.md",
        "# Design\n\n```sql\nCREATE TABLE t (id bigint PRIMARY KEY);\n```\n",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a, &b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ALTER TABLE public.t DROP COLUMN note;"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-- hazard DIF001 migration-drops-data:"),
        "{stdout}"
    );
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    // Nothing but SQL and comments on stdout.
    assert!(stdout
        .lines()
        .all(|l| l.starts_with("--") || !l.starts_with("pgspec")));

    let out = pgspec(&["diff", "--db", &url, "--exit-code", &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    let out = pgspec(&["diff", "--db", &url, "--exit-code", &a, &a]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = pgspec(&["diff", "--db", &url, "--format", "json", &a, &b]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["command"], "diff");
    assert_eq!(json["status"], "changes");
    let statements = json["statements"].as_array().expect("statements");
    let drop = statements
        .iter()
        .find(|s| s["sql"].as_str().is_some_and(|q| q.contains("DROP COLUMN")))
        .expect("the drop");
    assert_eq!(drop["hazards"][0]["code"], "DIF001");
    assert!(drop["hazards"][0]["message"].as_str().is_some());
}

#[test]
fn the_command_refuses_what_it_cannot_express_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.sql", "CREATE DOMAIN m AS integer;\n");
    let b = write(dir.path(), "b.sql", "CREATE DOMAIN m AS text;\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, "--format", "json", &a, &b]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["status"], "refused");
    assert_eq!(json["refusals"][0]["code"], "DIF008");
    assert_eq!(json["refusals"][0]["object"], "public.m");

    // A document that does not apply is refused too, naming its line.
    let broken = write(
        dir.path(),
        "broken.sql",
        "CREATE TABLE t (id int);\nCREATE TABLE u (x nosuchtype);\n",
    );
    let out = pgspec(&["diff", "--db", &url, &a, &broken]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not apply cleanly") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_live_database_is_a_side_too() {
    let a = Db::new("live");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(dir.path(), "a.sql", "CREATE TABLE t (id int);\n");
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(dir.path(), "b.sql", "CREATE TABLE t (id int, v text);\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "ALTER TABLE public.t ADD COLUMN v text;");
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_relation_another_role_owns_on_one_side_changes_owner_and_the_round_trip_holds() {
    // A's table belongs to a role other than A's database owner; TO (a document) leaves it
    // to whoever runs it. The plan gives it back to A's database owner, validated on a copy
    // where a role of the run stands in for the other owner.
    let role = unique("owner");
    admin()
        .batch_execute(&format!("CREATE ROLE {role}"))
        .expect("create the role");
    let a = Db::new("owned");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(
        dir.path(),
        "a.sql",
        &format!("CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t OWNER TO {role};\n"),
    );
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        "CREATE TABLE t (id int PRIMARY KEY, v text);\n",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let owner: String = admin()
        .query_one(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
            &[&a.name],
        )
        .expect("database owner")
        .get(0);
    assert!(
        stdout.contains(&format!("ALTER TABLE public.t OWNER TO {owner};")),
        "{stdout}"
    );
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);
    assert!(a.catalog().tables.iter().all(|t| t.owner == owner));
    drop(a);
    let _ = admin().batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
}

#[test]
fn a_database_with_an_invalid_partitioned_index_is_copied_and_the_plan_validated() {
    // A's partitioned index was made ON ONLY and one partition's index is not attached yet:
    // the copy of A must be made the same way for the plan to be tried on it.
    let parts = "CREATE TABLE m (k text NOT NULL) PARTITION BY LIST (k);
CREATE TABLE m1 PARTITION OF m FOR VALUES IN ('1');
CREATE TABLE m2 PARTITION OF m FOR VALUES IN ('2');
CREATE INDEX m_k ON ONLY m (k);
CREATE INDEX m1_k ON m1 (k);
ALTER INDEX m_k ATTACH PARTITION m1_k;
CREATE INDEX m2_k ON m2 (k);
";
    let a = Db::new("invalid");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(dir.path(), "a.sql", parts);
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        &format!("{parts}ALTER INDEX m_k ATTACH PARTITION m2_k;\n"),
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    assert_eq!(
        stdout.trim(),
        "ALTER INDEX public.m_k ATTACH PARTITION public.m2_k;"
    );
}

fn out_text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const RENAME_FROM: &str =
    "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, nick text);
CREATE INDEX users_nick_idx ON users (nick);
CREATE TABLE posts (id int PRIMARY KEY, author int REFERENCES users (id), body text);
CREATE VIEW recent AS SELECT p.id, u.email FROM posts p JOIN users u ON u.id = p.author;
";

const RENAME_TO: &str =
    "CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, nick text);
CREATE INDEX people_nick_idx ON people (nick);
CREATE TABLE posts (id int PRIMARY KEY, writer int REFERENCES people (id), body text);
CREATE VIEW recent AS SELECT p.id, u.email FROM posts p JOIN people u ON u.id = p.writer;
";

#[test]
fn sqldef_cases_are_read_from_their_yaml() {
    let text = "First:\n  current: |\n    CREATE TABLE a (x int);\n\n    CREATE INDEX ON a (x);\n  desired: \"\"\n  up: |\n    DROP TABLE a;\nSecond:\n  desired: |\n      CREATE TABLE b ();\n";
    assert_eq!(
        sqldef_case(text, "First"),
        Some((
            "CREATE TABLE a (x int);\n\nCREATE INDEX ON a (x);\n".to_string(),
            String::new()
        ))
    );
    assert_eq!(
        sqldef_case(text, "Second"),
        Some((String::new(), "CREATE TABLE b ();\n".to_string()))
    );
    assert_eq!(sqldef_case(text, "Third"), None);
}

#[test]
fn a_table_or_column_that_looks_renamed_is_offered_never_dropped_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Db::new("rename");
    let a_sql = write(dir.path(), "a.sql", RENAME_FROM);
    a.run_file(Path::new(&a_sql)).expect("build A");
    let b = write(dir.path(), "b.sql", RENAME_TO);
    let url = shared_cluster().url("postgres");

    // Offered by name, no plan.
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("table public.users → public.people looks like a rename")
            && stderr.contains("column public.posts.author → writer looks like a rename")
            && stderr.contains("--renames"),
        "{stderr}"
    );

    // --no-renames: drop and add, said on stderr.
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("DROP TABLE public.users;"), "{stdout}");
    assert!(stderr.contains("not renamed (--no-renames)"), "{stderr}");

    // --renames: renamed with what is named after them; the rows stay.
    a.run_file(Path::new(&write(
        dir.path(),
        "rows.sql",
        "INSERT INTO users (email) VALUES ('a@example.com');\nINSERT INTO posts VALUES (1, 1, 'hi');\n",
    )))
    .expect("rows");
    let out = pgspec(&["diff", "--db", &url, "--renames", &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for want in [
        "ALTER TABLE public.users RENAME TO people;",
        "ALTER TABLE public.posts RENAME COLUMN author TO writer;",
        "RENAME CONSTRAINT users_pkey TO people_pkey;",
        "ALTER SEQUENCE public.users_id_seq RENAME TO people_id_seq;",
        "ALTER INDEX public.users_nick_idx RENAME TO people_nick_idx;",
        "-- hazard DIF007",
    ] {
        assert!(stdout.contains(want), "{want} not in\n{stdout}");
    }
    assert!(!stdout.contains("DROP"), "{stdout}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    a.run_file(Path::new(&write(dir.path(), "plan.sql", &stdout)))
        .expect("apply the plan");
    let want = Db::new("rename_b");
    want.run_file(Path::new(&b)).expect("build B");
    assert_eq!(a.dump(), want.dump());
    let mut client = ::postgres::Client::connect(&a.url(), ::postgres::NoTls).expect("connect");
    let row = client
        .query_one(
            "SELECT p.writer, u.email FROM posts p JOIN people u ON u.id = p.writer",
            &[],
        )
        .expect("the rows are there");
    assert_eq!(row.get::<_, String>(1), "a@example.com");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

#[test]
fn a_rename_the_evidence_cannot_pin_down_is_refused_even_with_renames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.sql",
        "CREATE TABLE t (id int, x text, y text);\n",
    );
    let b = write(dir.path(), "b.sql", "CREATE TABLE t (id int, z text);\n");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, "--renames", &a, &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("column public.t.x → z may be a rename")
            && stderr.contains("column public.t.y → z may be a rename"),
        "{stderr}"
    );
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &a, &b]);
    let (stdout, _) = out_text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("DROP COLUMN x;") && stdout.contains("ADD COLUMN z text;"));
    // Not alike (another type): no candidate, the plan is a drop and an add as asked.
    let c = write(dir.path(), "c.sql", "CREATE TABLE t (id int, z integer);\n");
    let d = write(dir.path(), "d.sql", "CREATE TABLE t (id int, x text);\n");
    let out = pgspec(&["diff", "--db", &url, &d, &c]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out).1);
}

#[test]
fn one_document_is_diffed_against_the_database_up_made_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = shared_cluster().url("postgres");
    let doc = write(
        dir.path(),
        "shop.md",
        "# Shop\n\n```sql\nCREATE TABLE items (id int PRIMARY KEY, name text);\n```\n",
    );
    // Before `up`: a clear refusal that says what to do.
    let out = pgspec(&["diff", "--db", &url, &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("there is no database that `pgspec up` made for")
            && stderr.contains("pgspec up"),
        "{stderr}"
    );
    let up = pgspec(&["up", "--db", &url, &doc]);
    assert_eq!(up.status.code(), Some(0), "{}", out_text(&up).1);
    let out = pgspec(&["diff", "--db", &url, "--exit-code", &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    // The document moves on: the plan brings the database to it, and applies.
    std::fs::write(
        &doc,
        "# Shop\n\n```sql\nCREATE TABLE items (id int PRIMARY KEY, name text, price numeric NOT NULL DEFAULT 0);\n```\n",
    )
    .expect("edit");
    let out = pgspec(&["diff", "--db", &url, "--format", "json", &doc]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let database = pgspec::up::database_name_for(&doc);
    assert!(
        json["from"].as_str().is_some_and(|f| f.contains(&database)),
        "{json}"
    );
    assert_eq!(json["to"], doc.as_str());
    let sql: Vec<&str> = json["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s["sql"].as_str())
        .collect();
    assert_eq!(
        sql,
        ["ALTER TABLE public.items ADD COLUMN price numeric DEFAULT 0 NOT NULL"]
    );
    let down = pgspec(&["down", "--db", &url, &doc]);
    assert_eq!(down.status.code(), Some(0), "{}", out_text(&down).1);
    // A URL alone is no document.
    let out = pgspec(&["diff", "--db", &url, &url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out_text(&out).1.contains("give a document"));
}

#[test]
fn a_database_from_is_copied_from_tos_scratch_database_when_to_only_defines_objects() {
    // TO's scratch database, brought back to A by the reverse plan and read back equal to A,
    // is where the plan is tried: the round trip holds as with a copy built from nothing.
    let a = Db::new("reverse");
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = write(
        dir.path(),
        "a.sql",
        "CREATE TYPE e AS ENUM ('a');
CREATE TABLE t (id int PRIMARY KEY, note text, k e DEFAULT 'a');
CREATE INDEX t_note ON t (note);
CREATE VIEW tv AS SELECT id FROM t;
COMMENT ON TABLE t IS 'things';
",
    );
    a.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "b.sql",
        "CREATE TYPE e AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, v int, k e DEFAULT 'b');
CREATE TABLE u (id int REFERENCES t);
CREATE INDEX u_id ON u (id);
CREATE VIEW tv AS SELECT id, v FROM t;
",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM, made from TO's by the reverse plan"),
        "{stderr}"
    );
    let plan = write(dir.path(), "plan.sql", &stdout);
    a.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &a.url(), &b]);
    assert_eq!(again.status.code(), Some(0), "{}", out_text(&again).1);
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);

    // A document that runs code (which may leave rows or settings behind) is not a base: the
    // copy is built from nothing, and the plan still validated.
    let runs_code = write(
        dir.path(),
        "runs_code.sql",
        "CREATE TYPE e AS ENUM ('a', 'b');
CREATE TABLE t (id int PRIMARY KEY, v int, k e DEFAULT 'b');
DO $$BEGIN CREATE TABLE w (x int); END$$;
",
    );
    let out = pgspec(&["diff", "--db", &url, &a.url(), &runs_code]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM") && !stderr.contains("reverse plan"),
        "{stderr}"
    );
    assert!(stdout.contains("CREATE TABLE public.w"), "{stdout}");

    // Brought back from TO, the child's own `e` must become inherited only, as A's is: the
    // reverse plan moves its values into the column the parent gains (a copy that still
    // carried a local-and-inherited column would not be used; the copy is then built from
    // nothing). Either way the plan is validated and holds.
    let parent = Db::new("inherit");
    let sql = write(
        dir.path(),
        "parent_a.sql",
        "CREATE TABLE base (created_at timestamp DEFAULT now(), e integer);
CREATE TABLE child (a1 integer, a2 integer) INHERITS (base);
",
    );
    parent.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "parent_b.sql",
        "CREATE TABLE base (created_at timestamp DEFAULT now());
CREATE TABLE child (a1 integer, e integer) INHERITS (base);
",
    );
    let out = pgspec(&["diff", "--db", &url, "--no-renames", &parent.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("validated on a scratch copy of FROM"),
        "{stderr}"
    );
    let plan = write(dir.path(), "parent_plan.sql", &stdout);
    parent.run_file(Path::new(&plan)).expect("apply the plan");
    let again = pgspec(&["diff", "--db", &url, &parent.url(), &b]);
    assert!(again.stdout.is_empty(), "{}", out_text(&again).0);

    // A's identity sequence stands at -200, below TO's new minimum: the change of bounds does
    // not apply to A. A copy brought back from TO keeps TO's position unless it is restarted,
    // so the validation must still refuse the plan, never print it.
    let identity = Db::new("identity");
    let sql = write(
        dir.path(),
        "identity_a.sql",
        "CREATE TABLE v (x int GENERATED BY DEFAULT AS IDENTITY (START WITH -200 INCREMENT BY 10 MINVALUE -200 MAXVALUE 200));\n",
    );
    identity.run_file(Path::new(&sql)).expect("build A");
    let b = write(
        dir.path(),
        "identity_b.sql",
        "CREATE TABLE v (x int GENERATED BY DEFAULT AS IDENTITY (START WITH -100 INCREMENT BY 5 MINVALUE -100 MAXVALUE 100));\n",
    );
    let out = pgspec(&["diff", "--db", &url, &identity.url(), &b]);
    let (stdout, stderr) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("does not apply to a copy of FROM"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
}
