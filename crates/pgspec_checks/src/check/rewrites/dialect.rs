//! A `CREATE TABLE` written in another system's dialect, as design documents often carry it
//! from an earlier system: MySQL's `` `quoted` `` names, `AUTO_INCREMENT`, `INT(11) UNSIGNED`,
//! `DATETIME`, `TINYINT(1)`, `ENUM(…)`, `UNIQUE KEY`/`KEY` elements, `COMMENT '…'` and the table
//! options after the closing parenthesis (`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`); Oracle's
//! and SQL Server's type names (`NUMBER(10)`, `VARCHAR2(60)`, `CLOB`, `NVARCHAR(40)`), through
//! the one table of other systems' spellings (`pgspec_sql::types`); SQL Server's `[quoted]`
//! names and `dbo.` schema, `IDENTITY(1,1)`, `BIT`, `[NON]CLUSTERED` and `ON [PRIMARY]`, in
//! its `CREATE TABLE` and `CREATE INDEX`; SQLite's `AUTOINCREMENT`, `COLLATE NOCASE`,
//! `datetime('now')` and `WITHOUT ROWID`/`STRICT`. Beside tables: MySQL's index statements
//! (`CREATE INDEX name USING BTREE ON t`, `CREATE FULLTEXT INDEX`, `DROP INDEX name ON t`) and
//! `INSERT IGNORE`.
//!
//! PostgreSQL's parser rejects the statement, so there is no tree to read: the rewrite works
//! on the statement's elements (split at top-level commas, with strings and comments masked)
//! and the result is parsed and applied again like every fix.

use std::ops::Range;

use crate::diagnostics::Applicability;
use crate::document::Document;
use crate::sql::quote::{quote_ident, quote_literal};
use crate::sql::types::{is_foreign_spelling, normalize_type};
use crate::sql::Statement;

use super::super::plan::{mask_quotes_and_comments, matching_paren, FixPlan};
use super::{edit_plan, is_ident_byte, skip_ws, word_at, word_positions};

mod columns;
mod scan;
mod sql_server;

use columns::*;
use scan::*;
use sql_server::{
    brackets, clustered, filegroup, sql_server_index, sql_server_traits, unquote_brackets,
};

/// What one element of the table's list is.
enum Element {
    /// A column: its name as written and the range of its definition after the name.
    Column { name: String, rest: Range<usize> },
    /// `[UNIQUE] KEY|INDEX name (cols)`, `FULLTEXT KEY …`: moved out as CREATE INDEX.
    Index {
        unique: bool,
        name: Option<String>,
        columns: String,
    },
    /// Anything else (PRIMARY KEY, FOREIGN KEY, CONSTRAINT, CHECK): names unquoted only.
    Other,
}

/// Words that start a table element that is not a column.
const NOT_A_COLUMN: &[&str] = &[
    "primary",
    "unique",
    "key",
    "index",
    "constraint",
    "foreign",
    "check",
    "fulltext",
    "spatial",
    "exclude",
    "like",
];

/// MySQL's table options: `NAME [=] value` after the closing parenthesis.
const TABLE_OPTIONS: &[&str] = &[
    "engine",
    "charset",
    "collate",
    "auto_increment",
    "row_format",
    "comment",
    "character",
    "default",
    "checksum",
    "delay_key_write",
    "pack_keys",
    "stats_persistent",
    "key_block_size",
    "avg_row_length",
    "max_rows",
    "min_rows",
];

/// Edits collected over one statement, and what the fix must run and say afterwards.
#[derive(Default)]
struct Rewrite {
    edits: Vec<(Range<usize>, String)>,
    after: Vec<String>,
    changes: Vec<&'static str>,
    /// Behaviours the other system had that PostgreSQL's table does not get (`ON UPDATE`,
    /// `COLLATE NOCASE`), each said once in the fix's title.
    lost: Vec<&'static str>,
}

impl Rewrite {
    fn edit(&mut self, range: Range<usize>, replacement: impl Into<String>, what: &'static str) {
        self.edits.push((range, replacement.into()));
        if !self.changes.contains(&what) {
            self.changes.push(what);
        }
    }
}

/// The fix for a `CREATE TABLE` in another dialect, when the statement has something of one to
/// rewrite.
pub(in crate::check) fn other_dialect(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let text = stmt.text.as_str();
    let masked = mask_quotes_and_comments(text);
    let lower = masked.to_ascii_lowercase();
    let head = skip_ws(&lower, 0);
    if word_at(&lower, head, "alter") {
        return alter_table_columns(doc, stmt, &masked, &lower)
            .or_else(|| mysql_names_and_intervals(doc, stmt, &masked, &lower));
    }
    if !word_at(&lower, head, "create") {
        return mysql_drop_index(doc, stmt, &masked, &lower)
            .or_else(|| mysql_names_and_intervals(doc, stmt, &masked, &lower));
    }
    let mut at = head + "create".len();
    for optional in ["temporary", "temp", "unlogged"] {
        let next = skip_ws(&lower, at);
        if word_at(&lower, next, optional) {
            at = next + optional.len();
        }
    }
    let next = skip_ws(&lower, at);
    if word_at(&lower, next, "sequence") {
        return sequence_options(doc, stmt, &lower);
    }
    if [
        "unique",
        "clustered",
        "nonclustered",
        "index",
        "fulltext",
        "spatial",
    ]
    .iter()
    .any(|w| word_at(&lower, next, w))
    {
        return sql_server_index(doc, stmt, &masked, &lower)
            .or_else(|| unnamed_index_if_not_exists(doc, stmt, &lower))
            .or_else(|| mysql_index(doc, stmt, &masked, &lower, next));
    }
    if !word_at(&lower, next, "table") {
        return mysql_names_and_intervals(doc, stmt, &masked, &lower);
    }
    let open = at + lower[at..].find('(')?;
    let close = matching_paren(&masked, open)?;
    let mut name_at = skip_ws(&lower, next + "table".len());
    if lower[name_at..].starts_with("if not exists") {
        name_at = skip_ws(&lower, name_at + "if not exists".len());
    }
    let table_name = text[name_at..open].trim();
    let mut rw = Rewrite::default();
    spellings_anywhere(text, &masked, &lower, &mut rw);
    let sql_server = brackets(text, &masked, &mut rw) || sql_server_traits(&lower);
    let table = unquote_backticks(table_name);
    let parts = elements(text, &lower, open, close);
    let keys = key_columns(&lower, &parts);
    for (range, element) in parts {
        match element {
            Element::Column { name, rest } => {
                let key = keys.contains(&unquote_backticks(&name).to_lowercase());
                let cx = ColumnContext {
                    table: &table,
                    sql_server,
                    key,
                };
                column(text, &lower, &name, rest, &cx, &mut rw);
            }
            Element::Index {
                unique,
                name,
                columns,
            } => {
                // The element and the comma before it (or after it, for the first one).
                let before = lower[..range.start].trim_end();
                let delete = if before.ends_with(',') {
                    before.len() - 1..range.end
                } else {
                    let after = skip_ws(&lower, range.end);
                    range.start..if lower[after..].starts_with(',') {
                        after + 1
                    } else {
                        range.end
                    }
                };
                rw.edit(delete, "", "KEY elements as CREATE INDEX");
                rw.after.push(format!(
                    "CREATE {}INDEX {}ON {table} ({})",
                    if unique { "UNIQUE " } else { "" },
                    name.map(|n| format!("{n} ")).unwrap_or_default(),
                    unquote_backticks(&columns)
                ));
            }
            Element::Other => {
                clustered(&lower, range.clone(), &mut rw);
                // `PRIMARY KEY (id) USING BTREE`: the index method is PostgreSQL's own choice.
                for using in word_positions(&lower[range.clone()], "using") {
                    let from = range.start + using;
                    let to = skip_ws(&lower, from + "using".len());
                    for method in ["btree", "hash"] {
                        if word_at(&lower, to, method) {
                            rw.edit(from..to + method.len(), "", "index methods");
                        }
                    }
                }
            }
        }
    }
    tablespaces(&lower, &mut rw);
    table_options(text, &lower, close, &table, &mut rw);
    filegroup(&lower, close + 1, &mut rw);
    sqlite_table_options(&lower, close + 1, &mut rw);
    finish(doc, stmt, text, rw)
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS ON t (a, b)`: PostgreSQL needs the
/// index's name to tell whether it exists; the fix writes the name PostgreSQL gives such an
/// index itself (`t_a_b_idx`), so the statement stays idempotent and creates the same index.
fn unnamed_index_if_not_exists(doc: &Document, stmt: &Statement, lower: &str) -> Option<FixPlan> {
    let at = word_positions(lower, "if").into_iter().find(|&i| {
        let n = skip_ws(lower, i + 2);
        word_at(lower, n, "not") && word_at(lower, skip_ws(lower, n + 3), "exists")
    })?;
    let n = skip_ws(lower, at + 2);
    let after = skip_ws(lower, skip_ws(lower, n + 3) + "exists".len());
    if !word_at(lower, after, "on") {
        return None;
    }
    let mut t = skip_ws(lower, after + 2);
    if word_at(lower, t, "only") {
        t = skip_ws(lower, t + 4);
    }
    let table_len = lower[t..]
        .bytes()
        .position(|b| !(is_ident_byte(b) || b == b'.'))
        .unwrap_or(lower.len() - t);
    let table = lower[t..t + table_len].rsplit('.').next()?;
    let open = t + table_len + lower[t + table_len..].find('(')?;
    let close = matching_paren(lower, open)?;
    let mut columns = Vec::new();
    for part in lower[open + 1..close].split(',') {
        let column = part.split_whitespace().next()?;
        if column.is_empty() || !column.bytes().all(is_ident_byte) {
            return None;
        }
        columns.push(column);
    }
    if table.is_empty() || columns.is_empty() {
        return None;
    }
    let mut name = format!("{table}_{}_idx", columns.join("_"));
    // PostgreSQL's identifiers are at most 63 bytes (ASCII here: the parts are identifier bytes).
    name.truncate(63);
    let mut rw = Rewrite::default();
    rw.edit(
        after..after,
        format!("{name} "),
        "the index's own name for IF NOT EXISTS",
    );
    finish(doc, stmt, &stmt.text, rw)
}

/// `ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c <type> …` and `ALTER [COLUMN] c [SET DATA]
/// TYPE <type>` with another system's type (`tinyint(1)`, `datetime`, `NVARCHAR(40)`): the
/// column definitions rewritten as in a `CREATE TABLE`.
fn alter_table_columns(
    doc: &Document,
    stmt: &Statement,
    masked: &str,
    lower: &str,
) -> Option<FixPlan> {
    let text = stmt.text.as_str();
    let mut p = skip_ws(lower, skip_ws(lower, 0) + "alter".len());
    if !word_at(lower, p, "table") {
        return None;
    }
    p = skip_ws(lower, p + "table".len());
    for optional in ["if exists", "only"] {
        if lower[p..].starts_with(optional) {
            p = skip_ws(lower, p + optional.len());
        }
    }
    let table_len = lower[p..]
        .bytes()
        .position(|b| !(is_ident_byte(b) || matches!(b, b'.' | b'"' | b'`')))
        .unwrap_or(lower.len() - p);
    let table = unquote_backticks(&text[p..p + table_len]);
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut rw = Rewrite::default();
    spellings_anywhere(text, masked, lower, &mut rw);
    // The clauses, split at top-level commas.
    let mut clauses = Vec::new();
    let (mut depth, mut start) = (0usize, p + table_len);
    for (i, b) in lower.bytes().enumerate().take(end).skip(start) {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                clauses.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    clauses.push(start..end);
    for clause in clauses {
        let mut q = skip_ws(lower, clause.start);
        let words: &[&str] = if word_at(lower, q, "add") {
            &["add", "column", "if not exists"]
        } else if word_at(lower, q, "alter") {
            &["alter", "column"]
        } else {
            continue;
        };
        for w in words {
            if lower[q..].starts_with(w) && word_at(lower, q, w.split(' ').next().unwrap_or(w)) {
                q = skip_ws(lower, q + w.len());
            }
        }
        let name_len = lower[q..clause.end]
            .bytes()
            .position(|b| !(is_ident_byte(b) || matches!(b, b'"' | b'`' | b'[' | b']')))
            .unwrap_or(clause.end - q);
        if name_len == 0 || NOT_A_COLUMN.contains(&&lower[q..q + name_len]) {
            continue;
        }
        let name = &text[q..q + name_len];
        let mut rest = q + name_len;
        if words[0] == "alter" {
            // `ALTER COLUMN c [SET DATA] TYPE t`: the definition starts at the type.
            let mut r = skip_ws(lower, rest);
            for w in ["set data", "type"] {
                if lower[r..].starts_with(w) {
                    r = skip_ws(lower, r + w.len());
                }
            }
            if r == skip_ws(lower, rest) {
                continue;
            }
            rest = r;
        }
        let cx = ColumnContext {
            table: &table,
            sql_server: false,
            key: false,
        };
        column(text, lower, name, rest..clause.end, &cx, &mut rw);
    }
    finish(doc, stmt, text, rw)
}

/// MySQL's `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name USING BTREE ON t (…)`: the method goes
/// after the table (`ON t USING btree (…)`); FULLTEXT and SPATIAL become a plain index (their
/// searches are PostgreSQL's `to_tsvector` with a GIN index and PostGIS: said in the title).
/// `at` is where the word after CREATE starts.
fn mysql_index(
    doc: &Document,
    stmt: &Statement,
    masked: &str,
    lower: &str,
    at: usize,
) -> Option<FixPlan> {
    let text = stmt.text.as_str();
    let mut rw = Rewrite::default();
    spellings_anywhere(text, masked, lower, &mut rw);
    for (kind, lost) in [
        ("fulltext", "FULLTEXT as a plain index (full-text search in PostgreSQL is a GIN index on to_tsvector(…))"),
        ("spatial", "SPATIAL as a plain index (spatial search in PostgreSQL is PostGIS's GiST index)"),
    ] {
        if word_at(lower, at, kind) {
            rw.edit(at..skip_ws(lower, at + kind.len()), "", "MySQL's index syntax");
            rw.lost.push(lost);
        }
    }
    // `USING method` before `ON`.
    if let Some(on) = word_positions(lower, "on").into_iter().next() {
        if let Some(using) = word_positions(&lower[..on], "using").into_iter().next() {
            let method_at = skip_ws(lower, using + "using".len());
            let method_len = lower[method_at..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(lower.len() - method_at);
            let method = lower[method_at..method_at + method_len].to_string();
            let open = on + lower[on..].find('(')?;
            rw.edit(
                using..skip_ws(lower, method_at + method_len),
                "",
                "MySQL's index syntax",
            );
            rw.edit(
                open..open,
                format!("USING {method} "),
                "MySQL's index syntax",
            );
        }
    }
    tablespaces(lower, &mut rw);
    finish(doc, stmt, text, rw)
}

/// MySQL's `DROP INDEX name ON t`: an index's name is enough in PostgreSQL (`DROP INDEX name`).
fn mysql_drop_index(
    doc: &Document,
    stmt: &Statement,
    masked: &str,
    lower: &str,
) -> Option<FixPlan> {
    let head = skip_ws(lower, 0);
    let index = skip_ws(lower, head + "drop".len());
    if !word_at(lower, head, "drop") || !word_at(lower, index, "index") {
        return None;
    }
    let on = word_positions(lower, "on").into_iter().next()?;
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let text = stmt.text.as_str();
    let mut rw = Rewrite::default();
    backticks(text, masked, &mut rw);
    let start = lower[..on].trim_end().len();
    rw.edit(start..end, "", "MySQL's index syntax");
    finish(doc, stmt, text, rw)
}

/// Any other statement (`INSERT`, `SELECT`, `CREATE VIEW`, `ALTER TABLE`) in MySQL's dialect:
/// `` `quoted` `` names and `INTERVAL 7 DAY`. PostgreSQL has no backtick outside a string or a
/// comment, so one there is MySQL's quoting, whatever the statement.
fn mysql_names_and_intervals(
    doc: &Document,
    stmt: &Statement,
    masked: &str,
    lower: &str,
) -> Option<FixPlan> {
    let text = stmt.text.as_str();
    let mut rw = Rewrite::default();
    spellings_anywhere(text, masked, lower, &mut rw);
    tablespaces(lower, &mut rw);
    insert_ignore(lower, &mut rw);
    finish(doc, stmt, text, rw)
}

/// MySQL's `INSERT IGNORE INTO` and SQLite's `INSERT OR IGNORE INTO`: the rows that would
/// break a unique key are skipped, which PostgreSQL writes `ON CONFLICT DO NOTHING` at the end.
fn insert_ignore(lower: &str, rw: &mut Rewrite) {
    let head = skip_ws(lower, 0);
    if !word_at(lower, head, "insert") {
        return;
    }
    let from = skip_ws(lower, head + "insert".len());
    let mut at = from;
    if word_at(lower, at, "or") {
        at = skip_ws(lower, at + "or".len());
    }
    if !word_at(lower, at, "ignore") {
        return;
    }
    let into = skip_ws(lower, at + "ignore".len());
    if !word_at(lower, into, "into") {
        return;
    }
    let body = lower.trim_end();
    let end = body
        .strip_suffix(';')
        .map_or(body.len(), |b| b.trim_end().len());
    const WHAT: &str = "INSERT IGNORE as ON CONFLICT DO NOTHING";
    rw.edit(from..into, "", WHAT);
    rw.edit(end..end, " ON CONFLICT DO NOTHING", WHAT);
}

/// Another system's functions that PostgreSQL spells differently, in a statement PostgreSQL
/// reports one of as missing: `NVL(a, b)` and `IFNULL(a, b)` (and SQL Server's two-argument
/// `ISNULL`) as `COALESCE(a, b)`, `GETDATE()` and `SYSDATETIME()` as `CURRENT_TIMESTAMP`.
pub(in crate::check) fn other_functions(
    doc: &Document,
    stmt: &Statement,
    err: &crate::diagnostics::PgDetails,
) -> Option<FixPlan> {
    // `function nvl(numeric, integer) does not exist`: only the function PostgreSQL named.
    let missing = err
        .message
        .strip_prefix("function ")?
        .split('(')
        .next()?
        .trim()
        .to_ascii_lowercase();
    let text = stmt.text.as_str();
    let masked = mask_quotes_and_comments(text);
    let lower = masked.to_ascii_lowercase();
    let mut rw = Rewrite::default();
    for at in word_positions(&lower, &missing) {
        let open = skip_ws(&lower, at + missing.len());
        if !lower[open..].starts_with('(') {
            continue;
        }
        let Some(close) = matching_paren(&lower, open) else {
            continue;
        };
        let args = top_level_commas(&lower[open + 1..close]);
        match (missing.as_str(), args) {
            ("nvl" | "ifnull" | "isnull", 1) => {
                rw.edit(at..open, "COALESCE", "other systems' functions");
            }
            ("getdate" | "sysdatetime", 0) if lower[open + 1..close].trim().is_empty() => {
                rw.edit(
                    at..close + 1,
                    "CURRENT_TIMESTAMP",
                    "other systems' functions",
                );
            }
            _ => {}
        }
    }
    finish(doc, stmt, text, rw)
}

/// The fix made of `rw`'s edits, or `None` when there is nothing to rewrite.
fn finish(doc: &Document, stmt: &Statement, text: &str, mut rw: Rewrite) -> Option<FixPlan> {
    if rw.changes.is_empty() {
        return None;
    }
    let title = format!(
        "rewrite another system's dialect for PostgreSQL: {}{}",
        rw.changes.join(", "),
        if rw.lost.is_empty() {
            String::new()
        } else {
            format!(" ({})", rw.lost.join("; "))
        }
    );
    let applicability = if !rw.lost.is_empty() {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    // Overlapping edits (a backtick name inside a removed element) keep the outer one.
    rw.edits
        .sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut kept: Vec<(Range<usize>, String)> = Vec::new();
    for (r, s) in rw.edits {
        if kept.last().is_some_and(|(k, _)| r.start < k.end) {
            continue;
        }
        kept.push((r, s));
    }
    let mut plan = edit_plan(doc, stmt, title, applicability, kept);
    if !rw.after.is_empty() {
        let terminator = if text.trim_end().ends_with(';') {
            ""
        } else {
            ";"
        };
        plan.fix.edits.push(crate::diagnostics::Edit {
            range: crate::text::TextRange::empty(stmt.range.end),
            replacement: format!(
                "{terminator}\n{}",
                rw.after
                    .iter()
                    .map(|c| format!("{c};"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        });
        plan.after = rw.after;
    }
    Some(plan)
}

/// The elements of the list between `open` and `close`, split at top-level commas.
/// The columns the table's PRIMARY KEY, UNIQUE and FOREIGN KEY elements name, unquoted and
/// lowercased.
fn key_columns(lower: &str, parts: &[(Range<usize>, Element)]) -> Vec<String> {
    let mut out = Vec::new();
    for (range, element) in parts {
        let part = &lower[range.clone()];
        let at = match element {
            Element::Column { .. } => continue,
            Element::Index { unique: false, .. } => continue,
            Element::Index { unique: true, .. } => word_positions(part, "unique").first().copied(),
            Element::Other => ["primary", "foreign", "unique"]
                .iter()
                .find_map(|w| word_positions(part, w).first().copied()),
        };
        let Some(at) = at else { continue };
        let Some(open) = part[at..].find('(').map(|i| at + i) else {
            continue;
        };
        let Some(close) = matching_paren(part, open) else {
            continue;
        };
        out.extend(
            part[open + 1..close]
                .split(',')
                .map(|c| unquote_backticks(c.trim()).trim_matches('"').to_owned())
                .filter(|c| !c.is_empty()),
        );
    }
    out
}

fn elements(text: &str, lower: &str, open: usize, close: usize) -> Vec<(Range<usize>, Element)> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    for (i, b) in lower.bytes().enumerate().take(close + 1).skip(open + 1) {
        match b {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b',' | b')' if depth == 0 => {
                let s = skip_ws(lower, start);
                let e = start + lower[start..i].trim_end().len();
                if s < e {
                    out.push((s..e, element(text, lower, s..e)));
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

fn element(text: &str, lower: &str, range: Range<usize>) -> Element {
    let part = &lower[range.clone()];
    let first_len = part
        .bytes()
        .position(|b| !(is_ident_byte(b) || matches!(b, b'`' | b'"' | b'[' | b']')))
        .unwrap_or(part.len());
    let first = &part[..first_len];
    if !NOT_A_COLUMN.contains(&first) {
        let name = text[range.start..range.start + first_len].to_string();
        return Element::Column {
            name,
            rest: range.start + first_len..range.end,
        };
    }
    // `[UNIQUE|FULLTEXT|SPATIAL] KEY|INDEX [name] (cols)`
    let word_end = |p: usize| {
        p + part[p..]
            .bytes()
            .position(|b| !is_ident_byte(b))
            .unwrap_or(part.len() - p)
    };
    let mut p = 0;
    let mut unique = false;
    if matches!(first, "unique" | "fulltext" | "spatial") {
        unique = first == "unique";
        p = skip_ws(part, word_end(0));
    }
    let keyword = &part[p..word_end(p)];
    if !matches!(keyword, "key" | "index") {
        if first == "fulltext" || first == "spatial" {
            // `FULLTEXT (cols)` without KEY: the element still is an index.
        } else {
            return Element::Other;
        }
    } else {
        p = word_end(p);
    }
    let Some(paren) = part[p..].find('(').map(|i| p + i) else {
        return Element::Other;
    };
    let Some(end) = matching_paren(part, paren) else {
        return Element::Other;
    };
    let name = text[range.start + p..range.start + paren].trim();
    let columns = text[range.start + paren + 1..range.start + end]
        .trim()
        .to_string();
    Element::Index {
        unique,
        name: (!name.is_empty()).then(|| unquote_backticks(name)),
        columns,
    }
}

/// Oracle's sequence options: `NOCACHE`, `NOORDER`/`ORDER` (PostgreSQL's sequences are
/// neither cached across sessions by default nor ordered across nodes) and `NOCYCLE`,
/// `NOMAXVALUE`, `NOMINVALUE` (PostgreSQL writes them as two words).
fn sequence_options(doc: &Document, stmt: &Statement, lower: &str) -> Option<FixPlan> {
    let mut edits = Vec::new();
    for (word, ours) in [
        ("nocache", ""),
        ("noorder", ""),
        ("order", ""),
        ("nocycle", "NO CYCLE"),
        ("nomaxvalue", "NO MAXVALUE"),
        ("nominvalue", "NO MINVALUE"),
    ] {
        for at in word_positions(lower, word) {
            edits.push((at..at + word.len(), ours.to_string()));
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "rewrite another system's dialect for PostgreSQL: Oracle's sequence options".into(),
        Applicability::Safe,
        edits,
    ))
}

#[cfg(test)]
mod tests;
