//! A reader for PlantUML entity diagrams (```plantuml / ```puml blocks, or any block between
//! `@startuml` and `@enduml`).
//!
//! Tables: `entity name [as alias] { … }`, `class name <<table>> { … }` (a class only with a
//! table stereotype: `<<table>>`, `<< (T,#FFAAAA) >>`), and calls of a `!define`d header macro
//! (`!define Table(name,desc) class name as "desc" << (T,#FFAAAA) >>` then `Table(users,
//! "Users") {`). Attributes are read by [`attributes`]: `[*] name [: type] [<<PK>>] …`, with
//! column macros (`primary_key(id)`) and markup (`<b>id</b>`) around the name.
//!
//! Relationships: `LEFT }o--|| RIGHT [: label]` (information engineering) and `LEFT "1" --
//! "0..*" RIGHT` (multiplicities), any line style (`-u-`, `-[#red]-`, `..`). A relationship
//! whose "many" side has the column `<one side>_id` marks that column a foreign key to the
//! "one" side (the diagram draws the key the column holds).
//!
//! Enumerations (`enum Status { NEW PAID }`) are types an attribute may name: pgspec creates
//! them when one does.
//!
//! Every name and attribute carries the exact span of its token; a line inside an entity that
//! cannot be read is a [`Problem`] at that line (ERD001). It never panics.

mod attributes;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::document::CodeBlock;
use crate::erd::range;
use crate::text::TextRange;

pub use super::dbml::Problem;
use super::model::{
    keys_from_relationships, Cardinality, DocEnum, DocRelationship, DocTable, SourceKind,
};
use attributes::{attribute, Attribute};

/// Whether a block is a PlantUML diagram.
pub fn is_plantuml_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "plantuml" | "puml" | "uml")
        || block.code.trim_start().starts_with("@startuml")
}

/// What one diagram says: its tables, relationships, and the lines pgspec could not use.
#[derive(Debug, Default)]
pub struct Reading {
    pub tables: Vec<DocTable>,
    pub relationships: Vec<DocRelationship>,
    /// `enum Status { NEW PAID }`: a type an attribute may name.
    pub enums: Vec<DocEnum>,
    pub problems: Vec<Problem>,
}

/// The entities of one diagram, with ranges in its text.
pub fn parse(code: &str) -> Vec<DocTable> {
    read(code).tables
}

/// A `!define NAME(params) body` whose body declares an entity or a table class: which
/// parameter the table's name is.
#[derive(Debug)]
struct TableMacro {
    name_param: usize,
}

/// `text` with every `/' … '/` block comment blanked (same length, newlines kept), so that
/// offsets into it are offsets into `text`.
fn blank_block_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("/'") {
        out.push_str(&rest[..open]);
        let body = &rest[open..];
        let end = body[2..].find("'/").map_or(body.len(), |i| i + 4);
        for c in body[..end].chars() {
            if c == '\n' || c == '\r' {
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

/// A bare name's length at the start of `text` (letters, digits, `_`, `.`, `$`).
fn bare_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '$')))
        .unwrap_or(text.len())
}

/// A name token at the start of `text`: `"quoted"` or bare. Its text, its start and end in
/// `text` (inside the quotes), whether it was quoted, and where the token ends.
fn token(text: &str) -> Option<(&str, usize, usize, bool, usize)> {
    if let Some(q) = text.strip_prefix('"') {
        let close = q.find('"')?;
        return Some((&q[..close], 1, 1 + close, true, close + 2));
    }
    let len = bare_len(text);
    (len > 0).then(|| (&text[..len], 0, len, false, len))
}

/// A table or column name as SQL will spell it: a plain identifier folds to lowercase (also
/// when the diagram quotes its label), anything else is kept. A quoted label's first line is
/// the name (`"users\n(members)"`), markup stars and underscores around it dropped.
pub(crate) fn sql_name(written: &str) -> String {
    let first = written.split("\\n").next().unwrap_or(written).trim();
    let first = first.trim_matches(|c| c == '*' || c == '_' || c == '/');
    if first
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        first.to_lowercase()
    } else {
        first.to_string()
    }
}

/// Where the name a header gives is, as (name, start, end) in the header text.
struct Named {
    name: String,
    start: usize,
    end: usize,
    /// The quoted label when the name is an alias (`entity "Users" as users`).
    label: Option<String>,
    /// The name as written (for matching a macro's parameter).
    written: String,
}

/// The name of `entity|class NAME [as ALIAS] …` from the text after the keyword.
fn header_name(rest: &str, base: usize) -> Option<Named> {
    let skip = rest.len() - rest.trim_start().len();
    let rest = &rest[skip..];
    let (first, s, e, quoted, len) = token(rest)?;
    let after = &rest[len..];
    let after_trim = after.trim_start();
    let alias = after_trim
        .strip_prefix("as ")
        .or_else(|| after_trim.strip_prefix("AS "))
        .map(|a| {
            let a_trim = a.trim_start();
            (a_trim, rest.len() - a_trim.len())
        })
        .and_then(|(a, at)| token(a).map(|t| (t, at)));
    let at = base + skip;
    match alias {
        // `entity "Users" as users`, `entity users_table as u`: the alias is how every other
        // line names it.
        Some(((a, as_, ae, false, _), a_at)) => Some(Named {
            name: sql_name(a),
            start: at + a_at + as_,
            end: at + a_at + ae,
            label: quoted.then(|| first.to_string()),
            written: a.to_string(),
        }),
        // `entity users as "Users"`: the name is the bare word.
        _ => Some(Named {
            name: sql_name(first),
            start: at + s,
            end: at + e,
            label: None,
            written: first.to_string(),
        }),
    }
}

/// A class is a table only with a table stereotype: `<<table>>`, `<< (T,#color) >>` (not a
/// domain model's `<<Entity>>`, which is an application class).
fn has_table_stereotype(text: &str) -> bool {
    let lower = text.to_lowercase();
    let Some(open) = lower.find("<<") else {
        return false;
    };
    let inner = &lower[open + 2..];
    let inner = inner[..inner.find(">>").unwrap_or(inner.len())].trim();
    inner.contains("table") || inner.starts_with("(t,") || inner.starts_with("(t ")
}

/// The header of an entity or table class, without its `{`: the table's name.
fn header(body: &str, at: usize, macros: &HashMap<String, TableMacro>) -> Option<Named> {
    let lower = body.to_ascii_lowercase();
    for keyword in ["entity", "table", "class"] {
        let Some(rest) = lower.strip_prefix(keyword) else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        // Not any `class`: a class diagram draws the application's types, not tables.
        if keyword == "class" && !has_table_stereotype(body) {
            return None;
        }
        return header_name(&body[keyword.len()..], at + keyword.len());
    }
    // `Table(users, "Users") {`: a call of a header macro.
    let (name, args) = call(body)?;
    let m = macros.get(&name.to_lowercase())?;
    let (arg, start) = *args.get(m.name_param)?;
    let skip = arg.len() - arg.trim_start().len();
    let (written, s, e, _, _) = token(arg.trim())?;
    Some(Named {
        name: sql_name(written),
        start: at + start + skip + s,
        end: at + start + skip + e,
        label: None,
        written: written.to_string(),
    })
}

/// `NAME(arg, "arg, with comma", …)` at the start of `text`: the name and each argument with
/// its start in `text`.
fn call(text: &str) -> Option<(&str, Vec<(&str, usize)>)> {
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    if len == 0 || !text[len..].starts_with('(') {
        return None;
    }
    let mut args = Vec::new();
    let mut start = len + 1;
    let mut quoted = false;
    for (i, c) in text[len + 1..].char_indices() {
        let i = i + len + 1;
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                args.push((&text[start..i], start));
                start = i + 1;
            }
            ')' if !quoted => {
                args.push((&text[start..i], start));
                return Some((&text[..len], args));
            }
            _ => {}
        }
    }
    None
}

/// A `!define NAME(params) body` line: a table macro if its body declares a table.
fn define(line: &str, macros: &mut HashMap<String, TableMacro>) {
    let Some(rest) = line.strip_prefix("!define") else {
        return;
    };
    let rest = rest.trim_start();
    let Some((name, params)) = call(rest) else {
        return;
    };
    let params: Vec<&str> = params.iter().map(|(p, _)| p.trim()).collect();
    let close = rest[name.len()..]
        .find(')')
        .map_or(rest.len(), |i| i + name.len() + 1);
    let body = rest[close..].trim();
    let lower = body.to_ascii_lowercase();
    // A macro named for tables may draw them as plain classes.
    let named_table = name.to_ascii_lowercase().contains("table");
    let declares = ["entity ", "class "].iter().any(|k| lower.starts_with(k))
        && (lower.starts_with("entity") || has_table_stereotype(body) || named_table);
    if !declares {
        return;
    }
    let keyword = body.find(char::is_whitespace).unwrap_or(body.len());
    let Some(named) = header_name(&body[keyword..], 0) else {
        return;
    };
    let written = named.written.trim_matches(|c| c == '*' || c == '_');
    if let Some(i) = params.iter().position(|p| *p == written) {
        macros.insert(name.to_lowercase(), TableMacro { name_param: i });
    }
}

/// A relationship line as written, before its names are resolved.
struct RawRelationship {
    left: (String, bool),
    right: (String, bool),
    left_card: Cardinality,
    right_card: Cardinality,
    identifying: bool,
    label: Option<String>,
    span: TextRange,
    /// Drawn in information engineering's notation (`}o--||`), which only entity diagrams
    /// use; multiplicities (`"1" -- "*"`) are any class diagram's.
    crows_feet: bool,
}

/// A multiplicity in quotes (`"1"`, `"0..*"`, `"1..n"`).
fn multiplicity(text: &str) -> Option<Cardinality> {
    use Cardinality::*;
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "1..1" => Some(ExactlyOne),
        "0..1" | "0,1" | "?" => Some(ZeroOrOne),
        "*" | "0..*" | "n" | "m" | "0..n" | "many" | "0+" => Some(ZeroOrMore),
        "1..*" | "1..n" | "1+" => Some(OneOrMore),
        _ => None,
    }
}

/// A connector such as `}o--||`, `|o..o{`, `-u-`, `-[#red]->`: the cardinalities drawn at its
/// ends (if any) and whether its line is solid.
fn connector(text: &str) -> Option<(Option<Cardinality>, Option<Cardinality>, bool)> {
    use Cardinality::*;
    let mut rest = text;
    let mut left = None;
    for (sym, card) in [
        ("|o", ZeroOrOne),
        ("||", ExactlyOne),
        ("}o", ZeroOrMore),
        ("}|", OneOrMore),
    ] {
        if let Some(r) = rest.strip_prefix(sym) {
            left = Some(card);
            rest = r;
            break;
        }
    }
    let mut right = None;
    for (sym, card) in [
        ("o|", ZeroOrOne),
        ("||", ExactlyOne),
        ("o{", ZeroOrMore),
        ("|{", OneOrMore),
    ] {
        if let Some(r) = rest.strip_suffix(sym) {
            right = Some(card);
            rest = r;
            break;
        }
    }
    // A class diagram's arrowheads (`*--`, `o--`, `<|--`, `-->`, `#--`): only the line and the
    // multiplicities say anything about the keys.
    let heads = ['<', '>', '|', '*', 'o', '#', 'x', '+', '^'];
    let rest = rest.trim_start_matches(heads).trim_end_matches(heads);
    // The line: dashes or dots, with a direction (`-up-`) or a style (`-[#red]-`) inside.
    let mut line = String::new();
    let mut inner = rest;
    while let Some(open) = inner.find('[') {
        line.push_str(&inner[..open]);
        let close = inner[open..].find(']')? + open;
        inner = &inner[close + 1..];
    }
    line.push_str(inner);
    let solid = line.contains('-');
    let marks: String = line.chars().filter(|c| matches!(c, '-' | '.')).collect();
    let words: String = line.chars().filter(|c| !matches!(c, '-' | '.')).collect();
    let direction = ["", "u", "d", "l", "r", "up", "down", "left", "right"];
    if marks.is_empty() || !direction.contains(&words.to_ascii_lowercase().as_str()) {
        return None;
    }
    Some((left, right, solid && !line.contains('.')))
}

/// `LEFT [mult] CONNECTOR [mult] RIGHT [: label]`, or None for any other line.
fn relationship(line: &str, at: usize) -> Option<RawRelationship> {
    let (left, _, _, left_quoted, len) = token(line)?;
    let mut rest = line[len..].trim_start();
    let quoted_mult = |rest: &mut &str| -> Option<Option<Cardinality>> {
        let Some(q) = rest.strip_prefix('"') else {
            return Some(None);
        };
        let close = q.find('"')?;
        let card = multiplicity(&q[..close])?;
        *rest = q[close + 1..].trim_start();
        Some(Some(card))
    };
    let left_mult = quoted_mult(&mut rest)?;
    let conn_len = rest.find(char::is_whitespace)?;
    let (left_sym, right_sym, identifying) = connector(&rest[..conn_len])?;
    rest = rest[conn_len..].trim_start();
    let right_mult = quoted_mult(&mut rest)?;
    let (right, _, _, right_quoted, len) = token(rest)?;
    let after = rest[len..].trim_start();
    let label = match after.strip_prefix(':') {
        Some(l) => Some(l.trim().trim_matches('"').to_string()).filter(|l| !l.is_empty()),
        None if after.is_empty() => None,
        None => return None,
    };
    let (left_card, right_card) = (left_sym.or(left_mult)?, right_sym.or(right_mult)?);
    Some(RawRelationship {
        crows_feet: left_sym.is_some() || right_sym.is_some(),
        left: (left.to_string(), left_quoted),
        right: (right.to_string(), right_quoted),
        left_card,
        right_card,
        identifying,
        label,
        span: range(at, at + line.len()),
    })
}

/// Lines that open a block pgspec skips to its end line (`note … end note`, preprocessor
/// procedures): the end line's start, lowercased.
fn skipped_block_end(lower: &str) -> Option<&'static str> {
    // `note right of x` / `note as N1` run to `end note`; `note "text" as N1` and `note left:
    // text` are one line.
    if (lower.starts_with("note ") && !lower.contains(':') && !lower.contains('"'))
        || lower == "note"
    {
        return Some("end note");
    }
    for (open, end) in [
        ("!procedure", "!end"),
        ("!function", "!end"),
        ("!unquoted", "!end"),
        ("!definelong", "!enddefinelong"),
        ("legend", "endlegend"),
    ] {
        if lower.starts_with(open) && !lower.contains(" end") {
            return Some(end);
        }
    }
    None
}

/// The tables, relationships and problems of one diagram, with ranges in its text.
pub fn read(code: &str) -> Reading {
    let text = blank_block_comments(code);
    let mut reading = Reading::default();
    let mut macros: HashMap<String, TableMacro> = HashMap::new();
    let mut raw_relationships = Vec::new();
    // Quoted labels and their table (`entity "Users" as users`: `"Users" ||--o{ orders`).
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut current: Option<usize> = None;
    let mut current_enum: Option<usize> = None;
    let mut skip_until: Option<&str> = None;
    let mut start = 0usize;
    for raw in text.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let at = line_start + (line.len() - line.trim_start().len());
        let lower = trimmed.to_lowercase();
        if let Some(end) = skip_until {
            if lower.starts_with(end) || lower.replace(' ', "").starts_with(&end.replace(' ', "")) {
                skip_until = None;
            }
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('\'') || trimmed.starts_with('@') {
            continue;
        }
        if let Some(end) = skipped_block_end(&lower) {
            skip_until = Some(end);
            continue;
        }
        if trimmed.starts_with('}') {
            current_enum = None;
            if let Some(t) = current.take() {
                attributes::resolve_keys(&mut reading.tables[t], &mut reading.problems);
            }
            continue;
        }
        if let Some(e) = current_enum {
            // One value a line (`PAID`, `PAID : paid in full`, `PAID = 2`).
            let len = bare_len(trimmed);
            if len > 0 && !trimmed.starts_with("--") && !trimmed.starts_with("..") {
                reading.enums[e].values.push(trimmed[..len].to_string());
            }
            continue;
        }
        if let Some(t) = current {
            match attribute(line, line_start) {
                Attribute::Column(c) => reading.tables[t].columns.push(*c),
                Attribute::Key(k) => reading.tables[t].keys.push(k),
                Attribute::Nothing => {}
                Attribute::Unreadable(p) => reading.problems.push(p),
            }
            continue;
        }
        if trimmed.starts_with('!') {
            define(trimmed, &mut macros);
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('{') {
            if let Some(rest) = body.strip_prefix("enum ") {
                if let Some(named) = header_name(rest.trim_end(), at + "enum ".len()) {
                    reading.enums.push(DocEnum {
                        name: named.name.to_lowercase(),
                        values: Vec::new(),
                        declared: true,
                        span: range(named.start, named.end),
                    });
                    current_enum = Some(reading.enums.len() - 1);
                }
                continue;
            }
            if let Some(named) = header(body.trim_end(), at, &macros) {
                if let Some(label) = &named.label {
                    labels.insert(label.clone(), named.name.clone());
                }
                reading.tables.push(DocTable {
                    name: named.name,
                    source: SourceKind::PlantUml,
                    span: range(named.start, named.end),
                    alias: named.label,
                    defined: true,
                    columns: Vec::new(),
                    inferred: false,
                    keys: Vec::new(),
                });
                current = Some(reading.tables.len() - 1);
            }
            continue;
        }
        if let Some(r) = relationship(trimmed, at) {
            raw_relationships.push(r);
        }
    }
    let resolve = |(name, quoted): &(String, bool)| {
        if *quoted {
            labels.get(name).cloned().unwrap_or_else(|| sql_name(name))
        } else {
            sql_name(name)
        }
    };
    // A class diagram of the application's types draws multiplicities too: those count only
    // between two tables of the diagram.
    let table_names: Vec<String> = reading.tables.iter().map(|t| t.name.clone()).collect();
    reading.relationships = raw_relationships
        .iter()
        .filter(|r| {
            r.crows_feet
                || (table_names.contains(&resolve(&r.left))
                    && table_names.contains(&resolve(&r.right)))
        })
        .map(|r| DocRelationship {
            left: resolve(&r.left),
            right: resolve(&r.right),
            left_card: r.left_card,
            right_card: r.right_card,
            identifying: r.identifying,
            label: r.label.clone(),
            span: r.span,
            cardinality_written: true,
        })
        .collect();
    keys_from_relationships(&reading.relationships, &mut reading.tables);
    reading
}

/// The reading of every PlantUML block of a document, ranges mapped into the document.
pub fn from_blocks<'a>(blocks: impl Iterator<Item = &'a CodeBlock>) -> Reading {
    let mut all = Reading::default();
    for block in blocks.filter(|b| is_plantuml_block(b)) {
        let mut reading = read(&block.code);
        let map = |r: TextRange| block.source_map.range_to_document(r);
        for t in &mut reading.tables {
            t.map_ranges(map);
        }
        for r in &mut reading.relationships {
            r.span = map(r.span);
        }
        for e in &mut reading.enums {
            e.span = map(e.span);
        }
        for p in &mut reading.problems {
            p.range = map(p.range);
        }
        all.tables.extend(reading.tables);
        all.relationships.extend(reading.relationships);
        all.enums.extend(reading.enums);
        all.problems.extend(reading.problems);
    }
    all
}
