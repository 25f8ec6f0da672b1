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
mod placeholders;
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
pub use placeholders::numbered_placeholders;

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
            "sentence" => "the sentence about",
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
mod tests;
