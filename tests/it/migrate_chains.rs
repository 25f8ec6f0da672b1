//! Chains of revisions through `pgspec migrate`, built from the peers' own cases (read at run
//! time from `../shared/peer-cases`, never copied here): each pair A, B of pg-schema-diff,
//! migra and sqldef gives the chain A → B → A, and pgroll's examples, in their order, give
//! one revision per example (each operation re-expressed as SQL by this file, appended to the
//! revision before it).
//!
//! A chain runs as a user would: the first revision's migration is written (`migrate new`),
//! the database made (`up`) and filled (`seed`); then for each revision the document changes,
//! `migrate new` writes the next file, `migrate apply` applies it to the database with its
//! rows, and `seed` adds rows. After every step the database's catalog must equal a fresh build
//! of the revision (the revision's SQL run on an empty database), and the rows of every table
//! the step keeps must still be there. Then `migrate down` walks the chain back one file at a
//! time (`--allow-hazards data-loss` when it refuses), each time equal to a fresh build of the
//! earlier revision.
//!
//! `cargo test` runs a fixed sample with every peer represented; `PGSPEC_CHAINS=all` runs
//! every case of each peer and prints one `chain:` line per chain instead of failing
//! (scripts/peer-chains.sh collects them into BENCHMARKS.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::migrate::{client, pgspec, schema_differences, stderr, text, unique};

fn peers() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peer-cases");
    dir.is_dir().then_some(dir)
}

#[allow(clippy::print_stderr)] // the skip is said where the test runner shows it
fn skipped(test: &str) {
    eprintln!(
        "{test}: SKIPPED: ../shared/peer-cases is absent (the peers' cases are read at run time)"
    );
}

fn whole_set() -> bool {
    std::env::var("PGSPEC_CHAINS").is_ok_and(|v| v == "all")
}

/// In the whole-set mode, every `PGSPEC_CHAINS_STRIDE`-th case of a peer (default: each).
fn stride<T>(cases: Vec<T>) -> Vec<T> {
    let every = std::env::var("PGSPEC_CHAINS_STRIDE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    cases.into_iter().step_by(every).collect()
}

/// One revision: its SQL, and what a user would add to the migration file `migrate new` writes
/// for it before applying (pgroll's backfills).
#[derive(Clone, Debug, Default)]
struct Revision {
    sql: String,
    backfills: Vec<Backfill>,
}

/// Values for rows already there, as pgroll's `up` expression gives them.
#[derive(Clone, Debug)]
enum Backfill {
    /// Before the file's statements: `UPDATE table SET column = (expression)`.
    Before {
        table: String,
        column: String,
        expression: String,
    },
    /// A NOT NULL column added without a default: added nullable, filled, then NOT NULL.
    NewColumn { column: String, expression: String },
}

struct Chain {
    source: &'static str,
    name: String,
    revisions: Vec<Revision>,
    /// What `migrate new` does with a rename candidate: pgroll's renames are renames
    /// (`--renames`); the peers' pairs expect a drop and an add (`--no-renames`).
    renames: &'static str,
}

/// How far a chain went.
#[derive(Debug)]
struct Outcome {
    steps: usize,
    passed: usize,
    downs: usize,
    downs_passed: usize,
    /// Steps whose rows the new revision refuses (then applied without them).
    conflicts: Vec<String>,
    /// Rows the tables held after each step, summed (0: seed could fill no table).
    rows: i64,
    failure: Option<String>,
}

impl Outcome {
    /// A failure that is pgspec refusing a step with its code (DIF008) and the reason (an
    /// extension with no way back to its older version): said, not a wrong database.
    fn refusal(&self) -> Option<String> {
        let f = self.failure.as_deref()?;
        let line = f.lines().find(|l| l.contains("error[DIF008]"))?;
        Some(
            line.split("error[DIF008]: ")
                .nth(1)
                .unwrap_or(line)
                .to_string(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Running a chain

/// A fresh `pgspec up` of a revision's document in a database of its own, taken down on drop.
struct Fresh {
    doc: String,
    name: String,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = pgspec(&["down", &self.doc, "--name", &self.name]);
    }
}

/// A fresh build of revision `k`: as `pgspec up` builds its document (with what `up`
/// provisions, the partitions of today and a default one), which is what its first migration
/// holds too.
fn fresh_build(work: &Path, k: usize, sql: &str) -> Result<Fresh, String> {
    let doc = work.join(format!("revision_{}.md", k + 1));
    std::fs::write(&doc, document(sql)).map_err(|e| e.to_string())?;
    let fresh = Fresh {
        doc: doc.display().to_string(),
        name: unique("chain_fresh"),
    };
    run(&["up", &fresh.doc, "--name", &fresh.name])
        .map_err(|e| format!("a fresh build of the revision: {e}"))?;
    Ok(fresh)
}

/// Row count of every table of the user's schemas, `schema.name`.
fn counts(database: &str) -> BTreeMap<String, i64> {
    let mut c = client(database);
    let tables: Vec<String> = c
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgspec_migrate', 'cron') \
             AND n.nspname NOT LIKE 'pg_toast%'",
            &[],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    tables
        .into_iter()
        .filter_map(|t| {
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM {t}"), &[])
                .ok()?
                .get(0);
            Some((t, n))
        })
        .collect()
}

/// Run a `migrate apply` or `down` that must succeed. When the rows the database holds break
/// the revision it goes to, the file must be rolled back whole (the database still equals the
/// fresh build `unchanged`); then the tables are emptied and it runs again, and what the rows
/// broke is returned.
fn applying(
    args: &[&str],
    database: &str,
    unchanged: Option<&str>,
) -> Result<Option<String>, String> {
    let out = pgspec(args);
    if out.status.code() == Some(0) {
        return Ok(None);
    }
    let err = stderr(&out);
    let Some(unchanged) = unchanged.filter(|_| rows_conflict(&err)) else {
        return Err(format!(
            "`pgspec {}` failed: {}",
            args.join(" "),
            text(&out)
        ));
    };
    // A file with steps outside a transaction keeps the steps before the failing one (the
    // message says so); the run after the rows are gone must continue from there.
    let partial = err.contains(" applied and recorded (a file with");
    let rest = schema_differences(database, unchanged);
    if !rest.is_empty() && !partial {
        return Err(format!(
            "`pgspec {}` was refused by the rows ({}) and left the database changed:\n{rest}",
            args.join(" "),
            err.lines()
                .find(|l| l.contains("failed on the target"))
                .unwrap_or("")
        ));
    }
    empty_tables(database);
    run(args)?;
    Ok(Some(
        err.lines()
            .find(|l| l.contains("failed on the target"))
            .unwrap_or("")
            .trim_start_matches("pgspec: error: ")
            .split("; the file's")
            .next()
            .unwrap_or("")
            .to_string(),
    ))
}

/// Whether a failed apply was refused by the rows (a constraint they break, a value the new
/// type cannot hold), not by the migration itself.
fn rows_conflict(stderr: &str) -> bool {
    stderr.contains("failed on the target")
        && [
            "violate",
            "contains null values",
            "could not create unique index",
            "invalid input",
        ]
        .iter()
        .any(|m| stderr.contains(m))
}

fn empty_tables(database: &str) {
    let tables: Vec<String> = counts(database).into_keys().collect();
    if !tables.is_empty() {
        client(database)
            .batch_execute(&format!("TRUNCATE {} CASCADE", tables.join(", ")))
            .expect("empty the tables");
    }
}

/// The migration file `migrate new` just wrote (the last one in `dir`).
fn last_file(dir: &Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files.pop()
}

/// The user's edit of a written file: pgroll's backfills put in its up section.
fn add_backfills(file: &Path, backfills: &[Backfill]) -> Result<(), String> {
    let mut written = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    for b in backfills {
        match b {
            Backfill::Before {
                table,
                column,
                expression,
            } => {
                let update = format!(
                    "-- pgspec:up\nUPDATE {} SET {} = ({expression});",
                    quote(table),
                    quote(column)
                );
                written = written.replacen("-- pgspec:up", &update, 1);
            }
            Backfill::NewColumn { column, expression } => {
                let marker = format!(" ADD COLUMN {} ", unquoted_or_quoted(column));
                let Some(line) = written
                    .lines()
                    .find(|l| l.contains(&marker) && l.ends_with(" NOT NULL;"))
                    .map(str::to_owned)
                else {
                    return Err(format!("no ADD COLUMN {column} … NOT NULL in the file"));
                };
                let table = line
                    .split(" ADD COLUMN ")
                    .next()
                    .and_then(|head| head.strip_prefix("ALTER TABLE "))
                    .unwrap_or_default()
                    .to_string();
                let col = unquoted_or_quoted(column);
                let replacement = format!(
                    "{};\nUPDATE {table} SET {col} = ({expression});\nALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;",
                    line.trim_end_matches(" NOT NULL;")
                );
                written = written.replacen(&line, &replacement, 1);
            }
        }
    }
    std::fs::write(file, written).map_err(|e| e.to_string())
}

/// How diff writes a column name: bare when it is a plain lower-case word.
fn unquoted_or_quoted(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        quote(name)
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A revision as a design document: its SQL in one block.
fn document(sql: &str) -> String {
    let longest = sql
        .lines()
        .map(|l| l.len() - l.trim_start_matches('`').len())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("# revision\n\n{fence}sql\n{sql}\n{fence}\n")
}

fn run(args: &[&str]) -> Result<std::process::Output, String> {
    let out = pgspec(args);
    if out.status.code() == Some(0) {
        Ok(out)
    } else {
        Err(format!(
            "`pgspec {}` failed: {}",
            args.join(" "),
            text(&out)
        ))
    }
}

fn run_chain(chain: &Chain) -> Outcome {
    let mut outcome = Outcome {
        steps: chain.revisions.len(),
        passed: 0,
        downs: 0,
        downs_passed: 0,
        conflicts: Vec::new(),
        rows: 0,
        failure: None,
    };
    if let Err(why) = walk(chain, &mut outcome) {
        outcome.failure = Some(why);
    }
    outcome
}

fn walk(chain: &Chain, outcome: &mut Outcome) -> Result<(), String> {
    let work = tempfile::tempdir().expect("tempdir");
    let doc = work.path().join("schema.md");
    let doc_s = doc.display().to_string();
    let database = pgspec::up::database_name_for(&doc_s);
    struct Down(String);
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = pgspec(&["down", &self.0]);
        }
    }
    let _down = Down(doc_s.clone());
    let mut builds: Vec<Fresh> = Vec::new();
    // Per revision, its fresh build (a revision seen before shares the build).
    let mut fresh: Vec<String> = Vec::new();
    // Each applied file with the revision it leads to.
    let mut applied: Vec<usize> = Vec::new();
    for (k, revision) in chain.revisions.iter().enumerate() {
        let step = |why: String| format!("step {} of {}: {why}", k + 1, chain.revisions.len());
        let seen = chain.revisions[..k]
            .iter()
            .position(|r| r.sql == revision.sql);
        match seen {
            Some(j) => fresh.push(fresh[j].clone()),
            None => {
                builds.push(fresh_build(work.path(), k, &revision.sql).map_err(step)?);
                fresh.push(builds.last().expect("pushed").name.clone());
            }
        }
        std::fs::write(&doc, document(&revision.sql)).expect("write the document");
        let out = run(&[
            "migrate",
            "new",
            &doc_s,
            "--name",
            &format!("r{}", k + 1),
            chain.renames,
        ])
        .map_err(step)?;
        let wrote = !String::from_utf8_lossy(&out.stdout).trim().is_empty();
        if k == 0 {
            run(&["up", &doc_s]).map_err(step)?;
        }
        if wrote && k > 0 {
            applied.push(k);
            if !revision.backfills.is_empty() {
                let file = last_file(&work.path().join("migrations")).expect("a file");
                add_backfills(&file, &revision.backfills).map_err(step)?;
                run(&["migrate", "hash", &doc_s]).map_err(step)?;
            }
        }
        let mut before = counts(&database);
        let conflicted = applying(
            &["migrate", "apply", &doc_s],
            &database,
            k.checked_sub(1).map(|j| fresh[j].as_str()),
        )
        .map_err(step)?;
        if let Some(c) = conflicted {
            outcome.conflicts.push(format!("step {}: {c}", k + 1));
            before = counts(&database);
        }
        let after = counts(&database);
        let loses_data = wrote
            && k > 0
            && std::fs::read_to_string(last_file(&work.path().join("migrations")).expect("file"))
                .unwrap_or_default()
                .split("-- pgspec:down")
                .next()
                .is_some_and(|up| up.contains("migration-drops-data"));
        for (table, n) in &before {
            if after.get(table).is_some_and(|m| m < n) && !loses_data {
                return Err(step(format!(
                    "{table} had {n} rows and has {} after the migration, which declares no data loss",
                    after[table]
                )));
            }
        }
        let rest = schema_differences(&database, &fresh[k]);
        if !rest.is_empty() {
            return Err(step(format!(
                "after apply, the database differs from a fresh build of the revision:\n{rest}"
            )));
        }
        // Rows for the next step: three more in each table seed can fill.
        let rows = (3 * (k + 1)).to_string();
        let out = pgspec(&["seed", &doc_s, "--rows", &rows]);
        if out.status.code() != Some(0) && !stderr(&out).contains("could not") {
            return Err(step(format!("seed: {}", text(&out))));
        }
        outcome.rows += counts(&database).values().sum::<i64>();
        outcome.passed += 1;
    }
    // The way back, one file at a time.
    outcome.downs = applied.len();
    while let Some(k) = applied.pop() {
        // Back at the revision the file before it led to (else the first).
        let back = applied.last().copied().unwrap_or(0);
        let step = |why: String| format!("down from revision {}: {why}", k + 1);
        let mut args = vec!["migrate", "down", doc_s.as_str(), "1"];
        let out = pgspec(&args);
        if out.status.code() != Some(0) {
            if stderr(&out).contains("loses data") {
                args.extend(["--allow-hazards", "data-loss"]);
            }
            let conflicted = applying(&args, &database, Some(fresh[k].as_str())).map_err(step)?;
            if let Some(c) = conflicted {
                outcome
                    .conflicts
                    .push(format!("down from revision {}: {c}", k + 1));
            }
        }
        let rest = schema_differences(&database, &fresh[back]);
        if !rest.is_empty() {
            return Err(step(format!(
                "the database differs from a fresh build of revision {}:\n{rest}",
                back + 1
            )));
        }
        outcome.downs_passed += 1;
    }
    Ok(())
}

/// Run `chains`; in the whole-set mode print one line each, else fail on any failure.
#[allow(clippy::print_stderr)] // the whole-set mode reports where the test runner shows it
fn check(test: &str, mut chains: Vec<Chain>) {
    if let Ok(only) = std::env::var("PGSPEC_CHAINS_FILTER") {
        chains.retain(|c| c.name.contains(&only));
    }
    let mut failures = Vec::new();
    let mut conflicts = Vec::new();
    let mut rowless = Vec::new();
    let (mut steps, mut passed) = (0, 0);
    for chain in &chains {
        let o = run_chain(chain);
        steps += o.steps + o.downs;
        passed += o.passed + o.downs_passed;
        if whole_set() {
            eprintln!(
                "chain: {}\t{}\t{}/{}\t{}/{}\t{}\t{}\t{}",
                chain.source,
                chain.name,
                o.passed,
                o.steps,
                o.downs_passed,
                o.downs,
                o.conflicts.len(),
                o.rows,
                o.refusal()
                    .map(|r| format!("refused (DIF008): {}", r.replace('\t', " ")))
                    .or_else(|| o.failure.as_deref().map(|f| f
                        .lines()
                        .filter(|l| {
                            let l = l.trim();
                            !(l.is_empty()
                                || l == "stdout:"
                                || l == "stderr:"
                                || l.starts_with("exit "))
                        })
                        .take(4)
                        .collect::<Vec<_>>()
                        .join(" ⏎ ")
                        .replace('\t', " ")))
                    .unwrap_or_else(|| "ok".into())
            );
        }
        conflicts.extend(
            o.conflicts
                .iter()
                .map(|c| format!("{} {}: {c}", chain.source, chain.name)),
        );
        if o.rows == 0 && o.failure.is_none() {
            rowless.push(format!("{} {}", chain.source, chain.name));
        }
        if let Some(f) = o.failure {
            failures.push(format!("{} {}: {f}", chain.source, chain.name));
        }
    }
    eprintln!(
        "{test}: {} chains, {passed} of {steps} steps passed; {} applied only once the rows the new revision refuses were gone{}",
        chains.len(),
        conflicts.len(),
        conflicts
            .iter()
            .map(|c| format!("\n  {c}"))
            .collect::<String>()
    );
    assert!(!chains.is_empty(), "no chain was read");
    if !whole_set() {
        assert!(
            rowless.is_empty(),
            "seed filled no table along these chains: {rowless:?}"
        );
        assert!(
            failures.is_empty(),
            "{} of {} chains fail:\n{}",
            failures.len(),
            chains.len(),
            failures.join("\n\n")
        );
    }
}

/// A → B → A from two SQL texts.
fn pair(source: &'static str, name: String, a: &str, b: &str) -> Chain {
    let revision = |sql: &str| Revision {
        sql: sql.to_string(),
        backfills: Vec::new(),
    };
    Chain {
        source,
        name,
        revisions: vec![revision(a), revision(b), revision(a)],
        renames: "--no-renames",
    }
}

// ---------------------------------------------------------------------------------------------
// The peers' pairs

/// pg-schema-diff cases in the sample (`group/case`): the rows of each side break the other's
/// constraint (rolled back, then applied without them).
const PG_SCHEMA_DIFF_SAMPLE: &[&str] = &[
    "check_constraint/020-alter-a-check-constraint-expression",
    "foreign_key_constraint/007-add-fk-owning-table-is-not-new",
];

#[test]
fn migrate_chains_from_pg_schema_diff_pairs() {
    let Some(peers) = peers() else {
        return skipped("migrate_chains_from_pg_schema_diff_pairs");
    };
    let root = peers.join("pg-schema-diff");
    let cases: Vec<PathBuf> = if whole_set() {
        let mut all: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("pg-schema-diff")
            .filter_map(Result::ok)
            .filter(|g| g.path().is_dir())
            .flat_map(|g| {
                std::fs::read_dir(g.path())
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .map(|c| c.path())
            })
            .filter(|c| {
                let meta = std::fs::read_to_string(c.join("meta.json")).unwrap_or_default();
                c.join("a.sql").exists()
                    && !meta.contains("\"expected_error\"")
                    && !meta.contains("\"roles\"")
                    && !meta.contains("\"plan_factory\"")
            })
            .collect();
        all.sort();
        stride(all)
    } else {
        PG_SCHEMA_DIFF_SAMPLE.iter().map(|c| root.join(c)).collect()
    };
    let chains = cases
        .iter()
        .map(|c| {
            let read = |f: &str| {
                std::fs::read_to_string(c.join(f))
                    .unwrap_or_else(|e| panic!("{}: {e}", c.join(f).display()))
            };
            let name = c.strip_prefix(&root).unwrap_or(c).display().to_string();
            pair("pg-schema-diff", name, &read("a.sql"), &read("b.sql"))
        })
        .collect();
    check("migrate_chains_from_pg_schema_diff_pairs", chains);
}

/// migra fixtures in the sample: their way back (B → A) once failed in diff's order of
/// statements (an identity dropped after a default is set; a partition attached before its
/// parent drops a column).
const MIGRA_SAMPLE: &[&str] = &["identitycols", "partitioning"];

#[test]
fn migrate_chains_from_migra_fixtures() {
    let Some(peers) = peers() else {
        return skipped("migrate_chains_from_migra_fixtures");
    };
    let root = peers.join("migra").join("FIXTURES");
    let names: Vec<String> = if whole_set() {
        let mut all: Vec<String> = std::fs::read_dir(&root)
            .expect("migra fixtures")
            .filter_map(Result::ok)
            .filter(|e| e.path().join("a.sql").exists())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        all.sort();
        stride(all)
    } else {
        MIGRA_SAMPLE.iter().map(|s| (*s).to_string()).collect()
    };
    let chains = names
        .into_iter()
        .map(|n| {
            let read = |f: &str| std::fs::read_to_string(root.join(&n).join(f)).unwrap_or_default();
            let (a, b) = (read("a.sql"), read("b.sql"));
            pair("migra", n, &a, &b)
        })
        .collect();
    check("migrate_chains_from_migra_fixtures", chains);
}

/// sqldef cases in the sample, `(file after tests_, case)`.
const SQLDEF_SAMPLE: &[(&str, &str)] = &[("identity", "RemoveIdentityFromColumn")];

#[test]
fn migrate_chains_from_sqldef_cases() {
    let Some(peers) = peers() else {
        return skipped("migrate_chains_from_sqldef_cases");
    };
    let root = peers.join("sqldef").join("psqldef");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("psqldef")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("tests_"))
        })
        .collect();
    files.sort();
    let mut chains = Vec::new();
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().trim_start_matches("tests_").to_string())
            .unwrap_or_default();
        let yaml = yaml::parse(&std::fs::read_to_string(&f).expect("read yml"));
        for (name, case) in yaml.entries() {
            let sampled = SQLDEF_SAMPLE
                .iter()
                .any(|(file, n)| *file == stem && *n == name);
            if !(sampled || whole_set() && sqldef_runs_here(case)) {
                continue;
            }
            let field = |k: &str| case.get(k).and_then(yaml::Yaml::text).unwrap_or_default();
            chains.push(pair(
                "sqldef",
                format!("{stem}/{name}"),
                &field("current"),
                &field("desired"),
            ));
        }
    }
    let chains = if whole_set() { stride(chains) } else { chains };
    check("migrate_chains_from_sqldef_cases", chains);
}

/// A sqldef case for plain PostgreSQL 15 that builds both sides without roles of its own.
fn sqldef_runs_here(case: &yaml::Yaml) -> bool {
    let flag = |k: &str| case.get(k).is_some();
    let version = |k: &str, default: u32| {
        case.get(k)
            .and_then(yaml::Yaml::text)
            .and_then(|v| v.split('.').next().and_then(|m| m.parse().ok()))
            .unwrap_or(default)
    };
    !flag("offline")
        && !flag("error")
        && !flag("managed_roles")
        && !flag("user")
        && case.get("flavor").is_none()
        && version("min_version", 0) <= 15
        && version("max_version", 99) >= 15
        && case.get("desired").is_some()
}

// ---------------------------------------------------------------------------------------------
// pgroll's examples

/// How many of pgroll's examples, in their order, the sample runs.
const PGROLL_SAMPLE: usize = 8;

#[test]
#[allow(clippy::print_stderr)] // where the whole set stops is said where the runner shows it
fn migrate_chain_from_pgroll_examples() {
    let Some(peers) = peers() else {
        return skipped("migrate_chain_from_pgroll_examples");
    };
    let dir = peers.join("pgroll").join("examples");
    let order = std::fs::read_to_string(dir.join(".ledger")).expect("pgroll's .ledger");
    let take = if whole_set() {
        usize::MAX
    } else {
        PGROLL_SAMPLE
    };
    let mut revisions: Vec<Revision> = Vec::new();
    let mut script = String::new();
    let mut stopped = None;
    for name in order.lines().filter(|l| !l.trim().is_empty()).take(take) {
        let yaml = yaml::parse(&std::fs::read_to_string(dir.join(name)).expect("example"));
        match pgroll::revision(&yaml) {
            Ok((sql, backfills)) => {
                script.push_str(&format!("-- {name}\n{sql}\n"));
                revisions.push(Revision {
                    sql: script.clone(),
                    backfills,
                });
            }
            Err(why) => {
                stopped = Some(format!("{name}: {why}"));
                break;
            }
        }
    }
    if let Some(why) = &stopped {
        assert!(
            whole_set(),
            "the sample reaches an example this file cannot re-express: {why}"
        );
        eprintln!("pgroll: the chain stops before {why}");
    }
    let chain = Chain {
        source: "pgroll",
        name: format!("examples 1–{}", revisions.len()),
        revisions,
        renames: "--renames",
    };
    check("migrate_chain_from_pgroll_examples", vec![chain]);
}

/// pgroll's operations as SQL.
mod pgroll;

/// The part of YAML the peers' files use: block mappings and sequences by indentation, plain
/// and quoted scalars, `[a, b]` flow sequences, `|` block scalars, `null`, full-line comments.
mod yaml;
