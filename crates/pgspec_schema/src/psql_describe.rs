//! A reader for psql's description of a table pasted into a document (the output of `\d users`
//! or `\d+ users`, in a ```text or untagged block): what the database looks like, so a schema
//! source like a column table.
//!
//! ```text
//!                  Table "public.orders"
//!   Column   |     Type      | Collation | Nullable | Default
//! -----------+---------------+-----------+----------+---------
//!  id        | bigint        |           | not null | nextval('orders_id_seq'::regclass)
//!  client_id | bigint        |           | not null |
//! Indexes:
//!     "orders_pkey" PRIMARY KEY, btree (id)
//! Check constraints:
//!     "orders_total_check" CHECK (total >= 0::numeric)
//! Foreign-key constraints:
//!     "orders_client_id_fkey" FOREIGN KEY (client_id) REFERENCES clients(id) ON DELETE CASCADE
//! ```
//!
//! Columns come from the grid (by its header's names, so `\d+`'s extra columns and old psql's
//! `Modifiers` are read too), keys and indexes from `Indexes:`, checks from `Check
//! constraints:`, single-column foreign keys from `Foreign-key constraints:`. A `nextval(…)`
//! default or an identity makes the column serial. What pgspec cannot build from a line
//! (a composite foreign key, a partial index, a generated column) is a [`Problem`] at that
//! line (DOC007); `Referenced by:`, triggers, policies and the like describe other objects and
//! are left alone. It never panics.

#[cfg(test)]
mod tests;

use crate::document::{CodeBlock, Document};
use crate::erd::range;
use crate::text::TextRange;

pub use super::dbml::Problem;
use super::model::{normalize_type, DocColumn, DocIndex, DocTable, SourceKind, StatedKey};

/// The table psql describes at the start of a block: its name as printed (`public.users`)
/// and where the name is in the code.
fn title(code: &str) -> Option<(&str, usize)> {
    let start = code.len() - code.trim_start().len();
    let line = code[start..].lines().next()?.trim_end();
    for prefix in [
        "Table \"",
        "Unlogged table \"",
        "Partitioned table \"",
        "Foreign table \"",
    ] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let name = rest.strip_suffix('"')?;
            return Some((name, start + prefix.len()));
        }
    }
    None
}

/// Whether a block holds psql's description of a table: a `Table "…"` title over a `Column |
/// Type | …` header.
pub fn is_describe_block(block: &CodeBlock) -> bool {
    !block.is_sql && title(&block.code).is_some() && header(&block.code).is_some()
}

/// The grid's header: the column names of the grid (`Column`, `Type`, `Nullable`, …).
fn header(code: &str) -> Option<Vec<String>> {
    let line = code.trim_start().lines().nth(1)?;
    let cells: Vec<String> = line.split('|').map(|c| c.trim().to_string()).collect();
    (cells.len() >= 3 && cells[0] == "Column" && cells[1] == "Type").then_some(cells)
}

/// What one description says.
#[derive(Debug, Default)]
pub struct Reading {
    pub tables: Vec<DocTable>,
    pub indexes: Vec<DocIndex>,
    pub problems: Vec<Problem>,
}

/// The table's name as the document's other sources spell it: `public.` dropped, other
/// schemas kept; quoted parts unquoted.
fn table_name(printed: &str) -> String {
    let unquoted = printed.replace('"', "");
    let name = unquoted.strip_prefix("public.").unwrap_or(&unquoted);
    name.to_string()
}

/// The default psql prints, as the column's facts: a sequence or an identity makes the column
/// serial; a generated column is a problem (its expression is not a default).
enum DefaultCell {
    None,
    Serial,
    Value(String),
    /// An expression (`(now() + '1 day'::interval)`) the generated table would not carry.
    Expression,
    Generated,
}

fn default_cell(text: &str) -> DefaultCell {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if t.is_empty() {
        DefaultCell::None
    } else if lower.starts_with("nextval(") || lower.contains("as identity") {
        DefaultCell::Serial
    } else if lower.starts_with("generated always as (") {
        DefaultCell::Generated
    } else {
        let value = uncast(t);
        if is_plain_default(value) {
            DefaultCell::Value(value.to_string())
        } else {
            DefaultCell::Expression
        }
    }
}

/// A literal with the cast psql prints after it (`'new'::text`, `'{}'::jsonb`,
/// `'2020-01-01'::date`): the literal, which the column's type reads the same way.
fn uncast(value: &str) -> &str {
    if let Some(rest) = value.strip_prefix('\'') {
        // The closing quote: a quote not doubled.
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                continue;
            }
            if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
                continue;
            }
            let after = &rest[i + 1..];
            let type_only = |t: &str| {
                t.chars().all(|c| {
                    c.is_alphanumeric()
                        || matches!(c, ' ' | '_' | '[' | ']' | '(' | ')' | ',' | '.' | '"')
                })
            };
            if after.is_empty() || after.strip_prefix("::").is_some_and(type_only) {
                return &value[..i + 2];
            }
            return value;
        }
    }
    value
}

/// A default pgspec carries over as written: a number, a literal without quotes inside, a
/// keyword value, a call without arguments (`now()`).
fn is_plain_default(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.parse::<f64>().is_ok()
        || (value.len() >= 2
            && value.starts_with('\'')
            && value.ends_with('\'')
            && !value[1..value.len() - 1].contains('\''))
        || matches!(
            lower.as_str(),
            "true"
                | "false"
                | "current_timestamp"
                | "current_date"
                | "current_time"
                | "localtimestamp"
        )
        || (lower.ends_with("()")
            && lower[..lower.len() - 2]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
}

/// Old psql's `Modifiers` cell (`not null default nextval('…')`): the nullability and the
/// default.
fn modifiers(text: &str) -> (bool, &str) {
    let lower = text.to_ascii_lowercase();
    let not_null = lower.contains("not null");
    let default = lower
        .find("default ")
        .map_or("", |i| text[i + "default ".len()..].trim());
    (not_null, default)
}

/// The parenthesised list at the start of `text` (`(a, b)`), split at top-level commas, and
/// what follows it.
fn paren_list(text: &str) -> Option<(Vec<String>, &str)> {
    let text = text.trim_start();
    let inner = text.strip_prefix('(')?;
    let mut depth = 0i32;
    let mut quoted = false;
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth == 0 => {
                parts.push(inner[start..i].trim().to_string());
                return Some((parts, &inner[i + 1..]));
            }
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(inner[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// A plain column name (not an expression, not `col DESC`).
fn plain(part: &str) -> Option<String> {
    let p = part.trim().trim_matches('"');
    (!p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_')).then(|| p.to_lowercase())
}

/// The tables of one block (at most one), with ranges in its text.
pub fn read(code: &str) -> Reading {
    let mut reading = Reading::default();
    let (Some((printed, name_at)), Some(cells)) = (title(code), header(code)) else {
        return reading;
    };
    let name = table_name(printed);
    let col = |n: &str| cells.iter().position(|c| c == n);
    let (type_i, nullable_i, default_i, modifiers_i) = (
        col("Type"),
        col("Nullable"),
        col("Default"),
        col("Modifiers"),
    );
    let mut table = DocTable {
        name: name.clone(),
        source: SourceKind::PsqlDescribe,
        span: range(name_at, name_at + printed.len()),
        alias: None,
        defined: true,
        columns: Vec::new(),
        inferred: false,
        keys: Vec::new(),
    };
    let problem = |problems: &mut Vec<Problem>, at: usize, line: &str, why: &str| {
        problems.push(Problem {
            range: range(at, at + line.len()),
            message: format!("psql's `\\d` output: {why}; pgspec left it out"),
            help: "write it in SQL next to the description (`ALTER TABLE … ADD …`), or paste \
                   the table's CREATE TABLE (`pg_dump --schema-only --table`) in a ```sql block"
                .into(),
        });
    };
    let mut section: Option<String> = None;
    let mut offset = 0usize;
    let mut grid_started = false;
    for raw in code.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let at = line_start + (line.len() - line.trim_start().len());
        let skip_title = code[..line_start].trim().is_empty();
        if trimmed.is_empty() || skip_title {
            continue;
        }
        if !grid_started && trimmed.starts_with("Column") && trimmed.contains('|') {
            grid_started = true;
            continue;
        }
        if trimmed.chars().all(|c| c == '-' || c == '+') {
            continue;
        }
        if section.is_none() && line.contains('|') {
            column_row(
                &mut table,
                line,
                line_start,
                &cells,
                (type_i, nullable_i, default_i, modifiers_i),
                &mut reading.problems,
            );
            continue;
        }
        if !line.starts_with(char::is_whitespace) && trimmed.ends_with(':') {
            section = Some(trimmed.trim_end_matches(':').to_string());
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            // `Access method: heap`, `Partition key: RANGE (at)`, `Inherits: t`: facts pgspec
            // does not build.
            section = Some(String::new());
            continue;
        }
        let unread = match section.as_deref() {
            Some("Indexes") => {
                index_line(&mut table, &mut reading, trimmed, at);
                None
            }
            Some("Check constraints") => (!check_line(&mut table, trimmed))
                .then_some("a check that names none of the table's columns"),
            Some("Foreign-key constraints") => (!foreign_key_line(&mut table, trimmed))
                .then_some("a foreign key over several columns (or none of the table's)"),
            _ => None,
        };
        if let Some(why) = unread {
            problem(&mut reading.problems, at, trimmed, why);
        }
    }
    reading.tables.push(table);
    reading
}

/// One row of the grid: a column.
fn column_row(
    table: &mut DocTable,
    line: &str,
    line_start: usize,
    cells: &[String],
    (type_i, nullable_i, default_i, modifiers_i): (
        Option<usize>,
        Option<usize>,
        Option<usize>,
        Option<usize>,
    ),
    problems: &mut Vec<Problem>,
) {
    // Cells with their starts: `|` never occurs inside psql's type or name cells, and a
    // default holding one is rejoined (it is the last cell that can).
    let mut parts: Vec<(&str, usize)> = Vec::new();
    let mut start = 0;
    for (i, c) in line.char_indices() {
        if c == '|' && parts.len() + 1 < cells.len() {
            parts.push((&line[start..i], start));
            start = i + 1;
        }
    }
    parts.push((&line[start..], start));
    let cell = |i: Option<usize>| i.and_then(|i| parts.get(i)).copied();
    let Some((name_cell, name_at)) = parts.first().copied() else {
        return;
    };
    let name = name_cell.trim();
    if name.is_empty() {
        return;
    }
    let name_at = line_start + name_at + (name_cell.len() - name_cell.trim_start().len());
    let (type_text, type_at) = match cell(type_i) {
        Some((t, a)) => (t.trim(), line_start + a + (t.len() - t.trim_start().len())),
        None => ("", name_at + name.len()),
    };
    let mut not_null = cell(nullable_i).is_some_and(|(t, _)| t.trim() == "not null");
    let mut default = cell(default_i).map_or("", |(t, _)| t);
    if let Some((m, _)) = cell(modifiers_i) {
        let (nn, d) = modifiers(m);
        not_null |= nn;
        default = d;
    }
    let mut column = DocColumn {
        name: name.trim_matches('"').to_string(),
        raw_type: type_text.to_string(),
        pg_type: normalize_type(type_text),
        not_null: Some(not_null),
        span: range(name_at, name_at + name.len()),
        type_span: range(type_at, type_at + type_text.len()),
        ..DocColumn::default()
    };
    match default_cell(default) {
        DefaultCell::None => {}
        DefaultCell::Serial => column.make_serial(),
        DefaultCell::Value(v) => column.default = Some(v),
        DefaultCell::Expression => problems.push(Problem {
            range: range(name_at, line_start + line.trim_end().len()),
            message: format!(
                "psql's `\\d` output: the default of `{}` (`{}`) is an expression pgspec does not carry over; the column has no default",
                column.name,
                default.trim()
            ),
            help: "set it in SQL (`ALTER TABLE … ALTER COLUMN … SET DEFAULT …`)".into(),
        }),
        DefaultCell::Generated => problems.push(Problem {
            range: range(name_at, line_start + line.trim_end().len()),
            message: format!(
                "psql's `\\d` output: `{}` is a generated column; pgspec made it a plain column",
                column.name
            ),
            help: "write the column in SQL (`… GENERATED ALWAYS AS (…) STORED`)".into(),
        }),
    }
    table.columns.push(column);
}

/// `"name" PRIMARY KEY, btree (id)`, `"name" UNIQUE CONSTRAINT, btree (a, b)`, `"name"
/// UNIQUE, btree (lower(email))`, `"name" gin (tags)`, `… WHERE …` (partial: a problem).
fn index_line(table: &mut DocTable, reading: &mut Reading, line: &str, at: usize) {
    let span = range(at, at + line.len());
    let Some(rest) = line.strip_prefix('"') else {
        return;
    };
    let Some(close) = rest.find('"') else { return };
    let index_name = rest[..close].to_string();
    let mut def = rest[close + 1..].trim();
    // `INVALID`, `CLUSTER`, `REPLICA IDENTITY` trail the definition.
    for tail in [" INVALID", " CLUSTER", " REPLICA IDENTITY"] {
        def = def.strip_suffix(tail).unwrap_or(def);
    }
    let (kind, method_part) = match def.split_once(", ") {
        Some((k, m)) if !k.contains('(') => (k, m),
        _ => ("", def),
    };
    let method_len = method_part
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(method_part.len());
    let method = &method_part[..method_len];
    let Some((parts, after)) = paren_list(&method_part[method_len..]) else {
        return;
    };
    if !after.trim().is_empty() {
        reading.problems.push(Problem {
            range: span,
            message: format!(
                "psql's `\\d` output: the index `{index_name}` has more than columns (`{}`); pgspec left it out",
                after.trim()
            ),
            help: "create it in SQL (`CREATE INDEX … WHERE …`)".into(),
        });
        return;
    }
    let plains: Option<Vec<String>> = parts.iter().map(|p| plain(p)).collect();
    match (kind, plains) {
        ("PRIMARY KEY", Some(columns)) | ("UNIQUE CONSTRAINT", Some(columns)) => {
            let primary = kind == "PRIMARY KEY";
            match columns.as_slice() {
                [one] => {
                    if let Some(c) = table.columns.iter_mut().find(|c| c.name == *one) {
                        if primary {
                            c.primary_key = true;
                        } else {
                            c.unique = true;
                        }
                    }
                }
                _ => table.keys.push(StatedKey {
                    primary,
                    index: false,
                    columns,
                    name: None,
                    span,
                }),
            }
        }
        _ => reading.indexes.push(DocIndex {
            name: Some(index_name.to_lowercase()),
            table: table.name.clone(),
            columns: parts,
            method: Some(method.to_lowercase()).filter(|m| !m.is_empty()),
            unique: kind.starts_with("UNIQUE"),
            span,
            sentence: false,
        }),
    }
}

/// `"name" CHECK (expr) [NOT VALID]`: the check goes with the first column it names.
fn check_line(table: &mut DocTable, line: &str) -> bool {
    let Some(at) = line.find("CHECK ") else {
        return false;
    };
    let Some((parts, _)) = paren_list(&line[at + "CHECK ".len()..]) else {
        return false;
    };
    let expr = parts.join(", ");
    let words: Vec<String> = expr
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(str::to_lowercase)
        .collect();
    let Some(column) = table.columns.iter_mut().find(|c| words.contains(&c.name)) else {
        return false;
    };
    column.checks.push(expr);
    true
}

/// `"name" FOREIGN KEY (a) REFERENCES t(id) [ON DELETE …]`: one column's reference.
fn foreign_key_line(table: &mut DocTable, line: &str) -> bool {
    let Some(at) = line.find("FOREIGN KEY ") else {
        return false;
    };
    let Some((own, rest)) = paren_list(&line[at + "FOREIGN KEY ".len()..]) else {
        return false;
    };
    let Some(rest) = rest.trim_start().strip_prefix("REFERENCES ") else {
        return false;
    };
    let open = rest.find('(').unwrap_or(rest.len());
    let target = table_name(rest[..open].trim());
    let Some((theirs, tail)) = paren_list(&rest[open..]) else {
        return false;
    };
    let ([own], [theirs]) = (own.as_slice(), theirs.as_slice()) else {
        return false;
    };
    let (Some(own), Some(theirs)) = (plain(own), plain(theirs)) else {
        return false;
    };
    let Some(column) = table.columns.iter_mut().find(|c| c.name == own) else {
        return false;
    };
    column.foreign_key = true;
    column.references = Some((target.to_lowercase(), Some(theirs)));
    let tail = tail.to_ascii_uppercase();
    if let Some(i) = tail.find("ON DELETE ") {
        let action = tail[i + "ON DELETE ".len()..].trim_start();
        column.on_delete = [
            "CASCADE",
            "SET NULL",
            "SET DEFAULT",
            "RESTRICT",
            "NO ACTION",
        ]
        .into_iter()
        .find(|a| action.starts_with(a))
        .map(str::to_string);
    }
    true
}

/// The reading of every describe block of a document, of every `\d` answer inside a psql
/// session transcript, and of one pasted outside any block, ranges mapped into the document.
pub fn from_document(doc: &Document) -> Reading {
    let mut all = Reading::default();
    let mut add = |mut reading: Reading, map: &dyn Fn(TextRange) -> TextRange| {
        for t in &mut reading.tables {
            t.map_ranges(map);
        }
        for i in &mut reading.indexes {
            i.span = map(i.span);
        }
        for p in &mut reading.problems {
            p.range = map(p.range);
        }
        all.tables.extend(reading.tables);
        all.indexes.extend(reading.indexes);
        all.problems.extend(reading.problems);
    };
    for block in &doc.blocks {
        if is_describe_block(block) {
            add(read(&block.code), &|r| {
                block.source_map.range_to_document(r)
            });
        } else if block.transcript {
            for (at, answer) in answers(&doc.text, block.fence.end as usize, true) {
                add(read(answer), &|r| shifted(r, at));
            }
        }
    }
    // Pasted without a fence: the paragraph psql's output becomes.
    let spans: Vec<(usize, usize)> = doc.blocks.iter().map(block_span).collect();
    for (at, answer) in answers(&doc.text, 0, false) {
        if !spans.iter().any(|&(s, e)| s <= at && at <= e) {
            add(read(answer), &|r| shifted(r, at));
        }
    }
    all
}

/// `r` moved `by` bytes on.
fn shifted(r: TextRange, by: usize) -> TextRange {
    let by = u32::try_from(by).unwrap_or(u32::MAX);
    TextRange::new(r.start.saturating_add(by), r.end.saturating_add(by))
}

/// psql's `\d` answers in `text` from `from` on, as (document offset, text): each from a
/// `Table "…"` line over a `Column | Type` header to the next blank line, psql prompt or fence
/// line. In a transcript (`in_block`) the first line (the rest of the opening fence) is skipped
/// and the closing fence ends the search.
fn answers(text: &str, from: usize, in_block: bool) -> Vec<(usize, &str)> {
    let start = from.min(text.len());
    let mut found = Vec::new();
    let mut open: Option<usize> = None;
    let mut at = start;
    for raw in text[start..].split_inclusive('\n') {
        let line_start = at;
        at += raw.len();
        let trimmed = raw.trim();
        if in_block && line_start == start {
            continue;
        }
        let fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        if trimmed.is_empty() || fence || crate::document::psql_prompt(trimmed).is_some() {
            if let Some(s) = open.take() {
                found.push((s, &text[s..line_start]));
            }
            if fence && in_block {
                break;
            }
            continue;
        }
        if open.is_none() && title(raw).is_some() {
            open = Some(line_start);
        }
    }
    if let Some(s) = open {
        found.push((s, &text[s..at]));
    }
    found
        .into_iter()
        .filter(|(_, answer)| header(answer).is_some())
        .collect()
}

/// From a block's opening fence to the end of its last line of content.
fn block_span(b: &CodeBlock) -> (usize, usize) {
    let end = b
        .source_map
        .segments
        .last()
        .map_or(b.fence.end, |&(_, at, len)| at + len);
    (b.fence.start as usize, end.max(b.fence.end) as usize)
}
