//! A reader for DBML (dbdiagram.io's language) in ```dbml blocks: `Table name [as alias] { … }`
//! with columns and their settings (`[pk, increment, not null, unique, default: …, ref: > t.c,
//! note: '…']`), `indexes { (a, b) [pk|unique] }`, `Enum name { value … }` and `Ref:` lines
//! (short `Ref: a.x > b.y` and long `Ref name { a.x > b.y }` forms).
//!
//! What a table says becomes a [`DocTable`] like an ERD entity's or a column table's, with the
//! exact span of each name and type, so drift and generated tables point into the block.
//! A line the reader cannot use is skipped; it never panics.

use std::collections::HashMap;

use crate::document::CodeBlock;
use crate::erd::range;
use crate::text::TextRange;

use super::model::{normalize_type, DocColumn, DocTable, SourceKind, StatedKey};

/// Whether a block is DBML: tagged so (dbdiagram's own tag included).
pub fn is_dbml_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "dbml" | "dbdiagram")
}

/// One line of the block with its offset; `//` comments removed.
struct Line<'a> {
    start: usize,
    text: &'a str,
}

fn lines(code: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in code.split_inclusive('\n') {
        let body = raw.trim_end_matches(['\n', '\r']);
        let body = match comment_at(body) {
            Some(c) => &body[..c],
            None => body,
        };
        out.push(Line { start, text: body });
        start += raw.len();
    }
    out
}

/// Where a `//` comment starts outside quotes.
fn comment_at(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == '/' && prev == '/' => return Some(i - 1),
            None => {}
        }
        prev = c;
    }
    None
}

/// A name as DBML writes it (`users`, `"order items"`, `public.users`), lowercased unless
/// quoted, and its length in `text`.
fn name_at(text: &str) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if let Some(q) = rest.strip_prefix('"') {
            let close = q.find('"')?;
            name.push_str(&q[..close]);
            at += close + 2;
        } else {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            name.push_str(&rest[..len].to_lowercase());
            at += len;
        }
        if text[at..].starts_with('.') && !text[at + 1..].starts_with(['<', '>', '-']) {
            name.push('.');
            at += 1;
        } else {
            return Some((name, at));
        }
    }
}

/// The settings list `[a, b: c, …]` split at top-level commas.
fn settings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in text.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                current.push(c);
                continue;
            }
            None if c == '\'' || c == '"' || c == '`' => quote = Some(c),
            None if c == '(' => depth += 1,
            None if c == ')' => depth -= 1,
            None if c == ',' && depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            None => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// A default as SQL: `` `now()` `` is an expression, `'x'` a string, numbers and booleans as is.
fn default_sql(value: &str) -> String {
    let v = value.trim();
    v.strip_prefix('`')
        .and_then(|e| e.strip_suffix('`'))
        .map_or_else(|| v.to_string(), str::to_string)
}

/// `> users.id`, `< t.c`, `- t.c`: the referenced table and column.
fn reference(value: &str) -> Option<(String, Option<String>)> {
    let v = value.trim().trim_start_matches(['>', '<', '-']).trim();
    let (name, _) = name_at(v)?;
    match name.rsplit_once('.') {
        Some((table, column)) => Some((table.to_string(), Some(column.to_string()))),
        None => Some((name, None)),
    }
}

/// A reference: the referring (table, column), the referenced table and column, and what
/// deleting the referenced row does (`[delete: cascade]` on a `Ref` line).
type Reference = ((String, String), (String, Option<String>), Option<String>);

/// `Table name as A {`: the alias `a` (lowercased) after the name, if any.
fn table_alias(after_name: &str) -> Option<String> {
    let rest = after_name.trim_start();
    let (word, rest) = rest.split_at(rest.find(char::is_whitespace)?);
    if !word.eq_ignore_ascii_case("as") {
        return None;
    }
    name_at(rest.trim_start()).map(|(alias, _)| alias)
}

/// A `Ref` line's `delete:` setting in SQL's words (`set null` → `SET NULL`); only the
/// actions PostgreSQL has.
fn delete_action(settings_text: &str) -> Option<String> {
    settings(settings_text).iter().find_map(|s| {
        let (key, value) = s.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("delete") {
            return None;
        }
        let action = value
            .trim()
            .trim_matches(['\'', '"'])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        matches!(
            action.as_str(),
            "CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT" | "NO ACTION"
        )
        .then_some(action)
    })
}

#[derive(PartialEq)]
enum Inside {
    Nothing,
    Table(usize),
    Indexes(usize),
    Enum(String),
    Ref,
    /// `Project`, `TableGroup`, `Note`: read past.
    Other,
}

/// The tables of one DBML text, with ranges in the text.
pub fn parse(code: &str) -> Vec<DocTable> {
    parse_with_problems(code).0
}

/// A `Ref` pgspec could not use, with the range of its line in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub range: TextRange,
    pub message: String,
    pub help: String,
}

/// The tables of one DBML text, and the `Ref` lines that made no foreign key: unreadable
/// (a composite `a.(x, y)`), or naming a table or column no `Table` declares.
pub fn parse_with_problems(code: &str) -> (Vec<DocTable>, Vec<Problem>) {
    let mut problems = Vec::new();
    let unread = |span: TextRange, text: &str| Problem {
        range: span,
        message: format!("DBML: pgspec cannot read `{text}`; no foreign key was made from it"),
        help: "write one column on each side (`Ref: orders.user_id > users.id`); a composite \
               foreign key goes in the SQL (`FOREIGN KEY (a, b) REFERENCES t (a, b)`)"
            .into(),
    };
    let mut tables: Vec<DocTable> = Vec::new();
    let mut enums: HashMap<String, Vec<String>> = HashMap::new();
    let mut refs: Vec<(Reference, TextRange)> = Vec::new();
    // `Table fietsen as F`: `Ref` lines and inline refs may name the table by its alias.
    let mut aliases: HashMap<String, String> = HashMap::new();
    let mut inside = Inside::Nothing;
    let mut depth = 0usize;
    for line in lines(code) {
        let trimmed = line.text.trim();
        let lead = line.text.len() - line.text.trim_start().len();
        let at = line.start + lead;
        if trimmed.is_empty() {
            continue;
        }
        let opens = trimmed.ends_with('{');
        let closes = trimmed.starts_with('}');
        if closes {
            depth = depth.saturating_sub(1);
            inside = match inside {
                Inside::Indexes(t) if depth == 1 => Inside::Table(t),
                _ if depth == 0 => Inside::Nothing,
                other => other,
            };
            continue;
        }
        let word = trimmed
            .split(|c: char| c.is_whitespace() || c == ':' || c == '{')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match &inside {
            Inside::Nothing => {
                let rest_at = at + word.len();
                let rest = line.text[rest_at - line.start..].trim_start();
                let rest_at = rest_at + (line.text[rest_at - line.start..].len() - rest.len());
                match word.as_str() {
                    "table" if opens => {
                        if let Some((name, len)) = name_at(rest) {
                            if let Some(alias) = table_alias(&rest[len..]) {
                                aliases.insert(alias, name.clone());
                            }
                            tables.push(DocTable {
                                name,
                                source: SourceKind::Dbml,
                                span: range(rest_at, rest_at + len),
                                alias: None,
                                defined: true,
                                columns: Vec::new(),
                                inferred: false,
                                keys: Vec::new(),
                            });
                            inside = Inside::Table(tables.len() - 1);
                        } else {
                            inside = Inside::Other;
                        }
                    }
                    "enum" if opens => {
                        inside = name_at(rest).map_or(Inside::Other, |(n, _)| Inside::Enum(n));
                    }
                    "ref" if opens => inside = Inside::Ref,
                    "ref" => {
                        let span = range(at, at + trimmed.len());
                        match ref_line(trimmed) {
                            Some(r) => refs.push((r, span)),
                            None => problems.push(unread(span, trimmed)),
                        }
                    }
                    _ if opens => inside = Inside::Other,
                    _ => {}
                }
                if opens {
                    depth = 1;
                }
            }
            Inside::Table(t) => {
                let t = *t;
                if word == "indexes" && opens {
                    inside = Inside::Indexes(t);
                    depth += 1;
                } else if word == "note" {
                    if opens {
                        inside = Inside::Other;
                        depth += 1;
                    }
                } else if let Some(c) = column(line.text, line.start) {
                    tables[t].columns.push(c);
                }
            }
            Inside::Indexes(t) => {
                let t = *t;
                if let Some(k) = index_key(trimmed, range(at, at + trimmed.len())) {
                    tables[t].keys.push(k);
                }
            }
            Inside::Enum(name) => {
                let value = trimmed.split('[').next().unwrap_or("").trim();
                let value = value.trim_matches('"');
                if !value.is_empty() {
                    enums
                        .entry(name.clone())
                        .or_default()
                        .push(value.to_string());
                }
            }
            Inside::Ref => {
                let span = range(at, at + trimmed.len());
                match ref_line(&format!("Ref: {trimmed}")) {
                    Some(r) => refs.push((r, span)),
                    None => problems.push(unread(span, trimmed)),
                }
            }
            Inside::Other => {
                if opens {
                    depth += 1;
                }
            }
        }
    }
    for t in &mut tables {
        for c in &mut t.columns {
            let bare = c.raw_type.rsplit('.').next().unwrap_or("").to_lowercase();
            if let Some(values) = enums
                .get(&c.raw_type.to_lowercase())
                .or_else(|| enums.get(&bare))
            {
                // The block declares the enumeration: the column holds one of its values
                // (generated as `text` with a CHECK; the type's name is kept in the note).
                c.enum_values = values.clone();
                let note = format!("enum {}", c.raw_type);
                c.comment = Some(match c.comment.take() {
                    Some(n) => format!("{note}; {n}"),
                    None => note,
                });
                c.raw_type = "enum".into();
                c.pg_type = None;
            }
        }
    }
    let resolve = |name: String| aliases.get(&name).cloned().unwrap_or(name);
    for t in &mut tables {
        for c in &mut t.columns {
            if let Some((target, column)) = c.references.take() {
                c.references = Some((resolve(target), column));
            }
        }
    }
    for (((table, column), (target, target_column), on_delete), span) in refs {
        let (table, target) = (resolve(table), (resolve(target), target_column));
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
            problems.push(Problem {
                range: span,
                message: format!(
                    "DBML: `Ref` names table `{table}`, which no `Table` of the block declares; \
                     no foreign key was made from it"
                ),
                help: format!("declare `Table {table} {{ … }}` or correct the table's name"),
            });
            continue;
        };
        let Some(c) = t.columns.iter_mut().find(|c| c.name == column) else {
            let known: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let close = known
                .iter()
                .find(|k| k.starts_with(column.as_str()) || column.starts_with(*k))
                .map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"));
            problems.push(Problem {
                range: span,
                message: format!(
                    "DBML: `Ref` names column `{table}.{column}`, which the table does not \
                     declare; no foreign key was made from it"
                ),
                help: format!("correct the column's name{close}, or declare it in `Table {table}`"),
            });
            continue;
        };
        c.foreign_key = true;
        c.references.get_or_insert(target);
        if on_delete.is_some() {
            c.on_delete = on_delete;
        }
    }
    problems.sort_by_key(|p| p.range.start);
    (tables, problems)
}

/// `Ref[ name]: a.x > b.y`: the many side (`>` points from many to one; `<` the other way).
fn ref_line(text: &str) -> Option<Reference> {
    let (_, body) = text.split_once(':')?;
    let (body, settings_text) = match body.split_once('[') {
        Some((b, s)) => (b.trim(), s.trim_end().trim_end_matches(']')),
        None => (body.trim(), ""),
    };
    let on_delete = delete_action(settings_text);
    let (op_at, op) = body.char_indices().find(|&(i, c)| {
        matches!(c, '>' | '<' | '-')
            && body[..i].ends_with(|p: char| p.is_whitespace() || p.is_alphanumeric() || p == '"')
    })?;
    let left = body[..op_at].trim();
    let right = body[op_at + op.len_utf8()..]
        .trim()
        .trim_start_matches(['>', '<'])
        .trim();
    let split = |side: &str| -> Option<(String, String)> {
        let (name, _) = name_at(side)?;
        let (t, c) = name.rsplit_once('.')?;
        Some((t.to_string(), c.to_string()))
    };
    let (l, r) = (split(left)?, split(right)?);
    Some(match op {
        '<' => (r, (l.0, Some(l.1)), on_delete),
        _ => (l, (r.0, Some(r.1)), on_delete),
    })
}

/// `(a, b) [pk]` / `(a, b) [unique]` / `a [unique]` / `(a, b)` (an index) inside `indexes { … }`.
fn index_key(text: &str, span: TextRange) -> Option<StatedKey> {
    let (cols, written) = match text.split_once('[') {
        Some((c, o)) => (c.trim(), o.trim_end_matches(']')),
        None => (text.trim(), ""),
    };
    // `name: 'orders_uq'`, as written (a name keeps its case).
    let name = settings(written).into_iter().find_map(|o| {
        let (key, value) = o.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("name")
            .then(|| value.trim().trim_matches(['\'', '"']).to_string())
            .filter(|n| !n.is_empty())
    });
    let opts = settings(&written.to_ascii_lowercase());
    let primary = opts.iter().any(|o| o == "pk" || o == "primary key");
    let index = !primary && !opts.iter().any(|o| o == "unique");
    let columns: Vec<String> = cols
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .filter_map(|c| name_at(c.trim()).map(|(n, _)| n))
        .collect();
    (!columns.is_empty()).then_some(StatedKey {
        primary,
        index,
        columns,
        name,
        span,
    })
}

/// `name type [settings]`, with `line_start` the offset of `line` in the block.
fn column(line: &str, line_start: usize) -> Option<DocColumn> {
    let lead = line.len() - line.trim_start().len();
    let text = line.trim_start();
    let (name, name_len) = name_at(text)?;
    let after = &text[name_len..];
    let ws = after.len() - after.trim_start().len();
    let type_text = after.trim_start();
    if type_text.is_empty() {
        return None;
    }
    let type_end = type_text.find('[').map_or(type_text.trim_end().len(), |i| {
        type_text[..i].trim_end().len()
    });
    let raw_type = type_text[..type_end].trim_matches('"').to_string();
    let type_start = line_start + lead + name_len + ws;
    let mut c = DocColumn {
        name,
        pg_type: normalize_type(&raw_type),
        raw_type,
        span: range(line_start + lead, line_start + lead + name_len),
        type_span: range(type_start, type_start + type_end),
        ..DocColumn::default()
    };
    let mut increment = false;
    if let Some(open) = type_text.find('[') {
        let body = type_text[open + 1..].trim_end().trim_end_matches(']');
        for setting in settings(body) {
            let (key, value) = match setting.split_once(':') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim())),
                None => (setting.trim().to_ascii_lowercase(), None),
            };
            match (key.as_str(), value) {
                ("pk" | "primary key", None) => c.primary_key = true,
                ("unique", None) => c.unique = true,
                ("not null", None) => c.not_null = Some(true),
                ("null", None) => c.not_null = Some(false),
                ("increment", None) => increment = true,
                ("default", Some(v)) => c.default = Some(default_sql(v)),
                ("ref", Some(v)) => {
                    c.foreign_key = true;
                    c.references = reference(v);
                }
                ("note", Some(v)) => c.comment = Some(v.trim_matches(['\'', '"']).to_string()),
                _ => {}
            }
        }
    }
    // DBML's `increment` is an identity; pgspec's generated DDL knows it as a serial type.
    if increment {
        c.make_serial();
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = r#"// the shop
Enum order_status {
  new
  paid [note: 'money in']
  shipped
}

Table users as U {
  id integer [pk, increment] // the key
  email varchar(255) [not null, unique, note: 'login']
  created_at timestamptz [default: `now()`]
}

Table orders {
  id bigint [pk, increment]
  user_id integer [not null, ref: > users.id]
  status order_status [default: 'new']
  coupon_id int
  Note: 'one per checkout'
  indexes {
    (user_id, status) [unique]
    created_at
  }
}

Table coupons {
  id int [pk]
}

Ref: orders.coupon_id > coupons.id
"#;

    #[test]
    fn tables_columns_settings_enums_and_refs_are_read() {
        let tables = parse(SHOP);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "orders", "coupons"]);
        let users = &tables[0];
        assert_eq!(&SHOP[users.span.as_usize()], "users");
        let id = &users.columns[0];
        assert!(id.primary_key);
        assert_eq!(id.pg_type.as_deref(), Some("serial"));
        assert_eq!(&SHOP[id.span.as_usize()], "id");
        assert_eq!(&SHOP[id.type_span.as_usize()], "integer");
        let email = &users.columns[1];
        assert_eq!(email.pg_type.as_deref(), Some("character varying(255)"));
        assert!(email.unique);
        assert_eq!(email.not_null, Some(true));
        assert_eq!(email.comment.as_deref(), Some("login"));
        assert_eq!(users.columns[2].default.as_deref(), Some("now()"));
        let orders = &tables[1];
        assert_eq!(orders.columns.len(), 4, "{:?}", orders.columns);
        assert_eq!(
            orders.columns[1].references,
            Some(("users".into(), Some("id".into())))
        );
        assert_eq!(orders.columns[2].enum_values, ["new", "paid", "shipped"]);
        assert_eq!(orders.columns[2].default.as_deref(), Some("'new'"));
        assert_eq!(
            orders.columns[3].references,
            Some(("coupons".into(), Some("id".into())))
        );
        assert_eq!(orders.keys.len(), 2);
        assert_eq!(orders.keys[0].columns, ["user_id", "status"]);
        assert!(!orders.keys[0].primary && !orders.keys[0].index);
        // `created_at` alone in `indexes { … }`: an index, not a key.
        assert_eq!(orders.keys[1].columns, ["created_at"]);
        assert!(orders.keys[1].index);
    }

    #[test]
    fn index_names_are_kept_as_written() {
        let text = "Table orders {\n  id int [pk]\n  shop_id int\n  number int\n  indexes {\n    (shop_id, number) [unique, name: 'Orders_Shop_Number']\n    number [name: \"orders_number_idx\", type: btree]\n    shop_id\n  }\n}\n";
        let tables = parse(text);
        let names: Vec<Option<&str>> = tables[0].keys.iter().map(|k| k.name.as_deref()).collect();
        assert_eq!(
            names,
            [Some("Orders_Shop_Number"), Some("orders_number_idx"), None]
        );
    }

    #[test]
    fn aliases_and_delete_actions_of_ref_lines_are_kept() {
        let text = "Table stations as S {\n  id int [pk]\n}\nTable bikes as B {\n  id int [pk]\n  station_id int [ref: > S.id]\n}\nTable rides {\n  bike_id int\n  end_station_id int\n  paid_by int\n}\nRef: rides.bike_id > B.id [delete: cascade, update: cascade]\nRef: S.id < rides.end_station_id [update: cascade, delete: Set  Null]\nRef: rides.paid_by > bikes.id [delete: explode]\n";
        let tables = parse(text);
        let bikes = &tables[1];
        assert_eq!(
            bikes.columns[1].references,
            Some(("stations".into(), Some("id".into())))
        );
        let rides = &tables[2];
        let (bike, end, paid) = (&rides.columns[0], &rides.columns[1], &rides.columns[2]);
        assert_eq!(bike.references, Some(("bikes".into(), Some("id".into()))));
        assert_eq!(bike.on_delete.as_deref(), Some("CASCADE"));
        assert_eq!(end.references, Some(("stations".into(), Some("id".into()))));
        assert_eq!(end.on_delete.as_deref(), Some("SET NULL"));
        // Not an action PostgreSQL has: no clause rather than a broken one.
        assert!(paid.foreign_key);
        assert_eq!(paid.on_delete, None);
    }

    #[test]
    fn refs_that_make_no_foreign_key_are_problems_at_their_line() {
        let text = "Table a {\n  id int [pk]\n  b_id int\n}\nTable b {\n  id int [pk]\n}\nRef: a.b > b.id\nRef: c.b_id > b.id\nRef: a.(id, b_id) > b.(x, y)\nRef: a.b_id > b.id\n";
        let (tables, problems) = parse_with_problems(text);
        let lines: Vec<&str> = problems.iter().map(|p| &text[p.range.as_usize()]).collect();
        assert_eq!(
            lines,
            [
                "Ref: a.b > b.id",
                "Ref: c.b_id > b.id",
                "Ref: a.(id, b_id) > b.(x, y)"
            ],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("`a.b`"), "{problems:?}");
        assert!(problems[0].help.contains("`b_id`"), "{problems:?}");
        assert!(problems[1].message.contains("table `c`"), "{problems:?}");
        // The good line still makes its foreign key.
        assert_eq!(
            tables[0].columns[1].references,
            Some(("b".into(), Some("id".into())))
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "Table {",
            "Table x {\n  id\n",
            "}}}\nRef: a > b\nRef: .x > .y\nTable \"a b\" {\n \"c d\" int [ref: > ]\n}",
            "Enum e {\n}\nTable t {\n c e [default:\n}",
            "Table t {\n  indexes {\n () [pk]\n }\n}",
        ] {
            let _ = parse(text);
        }
    }
}
