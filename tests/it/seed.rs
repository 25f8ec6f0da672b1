//! `seed` and `verify` end to end on a real PostgreSQL: `up` brings a fixture document up,
//! `seed` fills it (the server enforces every constraint, so rows that arrive satisfy them),
//! `verify` checks its claims — and fails where the document's claims do not hold.

use std::sync::atomic::{AtomicU32, Ordering};

use pgspec::diagnostics::{Code, Severity};
use pgspec::pipeline;
use pgspec::postgres::{Cluster, Server};
use pgspec::seed::{
    self, PlannedTable, Progress, SeedOptions, SeedProgress, SeedReport, TableReport,
};
use pgspec::up;
use pgspec::verify::{self, ClaimKind, Status, VerifyReport};

use crate::check::seed_lock;
use crate::postgres::shared_cluster;

/// The shared cluster as pgspec's own server, so the document runs as the unprivileged role.
fn server() -> Server {
    let c = shared_cluster();
    Server::Embedded(Cluster::ensure(&c.root, &c.bins).expect("the shared cluster runs"))
}

fn doc(sql: &str) -> String {
    format!("# 설계 문서\n\n사용자와 주문을 저장합니다.\n\n```sql\n{sql}\n```\n")
}

fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pgspec_t_{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `up` + `seed` of `text` into a fresh database; returns the server, database and report.
fn up_and_seed(text: &str, options: &SeedOptions) -> (Server, String, SeedReport) {
    up_and_seed_watched(text, options, &mut pgspec::seed::NoProgress)
}

/// [`up_and_seed`], with `progress` hearing the seeding.
fn up_and_seed_watched(
    text: &str,
    options: &SeedOptions,
    progress: &mut dyn SeedProgress,
) -> (Server, String, SeedReport) {
    let server = server();
    let name = unique_name("seed");
    {
        let _guard = seed_lock();
        let report = up::up(
            pipeline::extract(text.as_bytes()),
            text.as_bytes(),
            &server,
            &name,
            true,
        )
        .expect("up runs");
        let (_, check) = report.check.as_ref().expect("applied");
        // pg_cron lives in the `postgres` database only; its calls are verify's business.
        let errors: Vec<_> = check
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !d.message.contains("cron"))
            .collect();
        assert!(errors.is_empty(), "fixture must apply cleanly: {errors:#?}");
    }
    let extracted = pipeline::extract(text.as_bytes());
    let report = seed::seed(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        options,
        progress,
    )
    .expect("seed runs");
    (server, name, report)
}

fn run_verify(server: &Server, name: &str, text: &str) -> VerifyReport {
    let extracted = pipeline::extract(text.as_bytes());
    verify::verify(&extracted.document, &extracted.statements, server, name).expect("verify runs")
}

fn count(server: &Server, db: &str, sql: &str) -> i64 {
    let mut c = crate::data_client(server, db);
    c.query_one(sql, &[]).expect("query").get(0)
}

fn drop_db(server: &Server, name: &str) {
    let _ = up::down(server, name);
}

const CONSTRAINED: &str = r"
CREATE TYPE order_state AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN percent AS integer CHECK (VALUE BETWEEN 0 AND 100);

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(120) NOT NULL UNIQUE CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'),
    name text NOT NULL,
    role varchar(20) NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin', 'owner')),
    referrer_id bigint REFERENCES users(id),
    code char(8) NOT NULL CHECK (code ~ '^[A-Z]{3}-[0-9]{4}$'),
    tags text[] NOT NULL DEFAULT '{}' CHECK (tags <@ ARRAY['vip', 'beta', 'staff']),
    last_ip inet,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    lead_id bigint,
    UNIQUE (name)
);

CREATE TABLE memberships (
    team_id uuid NOT NULL REFERENCES teams(id),
    user_id bigint NOT NULL REFERENCES users(id),
    is_active boolean NOT NULL DEFAULT true,
    score percent NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE UNIQUE INDEX one_active_membership ON memberships (user_id) WHERE is_active;

-- a foreign-key cycle: teams.lead_id -> users, users.team_id -> teams
ALTER TABLE teams ADD CONSTRAINT teams_lead_fk FOREIGN KEY (lead_id) REFERENCES users(id);
ALTER TABLE users ADD COLUMN team_id uuid REFERENCES teams(id);

CREATE TABLE orders (
    id bigserial,
    user_id bigint NOT NULL REFERENCES users(id),
    state order_state NOT NULL,
    subtotal numeric(12,2) NOT NULL CHECK (subtotal >= 0),
    discount numeric(12,2) NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= 50),
    tax numeric(12,2) NOT NULL CHECK (tax >= 0),
    total numeric(12,2) NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0 AND quantity <= 20),
    paid_at timestamptz,
    shipped_at timestamptz,
    meta jsonb NOT NULL DEFAULT '{}',
    total_with_fee numeric GENERATED ALWAYS AS (total + 1) STORED,
    created_at timestamptz NOT NULL,
    CHECK (total = subtotal - discount + tax),
    CHECK (paid_at IS NULL OR paid_at >= created_at),
    CHECK (shipped_at IS NULL OR shipped_at >= paid_at),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

CREATE TABLE bookings (
    id serial PRIMARY KEY,
    room int NOT NULL CHECK (room BETWEEN 1 AND 5),
    during tstzrange NOT NULL,
    EXCLUDE USING gist (during WITH &&)
);
";

#[test]
fn seeded_rows_satisfy_every_constraint() {
    let (server, name, report) = up_and_seed(
        &doc(CONSTRAINED),
        &SeedOptions {
            rows: 1500,
            ..SeedOptions::default()
        },
    );
    // The server enforced every constraint on the way in: rows that arrived satisfy them.
    for t in &report.tables {
        assert!(t.rows > 0, "table {} received no rows: {t:?}", t.table);
        assert!(
            t.rejected.is_empty(),
            "table {} had rejections: {t:?}",
            t.table
        );
    }
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ConstraintNotSatisfied),
        "{:#?}",
        report.diagnostics
    );
    let rows = |t: &str| count(&server, &name, &format!("SELECT count(*) FROM {t}"));
    assert_eq!(rows("users"), 1500);
    assert_eq!(rows("orders"), 1500);
    assert_eq!(rows("bookings"), 1500);
    // Composite PK over two FKs plus a partial unique index: as many as the keys allow.
    assert!(rows("memberships") > 100);
    // Self reference and the FK cycle point at real rows.
    assert!(count(&server, &name, "SELECT count(referrer_id) FROM users") > 0);
    assert!(count(&server, &name, "SELECT count(team_id) FROM users") > 0);
    assert!(count(&server, &name, "SELECT count(lead_id) FROM teams") > 0);
    // Rows spread over the existing partitions.
    assert!(count(&server, &name, "SELECT count(*) FROM orders_2025") > 0);
    assert!(count(&server, &name, "SELECT count(*) FROM orders_2026") > 0);
    // Computed column comparisons hold without the server's help: totals are exact.
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM orders WHERE total <> subtotal - discount + tax"
        ),
        0
    );
    // The identity sequence continues after the generated keys.
    let mut c = crate::data_client(&server, &name);
    c.batch_execute(
        "INSERT INTO users (email, name, code) VALUES ('new@example.com', 'n', 'ABC-1234')",
    )
    .expect("a new row gets a fresh identity value");
    drop_db(&server, &name);
}

#[test]
fn same_seed_gives_the_same_rows() {
    let text = doc(
        "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL, n int CHECK (n BETWEEN 1 AND 9));",
    );
    let opts = SeedOptions {
        rows: 200,
        seed: 7,
        ..SeedOptions::default()
    };
    let digest = |server: &Server, name: &str| -> String {
        let mut c = crate::data_client(server, name);
        c.query_one(
            "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM t",
            &[],
        )
        .expect("digest")
        .get(0)
    };
    let (s1, n1, _) = up_and_seed(&text, &opts);
    let (s2, n2, _) = up_and_seed(&text, &opts);
    assert_eq!(digest(&s1, &n1), digest(&s2, &n2));
    drop_db(&s1, &n1);
    drop_db(&s2, &n2);
}

#[test]
fn unsatisfiable_check_is_reported_not_hidden() {
    let text = doc(
        "CREATE TABLE odd (id int PRIMARY KEY, v int NOT NULL CHECK (v > 10 AND v < 5));\n\
         CREATE TABLE fine (id int PRIMARY KEY);",
    );
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 50,
            ..SeedOptions::default()
        },
    );
    let odd = report
        .tables
        .iter()
        .find(|t| t.table == "odd")
        .expect("odd");
    assert_eq!(odd.rows, 0);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code == Code::TableNotSeeded && d.message.contains("odd")));
    let fine = report
        .tables
        .iter()
        .find(|t| t.table == "fine")
        .expect("fine");
    assert_eq!(fine.rows, 50);
    drop_db(&server, &name);
}

/// A table an earlier table's trigger fills while it is seeded (an audit table with an identity
/// key) is counted when its turn comes: its rows count and their keys are taken, so no
/// generated row collides with them.
#[test]
fn rows_a_trigger_added_count_and_keep_their_keys() {
    let text = doc(
        "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);\n\
         CREATE TABLE item_audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, item_id bigint NOT NULL, op text NOT NULL);\n\
         CREATE FUNCTION audit_item() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN INSERT INTO item_audit (item_id, op) VALUES (NEW.id, TG_OP); RETURN NEW; END; $$;\n\
         CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION audit_item();",
    );
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 30,
            ..SeedOptions::default()
        },
    );
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    assert_eq!(count(&server, &name, "SELECT count(*) FROM item_audit"), 30);
    drop_db(&server, &name);
}

/// A table only a trigger fills (a profile per account, as Supabase's "create a profile on
/// sign-up" does) is the parent of a later table: the rows the trigger added are the keys the
/// later table's foreign key takes, not "no rows".
#[test]
fn rows_a_trigger_added_are_parents_of_later_tables() {
    let text = doc(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n\
         CREATE TABLE profiles (id bigint PRIMARY KEY REFERENCES accounts (id), shown text NOT NULL);\n\
         CREATE FUNCTION make_profile() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN INSERT INTO profiles (id, shown) VALUES (NEW.id, NEW.email); RETURN NEW; END; $$;\n\
         CREATE TRIGGER accounts_profile AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION make_profile();\n\
         CREATE TABLE shops (id bigint PRIMARY KEY, owner_id bigint NOT NULL REFERENCES profiles (id));",
    );
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 20,
            ..SeedOptions::default()
        },
    );
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    assert_eq!(count(&server, &name, "SELECT count(*) FROM profiles"), 20);
    assert_eq!(count(&server, &name, "SELECT count(*) FROM shops"), 20);
    drop_db(&server, &name);
}

/// Backends of `db` still running a statement (other than the asking one), after a short wait.
fn busy_backends(server: &Server, db: &str) -> Vec<String> {
    let mut c = crate::data_client(server, "postgres");
    let started = std::time::Instant::now();
    loop {
        let rows: Vec<String> = c
            .query(
                "SELECT left(query, 60) FROM pg_catalog.pg_stat_activity \
                 WHERE datname = $1 AND state <> 'idle' AND pid <> pg_catalog.pg_backend_pid()",
                &[&db],
            )
            .expect("pg_stat_activity")
            .iter()
            .map(|r| r.get(0))
            .collect();
        if rows.is_empty() || started.elapsed() > std::time::Duration::from_secs(5) {
            return rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// `pgspec COMMAND --format json --statement-timeout 2` through the binary, on the shared
/// cluster: a document that loops is stopped within a 2 s bound instead of waiting out the 15 s
/// default (the limits are process-wide, so a test cannot shorten them in-process for itself).
/// Returns the exit code and the JSON.
fn bounded_json(
    command: &str,
    name: &str,
    doc: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .arg(command)
        .args([
            "--format",
            "json",
            "--statement-timeout",
            "2",
            "--name",
            name,
        ])
        .arg("--cluster-dir")
        .arg(&shared_cluster().root)
        .args(extra)
        .arg(doc)
        .output()
        .expect("run pgspec");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`pgspec {command}` printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

/// The JSON object of `list` whose `key` is `value`.
fn entry<'a>(list: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item[key] == value))
        .unwrap_or_else(|| panic!("no {key} = {value} in {list:#}"))
}

/// `up` of `text` (which must apply), written to a file for the binary; returns its path.
fn up_for_binary(text: &str, name: &str, dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("doc.md");
    std::fs::write(&path, text).expect("write document");
    let _guard = seed_lock();
    let (code, up) = bounded_json("up", name, &path, &[]);
    assert_eq!(code, Some(0), "fixture must apply cleanly: {up:#}");
    path
}

/// A trigger that loops, swallows cancels and lifts its own statement_timeout: the table's COPY
/// is stopped within the statement bound and its backend terminated; seed reports it on that
/// table and goes on with the next one, on a new connection.
#[test]
fn looping_trigger_stops_within_the_bound_and_is_reported() {
    let text = doc(
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL);\n\
         CREATE FUNCTION enrich_order() RETURNS trigger LANGUAGE plpgsql SET statement_timeout = 0 AS $$\n\
         BEGIN\n\
           LOOP\n\
             BEGIN\n\
               PERFORM pg_sleep(0.1);\n\
             EXCEPTION WHEN query_canceled THEN NULL;\n\
             END;\n\
           END LOOP;\n\
           RETURN NEW;\n\
         END $$;\n\
         CREATE TRIGGER orders_enrich BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION enrich_order();\n\
         CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique_name("seed");
    let path = up_for_binary(&text, &name, &dir);
    let started = std::time::Instant::now();
    let (_, report) = bounded_json("seed", &name, &path, &["--rows", "20"]);
    let took = started.elapsed();
    // 2 s statement bound, then the cancel (swallowed) and the terminate 2 s later.
    assert!(
        took < std::time::Duration::from_secs(30),
        "seed took {took:?}"
    );
    let orders = entry(&report["tables"], "table", "orders");
    assert_eq!(orders["rows"], 0, "{orders:#}");
    let why = orders["stopped"].as_str().unwrap_or_default();
    assert!(why.starts_with("stopped after "), "{orders:#}");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let diagnostic = diagnostics
        .iter()
        .find(|d| {
            d["code"] == Code::TableNotSeeded.as_str()
                && d["message"].as_str().is_some_and(|m| m.contains("orders"))
        })
        .unwrap_or_else(|| panic!("the stopped table is reported: {diagnostics:#?}"));
    assert!(
        diagnostic["message"]
            .as_str()
            .is_some_and(|m| m.contains("stopped after")),
        "{diagnostic:#}"
    );
    let customers = entry(&report["tables"], "table", "customers");
    assert_eq!(
        customers["rows"], 20,
        "seed goes on after the stopped table"
    );
    let server = server();
    assert_eq!(count(&server, &name, "SELECT count(*) FROM customers"), 20);
    let left = busy_backends(&server, &name);
    assert!(left.is_empty(), "backends still busy: {left:?}");
    drop_db(&server, &name);
}

/// A function verify calls that loops and swallows cancels: its claim fails as stopped, and the
/// claims after it are still checked on a new connection.
#[test]
fn looping_function_fails_its_claim_and_verify_goes_on() {
    let text = doc(
        "CREATE TABLE sales (id int PRIMARY KEY, amount numeric(10,2) NOT NULL);\n\
         CREATE FUNCTION spin_total() RETURNS numeric LANGUAGE plpgsql SET statement_timeout = 0 AS $$\n\
         BEGIN\n\
           LOOP\n\
             BEGIN\n\
               PERFORM pg_sleep(0.1);\n\
             EXCEPTION WHEN query_canceled THEN NULL;\n\
             END;\n\
           END LOOP;\n\
         END $$;\n\
         CREATE FUNCTION sales_total() RETURNS numeric LANGUAGE sql AS $$ SELECT coalesce(sum(amount), 0) FROM sales $$;",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique_name("seed");
    let path = up_for_binary(&text, &name, &dir);
    bounded_json("seed", &name, &path, &["--rows", "20"]);
    let started = std::time::Instant::now();
    let (_, report) = bounded_json("verify", &name, &path, &[]);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(30),
        "verify took {took:?}"
    );
    let function = |n: &str| {
        report["claims"]
            .as_array()
            .and_then(|claims| {
                claims.iter().find(|c| {
                    c["kind"] == "function" && c["title"].as_str().is_some_and(|t| t.contains(n))
                })
            })
            .unwrap_or_else(|| panic!("a claim for {n}: {report:#}"))
            .clone()
    };
    let spin = function("spin_total");
    assert_eq!(spin["status"], "fail", "{spin:#}");
    assert!(
        spin["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stopped after")),
        "{spin:#}"
    );
    let total = function("sales_total");
    assert_eq!(total["status"], "pass", "{total:#}");
    let server = server();
    let left = busy_backends(&server, &name);
    assert!(left.is_empty(), "backends still busy: {left:?}");
    drop_db(&server, &name);
}

#[test]
fn postgis_columns_are_seeded_with_shapes_a_spatial_query_finds() {
    // scripts/setup.sh installs PostGIS: the extension is created for real, and its columns
    // (not null or not) get points and polygons of their SRID.
    let text = doc("CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE stores (
    id bigserial PRIMARY KEY,
    location geography(Point, 4326) NOT NULL,
    area geometry(Polygon, 4326)
);");
    let (server, name, report) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 40,
            ..SeedOptions::default()
        },
    );
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    assert_eq!(count(&server, &name, "SELECT count(*) FROM stores"), 40);
    assert_eq!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM stores WHERE ST_DWithin(location, ST_MakePoint(0, 0)::geography, 20000000) AND (area IS NULL OR ST_IsValid(area))"
        ),
        40
    );
    assert!(
        count(
            &server,
            &name,
            "SELECT count(*) FROM stores WHERE ST_GeometryType(area) = 'ST_Polygon' AND ST_SRID(area) = 4326"
        ) > 20
    );
    drop_db(&server, &name);
}

#[test]
fn columns_and_tables_named_by_keywords_are_filled() {
    // Every name pgspec writes into its own SQL goes through one keyword-aware quoting.
    let text = doc(
        r#"CREATE TABLE "order" (id int PRIMARY KEY, "order" int NOT NULL, "user" text NOT NULL, "Select" text);"#,
    );
    let opts = SeedOptions {
        rows: 30,
        ..SeedOptions::default()
    };
    let (server, name, report) = up_and_seed(&text, &opts);
    assert_eq!(report.total_rows, 30, "{:#?}", report.diagnostics);
    assert_eq!(
        count(
            &server,
            &name,
            r#"SELECT count(*) FROM "order" WHERE "order" IS NOT NULL AND "user" IS NOT NULL"#
        ),
        30
    );
    drop_db(&server, &name);
}

/// Everything `seed` told its progress sink, in order.
#[derive(Default)]
struct Recording {
    plan: Vec<PlannedTable>,
    /// (table, rows so far, rows asked, finished)
    rows: Vec<(String, u64, u64, bool)>,
    done: Vec<String>,
}

impl SeedProgress for Recording {
    fn plan(&mut self, tables: &[PlannedTable]) {
        assert!(self.rows.is_empty(), "the plan comes before the first row");
        self.plan = tables.to_vec();
    }
    fn rows(&mut self, p: &Progress<'_>) {
        assert_eq!(
            self.plan.get(p.index).map(|t| t.table.as_str()),
            Some(p.table)
        );
        assert_eq!(p.tables, self.plan.len());
        self.rows
            .push((p.table.to_string(), p.done, p.total, p.finished));
    }
    fn table_done(&mut self, report: &TableReport) {
        self.done.push(report.table.clone());
    }
}

mod claims;
mod hard;
mod reruns;
