//! `pgspec lint` on a real PostgreSQL: one Markdown fixture per rule under
//! tests/fixtures/lint/ (bad cases carry `expect: CODE` on the line the finding lands on, good
//! cases carry nothing), a clean document on which no rule fires, and the seed findings.

use std::collections::BTreeMap;

use pgspec::check::CheckOptions;
use pgspec::diagnostics::Diagnostic;
use pgspec::document::Document;
use pgspec::lint::{LintConfig, Rule};
use pgspec::pipeline;
use pgspec::postgres::Server;

use crate::check::seed_lock;
use crate::postgres::shared_cluster;

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// Check and lint `bytes`; only the rule findings.
pub(crate) fn lint_bytes(bytes: &[u8], config: &LintConfig) -> (Document, Vec<Diagnostic>) {
    let _guard = seed_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let (doc, report) = pipeline::check_and_lint(
        pipeline::extract(bytes),
        &server,
        &CheckOptions::default(),
        config,
    )
    .expect("check and lint run");
    let lint = report
        .diagnostics
        .into_iter()
        .filter(|d| d.code.is_lint())
        .collect();
    (doc, lint)
}

/// `(line, code)` → count, from `expect: CODE[, CODE]` comments.
fn expectations(text: &str) -> BTreeMap<(u32, String), usize> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("expect:") else {
            continue;
        };
        for code in line[at + "expect:".len()..]
            .split(|c: char| c == ',' || c.is_whitespace())
            .take_while(|t| t.is_empty() || t.starts_with("LNT"))
            .filter(|t| !t.is_empty())
        {
            *out.entry((u32::try_from(i + 1).expect("small"), code.to_owned()))
                .or_default() += 1;
        }
    }
    out
}

fn found(doc: &Document, diagnostics: &[Diagnostic]) -> BTreeMap<(u32, String), usize> {
    let mut out = BTreeMap::new();
    for d in diagnostics {
        let line = doc.line_index.line(d.primary.range.start);
        *out.entry((line, d.code.as_str().to_owned())).or_default() += 1;
    }
    out
}

fn run_fixture(name: &str) {
    let path = fixture_dir().join(format!("{name}.md"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (doc, diagnostics) = lint_bytes(text.as_bytes(), &LintConfig::default());
    let expected = expectations(&text);
    let got = found(&doc, &diagnostics);
    assert_eq!(
        got, expected,
        "{name}: findings (left) differ from the `expect:` comments (right):\n{diagnostics:#?}"
    );
    for d in &diagnostics {
        assert!(d.help.is_some(), "{name}: {} has no help", d.message);
    }
}

#[test]
fn every_rule_has_a_fixture_with_a_positive_and_a_negative_case() {
    for rule in Rule::ALL.iter().filter(|r| r.is_lint()) {
        let path = fixture_dir().join(format!("{}.md", rule.name()));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("missing fixture {}", path.display()));
        assert!(
            expectations(&text).keys().any(|(_, c)| c == rule.code()),
            "{} fixture expects no {} finding",
            rule.name(),
            rule.code()
        );
    }
}

macro_rules! fixtures {
    ($($test:ident => $name:literal;)*) => {
        $(#[test] fn $test() { run_fixture($name); })*
    };
}

fixtures! {
    fixture_clean => "clean";
    fixture_unused_suppression => "unused-suppression";
    fixture_value_violates_check => "value-violates-check";
    fixture_uuid_in_short_varchar => "uuid-in-short-varchar";
    fixture_insert_omits_not_null => "insert-omits-not-null";
    fixture_check_bypassed_by_null => "check-bypassed-by-null";
    fixture_set_null_on_not_null => "set-null-on-not-null";
    fixture_rls_enabled_without_policy => "rls-enabled-without-policy";
    fixture_policy_without_rls => "policy-without-rls";
    fixture_command_without_policy => "command-without-policy";
    fixture_command_without_policy_supabase => "command-without-policy-supabase";
    fixture_current_setting_without_missing_ok => "current-setting-without-missing-ok";
    fixture_plpgsql_check => "plpgsql-check";
    fixture_trigger_reads_missing_row => "trigger-reads-missing-row";
    fixture_security_definer_without_search_path => "security-definer-without-search-path";
    fixture_duplicate_index => "duplicate-index";
    fixture_redundant_index => "redundant-index";
    fixture_foreign_key_without_index => "foreign-key-without-index";
    fixture_prefer_timestamptz => "prefer-timestamptz";
    fixture_other_dialect_tables => "other-dialect-tables";
    fixture_identifier_too_long => "identifier-too-long";
    fixture_table_without_primary_key => "table-without-primary-key";
    fixture_duplicate_constraint => "duplicate-constraint";
    fixture_cron_calls_missing_function => "cron-calls-missing-function";
    fixture_refresh_concurrently_without_unique_index => "refresh-concurrently-without-unique-index";
    fixture_redis_del_glob => "redis-del-glob";
    fixture_partition_coverage => "partition-coverage";
    fixture_policy_compares_different_ids => "policy-compares-different-ids";
    fixture_matview_never_refreshed => "matview-never-refreshed";
    fixture_before_trigger_returns_null => "before-trigger-returns-null";
    fixture_security_definer_writes_any_row => "security-definer-writes-any-row";
}

#[test]
fn config_ignore_and_select_drop_rules() {
    let text =
        std::fs::read_to_string(fixture_dir().join("prefer-timestamptz.md")).expect("fixture");
    let ignore = LintConfig::parse(
        "[lint]\nignore = [\"prefer-timestamptz\"]\n",
        std::path::Path::new("pgspec.toml"),
    )
    .expect("valid");
    let (_, diagnostics) = lint_bytes(text.as_bytes(), &ignore);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let select = LintConfig::parse(
        "[lint]\nselect = [\"LNT4\"]\n[lint.per-file-ignores]\n\"legacy/*.md\" = [\"LNT404\"]\n",
        std::path::Path::new("pgspec.toml"),
    )
    .expect("valid");
    let (_, diagnostics) = lint_bytes(text.as_bytes(), &select);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    let legacy = select.for_document(std::path::Path::new("legacy/a.md"));
    let (_, diagnostics) = lint_bytes(text.as_bytes(), &legacy);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(crate::seed_file("original", name)).expect("read seed")
}

/// The 1-based line of the `nth` (0-based) line containing `needle`.
fn line_of(doc: &Document, needle: &str, nth: usize) -> u32 {
    let at = doc
        .text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} not in document"))
        .0;
    doc.line_index.line(u32::try_from(at).expect("small"))
}

fn assert_finding(
    doc: &Document,
    diagnostics: &[Diagnostic],
    code: &str,
    line: u32,
    message_part: &str,
) {
    let hit = diagnostics.iter().find(|d| {
        d.code.as_str() == code
            && doc.line_index.line(d.primary.range.start) == line
            && d.message.contains(message_part)
    });
    let hit = hit.unwrap_or_else(|| {
        let have: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {}",
                    doc.line_index.line(d.primary.range.start),
                    d.code.as_str(),
                    d.message
                )
            })
            .collect();
        panic!(
            "no {code} at line {line} mentioning {message_part:?}; found:\n{}",
            have.join("\n")
        )
    });
    assert!(hit.help.is_some(), "{code} at {line} has no help");
}

#[test]
fn seed_000_key_rotation_and_amount_check() {
    let (doc, d) = lint_bytes(&seed("000"), &LintConfig::default());
    // finalize_key_rotation(): findings at the lines inside its body.
    assert_finding(
        &doc,
        &d,
        "LNT101",
        line_of(&doc, "'KEY_ROTATION_COMPLETED'", 0),
        "ck_audit_logs_action",
    );
    assert_finding(
        &doc,
        &d,
        "LNT102",
        line_of(&doc, "gen_random_uuid()::text,", 0),
        "trace_id",
    );
    assert_finding(
        &doc,
        &d,
        "LNT103",
        line_of(&doc, "INSERT INTO audit_logs (", 0),
        "ip_address_encrypted",
    );
    assert_finding(
        &doc,
        &d,
        "LNT104",
        line_of(&doc, "CONSTRAINT ck_orders_amounts", 0),
        "discount_amount",
    );
}

#[test]
fn seed_001_images_policies() {
    let (doc, d) = lint_bytes(&seed("001"), &LintConfig::default());
    assert_finding(
        &doc,
        &d,
        "LNT203",
        line_of(&doc, "CREATE POLICY images_select_own", 0),
        "INSERT",
    );
    assert_finding(
        &doc,
        &d,
        "LNT204",
        line_of(
            &doc,
            "USING (user_id = current_setting('app.current_user_id')::UUID);",
            0,
        ),
        "missing_ok",
    );
}

#[test]
fn seed_002_order_states_rls_and_redis() {
    let (doc, d) = lint_bytes(&seed("002"), &LintConfig::default());
    assert_finding(
        &doc,
        &d,
        "LNT101",
        line_of(&doc, "SET status = 'COMPLETED'", 0),
        "chk_order_status",
    );
    assert_finding(
        &doc,
        &d,
        "LNT201",
        line_of(&doc, "ALTER TABLE orders ENABLE ROW LEVEL SECURITY", 0),
        "orders",
    );
    assert_finding(
        &doc,
        &d,
        "LNT601",
        line_of(&doc, "`orders:list:*`", 0),
        "orders:list:*",
    );
}

#[test]
fn seed_003_ambiguous_key_name_and_rls_on_one_table() {
    let (doc, d) = lint_bytes(&seed("003"), &LintConfig::default());
    assert_finding(
        &doc,
        &d,
        "LNT301",
        line_of(&doc, "WHERE key_name = key_name", 0),
        "ambiguous",
    );
    assert_finding(
        &doc,
        &d,
        "LNT301",
        line_of(&doc, "WHERE key_name = key_name", 1),
        "ambiguous",
    );
    // The trial limit compares video_interactions.user_id (a users.id) with auth.uid(), which
    // the document's other policies compare with users.auth_id.
    assert_finding(
        &doc,
        &d,
        "LNT205",
        line_of(&doc, "WHERE user_id = auth.uid()", 0),
        "users.auth_id",
    );
    let without_rls = d.iter().filter(|x| x.code.as_str() == "LNT202").count();
    assert_eq!(
        without_rls, 3,
        "RLS is enabled on 1 of the 4 tables with policies"
    );
}

#[test]
fn seed_004_audit_trigger_and_duplicates() {
    let (doc, d) = lint_bytes(&seed("004"), &LintConfig::default());
    assert_finding(
        &doc,
        &d,
        "LNT302",
        line_of(&doc, "NEW.id::VARCHAR", 0),
        "NEW",
    );
    assert_finding(
        &doc,
        &d,
        "LNT401",
        line_of(&doc, "CREATE INDEX idx_users_email ON users(email);", 0),
        "users_email_key",
    );
    assert!(
        d.iter().any(|x| x.code.as_str() == "LNT407"),
        "duplicate constraints"
    );
}

/// Every finding of `bytes` (check and lint).
fn all_findings(bytes: &[u8]) -> (Document, Vec<Diagnostic>) {
    let _guard = seed_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let (doc, report) = pipeline::check_and_lint(
        pipeline::extract(bytes),
        &server,
        &CheckOptions::default(),
        &LintConfig::default(),
    )
    .expect("check and lint run");
    (doc, report.diagnostics)
}

/// Apply `rule`'s fixes to a fixture, re-run everything on the real server and assert: the
/// rule no longer fires, no new server error appears, and a second pass changes nothing.
fn assert_fix_converges(fixture: &str, rule: Rule) {
    use pgspec::diagnostics::Applicability;
    let text =
        std::fs::read_to_string(fixture_dir().join(format!("{fixture}.md"))).expect("fixture");
    let (doc, before) = all_findings(text.as_bytes());
    let server_errors = |d: &[Diagnostic]| {
        d.iter()
            .filter(|x| x.code.as_str().starts_with("PG"))
            .count()
    };
    let mine: Vec<Diagnostic> = before.iter().filter(|d| d.code == rule).cloned().collect();
    assert!(
        !mine.is_empty() && mine.iter().all(|d| d.fix.is_some()),
        "{fixture}: {mine:#?}"
    );
    let fixed = pgspec::fix::apply_fixes(&doc.text, &doc.line_index, &mine, Applicability::Unsafe);
    assert_eq!(
        fixed.fixes.len(),
        mine.len(),
        "{fixture}: every fix applies"
    );
    let (doc2, after) = all_findings(fixed.text.as_bytes());
    assert!(
        !after.iter().any(|d| d.code == rule),
        "{fixture}: {} still fires after its fixes:\n{}",
        rule.code(),
        fixed.text
    );
    assert!(
        server_errors(&after) <= server_errors(&before),
        "{fixture}: new server errors:\n{after:#?}"
    );
    let again: Vec<Diagnostic> = after.into_iter().filter(|d| d.code == rule).collect();
    let second =
        pgspec::fix::apply_fixes(&doc2.text, &doc2.line_index, &again, Applicability::Unsafe);
    assert_eq!(
        second.text, fixed.text,
        "{fixture}: a second pass changes nothing"
    );
}

#[test]
fn prefer_timestamptz_fix_converges() {
    assert_fix_converges("prefer-timestamptz", Rule::PreferTimestamptz);
}

#[test]
fn current_setting_fix_converges() {
    assert_fix_converges(
        "current-setting-without-missing-ok",
        Rule::CurrentSettingWithoutMissingOk,
    );
}

#[test]
fn foreign_key_index_fix_converges() {
    assert_fix_converges("foreign-key-without-index", Rule::ForeignKeyWithoutIndex);
}

#[test]
fn the_clean_fixture_applies_without_any_finding() {
    let text = std::fs::read_to_string(fixture_dir().join("clean.md")).expect("fixture");
    let (_, all) = all_findings(text.as_bytes());
    let shown: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.severity > pgspec::diagnostics::Severity::Info)
        .collect();
    assert!(shown.is_empty(), "{shown:#?}");
}

/// A document whose tables are only described (a column table, an ERD): the findings on the
/// generated CREATE TABLE point at the row that declares the column, with or without an
/// unrelated SQL block before it, and no fix writes SQL into the description.
#[test]
fn findings_on_generated_tables_point_at_their_source_row_and_never_write_there() {
    use pgspec::diagnostics::Applicability;
    let table = "## users\n\n| column | type | constraints | description |\n|---|---|---|---|\n| id | bigint | PK | id |\n| email | varchar(255) | NOT NULL | mail |\n| created_at | timestamp | NOT NULL | when |\n";
    let erd = "```mermaid\nerDiagram\n    ORDERS {\n        bigint id PK\n        timestamp placed_at\n    }\n```\n";
    for prefix in ["", "# Notes\n\n```sql\nSELECT 1;\n```\n\n"] {
        let text = format!("{prefix}# Design\n\n{table}\n{erd}");
        let (doc, findings) = all_findings(text.as_bytes());
        for (column, row) in [
            ("users.created_at", "| created_at |"),
            ("orders.placed_at", "timestamp placed_at"),
        ] {
            let finding = findings
                .iter()
                .find(|d| d.code == Rule::PreferTimestamptz && d.message.contains(column))
                .unwrap_or_else(|| panic!("LNT404 on {column}: {findings:#?}"));
            let expected = text.lines().position(|l| l.contains(row)).expect("row") as u32 + 1;
            assert_eq!(
                doc.line_index.line(finding.primary.range.start),
                expected,
                "{column} with prefix {prefix:?}"
            );
            assert!(finding.fix.is_none(), "{finding:#?}");
        }
        let fixed =
            pgspec::fix::apply_fixes(&doc.text, &doc.line_index, &findings, Applicability::Unsafe);
        assert!(
            !fixed.text.contains("timestamptz"),
            "a fix wrote SQL into the description:\n{}",
            fixed.text
        );
    }
}

/// LNT203 names a table outside `public` with its schema, and its help's CREATE POLICY does
/// too (it said `clips`, which no CREATE POLICY finds from `public`).
#[test]
fn a_command_without_policy_names_the_tables_schema() {
    let path = fixture_dir().join("command-without-policy.md");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let (doc, d) = lint_bytes(text.as_bytes(), &LintConfig::default());
    let line = line_of(&doc, "CREATE POLICY clips_select", 0);
    assert_finding(
        &doc,
        &d,
        "LNT203",
        line,
        "`media.clips` has no DELETE policy",
    );
    let help = d
        .iter()
        .find(|d| d.message.contains("media.clips"))
        .and_then(|d| d.help.clone())
        .unwrap_or_default();
    assert!(help.contains("ON media.clips FOR DELETE"), "{help}");
}

/// A cron job whose command calls a missing function: `check` runs the command as the job
/// would and PostgreSQL rejects it; the finding is the rule's, once, not a failed example query
/// beside it. A job whose command fails for another reason keeps the server's verdict.
#[test]
fn a_cron_job_calling_a_missing_function_is_one_finding() {
    let text = "# Jobs\n\n```sql\nCREATE EXTENSION IF NOT EXISTS pg_cron;\nCREATE TABLE sessions (id bigserial PRIMARY KEY, expires_at timestamptz NOT NULL);\nSELECT cron.schedule('purge', '*/5 * * * *', 'SELECT purge_expired_sessions()');\nSELECT cron.schedule('nightly', '0 3 * * *', $$DELETE FROM session WHERE expires_at < now()$$);\n```\n";
    let _guard = seed_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let (doc, report) = pipeline::check_and_lint(
        pipeline::extract(text.as_bytes()),
        &server,
        &CheckOptions::default(),
        &LintConfig::default(),
    )
    .expect("check and lint run");
    let got = found(&doc, &report.diagnostics);
    let expected: BTreeMap<(u32, String), usize> =
        [((6, "LNT501".to_owned()), 1), ((7, "PG004".to_owned()), 1)]
            .into_iter()
            .collect();
    assert_eq!(got, expected, "{:#?}", report.diagnostics);
    assert_eq!(report.summary.errors, 2, "{:?}", report.summary);
}
