//! DDL synthesis, drift and the merged model on a real PostgreSQL: fixtures written for this,
//! and the acceptance on the seeds (002: `up` creates what the column tables describe; 003:
//! ERD entities exist and SQL-only tables are drift; 001/004: ERD drift at both lines).

use std::collections::BTreeSet;

use pgspec::check::{CheckReport, StatementStatus};
use pgspec::diagnostics::{Category, Code, Diagnostic};
use pgspec::document::Document;
use pgspec::pipeline;
use pgspec::postgres::Server;
use pgspec::up;

use crate::check::{check_bytes, seed_lock};
use crate::postgres::shared_cluster;

fn server() -> Server {
    Server::Url(shared_cluster().url("postgres"))
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(crate::seed_file("repaired", name)).expect("read seed")
}

fn line_of(doc: &Document, needle: &str) -> u32 {
    let at = doc
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in document"));
    doc.line_index.line(u32::try_from(at).expect("small"))
}

fn line(doc: &Document, d: &Diagnostic) -> u32 {
    doc.line_index.line(d.primary.range.start)
}

fn with_code(report: &CheckReport, code: Code) -> Vec<&Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

/// `pgspec up` into a fresh database; returns the check report and the tables it holds.
fn up_tables(bytes: &[u8], name: &str) -> (Document, CheckReport, BTreeSet<String>) {
    let _guard = seed_lock();
    let server = server();
    let report = up::up(pipeline::extract(bytes), bytes, &server, name, true).expect("up runs");
    let (doc, check) = report.check.expect("a fresh database is checked");
    let mut client = server.admin_client(name).expect("connect");
    let tables = client
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    drop(client);
    up::down(&server, name).expect("down");
    (doc, check, tables)
}

const FIXTURE: &str = r#"# Shop

```mermaid
erDiagram
    CUSTOMERS ||--o{ ORDERS : places
    ORDERS ||--|{ ORDER_ITEMS : contains
    ORDER_ITEMS }o--|| PRODUCTS : of
    CUSTOMERS {
        uuid id PK
        string email UK
        timestamp created_at
    }
    ORDERS {
        uuid id PK
        uuid customer_id FK
        string status
        integer total
    }
```

### products

| Column | Type | Notes |
| --- | --- | --- |
| id | uuid | PK |
| sku | varchar(20) | unique, not null |
| kind | varchar(10) | `tool` or `toy` |
| price | numeric(8,2) | default 0 |

### order_items
| Column | Type | Notes |
| --- | --- | --- |
| id | bigserial | PK |
| order_id | uuid | FK -> orders |
| product_id | uuid | FK -> products.id |
| qty | integer | not null, default 1 |

```sql
-- Only the money part of orders is spelled out here.
CREATE TABLE orders (
  total integer NOT NULL
  -- other columns ...
);
CREATE INDEX orders_customer_idx ON orders (customer_id, status);
CREATE INDEX items_product_idx ON order_items (product_id);
INSERT INTO products (id, sku, kind) VALUES ('00000000-0000-0000-0000-000000000001', 'T-1', 'tool');
```
"#;

#[test]
fn generated_tables_apply_before_their_first_use_and_fragments_are_completed() {
    let (doc, report) = check_bytes(FIXTURE.as_bytes());
    // Every statement of the document applied: the index on `order_items` found its table,
    // the one on `orders` found the columns the ERD declares.
    let failed: Vec<_> = report
        .statements
        .iter()
        .filter(|s| s.status != StatementStatus::Applied)
        .map(|s| (s.line, s.summary.clone()))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}\n{:#?}", report.diagnostics);
    let pg: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str().starts_with("PG"))
        .collect();
    assert!(pg.is_empty(), "{pg:#?}");
    // The fragment note sits at the SQL and points at the ERD entity.
    let fragment = with_code(&report, Code::FragmentMerged);
    assert_eq!(fragment.len(), 1, "{:#?}", report.diagnostics);
    assert_eq!(
        line(&doc, fragment[0]),
        line_of(&doc, "CREATE TABLE orders")
    );
    assert_eq!(
        doc.line_index.line(fragment[0].secondary[0].range.start),
        line_of(&doc, "ORDERS {")
    );
    // Generated tables are one note (DRF001) labelling each description.
    let notes = with_code(&report, Code::TableNotInSql);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let not_in_sql: BTreeSet<u32> = std::iter::once(notes[0].primary.range)
        .chain(notes[0].secondary.iter().map(|l| l.range))
        .map(|r| doc.line_index.line(r.start))
        .collect();
    let expected: BTreeSet<u32> = [
        line_of(&doc, "CUSTOMERS {"),
        line_of(&doc, "### products"),
        line_of(&doc, "### order_items"),
    ]
    .into();
    assert_eq!(not_in_sql, expected);
    // The schema SQL names each generated statement's source.
    let script = report.schema_script("shop.md");
    assert!(
        script.contains(&format!(
            "-- line {}: generated by pgspec from the column table `products` at line {}",
            line_of(&doc, "### products"),
            line_of(&doc, "### products")
        )),
        "{script}"
    );
    assert!(
        script.contains("CHECK (kind IN ('tool', 'toy'))"),
        "{script}"
    );
    // Targets first: products and orders exist before order_items refers to them.
    let at = |needle: &str| {
        script
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}\n{script}"))
    };
    assert!(at("CREATE TABLE customers") < at("ALTER TABLE orders\n"));
    assert!(at("CREATE TABLE products") < at("CREATE TABLE order_items"));
    // No fix ever edits the ERD or the tables.
    assert!(report.diagnostics.iter().all(|d| d.fix.is_none()));
}

#[test]
fn drift_is_reported_at_both_spans() {
    let doc_text = r#"# Drift

```mermaid
erDiagram
    USERS ||--o{ POSTS : writes
    USERS ||--o{ COMMENTS : writes
    POSTS }o--|| TOPICS : about
    USERS {
        uuid id PK
        string email UK
        timestamp created_at
        text nickname
    }
    POSTS {
        uuid id PK
        uuid user_id FK
    }
    COMMENTS {
        uuid id PK
        uuid user_id
    }
```

```sql
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  bio text
);
CREATE TABLE posts (
  id uuid PRIMARY KEY,
  user_id uuid REFERENCES users(id)
);
CREATE TABLE comments (
  id uuid PRIMARY KEY,
  user_id uuid,
  post_id uuid REFERENCES posts(id)
);
CREATE TABLE audit (id bigint);
```
"#;
    let (doc, report) = check_bytes(doc_text.as_bytes());
    let found: BTreeSet<(Code, u32, Option<u32>)> = report
        .diagnostics
        .iter()
        .filter(|d| d.category == Category::Drift)
        .map(|d| {
            (
                d.code,
                line(&doc, d),
                d.secondary
                    .first()
                    .map(|l| doc.line_index.line(l.range.start)),
            )
        })
        .collect();
    let l = |needle: &str| line_of(&doc, needle);
    let expected: BTreeSet<(Code, u32, Option<u32>)> = [
        // POSTS relates to TOPICS, which exists nowhere.
        (
            Code::RelationshipToUndefinedEntity,
            l("POSTS }o--|| TOPICS"),
            Some(l("CREATE TABLE posts")),
        ),
        // USERS ||--o{ COMMENTS: no foreign key.
        (
            Code::RelationshipWithoutForeignKey,
            l("USERS ||--o{ COMMENTS"),
            Some(l("CREATE TABLE comments")),
        ),
        // `||` on the users side: every post has exactly one user, but user_id is nullable.
        (
            Code::CardinalityMismatch,
            l("USERS ||--o{ POSTS"),
            Some(l("user_id uuid REFERENCES")),
        ),
        (
            Code::KeyMismatch,
            l("string email UK"),
            Some(l("email text NOT NULL")),
        ),
        (
            Code::TypeMismatch,
            l("timestamp created_at"),
            Some(l("created_at timestamptz")),
        ),
        (
            Code::ColumnNotInSql,
            l("text nickname"),
            Some(l("CREATE TABLE users")),
        ),
        (Code::ColumnNotInErd, l("bio text"), Some(l("USERS {"))),
        (
            Code::ColumnNotInErd,
            l("post_id uuid"),
            Some(l("COMMENTS {")),
        ),
        (
            Code::ForeignKeyWithoutRelationship,
            l("post_id uuid"),
            Some(l("COMMENTS {")),
        ),
        (
            Code::TableNotInErd,
            l("CREATE TABLE audit"),
            Some(l("```mermaid")),
        ),
    ]
    .into();
    assert_eq!(found, expected, "{:#?}", report.diagnostics);
    // Drift never fails the check by itself.
    assert!(!report.has_findings(pgspec::diagnostics::Severity::Error));
}

#[test]
fn a_class_diagrams_missing_relationship_is_asked_for_in_its_own_notation() {
    let doc_text = r#"# Shop

```mermaid
classDiagram
    class Customer {
        +bigint id PK
    }
    class SalesOrder {
        +bigint id PK
        +bigint customer_id FK
    }
    class Invoice {
        +bigint id PK
        +bigint sales_order_id FK
    }
    SalesOrder "1" --> "0..1" Invoice
```

```sql
CREATE TABLE customer (id bigint PRIMARY KEY);
CREATE TABLE sales_order (id bigint PRIMARY KEY, customer_id bigint REFERENCES customer(id));
CREATE TABLE invoice (id bigint PRIMARY KEY, sales_order_id bigint NOT NULL UNIQUE REFERENCES sales_order(id));
```
"#;
    let (doc, report) = check_bytes(doc_text.as_bytes());
    let missing = with_code(&report, Code::ForeignKeyWithoutRelationship);
    assert_eq!(missing.len(), 1, "{:#?}", report.diagnostics);
    assert_eq!(
        line(&doc, missing[0]),
        line_of(&doc, "customer_id bigint REFERENCES")
    );
    assert_eq!(
        missing[0].help.as_deref(),
        Some("draw `Customer \"1\" --> \"*\" SalesOrder` in the class diagram")
    );
    // The drawn line is the SQL's key: nothing else drifts.
    assert!(with_code(&report, Code::RelationshipWithoutForeignKey).is_empty());
    assert!(with_code(&report, Code::CardinalityMismatch).is_empty());
}

#[test]
fn seed_002_up_creates_what_the_column_tables_and_prose_describe() {
    let bytes = seed("002");
    let name = format!("pgspec_model_002_{}", std::process::id());
    let (doc, check, tables) = up_tables(&bytes, &name);
    let described = [
        "users",
        "branches",
        "installers",
        "orders",
        "order_lines",
        "order_status_history",
        "appointments",
        "split_orders",
        "waste_pickups",
        "serial_numbers",
        "notifications",
        "exports",
        "settlement_periods",
        "reason_codes",
        "offline_sync_queue",
        "attachments",
    ];
    for t in described {
        assert!(tables.contains(t), "{t} missing from {tables:?}");
    }
    // Nothing fails on a table the document describes any more; what fails is the document's
    // own error (a key to the partitioned `orders`, a column no spec declares, SQL syntax, …).
    for d in &check.diagnostics {
        if d.code != Code::StatementRejected {
            continue;
        }
        if d.category == Category::UndefinedTable {
            let missing = d
                .postgres
                .as_ref()
                .map(|p| p.message.clone())
                .unwrap_or_default();
            assert!(
                !described
                    .iter()
                    .any(|t| missing.contains(&format!("\"{t}\""))),
                "line {}: {missing}",
                line(&doc, d)
            );
        }
        assert!(
            matches!(
                d.category,
                Category::PartitionKey
                    | Category::ForeignKeyTarget
                    | Category::UndefinedColumn
                    | Category::UndefinedTable
                    | Category::Syntax
            ),
            "line {}: {} ({})",
            line(&doc, d),
            d.message,
            d.category.as_str()
        );
    }
    let applied = check
        .statements
        .iter()
        .filter(|s| s.status == StatementStatus::Applied)
        .count();
    assert!(applied >= 30, "{applied} statements applied");
    assert_eq!(check.summary.cascades, 0, "{:#?}", check.statements);
}

#[test]
fn seed_003_erd_entities_exist_after_up_and_sql_only_tables_are_drift() {
    let bytes = seed("003");
    let name = format!("pgspec_model_003_{}", std::process::id());
    let (_, _, tables) = up_tables(&bytes, &name);
    for t in [
        "users",
        "user_profiles",
        "search_sessions",
        "video_interactions",
        "cached_videos",
        "keyword_video_mappings",
        "trending_keywords",
    ] {
        assert!(tables.contains(t), "{t} missing from {tables:?}");
    }

    let (doc, report) = check_bytes(&bytes);
    let not_in_erd: BTreeSet<String> = with_code(&report, Code::TableNotInErd)
        .iter()
        .map(|d| {
            d.message
                .split('`')
                .nth(1)
                .expect("table name in backticks")
                .to_string()
        })
        .collect();
    let expected: BTreeSet<String> = [
        "keyword_performance_cache",
        "user_session_details",
        "user_feedback",
        "video_quality_scores",
        "cached_channels",
        "watch_events",
        "keyword_effectiveness",
        "trend_predictions",
        "video_interactions_partitioned",
        "encryption_keys",
        "audit_logs_enhanced",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(not_in_erd, expected);
    // Columns the SQL uses on ERD tables that the ERD does not declare.
    let used: BTreeSet<String> = with_code(&report, Code::ColumnNotInErd)
        .iter()
        .map(|d| d.message.split('`').nth(1).expect("name").to_string())
        .collect();
    for c in [
        "video_interactions.created_at",
        "cached_videos.is_shorts",
        "trending_keywords.valid_from",
        "video_interactions.total_duration",
    ] {
        assert!(used.contains(c), "{c} not in {used:?}");
    }
    // `users.subscription_end`, used in a subquery of a policy on `search_sessions`, is not
    // a column of the policy's table.
    assert!(
        !used.contains("search_sessions.subscription_end"),
        "{used:?}"
    );
    let erd = line_of(&doc, "video_interactions {");
    let created_at = with_code(&report, Code::ColumnNotInErd)
        .into_iter()
        .find(|d| d.message.contains("video_interactions.created_at"))
        .expect("created_at drift");
    assert_eq!(
        doc.line_index.line(created_at.secondary[0].range.start),
        erd
    );
}

#[test]
fn seeds_001_and_004_erd_drift_at_both_lines() {
    let bytes = seed("001");
    let (doc, report) = check_bytes(&bytes);
    let created_at = with_code(&report, Code::TypeMismatch)
        .into_iter()
        .find(|d| d.message.contains("`users.created_at`"))
        .expect("users.created_at type drift");
    assert!(created_at.message.contains("`timestamp`"));
    assert!(created_at.message.contains("timestamp with time zone"));
    let erd_users = line_of(&doc, "USERS {");
    let erd_line = line(&doc, created_at);
    assert!(erd_line > erd_users && erd_line < erd_users + 12);
    let sql_line = doc.line_index.line(created_at.secondary[0].range.start);
    assert!(
        sql_line > line_of(&doc, "CREATE TABLE prod_pingvas.users"),
        "{sql_line}"
    );
    assert_eq!(
        &doc.text[created_at.secondary[0].range.as_usize()],
        "created_at"
    );

    let bytes = seed("004");
    let (doc, report) = check_bytes(&bytes);
    let undefined: Vec<(u32, u32, String)> =
        with_code(&report, Code::RelationshipToUndefinedEntity)
            .iter()
            .map(|d| {
                (
                    line(&doc, d),
                    doc.line_index.line(d.secondary[0].range.start),
                    d.message.clone(),
                )
            })
            .collect();
    assert_eq!(undefined.len(), 2, "{undefined:#?}");
    assert_eq!(undefined[0].0, line_of(&doc, "PERMISSIONS }o--|| REMOTES"));
    assert_eq!(undefined[0].1, line_of(&doc, "CREATE TABLE permissions"));
    assert!(undefined[0].2.contains("`remotes`"));
    assert_eq!(
        undefined[1].0,
        line_of(&doc, "SCHEDULE_RULES ||--o{ SCHEDULED_JOBS")
    );
    assert_eq!(undefined[1].1, line_of(&doc, "CREATE TABLE schedule_rules"));
    assert!(undefined[1].2.contains("`scheduled_jobs`"));
}

#[test]
fn model_json_exposes_tables_columns_keys_relationships_and_sources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shop.md");
    std::fs::write(&path, FIXTURE).expect("write");
    let _guard = seed_lock();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args([
            "model",
            "--db",
            &shared_cluster().url("postgres"),
            "--format",
            "json",
        ])
        .arg(&path)
        .output()
        .expect("run pgspec");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["command"], "model");
    let model = &json["documents"][0]["model"];
    assert_eq!(model["from_database"], true);
    let table = |name: &str| {
        model["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {model}"))
            .clone()
    };
    let items = table("order_items");
    assert_eq!(items["origin"], "generated");
    assert_eq!(items["primary_key"], serde_json::json!(["id"]));
    let product_id = items["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == "product_id")
        .expect("product_id")
        .clone();
    assert_eq!(product_id["type"], "uuid");
    assert_eq!(product_id["references"], "products.id");
    assert_eq!(product_id["generated"], true);
    assert_eq!(product_id["sources"][1]["kind"], "column-table");
    let orders = table("orders");
    assert_eq!(orders["origin"], "sql");
    let total = orders["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == "total")
        .expect("total")
        .clone();
    assert_eq!(total["nullable"], false);
    let kinds: Vec<&str> = total["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["sql", "erd"]);
    let rel = &model["relationships"][0];
    assert_eq!(rel["left"], "customers");
    assert_eq!(rel["left_cardinality"], "exactly-one");
    assert_eq!(rel["right_cardinality"], "zero-or-more");
    assert_eq!(rel["line"], 5);
    assert_eq!(rel["foreign_key"], "orders.customer_id → customers");
    assert!(json["documents"][0]["diagnostics"]
        .as_array()
        .expect("drift")
        .iter()
        .all(|d| d["category"] == "drift" && d["line"].as_u64().is_some()));
}

#[test]
fn singular_entity_names_describe_the_plural_sql_tables() {
    let text = "```mermaid
erDiagram
    CUSTOMER ||--o{ ORDER_ITEM : buys
    CUSTOMER {
        bigint id PK
        timestamp created_at
    }
    ORDER_ITEM {
        bigint id PK
        bigint customer_id FK
    }
```

```sql
CREATE TABLE customers (id bigint PRIMARY KEY, created_at timestamptz);
CREATE TABLE order_items (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers);
```
";
    let (doc, report) = check_bytes(text.as_bytes());
    assert!(
        report.statements.iter().all(|s| s.generated.is_none()),
        "{:#?}",
        report.statements
    );
    let drift: Vec<(Code, u32)> = report
        .diagnostics
        .iter()
        .filter(|d| d.category == Category::Drift)
        .map(|d| (d.code, line(&doc, d)))
        .collect();
    assert_eq!(
        drift,
        [(Code::TypeMismatch, line_of(&doc, "timestamp created_at"))]
    );
}

/// Inputs the `extract_with_synthesis` fuzz target once crashed on: an empty column name and
/// a column name with a dot made the generated CREATE TABLE unparsable.
#[test]
fn fuzz_regressions_generate_sql_that_parses() {
    for bytes in [
        &include_bytes!("../fixtures/fuzz/synthesis-empty-identifier")[..],
        &include_bytes!("../fixtures/fuzz/synthesis-dotted-column")[..],
    ] {
        let extracted = pipeline::extract(bytes);
        let generated: Vec<_> = extracted
            .statements
            .iter()
            .filter(|s| s.generated().is_some())
            .collect();
        assert!(!generated.is_empty());
        for s in generated {
            assert!(s.facts.parses, "{}", s.text);
        }
    }
}

#[test]
fn a_migration_logs_renamed_table_is_one_table_sourced_at_its_create_table() {
    let _guard = seed_lock();
    let text = "# Log\n\n## V1\n\n```sql\nCREATE TABLE musteri (\n  id int PRIMARY KEY,\n  tel text\n);\n```\n\n## V2\n\n```sql\nALTER TABLE musteri RENAME COLUMN tel TO telefon;\nALTER TABLE musteri RENAME TO musteriler;\n```\n";
    let (model, _) = pipeline::model(pipeline::extract(text.as_bytes()), &server()).expect("model");
    let names: Vec<&str> = model.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["musteriler"], "{model:#?}");
    let table = &model.tables[0];
    assert!(table.in_database);
    assert_eq!(table.sources[0].line, 6, "{table:#?}");
    let telefon = table
        .columns
        .iter()
        .find(|c| c.name == "telefon")
        .expect("the renamed column");
    assert_eq!(telefon.sources[0].line, 8, "{telefon:#?}");
}

/// A column a later `ALTER TABLE … ADD COLUMN` adds (a "v2 changes" section) has its source at
/// its definition there, not at the table's CREATE TABLE.
#[test]
fn a_column_added_by_alter_table_has_its_own_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v2.md");
    let text = "# v1\n\n```sql\nCREATE TABLE orders (\n  id bigint PRIMARY KEY\n);\n```\n\n# v2\n\n```sql\nALTER TABLE orders\n  ADD COLUMN rider text,\n  ADD COLUMN paid boolean;\n```\n";
    std::fs::write(&path, text).expect("write");
    let _guard = seed_lock();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["model", "--db", &shared_cluster().url("postgres")])
        .args(["--format", "json"])
        .arg(&path)
        .output()
        .expect("run pgspec");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let columns = json["documents"][0]["model"]["tables"][0]["columns"].clone();
    let line_of_column = |name: &str| {
        columns
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name))
            .map(|c| c["sources"][0]["line"].clone())
            .unwrap_or_else(|| panic!("{name} in {columns}"))
    };
    assert_eq!(line_of_column("id"), 5);
    assert_eq!(line_of_column("rider"), 13);
    assert_eq!(line_of_column("paid"), 14);
}
