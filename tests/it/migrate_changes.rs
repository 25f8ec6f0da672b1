//! `pgspec migrate` on small documents, one change each, applied to a database with rows:
//! a file with steps outside a transaction continues from the step that failed; a new enum
//! label stays in the file's transaction unless a later statement uses it; a rename candidate
//! is refused by name until `--renames` (values kept, both ways) or `--no-renames`; a number
//! column that becomes a timestamp converts as seconds since the epoch, and back.

use std::process::Output;

use crate::migrate::{client, pgspec, stderr, text, unique};

/// A document with its `migrations/` beside it, and a database of its own the files are
/// applied to (dropped on drop).
struct Revisions {
    dir: tempfile::TempDir,
    database: String,
}

impl Revisions {
    fn new(prefix: &str) -> Revisions {
        let database = unique(prefix);
        client("postgres")
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .expect("create database");
        Revisions {
            dir: tempfile::tempdir().expect("tempdir"),
            database,
        }
    }

    fn doc(&self) -> String {
        self.dir.path().join("schema.md").display().to_string()
    }

    fn migrations(&self) -> String {
        self.dir.path().join("migrations").display().to_string()
    }

    /// `migrate new` for the document `sql` (one SQL block), with `flags`.
    fn new_file(&self, sql: &str, flags: &[&str]) -> Output {
        std::fs::write(self.doc(), format!("# revision\n\n```sql\n{sql}\n```\n"))
            .expect("write doc");
        let doc = self.doc();
        let mut args = vec!["migrate", "new", doc.as_str()];
        args.extend_from_slice(flags);
        pgspec(&args)
    }

    /// `new_file` that must write a file; its text.
    fn written(&self, sql: &str, flags: &[&str]) -> String {
        let out = self.new_file(sql, flags);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e} ({})", text(&out)))
    }

    fn migrate(&self, action: &str, extra: &[&str]) -> Output {
        let url = crate::postgres::shared_cluster().url(&self.database);
        let dir = self.migrations();
        let mut args = vec!["migrate", action, "--db", &url, "--dir", &dir];
        args.extend_from_slice(extra);
        pgspec(&args)
    }

    fn apply(&self) -> Output {
        let out = self.migrate("apply", &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        out
    }

    fn sql(&self, sql: &str) {
        client(&self.database)
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn texts(&self, sql: &str) -> Vec<String> {
        client(&self.database)
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    fn versions(&self) -> Vec<String> {
        self.texts("SELECT version::text FROM pgspec_migrate.pgspec_migrations ORDER BY version")
    }
}

impl Drop for Revisions {
    fn drop(&mut self) {
        let _ = client("postgres").batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.database
        ));
    }
}

/// The up section of a migration file.
fn up_section(file: &str) -> &str {
    file.split("-- pgspec:up")
        .nth(1)
        .and_then(|rest| rest.split("-- pgspec:down").next())
        .unwrap_or("")
}

/// A unique index built CONCURRENTLY fails on duplicate rows (the trial on the empty copy
/// passes) and leaves an invalid index: the step before it stays, recorded; once the rows
/// are mended the next run drops the invalid index, builds it again and finishes the file.
#[test]
fn migrate_a_file_with_steps_outside_a_transaction_continues_from_the_step_that_failed() {
    let r = Revisions::new("resume");
    r.written("CREATE TABLE t (x integer);", &["--name", "base"]);
    r.apply();
    r.sql("INSERT INTO public.t VALUES (1), (2), (2), (3)");
    let file = r.written(
        "CREATE TABLE t (x integer);\nCREATE UNIQUE INDEX t_x_key ON t (x);\nCREATE TABLE u (y integer);",
        &["--name", "index"],
    );
    let up = up_section(&file);
    assert!(
        up.contains("-- pgspec:no-transaction\n") && up.contains("CONCURRENTLY t_x_key"),
        "{file}"
    );
    let out = r.migrate("apply", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("step 2 failed on the target")
            && err.contains("step 1 stays applied and recorded")
            && err.contains("continues from step 2"),
        "{}",
        text(&out)
    );
    assert_eq!(r.versions(), ["1"]);
    assert_eq!(r.texts("SELECT to_regclass('public.u')::text"), ["u"]);
    // status says where it stopped; the step that ran is not drift.
    let out = r.migrate("status", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stopped after step 1 by an earlier run"),
        "{}",
        text(&out)
    );
    assert_eq!(
        r.texts(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'public.t_x_key'::regclass"
        ),
        ["false"]
    );
    r.sql("DELETE FROM public.t WHERE ctid IN (SELECT max(ctid) FROM public.t GROUP BY x HAVING count(*) > 1)");
    let out = r.apply();
    assert!(
        stderr(&out)
            .contains("stopped after step 1 of 2 by an earlier run: continuing from step 2"),
        "{}",
        text(&out)
    );
    assert_eq!(r.versions(), ["1", "2"]);
    assert_eq!(
        r.texts(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'public.t_x_key'::regclass"
        ),
        ["true"]
    );
    assert_eq!(r.texts("SELECT to_regclass('public.u')::text"), ["u"]);
    assert_eq!(
        r.texts("SELECT count(*)::text FROM pgspec_migrate.pgspec_migration_progress"),
        ["0"]
    );
    assert_eq!(r.texts("SELECT sum(x)::text FROM public.t"), ["6"]);
}

/// PostgreSQL 15 adds an enum label inside a transaction block as long as nothing uses it
/// before the commit: a file that only adds a label is one transaction; one whose default uses
/// the new label adds it in a step of its own first. Both apply.
#[test]
fn migrate_a_new_enum_label_stays_in_the_files_transaction_unless_a_later_statement_uses_it() {
    let r = Revisions::new("labels");
    let v1 =
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE p (id integer PRIMARY KEY, m mood);";
    r.written(v1, &["--name", "base"]);
    r.apply();
    r.sql("INSERT INTO public.p VALUES (1, 'sad'), (2, 'ok')");
    let v2 = v1.replace("'ok')", "'ok', 'happy')");
    let file = r.written(&v2, &["--name", "happy"]);
    let up = up_section(&file);
    assert!(
        up.contains("ADD VALUE IF NOT EXISTS 'happy' AFTER 'ok'") && !up.contains("no-transaction"),
        "{file}"
    );
    let v3 = v2
        .replace("'happy')", "'happy', 'great')")
        .replace("m mood)", "m mood DEFAULT 'great')");
    let file = r.written(&v3, &["--name", "great"]);
    let up = up_section(&file);
    assert!(
        up.contains(
            "-- pgspec:no-transaction\nALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'great'"
        ),
        "{file}"
    );
    r.apply();
    assert_eq!(r.versions(), ["1", "2", "3"]);
    assert_eq!(
        r.texts("SELECT enumlabel::text FROM pg_enum WHERE enumtypid = 'public.mood'::regtype ORDER BY enumsortorder"),
        ["sad", "ok", "happy", "great"]
    );
    r.sql("INSERT INTO public.p (id) VALUES (3)");
    assert_eq!(
        r.texts("SELECT m::text FROM public.p ORDER BY id"),
        ["sad", "ok", "great"]
    );
}

/// A column that goes while an identical one appears: `migrate new` refuses by name; with
/// `--renames` the file renames it both ways and the values follow; with `--no-renames` it
/// drops and adds (DIF001).
#[test]
fn migrate_new_refuses_a_rename_candidate_until_renames_or_no_renames() {
    let r = Revisions::new("renames");
    r.written(
        "CREATE TABLE t (id integer PRIMARY KEY, a text);",
        &["--name", "base"],
    );
    r.apply();
    r.sql("INSERT INTO public.t VALUES (1, 'one'), (2, 'two')");
    let renamed = "CREATE TABLE t (id integer PRIMARY KEY, b text);";
    let out = r.new_file(renamed, &["--name", "rename"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("looks like a rename")
            && stderr(&out).contains("`--renames`")
            && stderr(&out).contains("`--no-renames`"),
        "{}",
        text(&out)
    );
    let out = r.new_file(renamed, &["--name", "rename", "--no-renames"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dropped = std::fs::read_to_string(&path).expect("file");
    assert!(
        up_section(&dropped).contains("DROP COLUMN a") && up_section(&dropped).contains("DIF001"),
        "{dropped}"
    );
    std::fs::remove_file(&path).expect("remove");
    let out = pgspec(&["migrate", "hash", "--dir", &r.migrations()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = r.written(renamed, &["--name", "rename", "--renames"]);
    let (up, down) = file.split_once("-- pgspec:down").expect("two sections");
    assert!(
        up.contains("RENAME COLUMN a TO b") && !up.contains("DROP COLUMN"),
        "{file}"
    );
    assert!(
        down.contains("RENAME COLUMN b TO a") && !down.contains("DROP COLUMN"),
        "{file}"
    );
    r.apply();
    assert_eq!(
        r.texts("SELECT b FROM public.t ORDER BY id"),
        ["one", "two"]
    );
    let out = r.migrate("down", &["1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        r.texts("SELECT a FROM public.t ORDER BY id"),
        ["one", "two"]
    );
}

/// bigint → timestamp has no cast: the file converts epoch seconds (UTC), and its down
/// section converts back, with the rows there.
#[test]
fn migrate_a_number_column_that_becomes_a_timestamp_converts_epoch_seconds_both_ways() {
    let r = Revisions::new("epoch");
    r.written(
        "CREATE TABLE t (id integer PRIMARY KEY, at bigint);",
        &["--name", "base"],
    );
    r.apply();
    r.sql("INSERT INTO public.t VALUES (1, 86400), (2, 1700000000)");
    let file = r.written(
        "CREATE TABLE t (id integer PRIMARY KEY, at timestamp NOT NULL);",
        &["--name", "time"],
    );
    assert!(file.contains("pg_catalog.to_timestamp(at)"), "{file}");
    r.apply();
    assert_eq!(
        r.texts("SELECT at::text FROM public.t ORDER BY id"),
        ["1970-01-02 00:00:00", "2023-11-14 22:13:20"]
    );
    // A timestamp may not fit the number type: a data-loss hazard, accepted.
    let out = r.migrate("down", &["1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("DIF002"), "{}", text(&out));
    let out = r.migrate("down", &["1", "--allow-hazards", "data-loss"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        r.texts("SELECT at::text FROM public.t ORDER BY id"),
        ["86400", "1700000000"]
    );
}

/// migra's `inherit2` the other way round: a child's own column that its parent gains becomes
/// the inherited one (not declared on the child, as a fresh build has it), values kept; the
/// file's down section gives it back to the child alone.
#[test]
fn migrate_a_childs_own_column_that_its_parent_gains_becomes_inherited_with_its_values() {
    let r = Revisions::new("inherit");
    let own = "CREATE TABLE base (at timestamp DEFAULT now());\n\
               CREATE TABLE a (a1 integer) INHERITS (base);\nALTER TABLE a ADD COLUMN e integer;";
    r.written(own, &["--name", "base"]);
    r.apply();
    r.sql("INSERT INTO public.a (a1, e) VALUES (1, 10), (2, 20)");
    let local = |r: &Revisions| {
        r.texts("SELECT attislocal::text || ' ' || attinhcount FROM pg_attribute WHERE attrelid = 'public.a'::regclass AND attname = 'e'")
    };
    assert_eq!(local(&r), ["true 0"]);
    r.written(
        "CREATE TABLE base (at timestamp DEFAULT now(), e integer);\n\
         CREATE TABLE a (a1 integer) INHERITS (base);",
        &["--name", "inherited"],
    );
    r.apply();
    assert_eq!(local(&r), ["false 1"]);
    assert_eq!(
        r.texts("SELECT e::text FROM public.a ORDER BY a1"),
        ["10", "20"]
    );
    // The parent's own rows lose the column: a data-loss hazard, accepted; the child's values
    // are copied to its own column first.
    let out = r.migrate("down", &["1", "--allow-hazards", "data-loss"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(local(&r), ["true 0"]);
    assert_eq!(
        r.texts("SELECT e::text FROM public.a ORDER BY a1"),
        ["10", "20"]
    );
}

/// migra's `extversions`: a document that upgrades pg_trgm 1.3 → 1.4 has no way back (the
/// extension ships no downgrade script): `migrate new` writes no file and says why, with its
/// code.
#[test]
fn migrate_new_refuses_an_extension_upgrade_that_has_no_way_back_with_the_reason() {
    let r = Revisions::new("extversion");
    r.written(
        "CREATE EXTENSION pg_trgm VERSION '1.3';\nCREATE TABLE t (x text);",
        &["--name", "base"],
    );
    let out = r.new_file(
        "CREATE EXTENSION pg_trgm VERSION '1.4';\nCREATE TABLE t (x text);",
        &["--name", "upgrade", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "refused");
    assert_eq!(json["code"], "DIF008");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the way back")
            && message.contains("no update path from version \"1.4\" to version \"1.3\"")
            && message.contains("keep the version in the document"),
        "{message}"
    );
    let files = std::fs::read_dir(r.migrations())
        .expect("migrations")
        .count();
    assert_eq!(files, 2, "only the first file and the ledger");
}
