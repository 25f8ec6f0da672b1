//! A `CREATE TABLE` written in another system's dialect, as design documents often carry it
//! from an earlier system: MySQL's `` `quoted` `` names, `AUTO_INCREMENT`, `INT(11) UNSIGNED`,
//! `DATETIME`, `TINYINT(1)`, `ENUM(…)`, `UNIQUE KEY`/`KEY` elements, `COMMENT '…'` and the table
//! options after the closing parenthesis (`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`); Oracle's
//! and SQL Server's type names (`NUMBER(10)`, `VARCHAR2(60)`, `CLOB`, `NVARCHAR(40)`), through
//! the one table of other systems' spellings (`pgspec_sql::types`); SQL Server's `[quoted]`
//! names and `dbo.` schema, `IDENTITY(1,1)`, `BIT`, `[NON]CLUSTERED` and `ON [PRIMARY]`, in
//! its `CREATE TABLE` and `CREATE INDEX`; SQLite's `AUTOINCREMENT`, `COLLATE NOCASE`,
//! `datetime('now')` and `WITHOUT ROWID`/`STRICT`.
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

mod sql_server;
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
        return mysql_names_and_intervals(doc, stmt, &masked, &lower);
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
    if ["unique", "clustered", "nonclustered", "index"]
        .iter()
        .any(|w| word_at(&lower, next, w))
    {
        return sql_server_index(doc, stmt, &masked, &lower)
            .or_else(|| unnamed_index_if_not_exists(doc, stmt, &lower))
            .or_else(|| mysql_names_and_intervals(doc, stmt, &masked, &lower));
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
    backticks(text, &masked, &mut rw);
    mysql_intervals(text, &lower, &mut rw);
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
    backticks(text, masked, &mut rw);
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
    backticks(text, masked, &mut rw);
    mysql_intervals(text, lower, &mut rw);
    tablespaces(lower, &mut rw);
    finish(doc, stmt, text, rw)
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

/// How many commas `inner` has outside parentheses.
fn top_level_commas(inner: &str) -> usize {
    let mut depth = 0usize;
    let mut commas = 0;
    for b in inner.bytes() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => commas += 1,
            _ => {}
        }
    }
    commas
}

/// `[USING INDEX] TABLESPACE name` (Oracle's and PostgreSQL's storage placement): the
/// document's tablespaces are the production server's, never the scratch database's, and
/// where a table is stored does not change what it holds.
fn tablespaces(lower: &str, rw: &mut Rewrite) {
    for at in word_positions(lower, "tablespace") {
        let name = skip_ws(lower, at + "tablespace".len());
        let len = lower[name..]
            .bytes()
            .position(|b| !(is_ident_byte(b) || b == b'"'))
            .unwrap_or(lower.len() - name);
        if len == 0 {
            continue;
        }
        let mut start = at;
        let before = lower[..at].trim_end();
        // A column named `tablespace` starts an element.
        if before.ends_with(['(', ',']) {
            continue;
        }
        if before.ends_with("using index") {
            start = before.len() - "using index".len();
        }
        let start = lower[..start].trim_end().len();
        rw.edit(start..name + len, "", "tablespaces");
    }
}

/// MySQL's `INTERVAL 7 DAY` (a bare number and a unit) as PostgreSQL's `INTERVAL '7 day'`.
/// PostgreSQL's own `INTERVAL '7' DAY` has a string there and is left alone.
fn mysql_intervals(text: &str, lower: &str, rw: &mut Rewrite) {
    const UNITS: &[&str] = &[
        "microsecond",
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
    ];
    for at in word_positions(lower, "interval") {
        let n = skip_ws(lower, at + "interval".len());
        let sign = usize::from(lower[n..].starts_with('-'));
        let digits = lower[n + sign..]
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if digits == 0 {
            continue;
        }
        let number_end = n + sign + digits;
        let u = skip_ws(lower, number_end);
        if u == number_end {
            continue;
        }
        let Some(unit) = UNITS.iter().find(|w| word_at(lower, u, w)) else {
            continue;
        };
        rw.edit(
            at..u + unit.len(),
            format!("INTERVAL '{} {unit}'", &text[n..number_end]),
            "INTERVAL n UNIT as an interval literal",
        );
    }
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

/// `` `Name` `` → `name` (quoted only where PostgreSQL needs it). MySQL compares column names
/// without case, so the lowercase name is the one every other statement's plain name meets.
fn backticks(text: &str, masked: &str, rw: &mut Rewrite) {
    let mut from = 0;
    while let Some(open) = masked[from..].find('`').map(|i| from + i) {
        let Some(close) = masked[open + 1..].find('`').map(|i| open + 1 + i) else {
            return;
        };
        let name = &text[open + 1..close];
        if !name.is_empty() {
            rw.edit(
                open..close + 1,
                quote_ident(&name.to_lowercase()),
                "names in backticks",
            );
        }
        from = close + 1;
    }
}

fn unquote_backticks(text: &str) -> String {
    let text = &unquote_brackets(text);
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            out.push_str(&quote_ident(&part.to_lowercase()));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// SQLite's `WITHOUT ROWID` and `STRICT` after the list (PostgreSQL's tables have no rowid
/// and always check their types).
fn sqlite_table_options(lower: &str, from: usize, rw: &mut Rewrite) {
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut p = skip_ws(lower, from);
    let start = p;
    loop {
        if word_at(lower, p, "without") {
            let q = skip_ws(lower, p + "without".len());
            if !word_at(lower, q, "rowid") {
                break;
            }
            p = skip_ws(lower, q + "rowid".len());
        } else if word_at(lower, p, "strict") {
            p = skip_ws(lower, p + "strict".len());
        } else {
            break;
        }
        if lower[p..].starts_with(',') {
            p = skip_ws(lower, p + 1);
        }
    }
    if p > start {
        rw.edit(start..p.min(end), "", "SQLite's table options");
    }
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

/// PostgreSQL's type for MySQL's `word(args)` (`unsigned`: widened so every value fits), and
/// what the change is called; `None` when the type is PostgreSQL's already.
fn pg_type(
    word: &str,
    args: Option<&str>,
    unsigned: bool,
    next: &str,
    sql_server: bool,
) -> Option<(String, &'static str)> {
    let args = args.map(str::trim);
    let named = |t: &str| Some((t.to_string(), "other systems' type names"));
    match word {
        // SQL Server's 0/1 flag; PostgreSQL's `bit` is a bit string.
        "bit" if sql_server && args.is_none() => Some(("boolean".into(), "BIT as boolean")),
        "tinyint" if args == Some("1") && !unsigned => {
            Some(("boolean".into(), "TINYINT(1) as boolean"))
        }
        "tinyint" => named("smallint"),
        "mediumint" => named("integer"),
        "smallint" | "int" | "integer" | "bigint" if unsigned => Some((
            match word {
                "smallint" => "integer",
                "bigint" => "numeric(20)",
                _ => "bigint",
            }
            .into(),
            "UNSIGNED as a wider type",
        )),
        "smallint" | "int" | "integer" | "bigint" if args.is_some() => {
            Some((word.to_string(), "integer display widths"))
        }
        "datetime" => named(&match args {
            Some(p) => format!("timestamp({p})"),
            None => "timestamp".into(),
        }),
        "double" if next != "precision" => named("double precision"),
        "tinytext" | "mediumtext" | "longtext" => named("text"),
        "tinyblob" | "blob" | "mediumblob" | "longblob" | "binary" | "varbinary" => named("bytea"),
        "year" => named("smallint"),
        _ => None,
    }
}

/// Oracle's `[schema.]sequence.NEXTVAL` at `at`: its end and the sequence's name as
/// PostgreSQL's `nextval` takes it.
fn oracle_nextval(text: &str, lower: &str, at: usize) -> Option<(usize, String)> {
    let len = lower[at..]
        .bytes()
        .position(|b| !(is_ident_byte(b) || b == b'.'))
        .unwrap_or(lower.len() - at);
    let written = &lower[at..at + len];
    let sequence = written.strip_suffix(".nextval")?;
    if sequence.is_empty() || sequence.ends_with('.') {
        return None;
    }
    Some((at + len, text[at..at + sequence.len()].to_lowercase()))
}

/// `VARCHAR2(200 CHAR)` / `VARCHAR2(200 BYTE)` as `VARCHAR2(200)`: Oracle's length
/// semantics; PostgreSQL's lengths are in characters.
fn oracle_length_semantics(written: &str) -> String {
    let Some(open) = written.find('(') else {
        return written.to_owned();
    };
    let Some(close) = written.rfind(')') else {
        return written.to_owned();
    };
    let args = written[open + 1..close].trim();
    let lower = args.to_ascii_lowercase();
    for unit in [" char", " byte"] {
        if let Some(n) = lower.strip_suffix(unit) {
            return format!(
                "{}({}){}",
                &written[..open],
                n.trim(),
                &written[close + 1..]
            );
        }
    }
    written.to_owned()
}

/// The integer type an identity column of PostgreSQL type `ty` takes when `ty` is a `numeric`
/// without fraction digits (PostgreSQL refuses an identity of any other type); `None` when `ty`
/// is not such a numeric.
fn identity_integer(ty: &str) -> Option<&'static str> {
    let args = ty.trim().strip_prefix("numeric")?.trim();
    if args.is_empty() {
        return Some("bigint");
    }
    let inner = args.strip_prefix('(')?.strip_suffix(')')?;
    let mut parts = inner.split(',').map(str::trim);
    let precision: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some_and(|scale| scale != "0") {
        return None;
    }
    Some(match precision {
        0..=4 => "smallint",
        5..=9 => "integer",
        _ => "bigint",
    })
}

/// What a column's rewrite needs to know about its table.
struct ColumnContext<'a> {
    /// The table's name, as the rewrite spells it.
    table: &'a str,
    /// The statement is SQL Server's (`[names]`, `IDENTITY(1,1)`).
    sql_server: bool,
    /// The column is in a PRIMARY KEY, UNIQUE or FOREIGN KEY element of the table.
    key: bool,
}

/// A column definition after its name: the type, `UNSIGNED`, `AUTO_INCREMENT`, character set
/// and collation clauses, `ON UPDATE CURRENT_TIMESTAMP`, `COMMENT '…'`.
fn column(
    text: &str,
    lower: &str,
    name: &str,
    rest: Range<usize>,
    cx: &ColumnContext<'_>,
    rw: &mut Rewrite,
) {
    let &ColumnContext {
        table,
        sql_server,
        key,
    } = cx;
    let column = unquote_backticks(name);
    let t = skip_ws(lower, rest.start).min(rest.end);
    let type_len = lower[t..rest.end]
        .bytes()
        .position(|b| !is_ident_byte(b))
        .unwrap_or(rest.end - t);
    let word = &lower[t..t + type_len];
    let mut type_end = t + type_len;
    let mut args: Option<&str> = None;
    let after_word = skip_ws(lower, type_end).min(rest.end);
    if lower[after_word..rest.end].starts_with('(') {
        if let Some(close) = matching_paren(lower, after_word) {
            args = Some(&text[after_word + 1..close]);
            type_end = close + 1;
        }
    }
    let mut unsigned_range: Option<Range<usize>> = None;
    let mut p = skip_ws(lower, type_end);
    for flag in ["unsigned", "zerofill", "unsigned"] {
        if p < rest.end && word_at(lower, p, flag) {
            let end = p + flag.len();
            unsigned_range = Some(unsigned_range.map_or(p..end, |r| r.start..end));
            p = skip_ws(lower, end);
        }
    }
    let unsigned = unsigned_range.is_some();
    let next_len = lower[after_word..rest.end]
        .bytes()
        .position(|b| !is_ident_byte(b))
        .unwrap_or(rest.end - after_word);
    let next = &lower[after_word..after_word + next_len];
    // Attributes after the type.
    let attrs = &lower[type_end..rest.end];
    let identity = ["auto_increment", "autoincrement", "identity"]
        .iter()
        .any(|w| !word_positions(attrs, w).is_empty());
    // A key: MySQL's foreign keys join columns of one type, and an auto-increment id
    // (an identity below) keeps an integer type, so every unsigned key column does.
    let key = key
        || ["primary", "unique", "references"]
            .iter()
            .any(|w| !word_positions(attrs, w).is_empty());
    if word == "enum" {
        if let Some(values) = args {
            rw.edit(
                t..type_end,
                format!("text CHECK ({column} IN ({values}))"),
                "ENUM as text with a CHECK",
            );
        }
    } else if word == "set" && args.is_some() {
        rw.edit(t..type_end, "text[]", "SET as text[]");
    } else if let Some((ty, what)) = pg_type(word, args, unsigned, next, sql_server).or_else(|| {
        // Oracle's and SQL Server's names, as the one table of other spellings knows them.
        let written = &oracle_length_semantics(&text[t..type_end]);
        (is_foreign_spelling(written) && !(word == "double" && next == "precision"))
            .then(|| normalize_type(written))
            .flatten()
            .map(|pg| (pg, "other systems' type names"))
    }) {
        // An identity takes smallint, integer or bigint only: MySQL's `BIGINT UNSIGNED
        // AUTO_INCREMENT` and Oracle's `NUMBER(10) GENERATED … AS IDENTITY` count rows, so the
        // integer type that holds the declared precision (bigint beyond it) keeps the key.
        // Foreign keys join columns of one type, so the other key columns of those spellings
        // (MySQL's `BIGINT UNSIGNED`, Oracle's `NUMBER(6)`: the primary key and the columns
        // that reference it) take the same integer type.
        let ty = if identity || (key && (what == "UNSIGNED as a wider type" || word == "number")) {
            identity_integer(&ty).map_or(ty, str::to_owned)
        } else {
            ty
        };
        let boolean = ty == "boolean";
        rw.edit(t..type_end, ty, what);
        if boolean {
            boolean_defaults(text, lower, rest.clone(), what, rw);
        }
    } else if matches!(word, "boolean" | "bool") {
        // SQLite's and MySQL's booleans are numbers: `DEFAULT 0`.
        boolean_defaults(text, lower, rest.clone(), "0/1 defaults of booleans", rw);
    }
    if let Some(r) = unsigned_range {
        let end = skip_ws(lower, r.end);
        rw.edit(r.start..end, "", "UNSIGNED as a wider type");
    }
    // Defaults other systems spell as their own functions.
    for d in word_positions(attrs, "default") {
        let v = skip_ws(lower, type_end + d + "default".len());
        for (function, ours) in [
            ("sysdate", "CURRENT_TIMESTAMP"),
            ("systimestamp", "CURRENT_TIMESTAMP"),
            ("getdate()", "CURRENT_TIMESTAMP"),
            ("sysdatetime()", "CURRENT_TIMESTAMP"),
            ("getutcdate()", "(now() AT TIME ZONE 'UTC')"),
            ("newid()", "gen_random_uuid()"),
        ] {
            let bare = function.trim_end_matches("()");
            if word_at(lower, v, bare) {
                let end = if function.ends_with("()") {
                    let open = skip_ws(lower, v + bare.len());
                    if !lower[open..].starts_with('(') {
                        continue;
                    }
                    matching_paren(lower, open).map_or(open, |c| c + 1)
                } else {
                    v + bare.len()
                };
                rw.edit(v..end, ours, "other systems' default functions");
            }
        }
        // Oracle's `seq.NEXTVAL`.
        if let Some((end, sequence)) = oracle_nextval(text, lower, v) {
            rw.edit(
                v..end,
                format!("nextval({})", quote_literal(&sequence)),
                "other systems' default functions",
            );
        }
        // SQLite's `datetime('now')` (its string is masked in `lower`: read the text).
        let written = text[v..].to_ascii_lowercase();
        for form in ["(datetime('now'))", "datetime('now')"] {
            if written.starts_with(form) {
                rw.edit(
                    v..v + form.len(),
                    "CURRENT_TIMESTAMP",
                    "other systems' default functions",
                );
                break;
            }
        }
    }
    // SQL Server's `IDENTITY(seed, increment)`, not PostgreSQL's `AS IDENTITY`.
    for at in word_positions(attrs, "identity") {
        let a = type_end + at;
        if lower[..a].trim_end().ends_with("as") {
            continue;
        }
        let open = skip_ws(lower, a + "identity".len());
        let (end, options) = match lower[open..]
            .starts_with('(')
            .then(|| matching_paren(lower, open))
            .flatten()
        {
            Some(close) => {
                let args: Vec<&str> = text[open + 1..close].split(',').map(str::trim).collect();
                let options = match args.as_slice() {
                    ["1", "1"] | [] => String::new(),
                    [seed, step] => format!(" (START WITH {seed} INCREMENT BY {step})"),
                    _ => continue,
                };
                (close + 1, options)
            }
            None => (a + "identity".len(), String::new()),
        };
        rw.edit(
            a..end,
            format!("GENERATED BY DEFAULT AS IDENTITY{options}"),
            "IDENTITY as PostgreSQL's identity",
        );
    }
    clustered(lower, type_end..rest.end, rw);
    for word in ["auto_increment", "autoincrement"] {
        for at in word_positions(attrs, word) {
            let a = type_end + at;
            rw.edit(
                a..a + word.len(),
                "GENERATED BY DEFAULT AS IDENTITY",
                "auto-increment as an identity",
            );
        }
    }
    for on in word_positions(attrs, "on") {
        let o = type_end + on;
        let u = skip_ws(lower, o + 2);
        if !word_at(lower, u, "update") {
            continue;
        }
        let v = skip_ws(lower, u + "update".len());
        for now in ["current_timestamp", "now()", "localtimestamp"] {
            if lower[v..].starts_with(now) {
                let mut end = v + now.len();
                if lower[end..].starts_with('(') {
                    end = matching_paren(lower, end).map_or(end, |c| c + 1);
                }
                rw.edit(o..end, "", "ON UPDATE dropped");
                lose(
                    rw,
                    "ON UPDATE CURRENT_TIMESTAMP has no column form here: add a trigger if it matters",
                );
            }
        }
    }
    for clause in ["character set", "charset", "collate"] {
        for c in word_positions(attrs, clause) {
            let from = type_end + c;
            let v = skip_ws(lower, from + clause.len());
            let v = if lower[v..].starts_with('=') {
                skip_ws(lower, v + 1)
            } else {
                v
            };
            let len = lower[v..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(lower.len() - v);
            // PostgreSQL's own `COLLATE "C"` is quoted (masked here), `pg_catalog."default"`
            // qualified: only MySQL's character sets and collations, and SQLite's.
            if len > 0 && is_mysql_charset(&lower[v..v + len]) {
                rw.edit(from..v + len, "", "character sets and collations");
            } else if clause == "collate" && matches!(&lower[v..v + len], "nocase" | "rtrim") {
                rw.edit(from..v + len, "", "SQLite's collations");
                lose(
                    rw,
                    "COLLATE NOCASE compared without case: use citext or lower() in a unique index if it matters",
                );
            } else if clause == "collate" && &lower[v..v + len] == "binary" {
                rw.edit(from..v + len, "", "SQLite's collations");
            }
        }
    }
    for c in word_positions(attrs, "comment") {
        let from = type_end + c;
        let v = skip_ws(lower, from + "comment".len());
        if !text[v..].starts_with('\'') {
            continue;
        }
        let Some(end) = string_end(text, v) else {
            continue;
        };
        rw.after.push(format!(
            "COMMENT ON COLUMN {table}.{column} IS {}",
            &text[v..end]
        ));
        rw.edit(from..end, "", "COMMENT as COMMENT ON");
    }
}

/// Say once that the rewrite loses `what` (the fix is then one to review).
fn lose(rw: &mut Rewrite, what: &'static str) {
    if !rw.lost.contains(&what) {
        rw.lost.push(what);
    }
}

/// A boolean column's default `0`/`1` (or `'0'`/`'1'`) as `false`/`true`.
fn boolean_defaults(
    text: &str,
    lower: &str,
    rest: Range<usize>,
    what: &'static str,
    rw: &mut Rewrite,
) {
    for d in word_positions(&lower[rest.clone()], "default") {
        let v = skip_ws(lower, rest.start + d + "default".len());
        for (written, value) in [
            ("0", "false"),
            ("1", "true"),
            ("'0'", "false"),
            ("'1'", "true"),
        ] {
            if text[v..].starts_with(written)
                && text
                    .as_bytes()
                    .get(v + written.len())
                    .is_none_or(|&b| !is_ident_byte(b))
            {
                rw.edit(v..v + written.len(), value, what);
            }
        }
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

fn is_mysql_charset(name: &str) -> bool {
    [
        "utf8", "latin1", "ascii", "binary", "ucs2", "utf16", "utf32", "big5", "gbk", "sjis",
        "euckr",
    ]
    .iter()
    .any(|c| name.starts_with(c))
}

/// The end (exclusive) of the single-quoted string starting at `start`.
fn string_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='…'` after the closing parenthesis.
fn table_options(text: &str, lower: &str, close: usize, table: &str, rw: &mut Rewrite) {
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut p = skip_ws(lower, close + 1);
    let start = p;
    let mut comment: Option<String> = None;
    while p < end {
        let Some(option) = TABLE_OPTIONS.iter().find(|o| word_at(lower, p, o)) else {
            break;
        };
        let mut q = skip_ws(lower, p + option.len());
        if *option == "default" || *option == "character" {
            // `DEFAULT CHARSET=…`, `DEFAULT COLLATE=…`, `CHARACTER SET=…`
            let len = lower[q..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(lower.len() - q);
            if len == 0 {
                break;
            }
            q = skip_ws(lower, q + len);
        }
        if lower[q..].starts_with('=') {
            q = skip_ws(lower, q + 1);
        }
        let value_end = if text[q..].starts_with('\'') {
            let e = string_end(text, q).unwrap_or(end);
            if *option == "comment" {
                comment = Some(text[q..e].to_string());
            }
            e
        } else {
            q + lower[q..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(end - q)
        };
        if value_end == q {
            break;
        }
        p = skip_ws(lower, value_end);
        if lower[p..].starts_with(',') {
            p = skip_ws(lower, p + 1);
        }
    }
    if p > start {
        rw.edit(
            close + 1..p.min(end),
            if p >= end { "" } else { " " },
            "table options",
        );
        if let Some(c) = comment {
            rw.after.push(format!("COMMENT ON TABLE {table} IS {c}"));
        }
    }
}

#[cfg(test)]
mod tests;
