//! Design documents of kinds the corpus did not have (schema per tenant with dynamic PL/pgSQL,
//! job queues, full-text search, extensions that are not installable here): what broke on
//! them, end to end on a real PostgreSQL.

use pgspec::check::StatementStatus;
use pgspec::document::Document;

use crate::check::check_bytes;

fn line_of(doc: &Document, needle: &str) -> u32 {
    let at = doc
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in document"));
    doc.line_index.line(u32::try_from(at).expect("small"))
}

/// pgvector's `hnsw` index is left out by assumption (pgvector is not installable here): a
/// statement that needs the index is a cascade of that statement, not an error saying no
/// statement of the document creates it.
#[test]
fn a_statement_needing_an_index_left_out_by_assumption_is_its_cascade() {
    let text = "# Vectors\n\n```sql\n\
        CREATE EXTENSION IF NOT EXISTS vector;\n\
        CREATE TABLE songs (id bigint PRIMARY KEY, embedding vector(3) NOT NULL);\n\
        CREATE INDEX songs_embedding_hnsw ON songs USING hnsw (embedding vector_cosine_ops);\n\
        COMMENT ON INDEX songs_embedding_hnsw IS 'nearest songs';\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let index_line = line_of(&doc, "CREATE INDEX songs_embedding_hnsw");
    let comment_line = line_of(&doc, "COMMENT ON INDEX");
    let comment = report
        .statements
        .iter()
        .find(|s| s.line == comment_line)
        .expect("the comment statement");
    assert_eq!(comment.status, StatementStatus::Cascade, "{comment:?}");
    assert_eq!(comment.root_line, Some(index_line), "{comment:?}");
    assert!(
        !report.diagnostics.iter().any(|d| d
            .help
            .iter()
            .any(|h| h.contains("no statement of the document creates"))),
        "{:#?}",
        report.diagnostics
    );
}

fn pgspec(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

/// `verify` calls every function the document defines, inside a transaction it rolls back.
/// A procedure that commits cannot run there (skipped, not failed); an `id` parameter is the
/// id of the table the function works on, not of the first table with an `id`; a function
/// that inserts its argument into a unique column is called again with a value no row has;
/// and dynamic SQL naming a schema from pgspec's guessed argument is skipped, while a table
/// the function's own text misspells still fails.
#[test]
fn verify_calls_functions_as_their_design_means_them() {
    let _guard = crate::check::seed_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("queue.md");
    std::fs::write(
        &path,
        "# Queue\n\n```sql\n\
         CREATE TABLE accounts (id bigint PRIMARY KEY CHECK (id > 1000000), total numeric NOT NULL);\n\
         CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tries smallint NOT NULL DEFAULT 0, done boolean NOT NULL DEFAULT false);\n\
         CREATE TABLE job_log (job_id bigint NOT NULL REFERENCES jobs (id), try smallint NOT NULL);\n\
         CREATE TABLE tenants (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, slug text NOT NULL UNIQUE);\n\
         \n\
         CREATE PROCEDURE finish_jobs() LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
             UPDATE jobs SET done = true WHERE NOT done;\n\
             COMMIT;\n\
         END;\n\
         $$;\n\
         \n\
         CREATE FUNCTION log_try(p_id bigint) RETURNS void LANGUAGE plpgsql AS $$\n\
         DECLARE n smallint;\n\
         BEGIN\n\
             SELECT tries INTO n FROM jobs WHERE id = p_id;\n\
             INSERT INTO job_log (job_id, try) VALUES (p_id, n);\n\
         END;\n\
         $$;\n\
         \n\
         CREATE FUNCTION add_tenant(p_slug text) RETURNS integer LANGUAGE sql AS $$\n\
             INSERT INTO tenants (slug) VALUES (p_slug) RETURNING id\n\
         $$;\n\
         \n\
         CREATE FUNCTION tenant_orders(p_schema text) RETURNS bigint LANGUAGE plpgsql AS $$\n\
         DECLARE n bigint;\n\
         BEGIN\n\
             EXECUTE format('SELECT count(*) FROM %I.orders', p_schema) INTO n;\n\
             RETURN n;\n\
         END;\n\
         $$;\n\
         \n\
         CREATE FUNCTION old_orders() RETURNS bigint LANGUAGE plpgsql AS $$\n\
         DECLARE n bigint;\n\
         BEGIN\n\
             EXECUTE 'SELECT count(*) FROM orderz' INTO n;\n\
             RETURN n;\n\
         END;\n\
         $$;\n\
         ```\n",
    )
    .expect("write");
    let path = path.display().to_string();
    let url = crate::postgres::shared_cluster().url("postgres");
    let name = "pgspec_unseen_calls";
    let base = ["--db", url.as_str(), "--name", name];
    let up = pgspec(&[&["up", "--recreate"][..], &base, &[path.as_str()]].concat());
    assert_eq!(up.status.code(), Some(0), "{up:?}");
    let seed = pgspec(&[&["seed", "--rows", "20"][..], &base, &[path.as_str()]].concat());
    assert_eq!(seed.status.code(), Some(0), "{seed:?}");
    let verify = pgspec(&[&["verify", "--format", "json"][..], &base, &[path.as_str()]].concat());
    let json: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("verify json");
    let status = |function: &str| {
        json["claims"]
            .as_array()
            .expect("claims")
            .iter()
            .find(|c| {
                c["kind"] == "function" && c["title"].as_str().is_some_and(|t| t.contains(function))
            })
            .unwrap_or_else(|| panic!("no claim for {function}: {json}"))["status"]
            .as_str()
            .expect("status")
            .to_string()
    };
    let statuses: Vec<(&str, String)> = [
        "finish_jobs",
        "log_try",
        "add_tenant",
        "tenant_orders",
        "old_orders",
    ]
    .into_iter()
    .map(|f| (f, status(f)))
    .collect();
    assert_eq!(
        statuses,
        [
            ("finish_jobs", "skipped".to_string()),
            ("log_try", "pass".to_string()),
            ("add_tenant", "pass".to_string()),
            ("tenant_orders", "skipped".to_string()),
            ("old_orders", "fail".to_string()),
        ],
        "{json}"
    );
    assert!(pgspec(&[&["down"][..], &base, &[path.as_str()]].concat())
        .status
        .success());
}

/// A schema per tenant: tables of one name in several schemas are separate tables of the
/// model (`acme.users`, `globex.users`, and `public`'s as `users`), each with its own columns
/// and its own `CREATE TABLE` line, and foreign keys point at the one they reference.
#[test]
fn model_keeps_tables_of_one_name_in_several_schemas_apart() {
    let _guard = crate::check::seed_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tenants.md");
    std::fs::write(
        &path,
        "# Tenants\n\n```sql\n\
         CREATE SCHEMA acme;\n\
         CREATE SCHEMA globex;\n\
         CREATE TABLE acme.users (id int PRIMARY KEY, email text NOT NULL UNIQUE);\n\
         CREATE TABLE globex.users (id int PRIMARY KEY, login text NOT NULL);\n\
         CREATE TABLE users (id int PRIMARY KEY, name text);\n\
         CREATE TABLE globex.orders (id int PRIMARY KEY, user_id int REFERENCES globex.users (id), buyer int REFERENCES acme.users (id));\n\
         ```\n",
    )
    .expect("write");
    let path = path.display().to_string();
    let url = crate::postgres::shared_cluster().url("postgres");
    let out = pgspec(&["model", "--format", "json", "--db", &url, &path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("model json");
    let tables = json["documents"][0]["model"]["tables"]
        .as_array()
        .expect("tables");
    let shape = |name: &str| -> (Vec<String>, Vec<u64>) {
        let t = tables
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no table {name}: {tables:?}"));
        let columns = t["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_string())
            .collect();
        let lines = t["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s["line"].as_u64().expect("line"))
            .collect();
        (columns, lines)
    };
    assert_eq!(
        shape("acme.users"),
        (vec!["id".into(), "email".into()], vec![6])
    );
    assert_eq!(
        shape("globex.users"),
        (vec!["id".into(), "login".into()], vec![7])
    );
    assert_eq!(shape("users"), (vec!["id".into(), "name".into()], vec![8]));
    let orders = tables
        .iter()
        .find(|t| t["name"] == "orders")
        .expect("orders");
    let targets: Vec<&str> = orders["foreign_keys"]
        .as_array()
        .expect("foreign keys")
        .iter()
        .map(|f| f["references_table"].as_str().expect("target"))
        .collect();
    assert_eq!(targets, ["globex.users", "acme.users"]);
}

/// An example query the server rejects (a column the design lacks) defines nothing: `diff`
/// between two versions of the document still plans, where it refused the document as not
/// applying cleanly; a failing schema statement still refuses it.
#[test]
fn diff_plans_past_a_rejected_example_query() {
    let _guard = crate::check::seed_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, table: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "# Orders\n\n```sql\n{table}\n```\n\nOpen orders:\n\n```sql\nSELECT id FROM orders WHERE status = 'open';\n```\n"
            ),
        )
        .expect("write");
        path.display().to_string()
    };
    let old = write(
        "old.md",
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);",
    );
    let new = write(
        "new.md",
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, note text);",
    );
    let broken = write(
        "broken.md",
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL, kind kind_nowhere);",
    );
    let url = crate::postgres::shared_cluster().url("postgres");
    let out = pgspec(&["diff", "--db", &url, &old, &new]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        stdout.contains("ALTER TABLE public.orders ADD COLUMN note text;"),
        "{stdout}"
    );
    let out = pgspec(&["diff", "--db", &url, &old, &broken]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not apply cleanly"),
        "{out:?}"
    );
}

/// A sample row that breaks a CHECK is the row's problem (or the CHECK's), said at that row of
/// a multi-row `INSERT … VALUES` (the one the server's "Failing row contains" shows), not "the
/// definition" at the statement's first line; a domain's CHECK likewise.
#[test]
fn a_sample_row_breaking_a_check_is_reported_at_its_row() {
    let text = "# Rooms\n\n```sql\n\
        CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%.%');\n\
        CREATE TABLE rooms (id int PRIMARY KEY, name text NOT NULL, seats int NOT NULL CHECK (seats > 0), kit text[] NOT NULL DEFAULT '{}' CHECK (kit <@ ARRAY['tv', 'board']));\n\
        CREATE TABLE guests (id int PRIMARY KEY, mail email NOT NULL);\n\
        INSERT INTO rooms (id, name, seats, kit) VALUES\n\
            (1, 'Brera', 12, ARRAY['tv']),\n\
            (2, 'Navigli', 40, ARRAY['board', 'wifi']),\n\
            (3, 'Duomo', 8, ARRAY['tv', 'board']);\n\
        INSERT INTO guests (id, mail) VALUES (1, 'a@b.it'), (2, 'nobody');\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let rejected: Vec<(u32, pgspec::diagnostics::Category, String)> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == pgspec::diagnostics::Code::StatementRejected)
        .map(|d| {
            (
                doc.line_index.line(d.primary.range.start),
                d.category,
                doc.text[d.primary.range.as_usize()].to_string(),
            )
        })
        .collect();
    let row_line = line_of(&doc, "(2, 'Navigli'");
    let guests_line = line_of(&doc, "INSERT INTO guests");
    assert_eq!(rejected.len(), 2, "{:#?}", report.diagnostics);
    assert_eq!(rejected[0].0, row_line, "{rejected:?}");
    assert!(rejected[0].2.starts_with("2, 'Navigli'"), "{rejected:?}");
    assert_eq!(rejected[1].0, guests_line, "{rejected:?}");
    for (_, category, _) in &rejected {
        assert_eq!(
            *category,
            pgspec::diagnostics::Category::Constraint,
            "{rejected:?}"
        );
    }
}

/// Rich types fill: a composite type's attributes keep their lengths and precision (`char(2)`,
/// `numeric(4,2)`), a range over `time` has bounds, and a column of a NOT NULL domain gets no
/// NULL; each table gets every row it asks for, with no rejected rows.
#[test]
fn seed_fills_composites_time_ranges_and_not_null_domains() {
    let _guard = crate::check::seed_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rooms.md");
    std::fs::write(
        &path,
        "# Rooms\n\n```sql\n\
         CREATE DOMAIN amount AS numeric(10,2) NOT NULL DEFAULT 0 CHECK (VALUE >= 0);\n\
         CREATE TYPE address AS (street text, zip char(5), province char(2), rate numeric(4,2));\n\
         CREATE TYPE hours AS RANGE (subtype = time);\n\
         CREATE TABLE sites (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, address address NOT NULL, open hours NOT NULL, fee amount);\n\
         ```\n",
    )
    .expect("write");
    let path = path.display().to_string();
    let url = crate::postgres::shared_cluster().url("postgres");
    let name = "pgspec_unseen_rich_types";
    let base = ["--db", url.as_str(), "--name", name];
    let up = pgspec(&[&["up", "--recreate"][..], &base, &[path.as_str()]].concat());
    assert_eq!(up.status.code(), Some(0), "{up:?}");
    let seed = pgspec(
        &[
            &["seed", "--rows", "200", "--format", "json"][..],
            &base,
            &[path.as_str()],
        ]
        .concat(),
    );
    let json: serde_json::Value = serde_json::from_slice(&seed.stdout).expect("seed json");
    assert_eq!(json["total_rows"], 200, "{json}");
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .map(|d| d.iter().filter_map(|d| d["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.is_empty(), "{json}");
    assert!(pgspec(&[&["down"][..], &base, &[path.as_str()]].concat())
        .status
        .success());
}

/// A query under a `search_path` whose tenant schema was never created (the block meant to
/// create it failed) says so, beside where the name it looks for does exist.
#[test]
fn a_missing_name_under_a_search_path_naming_an_absent_schema_says_so() {
    let text = "# Tenants\n\n```sql\n\
        CREATE SCHEMA template;\n\
        CREATE TABLE template.customers (id int PRIMARY KEY);\n\
        DO $$ BEGIN EXECUTE 'CREATE SCHEMA t_acme'; EXECUTE 'CREATE TABLE t_acme.customers (LIKE template.customers)'; PERFORM 1 / 0; END $$;\n\
        SET search_path TO t_acme, public;\n\
        ```\n\n```sql\nSELECT id FROM customers WHERE id = 1;\n```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let line = line_of(&doc, "SELECT id FROM customers");
    let help = report
        .diagnostics
        .iter()
        .find(|d| doc.line_index.line(d.primary.range.start) == line)
        .and_then(|d| d.help.clone())
        .unwrap_or_else(|| panic!("no finding at line {line}: {:#?}", report.diagnostics));
    assert!(help.contains("`template.customers`"), "{help}");
    assert!(help.contains("names the schema `t_acme`"), "{help}");
}

/// An example that inserts rows referencing rows no statement of the document inserts (the
/// ledger's lines before any account) is the sample rows' fault, told with the table and key:
/// not "PostgreSQL rejects this definition".
#[test]
fn a_sample_row_referencing_rows_nobody_inserts_names_them() {
    let text = "# Ledger\n\n```sql\n\
        CREATE TABLE accounts (id int PRIMARY KEY, label text NOT NULL);\n\
        CREATE TABLE lines (id int PRIMARY KEY, account_id int NOT NULL REFERENCES accounts(id));\n\
        INSERT INTO lines (id, account_id) VALUES (1, 7);\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == pgspec::diagnostics::Code::StatementRejected)
        .unwrap_or_else(|| panic!("{:#?}", report.diagnostics));
    assert_eq!(
        doc.line_index.line(d.primary.range.start),
        line_of(&doc, "INSERT INTO lines")
    );
    assert_eq!(d.category, pgspec::diagnostics::Category::Constraint);
    let help = d.help.as_deref().unwrap_or_default();
    assert!(
        help.contains("`accounts` ((account_id)=(7))") && help.contains("no statement"),
        "{help}"
    );
}

/// Sample rows whose referenced rows are in an INSERT that failed (a wrong column count in
/// the category list) are a cascade of that INSERT, not a second error saying no statement
/// inserts them.
#[test]
fn sample_rows_behind_a_failed_insert_of_their_parents_are_its_cascade() {
    let text = "# Rental\n\n```sql\n\
        CREATE TABLE kinds (code text PRIMARY KEY, name text NOT NULL);\n\
        CREATE TABLE gear (id int PRIMARY KEY, kind text NOT NULL REFERENCES kinds(code));\n\
        INSERT INTO kinds VALUES ('SKI', 'Skis'), ('HELM', 'Helmets', 'kids too');\n\
        INSERT INTO gear VALUES (1, 'SKI');\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let gear = report
        .statements
        .iter()
        .find(|s| s.line == line_of(&doc, "INSERT INTO gear"))
        .expect("the gear rows");
    assert_eq!(gear.status, StatementStatus::Cascade, "{gear:?}");
    assert_eq!(
        gear.root_line,
        Some(line_of(&doc, "INSERT INTO kinds")),
        "{gear:?}"
    );
    assert_eq!(report.summary.errors, 1, "{:#?}", report.diagnostics);
}

/// A duplicate key or a missing referenced row in a multi-row INSERT is reported at the row
/// the server rejected (found by the INSERT's column list and the key in the server's detail),
/// not at the INSERT's first line.
#[test]
fn key_violations_in_sample_rows_point_at_their_row() {
    let text = "# Clients\n\n```sql\n\
        CREATE TABLE clients (id int PRIMARY KEY, email text NOT NULL UNIQUE);\n\
        CREATE TABLE shops (id int PRIMARY KEY);\n\
        CREATE TABLE rentals (id int PRIMARY KEY, shop_id int NOT NULL REFERENCES shops(id));\n\
        INSERT INTO shops (id) VALUES (1), (2);\n\
        INSERT INTO clients (id, email) VALUES\n\
          (1, 'anna@example.pl'),\n\
          (2, 'piotr@example.pl'),\n\
          (3, 'anna@example.pl');\n\
        INSERT INTO rentals (id, shop_id) VALUES\n\
          (1, 2),\n\
          (2, 5),\n\
          (5, 1);\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let mut lines: Vec<u32> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == pgspec::diagnostics::Code::StatementRejected)
        .map(|d| doc.line_index.line(d.primary.range.start))
        .collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![line_of(&doc, "(3, 'anna@"), line_of(&doc, "(2, 5)"),],
        "{:#?}",
        report.diagnostics
    );
}

/// pgAdmin's export of a serial column: `DEFAULT nextval('s.t_id_seq'::regclass)` without
/// the `CREATE SEQUENCE`. The missing relation is told as the sequence it is, with a safe fix
/// that creates it, and the table (and what uses it) applies behind the fix.
#[test]
fn a_gui_export_without_its_sequence_gets_it_created_first() {
    let text = "# Invoices\n\n```sql\n\
        CREATE SCHEMA billing;\n\
        CREATE TABLE IF NOT EXISTS billing.invoice\n(\n    \
            id bigint NOT NULL DEFAULT nextval('billing.invoice_id_seq'::regclass),\n    \
            amount numeric(12,2) NOT NULL,\n    \
            CONSTRAINT invoice_pkey PRIMARY KEY (id)\n)\n\nTABLESPACE pg_default;\n\
        CREATE INDEX invoice_amount ON billing.invoice (amount);\n\
        ```\n";
    let (doc, report) = check_bytes(text.as_bytes());
    let table = report
        .statements
        .iter()
        .find(|s| s.line == line_of(&doc, "CREATE TABLE IF NOT EXISTS"))
        .expect("the table");
    assert_eq!(table.status, StatementStatus::Fixed, "{table:?}");
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == pgspec::diagnostics::Code::StatementRejected)
        .expect("the missing sequence");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("is the sequence of a `nextval")),
        "{d:#?}"
    );
    let fix = d.fix.as_ref().expect("a fix");
    assert_eq!(fix.applicability, pgspec::diagnostics::Applicability::Safe);
    assert_eq!(
        fix.edits[0].replacement,
        "CREATE SEQUENCE IF NOT EXISTS billing.invoice_id_seq;\n"
    );
    assert_eq!(report.summary.errors, 1, "{:#?}", report.diagnostics);
}
