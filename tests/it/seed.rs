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

const INDEXED: &str = "
CREATE TABLE events (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('a', 'b', 'c')),
    created_at timestamptz NOT NULL
);
CREATE INDEX idx_events_account ON events (account_id, created_at DESC);
```

The account timeline uses `idx_events_account` (Index Scan, 200ms → 5ms):

```sql
SELECT id, created_at FROM events WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20;
```

Searching by kind also uses idx_events_account (Index Scan):

```sql
SELECT id FROM events WHERE kind = $1 AND id > 10;
";

/// What a progress sink heard: the groups announced, then each claim with its running count.
#[derive(Default)]
struct HeardClaims {
    events: Vec<String>,
}

impl verify::VerifyProgress for HeardClaims {
    fn group(&mut self, kind: ClaimKind) {
        self.events.push(format!("group {}", kind.as_str()));
    }

    fn claim(&mut self, claim: &verify::Claim, judged: usize) {
        self.events
            .push(format!("{judged} {} {}", claim.kind.as_str(), claim.title));
    }
}

#[test]
fn verify_tells_its_progress_claim_by_claim() {
    let text = doc(INDEXED);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 200,
            ..SeedOptions::default()
        },
    );
    let extracted = pipeline::extract(text.as_bytes());
    let mut heard = HeardClaims::default();
    let report = verify::verify_with_progress(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &mut heard,
    )
    .expect("verify runs");
    drop_db(&server, &name);
    assert!(report.claims.len() >= 2, "{:#?}", report.claims);
    // Each claim was told as it was judged, numbered 1, 2, …, inside the group it belongs to.
    let told: Vec<&String> = heard
        .events
        .iter()
        .filter(|e| !e.starts_with("group "))
        .collect();
    assert_eq!(told.len(), report.claims.len(), "{:#?}", heard.events);
    for (i, event) in told.iter().enumerate() {
        assert!(event.starts_with(&format!("{} ", i + 1)), "{event}");
    }
    let first_query_group = heard
        .events
        .iter()
        .position(|e| e == "group query")
        .expect("the query group is announced");
    let first_claim = heard
        .events
        .iter()
        .position(|e| !e.starts_with("group "))
        .expect("a claim");
    assert!(first_query_group < first_claim, "{:#?}", heard.events);
    for claim in &report.claims {
        assert!(
            told.iter().any(|e| e.ends_with(&claim.title)),
            "{} was not told: {:#?}",
            claim.title,
            heard.events
        );
    }
}

#[test]
fn verify_passes_a_servable_index_claim_and_fails_one_the_index_cannot_serve() {
    let text = doc(INDEXED);
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 5000,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let explains: Vec<_> = report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Explain)
        .collect();
    assert_eq!(explains.len(), 2, "{:#?}", report.claims);
    let timeline = explains[0];
    assert_eq!(timeline.status, Status::Pass, "{timeline:#?}");
    assert_eq!(timeline.evidence["usable"], true);
    assert_eq!(timeline.evidence["claimed_ms"], 5.0);
    assert!(timeline.evidence["measured_ms"].is_number());
    let by_kind = explains[1];
    assert_eq!(by_kind.status, Status::Fail, "{by_kind:#?}");
    assert_eq!(by_kind.evidence["usable"], false);
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code == Code::ClaimFailed && d.severity == Severity::Error));
    // Constraint claims: the CHECK IN-list and the primary key reject what they should.
    assert!(report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Constraint)
        .all(|c| c.status == Status::Pass));
    drop_db(&server, &name);
}

fn rls_doc(update_policy: &str) -> String {
    doc(&format!(
        "CREATE TABLE notes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    body text NOT NULL,
    is_public boolean NOT NULL DEFAULT false
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_select_own ON notes FOR SELECT
    USING (user_id = current_setting('app.current_user_id')::uuid);
CREATE POLICY notes_select_public ON notes FOR SELECT USING (is_public);
CREATE POLICY notes_insert_own ON notes FOR INSERT
    WITH CHECK (user_id = current_setting('app.current_user_id')::uuid);
{update_policy}
CREATE FUNCTION note_count(p_user_id uuid) RETURNS bigint LANGUAGE sql AS
    $$ SELECT count(*) FROM notes WHERE user_id = p_user_id $$;
SELECT cron.schedule('purge', '0 3 * * *', $$DELETE FROM notes WHERE body = 'x'$$);"
    ))
}

#[test]
fn verify_proves_rls_isolation_and_catches_a_leak() {
    let opts = SeedOptions {
        rows: 300,
        ..SeedOptions::default()
    };
    let isolated = rls_doc(
        "CREATE POLICY notes_update_own ON notes FOR UPDATE USING (user_id = current_setting('app.current_user_id')::uuid);",
    );
    let (server, name, _) = up_and_seed(&isolated, &opts);
    let report = run_verify(&server, &name, &isolated);
    let rls: Vec<_> = report
        .claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Rls)
        .collect();
    assert_eq!(rls.len(), 1, "{:#?}", report.claims);
    assert_eq!(rls[0].status, Status::Pass, "{:#?}", rls[0]);
    assert_eq!(rls[0].evidence["as"][0]["insert_for_other"], "denied");
    let function = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Function)
        .expect("function claim");
    assert_eq!(function.status, Status::Pass, "{function:#?}");
    let schedule = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Schedule)
        .expect("schedule claim");
    assert_eq!(schedule.status, Status::Pass, "{schedule:#?}");
    // Claims ran in rolled-back transactions: the data is unchanged.
    assert_eq!(count(&server, &name, "SELECT count(*) FROM notes"), 300);
    drop_db(&server, &name);

    // An UPDATE policy that forgets the user lets anyone change anyone's notes.
    let leaky = rls_doc("CREATE POLICY notes_update_any ON notes FOR UPDATE USING (true);");
    let (server, name, _) = up_and_seed(&leaky, &opts);
    let report = run_verify(&server, &name, &leaky);
    let rls = report
        .claims
        .iter()
        .find(|c| c.kind == ClaimKind::Rls)
        .expect("rls claim");
    assert_eq!(rls.status, Status::Fail, "{rls:#?}");
    assert!(
        rls.reason.as_deref().is_some_and(|r| r.contains("UPDATE")),
        "{rls:#?}"
    );
    drop_db(&server, &name);
}

#[test]
fn verify_proves_a_key_whose_duplicate_row_breaks_a_check_and_a_policy_on_a_cast_column() {
    // The INSERT of a copy needs a fresh `isbn`, which its length and pattern refuse: the
    // primary key is proven by giving one row another's id instead. The policy compares a
    // varchar column with a text setting, which pg_policies prints with a cast on the column.
    let text = doc("CREATE TABLE book (
    id bigint PRIMARY KEY,
    isbn varchar(17) NOT NULL UNIQUE CHECK (isbn ~ '^[0-9-]{10,17}$'),
    owner_email varchar(200) NOT NULL
);
ALTER TABLE book ENABLE ROW LEVEL SECURITY;
CREATE POLICY book_own ON book USING (owner_email = current_setting('app.email', true));");
    let (server, name, _) = up_and_seed(
        &text,
        &SeedOptions {
            rows: 50,
            ..SeedOptions::default()
        },
    );
    let report = run_verify(&server, &name, &text);
    let claim = |kind: ClaimKind, part: &str| {
        report
            .claims
            .iter()
            .find(|c| c.kind == kind && c.title.contains(part))
            .unwrap_or_else(|| panic!("no claim {part}: {:#?}", report.claims))
    };
    let pkey = claim(ClaimKind::Constraint, "book_pkey");
    assert_eq!(pkey.status, Status::Pass, "{pkey:#?}");
    assert!(
        pkey.evidence["statement"]
            .as_str()
            .is_some_and(|s| s.starts_with("UPDATE")),
        "{pkey:#?}"
    );
    let rls = claim(ClaimKind::Rls, "book");
    assert_eq!(rls.status, Status::Pass, "{rls:#?}");
    assert_eq!(count(&server, &name, "SELECT count(*) FROM book"), 50);
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
struct PrivateCluster(std::path::PathBuf);

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
