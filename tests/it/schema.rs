//! The non-SQL schema readers (mermaid ERDs, column tables, prose column lists) on the seed
//! documents. The per-seed summary is printed (`--nocapture`) for the record.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use pgspec::diagnostics::{Code, Diagnostic};
use pgspec::document::{read, Document};
use pgspec::schema::{self, Cardinality, DocSchema, DocTable, SourceKind};

const SEEDS: [&str; 5] = [
    "000_1c0bd6538ded23d5.txt",
    "001_da80d060174ed1a2.txt",
    "002_7b562bd90be31914.txt",
    "003_bb9c6662d3d3c038.txt",
    "004_66c469b72dea9a75.txt",
];

fn load(dir: &str, index: usize) -> (Document, DocSchema, Vec<Diagnostic>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(dir)
        .join(SEEDS[index]);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let (doc, _) = read(&bytes);
    let (schema, diagnostics) = schema::from_document(&doc);
    (doc, schema, diagnostics)
}

fn line(doc: &Document, offset: u32) -> u32 {
    doc.line_index.line(offset)
}

fn names(schema: &DocSchema, source: SourceKind) -> Vec<&str> {
    schema
        .tables
        .iter()
        .filter(|t| t.source == source)
        .map(|t| t.name.as_str())
        .collect()
}

fn table<'a>(schema: &'a DocSchema, name: &str, source: SourceKind) -> &'a DocTable {
    schema
        .tables
        .iter()
        .find(|t| t.name == name && t.source == source)
        .unwrap_or_else(|| panic!("no {source:?} table {name}"))
}

/// Every span lies in the text, on character boundaries, and names what it claims to.
fn assert_spans(doc: &Document, schema: &DocSchema) {
    let text = &doc.text;
    let slice = |r: pgspec::text::TextRange| {
        assert!(r.start <= r.end && (r.end as usize) <= text.len());
        text.get(r.as_usize()).expect("span on char boundaries")
    };
    for t in &schema.tables {
        assert_eq!(slice(t.span).to_lowercase(), t.name, "table span");
        for c in &t.columns {
            // A column read from a sentence is named by its words in snake case.
            let named = if t.inferred {
                c.name.replace('_', " ")
            } else {
                c.name.clone()
            };
            assert_eq!(slice(c.span).to_lowercase(), named, "column span");
            if !c.raw_type.is_empty() {
                assert_eq!(slice(c.type_span), c.raw_type, "type span of {}", c.name);
            }
        }
    }
    for r in &schema.relationships {
        let s = slice(r.span).to_lowercase();
        assert!(s.starts_with(&r.left) && s.contains(&r.right), "{s}");
    }
}

#[test]
fn summary_per_seed() {
    for (i, name) in SEEDS.iter().enumerate() {
        let (doc, schema, diagnostics) = load("repaired", i);
        assert_spans(&doc, &schema);
        eprintln!("== {name}");
        for t in &schema.tables {
            eprintln!(
                "  {:>4}  {:<12} {:<28} {:>2} columns{}",
                line(&doc, t.span.start),
                format!("{:?}", t.source),
                t.name,
                t.columns.len(),
                if t.defined { "" } else { " (mentioned only)" }
            );
        }
        eprintln!("  relationships: {}", schema.relationships.len());
        for d in &diagnostics {
            eprintln!(
                "  {} line {}: {}",
                d.code.as_str(),
                line(&doc, d.primary.range.start),
                d.message
            );
        }
    }
}

/// Seed 002 specifies its schema in column tables and prose; counted by hand from the file.
#[test]
fn seed_002_column_tables_and_prose() {
    let (doc, schema, diagnostics) = load("repaired", 2);
    assert_eq!(
        names(&schema, SourceKind::ColumnTable),
        [
            "users",
            "branches",
            "installers",
            "orders",
            "order_lines",
            "order_status_history",
            "split_orders",
            "waste_pickups",
            "serial_numbers",
            "settlement_periods",
            "reason_codes",
            "offline_sync_queue",
            "attachments",
        ]
    );
    assert_eq!(
        names(&schema, SourceKind::Prose),
        ["appointments", "notifications", "exports", "audit_logs"]
    );
    // `audit_logs` is described only by a sentence naming what it records.
    let audit = table(&schema, "audit_logs", SourceKind::Prose);
    assert!(audit.inferred);
    let audit_columns: Vec<(&str, Option<&str>)> = audit
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
        .collect();
    assert_eq!(
        audit_columns,
        [
            ("table_name", Some("text")),
            ("record_id", Some("uuid")),
            ("diff", Some("jsonb")),
            ("actor", Some("text")),
            ("timestamp", Some("timestamp with time zone")),
        ]
    );
    assert!(names(&schema, SourceKind::Erd).is_empty());
    let counts: Vec<usize> = schema.tables.iter().map(|t| t.columns.len()).collect();
    // users 11, branches 5, installers 8, orders 18, order_lines 6, order_status_history 2 + 6
    // rows cut off by the unclosed fence at line 317, appointments 7 (prose), split_orders 7,
    // waste_pickups 6, serial_numbers 5, notifications 5 (prose), exports 7 (prose),
    // audit_logs 5 (a sentence), settlement_periods 9, reason_codes 6, offline_sync_queue 12,
    // attachments 8.
    assert_eq!(
        counts,
        [11, 5, 8, 18, 6, 8, 7, 7, 6, 5, 5, 7, 5, 9, 6, 12, 8]
    );

    let users = table(&schema, "users", SourceKind::ColumnTable);
    assert_eq!(line(&doc, users.span.start), 22);
    let col = |t: &DocTable, n: &str| {
        t.columns
            .iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{}.{n}", t.name))
            .clone()
    };
    let id = col(users, "id");
    assert!(id.primary_key);
    assert_eq!(id.pg_type.as_deref(), Some("uuid"));
    assert!(col(users, "username").unique);
    assert_eq!(col(users, "locale").enum_values, ["ko", "en"]);
    let branch = col(users, "branch_id");
    assert_eq!(branch.references, Some(("branches".into(), None)));
    assert!(!branch.references_inferred);
    assert_eq!(branch.not_null, Some(false));
    assert_eq!(col(users, "is_active").default.as_deref(), Some("true"));
    assert_eq!(
        col(users, "created_at").pg_type.as_deref(),
        Some("timestamp with time zone")
    );

    let installers = table(&schema, "installers", SourceKind::ColumnTable);
    assert_eq!(
        col(installers, "skill_tags").pg_type.as_deref(),
        Some("text[]")
    );
    // `uuid FK` without a target: guessed from the name among the document's tables.
    let b = col(installers, "branch_id");
    assert_eq!(b.references, Some(("branches".into(), None)));
    assert!(b.references_inferred);
    // `partners` is only described in a sentence, so there is nothing to point at.
    assert_eq!(col(installers, "partner_id").references, None);

    let orders = table(&schema, "orders", SourceKind::ColumnTable);
    assert_eq!(
        col(orders, "appointment_time_window").pg_type.as_deref(),
        Some("tstzrange")
    );
    assert_eq!(col(orders, "version").default.as_deref(), Some("1"));
    assert_eq!(
        col(
            table(&schema, "order_lines", SourceKind::ColumnTable),
            "weight"
        )
        .pg_type
        .as_deref(),
        Some("numeric(8,2)")
    );
    assert_eq!(
        col(
            table(&schema, "settlement_periods", SourceKind::ColumnTable),
            "status"
        )
        .enum_values,
        ["OPEN", "LOCKED"]
    );
    assert_eq!(
        col(
            table(&schema, "offline_sync_queue", SourceKind::ColumnTable),
            "status"
        )
        .enum_values,
        ["PENDING", "SYNCED", "CONFLICT", "FAILED"]
    );
    // entity_type's "orders / waste_pickups / etc." is an open list, not an enumeration.
    assert!(col(
        table(&schema, "offline_sync_queue", SourceKind::ColumnTable),
        "entity_type"
    )
    .enum_values
    .is_empty());

    let history = table(&schema, "order_status_history", SourceKind::ColumnTable);
    let history_columns: Vec<&str> = history.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        history_columns,
        [
            "id",
            "order_id",
            "previous_status",
            "new_status",
            "changed_by",
            "changed_at",
            "reason_code",
            "notes"
        ]
    );
    assert_eq!(
        col(history, "changed_by").references,
        Some(("users".into(), None))
    );

    let notifications = table(&schema, "notifications", SourceKind::Prose);
    assert_eq!(
        col(notifications, "payload").pg_type.as_deref(),
        Some("jsonb")
    );
    assert_eq!(col(notifications, "status").enum_values, ["UNREAD", "READ"]);

    // The one problem: the rows at 335-340, separated from their header by the code block
    // opened at line 317 and never closed.
    let found: Vec<(&str, u32)> = diagnostics
        .iter()
        .map(|d| (d.code.as_str(), line(&doc, d.primary.range.start)))
        .collect();
    assert_eq!(found, [("ERD002", 335)]);
    assert_eq!(line(&doc, diagnostics[0].primary.range.end), 340);
    assert_eq!(line(&doc, diagnostics[0].secondary[0].range.start), 97);
}

/// Seed 003 draws 7 entities (and mentions an eighth) that it never creates in SQL.
#[test]
fn seed_003_erd() {
    let (doc, schema, diagnostics) = load("repaired", 3);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let defined: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| t.source == SourceKind::Erd && t.defined)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        defined,
        [
            "users",
            "user_profiles",
            "search_sessions",
            "video_interactions",
            "cached_videos",
            "keyword_video_mappings",
            "trending_keywords",
        ]
    );
    let mentioned: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| !t.defined)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(mentioned, ["user_search_patterns"]);
    assert_eq!(line(&doc, schema.tables[0].span.start), 21);

    let rels: Vec<(&str, &str, &str)> = schema
        .relationships
        .iter()
        .map(|r| {
            (
                r.left.as_str(),
                r.right.as_str(),
                r.label.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            ("users", "user_profiles", "has"),
            ("users", "search_sessions", "creates"),
            ("users", "video_interactions", "performs"),
            ("users", "user_search_patterns", "generates"),
            ("cached_videos", "keyword_video_mappings", "mapped_to"),
            ("cached_videos", "video_interactions", "receives"),
            ("search_sessions", "video_interactions", "contains"),
            ("trending_keywords", "keyword_video_mappings", "influences"),
        ]
    );
    assert!(schema
        .relationships
        .iter()
        .all(|r| r.left_card == Cardinality::ExactlyOne
            && r.right_card == Cardinality::ZeroOrMore
            && r.identifying));
    assert_eq!(line(&doc, schema.relationships[0].span.start), 9);

    let profiles = table(&schema, "user_profiles", SourceKind::Erd);
    let types: Vec<(&str, Option<&str>)> = profiles
        .columns
        .iter()
        .map(|c| (c.raw_type.as_str(), c.pg_type.as_deref()))
        .collect();
    assert_eq!(
        types,
        [
            ("uuid", Some("uuid")),
            ("uuid", Some("uuid")),
            ("jsonb", Some("jsonb")),
            ("text[]", Some("text[]")),
            ("text[]", Some("text[]")),
            ("jsonb", Some("jsonb")),
            ("jsonb", Some("jsonb")),
            ("decimal", Some("numeric")),
            ("vector", Some("vector")),
        ]
    );
    let users = table(&schema, "users", SourceKind::Erd);
    let email = &users.columns[2];
    assert!(email.unique && email.name == "email");
    assert!(users.columns[0].primary_key);
}

/// Seeds 001 and 004 draw valid diagrams; 001 says `timestamp` where its SQL says
/// `timestamptz`, 004 relates to entities it never defines.
#[test]
fn seeds_001_and_004_erds() {
    let (doc, schema, diagnostics) = load("repaired", 1);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
        names(&schema, SourceKind::Erd),
        [
            "users",
            "subscriptions",
            "credit_balances",
            "credit_transactions",
            "generation_jobs",
            "images",
            "boards",
            "board_images",
            "ai_models",
            "workflows",
        ]
    );
    assert!(schema.tables.iter().all(|t| t.defined));
    assert_eq!(schema.relationships.len(), 13);
    let one_to_one = &schema.relationships[7];
    assert_eq!(
        (one_to_one.left.as_str(), one_to_one.right.as_str()),
        ("generation_jobs", "images")
    );
    assert_eq!(
        (one_to_one.left_card, one_to_one.right_card),
        (Cardinality::ExactlyOne, Cardinality::ExactlyOne)
    );
    let users = table(&schema, "users", SourceKind::Erd);
    assert_eq!(line(&doc, users.span.start), 50);
    let created = users
        .columns
        .iter()
        .find(|c| c.name == "created_at")
        .expect("users.created_at");
    assert_eq!(created.raw_type, "timestamp");
    assert_eq!(
        created.pg_type.as_deref(),
        Some("timestamp without time zone")
    );
    assert_eq!(line(&doc, created.type_span.start), 59);
    let timestamps = schema
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| c.raw_type == "timestamp")
        .count();
    // `grep -c '^\s*timestamp '` over the diagram's lines (31-166).
    assert_eq!(timestamps, 21);
    let oauth = users
        .columns
        .iter()
        .find(|c| c.name == "oauth_provider")
        .expect("oauth_provider");
    assert_eq!(
        (oauth.raw_type.as_str(), oauth.pg_type.as_deref()),
        ("enum", None)
    );
    // `uuid user_id FK,UK`
    let balance_user = &table(&schema, "credit_balances", SourceKind::Erd).columns[1];
    assert!(balance_user.foreign_key && balance_user.unique);
    assert_eq!(balance_user.references, Some(("users".into(), None)));

    let (_, schema, diagnostics) = load("repaired", 4);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let defined: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| t.defined)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(defined, ["users", "sessions", "permissions", "jobs"]);
    let mentioned: Vec<&str> = schema
        .tables
        .iter()
        .filter(|t| !t.defined)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(
        mentioned,
        [
            "audit_logs",
            "remotes",
            "job_logs",
            "schedule_rules",
            "scheduled_jobs",
            "user_preferences",
            "notifications",
        ]
    );
    let permissions = table(&schema, "permissions", SourceKind::Erd);
    assert_eq!(permissions.columns[3].raw_type, "string[]");
    assert_eq!(permissions.columns[3].pg_type.as_deref(), Some("text[]"));
    let many_to_one = &schema.relationships[3];
    assert_eq!(
        (many_to_one.left.as_str(), many_to_one.right.as_str()),
        ("permissions", "remotes")
    );
    assert_eq!(
        (many_to_one.left_card, many_to_one.right_card),
        (Cardinality::ZeroOrMore, Cardinality::ExactlyOne)
    );
}

/// Seed 000 has no ERD and no column table (its one Markdown table compares designs).
#[test]
fn seed_000_has_no_schema_outside_sql() {
    let (_, schema, diagnostics) = load("repaired", 0);
    assert!(schema.tables.is_empty() && schema.relationships.is_empty());
    assert!(diagnostics.is_empty());
}

/// The original (mis-decoded) seeds are read after repair: same tables and columns.
#[test]
fn original_seeds_read_like_the_repaired_ones() {
    for (i, name) in SEEDS.iter().enumerate() {
        let (_, original, _) = load("original", i);
        let (_, repaired, _) = load("repaired", i);
        let shape = |s: &DocSchema| -> Vec<(String, Vec<String>)> {
            s.tables
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        t.columns.iter().map(|c| c.name.clone()).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(shape(&original), shape(&repaired), "{name}");
    }
}

/// ERD001 end to end: the diagnostic points at the document line, through the block's
/// source map (here inside a list item, indented).
#[test]
fn erd_problems_are_reported_at_document_lines() {
    let text = "# Doc

1. The model:

   ```mermaid
   erDiagram
     A ||--o{ B : has many
     A {
       string name
     }
     C ??? D
   ```
";
    let (doc, _) = read(text.as_bytes());
    let (schema, diagnostics) = schema::from_document(&doc);
    // The unreadable line mentions no entity.
    assert_eq!(names(&schema, SourceKind::Erd), ["a", "b"]);
    let found: Vec<(Code, u32, &str)> = diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                line(&doc, d.primary.range.start),
                &doc.text[d.primary.range.as_usize()],
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (Code::ErdSyntax, 7, "has many"),
            (Code::ErdSyntax, 11, "??? D"),
        ]
    );
    assert!(diagnostics[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("\"has many\"")));
}

/// A large document (seed 002 repeated 100 times, 1.5 MB) is read in about a second even in
/// a debug build; the bound only catches reading that grows faster than the document.
#[test]
fn large_document() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds/repaired")
        .join(SEEDS[2]);
    let one = std::fs::read_to_string(&path).expect("seed 002");
    let text = one.repeat(100);
    let (doc, _) = read(text.as_bytes());
    let started = std::time::Instant::now();
    let (schema, diagnostics) = schema::from_document(&doc);
    let elapsed = started.elapsed();
    eprintln!(
        "large document: {} bytes, {} tables, {} diagnostics in {elapsed:?}",
        text.len(),
        schema.tables.len(),
        diagnostics.len()
    );
    // Each copy's unclosed fence is ended by the copy's own next ```sql opener, so every copy
    // reads like the original.
    assert_eq!(schema.tables.len(), 1700);
    assert_eq!(diagnostics.len(), 100);
    // A guard against reading that grows faster than the document, not a speed figure: ~1 s
    // idle in a debug build, 10.6 s once at load 17 on two cores.
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}
