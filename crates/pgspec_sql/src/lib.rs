//! Split SQL blocks into statements (exact for dollar quotes, E-strings, nested comments,
//! BEGIN ATOMIC), classify each, and extract facts (objects created and referenced) with
//! pg_query.
//!
//! Pipeline per SQL block: [`split`] (a hand-written lexer, exact for every quoting
//! construct) → [`facts`] (pg_query parse: creates / references) → [`classify`] (kind).

pub mod catalog_text;
mod classify;
pub mod cron;
mod facts;
mod lexer;
pub mod quote;
pub mod safety;
mod split;
pub mod tables;
pub mod types;
mod visit;

use serde::Serialize;

use pgspec_diagnostics::text::TextRange;
use pgspec_diagnostics::{Category, Code, Diagnostic};
use pgspec_document::{CodeBlock, Document};

use split::Shape;

pub use classify::is_placeholder;

/// What a statement is for, which decides whether `check` applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementKind {
    /// DDL and other definitions: CREATE/ALTER/DROP/COMMENT/GRANT/REVOKE/DO/CREATE POLICY, …
    Schema,
    /// INSERT (or COPY FROM STDIN) of reference rows, with literal values only.
    Data,
    /// An illustrative SELECT/UPDATE/DELETE/INSERT/WITH/EXPLAIN, incl. `$1` parameters or
    /// placeholder literals.
    Example,
    /// Operations: cron.schedule, ANALYZE, VACUUM, REFRESH, SET, SHOW, transaction control,
    /// monitoring queries on pg_stat_* / catalogs, calls of maintenance functions.
    Operation,
    /// Shell commands, pseudo-code, `...` elisions.
    NotSql,
}

/// A kind of database object, as far as dependency tracking needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    Relation,
    Index,
    Function,
    Type,
    Schema,
    Extension,
    Trigger,
    Policy,
    Role,
    Other,
}

/// A named object; `name` is the unqualified name, lowercased unless it was quoted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ObjectName {
    pub kind: ObjectKind,
    pub schema: Option<String>,
    pub name: String,
}

/// What pg_query tells about a statement (empty if it does not parse).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Whether pg_query (PostgreSQL 18 grammar) parsed the statement.
    pub parses: bool,
    /// The parse error message, if any.
    pub parse_error: Option<String>,
    /// Objects this statement creates.
    pub creates: Vec<ObjectName>,
    /// Relations, functions, types it uses (not counting those it creates).
    pub references: Vec<ObjectName>,
    /// Number of `$n` parameters used.
    pub param_count: u32,
    /// What the (first) statement is, as far as `check` needs to know how to validate it.
    #[serde(skip)]
    pub top: TopKind,
    /// A `CREATE TABLE … PARTITION BY`.
    #[serde(skip)]
    pub partitioned: bool,
}

/// The kind of a parsed statement's top node, for deciding how to validate what is not applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopKind {
    /// SELECT / VALUES / TABLE / INSERT / UPDATE / DELETE / MERGE, with or without WITH.
    Query,
    /// ANALYZE, VACUUM, REFRESH MATERIALIZED VIEW, REINDEX, CLUSTER.
    Maintenance,
    /// CALL of a procedure.
    Call,
    /// Anything else, or text that does not parse.
    #[default]
    Other,
}

/// One SQL statement found in the document.
#[derive(Clone, Debug)]
pub struct Statement {
    /// Position in document order (0-based).
    pub index: usize,
    /// Where the text comes from: a code block of the document, or pgspec (from an ERD entity
    /// or a column table). Only the first has positions inside a code block.
    pub origin: Origin,
    /// The statement text, from its first token through its terminating `;` if any. For
    /// `COPY … FROM STDIN;` followed by inline data it runs through the `\.` line; for a psql
    /// meta-command it is the command's line.
    pub text: String,
    /// Range of the statement in the document; for a generated statement, its source (the
    /// ERD attribute, column-table row or prose line).
    pub range: TextRange,
    pub kind: StatementKind,
    pub facts: Facts,
}

/// Where a statement's text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the document: its code block (index in `Document::blocks`) and the range of
    /// the text inside that block's `code`.
    Document { block: usize, code_range: TextRange },
    /// Written by pgspec (DDL synthesized from an ERD entity or a column table that no SQL
    /// statement creates). It has no position inside a code block, so no finding can land in
    /// one and `fix` can never write it into the document.
    Generated(GeneratedFrom),
}

impl Statement {
    /// Where pgspec generated it from, if it did.
    pub fn generated(&self) -> Option<&GeneratedFrom> {
        match &self.origin {
            Origin::Generated(from) => Some(from),
            Origin::Document { .. } => None,
        }
    }

    /// Whether the document itself has this text (findings and fixes may point into it).
    pub fn is_written(&self) -> bool {
        matches!(self.origin, Origin::Document { .. })
    }

    /// The document offset of byte `at` of the text: `None` for a generated statement (its
    /// text is nowhere in the document; its source is [`Statement::range`]).
    pub fn document_offset(&self, doc: &Document, at: usize) -> Option<u32> {
        let Origin::Document { block, code_range } = &self.origin else {
            return None;
        };
        let at = u32::try_from(at.min(self.text.len())).ok()?;
        let block = doc.blocks.get(*block)?;
        Some(block.source_map.to_document(code_range.start + at))
    }

    /// The document range of `len` bytes at byte `at` of the text; for a generated statement
    /// the source of the part that holds `at` (a column's row), else its whole source.
    pub fn document_range(&self, doc: &Document, at: usize, len: usize) -> TextRange {
        if let Origin::Generated(from) = &self.origin {
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            return from
                .parts
                .iter()
                .find(|(part, _)| part.start <= at && at < part.end)
                .map_or(self.range, |(_, source)| *source);
        }
        match (
            self.document_offset(doc, at),
            self.document_offset(doc, at + len),
        ) {
            (Some(start), Some(end)) => TextRange::new(start, end.max(start)),
            _ => self.range,
        }
    }
}

/// Where a statement pgspec generated comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GeneratedFrom {
    /// `erd`, `column-table` or `prose`.
    pub source_kind: String,
    /// The table (lowercase) the source describes.
    pub table: String,
    /// For a statement about one column (its foreign key, an extension-typed column): the
    /// column, whose row or attribute line `line` then is.
    pub column: Option<String>,
    /// 1-based document line of the source (entity name, table heading, column row).
    pub line: u32,
    /// Parts of the generated text with their own source: a column's definition line → its
    /// ERD attribute or column-table row. Findings inside a part point at that row.
    #[serde(skip)]
    pub parts: Vec<(TextRange, TextRange)>,
}

impl GeneratedFrom {
    /// "the column table `users` at line 22".
    pub fn describe(&self) -> String {
        let what = match self.source_kind.as_str() {
            "erd" => "the ERD entity",
            "column-table" => "the column table",
            "prose" => "the column list",
            other => other,
        };
        match &self.column {
            Some(column) => format!("`{column}` of {what} `{}` (line {})", self.table, self.line),
            None => format!("{what} `{}` at line {}", self.table, self.line),
        }
    }
}

/// Split and classify every statement of every SQL block (`is_sql`), in document order.
/// Unterminated strings/quotes/comments give SQL002; not-SQL statements (shell lines, prose,
/// elisions, psql meta-commands) give SQL001. Never panics.
pub fn extract(doc: &Document) -> (Vec<Statement>, Vec<Diagnostic>) {
    let mut statements = Vec::new();
    let mut diagnostics = Vec::new();
    for (block_index, block) in doc.blocks.iter().enumerate() {
        if block.is_sql {
            extract_block(block_index, block, &mut statements, &mut diagnostics);
        }
    }
    (statements, diagnostics)
}

/// A statement pgspec wrote itself ([`Origin::Generated`]): classified as schema, with
/// facts from the parser like any other, positioned at `range` (its source in the document).
/// `index` is set by the caller once the statement has its place.
pub fn generated_statement(text: String, range: TextRange, generated: GeneratedFrom) -> Statement {
    let parsed = facts::analyze(&text, 0);
    Statement {
        index: 0,
        origin: Origin::Generated(generated),
        range,
        kind: StatementKind::Schema,
        facts: parsed.facts,
        text,
    }
}

/// Offsets in a block's code are far below 4 GiB (documents are size-limited on read).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn extract_block(
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
    for raw in &split.statements {
        let text = &code[raw.start..raw.end];
        let sql = &code[raw.start..raw.sql_end];
        let parsed = if raw.shape == Shape::Meta {
            facts::Parsed {
                facts: Facts {
                    parse_error: Some("a psql meta-command, not SQL".to_owned()),
                    ..Facts::default()
                },
                stmt: None,
            }
        } else {
            facts::analyze(sql, raw.max_param)
        };
        let kind = classify::classify(raw.shape, sql, parsed.stmt.as_ref(), &parsed.facts);
        let range = to_doc(raw.start, raw.end);
        if kind == StatementKind::NotSql {
            block_diagnostics.push((raw.start, not_sql(raw.shape, text, range)));
        }
        statements.push(Statement {
            index: statements.len(),
            origin: Origin::Document {
                block: block_index,
                code_range: TextRange::new(offset(raw.start), offset(raw.end)),
            },
            text: text.to_owned(),
            range,
            kind,
            facts: parsed.facts,
        });
    }
    block_diagnostics.sort_by_key(|(at, _)| *at);
    diagnostics.extend(block_diagnostics.into_iter().map(|(_, d)| d));
}

/// SQL001 for a statement that is not SQL.
fn not_sql(shape: Shape, text: &str, range: TextRange) -> Diagnostic {
    let first_line = text.lines().next().unwrap_or("").trim();
    let mut snippet: String = first_line.chars().take(60).collect();
    if snippet.len() < first_line.len() || text.lines().nth(1).is_some() {
        snippet.push('…');
    }
    let elision = text
        .chars()
        .all(|c| c == '.' || c == '…' || c == ';' || c.is_whitespace());
    let outline = !elision && (text.contains("...") || text.contains('…'));
    if shape == Shape::Meta {
        Diagnostic::new(
            Code::NotSql,
            Category::NotSql,
            format!("psql meta-command `{snippet}` is not SQL"),
            range,
        )
        .label("not run")
        .help("pgspec runs SQL only; move it to a ```bash block or make it a SQL comment (`-- …`)")
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
mod tests {
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
            let Origin::Document { block, code_range } = &s.origin else {
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
    fn not_sql_gives_sql001_warnings() {
        let d = doc(&[(
            "sql",
            "\\c app\npg_dump -t orders > backup.sql\n-- detach\nALTER TABLE orders DETACH PARTITION p;\n...\n",
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
        assert_eq!(diags[0].message, "psql meta-command `\\c app` is not SQL");
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
}
