//! A document's statements from its SQL blocks: split, classified, their facts and parse tree kept, a missing `;` and a statement that goes on in the next block found.

use super::*;

/// Split and classify every statement of every SQL block (`is_sql`), in document order.
/// Unterminated strings/quotes/comments give SQL002; not-SQL statements (shell lines, prose,
/// elisions, psql meta-commands) give SQL001. Never panics.
pub fn extract(doc: &Document) -> (Vec<Statement>, Vec<Diagnostic>) {
    let mut statements: Vec<Statement> = Vec::new();
    let mut diagnostics = Vec::new();
    for (block_index, block) in doc.blocks.iter().enumerate() {
        if !block.is_sql {
            continue;
        }
        let first = statements.len();
        extract_block(block_index, block, &mut statements, &mut diagnostics);
        if first > 0 && first < statements.len() {
            join_across_blocks(doc, &mut statements, first, &mut diagnostics);
        }
    }
    for (i, s) in statements.iter_mut().enumerate() {
        s.index = i;
    }
    (statements, diagnostics)
}

/// The statement before `first` (the last of the previous block) and `first` (the first of
/// the block just read) as one, when the previous block is the code block right before this
/// one, its last statement has no `;` and neither part parses but the two joined do: a
/// `CREATE TABLE` whose columns the document continues after a paragraph. SQL004 says so; the
/// second part's not-SQL finding goes.
pub(super) fn join_across_blocks(
    doc: &Document,
    statements: &mut Vec<Statement>,
    first: usize,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (before, after) = (&statements[first - 1], &statements[first]);
    let (
        Origin::Document {
            block: b1,
            code_range: r1,
            continued: None,
        },
        Origin::Document {
            block: b2,
            code_range: r2,
            continued: None,
        },
    ) = (&before.origin, &after.origin)
    else {
        return;
    };
    if *b2 != *b1 + 1
        || before.facts.parses
        || after.facts.parses
        || before.text.trim_end().ends_with(';')
        || before.kind == StatementKind::NotSql
    {
        return;
    }
    let text = format!("{}\n{}", before.text, after.text);
    let parsed = facts::analyze(&text, before.facts.param_count.max(after.facts.param_count));
    if !parsed.facts.parses {
        return;
    }
    let kind = classify::classify(Shape::Sql, &text, parsed.first(), &parsed.facts);
    let line = |r: TextRange| doc.line_index.line(r.start);
    let joined = Statement {
        index: before.index,
        origin: Origin::Document {
            block: *b1,
            code_range: *r1,
            continued: Some(Continuation {
                block: *b2,
                code_range: *r2,
                at: offset(before.text.len() + 1),
            }),
        },
        range: TextRange::new(before.range.start, after.range.end),
        kind,
        facts: parsed.facts,
        ast: parsed.tree,
        text,
        copy_sql_end: None,
    };
    let rest = after.range;
    diagnostics.retain(|d| {
        !(d.code == Code::NotSql
            && rest.start <= d.primary.range.start
            && d.primary.range.end <= rest.end)
    });
    diagnostics.push(
        Diagnostic::new(
            Code::StatementAcrossBlocks,
            Category::Syntax,
            format!(
                "the statement at line {} goes on in the next SQL block, at line {}",
                line(before.range),
                line(rest)
            ),
            TextRange::empty(before.range.end),
        )
        .label("no `;`: it continues below")
        .help("keep a statement in one SQL block (psql and migration tools run each block's text on its own); pgspec read the two parts as one statement"),
    );
    statements.splice(first - 1..=first, [joined]);
}

/// Offsets in a block's code are far below 4 GiB (documents are size-limited on read).
pub(super) fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn extract_block(
    block_index: usize,
    block: &CodeBlock,
    statements: &mut Vec<Statement>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let code = block.code.as_str();
    let to_doc = |start: usize, end: usize| {
        block
            .source_map
            .range_to_document(TextRange::new(offset(start), offset(end)))
    };
    let split = split::split(code);
    let mut block_diagnostics = Vec::new();
    for u in &split.unterminated {
        let range = to_doc(u.start, u.start + u.open_len);
        block_diagnostics.push((
            u.start,
            Diagnostic::new(
                Code::UnterminatedStatement,
                Category::Syntax,
                u.construct.message(),
                range,
            )
            .label("opened here and never closed")
            .help("close it; everything from here to the end of the code block was read as one statement"),
        ));
    }
    let mut raws = Vec::with_capacity(split.statements.len());
    for raw in &split.statements {
        if raw.shape != Shape::Sql || raw.sql_end != raw.end {
            raws.push(raw.clone());
            continue;
        }
        let parses = |sql: &str| ast::parse_tree(sql).is_ok();
        let Some(boundaries) = split::missing_semicolons(&code[raw.start..raw.end], &parses) else {
            raws.push(raw.clone());
            continue;
        };
        let mut start = raw.start;
        for (end, next) in boundaries {
            let (end, next) = (raw.start + end, raw.start + next);
            block_diagnostics.push((end, missing_semicolon(code, start..end, next, &to_doc)));
            raws.push(split::RawStatement {
                start,
                end,
                sql_end: end,
                terminated: false,
                ..raw.clone()
            });
            start = next;
        }
        raws.push(split::RawStatement {
            start,
            ..raw.clone()
        });
    }
    for raw in &raws {
        let text = &code[raw.start..raw.end];
        let sql = &code[raw.start..raw.sql_end];
        let parsed = if raw.shape == Shape::Meta {
            facts::Parsed {
                facts: Facts {
                    parse_error: Some("a psql meta-command, not SQL".to_owned()),
                    ..Facts::default()
                },
                tree: None,
            }
        } else {
            facts::analyze(sql, raw.max_param)
        };
        let kind = classify::classify(raw.shape, sql, parsed.first(), &parsed.facts);
        let range = to_doc(raw.start, raw.end);
        // In a psql transcript, looking at the schema and moving between databases is what a
        // session is made of: nothing to tell. What runs or includes more SQL still is.
        let session_command =
            block.transcript && raw.shape == Shape::Meta && looks_or_connects(text);
        if kind == StatementKind::NotSql && !session_command {
            block_diagnostics.push((raw.start, not_sql(raw.shape, text, range)));
        }
        statements.push(Statement {
            index: statements.len(),
            origin: Origin::Document {
                block: block_index,
                code_range: TextRange::new(offset(raw.start), offset(raw.end)),
                continued: None,
            },
            text: text.to_owned(),
            range,
            kind,
            facts: parsed.facts,
            ast: parsed.tree,
            copy_sql_end: (raw.sql_end != raw.end).then(|| offset(raw.sql_end - raw.start)),
        });
    }
    block_diagnostics.sort_by_key(|(at, _)| *at);
    diagnostics.extend(block_diagnostics.into_iter().map(|(_, d)| d));
}

/// SQL003 at the statement starting at `next` (block offsets), whose predecessor `before`
/// lacks its `;`: the fix adds it after the predecessor's last token.
pub(super) fn missing_semicolon(
    code: &str,
    before: std::ops::Range<usize>,
    next: usize,
    to_doc: &dyn Fn(usize, usize) -> TextRange,
) -> Diagnostic {
    let keyword_len = code[next..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(code.len() - next);
    let keyword = &code[next..next + keyword_len];
    let first_line = code[before.clone()].lines().next().unwrap_or("").trim();
    let mut head: String = first_line.chars().take(40).collect();
    if head.len() < first_line.len() {
        head.push('…');
    }
    Diagnostic::new(
        Code::MissingSemicolon,
        Category::Syntax,
        format!("`{keyword}` starts a new statement but the one before it (`{head}`) has no `;`"),
        to_doc(next, next + keyword_len),
    )
    .label("a new statement")
    .help("end the statement before it with `;`; pgspec read them as two statements")
    .fix(pgspec_diagnostics::Fix {
        title: "add the missing `;`".to_owned(),
        applicability: pgspec_diagnostics::Applicability::Safe,
        edits: vec![pgspec_diagnostics::Edit {
            range: to_doc(before.end, before.end),
            replacement: ";".to_owned(),
        }],
    })
}

/// Whether a psql meta-command only shows something or connects (`\d t`, `\dt+`, `\c db`,
/// `\x`, `\timing`, …): it changes nothing a document's SQL builds.
fn looks_or_connects(meta: &str) -> bool {
    let base = meta_command(meta).trim_end_matches(['+', 'S']);
    matches!(
        base,
        "c" | "connect"
            | "conninfo"
            | "l"
            | "list"
            | "x"
            | "timing"
            | "pset"
            | "echo"
            | "q"
            | "encoding"
            | "h"
            | "help"
            | "?"
            | "z"
            | "sf"
            | "sv"
            | "a"
            | "t"
            | "H"
            | "f"
    ) || (base.starts_with('d') && base.len() <= 4 && base.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Whether a psql meta-command only sets psql up or shows something (`\set`, `\pset`,
/// `\timing`, `\echo`, `\d t`, `\x`, …). Connecting (`\c`) and running files (`\i`) are
/// not: the statements after them were meant for another database or come from elsewhere.
fn psql_setting(meta: &str) -> bool {
    let command = meta_command(meta);
    matches!(command, "set" | "unset" | "qecho" | "warn" | "prompt")
        || (looks_or_connects(meta) && !matches!(command, "c" | "connect" | "q"))
}

/// The command word of a psql meta-command (`c` of `\\c shop`, `dt+` of `\\dt+`).
fn meta_command(meta: &str) -> &str {
    meta.trim_start_matches('\\')
        .split(char::is_whitespace)
        .next()
        .unwrap_or("")
}

/// `GO` (or `GO 5`, `go;`) alone: sqlcmd's and SSMS's end of a batch.
fn batch_separator(text: &str) -> bool {
    let mut words = text.trim().trim_end_matches(';').split_whitespace();
    words.next().is_some_and(|w| w.eq_ignore_ascii_case("go"))
        && words
            .next()
            .is_none_or(|n| n.bytes().all(|b| b.is_ascii_digit()))
        && words.next().is_none()
}

/// SQL001 for a statement that is not SQL.
pub(super) fn not_sql(shape: Shape, text: &str, range: TextRange) -> Diagnostic {
    let first_line = text.lines().next().unwrap_or("").trim();
    let mut snippet: String = first_line.chars().take(60).collect();
    if snippet.len() < first_line.len() || text.lines().nth(1).is_some() {
        snippet.push('…');
    }
    let elision = text
        .chars()
        .all(|c| c == '.' || c == '…' || c == ';' || c.is_whitespace());
    let outline = !elision && (text.contains("...") || text.contains('…'));
    let command = if shape == Shape::Meta {
        meta_command(text)
    } else {
        ""
    };
    let include = matches!(command, "i" | "ir" | "include" | "include_relative");
    if include {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("psql meta-command `{snippet}` runs SQL from a file pgspec does not read"),
            range,
        )
        .label("not run")
        .help("paste the file's SQL into a ```sql block of the document to have it applied and checked")
    } else if shape == Shape::Meta && psql_setting(text) {
        // A psql script's own settings and output (`\set ON_ERROR_STOP on`, `\timing`,
        // `\echo`, `\dt`): what the script is made of, not a mistake; said once, quietly.
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("psql meta-command `{snippet}` is psql's own, not SQL: skipped"),
            range,
        )
        .severity(pgspec_diagnostics::Severity::Info)
        .label("skipped")
        .help("nothing to do: it sets up or shows something in psql and builds nothing")
    } else if matches!(command, "c" | "connect") {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("psql meta-command `{snippet}` connects to another database; pgspec does not follow it"),
            range,
        )
        .label("not run")
        .help("pgspec applies the whole document to one database: the statements after it land in the same database as those before it; if they need a database of their own, describe it in a document of its own")
    } else if shape == Shape::Meta {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("psql meta-command `{snippet}` is not SQL"),
            range,
        )
        .label("not run")
        .help("pgspec runs SQL only; move it to a ```bash block or make it a SQL comment (`-- …`)")
    } else if let Some(system) = crate::classify::other_systems_setting(text) {
        // A session setting of the system the script comes from: what the script is made
        // of there, nothing PostgreSQL needs.
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("`{snippet}` is {system}'s own session statement, not PostgreSQL's: skipped"),
            range,
        )
        .severity(pgspec_diagnostics::Severity::Info)
        .label("skipped")
        .help("nothing to do for pgspec: it builds nothing (delete it when the script moves to PostgreSQL, which always enforces foreign keys and needs no database switch inside a script)")
    } else if batch_separator(text) {
        // SQL Server's tools end a batch with `GO`: what the script is made of there.
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("`{snippet}` is SQL Server's batch separator, not SQL: skipped"),
            range,
        )
        .severity(pgspec_diagnostics::Severity::Info)
        .label("skipped")
        .help("nothing to do for pgspec; PostgreSQL's tools need no separator between statements (delete it when the script moves to PostgreSQL)")
    } else if outline {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("`{snippet}` leaves part of the statement out (`...`): an outline, not SQL"),
            range,
        )
        .label("not run")
        .help(
            "write the statement out in full, or mark the block as an illustration (e.g. ```text)",
        )
    } else if elision {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("elision `{snippet}` is not SQL"),
            range,
        )
        .label("not run")
        .help("write out the omitted SQL, or make the elision a SQL comment (`-- …`)")
    } else {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("`{snippet}` is not SQL"),
            range,
        )
        .label("not run")
        .help("move it to a ```bash block or make it a SQL comment (`-- …`)")
    }
}

#[cfg(test)]
mod transcript_tests {
    use super::*;

    #[test]
    fn a_transcripts_typed_sql_is_read_and_only_what_runs_elsewhere_is_told() {
        let text = "# T\n\n```psql\nshop=# \\c shop\nYou are now connected.\nshop=# \\timing on\nshop=# CREATE TABLE t (\nshop(#   id int\nshop(# );\nCREATE TABLE\nshop=# \\d t\n  Table \"public.t\"\nshop=# \\i more.sql\nshop=# \\set x 1\n```\n\n```sql\n\\d t\n```\n";
        let (doc, _) = pgspec_document::read(text.as_bytes());
        let (statements, diagnostics) = crate::extract(&doc);
        let create = statements
            .iter()
            .find(|s| s.kind == StatementKind::Schema)
            .expect("the CREATE TABLE");
        assert_eq!(create.text, "CREATE TABLE t (\n  id int\n);");
        assert_eq!(doc.line_index.line(create.range.start), 7);
        let told: Vec<u32> = diagnostics
            .iter()
            .filter(|d| d.code == Code::NotSql)
            .map(|d| doc.line_index.line(d.primary.range.start))
            .collect();
        // `\i` and `\set` in the session, and `\d` in a plain SQL block.
        assert_eq!(told, [13, 14, 18], "{diagnostics:#?}");
        assert!(diagnostics[0]
            .message
            .contains("from a file pgspec does not read"));
    }
}
