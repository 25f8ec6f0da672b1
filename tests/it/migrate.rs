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

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(crate) fn catalog(database: &str) -> Catalog {
    let server = Server::Url(shared_cluster().url("postgres"));
    Catalog::load_database(&server, database).expect("read the catalog")
}

/// What differs between the schemas of two databases of the shared cluster, as the script that
/// would bring `database` to `reference` (empty: the same), or the refusals. Owners aside (a
/// scratch build has another), and pgspec's migration history.
pub(crate) fn schema_differences(database: &str, reference: &str) -> String {
    let (migrated, built) = (catalog(database), catalog(reference));
    let mut owners: Vec<String> = [&migrated, &built]
        .iter()
        .flat_map(|c| c.tables.iter().map(|t| t.owner.clone()))
        .collect();
    owners.sort();
    owners.dedup();
    let options = Options {
        exclude_schemas: vec!["pgspec_migrate".into()],
        ignore_grantees: owners,
        ..Options::default()
    };
    match diff::plan(&migrated, &built, &options) {
        Ok(rest) => rest.script(),
        Err(refusals) => refusals
            .iter()
            .map(|r| format!("refused: {}: {}", r.object, r.message))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// An edit of a seed document: a CHECK changed in place, and a block that adds a column, an
/// index and a table.
struct Edit {
    seed: &'static str,
    check_from: &'static str,
    check_to: &'static str,
    later: &'static str,
    /// The new table, `schema.name`.
    new_table: &'static str,
    /// Pieces the written migration holds.
    pieces: &'static [&'static str],
}

/// A seed of the repaired corpus: `migrate new` on the document writes the first migration,
/// `up` + `seed` fill the database (the migration is recorded as its baseline); the document
/// gains a column, a changed CHECK, an index and a table; `migrate new` + `migrate apply`
/// bring the database along, every row stays, and the catalog equals a fresh `up` of the
/// edited document. `migrate down` then refuses to lose the new table's data unless allowed,
/// and the rows are still there after it.
fn data_survives(edit: &Edit) {
    let _guard = crate::check::seed_lock();
    let work = tempfile::tempdir().expect("tempdir");
    let doc = work.path().join("schema.md");
    let original = std::fs::read_to_string(crate::seed_file("repaired", edit.seed)).expect("seed");
    std::fs::write(&doc, &original).expect("write doc");
    let doc_s = doc.display().to_string();
    let database = pgspec::up::database_name_for(&doc_s);
    let fresh = unique("fresh");
    struct Down<'a>(&'a str, &'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = pgspec(&["down", self.0]);
            let _ = pgspec(&["down", self.0, "--name", self.1]);
        }
    }
    let _down = Down(&doc_s, &fresh);

    let out = pgspec(&["migrate", "new", &doc_s, "--name", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(work.path().join("migrations/0001_init.sql").exists());
    assert!(work.path().join("migrations/pgspec.sum").exists());
    let out = pgspec(&["up", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = pgspec(&["seed", &doc_s, "--rows", "200"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (before, columns) = snapshot(&database, None);
    assert!(
        before.values().map(|(n, _)| n).sum::<i64>() > 0,
        "the seed loaded no rows: {before:?}"
    );

    assert!(
        original.contains(edit.check_from),
        "seed {} changed; adjust the edit",
        edit.seed
    );
    let edited = original.replace(edit.check_from, edit.check_to)
        + "\n\n## Later changes\n\n```sql\n"
        + edit.later
        + "\n```\n";
    std::fs::write(&doc, edited).expect("edit doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "edit"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(work.path().join("migrations/0002_edit.sql"))
        .unwrap_or_else(|e| panic!("0002_edit.sql: {e}\n{}", text(&out)));
    for piece in edit.pieces {
        assert!(written.contains(piece), "{piece} missing from:\n{written}");
    }
    let out = pgspec(&["migrate", "apply", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0001_init.sql baseline") && stdout.contains("0002_edit.sql applied"),
        "{}",
        text(&out)
    );

    let (after, _) = snapshot(&database, Some(&columns));
    for (table, sum) in &before {
        assert_eq!(after.get(table), Some(sum), "rows of {table} changed");
    }
    assert_eq!(after.get(edit.new_table).map(|s| s.0), Some(0));

    let out = pgspec(&["up", &doc_s, "--name", &fresh]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rest = schema_differences(&database, &fresh);
    assert!(
        rest.is_empty(),
        "the migrated database differs from a fresh up:\n{rest}"
    );

    // The way back drops the new table and column: refused, then allowed.
    let out = pgspec(&["migrate", "down", &doc_s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("loses data"), "{}", text(&out));
    let out = pgspec(&[
        "migrate",
        "down",
        &doc_s,
        "1",
        "--allow-hazards",
        "data-loss",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (back, _) = snapshot(&database, Some(&columns));
    for (table, sum) in &before {
        assert_eq!(
            back.get(table),
            Some(sum),
            "rows of {table} changed on the way back"
        );
    }
    assert!(!back.contains_key(edit.new_table));
    let out = pgspec(&["migrate", "status", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.starts_with("0002_edit.sql") && l.contains("pending")));
}

#[test]
fn migrate_data_survives_an_edited_seed_001() {
    data_survives(&Edit {
        seed: "001",
        check_from: "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 150)",
        check_to: "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 300)",
        later: "ALTER TABLE prod_pingvas.users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX images_format_idx ON prod_pingvas.images (format);\n\
                CREATE TABLE prod_pingvas.tags (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    label TEXT NOT NULL UNIQUE\n);",
        new_table: "prod_pingvas.tags",
        pieces: &[
            "ADD COLUMN nickname",
            "steps <= 300",
            "images_format_idx",
            "CREATE TABLE prod_pingvas.tags",
        ],
    });
}

/// Seed 002 has a partitioned table (with the partitions `up` adds for today).
#[test]
fn migrate_data_survives_an_edited_seed_002() {
    data_survives(&Edit {
        seed: "002",
        check_from: "CHECK (version > 0);",
        check_to: "CHECK (version >= 1);",
        later: "ALTER TABLE settlement_periods ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_settlement_periods_note ON settlement_periods (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "version >= 1",
            "idx_settlement_periods_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// Seed 000: partitions, pg_cron, an untrusted extension, roles it only grants to.
#[test]
fn migrate_data_survives_an_edited_seed_000() {
    data_survives(&Edit {
        seed: "000",
        check_from: "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee)",
        check_to: "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee OR fee IS NULL)",
        later: "ALTER TABLE payments ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_payments_note ON payments (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "fee IS NULL",
            "idx_payments_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// Seed 003 is a Supabase document: the platform layer's default privileges are the database
/// owner's, and the owner of a scratch build is another role than the target's.
#[test]
fn migrate_data_survives_an_edited_seed_003() {
    data_survives(&Edit {
        seed: "003",
        check_from: "feedback_type IN ('like', 'dislike', 'not_interested', 'report')",
        check_to: "feedback_type IN ('like', 'dislike', 'not_interested', 'report', 'spam')",
        later: "ALTER TABLE user_feedback ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_user_feedback_note ON user_feedback (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN note",
            "'spam'",
            "idx_user_feedback_note",
            "CREATE TABLE public.tags",
        ],
    });
}

/// A Supabase document that grants to the platform's roles gets the layer's default
/// privileges, whose grantor is the database's owner: another role in each scratch build than
/// in the database `up` made. The migrations are written, applied and walked back all the same.
#[test]
fn migrate_a_supabase_document_with_default_privileges_migrates_and_walks_back() {
    let work = tempfile::tempdir().expect("tempdir");
    let doc = work.path().join("profiles.md");
    let doc_s = doc.display().to_string();
    let revision = |extra: &str| {
        format!(
            "# profiles\n\n```sql\nCREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), name text{extra});\n\
             ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY own ON profiles FOR SELECT TO authenticated USING (auth.uid() = id);\n\
             GRANT SELECT ON profiles TO authenticated;\n```\n"
        )
    };
    let database = pgspec::up::database_name_for(&doc_s);
    let fresh = unique("supa_fresh");
    struct Down<'a>(&'a str, &'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = pgspec(&["down", self.0]);
            let _ = pgspec(&["down", self.0, "--name", self.1]);
        }
    }
    let _down = Down(&doc_s, &fresh);
    // The platform's roles are cluster-wide.
    let _roles = crate::postgres::role_lock();

    std::fs::write(&doc, revision("")).expect("write doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "init"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out)
            .contains("its down section keeps what pgspec cannot plan yet: default privileges"),
        "{}",
        text(&out)
    );
    let out = pgspec(&["up", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    client(&database)
        .batch_execute(
            "INSERT INTO auth.users (id) SELECT gen_random_uuid() FROM generate_series(1, 5);\n\
             INSERT INTO public.profiles (id, name) SELECT id, 'n' FROM auth.users",
        )
        .expect("rows");

    std::fs::write(&doc, revision(", bio text")).expect("edit doc");
    let out = pgspec(&["migrate", "new", &doc_s, "--name", "bio"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = pgspec(&["migrate", "apply", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0002_bio.sql applied"),
        "{}",
        text(&out)
    );
    let count = |db: &str| -> i64 {
        client(db)
            .query_one("SELECT count(*) FROM public.profiles", &[])
            .expect("count")
            .get(0)
    };
    assert_eq!(count(&database), 5);
    let out = pgspec(&["migrate", "status", &doc_s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = pgspec(&["up", &doc_s, "--name", &fresh]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let rest = schema_differences(&database, &fresh);
    assert!(
        rest.is_empty(),
        "the migrated database differs from a fresh up:\n{rest}"
    );

    let out = pgspec(&["migrate", "down", &doc_s, "--allow-hazards", "data-loss"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(count(&database), 5);
}

/// Seed 004 has partitions made by its own maintenance function, pg_cron and an untrusted
/// extension (the first file's script creates them through pgspec's privileged path).
#[test]
fn migrate_data_survives_an_edited_seed_004() {
    data_survives(&Edit {
        seed: "004",
        // Not an IN-list on a varchar: diff on main writes those back as a text that
        // PostgreSQL deparses differently, and the trial run refuses the plan.
        check_from: "CONSTRAINT check_email CHECK (email ~* ",
        check_to: "CONSTRAINT check_email CHECK (length(email) < 320 AND email ~* ",
        later: "ALTER TABLE users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX idx_users_nickname ON users (nickname);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);",
        new_table: "public.tags",
        pieces: &[
            "ADD COLUMN nickname",
            "length((email)::text) < 320",
            "idx_users_nickname",
            "CREATE TABLE public.tags",
        ],
    });
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
