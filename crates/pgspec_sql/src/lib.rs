//! Split SQL blocks into statements (exact for dollar quotes, E-strings, nested comments,
//! BEGIN ATOMIC), classify each, and extract facts (objects created and referenced) with
//! pg_query.
//!
//! Pipeline per SQL block: [`split`] (a hand-written lexer, exact for every quoting
//! construct) → [`facts`] (pg_query parse: creates / references) → [`classify`] (kind).

pub mod ast;
#[rustfmt::skip]
mod children;
pub mod catalog_text;
mod classify;
pub mod cron;
pub mod expr;
pub mod extensions;
mod extract;
mod facts;
pub mod json_paths;
mod lexer;
pub mod lineage;
pub mod policy;
pub mod quote;
pub mod safety;
pub mod search_path;
pub mod settings;
mod split;
pub mod tables;
pub mod transactions;
pub mod types;
mod visit;

use std::sync::Arc;

use serde::Serialize;

use pgspec_diagnostics::text::TextRange;
use pgspec_diagnostics::{Category, Code, Diagnostic};
use pgspec_document::{CodeBlock, Document};

use split::Shape;

pub use classify::{is_placeholder, without_placeholders};
pub use extract::extract;
#[cfg(test)]
use extract::offset;

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

/// What pg_query tells about a statement (empty if it does not parse, but for the table a
/// `CREATE TABLE` in another dialect names).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Whether pg_query (PostgreSQL 18 grammar) parsed the statement.
    pub parses: bool,
    /// The parse error message, if any.
    pub parse_error: Option<String>,
    /// Objects this statement creates; for a `CREATE TABLE` that does not parse (MySQL's,
    /// SQL Server's), the table its text names ([`tables::written_table_name`]).
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
    /// PostgreSQL's parse tree of the text, parsed once when the statement was made; `None`
    /// when the text does not parse. Shared, so cloning a statement does not copy it.
    ast: Option<Arc<ast::ParseTree>>,
    /// For `COPY … FROM STDIN;` with inline data: where the SQL ends in `text` (the data
    /// lines and the `\.` line follow). The tree and facts are the SQL's alone.
    copy_sql_end: Option<u32>,
}

/// A `COPY … FROM STDIN;` statement's SQL and its inline data ([`Statement::inline_copy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InlineCopy<'a> {
    pub sql: &'a str,
    pub data: &'a str,
    /// Where the data starts in the statement's text.
    pub data_start: usize,
}

/// Where a statement's text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the document: its code block (index in `Document::blocks`) and the range of
    /// the text inside that block's `code`; `continued` when the statement goes on in the next
    /// SQL block (prose between the parts), its text then being both parts joined by a newline.
    Document {
        block: usize,
        code_range: TextRange,
        continued: Option<Continuation>,
    },
    /// Written by pgspec (DDL synthesized from an ERD entity or a column table that no SQL
    /// statement creates). It has no position inside a code block, so no finding can land in
    /// one and `fix` can never write it into the document.
    Generated(GeneratedFrom),
}

/// The second part of a statement written across two SQL blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Continuation {
    /// The block (index in `Document::blocks`) that holds the rest.
    pub block: usize,
    /// The rest's range inside that block's `code`.
    pub code_range: TextRange,
    /// Where the rest starts in the statement's text.
    pub at: u32,
}

impl Statement {
    /// A statement of `kind` with `text` at `origin`/`range`, parsed (facts and tree) here.
    /// Extraction makes the document's statements; this is for a statement made elsewhere.
    pub fn new(
        index: usize,
        origin: Origin,
        text: String,
        range: TextRange,
        kind: StatementKind,
    ) -> Statement {
        let parsed = facts::analyze(&text, 0);
        Statement {
            index,
            origin,
            text,
            range,
            kind,
            facts: parsed.facts,
            ast: parsed.tree,
            copy_sql_end: None,
        }
    }

    /// For `COPY … FROM STDIN;` followed by its data in the document: the statement's SQL
    /// and the data PostgreSQL reads from STDIN (the lines between them, each with its
    /// newline, without the `\.` line), as psql sends them. `None` for any other statement.
    pub fn inline_copy(&self) -> Option<InlineCopy<'_>> {
        let end = usize::try_from(self.copy_sql_end?).ok()?;
        let rest = self.text.get(end..)?;
        let data_start = end + rest.find('\n')? + 1;
        let data_end = end + rest.rfind('\n')? + 1;
        Some(InlineCopy {
            sql: self.text.get(..end)?,
            data: self.text.get(data_start..data_end.max(data_start))?,
            data_start,
        })
    }

    /// The parse tree of [`Statement::text`] (kept from when the statement was made: never
    /// parsed again); `None` when the text does not parse.
    pub fn ast(&self) -> Option<&ast::ParseTree> {
        self.ast.as_deref()
    }

    /// The kept tree itself, shared (for holding it beside the statement).
    pub fn shared_ast(&self) -> Option<Arc<ast::ParseTree>> {
        self.ast.clone()
    }

    /// The first top-level node of the tree.
    pub fn first_node(&self) -> Option<&ast::NodeEnum> {
        self.ast().and_then(ast::first)
    }

    /// What the (first) statement does, from the tree; `None` when the text does not parse.
    pub fn command(&self) -> Option<ast::Command> {
        self.first_node().map(ast::command)
    }

    /// The same statement with another text (a fix's replacement): parsed, with its facts and
    /// tree, at the same place, of the same kind.
    #[must_use]
    pub fn with_text(&self, text: String) -> Statement {
        let parsed = facts::analyze(&text, self.facts.param_count);
        Statement {
            text,
            facts: parsed.facts,
            ast: parsed.tree,
            copy_sql_end: None,
            ..self.clone()
        }
    }

    /// What pgspec may do with this statement in `database` ([`safety::assess_in`]), from its
    /// kept tree. Text that does not parse runs as the document (the server rejects it).
    pub fn safety(&self, database: Option<&str>) -> safety::Safety {
        match self.ast() {
            Some(tree) => safety::assess_tree(tree, database),
            None => safety::Safety::Document,
        }
    }

    /// The pg_cron job this statement schedules, from its kept tree.
    pub fn cron_schedule(&self) -> Option<cron::CronSchedule> {
        self.ast().and_then(cron::schedule_in)
    }

    /// The table this statement creates with its columns, from its kept tree.
    pub fn created_table(&self) -> Option<tables::SqlTable> {
        self.ast().and_then(tables::created_table_in)
    }

    /// The table or column this statement renames, or the tables it drops, from its tree.
    pub fn table_change(&self) -> Option<tables::TableChange> {
        self.ast().and_then(tables::table_change_in)
    }

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
        let Origin::Document {
            block,
            code_range,
            continued,
        } = &self.origin
        else {
            return None;
        };
        let at = u32::try_from(at.min(self.text.len())).ok()?;
        if let Some(rest) = continued.filter(|c| at >= c.at) {
            let block = doc.blocks.get(rest.block)?;
            return Some(
                block
                    .source_map
                    .to_document(rest.code_range.start + (at - rest.at)),
            );
        }
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
    /// `erd`, `column-table`, `index-table`, `value-list`, `dbml`, `plantuml`, `prisma` or
    /// `prose`.
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
            "index-table" => "the index table row for",
            "value-list" => "the list of values",
            "prose" => "the column list",
            other => other,
        };
        match &self.column {
            Some(column) => format!("`{column}` of {what} `{}` (line {})", self.table, self.line),
            None => format!("{what} `{}` at line {}", self.table, self.line),
        }
    }
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
        ast: parsed.tree,
        text,
        copy_sql_end: None,
    }
}

/// The relations a text that is not one of the document's statements uses (a query found in
/// prose, a function body's query), anywhere in its tree, common-table-expression names left
/// out; empty if it does not parse. A statement of the document has them in its facts.
pub fn relations_in(sql: &str) -> Vec<ObjectName> {
    let Some(tree) = ast::parse(sql) else {
        return Vec::new();
    };
    ast::top_nodes(&tree)
        .flat_map(visit::references)
        .filter(|o| o.kind == ObjectKind::Relation)
        .collect()
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
}
