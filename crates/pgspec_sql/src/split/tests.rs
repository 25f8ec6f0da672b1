use super::*;
use proptest::prelude::*;

fn texts(code: &str) -> Vec<&str> {
    split(code)
        .statements
        .iter()
        .map(|s| &code[s.start..s.end])
        .collect()
}

fn shapes(code: &str) -> Vec<Shape> {
    split(code).statements.iter().map(|s| s.shape).collect()
}

#[test]
fn a_go_line_ends_a_sql_server_batch() {
    let code = "CREATE TABLE [dbo].[T] (\n  [Id] INT\n)\nGO\nCREATE INDEX i ON t (id)\ngo 2\nSELECT 1 AS go\n";
    assert_eq!(
        texts(code),
        vec![
            "CREATE TABLE [dbo].[T] (\n  [Id] INT\n)",
            "GO",
            "CREATE INDEX i ON t (id)",
            "go 2",
            "SELECT 1 AS go"
        ]
    );
    assert_eq!(shapes(code)[1], Shape::Foreign);
}

#[test]
fn forgotten_semicolons_are_found_where_every_piece_parses() {
    let parses = |sql: &str| crate::ast::parse_tree(sql).is_ok();
    let pieces = |text: &str| {
        missing_semicolons(text, &parses).map(|b| {
            let mut out = Vec::new();
            let mut start = 0;
            for (end, next) in b {
                out.push(text[start..end].to_owned());
                start = next;
            }
            out.push(text[start..].to_owned());
            out
        })
    };
    assert_eq!(
        pieces(
            "CREATE INDEX a ON t (x) -- gin\nCREATE INDEX b ON t (y)\n  ALTER TABLE t ADD z int"
        ),
        Some(vec![
            "CREATE INDEX a ON t (x)".to_owned(),
            "CREATE INDEX b ON t (y)".to_owned(),
            "ALTER TABLE t ADD z int".to_owned(),
        ])
    );
    // A statement that parses, or that has another error, stays whole.
    assert_eq!(pieces("CREATE VIEW v AS\nSELECT 1"), None);
    assert_eq!(pieces("INSERT INTO t (a)\nSELECT 1"), None);
    assert_eq!(
        pieces("CREATE TABLE t (a int)\nCREATE TABLE u (b intt int)"),
        None
    );
    assert_eq!(
        pieces("CREATE TABLE t (a int) CREATE TABLE u (b int)"),
        None
    );
    // Inside parentheses and quotes a keyword starts nothing.
    assert_eq!(pieces("SELECT (1\nSELECT 2"), None);
    assert_eq!(pieces("SELECT 'a\nSELECT 2' x y"), None);
}

#[test]
fn splits_at_semicolons_and_skips_leading_comments() {
    let code = "-- header\n/* block */ CREATE TABLE a (id int); -- trailing\n\n  SELECT 1 /* in */ ;\n-- only a comment\n";
    assert_eq!(
        texts(code),
        vec!["CREATE TABLE a (id int);", "SELECT 1 /* in */ ;"]
    );
}

#[test]
fn comment_only_and_empty_chunks_are_not_statements() {
    assert!(texts("-- nothing\n/* here */\n;;\n").is_empty());
    assert!(texts("").is_empty());
    assert_eq!(texts(";;SELECT 1;;"), vec!["SELECT 1;"]);
}

#[test]
fn last_statement_without_semicolon_ends_at_its_last_token() {
    let code = "SELECT 1;\nSELECT 2 -- no semicolon\n";
    assert_eq!(texts(code), vec!["SELECT 1;", "SELECT 2"]);
    let s = &split(code).statements[1];
    assert!(!s.terminated);
}

#[test]
fn dollar_quotes_with_tags_hide_semicolons() {
    let code = "CREATE FUNCTION f() RETURNS void AS $fn$ BEGIN PERFORM 1; $x$ ; $x$ END; $fn$ LANGUAGE plpgsql;\nSELECT 2;";
    let t = texts(code);
    assert_eq!(t.len(), 2);
    assert!(t[0].ends_with("LANGUAGE plpgsql;"));
    let cron = "SELECT cron.schedule('j', '0 0 * * *', $$ DELETE FROM t; VACUUM t; $$);";
    assert_eq!(texts(cron), vec![cron]);
}

#[test]
fn params_are_not_dollar_quotes() {
    let code = "SELECT * FROM t WHERE a = $1 AND b = $2; SELECT $3;";
    let s = split(code).statements;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].max_param, 2);
    assert_eq!(s[1].max_param, 3);
}

#[test]
fn nested_comments_hide_semicolons() {
    let code = "SELECT 1 /* outer /* inner; */ still; */ + 1; SELECT 2;";
    assert_eq!(
        texts(code),
        vec!["SELECT 1 /* outer /* inner; */ still; */ + 1;", "SELECT 2;"]
    );
}

#[test]
fn e_strings_and_quoted_identifiers_hide_semicolons() {
    let code = "INSERT INTO \"odd;name\" VALUES (E'it\\'s; fine', 'a''; b', U&'x;');\nSELECT \"a\"\"; b\";";
    assert_eq!(
        texts(code),
        vec![
            "INSERT INTO \"odd;name\" VALUES (E'it\\'s; fine', 'a''; b', U&'x;');",
            "SELECT \"a\"\"; b\";"
        ]
    );
}

#[test]
fn begin_atomic_body_is_one_statement() {
    let code = "CREATE OR REPLACE FUNCTION grade(s int) RETURNS text LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN s > 90 THEN 'A' ELSE 'B' END;\n  SELECT 'x';\nEND;\nCREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\nSELECT 1;";
    let t = texts(code);
    assert_eq!(t.len(), 3, "{t:#?}");
    assert!(t[0].starts_with("CREATE OR REPLACE FUNCTION") && t[0].ends_with("END;"));
    assert_eq!(
        t[1],
        "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;"
    );
    // BEGIN outside a function is transaction control, not a body.
    assert_eq!(texts("BEGIN; SELECT 1; END;").len(), 3);
}

#[test]
fn rule_actions_in_parentheses_stay_together() {
    let code = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;";
    assert_eq!(texts(code).len(), 2);
    // Elsewhere, a `;` inside unbalanced parentheses still ends the statement.
    assert_eq!(texts("CREATE TABLE t (id int;\nSELECT 1;").len(), 2);
}

#[test]
fn psql_meta_commands_are_their_own_statements() {
    let code = "\\c mydb\nCREATE TABLE t (id int);\n\\i other.sql  \nSELECT 1\n\\gset\n";
    // In shell text a backslash continues the line.
    assert_eq!(
        texts("pg_dump -h db \\\n  -t x > y.sql"),
        vec!["pg_dump -h db \\\n  -t x > y.sql"]
    );
    assert_eq!(
        texts(code),
        vec![
            "\\c mydb",
            "CREATE TABLE t (id int);",
            "\\i other.sql",
            "SELECT 1",
            "\\gset"
        ]
    );
    assert_eq!(
        shapes(code),
        vec![
            Shape::Meta,
            Shape::Sql,
            Shape::Meta,
            Shape::Sql,
            Shape::Meta
        ]
    );
}

#[test]
fn foreign_lines_end_before_the_next_sql_line() {
    let code = "pg_dump -t orders > backup.sql\n-- then\nALTER TABLE orders DETACH PARTITION p;\n";
    assert_eq!(
        texts(code),
        vec![
            "pg_dump -t orders > backup.sql",
            "ALTER TABLE orders DETACH PARTITION p;"
        ]
    );
    assert_eq!(shapes(code), vec![Shape::Foreign, Shape::Sql]);
    // An apostrophe in prose does not open a string across lines, and capitalised prose
    // lines do not start statements.
    assert_eq!(
        texts("Create the users table first\nCREATE TABLE users (id int);"),
        vec![
            "Create the users table first",
            "CREATE TABLE users (id int);"
        ]
    );
    let prose = "이건 don't\nUpdate the docs\nSELECT 1;";
    assert_eq!(
        texts(prose),
        vec!["이건 don't\nUpdate the docs", "SELECT 1;"]
    );
    assert!(split(prose).unterminated.is_empty());
    // `/*` in shell text is a glob, not a comment running to the end of the block.
    assert_eq!(
        texts(
            "rm -rf /backup/*
SELECT 1;"
        ),
        vec!["rm -rf /backup/*", "SELECT 1;"]
    );
}

#[test]
fn copy_from_stdin_keeps_its_data() {
    let code = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\.\nSELECT 1;";
    let s = split(code).statements;
    assert_eq!(s.len(), 2);
    assert_eq!(
        &code[s[0].start..s[0].end],
        "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\."
    );
    assert_eq!(&code[s[0].start..s[0].sql_end], "COPY t (a, b) FROM stdin;");
    // Without a `\.` line nothing is taken as data.
    assert_eq!(texts("COPY t FROM STDIN;\nSELECT 1;").len(), 2);
}

#[test]
fn unterminated_constructs_keep_the_statement() {
    for (code, construct, at) in [
        ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", Construct::String, 17),
        ("SELECT \"abc; x", Construct::QuotedIdent, 7),
        ("SELECT $$abc; x", Construct::DollarQuote, 7),
        ("SELECT $t$abc $$; x", Construct::DollarQuote, 7),
        ("SELECT 1 /* a /* b */ ; x", Construct::BlockComment, 9),
        ("SELECT E'a\\'; x", Construct::String, 7),
    ] {
        let sp = split(code);
        let last = sp.statements.last().expect("statement");
        assert_eq!(last.end, code.len(), "{code}");
        assert_eq!(sp.unterminated.len(), 1, "{code}");
        assert_eq!(sp.unterminated[0].construct, construct, "{code}");
        assert_eq!(sp.unterminated[0].start, at, "{code}");
    }
    // A comment left open after the last statement is reported but makes no statement.
    let sp = split("SELECT 1; /* oops");
    assert_eq!(sp.statements.len(), 1);
    assert_eq!(sp.unterminated.len(), 1);
}

/// Independent check of the gaps between statements: only whitespace, `;` and comments.
fn gap_is_trivia(gap: &str) -> bool {
    let b = gap.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() || b[i] == b';' || b[i] == b'\x0b' {
            i += 1;
        } else if b[i..].starts_with(b"--") {
            i = gap[i..].find('\n').map_or(b.len(), |n| i + n);
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else {
            return false;
        }
    }
    true
}

fn check_invariants(code: &str) {
    let sp = split(code);
    let mut prev_end = 0;
    for s in &sp.statements {
        assert!(s.start < s.end, "empty statement {s:?} in {code:?}");
        assert!(prev_end <= s.start, "overlap {s:?} in {code:?}");
        assert!(s.end <= code.len());
        assert!(s.sql_end <= s.end && s.start < s.sql_end);
        assert!(code.is_char_boundary(s.start) && code.is_char_boundary(s.end));
        assert!(code.is_char_boundary(s.sql_end));
        let text = &code[s.start..s.end];
        // PostgreSQL's whitespace is ASCII only (U+0085 or U+00A0 would be identifier bytes).
        assert!(
            !text.starts_with([' ', '\t', '\n', '\r', '\x0b', '\x0c']),
            "{text:?}"
        );
        assert!(
            !text.starts_with("--") && !text.starts_with("/*"),
            "{text:?}"
        );
        let gap = &code[prev_end..s.start];
        assert!(
            gap_is_trivia(gap),
            "gap {gap:?} before {text:?} in {code:?}"
        );
        prev_end = s.end;
    }
    let tail = &code[prev_end..];
    assert!(gap_is_trivia(tail), "tail {tail:?} in {code:?}");
    for u in &sp.unterminated {
        assert!(code.is_char_boundary(u.start) && u.start + u.open_len <= code.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn split_invariants_on_arbitrary_text(code in "(?s).{0,300}") {
        check_invariants(&code);
    }

    #[test]
    fn split_invariants_on_sql_like_text(
        code in proptest::collection::vec(
            prop_oneof![
                Just("'"), Just("''"), Just("\""), Just("$$"), Just("$a$"), Just("$1"),
                Just("--"), Just("/*"), Just("*/"), Just(";"), Just("\n"), Just(" "),
                Just("E'"), Just("\\"), Just("\\."), Just("("), Just(")"), Just("BEGIN"),
                Just("END"), Just("CASE"), Just("CREATE FUNCTION f() "), Just("CREATE RULE "),
                Just("COPY t FROM stdin"), Just("SELECT 1"), Just("pg_dump x"), Just("한글"),
                Just("U&'"), Just("x"),
            ],
            0..40,
        ).prop_map(|parts| parts.concat())
    ) {
        check_invariants(&code);
    }
}

#[test]
fn splitting_is_linear() {
    // Pathological inputs complete quickly (a quadratic splitter would take seconds).
    let many_dollars = "$a".repeat(200_000);
    let many_parens = "(".repeat(200_000);
    let many_lines = "x\n".repeat(200_000);
    let many_comments = "/*".repeat(100_000);
    let start = std::time::Instant::now();
    for code in [&many_dollars, &many_parens, &many_lines, &many_comments] {
        check_invariants(code);
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}
