//! A reader for Ruby on Rails' `db/schema.rb` pasted into a document (a ```ruby block with
//! `create_table "users", force: :cascade do |t|`): Rails writes it from the database
//! (`bin/rails db:schema:dump`), so it says what the database looks like, a schema source like
//! psql's `\d`.
//!
//! ```ruby
//! create_table "posts", force: :cascade do |t|
//!   t.references "user", null: false, foreign_key: true
//!   t.string "title", limit: 200, null: false
//!   t.decimal "price", precision: 10, scale: 2, default: "0.0"
//!   t.timestamps
//!   t.index ["user_id", "title"], unique: true
//! end
//! add_foreign_key "posts", "users", on_delete: :cascade
//! ```
//!
//! A table has Rails' `id bigint` key unless `id: false`, `id: :uuid` or `primary_key:` says
//! otherwise; `t.TYPE "name"` lines are columns in Rails' PostgreSQL types (`string` is
//! `character varying`, `datetime` a `timestamp`), with `null: false`, `default:`, `limit:`,
//! `precision:`/`scale:`, `array: true`; `t.timestamps` is `created_at` and `updated_at`;
//! `t.references "user"` is `user_id` (its key with `foreign_key: true`); `t.index` lines are
//! indexes (`unique: true` ones unique keys); `add_foreign_key` gives a column its target.
//! A line pgspec cannot build from (a partial or expression index, a check constraint, an
//! expression default, a composite foreign key) is a [`Problem`] at that line (DOC008). It
//! never panics.

#[cfg(test)]
mod tests;

use crate::document::{CodeBlock, Document};
use crate::erd::range;
use crate::sql::quote::quote_literal;
use crate::text::TextRange;

pub use super::dbml::Problem;
use super::model::{
    normalize_type, singular_forms, DocColumn, DocEnum, DocTable, SourceKind, StatedKey,
};

/// What the schema says: its tables and the lines pgspec could not build from.
#[derive(Debug, Default)]
pub struct Reading {
    pub tables: Vec<DocTable>,
    /// `create_enum "mood", ["happy", "sad"]` (Rails 7): a type a `t.enum` column names.
    pub enums: Vec<DocEnum>,
    pub problems: Vec<Problem>,
}

/// Whether a block is Rails' schema: Ruby with a `create_table "…" … do |t|` line.
pub fn is_rails_schema_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "ruby" | "rb")
        && block.code.lines().any(|l| create_table(l.trim()).is_some())
}

/// `create_table "name"[, options] do |t|`: the name, its offset in the line, the options.
fn create_table(line: &str) -> Option<(&str, usize, &str)> {
    let rest = line.strip_prefix("create_table ")?;
    let body = rest.trim_end().strip_suffix('|')?;
    let do_at = body.rfind(" do |")?;
    let (name, after) = string_at(rest)?;
    let lead = "create_table ".len() + 1;
    let options = after.get(..do_at.checked_sub(rest.len() - after.len())?)?;
    Some((name, lead, options.trim_start_matches(',').trim()))
}

/// A `"string"` at the start of `text` and the text after it.
fn string_at(text: &str) -> Option<(&str, &str)> {
    let q = text.strip_prefix('"')?;
    let close = q.find('"')?;
    Some((&q[..close], &q[close + 1..]))
}

/// `key: value` options separated by top-level commas (values may hold strings, arrays and
/// lambdas).
fn options(text: &str) -> Vec<(&str, &str)> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' | '(' if !quoted => depth += 1,
            ']' | '}' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .filter_map(|p| {
            let (k, v) = p.split_once(':')?;
            let k = k.trim();
            (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| (k, v.trim()))
        })
        .collect()
}

fn option<'a>(opts: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    opts.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Every `"string"` in `text` (an array `["a", "b"]`).
fn strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let Some((s, after)) = string_at(&rest[open..]) else {
            break;
        };
        out.push(s.to_string());
        rest = after;
    }
    out
}

/// A Rails column type with its options in PostgreSQL's spelling.
fn pg_type(rails: &str, opts: &[(&str, &str)]) -> Option<String> {
    let number = |k: &str| option(opts, k).and_then(|v| v.parse::<u32>().ok());
    let base = match rails {
        "string" => match number("limit") {
            Some(n) => format!("varchar({n})"),
            None => "varchar".to_string(),
        },
        "integer" => match number("limit") {
            Some(8) => "bigint".to_string(),
            Some(2) => "smallint".to_string(),
            _ => "integer".to_string(),
        },
        "float" => "double precision".to_string(),
        "decimal" | "numeric" => match (number("precision"), number("scale")) {
            (Some(p), Some(s)) => format!("numeric({p},{s})"),
            (Some(p), None) => format!("numeric({p})"),
            _ => "numeric".to_string(),
        },
        "datetime" | "timestamp" => "timestamp".to_string(),
        "binary" => "bytea".to_string(),
        "text" | "bigint" | "boolean" | "date" | "time" | "json" | "jsonb" | "uuid" | "inet"
        | "cidr" | "macaddr" | "interval" | "money" | "xml" | "tsvector" | "point"
        | "timestamptz" | "smallint" | "serial" | "bigserial" | "citext" | "hstore" => {
            rails.to_string()
        }
        _ => return None,
    };
    let array = option(opts, "array") == Some("true");
    let ty = if array { format!("{base}[]") } else { base };
    normalize_type(&ty).or(Some(ty))
}

/// A default as SQL: a string is a literal, a number or boolean as written; `-> { "sql" }`
/// is an expression pgspec does not build from (`None`).
fn default_sql(value: &str) -> Option<String> {
    if let Some((s, _)) = string_at(value) {
        return Some(quote_literal(s));
    }
    let plain = value == "true"
        || value == "false"
        || (!value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-'));
    plain.then(|| value.to_string())
}

/// One table being read.
struct Open {
    table: usize,
}

/// The tables and problems of one schema, with ranges in its text.
pub fn read(code: &str) -> Reading {
    let mut reading = Reading::default();
    let mut open: Option<Open> = None;
    let mut foreign_keys: Vec<(String, TextRange)> = Vec::new();
    let mut start = 0usize;
    for raw in code.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let at = line_start + (line.len() - line.trim_start().len());
        let span = range(at, at + trimmed.len());
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut problem = |message: String, help: &str| {
            reading.problems.push(Problem {
                range: span,
                message,
                help: help.to_string(),
            });
        };
        if let Some(o) = &open {
            if trimmed == "end" {
                open = None;
                continue;
            }
            let table = &mut reading.tables[o.table];
            if let Err(message) = table_line(table, trimmed, at) {
                problem(
                    format!("pgspec cannot build `{}` from this schema.rb line: {message}", table.name),
                    "write it in the document's SQL (CREATE INDEX / ALTER TABLE … ADD CONSTRAINT) so that it is built",
                );
            }
            continue;
        }
        if let Some((name, lead, opts)) = create_table(trimmed) {
            let opts = options(opts);
            let name_at = at + lead;
            let mut table = DocTable {
                name: name.to_lowercase(),
                source: SourceKind::RailsSchema,
                span: range(name_at, name_at + name.len()),
                alias: None,
                defined: true,
                columns: Vec::new(),
                inferred: false,
                keys: Vec::new(),
            };
            let id = option(&opts, "id");
            let key = option(&opts, "primary_key");
            if let Some(keys) = key.filter(|k| k.starts_with('[')) {
                table.keys.push(StatedKey {
                    primary: true,
                    index: false,
                    columns: strings(keys).iter().map(|k| k.to_lowercase()).collect(),
                    name: None,
                    span,
                });
            } else if id != Some("false") {
                let key_name = key.and_then(|k| strings(k).pop()).unwrap_or("id".into());
                let ty = id.map_or("bigint", |i| i.trim_start_matches(':'));
                let mut c = DocColumn {
                    name: key_name.to_lowercase(),
                    raw_type: ty.to_string(),
                    pg_type: pg_type(ty, &[]),
                    primary_key: true,
                    not_null: Some(true),
                    span: table.span,
                    type_span: table.span,
                    ..DocColumn::default()
                };
                match option(&opts, "default") {
                    None if matches!(ty, "bigint" | "integer") => c.make_serial(),
                    Some(d) if d.contains("gen_random_uuid()") => {
                        c.default = Some("gen_random_uuid()".into());
                    }
                    _ => {}
                }
                table.columns.push(c);
            }
            reading.tables.push(table);
            open = Some(Open {
                table: reading.tables.len() - 1,
            });
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("create_enum ") {
            if let Some((name, after)) = string_at(rest) {
                let name_at = at + "create_enum ".len() + 1;
                reading.enums.push(DocEnum {
                    name: name.to_lowercase(),
                    values: strings(after),
                    declared: true,
                    span: range(name_at, name_at + name.len()),
                });
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("add_foreign_key ") {
            foreign_keys.push((rest.to_string(), span));
            continue;
        }
        // `ActiveRecord::Schema[7.1].define(version: …) do`, `enable_extension "plpgsql"`, the
        // schema's `end`: nothing about a table.
    }
    for (line, span) in foreign_keys {
        if let Err(message) = foreign_key(&mut reading.tables, &line) {
            reading.problems.push(Problem {
                range: span,
                message: format!("pgspec cannot build this foreign key of schema.rb: {message}"),
                help: "write it in the document's SQL (ALTER TABLE … ADD FOREIGN KEY) so that it is built".into(),
            });
        }
    }
    reading
}

/// The options after a line's arguments (`, null: false, default: 0`).
fn opts_of(text: &str) -> Vec<(&str, &str)> {
    options(text.trim_start_matches(','))
}

/// One line inside `create_table … do |t|`; `Err` says what pgspec cannot build.
fn table_line(table: &mut DocTable, line: &str, at: usize) -> Result<(), String> {
    let Some(rest) = line.strip_prefix("t.") else {
        return Err(format!("`{line}` is no column"));
    };
    let method_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (method, args) = (&rest[..method_len], rest[method_len..].trim());
    match method {
        "timestamps" => {
            let opts = opts_of(args);
            let not_null = option(&opts, "null") != Some("true");
            for name in ["created_at", "updated_at"] {
                table.columns.push(DocColumn {
                    name: name.into(),
                    raw_type: "datetime".into(),
                    pg_type: pg_type("datetime", &opts),
                    not_null: Some(not_null),
                    span: range(at, at + line.len()),
                    type_span: range(at, at + line.len()),
                    ..DocColumn::default()
                });
            }
            Ok(())
        }
        "index" => {
            let (cols, opts) = match args.strip_prefix('[') {
                Some(inner) => {
                    let close = inner.find(']').ok_or("an unclosed column list")?;
                    (strings(&inner[..close]), opts_of(&inner[close + 1..]))
                }
                None => return Err("an expression index".into()),
            };
            if option(&opts, "where").is_some() {
                return Err("a partial index (`where:`)".into());
            }
            table.keys.push(StatedKey {
                primary: false,
                index: option(&opts, "unique") != Some("true"),
                columns: cols.iter().map(|c| c.to_lowercase()).collect(),
                name: None,
                span: range(at, at + line.len()),
            });
            Ok(())
        }
        "check_constraint" => Err("a check constraint".into()),
        "references" | "belongs_to" => {
            let (name, after) = string_at(args).ok_or("a reference without a name")?;
            let opts = opts_of(after);
            if option(&opts, "polymorphic") == Some("true") {
                return Err("a polymorphic reference".into());
            }
            let name_at = at + line.len() - args.len() + 1;
            let ty = option(&opts, "type").map_or("bigint", |t| t.trim_start_matches(':'));
            table.columns.push(DocColumn {
                name: format!("{}_id", name.to_lowercase()),
                raw_type: ty.to_string(),
                pg_type: pg_type(ty, &opts),
                not_null: Some(option(&opts, "null") == Some("false")),
                foreign_key: option(&opts, "foreign_key").is_some_and(|f| f != "false"),
                span: range(name_at, name_at + name.len()),
                type_span: range(at, at + 2 + method_len),
                ..DocColumn::default()
            });
            if option(&opts, "index") != Some("false") {
                table.keys.push(StatedKey {
                    primary: false,
                    index: true,
                    columns: vec![format!("{}_id", name.to_lowercase())],
                    name: None,
                    span: range(at, at + line.len()),
                });
            }
            Ok(())
        }
        _ => {
            let (name, after) = string_at(args).ok_or("a column without a name")?;
            let opts = opts_of(after);
            let ty = if method == "enum" {
                // The type's name, as a plain identifier only (it is written into SQL).
                option(&opts, "enum_type")
                    .and_then(|t| strings(t).pop())
                    .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || c == '_'))
                    .map(|t| t.to_lowercase())
            } else {
                pg_type(method, &opts)
            };
            let ty = ty.ok_or_else(|| format!("the Rails type `{method}`"))?;
            let default = match option(&opts, "default") {
                Some(d) => Some(default_sql(d).ok_or("an expression default (`-> { … }`)")?),
                None => None,
            };
            if option(&opts, "as").is_some() {
                return Err("a generated column (`as:`)".into());
            }
            let name_at = at + line.len() - args.len() + 1;
            table.columns.push(DocColumn {
                name: name.to_lowercase(),
                // An enum column's type is its type's name (`loan_state`), not `enum`.
                raw_type: if method == "enum" {
                    ty.clone()
                } else {
                    method.to_string()
                },
                pg_type: normalize_type(&ty).or(Some(ty)),
                not_null: Some(option(&opts, "null") == Some("false")),
                default,
                span: range(name_at, name_at + name.len()),
                type_span: range(at + 2, at + 2 + method_len),
                ..DocColumn::default()
            });
            Ok(())
        }
    }
}

/// `add_foreign_key "from", "to"[, column: "c", primary_key: "k", on_delete: :cascade]`:
/// the column of `from` gets its target.
fn foreign_key(tables: &mut [DocTable], line: &str) -> Result<(), String> {
    let (from, after) = string_at(line).ok_or("no table")?;
    let (to, after) = string_at(after.trim_start_matches([',', ' '])).ok_or("no target")?;
    let opts = options(after.trim_start_matches(','));
    let (from, to) = (from.to_lowercase(), to.to_lowercase());
    let columns = option(&opts, "column").map(strings);
    // Rails' column for `add_foreign_key "loans", "books"` is `book_id`.
    let wanted: Vec<String> = match columns.as_deref() {
        Some([one]) => vec![one.to_lowercase()],
        Some(_) => return Err("a composite key".into()),
        None => singular_forms(&to)
            .iter()
            .map(|s| format!("{s}_id"))
            .collect(),
    };
    let table = tables
        .iter_mut()
        .find(|t| t.name == from)
        .ok_or_else(|| format!("no create_table \"{from}\""))?;
    let c = table
        .columns
        .iter_mut()
        .find(|c| wanted.contains(&c.name))
        .ok_or_else(|| {
            let first = wanted.get(1).or(wanted.first()).map_or("", String::as_str);
            format!("`{from}` has no column `{first}`")
        })?;
    c.foreign_key = true;
    c.references_inferred = false;
    let key = option(&opts, "primary_key").and_then(|k| strings(k).pop());
    c.references = Some((to, key.map(|k| k.to_lowercase())));
    c.on_delete = match option(&opts, "on_delete") {
        Some(":cascade") => Some("CASCADE".into()),
        Some(":nullify") => Some("SET NULL".into()),
        Some(":restrict") => Some("RESTRICT".into()),
        _ => None,
    };
    Ok(())
}

/// The reading of every schema.rb block of `doc`, ranges in the document.
pub fn from_document(doc: &Document) -> Reading {
    let mut all = Reading::default();
    for block in doc.blocks.iter().filter(|b| is_rails_schema_block(b)) {
        let map = |r: TextRange| block.source_map.range_to_document(r);
        let mut reading = read(&block.code);
        for t in &mut reading.tables {
            t.map_ranges(map);
        }
        for p in &mut reading.problems {
            p.range = map(p.range);
        }
        for e in &mut reading.enums {
            e.span = map(e.span);
        }
        all.enums.extend(reading.enums);
        all.tables.extend(reading.tables);
        all.problems.extend(reading.problems);
    }
    all
}
