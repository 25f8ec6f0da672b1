//! `pgspec up DOC` on a changed document migrates the database it made, and `pgspec drift`,
//! end to end on the shared cluster. Data survives on the five seeds: `up` + `seed`, then one
//! edited revision per seed (a CHECK changed, a column renamed with `--renames`, a column, an
//! index, a table and, where the seed has a partitioned table, a partition added); `up`
//! migrates, every row is still there (count and checksum per table) and the catalog equals a
//! fresh `up` of the edited document. Faults: a statement that fails on the rows, `kill -9`
//! mid-migration. Hazards wait for `--allow-hazards`; `--plan` changes nothing.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use pgspec::diagnostics::{Category, Diagnostic, Rule};
use pgspec::diff::{self, Options};
use pgspec::pipeline;
use pgspec::postgres::catalog::Catalog;
use pgspec::postgres::Server;
use pgspec::text::TextRange;

use crate::migrate::{catalog, client, pgspec, pgspec_command, snapshot, text, unique};
use crate::postgres::shared_cluster;

/// A document in a directory of its own, and the databases `up` makes for it (dropped on drop).
struct Doc {
    _dir: tempfile::TempDir,
    path: PathBuf,
    fresh: Option<String>,
}

impl Doc {
    fn new(text: &str) -> Doc {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("schema.md");
        std::fs::write(&path, text).expect("write doc");
        Doc {
            _dir: dir,
            path,
            fresh: None,
        }
    }

    fn path(&self) -> String {
        self.path.display().to_string()
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).expect("write doc");
    }

    fn database(&self) -> String {
        pgspec::up::database_name_for(&self.path())
    }

    fn run(&self, command: &str, extra: &[&str]) -> Output {
        let path = self.path();
        let mut args = vec![command, path.as_str()];
        args.extend_from_slice(extra);
        pgspec(&args)
    }

    fn scalar(&self, sql: &str) -> i64 {
        client(&self.database())
            .query_one(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }

    fn columns(&self, table: &str) -> Vec<String> {
        client(&self.database())
            .query(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass \
                 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                &[&table],
            )
            .expect("columns")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

impl Drop for Doc {
    fn drop(&mut self) {
        let path = self.path();
        let _ = pgspec(&["down", &path]);
        if let Some(fresh) = &self.fresh {
            let _ = pgspec(&["down", &path, "--name", fresh]);
        }
    }
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What differs between two databases' schemas (their owners aside): empty when the same.
fn schema_difference(a: &Catalog, b: &Catalog) -> String {
    let mut owners: Vec<String> = [a, b]
        .iter()
        .flat_map(|c| {
            c.tables
                .iter()
                .map(|t| t.owner.clone())
                .chain(c.views.iter().map(|v| v.owner.clone()))
        })
        .collect();
    owners.sort();
    owners.dedup();
    let options = Options {
        exclude_schemas: vec!["pgspec_migrate".into()],
        ignore_grantees: owners,
        ..Options::default()
    };
    match diff::plan(a, b, &options) {
        Ok(plan) => plan.script(),
        Err(r) => format!("{r:?}"),
    }
}

/// One edited revision of a seed.
struct Edit {
    seed: &'static str,
    /// Text replaced in the document: a CHECK changed, a column renamed (in every place the
    /// document names it).
    replace: &'static [(&'static str, &'static str)],
    /// SQL appended in a block of its own: a column, an index, a table, a partition.
    later: &'static str,
    /// The renamed columns: table (`schema.name`), old name, new name.
    renamed: &'static [(&'static str, &'static str, &'static str)],
    new_table: &'static str,
    /// Pieces the migration's statements hold.
    pieces: &'static [&'static str],
}

fn data_survives_up(edit: &Edit) {
    let _guard = crate::check::seed_lock();
    let original = std::fs::read_to_string(crate::seed_file("repaired", edit.seed)).expect("seed");
    let mut doc = Doc::new(&original);
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = doc.run("seed", &["--rows", "30"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let database = doc.database();
    let (before, mut columns) = snapshot(&database, None);
    assert!(
        before.values().map(|(n, _)| n).sum::<i64>() > 0,
        "the seed loaded no rows: {before:?}"
    );

    let mut edited = original.clone();
    for (from, to) in edit.replace {
        assert!(
            edited.contains(from),
            "seed {} changed; adjust the edit ({from})",
            edit.seed
        );
        edited = edited.replace(from, to);
    }
    edited.push_str(&format!(
        "\n\n## Later changes\n\n```sql\n{}\n```\n",
        edit.later
    ));
    doc.write(&edited);
    let out = doc.run(
        "up",
        &[
            "--renames",
            "--allow-hazards",
            "locking",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "migrated", "{}", text(&out));
    assert_eq!(json["validated"], true, "{}", text(&out));
    let sql: Vec<&str> = json["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s["sql"].as_str())
        .collect();
    for piece in edit.pieces {
        assert!(
            sql.iter().any(|s| s.contains(piece)),
            "{piece} missing from the migration:\n{}",
            sql.join(";\n")
        );
    }

    // Every row is still there, the renamed column read by its new name.
    for (table, old, new) in edit.renamed {
        let list = columns.get_mut(*table).expect("the renamed column's table");
        let at = list
            .iter()
            .position(|c| c == old)
            .unwrap_or_else(|| panic!("{old} not among {list:?}"));
        list[at] = new.to_string();
    }
    let (after, _) = snapshot(&database, Some(&columns));
    for (t, sum) in &before {
        assert_eq!(after.get(t), Some(sum), "rows of {t} changed");
    }
    assert_eq!(after.get(edit.new_table).map(|s| s.0), Some(0));

    // The catalog equals a fresh `up` of the edited document.
    let fresh = unique("upfresh");
    doc.fresh = Some(fresh.clone());
    let out = doc.run("up", &["--name", &fresh]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let rest = schema_difference(&catalog(&database), &catalog(&fresh));
    assert!(
        rest.is_empty(),
        "the migrated database differs from a fresh up:\n{rest}"
    );
}

#[test]
fn up_data_survives_an_edited_seed_000() {
    data_survives_up(&Edit {
        seed: "000",
        replace: &[
            (
                "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee)",
                "CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee OR fee IS NULL)",
            ),
            ("failed_login_count INTEGER", "failed_sign_in_count INTEGER"),
        ],
        later: "ALTER TABLE payments ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_payments_note ON payments (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);\n\
                CREATE TABLE audit_logs_y2030_01 PARTITION OF audit_logs FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');",
        renamed: &[("public.users", "failed_login_count", "failed_sign_in_count")],
        new_table: "public.tags",
        pieces: &[
            "RENAME COLUMN failed_login_count TO failed_sign_in_count",
            "fee IS NULL",
            "ADD COLUMN note",
            "idx_payments_note",
            "CREATE TABLE public.tags",
            "audit_logs_y2030_01 PARTITION OF",
        ],
    });
}

/// Seed 001 has no partitioned table: the small fixture below adds a partition.
#[test]
fn up_data_survives_an_edited_seed_001() {
    data_survives_up(&Edit {
        seed: "001",
        replace: &[
            (
                "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 150)",
                "steps INTEGER NOT NULL DEFAULT 20 CHECK (steps > 0 AND steps <= 300)",
            ),
            ("download_count INTEGER", "downloads_total INTEGER"),
        ],
        later: "ALTER TABLE prod_pingvas.users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX images_format_idx ON prod_pingvas.images (format);\n\
                CREATE TABLE prod_pingvas.tags (\n    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    label TEXT NOT NULL UNIQUE\n);",
        renamed: &[("prod_pingvas.ai_models", "download_count", "downloads_total")],
        new_table: "prod_pingvas.tags",
        pieces: &[
            "RENAME COLUMN download_count TO downloads_total",
            "steps <= 300",
            "ADD COLUMN nickname",
            "images_format_idx",
            "CREATE TABLE prod_pingvas.tags",
        ],
    });
}

/// Seed 002: a column of a table generated from a column table is renamed there.
#[test]
fn up_data_survives_an_edited_seed_002() {
    data_survives_up(&Edit {
        seed: "002",
        replace: &[
            ("CHECK (version > 0);", "CHECK (version >= 1);"),
            (
                "| retry_count | integer default 0 | |",
                "| attempt_count | integer default 0 | |",
            ),
        ],
        later: "ALTER TABLE settlement_periods ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_settlement_periods_note ON settlement_periods (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);\n\
                CREATE TABLE orders_2030_01 PARTITION OF orders FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');",
        renamed: &[("public.offline_sync_queue", "retry_count", "attempt_count")],
        new_table: "public.tags",
        pieces: &[
            "RENAME COLUMN retry_count TO attempt_count",
            "version >= 1",
            "ADD COLUMN note",
            "idx_settlement_periods_note",
            "CREATE TABLE public.tags",
            "orders_2030_01 PARTITION OF",
        ],
    });
}

#[test]
fn up_data_survives_an_edited_seed_003() {
    data_survives_up(&Edit {
        seed: "003",
        replace: &[
            (
                "device_type TEXT CHECK (device_type IN ('mobile', 'tablet', 'desktop'))",
                "device_type TEXT CHECK (device_type IN ('mobile', 'tablet', 'desktop', 'tv'))",
            ),
            ("total_views INTEGER,", "views_total INTEGER,"),
        ],
        later: "ALTER TABLE keyword_performance_cache ADD COLUMN note TEXT;\n\
                CREATE INDEX idx_keyword_performance_cache_note ON keyword_performance_cache (note);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);\n\
                CREATE TABLE watch_events_2030_01 PARTITION OF watch_events FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');",
        renamed: &[("public.keyword_performance_cache", "total_views", "views_total")],
        new_table: "public.tags",
        pieces: &[
            "RENAME COLUMN total_views TO views_total",
            "'tv'",
            "ADD COLUMN note",
            "idx_keyword_performance_cache_note",
            "CREATE TABLE public.tags",
            "watch_events_2030_01 PARTITION OF",
        ],
    });
}

#[test]
fn up_data_survives_an_edited_seed_004() {
    data_survives_up(&Edit {
        seed: "004",
        replace: &[
            (
                "CONSTRAINT check_email CHECK (email ~* ",
                "CONSTRAINT check_email CHECK (length(email) < 320 AND email ~* ",
            ),
            ("retry_count INTEGER DEFAULT 0,", "attempt_count INTEGER DEFAULT 0,"),
        ],
        later: "ALTER TABLE users ADD COLUMN nickname TEXT;\n\
                CREATE INDEX idx_users_nickname ON users (nickname);\n\
                CREATE TABLE tags (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL UNIQUE);\n\
                CREATE TABLE audit_logs_2030_01 PARTITION OF audit_logs FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');",
        // jobs_2025_01 is a copy of jobs (`up` makes a partition of an unpartitioned table a
        // table of its own, LIKE it): it has the column too.
        renamed: &[
            ("public.jobs", "retry_count", "attempt_count"),
            ("public.jobs_2025_01", "retry_count", "attempt_count"),
        ],
        new_table: "public.tags",
        pieces: &[
            "RENAME COLUMN retry_count TO attempt_count",
            "length((email)::text) < 320",
            "ADD COLUMN nickname",
            "idx_users_nickname",
            "CREATE TABLE public.tags",
            "audit_logs_2030_01 PARTITION OF",
        ],
    });
}

const SHOP: &str = "# Shop\n\n```sql\n\
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, price integer CHECK (price > 0));\n\
CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n\
```\n";

const SHOP_EDITED: &str = "# Shop\n\n```sql\n\
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, price bigint CHECK (price > 0 AND price < 100000), note text);\n\
CREATE INDEX items_price_idx ON items (price);\n\
CREATE TABLE tags (id integer PRIMARY KEY, label text);\n\
CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n\
CREATE TABLE events_2030_01 PARTITION OF events FOR VALUES FROM ('2030-01-01') TO ('2030-02-01');\n\
```\n";

fn shop_rows(doc: &Doc) {
    client(&doc.database())
        .batch_execute(
            "INSERT INTO public.items (name, price) SELECT 'item ' || i, i FROM generate_series(1, 40) i;
             INSERT INTO public.events SELECT i, now() - i * interval '1 hour', 'k' FROM generate_series(1, 40) i;",
        )
        .expect("rows");
}

/// The small fixture: renames refused until `--renames`, hazards until `--allow-hazards`,
/// `--plan` and `drift` change nothing, a partition of a partitioned table added; the rows stay.
#[test]
fn up_migrates_a_small_document_and_drift_follows() {
    let doc = Doc::new(SHOP);
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    shop_rows(&doc);
    // A partition the document does not name, with rows (as pgspec's own for a month before
    // this one would be): kept by the migration, not a difference for drift.
    client(&doc.database())
        .batch_execute(
            "CREATE TABLE public.events_2020_01 PARTITION OF public.events FOR VALUES FROM ('2020-01-01') TO ('2020-02-01');
             INSERT INTO public.events SELECT i, '2020-01-15'::timestamptz, 'old' FROM generate_series(1, 5) i;",
        )
        .expect("a partition by hand");
    let sum = || doc.scalar("SELECT sum(price)::bigint FROM public.items");
    let events = || doc.scalar("SELECT count(*) FROM public.events");
    let (price_sum, event_count) = (sum(), events());
    let out = doc.run("drift", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(stderr(&out).contains("events_2020_01"), "{}", text(&out));

    doc.write(SHOP_EDITED);
    // Drift: the statements on stdout, exit 1; JSON with status and message.
    let out = doc.run("drift", &[]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("CREATE TABLE public.tags"),
        "{}",
        text(&out)
    );
    assert!(stderr(&out).contains("rename candidates"), "{}", text(&out));
    let out = doc.run("drift", &["--format", "json"]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "drifted");
    assert!(json["message"]
        .as_str()
        .is_some_and(|m| m.contains("drifted")));

    // A rename candidate is refused by name; --plan changes nothing.
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("error[DIF008]") && stderr(&out).contains("--renames"),
        "{}",
        text(&out)
    );
    let out = doc.run("up", &["--plan", "--renames"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("RENAME COLUMN name TO title")
            && stdout(&out).contains("events_2030_01 PARTITION OF")
            && stdout(&out).contains("CREATE INDEX CONCURRENTLY items_price_idx"),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("events_2020_01"), "{}", text(&out));
    assert_eq!(doc.columns("public.items"), ["id", "name", "price"]);

    // The type change rewrites the table under an ACCESS EXCLUSIVE lock: refused until allowed.
    let out = doc.run("up", &["--renames"]);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("error[DIF009]") && stderr(&out).contains("--allow-hazards locking"),
        "{}",
        text(&out)
    );
    assert_eq!(doc.columns("public.items"), ["id", "name", "price"]);
    let out = doc.run("up", &["--renames", "--allow-hazards", "DIF003"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert_eq!(
        doc.columns("public.items"),
        ["id", "title", "price", "note"]
    );
    assert_eq!((sum(), events()), (price_sum, event_count));
    assert_eq!(doc.scalar("SELECT count(*) FROM public.events_2020_01"), 5);
    assert_eq!(
        doc.scalar(
            "SELECT count(*) FROM pg_class WHERE relname = 'events_2030_01' AND relispartition"
        ),
        1
    );
    let out = doc.run("drift", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(stdout(&out).is_empty(), "{}", text(&out));
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(stdout(&out).contains("up to date"), "{}", text(&out));

    // Dropping a column loses its values: refused until `--allow-hazards data-loss`.
    doc.write(&SHOP_EDITED.replace(", note text)", ")"));
    let out = doc.run("up", &["--allow-hazards", "locking"]);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("data-loss hazard, DIF001"),
        "{}",
        text(&out)
    );
    let out = doc.run("up", &["--allow-hazards", "data-loss", "--format", "json"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "migrated");
    assert_eq!(json["statements"][0]["hazards"][0]["kind"], "data-loss");
    assert_eq!(doc.columns("public.items"), ["id", "title", "price"]);
    assert_eq!(sum(), price_sum);
}

/// A statement that fails on the database's rows (a CHECK they violate; the trial on the
/// empty copy passes) rolls the whole migration back: the old database answers as before, and
/// the next `up` of a corrected document migrates it.
#[test]
fn up_a_migration_that_fails_on_the_rows_leaves_the_old_database() {
    let doc = Doc::new("# T\n\n```sql\nCREATE TABLE t (x integer);\n```\n");
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    client(&doc.database())
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 20)")
        .expect("rows");
    doc.write("# T\n\n```sql\nCREATE TABLE t (x integer CHECK (x < 5), y text);\n```\n");
    let out = doc.run("up", &["--allow-hazards", "all"]);
    assert_eq!(code(&out), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("failed on the database") && stderr(&out).contains("rolled back"),
        "{}",
        text(&out)
    );
    assert_eq!(doc.columns("public.t"), ["x"]);
    assert_eq!(doc.scalar("SELECT sum(x)::bigint FROM public.t"), 210);
    doc.write("# T\n\n```sql\nCREATE TABLE t (x integer CHECK (x < 50), y text);\n```\n");
    let out = doc.run("up", &["--allow-hazards", "all"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(!stderr(&out).contains("did not finish"), "{}", text(&out));
    assert_eq!(doc.columns("public.t"), ["x", "y"]);
    assert_eq!(doc.scalar("SELECT sum(x)::bigint FROM public.t"), 210);
}

/// `kill -9` while a migration in steps (an index built CONCURRENTLY runs outside a
/// transaction) waits on the target: the database stays usable with its rows, and the next
/// `up` says the earlier one did not finish and completes it.
#[test]
fn up_kill_9_mid_migration_leaves_the_old_database_usable_and_the_next_up_continues() {
    let doc = Doc::new("# T\n\n```sql\nCREATE TABLE t (x integer);\n```\n");
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let database = doc.database();
    client(&database)
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 20)")
        .expect("rows");
    doc.write(
        "# T\n\n```sql\nCREATE TABLE t (x integer, y text);\nCREATE INDEX t_x_idx ON t (x);\n```\n",
    );
    // A reader holds the table: the migration's ALTER TABLE waits for it.
    let mut reader = client(&database);
    let mut tx = reader.transaction().expect("begin");
    tx.query_one("SELECT count(*) FROM public.t", &[])
        .expect("read");
    let path = doc.path();
    let mut child = pgspec_command(&["up", &path])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pgspec");
    let start = Instant::now();
    loop {
        let waiting: i64 = client("postgres")
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
                 AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%'",
                &[&database],
            )
            .expect("activity")
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the migration never reached the target"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    tx.commit().expect("commit");
    drop(reader);
    // The old database answers, its rows intact.
    assert_eq!(doc.scalar("SELECT sum(x)::bigint FROM public.t"), 210);

    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(stderr(&out).contains("did not finish"), "{}", text(&out));
    assert_eq!(doc.columns("public.t"), ["x", "y"]);
    assert_eq!(
        doc.scalar("SELECT count(*) FROM pg_index WHERE indexrelid = 'public.t_x_idx'::regclass AND indisvalid"),
        1
    );
    assert_eq!(doc.scalar("SELECT sum(x)::bigint FROM public.t"), 210);
    let out = doc.run("up", &[]);
    assert!(stdout(&out).contains("up to date"), "{}", text(&out));
}

/// A changed document that needs what `up` provisions for a database it builds: an untrusted
/// extension (the owner may not create it: created on the administrative connection, as for a
/// fresh build) and a placeholder for a custom setting its code reads and nobody sets (on the
/// database, and in the migration's session: the new column's default reads it when added).
#[test]
fn up_a_migration_creates_an_untrusted_extension_and_sets_a_placeholder_the_changed_document_needs()
{
    let doc = Doc::new("# T\n\n```sql\nCREATE TABLE t (x integer);\n```\n");
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    client(&doc.database())
        .batch_execute("INSERT INTO public.t SELECT generate_series(1, 5)")
        .expect("rows");
    doc.write(
        "# T\n\n```sql\nCREATE EXTENSION bloom;\n\
         CREATE TABLE t (x integer, tenant integer DEFAULT current_setting('app.tenant')::integer);\n\
         CREATE INDEX t_x_bloom ON t USING bloom (x);\n```\n",
    );
    let out = doc.run("up", &["--allow-hazards", "all"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("setting app.tenant"),
        "{}",
        text(&out)
    );
    assert_eq!(
        doc.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'bloom'"),
        1
    );
    assert_eq!(
        doc.scalar(
            "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase \
             WHERE d.datname = current_database() AND 'app.tenant=0' = ANY (s.setconfig)"
        ),
        1
    );
    assert_eq!(
        doc.scalar("SELECT count(*) FROM public.t WHERE tenant = 0"),
        5
    );
    let out = doc.run("drift", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
}

/// The docs examples of `DIF009`: the plan between the two schemas, its hazards judged as
/// `pgspec up` judges them without `--allow-hazards`; one finding per hazard not accepted.
pub(crate) fn example_findings(body: &str) -> Vec<Diagnostic> {
    let (from, to) = body
        .split_once("\n-- to\n")
        .expect("an example has a `-- to` line");
    let server = Server::Url(shared_cluster().url("postgres"));
    let catalog = |sql: &str| {
        let doc = format!("# example\n\n```sql\n{sql}\n```\n");
        let mut applied = pipeline::apply_in_scratch(pipeline::extract(doc.as_bytes()), &server)
            .expect("apply the example");
        applied.session.catalog().expect("read the catalog")
    };
    let plan = diff::plan(&catalog(from), &catalog(to), &Options::default()).expect("a plan");
    pgspec::migrate::hazards::judge(&plan, &pgspec::migrate::hazards::Allowance::default())
        .into_iter()
        .filter(|h| !h.allowed)
        .map(|h| {
            Diagnostic::new(
                Rule::MigrationHazardNotAllowed,
                Category::Migration,
                &h.message,
                TextRange::empty(0),
            )
        })
        .collect()
}

/// A changed document's new pg_cron job is scheduled once `up` migrated the database, as `up`
/// schedules a new database's.
#[test]
fn up_a_migration_schedules_the_changed_documents_cron_jobs() {
    if !shared_cluster()
        .bins
        .preload_libraries()
        .contains(&"pg_cron")
    {
        return; // pg_cron not installed here
    }
    let doc = Doc::new("# C\n\n```sql\nCREATE TABLE t (x integer);\n```\n");
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    doc.write(
        "# C\n\n```sql\nCREATE EXTENSION IF NOT EXISTS pg_cron;\nCREATE TABLE t (x integer, y integer);\n\
         SELECT cron.schedule('nightly', '0 3 * * *', $$DELETE FROM t WHERE x < 0$$);\n```\n",
    );
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let jobs: i64 = crate::data_client(&Server::Url(shared_cluster().url("postgres")), "postgres")
        .query_one(
            "SELECT count(*) FROM cron.job WHERE database = $1 AND command LIKE 'DELETE FROM t%'",
            &[&doc.database()],
        )
        .expect("cron.job")
        .get(0);
    assert_eq!(jobs, 1, "{}", text(&out));
}

/// `drift` also compares the database with what the migration files it recorded as applied
/// build: a change made by hand shows against both, with the statements that would undo it.
#[test]
fn drift_reports_a_change_made_by_hand_against_the_document_and_the_applied_migrations() {
    let doc = Doc::new("# H\n\n```sql\nCREATE TABLE t (x integer PRIMARY KEY);\n```\n");
    let path = doc.path();
    let out = pgspec(&["migrate", "new", &path, "--name", "init"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = doc.run("up", &[]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = pgspec(&["migrate", "apply", &path]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let out = doc.run("drift", &["--format", "json"]);
    assert_eq!(code(&out), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "in_step", "{}", text(&out));
    assert_eq!(json["migrations"], serde_json::json!([]), "{}", text(&out));

    client(&doc.database())
        .batch_execute("ALTER TABLE public.t ADD COLUMN by_hand text")
        .expect("a change by hand");
    let out = doc.run("drift", &[]);
    assert_eq!(code(&out), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("DROP COLUMN by_hand")
            && stderr(&out).contains("against the migrations applied to it"),
        "{}",
        text(&out)
    );
    let out = doc.run("drift", &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["status"], "drifted");
    assert!(
        json["migrations"][0]
            .as_str()
            .is_some_and(|s| s.contains("by_hand")),
        "{}",
        text(&out)
    );
}
