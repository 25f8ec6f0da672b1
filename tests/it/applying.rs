//! Applying unseen documents right (issue 13): reference cycles untangled by moving a foreign
//! key, root causes that do not hide the errors behind them, assumptions, honest blame.

use std::process::Command;

use pgspec::check::{CheckReport, StatementStatus};
use pgspec::diagnostics::{Applicability, Category, Severity};
use pgspec::document::Document;

use crate::check::check_bytes;
use crate::postgres::shared_cluster;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/applying")
        .join(name)
}

fn check_fixture(name: &str) -> (Document, CheckReport) {
    check_bytes(&std::fs::read(fixture(name)).expect("read fixture"))
}

fn pgspec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

fn line_of(doc: &Document, needle: &str) -> u32 {
    let at = doc
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in document"));
    doc.line_index.line(u32::try_from(at).expect("small"))
}

fn status_at(doc: &Document, report: &CheckReport, needle: &str) -> StatementStatus {
    let line = line_of(doc, needle);
    report
        .statements
        .iter()
        .find(|s| s.line == line)
        .unwrap_or_else(|| panic!("no statement at line {line}"))
        .status
}

/// Two tables that reference each other, and three in a ring: the first of each cycle is an
/// error with a safe fix (its foreign key moves into an ALTER TABLE after the table it waits
/// for), everything applies, and the moved constraint runs once both tables exist.
#[test]
fn reference_cycles_apply_with_one_foreign_key_moved_into_alter_table() {
    let (doc, report) = check_fixture("cycle.md");
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let error_lines: Vec<u32> = errors
        .iter()
        .map(|d| doc.line_index.line(d.primary.range.start))
        .collect();
    assert_eq!(
        error_lines,
        vec![
            line_of(&doc, "captain_id int CONSTRAINT"),
            line_of(&doc, "CREATE TABLE matches")
        ],
        "{:#?}",
        report.diagnostics
    );
    for d in &errors {
        assert_eq!(d.category, Category::ForwardReference);
        let fix = d.fix.as_ref().expect("a fix");
        assert_eq!(fix.applicability, Applicability::Safe, "{fix:?}");
    }
    let players = line_of(&doc, "CREATE TABLE players").to_string();
    assert!(
        errors[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains(&format!("line {players}"))),
        "{:#?}",
        errors[0]
    );
    assert_eq!(report.summary.cascades, 0, "{:#?}", report.statements);
    assert_eq!(report.summary.failed, 0, "{:#?}", report.statements);
    assert_eq!(report.summary.fixed, 2);
    assert_eq!(report.summary.applied, 5);
    // Only the cycles are findings of order: the statements behind them apply in order.
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code == pgspec::diagnostics::Code::ForwardReference),
        "{:#?}",
        report.diagnostics
    );
    assert_eq!(
        status_at(&doc, &report, "CREATE INDEX players_team"),
        StatementStatus::Applied
    );
    // The moved constraints ran after the tables they join.
    let sql: Vec<&str> = report.schema_sql.iter().map(|e| e.sql.as_str()).collect();
    let position = |needle: &str| {
        sql.iter()
            .position(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in {sql:#?}"))
    };
    assert!(
        position("ALTER TABLE teams ADD CONSTRAINT teams_captain_fk FOREIGN KEY (captain_id) REFERENCES players (id) ON DELETE SET NULL")
            > position("CREATE TABLE players")
    );
    assert!(
        position("ALTER TABLE matches ADD FOREIGN KEY (venue_id) REFERENCES venues (id)")
            > position("CREATE TABLE venues")
    );
}

/// `fix` writes the moved foreign keys into the document: the fixed document applies in order
/// with every constraint, and nothing is left to report.
#[test]
fn fixed_reference_cycles_apply_in_document_order_with_every_constraint() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("cycle.md");
    std::fs::copy(fixture("cycle.md"), &doc).expect("copy");
    let doc = doc.display().to_string();
    let out = pgspec(&["fix", "--db", &url, &doc]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(&doc).expect("read");
    assert!(
        fixed.contains(
            "team_id int NOT NULL,\n  CONSTRAINT players_team_fk FOREIGN KEY (team_id) REFERENCES teams (id)\n);\nALTER TABLE teams ADD CONSTRAINT teams_captain_fk FOREIGN KEY (captain_id) REFERENCES players (id) ON DELETE SET NULL;\n"
        ),
        "{fixed}"
    );
    assert!(fixed.contains("  captain_id int,\n"), "{fixed}");
    drop(_guard);
    let (_, report) = check_bytes(fixed.as_bytes());
    assert_eq!(report.summary.errors, 0, "{:#?}", report.diagnostics);
    assert_eq!(report.summary.applied, report.summary.statements);
    let foreign_keys = report
        .schema_sql
        .iter()
        .filter(|e| e.sql.contains("REFERENCES"))
        .count();
    assert_eq!(foreign_keys, 5, "{:#?}", report.schema_sql);
}

/// A root cause with a behaviour-changing fix (the partition key missing from the primary key)
/// does not hide the independent errors of the statements that depend on it: each is reported
/// at its line, as found assuming the fix, and none is a cascade.
#[test]
fn errors_behind_a_root_cause_are_each_reported_at_their_line() {
    let (doc, report) = check_fixture("behind_root.md");
    let root = line_of(&doc, "CREATE TABLE events (");
    let expected = [
        (line_of(&doc, "acount_id"), Category::UndefinedColumn),
        (line_of(&doc, "created_att"), Category::UndefinedColumn),
        (line_of(&doc, "kind = 1"), Category::UndefinedFunction),
        (
            line_of(&doc, "INSERT INTO events"),
            Category::InvalidDefinition,
        ),
    ];
    assert_eq!(report.summary.cascades, 0, "{:#?}", report.statements);
    for (line, category) in expected {
        let d = report
            .diagnostics
            .iter()
            .find(|d| {
                d.severity == Severity::Error && doc.line_index.line(d.primary.range.start) == line
            })
            .unwrap_or_else(|| panic!("no error at line {line}: {:#?}", report.diagnostics));
        assert_eq!(d.category, category, "{d:#?}");
        assert!(
            d.notes.iter().any(|n| n
                .starts_with("found assuming add the partition key (created_at)")
                && n.ends_with(&format!("at line {root}"))),
            "{d:#?}"
        );
    }
    let root_error = report
        .diagnostics
        .iter()
        .find(|d| doc.line_index.line(d.primary.range.start) == root)
        .expect("the root cause");
    assert_eq!(root_error.category, Category::PartitionKey);
    let help = root_error.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("checked what depends on it assuming"),
        "{help}"
    );
    assert!(!help.contains("as if this were fixed"), "{help}");
    // A column name one letter from the table's own column (or one PostgreSQL suggests) is
    // assumed to be a typo of it, not a new column.
    for (needle, meant) in [("acount_id", "account_id"), ("created_att", "created_at")] {
        let line = line_of(&doc, needle);
        let fix = report
            .diagnostics
            .iter()
            .filter(|d| doc.line_index.line(d.primary.range.start) == line)
            .find_map(|d| d.fix.as_ref())
            .unwrap_or_else(|| panic!("no fix at line {line}"));
        assert_eq!(fix.applicability, Applicability::Assumption, "{fix:?}");
        assert!(
            fix.title
                .starts_with(&format!("assume `{needle}` means `{meant}`")),
            "{fix:?}"
        );
    }
    // check does not pretend the statement applied: the document still has the bug.
    assert_eq!(
        status_at(&doc, &report, "CREATE TABLE events ("),
        StatementStatus::Failed
    );
}

/// The lines of the statements `decisions.md` needs a person's decision for, by a word in them.
const DECISIONS: [&str; 5] = [
    "CREATE TABLE products",
    "CREATE VIEW product_names",
    "CREATE TABLE price_changes",
    "CREATE INDEX visits_recent",
    "CREATE TABLE daily_sales_2026",
];

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The statement of `up`'s JSON `document` that starts at `line`.
fn statement_at(document: &serde_json::Value, line: u64) -> &serde_json::Value {
    document["statements"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["line"] == line))
        .unwrap_or_else(|| panic!("no statement at line {line}: {document}"))
}

/// The type of `table.column` in the database, as PostgreSQL writes it.
fn column_type(client: &mut ::postgres::Client, table: &str, column: &str) -> String {
    client
        .query_one(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attname = $2",
            &[&table, &column],
        )
        .expect("column type")
        .get(0)
}

/// `pgspec up --recreate --format json` of `path` into database `name` on the test cluster,
/// which must succeed; its JSON.
fn up_json(path: &str, name: &str) -> serde_json::Value {
    let url = shared_cluster().url("postgres");
    let out = pgspec(&[
        "up",
        "--recreate",
        "--format",
        "json",
        "--db",
        &url,
        "--name",
        name,
        path,
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    json_of(&out)
}

/// `up` takes the least surprising choice for every decision, builds every relation the
/// document describes, and lists each choice: status `assumed`, the alternatives in
/// `decision`, and in JSON the edit it stands for. An error behind an assumption is still
/// reported, as found assuming it.
#[test]
fn up_assumes_where_a_person_must_decide_and_builds_every_relation() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("decisions.md");
    std::fs::copy(fixture("decisions.md"), &path).expect("copy");
    let path = path.display().to_string();
    let name = "pgspec_applying_decisions";
    let json = up_json(&path, name);
    let document = &json["documents"][0];
    let doc = pgspec::pipeline::extract(&std::fs::read(&path).expect("read")).document;
    for needle in DECISIONS {
        let line = u64::from(line_of(&doc, needle));
        let statement = statement_at(document, line);
        assert_eq!(statement["status"], "assumed", "{statement}");
        assert!(statement["decision"].is_string(), "{statement}");
        let end = statement["end_line"].as_u64().expect("end_line");
        let fix = document["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| (line..=end).contains(&d["line"].as_u64().unwrap_or(0)))
            .find_map(|d| d.get("fix").filter(|f| f["applicability"] == "assumption"))
            .unwrap_or_else(|| panic!("no assumption at line {line}: {document}"));
        assert!(!fix["edits"].as_array().expect("edits").is_empty(), "{fix}");
    }
    assert_eq!(document["summary"]["assumed"], 5, "{}", document["summary"]);
    // The view behind the assumed table still has its own error, said to be found under it.
    let view = u64::from(line_of(&doc, "CREATE VIEW sales_2026"));
    let behind = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["line"] == view && d["severity"] == "error")
        .unwrap_or_else(|| panic!("no error at line {view}"));
    let partition = line_of(&doc, "CREATE TABLE daily_sales_2026");
    assert!(
        behind["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n
                .as_str()
                .is_some_and(|n| n.starts_with("found assuming")
                    && n.ends_with(&format!("at line {partition}")))),
        "{behind}"
    );
    // Every relation is there, as assumed.
    let mut client = crate::data_client(&pgspec::postgres::Server::Url(url.clone()), name);
    for relation in [
        "products",
        "product_names",
        "price_changes",
        "price_changes_product_day",
        "visits",
        "visits_recent",
        "daily_sales",
        "daily_sales_2026",
    ] {
        let found: Option<String> = client
            .query_one("SELECT to_regclass($1)::text", &[&relation])
            .expect("query")
            .get(0);
        assert_eq!(found.as_deref(), Some(relation));
    }
    let unique_sku: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'products'::regclass \
             AND contype = 'u' AND pg_get_constraintdef(oid) = 'UNIQUE (sku)'",
            &[],
        )
        .expect("query")
        .get(0);
    assert_eq!(unique_sku, 1);
    let generated: String = client
        .query_one(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a \
             ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
             WHERE d.adrelid = 'price_changes'::regclass AND a.attname = 'changed_on'",
            &[],
        )
        .expect("query")
        .get(0);
    assert!(generated.contains("'UTC'"), "{generated}");
    assert_eq!(column_type(&mut client, "visits", "is_bot"), "boolean");
    drop(client);
    let down = pgspec(&["down", "--db", &url, "--name", name, &path]);
    assert_eq!(down.status.code(), Some(0), "{down:?}");
}

/// `up --strict` refuses where a person must decide: nothing is built.
#[test]
fn up_strict_refuses_where_a_person_must_decide() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let path = fixture("decisions.md").display().to_string();
    let name = "pgspec_applying_strict";
    let out = pgspec(&[
        "up", "--strict", "--format", "json", "--db", &url, "--name", name, &path,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json = json_of(&out);
    assert_eq!(json["status"], "refused", "{json}");
    let statuses: Vec<&str> = json["documents"][0]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert!(!statuses.contains(&"assumed"), "{statuses:?}");
    let mut admin = crate::data_client(&pgspec::postgres::Server::Url(url.clone()), "postgres");
    let exists: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .expect("query")
        .get(0);
    assert_eq!(exists, 0);
}

/// `fix --assume` writes the assumptions into the document: checked again, only the error that
/// was behind them is left.
#[test]
fn fix_assume_writes_the_assumptions_into_the_document() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("decisions.md");
    std::fs::copy(fixture("decisions.md"), &path).expect("copy");
    let path = path.display().to_string();
    let plain = pgspec(&["fix", "--unsafe", "--db", &url, &path]);
    assert_eq!(plain.status.code(), Some(0), "{plain:?}");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        std::fs::read(fixture("decisions.md")).expect("read"),
        "--unsafe alone writes no assumption"
    );
    let out = pgspec(&["fix", "--assume", "--db", &url, &path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert!(fixed.contains("  UNIQUE (sku)\n);"), "{fixed}");
    // PostgreSQL's own hint names the column the typo means.
    assert!(fixed.contains("SELECT id, name FROM products;"), "{fixed}");
    assert!(
        fixed.contains("date((changed_at AT TIME ZONE 'UTC'))"),
        "{fixed}"
    );
    assert!(
        fixed.contains("CREATE TABLE daily_sales_2026 (LIKE daily_sales INCLUDING ALL);"),
        "{fixed}"
    );
    drop(_guard);
    let (doc, report) = check_bytes(fixed.as_bytes());
    let errors: Vec<u32> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| doc.line_index.line(d.primary.range.start))
        .collect();
    assert_eq!(
        errors,
        vec![line_of(&doc, "CREATE VIEW sales_2026")],
        "{:#?}",
        report.diagnostics
    );
}

/// `up` on each seed creates every relation and index its document describes (its SQL, ERD
/// and column tables): where a person must decide, the statement is assumed, never left out.
#[test]
fn up_creates_every_relation_each_seed_describes() {
    use pgspec::sql::quote::quote_ident;
    use pgspec::sql::{ObjectKind, StatementKind};
    let _guard = crate::check::seed_lock();
    let server = pgspec::postgres::Server::Url(shared_cluster().url("postgres"));
    let mut missing = Vec::new();
    let mut assumed = 0;
    for seed in ["000", "001", "002", "003", "004"] {
        let bytes = std::fs::read(crate::seed_file("original", seed)).expect("read seed");
        let extracted = pgspec::pipeline::extract(&bytes);
        let statements = extracted.statements.clone();
        let name = format!("pgspec_applying_seed_{seed}");
        let report = pgspec::up::up(extracted, &bytes, &server, &name, true)
            .unwrap_or_else(|e| panic!("up {seed}: {e}"));
        let (_, check) = report.check.as_ref().expect("built");
        let mut client = crate::data_client(&server, &name);
        for (stmt, status) in statements.iter().zip(&check.statements) {
            if stmt.kind != StatementKind::Schema {
                continue;
            }
            for object in stmt
                .facts
                .creates
                .iter()
                .filter(|o| matches!(o.kind, ObjectKind::Relation | ObjectKind::Index))
            {
                let written = match &object.schema {
                    Some(schema) => {
                        format!("{}.{}", quote_ident(schema), quote_ident(&object.name))
                    }
                    None => quote_ident(&object.name),
                };
                let found: Option<String> = client
                    .query_one("SELECT to_regclass($1)::text", &[&written])
                    .expect("query")
                    .get(0);
                // Gone by the document's own hand: seed 002 drops the column this index is on
                // (`ALTER TABLE orders DROP COLUMN customer_phone`).
                let dropped_later = seed == "002" && object.name == "idx_orders_customer_phone";
                // Or by a fix because another index of the document is the same one.
                let same_as_another = check.diagnostics.iter().any(|d| {
                    stmt.range.contains(d.primary.range.start)
                        && d.fix
                            .as_ref()
                            .is_some_and(|f| f.title.starts_with("remove this index"))
                });
                if found.is_none() && !dropped_later && !same_as_another {
                    missing.push(format!(
                        "seed {seed} line {}: {written} ({:?})",
                        status.line, status.status
                    ));
                }
            }
            if status.status == StatementStatus::Assumed {
                assumed += 1;
            }
        }
        drop(client);
        pgspec::up::down(&server, &name).expect("down");
    }
    assert!(missing.is_empty(), "{missing:#?}");
    assert!(assumed > 0);
}

/// A statement pgspec does not run (a COPY from a server file) is never the hidden cause of an
/// error blamed on the author: the row that needs it says it depends on it, as a cascade of
/// that statement. An error of the author's own next to it is still an error.
#[test]
fn what_needs_a_statement_pgspec_did_not_run_says_so() {
    let (doc, report) = check_fixture("blame.md");
    let copy = line_of(&doc, "COPY plans");
    let row = line_of(&doc, "VALUES (1, 1)");
    let statement = report
        .statements
        .iter()
        .find(|s| {
            s.line
                == line_of(
                    &doc,
                    "INSERT INTO subscriptions (id, plan_id) VALUES (1, 1)",
                )
        })
        .expect("the row");
    assert_eq!(statement.status, StatementStatus::Cascade, "{statement:?}");
    assert_eq!(statement.root_line, Some(copy));
    let at_row: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| doc.line_index.line(d.primary.range.start) == row)
        .collect();
    assert_eq!(at_row.len(), 1, "{at_row:#?}");
    assert!(at_row[0].severity < Severity::Warning, "{:#?}", at_row[0]);
    assert_eq!(
        at_row[0].message,
        format!("fails only because pgspec did not run the statement at line {copy}, which it depends on")
    );
    let own = line_of(&doc, "VALUES (2, 'two')");
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error
                && doc.line_index.line(d.primary.range.start) == own),
        "{:#?}",
        report.diagnostics
    );
}

/// pgvector is not installable here: `up` builds a document that needs it on a stand-in (an
/// assumption per statement: vectors as `real[]`, pgvector's distance operators in SQL, its
/// approximate index left out) instead of leaving every table that uses it out, and the
/// document's own nearest-neighbour query answers as pgvector would.
#[test]
fn up_builds_a_pgvector_document_on_a_stand_in() {
    let _guard = crate::check::seed_lock();
    let path = fixture("pgvector.md").display().to_string();
    let name = "pgspec_applying_pgvector";
    let json = up_json(&path, name);
    let document = &json["documents"][0];
    let doc = pgspec::pipeline::extract(&std::fs::read(&path).expect("read")).document;
    for needle in [
        "CREATE EXTENSION IF NOT EXISTS vector",
        "CREATE TABLE songs",
        "CREATE INDEX songs_audio_embedding_idx",
        "CREATE FUNCTION songs_like",
    ] {
        let line = u64::from(line_of(&doc, needle));
        let statement = statement_at(document, line);
        assert_eq!(statement["status"], "assumed", "{statement}");
    }
    assert_eq!(
        document["summary"]["cascades"], 0,
        "{}",
        document["summary"]
    );
    let server = pgspec::postgres::Server::Url(shared_cluster().url("postgres"));
    let mut client = crate::data_client(&server, name);
    let nearest: Vec<String> = client
        .query("SELECT title FROM songs_like('{1,0,0}', 2)", &[])
        .expect("the document's query runs")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(nearest, ["Morning", "Dawn"]);
    let l2: f64 = client
        .query_one("SELECT '{1,2}'::real[] <-> '{4,6}'::real[]", &[])
        .expect("l2")
        .get(0);
    assert!((l2 - 5.0).abs() < 1e-9, "{l2}");
    assert_eq!(
        column_type(&mut client, "songs", "audio_embedding"),
        "real[]"
    );
    drop(client);
    pgspec::up::down(&server, name).expect("down");
}

/// TimescaleDB and Citus are not installable here: `up` builds a document that uses them with
/// its tables plain (the calls that would convert them left out, as assumptions) and
/// `time_bucket` standing in as `date_bin`; `verify` skips the left-out calls (they need an
/// extension that is not there) instead of failing them, and the document's own query runs.
#[test]
fn up_builds_timescale_and_citus_documents_on_plain_tables() {
    let _guard = crate::check::seed_lock();
    let path = fixture("timeseries.md").display().to_string();
    let name = "pgspec_applying_timeseries";
    let json = up_json(&path, name);
    let document = &json["documents"][0];
    let bytes = std::fs::read(&path).expect("read");
    let extracted = pgspec::pipeline::extract(&bytes);
    let doc = &extracted.document;
    for needle in [
        "CREATE EXTENSION IF NOT EXISTS timescaledb",
        "SELECT create_reference_table",
        "SELECT create_hypertable",
        "SELECT add_retention_policy",
    ] {
        let line = u64::from(line_of(doc, needle));
        let statement = statement_at(document, line);
        assert_eq!(statement["status"], "assumed", "{needle}: {statement}");
    }
    let view = statement_at(
        document,
        u64::from(line_of(doc, "CREATE VIEW readings_per_hour")),
    );
    assert_eq!(view["status"], "applied", "{view}");
    let server = pgspec::postgres::Server::Url(shared_cluster().url("postgres"));
    let mut client = crate::data_client(&server, name);
    let hour: String = client
        .query_one(
            "SELECT time_bucket(INTERVAL '1 hour', timestamptz '2026-03-01 10:37:12+00')::text",
            &[],
        )
        .expect("time_bucket stands in")
        .get(0);
    assert_eq!(hour, "2026-03-01 10:00:00+00");
    drop(client);
    let report =
        pgspec::verify::verify(doc, &extracted.statements, &server, name).expect("verify runs");
    for needle in [
        "create_reference_table",
        "create_hypertable",
        "add_retention_policy",
    ] {
        let claim = report
            .claims
            .iter()
            .find(|c| c.title.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {:#?}", report.claims));
        assert_eq!(claim.status, pgspec::verify::Status::Skipped, "{claim:#?}");
        assert!(
            claim
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("not installable here")),
            "{claim:#?}"
        );
    }
    let dashboard = report
        .claims
        .iter()
        .find(|c| c.title.contains("readings_per_hour"))
        .unwrap_or_else(|| panic!("{:#?}", report.claims));
    assert_eq!(
        dashboard.status,
        pgspec::verify::Status::Pass,
        "{dashboard:#?}"
    );
    pgspec::up::down(&server, name).expect("down");
}

/// SQL in an indented code block (CommonMark's other kind of code block) is read like an
/// untagged fenced block: applied, and an error lands on its own line and column, past the
/// indentation.
#[test]
fn indented_sql_is_applied_and_its_errors_point_into_it() {
    let text = "# Shop\n\nThe tables:\n\n    CREATE TABLE items (id int PRIMARY KEY, name text);\n\n    CREATE INDEX items_name ON items (nmae);\n\nAnd the rest:\n\n```sql\nCREATE TABLE orders (id int PRIMARY KEY, item_id int REFERENCES items (id));\n```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    assert_eq!(
        status_at(&doc, &report, "CREATE TABLE items"),
        StatementStatus::Applied
    );
    assert_eq!(
        status_at(&doc, &report, "CREATE TABLE orders"),
        StatementStatus::Applied,
        "the fenced block after it sees its table"
    );
    let error = report
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("the misspelt column is an error");
    let at = error.primary.range.start as usize;
    assert_eq!(&text[at..at + 4], "nmae", "{error:?}");
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "DOC006"),
        "read, so not reported as unread"
    );
}

/// A safe fix that adds a statement before one in an indented code block indents the line it
/// adds, so the block keeps every statement: the fixed document reads and applies whole.
#[test]
fn a_fix_in_an_indented_block_keeps_its_lines_in_the_block() {
    let text = "# Keys\n\nThe table:\n\n    CREATE TABLE keys (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), label text);\n    CREATE INDEX keys_label ON keys (label);\n";
    let (doc, report) = check_bytes(text.as_bytes());
    assert_ne!(
        status_at(&doc, &report, "CREATE TABLE keys"),
        StatementStatus::Applied,
        "the extension is missing"
    );
    let fixed = pgspec::fix::apply_fixes(
        &doc.text,
        &doc.line_index,
        &report.diagnostics,
        Applicability::Safe,
    );
    assert!(
        !fixed.fixes.is_empty(),
        "a safe fix: {:#?}",
        report.diagnostics
    );
    assert!(
        fixed
            .text
            .lines()
            .filter(|l| l.contains("CREATE "))
            .all(|l| l.starts_with("    CREATE ")),
        "{}",
        fixed.text
    );
    let (doc, report) = check_bytes(fixed.text.as_bytes());
    for needle in ["CREATE TABLE keys", "CREATE INDEX keys_label"] {
        assert_eq!(
            status_at(&doc, &report, needle),
            StatementStatus::Applied,
            "{}",
            fixed.text
        );
    }
}

/// A column an earlier statement renamed (a "v2 changes" section after the v1 schema) that a
/// later query still names by its old name: the assumption is the new name, and says where the
/// document renamed it, rather than a new column nobody declared.
#[test]
fn a_column_renamed_earlier_is_assumed_under_its_new_name() {
    let text = "# v1\n\n```sql\nCREATE TABLE customers (id bigint PRIMARY KEY, full_name text NOT NULL);\n```\n\n# v2\n\n```sql\nALTER TABLE customers RENAME COLUMN full_name TO name;\n```\n\n```sql\nSELECT c.id, c.full_name FROM customers c;\n```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let line = line_of(&doc, "SELECT c.id");
    let rename = line_of(&doc, "RENAME COLUMN");
    let fix = report
        .diagnostics
        .iter()
        .filter(|d| doc.line_index.line(d.primary.range.start) == line)
        .find_map(|d| d.fix.as_ref())
        .unwrap_or_else(|| panic!("no fix at line {line}: {:#?}", report.diagnostics));
    assert_eq!(fix.applicability, Applicability::Assumption, "{fix:?}");
    assert_eq!(
        fix.title,
        format!("assume `full_name` means `name`, the name the document gave it at line {rename}")
    );
}
