//! `pgspec migrate` end to end on the shared cluster: the binary writes and applies migration
//! files; the tests read the databases from outside. Faults: a statement failing halfway
//! through a file, two runs at once, an edited / removed / reordered applied file, `kill -9`
//! during a run. Data: a seed brought up and filled, its document edited, migrated, and every
//! row still there, with the catalog of a fresh `up` of the edited document.

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pgspec::diff::{self, Options};
use pgspec::postgres::catalog::Catalog;
use pgspec::postgres::Server;

use crate::postgres::shared_cluster;

pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pgspec_t_mig_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn client(database: &str) -> ::postgres::Client {
    ::postgres::Client::connect(&shared_cluster().url(database), ::postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to {database}: {e}"))
}

pub(crate) fn pgspec_command(args: &[&str]) -> Command {
    let root = shared_cluster().root.display().to_string();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
    cmd.args(args).args(["--cluster-dir", &root]);
    cmd
}

pub(crate) fn pgspec(args: &[&str]) -> Output {
    pgspec_command(args).output().expect("run pgspec")
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A database of its own, dropped on drop, and the migration directory the test writes.
struct Fixture {
    name: String,
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(prefix: &str) -> Fixture {
        let name = unique(prefix);
        client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        Fixture {
            name,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn url(&self) -> String {
        shared_cluster().url(&self.name)
    }

    fn dir(&self) -> String {
        self.dir.path().display().to_string()
    }

    /// Write a migration file by hand, in the documented format, and rehash the ledger.
    fn write(&self, file_name: &str, up: &str, down: &str) {
        let text = format!("-- written by the test\n-- pgspec:up\n{up}\n-- pgspec:down\n{down}\n");
        std::fs::write(self.dir.path().join(file_name), text).expect("write migration");
        let out = pgspec(&["migrate", "hash", "--dir", &self.dir()]);
        assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    }

    fn migrate(&self, action: &str, extra: &[&str]) -> Output {
        let url = self.url();
        let dir = self.dir();
        let mut args = vec!["migrate", action, "--db", &url, "--dir", &dir];
        args.extend_from_slice(extra);
        pgspec(&args)
    }

    fn versions(&self) -> Vec<i32> {
        client(&self.name)
            .query(
                "SELECT version FROM pgspec_migrate.pgspec_migrations ORDER BY version",
                &[],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default()
    }

    fn exists(&self, relation: &str) -> bool {
        client(&self.name)
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
            .expect("to_regclass")
            .get(0)
    }

    fn scalar(&self, sql: &str) -> i64 {
        client(&self.name)
            .query_one(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = client("postgres").batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn text_of(out: &Output) -> String {
    text(out)
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn migrate_a_failing_statement_halfway_leaves_the_database_unchanged_and_unrecorded() {
    let f = Fixture::new("fail");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);",
        "DROP TABLE public.t;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Rows the application wrote: the scratch copy has the schema, not these.
    client(&f.name)
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 10)")
        .expect("rows");
    f.write(
        "0002_bad.sql",
        "CREATE TABLE public.u (y integer);\nINSERT INTO public.u VALUES (1);\n\
         ALTER TABLE public.t ADD CONSTRAINT t_big CHECK (x > 5);\nCREATE TABLE public.v (z integer);",
        "DROP TABLE public.v;\nALTER TABLE public.t DROP CONSTRAINT t_big;\nDROP TABLE public.u;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("0002_bad.sql step 1 failed on the target")
            && err.contains("t_big")
            && err.contains("rolled back"),
        "{}",
        text(&out)
    );
    assert!(
        !f.exists("public.u") && !f.exists("public.v"),
        "half a file stayed"
    );
    assert_eq!(f.scalar("SELECT count(*) FROM public.t"), 10);
    assert_eq!(
        f.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 't_big'"),
        0
    );
    assert_eq!(f.versions(), vec![1]);
    // status: still pending, nothing edited.
    let out = f.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("0002_bad.sql") && l.contains("pending")),
        "{}",
        text(&out)
    );
}

#[test]
fn migrate_a_file_that_fails_on_the_schema_is_stopped_by_the_trial_run_before_the_target() {
    let f = Fixture::new("trial");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);",
        "DROP TABLE public.t;",
    );
    f.write(
        "0002_bad.sql",
        "CREATE TABLE public.u (y integer);\nALTER TABLE public.nope ADD COLUMN z integer;",
        "DROP TABLE public.u;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("0002_bad.sql step 1 fails on a scratch copy"),
        "{}",
        text(&out)
    );
    // Not even 0001 ran: the trial covers every pending file before any touches the target.
    assert!(!f.exists("public.t") && !f.exists("public.u"));
    assert_eq!(f.versions(), Vec::<i32>::new());
}

#[test]
fn migrate_two_concurrent_applies_never_apply_a_file_twice() {
    let f = Fixture::new("race");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);\nCREATE TABLE public.marks (v integer);",
        "DROP TABLE public.marks;\nDROP TABLE public.t;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    client(&f.name)
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 10)")
        .expect("rows");
    // Slow on the target's ten rows (2 s), instant on the empty scratch copy.
    f.write(
        "0002_slow.sql",
        "INSERT INTO public.marks VALUES (2);\n\
         UPDATE public.t SET x = x WHERE pg_sleep(0.2) IS NOT NULL;\n\
         CREATE TABLE public.w (z integer);",
        "DROP TABLE public.w;\nDELETE FROM public.marks WHERE v = 2;",
    );
    let (url, dir) = (f.url(), f.dir());
    let spawn = || {
        pgspec_command(&["migrate", "apply", "--db", &url, "--dir", &dir])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pgspec")
    };
    let a = spawn();
    let b = spawn();
    let outs = [
        a.wait_with_output().expect("wait"),
        b.wait_with_output().expect("wait"),
    ];
    for out in &outs {
        let clean_wait = out.status.code() == Some(0);
        let clear_refusal = out.status.code() == Some(2) && stderr(out).contains("migration lock");
        assert!(clean_wait || clear_refusal, "{}", text(out));
    }
    let applied_by: usize = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stdout).contains("0002_slow.sql applied"))
        .count();
    assert_eq!(applied_by, 1, "{}\n---\n{}", text(&outs[0]), text(&outs[1]));
    assert_eq!(f.scalar("SELECT count(*) FROM public.marks"), 1);
    assert_eq!(f.versions(), vec![1, 2]);
}

#[test]
fn migrate_an_edited_removed_or_reordered_applied_file_is_refused() {
    let f = Fixture::new("edit");
    f.write(
        "0001_a.sql",
        "CREATE TABLE public.a (x integer);",
        "DROP TABLE public.a;",
    );
    f.write(
        "0003_c.sql",
        "CREATE TABLE public.c (x integer);",
        "DROP TABLE public.c;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(f.versions(), vec![1, 3]);

    // Edited (the ledger rehashed too, as a careless edit would): refused.
    f.write(
        "0001_a.sql",
        "CREATE TABLE public.a (x bigint);",
        "DROP TABLE public.a;",
    );
    f.write(
        "0004_d.sql",
        "CREATE TABLE public.d (x integer);",
        "DROP TABLE public.d;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("0001_a.sql was edited after it was applied"),
        "{}",
        text(&out)
    );
    assert!(!f.exists("public.d"));
    let out = f.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("EDITED"));

    // Edited without rehashing: the ledger says so first.
    std::fs::write(
        f.dir.path().join("0001_a.sql"),
        "-- pgspec:up\nCREATE TABLE public.a (x text);\n",
    )
    .expect("write");
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("changed since the ledger was written"));

    // Restored, then removed: refused.
    f.write(
        "0001_a.sql",
        "CREATE TABLE public.a (x integer);",
        "DROP TABLE public.a;",
    );
    std::fs::remove_file(f.dir.path().join("0003_c.sql")).expect("remove");
    let out = pgspec(&["migrate", "hash", "--dir", &f.dir()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("0003_c.sql was applied but is no longer in the directory"),
        "{}",
        text(&out)
    );

    // Restored, and a file slipped in before an applied one: refused.
    f.write(
        "0003_c.sql",
        "CREATE TABLE public.c (x integer);",
        "DROP TABLE public.c;",
    );
    f.write(
        "0002_b.sql",
        "CREATE TABLE public.b (x integer);",
        "DROP TABLE public.b;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("0002_b.sql is not applied but a later version is"),
        "{}",
        text(&out)
    );
    assert!(!f.exists("public.b") && !f.exists("public.d"));
    assert_eq!(f.versions(), vec![1, 3]);
}

#[test]
fn migrate_kill_9_during_apply_leaves_a_state_the_next_run_reports_and_continues_from() {
    let f = Fixture::new("kill");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);",
        "DROP TABLE public.t;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    client(&f.name)
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 20)")
        .expect("rows");
    let sum_before = f.scalar("SELECT sum(x) FROM public.t");
    // 20 rows × 0.25 s on the target.
    f.write(
        "0002_slow.sql",
        "UPDATE public.t SET x = x + 1 WHERE pg_sleep(0.25) IS NOT NULL;\nCREATE TABLE public.z (y integer);",
        "DROP TABLE public.z;\nUPDATE public.t SET x = x - 1;",
    );
    let (url, dir) = (f.url(), f.dir());
    let mut child = pgspec_command(&["migrate", "apply", "--db", &url, "--dir", &dir])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pgspec");
    // Until the UPDATE runs on the target itself.
    let start = Instant::now();
    loop {
        let running = f.scalar(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state = 'active' \
             AND query LIKE '%pg_sleep(0.25)%' AND pid <> pg_backend_pid()",
            f.name
        ));
        if running > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the migration never started on the target"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");

    let out = f.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("0001_base.sql") && l.contains("applied"))
            && stdout
                .lines()
                .any(|l| l.starts_with("0002_slow.sql") && l.contains("pending")),
        "{}",
        text(&out)
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(f.exists("public.z"));
    assert_eq!(f.versions(), vec![1, 2]);
    // The killed run's UPDATE was rolled back: the rows moved once.
    assert_eq!(f.scalar("SELECT sum(x) FROM public.t"), sum_before + 20);
}

/// Per table (`schema.name`): its row count and a checksum of its rows.
pub(crate) type Sums = BTreeMap<String, (i64, String)>;
/// Per table: the quoted columns a checksum reads.
pub(crate) type Columns = BTreeMap<String, Vec<String>>;

/// Row count and a checksum of the rows of every table of the user's schemas, over the
/// columns `columns` lists (the columns before the edit), or all when absent.
pub(crate) fn snapshot(database: &str, columns: Option<&Columns>) -> (Sums, Columns) {
    let mut c = client(database);
    let tables: Vec<(String, String)> = c
        .query(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
             AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgspec_migrate', 'cron') \
             AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut sums = BTreeMap::new();
    let mut cols = BTreeMap::new();
    for (schema, table) in tables {
        let key = format!("{schema}.{table}");
        let list: Vec<String> = match columns.and_then(|m| m.get(&key)) {
            Some(list) => list.clone(),
            None => c
                .query(
                    "SELECT quote_ident(attname) FROM pg_attribute \
                     WHERE attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass \
                     AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    &[&schema, &table],
                )
                .expect("columns")
                .iter()
                .map(|r| r.get(0))
                .collect(),
        };
        let row: ::postgres::Row = c
            .query_one(
                &format!(
                    "SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) \
                     FROM (SELECT {} FROM {}.{}) r",
                    list.join(", "),
                    quote(&schema),
                    quote(&table)
                ),
                &[],
            )
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        sums.insert(key.clone(), (row.get(0), row.get(1)));
        cols.insert(key, list);
    }
    (sums, cols)
}

#[test]
fn migrate_a_statement_pgspec_never_runs_is_refused_from_the_parse_tree_even_without_the_trial() {
    let f = Fixture::new("hostile");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);\nCOPY public.t FROM PROGRAM 'id -u';",
        "DROP TABLE public.t;",
    );
    let out = f.migrate("apply", &["--no-validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("0001_base.sql step 1: pgspec never runs `COPY"),
        "{}",
        text(&out)
    );
    assert!(!f.exists("public.t"));
    assert_eq!(f.versions(), Vec::<i32>::new());
}

#[test]
fn migrate_status_reports_a_change_made_by_hand_as_drift() {
    let f = Fixture::new("drift");
    f.write(
        "0001_base.sql",
        "CREATE TABLE public.t (x integer);",
        "DROP TABLE public.t;",
    );
    let out = f.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = f.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    client(&f.name)
        .batch_execute("ALTER TABLE public.t ADD COLUMN by_hand text")
        .expect("alter by hand");
    let out = f.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("drifted") && err.contains("DROP COLUMN by_hand"),
        "{}",
        text(&out)
    );
}

mod data;
use data::quote;
pub(crate) use data::{catalog, schema_differences};
