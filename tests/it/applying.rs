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
    // check does not pretend the statement applied: the document still has the bug.
    assert_eq!(
        status_at(&doc, &report, "CREATE TABLE events ("),
        StatementStatus::Failed
    );
}
