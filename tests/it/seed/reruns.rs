//! Seeding again: progress inside long tables, `--truncate`, a seed killed or a server stopped mid-table and then run again.

use super::*;

#[test]
fn seed_reports_the_plan_and_progress_inside_a_long_table() {
    let text = doc(
        "CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL);\n\
         CREATE TABLE events (id bigint PRIMARY KEY, kind_id int NOT NULL REFERENCES kinds(id), at timestamptz NOT NULL, body text);",
    );
    let options = SeedOptions {
        rows: 10,
        tables: [("events".to_string(), 50_000)].into_iter().collect(),
        ..SeedOptions::default()
    };
    let mut seen = Recording::default();
    let (server, name, report) = up_and_seed_watched(&text, &options, &mut seen);
    let planned: Vec<(&str, u64)> = seen
        .plan
        .iter()
        .map(|t| (t.table.as_str(), t.rows))
        .collect();
    assert_eq!(
        planned,
        vec![("kinds", 10), ("events", 50_000)],
        "parents first"
    );
    assert_eq!(seen.done, vec!["kinds", "events"]);
    let events: Vec<&(String, u64, u64, bool)> =
        seen.rows.iter().filter(|r| r.0 == "events").collect();
    // Inside the table: reports before it is finished, growing, short of the total.
    let inside: Vec<u64> = events.iter().filter(|r| !r.3).map(|r| r.1).collect();
    assert!(
        inside.iter().filter(|&&d| d > 0 && d < 50_000).count() >= 2,
        "progress inside the table: {inside:?}"
    );
    assert!(inside.windows(2).all(|w| w[0] < w[1]), "{inside:?}");
    let last = events.last().expect("events reported");
    assert_eq!((last.1, last.2, last.3), (50_000, 50_000, true));
    assert_eq!(report.total_rows, 50_010);
    drop_db(&server, &name);
}

#[test]
fn seed_with_truncate_twice_gives_the_same_rows_and_a_rerun_adds_nothing() {
    let text = doc(
        "CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, tier text NOT NULL CHECK (tier IN ('free', 'pro')));\n\
         CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2) NOT NULL CHECK (total >= 0));",
    );
    let options = SeedOptions {
        rows: 300,
        ..SeedOptions::default()
    };
    let (server, name, first) = up_and_seed(&text, &options);
    assert_eq!(first.total_rows, 600);
    let digest = || -> (i64, i64, String) {
        let mut c = crate::data_client(&server, &name);
        let row = c
            .query_one(
                "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM invoices), \
                 md5((SELECT string_agg(c::text, ',' ORDER BY id) FROM customers c) \
                     || (SELECT string_agg(i::text, ',' ORDER BY id) FROM invoices i))",
                &[],
            )
            .expect("digest");
        (row.get(0), row.get(1), row.get(2))
    };
    let seeded = digest();
    let again = |truncate: bool| {
        let extracted = pipeline::extract(text.as_bytes());
        seed::seed(
            &extracted.document,
            &extracted.statements,
            &server,
            &name,
            &SeedOptions {
                truncate,
                ..options.clone()
            },
            &mut pgspec::seed::NoProgress,
        )
        .expect("seed runs")
    };
    // Every table holds its rows already: nothing to add, nothing changes.
    let rerun = again(false);
    assert_eq!(rerun.total_rows, 0, "{:?}", rerun.tables);
    assert!(rerun.tables.iter().all(|t| t.existing == 300));
    assert_eq!(digest(), seeded);
    // Emptied first, the same seed gives the same rows (sequences restart too).
    for _ in 0..2 {
        let report = again(true);
        assert_eq!(report.total_rows, 600);
        assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
        assert_eq!(digest(), seeded);
    }
    drop_db(&server, &name);
}

/// `--truncate` on a document that uses a platform shim's table (Supabase's `net` queue,
/// owned by the administrator and lent to the document's role for the load): the tables are
/// emptied and their sequences restart, including the lent table's, which the document's role
/// does not own.
#[test]
fn seed_truncate_restarts_the_sequences_of_a_lent_platform_table() {
    let text = doc(
        "CREATE TABLE webhooks (id serial PRIMARY KEY, url text NOT NULL);\n\
         CREATE FUNCTION queue_webhook() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN PERFORM net.http_post(url := NEW.url, body := '{}'::jsonb); RETURN NEW; END $$;\n\
         CREATE TRIGGER webhooks_queue AFTER INSERT ON webhooks FOR EACH ROW EXECUTE FUNCTION queue_webhook();",
    );
    let options = SeedOptions {
        rows: 5,
        ..SeedOptions::default()
    };
    let (server, name, first) = up_and_seed(&text, &options);
    assert!(first.diagnostics.is_empty(), "{:#?}", first.diagnostics);
    let ids = || -> (i64, i64) {
        let mut c = crate::data_client(&server, &name);
        let row = c
            .query_one(
                "SELECT (SELECT max(id) FROM webhooks)::int8, \
                 (SELECT max(id) FROM net.http_request_queue)::int8",
                &[],
            )
            .expect("max ids");
        (row.get(0), row.get(1))
    };
    let before = ids();
    assert!(
        before.1 >= 5,
        "the trigger queued a request per row: {before:?}"
    );
    let extracted = pipeline::extract(text.as_bytes());
    let again = seed::seed(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &SeedOptions {
            truncate: true,
            ..options.clone()
        },
        &mut pgspec::seed::NoProgress,
    )
    .expect("seed --truncate runs");
    assert!(again.diagnostics.is_empty(), "{:#?}", again.diagnostics);
    // The same ids again: both sequences started over.
    assert_eq!(ids(), before);
    drop_db(&server, &name);
}

#[test]
fn a_seed_killed_mid_table_is_finished_by_running_it_again() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.md");
    std::fs::write(
        &path,
        doc("CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL UNIQUE);\n\
             CREATE TABLE events (id bigint PRIMARY KEY, kind_id int NOT NULL REFERENCES kinds(id), at timestamptz NOT NULL, body text);"),
    )
    .expect("write doc");
    let doc_path = path.display().to_string();
    let url = crate::postgres::shared_cluster().url("postgres");
    let name = unique_name("killed");
    let pgspec = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
        cmd.args(args)
            .args(["--db", &url, "--name", &name, &doc_path])
            .env("NO_COLOR", "1");
        cmd
    };
    let up = pgspec(&["up"]).output().expect("up");
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let server = Server::Url(url.clone());
    let events = || -> i64 {
        let mut c = crate::data_client(&server, &name);
        c.query_one("SELECT count(*) FROM events", &[])
            .expect("count")
            .get(0)
    };
    let seed_args = ["seed", "--rows", "20", "--table", "events=150000"];
    let mut child = pgspec(&seed_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn seed");
    let started = Instant::now();
    while events() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no batch of events arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill seed");
    let _ = child.wait();
    let left = events();
    assert!(left > 0 && left < 150_000, "killed mid-table: {left} rows");

    let rerun = pgspec(&seed_args).output().expect("seed again");
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert!(stdout.contains("already held rows"), "{stdout}");
    assert_eq!(events(), 150_000, "{stdout}");
    let mut c = crate::data_client(&server, &name);
    let kinds: i64 = c
        .query_one("SELECT count(*) FROM kinds", &[])
        .expect("count")
        .get(0);
    assert_eq!(kinds, 20);
    drop(c);
    let _ = pgspec(&["down"]).output();
}

/// Stops and removes a private cluster on drop, even if the test panics.
pub(super) struct PrivateCluster(std::path::PathBuf);

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args(["cluster", "destroy", "--cluster-dir"])
            .arg(&self.0)
            .output();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_server_that_stops_mid_seed_is_named_and_a_rerun_finishes() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let root = std::env::temp_dir().join(unique_name("stopped"));
    let cluster = PrivateCluster(root.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stops.md");
    std::fs::write(
        &path,
        doc("CREATE TABLE kinds (id int PRIMARY KEY, name text NOT NULL UNIQUE);\n\
             CREATE TABLE events (id bigint PRIMARY KEY, kind_id int NOT NULL REFERENCES kinds(id), at timestamptz NOT NULL, body text);\n\
             CREATE TABLE later (id int PRIMARY KEY, v text UNIQUE);"),
    )
    .expect("write doc");
    let pgspec = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
        cmd.args(args)
            .arg("--cluster-dir")
            .arg(&cluster.0)
            .env("NO_COLOR", "1");
        cmd
    };
    let doc_path = path.display().to_string();
    let up = pgspec(&["up", &doc_path]).output().expect("up");
    assert_eq!(
        up.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let bins = shared_cluster().bins.clone();
    let server = Server::Embedded(Cluster::ensure(&root, &bins).expect("the private cluster runs"));
    let database = up::database_name_for(&doc_path);
    let events = || -> Option<i64> {
        let mut c = server
            .app_config(&database)
            .ok()?
            .connect(::postgres::NoTls)
            .ok()?;
        c.query_one("SELECT count(*) FROM events", &[])
            .ok()
            .map(|r| r.get(0))
    };
    let seed_args = [
        "seed",
        "--rows",
        "10",
        "--table",
        "events=600000",
        &doc_path,
    ];
    let child = pgspec(&seed_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn seed");
    let started = Instant::now();
    while events().unwrap_or(0) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no batch of events arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let stop = pgspec(&["cluster", "stop"]).output().expect("cluster stop");
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    let out = child.wait_with_output().expect("seed ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the server stopped while `events` was being filled"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run the same `pgspec seed` to finish"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("generator produced no more rows"),
        "no finding blames the generator"
    );

    // Started again, the same command fills what is missing.
    let rerun = pgspec(&seed_args).output().expect("seed again");
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert_eq!(events(), Some(600_000));
}

#[test]
fn composite_type_columns_are_filled_field_by_field() {
    let text = doc("CREATE TYPE geo_point AS (lat double precision, lon double precision, label text, n numeric(6,2));\n\
         CREATE TABLE readings (id int PRIMARY KEY, position geo_point NOT NULL, home geo_point);");
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 30,
            ..SeedOptions::default()
        },
    );
    let filled = count(
        &server,
        &name,
        "SELECT count(*) FROM readings WHERE (position).lat IS NOT NULL AND (position).label IS NOT NULL AND (position).n IS NOT NULL",
    );
    drop_db(&server, &name);
    assert_eq!(filled, 30, "{:#?}", report.diagnostics);
}

/// Rows the document's own triggers write while an earlier table is filled (an audit table)
/// count towards the table's rows, but are not taken for rows it held before the run: the
/// report keeps them apart, and a first seed says nothing held rows already.
#[test]
fn rows_written_by_the_documents_triggers_are_not_rows_held_before_the_run() {
    let text = doc(
        "CREATE TABLE orders (id serial PRIMARY KEY, total numeric(10,2) NOT NULL);\n\
         CREATE TABLE order_audit (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id), at timestamptz NOT NULL DEFAULT now());\n\
         CREATE FUNCTION audit_order() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN INSERT INTO order_audit (order_id) VALUES (NEW.id); RETURN NEW; END $$;\n\
         CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_order();",
    );
    let options = SeedOptions {
        rows: 40,
        tables: [("order_audit".to_string(), 50)].into_iter().collect(),
        ..SeedOptions::default()
    };
    let (server, name, report) = up_and_seed(&text, &options);
    let audit = report
        .tables
        .iter()
        .find(|t| t.table == "order_audit")
        .expect("order_audit seeded");
    assert_eq!(
        (audit.existing, audit.written_by_triggers, audit.rows),
        (0, 40, 10),
        "{audit:?}"
    );
    assert!(
        report.tables.iter().all(|t| t.existing == 0),
        "{:?}",
        report.tables
    );
    drop_db(&server, &name);
}
