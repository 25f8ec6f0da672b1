//! `check` end to end on a real PostgreSQL: seeds, cascades, forward references, positions.

use std::collections::HashMap;

use pgspec::check::{CheckOptions, CheckReport, StatementStatus};
use pgspec::diagnostics::{Applicability, Category, Code, Severity};
use pgspec::document::Document;
use pgspec::pipeline;
use pgspec::postgres::Server;

use crate::postgres::shared_cluster;

fn server() -> Server {
    // `Server::Url` reuses the shared test cluster without taking ownership of it.
    Server::Url(shared_cluster().url("postgres"))
}

/// Roles are cluster-wide: two seed checks creating the same role at the same time on one
/// cluster would see each other's role. Tests that apply seeds hold this lock (on their own
/// test cluster; other test threads have theirs).
pub(crate) fn seed_lock() -> std::sync::MutexGuard<'static, ()> {
    crate::postgres::role_lock()
}

pub(crate) fn check_bytes(bytes: &[u8]) -> (Document, CheckReport) {
    let _guard = seed_lock();
    pipeline::check(
        pipeline::extract(bytes),
        &server(),
        &CheckOptions::default(),
    )
    .expect("check runs")
}

fn check_text(text: &str) -> (Document, CheckReport) {
    check_bytes(text.as_bytes())
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(crate::seed_file("original", name)).expect("read seed")
}

fn sql_doc(sql: &str) -> String {
    format!("# Design\n\nSome prose.\n\n```sql\n{sql}\n```\n")
}

fn line_of(doc: &Document, needle: &str) -> u32 {
    let at = doc
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in document"));
    doc.line_index.line(u32::try_from(at).expect("small"))
}

#[test]
fn clean_document_applies_everything_and_reports_nothing() {
    let (_, report) = check_text(&sql_doc(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);\n\
         CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users(id));\n\
         CREATE INDEX orders_user_idx ON orders (user_id);\n\
         INSERT INTO users VALUES (1, 'a@example.com');\n\
         SELECT * FROM orders WHERE user_id = $1;",
    ));
    assert_eq!(report.summary.statements, 5);
    assert_eq!(report.summary.applied, 4, "{:#?}", report.statements);
    assert_eq!(report.summary.not_applied_kind, 1);
    assert!(
        !report.has_findings(Severity::Warning),
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn error_column_counts_characters_after_korean_text() {
    // The server reports a 1-based *character* position; Hangul takes 3 bytes per syllable.
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE 주문 (주문번호 bigint, 상태 nosuchtype);",
    ));
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::StatementRejected)
        .expect("rejected");
    let lc = doc.line_index.line_col(&doc.text, d.primary.range.start);
    assert_eq!(lc.line, 6);
    let line = doc.text.lines().nth(5).expect("line 6");
    let expected = line[..line.find("nosuchtype").expect("in line")]
        .chars()
        .count() as u32
        + 1;
    assert_eq!(lc.column, expected, "column must count characters");
    assert_eq!(lc.column, 34);
    assert_eq!(&doc.text[d.primary.range.as_usize()], "nosuchtype");
}

/// A root cause pgspec knows neither a fix nor an assumption for (a type nobody defines) still
/// has cascades.
#[test]
fn cascade_points_at_its_root_and_is_not_an_error() {
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, kind event_kind_nowhere);\n\
         CREATE INDEX events_created_idx ON events (created_at);\n\
         ALTER TABLE events ENABLE ROW LEVEL SECURITY;",
    ));
    let root_line = line_of(&doc, "CREATE TABLE events");
    let root = &report.statements[0];
    assert_eq!(root.status, StatementStatus::Failed);
    assert_eq!(root.category, Some(Category::UndefinedObject));
    for s in &report.statements[1..] {
        assert_eq!(s.status, StatementStatus::Cascade, "{s:?}");
        assert_eq!(s.root_line, Some(root_line));
    }
    let cascades: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::Cascade)
        .collect();
    assert_eq!(cascades.len(), 2);
    assert!(cascades.iter().all(|d| d.severity == Severity::Info));
    assert_eq!(report.summary.errors, 1, "{:#?}", report.diagnostics);
}

/// A statement whose own root cause has a fix, and whose fixed text then fails only because
/// a table another statement defines failed: that is the other statement's cascade, never
/// "no source defines" the table.
#[test]
fn a_fixed_statement_failing_on_a_failed_table_is_its_cascade() {
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE teams (id NUMBER(6) PRIMARY KEY, kind team_kind_nowhere);\n\
         CREATE TABLE players (id NUMBER(6) PRIMARY KEY, team_id NUMBER(6) REFERENCES teams (id));",
    ));
    let root_line = line_of(&doc, "CREATE TABLE teams");
    let players_line = line_of(&doc, "CREATE TABLE players");
    let at_players: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| doc.line_index.line(d.primary.range.start) == players_line)
        .collect();
    assert!(
        at_players
            .iter()
            .all(|d| !d.message.contains("\"teams\"") || d.code == Code::Cascade),
        "{at_players:#?}"
    );
    assert!(
        report.diagnostics.iter().all(|d| !d
            .notes
            .iter()
            .chain(d.help.iter())
            .any(|n| n.contains("no schema source"))),
        "{:#?}",
        report.diagnostics
    );
    assert_eq!(report.statements[0].status, StatementStatus::Failed);
    assert!(root_line < players_line);

    // The same with MySQL's backticks: the failed statement has no parse tree, its written
    // name is what the cascade is found by.
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE `teams` (`id` int NOT NULL AUTO_INCREMENT, `kind` team_kind_nowhere, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n\
         CREATE TABLE `players` (`id` int NOT NULL AUTO_INCREMENT, `team_id` int REFERENCES `teams` (`id`), PRIMARY KEY (`id`)) ENGINE=InnoDB;",
    ));
    let players_line = line_of(&doc, "CREATE TABLE `players`");
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| !d.message.contains("\"teams\"")
                || d.code == Code::Cascade
                || doc.line_index.line(d.primary.range.start) != players_line),
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn forward_reference_applies_after_reordering_with_a_warning() {
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE audit_logs (id bigint PRIMARY KEY, user_id bigint REFERENCES users(id));\n\
         CREATE TABLE users (id bigint PRIMARY KEY);",
    ));
    assert_eq!(report.summary.applied, 2, "{:#?}", report.diagnostics);
    assert_eq!(report.summary.errors, 0);
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::ForwardReference)
        .expect("forward reference reported");
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message
            .contains(&format!("line {}", line_of(&doc, "CREATE TABLE users"))),
        "{}",
        d.message
    );
}

/// Sample data in the wrong order (children before their parents) applies after reordering,
/// with a warning that names the INSERT of the rows it needs; data that references rows no
/// statement inserts is still an error.
#[test]
fn rows_inserted_before_the_rows_they_reference_apply_after_reordering() {
    let (doc, report) = check_text(&sql_doc(
        "CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);\n\
         CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors(id));\n\
         INSERT INTO books (id, author_id) VALUES (1, 1), (2, 2);\n\
         INSERT INTO authors (id, name) VALUES (1, 'Herbert'), (2, 'Austen');\n\
         INSERT INTO books (id, author_id) VALUES (3, 9);",
    ));
    assert_eq!(report.summary.errors, 1, "{:#?}", report.diagnostics);
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::ForwardReference)
        .expect("forward reference reported");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        d.message,
        format!(
            "references rows that the statement at line {} inserts later",
            line_of(&doc, "INSERT INTO authors")
        )
    );
    assert_eq!(
        doc.line_index.line(d.primary.range.start),
        line_of(&doc, "VALUES (1, 1)")
    );
    let error = report
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("the orphan row is an error");
    assert_eq!(
        doc.line_index.line(error.primary.range.start),
        line_of(&doc, "VALUES (3, 9)")
    );
}

#[test]
fn inline_index_and_not_partitioned_are_categorized() {
    let (_, report) = check_text(&sql_doc(
        "CREATE TABLE videos (id bigint PRIMARY KEY, title text, INDEX idx_title (title));\n\
         CREATE TABLE sessions (id bigint PRIMARY KEY, created_at timestamptz);\n\
         CREATE TABLE sessions_2025 PARTITION OF sessions FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
         CREATE INDEX s_recent ON sessions (created_at) WHERE created_at > now() - interval '1 day';",
    ));
    let cats: Vec<_> = report.statements.iter().map(|s| s.category).collect();
    assert_eq!(
        cats,
        vec![
            Some(Category::InlineIndex),
            None,
            Some(Category::NotPartitioned),
            Some(Category::NonImmutable)
        ]
    );
}

#[test]
fn missing_extension_is_created_and_checking_continues_behind_it() {
    let (_, report) = check_text(&sql_doc(
        "CREATE TABLE bookings (id bigint PRIMARY KEY, room uuid, during tstzrange,\n  EXCLUDE USING gist (room WITH =, during WITH &&));\n\
         CREATE INDEX bookings_room ON bookings (room);",
    ));
    assert_eq!(
        report.statements[0].category,
        Some(Category::MissingExtension)
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.category == Category::MissingExtension)
        .expect("reported");
    assert!(
        d.help.as_deref().unwrap_or("").contains("btree_gist"),
        "{d:?}"
    );
    assert!(d.fix.is_some());
    // The table exists as if the fix were applied: the index applies, no cascade.
    assert_eq!(report.statements[1].status, StatementStatus::Applied);
}

#[test]
fn unsafe_statements_are_never_run() {
    let (_, report) = check_text(&sql_doc(
        "CREATE TABLE t (x text);\nCOPY t FROM PROGRAM 'touch /tmp/pgspec-pwned';\nCOPY t TO '/tmp/pgspec-out.csv';",
    ));
    assert_eq!(report.statements[1].status, StatementStatus::Skipped);
    assert_eq!(report.statements[2].status, StatementStatus::Skipped);
    assert!(!std::path::Path::new("/tmp/pgspec-pwned").exists());
    assert_eq!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::UnsafeStatement)
            .count(),
        2
    );
}

#[test]
fn example_queries_are_prepared_not_executed() {
    let (_, report) = check_text(&sql_doc(
        "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\nDELETE FROM t WHERE id = $1;\nSELECT nosuchcol FROM t WHERE id = $1;",
    ));
    assert_eq!(report.statements[2].status, StatementStatus::NotAppliedKind);
    assert_eq!(report.statements[3].status, StatementStatus::Failed);
    assert_eq!(
        report.statements[3].category,
        Some(Category::UndefinedColumn)
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::ExampleQueryRejected)
        .expect("reported");
    assert_eq!(d.severity, Severity::Error);
}

#[test]
fn empty_garbage_binary_and_huge_inputs_give_diagnostics_not_panics() {
    let (_, empty) = check_bytes(b"");
    assert_eq!(empty.summary.statements, 0);
    assert!(empty.diagnostics.iter().any(|d| d.code == Code::NoSqlFound));

    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (_, bin) = check_bytes(&binary);
    assert!(
        bin.diagnostics
            .iter()
            .any(|d| d.code == Code::UnreadableInput),
        "{:#?}",
        bin.diagnostics
    );

    let (_, garbage) = check_text("```sql\n$$ unterminated ' \" /* \n```\n```sql\n");
    assert!(garbage
        .diagnostics
        .iter()
        .any(|d| d.severity >= Severity::Warning));

    // ~10 MB: prose plus one small SQL block repeated; every statement is accounted for.
    let section = "## Section\n\nProse line that is long enough to matter for size purposes.\n\n```sql\nCREATE TABLE IF NOT EXISTS t (id int);\n```\n\n";
    let huge = section.repeat(10 * 1024 * 1024 / section.len());
    let extracted = pipeline::extract(huge.as_bytes());
    assert_eq!(extracted.statements.len(), 10 * 1024 * 1024 / section.len());
}

/// Independent statement counts, made by applying each seed by hand on PostgreSQL 15
/// (`shared/seed-findings.md`, table A), plus the statements pgspec deliberately splits
/// differently: in 002 the shell line `pg_dump … > backup.sql` (line 275) is its own not-SQL
/// statement instead of swallowing the `ALTER TABLE … DETACH PARTITION` after it.
const SEED_STATEMENTS: &[(&str, usize)] = &[
    ("000", 92),
    ("001", 101),
    ("002", 33 + 1),
    ("003", 62),
    ("004", 79),
];

#[test]
fn every_seed_statement_gets_a_verdict_and_every_failure_a_diagnostic_at_its_line() {
    for &(name, expected) in SEED_STATEMENTS {
        let (doc, report) = check_bytes(&seed(name));
        // The document's own statements; DDL pgspec generates from ERDs and column tables
        // comes on top.
        assert_eq!(
            report
                .statements
                .iter()
                .filter(|s| s.generated.is_none())
                .count(),
            expected,
            "seed {name}: statement count"
        );
        let mut by_line: HashMap<u32, Vec<_>> = HashMap::new();
        for d in &report.diagnostics {
            by_line
                .entry(doc.line_index.line(d.primary.range.start))
                .or_default()
                .push(d);
        }
        for s in &report.statements {
            if matches!(s.status, StatementStatus::Failed | StatementStatus::Cascade) {
                let found = (s.line..=s.end_line).any(|l| {
                    by_line.get(&l).is_some_and(|ds| {
                        ds.iter().any(|d| {
                            matches!(
                                d.code,
                                Code::StatementRejected
                                    | Code::ExampleQueryRejected
                                    | Code::Cascade
                            )
                        })
                    })
                });
                assert!(
                    found,
                    "seed {name}: no diagnostic for failed statement at line {}: {}",
                    s.line, s.summary
                );
                assert!(
                    s.category.is_some(),
                    "seed {name}: failed statement without category at line {}",
                    s.line
                );
            }
            if s.status == StatementStatus::Cascade {
                let root = s.root_line.expect("cascade has a root");
                assert!(
                    report.statements.iter().any(|r| r.line == root
                        && matches!(r.status, StatementStatus::Failed | StatementStatus::Fixed)),
                    "seed {name}: cascade at {} points at {root}, which is not a failed statement",
                    s.line
                );
            }
        }
        // Statuses add up: nothing is silently dropped.
        let s = &report.summary;
        assert_eq!(
            s.applied + s.fixed + s.failed + s.cascades + s.skipped + s.not_applied_kind,
            s.statements
        );
    }
}

/// Root causes found by hand in `shared/seed-findings.md`: each must be reported at its line
/// with its category.
const SEED_ROOT_CAUSES: &[(&str, u32, Category)] = &[
    ("000", 136, Category::PartitionKey),
    ("000", 356, Category::MissingTsConfig),
    ("000", 408, Category::PartitionKey),
    ("000", 489, Category::PartitionKey),
    ("000", 631, Category::PartitionKey),
    ("000", 730, Category::MissingRole),
    ("000", 1072, Category::MissingExtension),
    ("001", 230, Category::MissingExtension),
    ("001", 266, Category::ForwardReference),
    ("001", 685, Category::DuplicateObject),
    ("001", 717, Category::SystemViewColumn),
    ("001", 785, Category::MissingDatabase),
    ("002", 112, Category::PartitionKey),
    ("002", 275, Category::NotSql),
    ("002", 317, Category::Document),
    ("002", 524, Category::Syntax),
    ("003", 214, Category::InlineIndex),
    ("003", 284, Category::InlineIndex),
    ("003", 313, Category::InlineIndex),
    ("003", 325, Category::GeneratedColumn),
    ("003", 375, Category::InlineIndex),
    ("003", 411, Category::InlineIndex),
    // Supabase's own objects are provided (issue 13): a note where the document first uses
    // them instead of an error at `ALTER PUBLICATION supabase_realtime` (line 544).
    ("003", 509, Category::PlatformObject),
    ("003", 662, Category::Syntax),
    ("003", 793, Category::PartitionKey),
    ("003", 880, Category::SystemViewColumn),
    ("004", 111, Category::DuplicateObject),
    ("004", 140, Category::NotPartitioned),
    ("004", 216, Category::NotPartitioned),
    ("004", 238, Category::NonImmutable),
    ("004", 244, Category::PartitionKey),
    ("004", 485, Category::NonImmutable),
    ("004", 646, Category::NotSql),
    ("004", 795, Category::NotSql),
    ("004", 801, Category::NotSql),
];

#[test]
fn seed_root_causes_are_reported_at_their_lines_with_their_categories() {
    let mut missing = Vec::new();
    for &(name, _) in SEED_STATEMENTS {
        let (doc, report) = check_bytes(&seed(name));
        for &(seed_name, line, category) in SEED_ROOT_CAUSES.iter().filter(|(s, _, _)| *s == name) {
            let found = report.diagnostics.iter().any(|d| {
                d.category == category && doc.line_index.line(d.primary.range.start) == line
            });
            if !found {
                missing.push(format!("{seed_name}:{line} {}", category.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "not reported: {missing:#?}");
}

/// What a user sees for each seed, as it was when reviewed: concise diagnostics plus the
/// summary. Changes in wording or categorization show up here for review.
#[test]
fn seed_reports_snapshot() {
    use pgspec::diagnostics::render::{render_concise, Source};
    for &(name, _) in SEED_STATEMENTS {
        let (doc, report) = check_bytes(&seed(name));
        let source = Source {
            path: name,
            text: &doc.text,
            line_index: &doc.line_index,
        };
        let mut out: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| render_concise(&source, d))
            .collect();
        let s = &report.summary;
        out.push(format!(
            "{} statements: {} applied, {} failed, {} cascades, {} forward references, {} not applied, {} skipped",
            s.statements, s.applied, s.failed, s.cascades, s.forward_references, s.not_applied_kind, s.skipped
        ));
        insta::assert_snapshot!(format!("seed_{name}"), out.join("\n"));
    }
}

#[test]
fn roles_that_exist_in_the_cluster_before_the_run_are_not_duplicates() {
    let role = format!("pgspec_pre_role_{}", std::process::id());
    let mut admin = pgspec::postgres::Server::Url(shared_cluster().url("postgres"))
        .admin_client("postgres")
        .expect("admin");
    admin
        .batch_execute(&format!("CREATE ROLE {role} NOLOGIN"))
        .expect("create role");
    let fresh = format!("{role}_new");
    let (_, report) = check_text(&sql_doc(&format!(
        "CREATE ROLE {role};\nCREATE ROLE {fresh};\nCREATE ROLE {fresh};"
    )));
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
        .expect("drop role");
    assert_eq!(report.statements[0].status, StatementStatus::Applied);
    assert_eq!(report.statements[1].status, StatementStatus::Applied);
    assert_eq!(
        report.statements[2].category,
        Some(Category::DuplicateObject)
    );
}

#[test]
fn cron_job_commands_are_checked_by_what_their_tree_says_they_do() {
    // Words would mislead on each: a comment first (the first word is `nightly`), odd casing
    // and a quoted name, `"cron"."schedule"` (not the text `cron.schedule`).
    let (doc, report) = check_text(&sql_doc(
        "CREATE EXTENSION pg_cron;\n\
         CREATE TABLE jobs (id int PRIMARY KEY);\n\
         SELECT cron.schedule('tidy', '0 3 * * *', $$-- nightly\ndelete from nosuch_table$$);\n\
         SELECT CRON.Schedule('refresh', '0 4 * * *', $$ /* hourly */ REFRESH MATERIALIZED VIEW \"Nosuch_View\"$$);\n\
         SELECT \"cron\".\"schedule\"('vacuum', '0 5 * * *', $$VACUUM jobs$$);",
    ));
    let status: Vec<StatementStatus> = report.statements.iter().map(|s| s.status).collect();
    assert_eq!(
        status[2],
        StatementStatus::Failed,
        "{:#?}",
        report.diagnostics
    );
    assert_eq!(
        status[3],
        StatementStatus::Failed,
        "{:#?}",
        report.diagnostics
    );
    assert_ne!(
        status[4],
        StatementStatus::Failed,
        "{:#?}",
        report.diagnostics
    );
    // Each finding lies inside its statement's lines.
    let inside = |needle: &str| {
        let line = line_of(&doc, needle);
        let stmt = report
            .statements
            .iter()
            .find(|s| s.line <= line && line <= s.end_line)
            .expect("a statement holds it");
        report
            .diagnostics
            .iter()
            .filter(|d| {
                let at = doc.line_index.line(d.primary.range.start);
                stmt.line <= at && at <= stmt.end_line
            })
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        inside("'tidy'").iter().any(|m| m.contains("nosuch_table")),
        "{:#?}",
        report.diagnostics
    );
    assert!(
        inside("'refresh'")
            .iter()
            .any(|m| m.contains("Nosuch_View")),
        "{:#?}",
        report.diagnostics
    );
    assert!(inside("'vacuum'").is_empty(), "{:#?}", report.diagnostics);
}

/// `cron.schedule(...)` without `CREATE EXTENSION pg_cron` fails on any server (its database has
/// no `cron` schema): a missing-extension finding at the call, whose safe fix adds the
/// extension; with the extension the document's own `CREATE EXTENSION pg_cron` applies (the
/// server's pg_cron serves the scratch database from its cron database).
#[test]
fn cron_jobs_need_the_documents_own_create_extension() {
    let job = "SELECT cron.schedule('tidy', '0 3 * * *', $$DELETE FROM jobs$$);";
    let (doc, report) = check_text(&sql_doc(&format!(
        "CREATE TABLE jobs (id int PRIMARY KEY);\n{job}"
    )));
    let finding = report
        .diagnostics
        .iter()
        .find(|d| d.category == Category::MissingExtension)
        .unwrap_or_else(|| panic!("a missing-extension finding: {:#?}", report.diagnostics));
    assert_eq!(
        doc.line_index.line(finding.primary.range.start),
        line_of(&doc, "cron.schedule")
    );
    let fix = finding.fix.as_ref().expect("a fix");
    assert!(
        fix.edits.iter().any(|e| e
            .replacement
            .contains("CREATE EXTENSION IF NOT EXISTS pg_cron")),
        "{fix:#?}"
    );

    let (_, report) = check_text(&sql_doc(&format!(
        "CREATE EXTENSION IF NOT EXISTS pg_cron;\nCREATE TABLE jobs (id int PRIMARY KEY);\n{job}"
    )));
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    assert_eq!(report.statements[0].status, StatementStatus::Applied);
}

/// Seeds 000, 003 and 004 schedule pg_cron jobs without creating the extension: each gets the
/// missing-extension finding at its first `cron.schedule`, and only there (the fix adds it once).
#[test]
fn seeds_that_schedule_jobs_without_pg_cron_are_told_at_the_first_job() {
    for name in ["000", "003", "004"] {
        let (doc, report) = check_bytes(&seed(name));
        let first_job = line_of(&doc, "SELECT cron.schedule(");
        let lines: Vec<u32> = report
            .diagnostics
            .iter()
            .filter(|d| d.category == Category::MissingExtension && d.message.contains("cron"))
            .map(|d| doc.line_index.line(d.primary.range.start))
            .collect();
        assert_eq!(lines, vec![first_job], "seed {name}");
    }
}

#[test]
fn check_reports_its_progress_through_the_statements() {
    use std::sync::{Arc, Mutex};
    let sql: String = (0..250)
        .map(|i| format!("CREATE TABLE progress_{i} (id int PRIMARY KEY);\n"))
        .collect();
    let heard: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let sink = Arc::clone(&heard);
    let options = CheckOptions {
        progress: Some(pgspec::check::StatementProgress(Arc::new(
            move |done, total| {
                sink.lock().expect("lock").push((done, total));
            },
        ))),
        ..CheckOptions::default()
    };
    let (_, report) = {
        let _guard = seed_lock();
        pipeline::check(
            pipeline::extract(sql_doc(&sql).as_bytes()),
            &server(),
            &options,
        )
        .expect("check runs")
    };
    assert_eq!(report.summary.applied, 250);
    let heard = heard.lock().expect("lock").clone();
    let expected: Vec<(usize, usize)> = (1..=250).map(|done| (done, 250)).collect();
    assert_eq!(heard, expected, "one report after every statement");
}

/// A view defined again with other columns (a later version of the design) is dropped first
/// by a safe fix; what is built on the new definition applies. Granted on before, the drop
/// would take the grant along: the fix is then a behaviour-changing one.
#[test]
fn a_view_defined_again_with_other_columns_is_dropped_first() {
    let text = sql_doc(
        "CREATE TABLE members (id bigint PRIMARY KEY, email text, nickname text);\n\
         CREATE VIEW member_list AS SELECT id, email, nickname FROM members;\n\
         CREATE OR REPLACE VIEW member_list AS SELECT id, lower(email) AS email_key FROM members;\n\
         CREATE VIEW member_keys AS SELECT email_key FROM member_list;",
    );
    let (doc, report) = check_text(&text);
    let statuses: Vec<_> = report.statements.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![
            StatementStatus::Applied,
            StatementStatus::Applied,
            StatementStatus::Fixed,
            StatementStatus::Applied
        ],
        "{:#?}",
        report.diagnostics
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.fix.is_some())
        .expect("the redefinition has a fix");
    assert_eq!(
        doc.line_index.line(d.primary.range.start),
        line_of(&doc, "CREATE OR REPLACE VIEW")
    );
    let fix = d.fix.as_ref().expect("fix");
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(fix.edits[0].replacement, "DROP VIEW member_list;\n");

    let granted = sql_doc(
        "CREATE TABLE members (id bigint PRIMARY KEY, email text, nickname text);\n\
         CREATE VIEW member_list AS SELECT id, email, nickname FROM members;\n\
         GRANT SELECT ON member_list TO PUBLIC;\n\
         CREATE OR REPLACE VIEW member_list AS SELECT id FROM members;",
    );
    let (_, report) = check_text(&granted);
    let fix = report
        .diagnostics
        .iter()
        .find_map(|d| d.fix.as_ref())
        .expect("a fix is proposed");
    assert_eq!(fix.applicability, Applicability::Unsafe);
    assert_ne!(report.statements[3].status, StatementStatus::Fixed);
}

/// A NOT NULL column added (a later version of the design) to a table the document's sample
/// rows already fill fails; its help says why, and what uses the column is its cascade (it was
/// an error of its own, "no schema source declares the column", and check assumed the column).
#[test]
fn a_column_a_failed_alter_table_adds_is_a_cascade_of_it() {
    let text = sql_doc(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);\n\
         INSERT INTO customers VALUES (1, 'Ann'), (2, 'Bo');\n\
         ALTER TABLE customers ADD COLUMN email text NOT NULL;\n\
         ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);\n\
         CREATE INDEX other_email ON customers (name);",
    );
    let (doc, report) = check_text(&text);
    let statuses: Vec<_> = report.statements.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![
            StatementStatus::Applied,
            StatementStatus::Applied,
            StatementStatus::Failed,
            StatementStatus::Cascade,
            StatementStatus::Applied
        ],
        "{:#?}",
        report.diagnostics
    );
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        doc.line_index.line(errors[0].primary.range.start),
        line_of(&doc, "ADD COLUMN email")
    );
    assert!(
        errors[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("already holds rows")),
        "{:?}",
        errors[0].help
    );
}
