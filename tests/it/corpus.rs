//! Documents as teams write them (tests/corpus/): every description style pgspec reads (column
//! tables, lists, ERDs, DBML, Prisma, class diagrams, Rails schema.rb, dumps, migration logs), in English,
//! Korean, Japanese, Chinese, German, French, Spanish, Portuguese, Russian, Dutch, Swedish,
//! Czech, Arabic, Hindi, Thai, Greek, Hungarian and more, and SQL carried over from MySQL and Oracle;
//! schema-per-tenant PL/pgSQL, job queues, full-text search, rich types and extensions not installable here, each with an
//! expectation file. And the binary's
//! behaviour on its own bugs and on a closed output pipe.

use std::process::{Command, Stdio};

use crate::postgres::shared_cluster;

fn pgspec() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
    cmd.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
    cmd
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    // The reader closes the pipe before pgspec writes (as `pgspec rule | head -1` does once
    // it has its line): every write then fails with a broken pipe.
    for args in [&["rule"][..], &["rule", "LNT201"][..]] {
        let mut child = pgspec()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pgspec");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} printed: {stderr}");
    }
}

#[test]
fn a_panic_in_a_stage_is_an_internal_error_naming_stage_and_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("주문.md");
    std::fs::write(
        &doc,
        "# 주문\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\n```\n",
    )
    .expect("write");
    let url = shared_cluster().url("postgres");
    let doc = doc.display().to_string();
    for stage in ["read", "schema", "check", "lint", "render"] {
        let out = pgspec()
            .args(["check", "--db", &url, &doc])
            .env(pgspec::diagnostics::stage::PANIC_IN_ENV, stage)
            .output()
            .expect("run pgspec");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stage}: {stderr}");
        assert!(
            stderr.contains(&format!("internal error in {stage} on {doc}")),
            "{stage}: {stderr}"
        );
        assert!(!stderr.contains("panicked at"), "{stage}: {stderr}");
    }
}

/// The corpus directory.
fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// What a document's `.expect.toml` says a correct tool creates and reports.
struct Expectation {
    /// Table (`schema.name` outside `public`) → (columns `name type`, NOT NULL columns,
    /// constraint definitions, checks: column → allowed values).
    tables: Vec<ExpectedTable>,
    /// Findings that must be reported: code and 1-based line.
    findings: Vec<(String, u64)>,
    /// Codes that must not be reported at all.
    absent: Vec<String>,
}

struct ExpectedTable {
    name: String,
    columns: Vec<String>,
    not_null: Vec<String>,
    constraints: Vec<String>,
    checks: Vec<(String, Vec<String>)>,
}

fn strings(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn expectation(name: &str) -> Expectation {
    let path = corpus_dir().join(format!("{name}.expect.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let value: toml::Table = text.parse().unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let tables = value
        .get("tables")
        .and_then(toml::Value::as_table)
        .map(|t| {
            t.iter()
                .map(|(name, v)| ExpectedTable {
                    name: name.clone(),
                    columns: strings(v.get("columns")),
                    not_null: strings(v.get("not_null")),
                    constraints: strings(v.get("constraints")),
                    checks: v
                        .get("checks")
                        .and_then(toml::Value::as_table)
                        .map(|c| {
                            c.iter()
                                .map(|(col, vals)| (col.clone(), strings(Some(vals))))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let findings = value
        .get("findings")
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| {
                    let code = f.get("code").and_then(toml::Value::as_str).expect("code");
                    let line = f
                        .get("line")
                        .and_then(toml::Value::as_integer)
                        .expect("line");
                    (code.to_owned(), u64::try_from(line).expect("line"))
                })
                .collect()
        })
        .unwrap_or_default();
    Expectation {
        tables,
        findings,
        absent: strings(value.get("absent")),
    }
}

/// Run pgspec and require that it did its job without a bug: exit 0 or 1, no panic, no
/// internal error. Returns stdout.
fn run_ok(args: &[&str]) -> String {
    let out = pgspec().args(args).output().expect("run pgspec");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?} exited {:?}\n{stderr}\n{stdout}",
        out.status.code()
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{args:?}: {stderr}"
    );
    stdout
}

/// Check the document in every format, bring it up, compare the database with the
/// expectation, seed it and take it down.
fn run_corpus(name: &str) {
    let doc = corpus_dir().join(format!("{name}.md"));
    let doc = doc.to_str().expect("utf-8 path");
    let expect = expectation(name);
    let url = shared_cluster().url("postgres");
    let mut diagnostics = Vec::new();
    for format in ["full", "concise", "github", "json", "sarif"] {
        let out = run_ok(&["check", "--db", &url, "--format", format, "--verbose", doc]);
        match format {
            "json" => {
                let json: serde_json::Value = serde_json::from_str(&out).expect("check json");
                diagnostics = json["documents"][0]["diagnostics"]
                    .as_array()
                    .expect("diagnostics")
                    .clone();
            }
            "sarif" => {
                let _: serde_json::Value = serde_json::from_str(&out).expect("sarif json");
            }
            _ => {}
        }
    }
    // The other commands that read a document without keeping a database.
    run_ok(&["lint", "--db", &url, doc]);
    run_ok(&["sql", "--db", &url, doc]);
    run_ok(&["model", "--db", &url, doc]);
    run_ok(&["model", "--db", &url, "--format", "json", doc]);
    let found: Vec<(String, u64, String)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or_default(),
                d["severity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let describe = || {
        found
            .iter()
            .map(|(c, l, s)| format!("  {c} line {l} {s}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (code, line) in &expect.findings {
        assert!(
            found.iter().any(|(c, l, _)| c == code && l == line),
            "{name}: expected {code} at line {line}; found:\n{}",
            describe()
        );
    }
    for (code, line, severity) in &found {
        if severity == "error" {
            assert!(
                expect.findings.iter().any(|(c, l)| c == code && l == line),
                "{name}: unexpected error {code} at line {line}; found:\n{}",
                describe()
            );
        }
        assert!(
            !expect.absent.contains(code),
            "{name}: {code} must not be reported; found:\n{}",
            describe()
        );
    }

    // Fixes, safe and unsafe, edit the document's SQL only: never a table, list, diagram or
    // prose that pgspec generated statements from.
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join(format!("{name}.md"));
    std::fs::copy(doc, &copy).expect("copy");
    let copy = copy.to_str().expect("utf-8 path");
    run_ok(&["fix", "--unsafe", "--db", &url, copy]);
    let original = std::fs::read_to_string(doc).expect("read");
    let fixed = std::fs::read_to_string(copy).expect("read fixed");
    assert_eq!(
        outside_sql(&original),
        outside_sql(&fixed),
        "{name}: a fix edited text outside the SQL blocks"
    );
    // Fixes converge: a second run finds nothing more to fix.
    run_ok(&["fix", "--unsafe", "--db", &url, copy]);
    let again = std::fs::read_to_string(copy).expect("read fixed again");
    assert_eq!(
        fixed, again,
        "{name}: a second `fix --unsafe` changed the document"
    );

    let database = format!("corpus_{name}");
    run_ok(&["up", "--db", &url, "--name", &database, "--recreate", doc]);
    let server = pgspec::postgres::Server::Url(url.clone());
    let mut client = crate::data_client(&server, &database);
    for table in &expect.tables {
        // `[tables."core.vehicles"]` for a table outside `public`.
        let (schema, relname) = table
            .name
            .split_once('.')
            .unwrap_or(("public", table.name.as_str()));
        let columns: Vec<(String, String, bool)> = client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 WHERE c.relnamespace = $1::text::regnamespace AND c.relname = $2
                   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                &[&schema, &relname],
            )
            .expect("columns")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert!(!columns.is_empty(), "{name}: table {} missing", table.name);
        for expected in &table.columns {
            assert!(
                columns
                    .iter()
                    .any(|(n, t, _)| format!("{n} {t}") == *expected),
                "{name}: {}: column `{expected}` missing; have {columns:?}",
                table.name
            );
        }
        for column in &table.not_null {
            assert!(
                columns.iter().any(|(n, _, nn)| n == column && *nn),
                "{name}: {}.{column} should be NOT NULL; have {columns:?}",
                table.name
            );
        }
        let constraints: Vec<String> = client
            .query(
                "SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
                 JOIN pg_class c ON c.oid = k.conrelid
                 WHERE c.relnamespace = $1::text::regnamespace AND c.relname = $2",
                &[&schema, &relname],
            )
            .expect("constraints")
            .iter()
            .map(|r| r.get(0))
            .collect();
        for expected in &table.constraints {
            assert!(
                constraints.contains(expected),
                "{name}: {}: constraint `{expected}` missing; have {constraints:?}",
                table.name
            );
        }
        for (column, values) in &table.checks {
            assert!(
                constraints.iter().any(|c| c.starts_with("CHECK")
                    && c.contains(column.as_str())
                    && values.iter().all(|v| c.contains(&format!("'{v}'")))),
                "{name}: {}: no CHECK on {column} allowing {values:?}; have {constraints:?}",
                table.name
            );
        }
    }
    drop(client);
    run_ok(&[
        "seed", "--db", &url, "--name", &database, "--rows", "20", doc,
    ]);
    run_ok(&["down", "--db", &url, "--name", &database, doc]);
}

/// The lines of a document outside its SQL blocks (```sql, ```postgresql, ```psql, …; fences
/// included in the blocks).
fn outside_sql(text: &str) -> Vec<&str> {
    let mut in_sql = false;
    // Inside a fence of another language (its closing ``` is not an untagged opening).
    let mut in_other = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        let lang = line
            .trim_start()
            .get(3..)
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        // An untagged fence holds SQL in documents pasted from GUI tools; pgspec reads it
        // as SQL when it parses as SQL.
        let sql_lang = [
            "sql",
            "postgresql",
            "postgres",
            "psql",
            "pgsql",
            "plpgsql",
            "",
        ];
        if fence && in_other {
            in_other = false;
            out.push(line);
            continue;
        }
        if fence && !in_sql && sql_lang.contains(&lang.as_str()) {
            in_sql = true;
            continue;
        }
        if fence && !in_sql {
            in_other = true;
        }
        if fence && in_sql {
            in_sql = false;
            continue;
        }
        if !in_sql {
            out.push(line);
        }
    }
    out
}

macro_rules! corpus {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_corpus(stringify!($name));
            }
        )*

        #[test]
        fn every_corpus_document_has_a_test_and_an_expectation() {
            let listed = [$(stringify!($name)),*];
            let mut documents = Vec::new();
            for entry in std::fs::read_dir(corpus_dir()).expect("tests/corpus") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "md") {
                    let stem = path.file_stem().expect("stem").to_string_lossy().into_owned();
                    assert!(
                        corpus_dir().join(format!("{stem}.expect.toml")).exists(),
                        "{stem} has no expectation file"
                    );
                    documents.push(stem);
                }
            }
            documents.sort();
            let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
            listed.sort();
            assert_eq!(documents, listed, "tests/it/corpus.rs lists every document once");
            assert!(documents.len() >= 20);
        }
    };
}

corpus! {
    en_sql_only,
    pt_plantuml_biblioteca,
    pl_psql_describe,
    es_plantuml_clinica,
    fr_notes_installation,
    ja_plantuml_drift,
    en_column_tables,
    en_mermaid_erd,
    en_erd_type_names,
    en_bullets,
    en_definition_list,
    en_bold_definitions,
    en_bold_tables,
    en_stated_references,
    en_prose_sentence,
    en_mixed,
    en_placeholders,
    en_enum_notes,
    en_unknown_types,
    en_crlf_emoji,
    ko_column_tables,
    ko_bullets,
    ko_erd_sql,
    ko_render_errors,
    ja_column_tables,
    ja_nullable_columns,
    ja_bullets_keys,
    ja_definition_sheet,
    ko_definition_sheet,
    zh_column_tables,
    zh_bullets,
    zh_traditional,
    zh_plain_titles,
    en_handwritten_mistakes,
    en_oracle_port,
    pt_mysql_dump,
    de_column_tables,
    fr_bullets,
    es_erd_sql,
    ru_definitions,
    es_sqlserver_dictionary,
    en_room_booking,
    de_lager_preise,
    ja_clinic_schedule,
    es_facturacion,
    ko_subscriptions,
    it_pg_dump,
    vi_psql_session,
    tr_migration_log,
    en_pgsql_features,
    pl_prisma_schema,
    id_html_tables,
    nl_dbml_fietsverhuur,
    ar_column_tables,
    sv_supabase_rls,
    hi_v2_changes,
    th_class_diagram,
    el_class_diagram_vet,
    hu_rails_schema,
    cs_partitions_cron,
    de_mandanten_plpgsql,
    pt_fila_outbox,
    zh_fulltext_search,
    tr_konum_vektor,
    it_tipi_prenotazioni,
    ru_ierarkhiya,
    fr_grand_livre,
    pl_dane_startowe,
    nl_export_historie,
}

/// Lines of the shapes the readers look for, and text that broke renderers before.
fn document_soup() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let line = prop_oneof![
        proptest::sample::select(vec![
            "### 2.1. users テーブル",
            "### 用户表（users）",
            "### 1.1 사용자 테이블 (users)",
            "**Table: orders**",
            "**テーブル名：logs**",
            "| カラム名 | データ型 | 制約 | 説明 |",
            "| 字段名 | 数据类型 | 是否为空 | 默认值 | 说明 |",
            "| Column | Type | Notes |",
            "|---|---|---|",
            "| id | bigint | PK |",
            "| user_id | uuid | FK → users.id, NOT NULL |",
            "| role | ENUM | admin \\| member |",
            "| kind | ENUM('a','b') | |",
            "| 名前 | 型 | 一意 |",
            "- `id` (uuid, PK)",
            "- `user_id`（bigint、外部キー（users.id）、必須）",
            "- **email**: text, unique",
            "* id uuid PK",
            "Columns: `id` (bigint, PK), `body` (text)",
            "Generic change log capturing table name, record id, diff json, actor, timestamp.",
            "**Unique Constraint:** (org_id, user_id)",
            "联合主键 (a, b)",
            "ユニーク制約：（a、b）",
            "```mermaid",
            "erDiagram",
            "    USERS { timestamp_with_time_zone created_at \"{NOT_NULL}\" }",
            "    USERS ||--o{ POSTS : writes",
            "```sql",
            "CREATE TABLE t (id int PRIMARY KEY, x txet);",
            "INSERT INTO t VALUES ('[USER_ID]');",
            "```",
            "┌──────┐ │ 一 │ └──────┘",
            "👩‍💻 e\u{301}\u{308} \t tab\r",
            "",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    proptest::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Any text goes through every reader (document, SQL, ERD, column tables, lists, prose,
    /// synthesis) and every renderer of what they report, without a panic.
    #[test]
    fn any_document_is_read_and_its_findings_rendered(text in document_soup()) {
        use pgspec::diagnostics::render::{render_concise, render_full, render_github, render_sarif};
        let extracted = pgspec::pipeline::extract(text.as_bytes());
        let source = extracted.document.source("문서 ┃.md");
        for d in &extracted.diagnostics {
            let _ = render_full(&source, d, false);
            let _ = render_full(&source, d, true);
            let _ = render_concise(&source, d);
            let _ = render_github(&source, d);
        }
        let all: Vec<&pgspec::diagnostics::Diagnostic> = extracted.diagnostics.iter().collect();
        let _ = render_sarif(&[(source, all)], "0");
    }
}
