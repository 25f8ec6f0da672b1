use super::*;
use pgspec_diagnostics::text::LineIndex;
use pgspec_diagnostics::Severity;
use pgspec_document::{SourceEncoding, SourceMap};

/// A document holding `blocks` (lang, code) as fenced blocks, each block's source map the
/// identity offset by where its code starts in the document text.
fn doc(blocks: &[(&str, &str)]) -> Document {
    let mut text = String::from("# Design\n\n");
    let mut code_blocks = Vec::new();
    for (lang, code) in blocks {
        let fence_start = offset(text.len());
        text.push_str(&format!("```{lang}\n"));
        let fence = TextRange::new(fence_start, offset(text.len() - 1));
        let start = offset(text.len());
        text.push_str(code);
        text.push_str("\n```\n\nProse.\n\n");
        code_blocks.push(CodeBlock {
            lang: (*lang).to_owned(),
            is_sql: matches!(*lang, "sql" | "postgresql"),
            fence,
            code: (*code).to_owned(),
            source_map: SourceMap {
                segments: vec![(0, start, offset(code.len()))],
            },
            closed: true,
            transcript: false,
        });
    }
    Document {
        line_index: LineIndex::new(&text),
        text,
        blocks: code_blocks,
        encoding: SourceEncoding::Utf8,
    }
}

#[test]
fn a_create_table_in_another_dialect_names_the_table_it_creates() {
    let d = doc(&[(
        "sql",
        "CREATE TABLE [dbo].[Clientes] (\n  [Id] INT IDENTITY(1,1)\n)\nGO\nCREATE TABLE `pedidos` (`id` int);\nINSERT INTO `pedidos` VALUES (1);",
    )]);
    let (statements, _) = extract(&d);
    let created: Vec<Vec<&str>> = statements
        .iter()
        .map(|s| s.facts.creates.iter().map(|o| o.name.as_str()).collect())
        .collect();
    assert_eq!(created, [vec!["clientes"], vec![], vec!["pedidos"], vec![]]);
    assert!(statements.iter().all(|s| !s.facts.parses));
}

#[test]
fn a_statement_continued_in_the_next_block_is_one_statement() {
    let d = doc(&[
        (
            "sql",
            "CREATE TABLE a (id int);\nCREATE TABLE orders (\n    id bigint PRIMARY KEY,",
        ),
        (
            "sql",
            "    total numeric NOT NULL\n);\nCREATE INDEX o ON orders (total);",
        ),
    ]);
    let (statements, diagnostics) = extract(&d);
    let texts: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "CREATE TABLE a (id int);",
            "CREATE TABLE orders (\n    id bigint PRIMARY KEY,\ntotal numeric NOT NULL\n);",
            "CREATE INDEX o ON orders (total);"
        ]
    );
    assert!(statements.iter().all(|s| s.facts.parses));
    assert_eq!(
        statements.iter().map(|s| s.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::StatementAcrossBlocks]);
    // Offsets in the second part map into the second block.
    let joined = &statements[1];
    let at = joined.text.find("total").expect("total");
    let range = joined.document_range(&d, at, "total".len());
    assert_eq!(&d.text[range.as_usize()], "total");
    let at = joined.text.find("bigint").expect("bigint");
    let range = joined.document_range(&d, at, "bigint".len());
    assert_eq!(&d.text[range.as_usize()], "bigint");
    // A block that ends with a complete statement, or a second part that is a statement of
    // its own, is not joined.
    let (statements, _) = extract(&doc(&[
        ("sql", "CREATE TABLE a (id int)"),
        ("sql", "CREATE TABLE b (id int);"),
    ]));
    assert_eq!(statements.len(), 2);
    let (statements, _) = extract(&doc(&[
        ("sql", "CREATE TABLE a (id int,"),
        ("sql", "  bogus bogus bogus"),
    ]));
    assert_eq!(statements.len(), 2);
}

#[test]
fn a_forgotten_semicolon_gives_two_statements_and_a_fix() {
    let code = "CREATE TABLE t (a int, b int[]);\nCREATE INDEX i ON t USING gin (b)\nCREATE INDEX j ON t (a);";
    let d = doc(&[("sql", code)]);
    let (statements, diagnostics) = extract(&d);
    let texts: Vec<&str> = statements.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "CREATE TABLE t (a int, b int[]);",
            "CREATE INDEX i ON t USING gin (b)",
            "CREATE INDEX j ON t (a);"
        ]
    );
    assert!(statements.iter().all(|s| s.facts.parses));
    assert_eq!(diagnostics.len(), 1);
    let found = &diagnostics[0];
    assert_eq!(found.code, Code::MissingSemicolon);
    assert_eq!(d.line_index.line(found.primary.range.start), 6);
    let fix = found.fix.as_ref().expect("a fix");
    let mut fixed = d.text.clone();
    let edit = &fix.edits[0];
    fixed.replace_range(
        edit.range.start as usize..edit.range.end as usize,
        &edit.replacement,
    );
    assert!(fixed.contains("USING gin (b);\nCREATE INDEX j"), "{fixed}");
    assert!(extract(&doc(&[("sql", &code.replace("(b)\n", "(b);\n"))]))
        .1
        .is_empty());
}

#[test]
fn statements_are_numbered_in_document_order_with_document_ranges() {
    let d = doc(&[
        (
            "sql",
            "-- users\nCREATE TABLE users (id int);\nINSERT INTO users VALUES (1);",
        ),
        ("bash", "psql -f schema.sql; echo done"),
        ("sql", "SELECT * FROM users WHERE id = $1;"),
    ]);
    let (stmts, diags) = extract(&d);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(stmts.len(), 3);
    let block = |s: &Statement| match &s.origin {
        Origin::Document { block, .. } => *block,
        Origin::Generated(_) => usize::MAX,
    };
    let summary: Vec<_> = stmts.iter().map(|s| (s.index, block(s), s.kind)).collect();
    assert_eq!(
        summary,
        vec![
            (0, 0, StatementKind::Schema),
            (1, 0, StatementKind::Data),
            (2, 2, StatementKind::Example),
        ]
    );
    for s in &stmts {
        assert_eq!(&d.text[s.range.as_usize()], s.text);
        let Origin::Document {
            block, code_range, ..
        } = &s.origin
        else {
            panic!("a statement of the document is written in it");
        };
        assert_eq!(&d.blocks[*block].code[code_range.as_usize()], s.text);
    }
    assert_eq!(stmts[0].text, "CREATE TABLE users (id int);");
    assert_eq!(stmts[2].facts.param_count, 1);
    assert!(stmts[0].facts.parses);
}

#[test]
fn unterminated_string_gives_sql002_at_the_opening_quote() {
    let d = doc(&[("sql", "SELECT 1;\nINSERT INTO t VALUES ('oops);\nSELECT 2;")]);
    let (stmts, diags) = extract(&d);
    assert_eq!(stmts.len(), 2);
    assert!(
        stmts[1].text.ends_with("SELECT 2;"),
        "runs to the block end"
    );
    assert_eq!(diags.len(), 1);
    let diag = &diags[0];
    assert_eq!(diag.code, Code::UnterminatedStatement);
    assert_eq!(diag.category, Category::Syntax);
    assert_eq!(diag.severity, Severity::Error);
    assert_eq!(&d.text[diag.primary.range.as_usize()], "'");
    let at = d.text.find("'oops").expect("present");
    assert_eq!(diag.primary.range.start as usize, at);
}

#[test]
fn a_psql_scripts_settings_are_info_and_a_connect_says_where_it_leads() {
    let d = doc(&[(
        "sql",
        "\\set ON_ERROR_STOP on\n\\timing on\n\\echo tables\n\\dt+\n\\c shop\nCREATE TABLE t (id int);\n\\i more.sql\n",
    )]);
    let (_, diags) = extract(&d);
    let got: Vec<(Severity, &str)> = diags
        .iter()
        .map(|g| (g.severity, &d.text[g.primary.range.as_usize()]))
        .collect();
    assert_eq!(
        got,
        vec![
            (Severity::Info, "\\set ON_ERROR_STOP on"),
            (Severity::Info, "\\timing on"),
            (Severity::Info, "\\echo tables"),
            (Severity::Info, "\\dt+"),
            (Severity::Warning, "\\c shop"),
            (Severity::Warning, "\\i more.sql"),
        ]
    );
    assert!(diags[4].message.contains("connects to another database"));
    assert!(diags[5]
        .message
        .contains("from a file pgspec does not read"));
    let d = doc(&[(
        "sql",
        "CREATE TABLE t (id int);\nGO\nCREATE TABLE u (id int);\ngo 2\n",
    )]);
    let (_, diags) = extract(&d);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags
        .iter()
        .all(|g| g.severity == Severity::Info && g.message.contains("batch separator")));
}

#[test]
fn other_systems_session_statements_are_info_and_skipped() {
    let d = doc(&[(
        "sql",
        "PRAGMA foreign_keys = ON;\nSET FOREIGN_KEY_CHECKS = 0;\nSET @OLD_SQL_MODE=@@SQL_MODE;\nUSE shop;\nSET ANSI_NULLS ON;\nSET QUOTED_IDENTIFIER ON;\nCREATE TABLE t (id int);\nSET search_path = app;\nSET NAMES 'UTF8';\n",
    )]);
    let (stmts, diags) = extract(&d);
    let systems: Vec<&str> = diags
        .iter()
        .map(|g| {
            assert_eq!(g.severity, Severity::Info, "{g:#?}");
            g.message.split(" is ").nth(1).unwrap_or("")
        })
        .collect();
    assert_eq!(diags.len(), 6, "{diags:#?}");
    assert!(systems[0].starts_with("SQLite's"), "{systems:?}");
    assert!(systems[1].starts_with("MySQL's") && systems[2].starts_with("MySQL's"));
    assert!(systems[3].starts_with("MySQL and SQL Server's"));
    assert!(systems[4].starts_with("SQL Server's") && systems[5].starts_with("SQL Server's"));
    // PostgreSQL's own settings stay what they are.
    assert_ne!(stmts[7].kind, StatementKind::NotSql);
    assert_ne!(stmts[8].kind, StatementKind::NotSql);
}

#[test]
fn not_sql_gives_sql001_warnings() {
    let d = doc(&[(
        "sql",
        "\\lo_import photo.png\npg_dump -t orders > backup.sql\n-- detach\nALTER TABLE orders DETACH PARTITION p;\n...\n",
    )]);
    let (stmts, diags) = extract(&d);
    let kinds: Vec<_> = stmts.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        vec![
            StatementKind::NotSql,
            StatementKind::NotSql,
            StatementKind::Operation,
            StatementKind::NotSql
        ]
    );
    assert_eq!(diags.len(), 3);
    assert!(diags.iter().all(|d| d.code == Code::NotSql
        && d.category == Category::NotSql
        && d.severity == Severity::Warning
        && d.help
            .as_deref()
            .is_some_and(|h| h.contains("```bash") || h.contains("comment"))));
    assert_eq!(
        diags[0].message,
        "psql meta-command `\\lo_import photo.png` is not SQL"
    );
    assert_eq!(
        diags[1].message,
        "`pg_dump -t orders > backup.sql` is not SQL"
    );
    assert_eq!(diags[2].message, "elision `...` is not SQL");
    assert_eq!(
        &d.text[diags[1].primary.range.as_usize()],
        "pg_dump -t orders > backup.sql"
    );
}

#[test]
fn each_statement_is_parsed_once_and_its_tree_kept() {
    let d = doc(&[(
        "sql",
        "CREATE TABLE jobs (id int PRIMARY KEY, note text);\n\
         SELECT cron.schedule('nightly', '0 3 * * *', $$VACUUM jobs$$);\n\
         \\c app\n\
         CREATE TABLE broken (id int, INDEX (id));",
    )]);
    let before = ast::parse_count();
    let (stmts, _) = extract(&d);
    // Three texts are SQL (the meta-command is not given to the parser): three parses.
    assert_eq!(ast::parse_count(), before + 3);
    let after_extract = ast::parse_count();
    // Everything later asks the kept tree.
    assert!(stmts[0].ast().is_some());
    assert_eq!(
        stmts[0].created_table().map(|t| t.name),
        Some("jobs".to_owned())
    );
    assert_eq!(stmts[0].safety(Some("app")), safety::Safety::Document);
    let job = stmts[1].cron_schedule().expect("a schedule");
    assert_eq!(job.command, "VACUUM jobs");
    assert_eq!(stmts[1].command(), Some(ast::Command::Select));
    assert!(stmts[2].ast().is_none() && stmts[3].ast().is_none());
    assert_eq!(stmts[3].created_table(), None);
    let copy = stmts[0].clone();
    assert!(std::ptr::eq(
        copy.ast().expect("kept"),
        stmts[0].ast().expect("kept")
    ));
    assert_eq!(ast::parse_count(), after_extract);
    // A new text (a fix's replacement) is parsed, once.
    let fixed = stmts[3].with_text("CREATE TABLE broken (id int);".to_owned());
    assert_eq!(ast::parse_count(), after_extract + 1);
    assert_eq!(
        fixed.created_table().map(|t| t.name),
        Some("broken".to_owned())
    );
}

#[test]
fn a_large_document_keeps_its_trees_cheaply() {
    // 3,000 statements, as a long design document might hold: extraction stays fast and
    // the kept trees stay small (pg_query's protobuf form, shared by clones).
    let mut code = String::new();
    for i in 0..1_000 {
        code.push_str(&format!(
            "CREATE TABLE t{i} (id bigint PRIMARY KEY, owner bigint REFERENCES t0(id), note text NOT NULL DEFAULT '');\n\
             CREATE INDEX t{i}_owner ON t{i} (owner) WHERE note <> '';\n\
             INSERT INTO t{i} (id, owner, note) VALUES (1, 1, 'x');\n"
        ));
    }
    let d = doc(&[("sql", &code)]);
    let started = std::time::Instant::now();
    let (stmts, diags) = extract(&d);
    let took = started.elapsed();
    assert!(diags.is_empty());
    assert_eq!(stmts.len(), 3_000);
    assert!(stmts.iter().all(|s| s.ast().is_some()));
    // The JSON rendering of the trees, a rough proxy for their size in memory: a few KiB
    // per statement.
    let json_bytes: usize = stmts
        .iter()
        .filter_map(Statement::ast)
        .map(|t| serde_json::to_vec(t).map_or(0, |v| v.len()))
        .sum();
    assert!(
        json_bytes < 3_000 * 8_192,
        "{json_bytes} bytes of trees as JSON"
    );
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
}

#[test]
fn non_sql_blocks_are_skipped() {
    let d = doc(&[("typescript", "const a = 1;"), ("", "users\n└── orders")]);
    let (stmts, diags) = extract(&d);
    assert!(stmts.is_empty() && diags.is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Whatever the block holds, extraction neither panics nor produces ranges that do
    /// not hold the statement text.
    #[test]
    fn extract_never_panics(code in "(?s).{0,200}", sqlish in proptest::collection::vec(
        proptest::prelude::prop_oneof![
            proptest::prelude::Just("CREATE TABLE t (id int"), proptest::prelude::Just(");"),
            proptest::prelude::Just("SELECT $1"), proptest::prelude::Just("'"),
            proptest::prelude::Just("$$"), proptest::prelude::Just("\\c x\n"),
            proptest::prelude::Just("INSERT INTO t VALUES ('uuid')"),
            proptest::prelude::Just(" "), proptest::prelude::Just("\n"),
            proptest::prelude::Just("pg_dump x\n"), proptest::prelude::Just("/*"),
        ],
        0..12,
    )) {
        for code in [code, sqlish.concat()] {
            let d = doc(&[("sql", &code)]);
            let (stmts, diags) = extract(&d);
            for s in &stmts {
                proptest::prop_assert_eq!(&d.text[s.range.as_usize()], s.text.as_str());
            }
            for diag in &diags {
                proptest::prop_assert!(d.text.get(diag.primary.range.as_usize()).is_some());
            }
        }
    }
}

#[test]
fn multi_segment_source_maps_are_respected() {
    // A block inside a list item: each code line sits at a different document offset.
    let text = "- item\n\n  ```sql\n  SELECT 1;\n  SELECT 'a\n  b';\n  ```\n";
    let code = "SELECT 1;\nSELECT 'a\nb';";
    let line = |needle: &str| offset(text.find(needle).expect("present"));
    let block = CodeBlock {
        lang: "sql".into(),
        is_sql: true,
        fence: TextRange::new(line("```sql"), line("```sql") + 6),
        code: code.into(),
        source_map: SourceMap {
            segments: vec![
                (0, line("SELECT 1;"), 10),
                (10, line("SELECT 'a"), 10),
                (20, line("b';"), 3),
            ],
        },
        closed: true,
        transcript: false,
    };
    let d = Document {
        line_index: LineIndex::new(text),
        text: text.into(),
        blocks: vec![block],
        encoding: SourceEncoding::Utf8,
    };
    let (stmts, _) = extract(&d);
    assert_eq!(stmts.len(), 2);
    assert_eq!(&d.text[stmts[0].range.as_usize()], "SELECT 1;");
    assert_eq!(&d.text[stmts[1].range.as_usize()], "SELECT 'a\n  b';");
}
