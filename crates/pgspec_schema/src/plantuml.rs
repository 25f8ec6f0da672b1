//! A reader for PlantUML entity diagrams (```plantuml / ```puml blocks, or any block between
//! `@startuml` and `@enduml`): `entity name [as alias] { … }` with attributes written
//! `[*] name : type [<<PK>>] [<<FK>>]` (`*` marks a mandatory attribute), `--`/`==`/`..`
//! separators and notes ignored. Relationship lines are left to the foreign-key guess
//! ([`super::infer_references`]) that every `FK` column without a target gets.
//!
//! Each entity becomes a [`DocTable`] with the exact span of its name and of each attribute's
//! name and type. A line the reader cannot use is skipped; it never panics.

use crate::document::CodeBlock;
use crate::erd::range;

use super::model::{normalize_type, DocColumn, DocTable, SourceKind};

/// Whether a block is a PlantUML diagram.
pub fn is_plantuml_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "plantuml" | "puml" | "uml")
        || block.code.trim_start().starts_with("@startuml")
}

/// A name (`users`, `"order items"`, `shop.users`) at the start of `text`: lowercased unless
/// quoted, its start and end in `text`.
fn name_at(text: &str) -> Option<(String, usize, usize)> {
    if let Some(q) = text.strip_prefix('"') {
        let close = q.find('"')?;
        return Some((q[..close].to_string(), 1, 1 + close));
    }
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    (len > 0).then(|| (text[..len].to_lowercase(), 0, len))
}

/// The entities of one diagram, with ranges in its text.
pub fn parse(code: &str) -> Vec<DocTable> {
    let mut tables: Vec<DocTable> = Vec::new();
    let mut current: Option<usize> = None;
    let mut start = 0usize;
    for raw in code.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let at = line_start + (line.len() - line.trim_start().len());
        if trimmed.is_empty() || trimmed.starts_with('\'') {
            continue;
        }
        if trimmed.starts_with('}') {
            current = None;
            continue;
        }
        match current {
            None => {
                let lower = trimmed.to_ascii_lowercase();
                // Not `class`: a class diagram draws the application's types, not tables.
                let keyword = ["entity ", "table "]
                    .iter()
                    .find(|k| lower.starts_with(**k));
                let Some(keyword) = keyword else { continue };
                if !trimmed.ends_with('{') {
                    continue;
                }
                let rest = &trimmed[keyword.len()..];
                let skip = rest.len() - rest.trim_start().len();
                let rest = rest.trim_start();
                let Some((mut name, s, e)) = name_at(rest) else {
                    continue;
                };
                let mut span = range(at + keyword.len() + skip + s, at + keyword.len() + skip + e);
                // `entity "Users" as users {`: the alias is the table's name.
                let after = rest[e + usize::from(s == 1)..].trim_start();
                if let Some(alias) = after
                    .strip_prefix("as ")
                    .or_else(|| after.strip_prefix("AS "))
                {
                    let alias_trim = alias.trim_start();
                    if let Some((a, _, ae)) = name_at(alias_trim) {
                        if s == 1 && a.is_ascii() && !a.contains(' ') {
                            let offset = trimmed.len() - alias_trim.len();
                            span = range(at + offset, at + offset + ae);
                            name = a;
                        }
                    }
                }
                tables.push(DocTable {
                    name,
                    source: SourceKind::PlantUml,
                    span,
                    alias: None,
                    defined: true,
                    columns: Vec::new(),
                    inferred: false,
                    keys: Vec::new(),
                });
                current = Some(tables.len() - 1);
            }
            Some(t) => {
                if let Some(c) = attribute(line, line_start) {
                    tables[t].columns.push(c);
                }
            }
        }
    }
    tables
}

/// `[*|+|#] name : type [<<PK>>|<<FK>>|[PK]|…] [-- comment]`.
fn attribute(line: &str, line_start: usize) -> Option<DocColumn> {
    let lead = line.len() - line.trim_start().len();
    let mut text = line.trim_start();
    let mut offset = line_start + lead;
    if text.starts_with("--") || text.starts_with("==") || text.starts_with("..") {
        return None;
    }
    let mut mandatory = false;
    while let Some(c) = text
        .chars()
        .next()
        .filter(|c| matches!(c, '*' | '+' | '#' | '-' | '~'))
    {
        mandatory |= c == '*';
        text = &text[1..];
        offset += 1;
    }
    let skip = text.len() - text.trim_start().len();
    text = text.trim_start();
    offset += skip;
    let (name, s, e) = name_at(text)?;
    let after = &text[e + usize::from(s == 1)..];
    let colon = after.find(':')?;
    if !after[..colon].trim().is_empty() {
        return None;
    }
    let type_part = &after[colon + 1..];
    let type_skip = type_part.len() - type_part.trim_start().len();
    let type_text = type_part.trim_start();
    let type_end = type_text
        .find("<<")
        .or_else(|| type_text.find(" [").map(|i| i + 1))
        .or_else(|| type_text.find(" --"))
        .unwrap_or(type_text.len());
    let raw_type = type_text[..type_end].trim().to_string();
    let marks = type_text[type_end..].to_ascii_uppercase();
    let mark = |m: &str| marks.contains(&format!("<<{m}>>")) || marks.contains(&format!("[{m}]"));
    let type_start = offset + e + usize::from(s == 1) + colon + 1 + type_skip;
    let primary_key = mark("PK");
    Some(DocColumn {
        name,
        pg_type: normalize_type(&raw_type),
        span: range(offset + s, offset + e),
        type_span: range(type_start, type_start + raw_type.len()),
        raw_type,
        primary_key,
        unique: mark("UK") || mark("UNIQUE") || mark("U"),
        foreign_key: mark("FK"),
        not_null: (mandatory || mark("NN") || mark("NOT NULL")).then_some(true),
        ..DocColumn::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIAGRAM: &str = "@startuml
' the shop
entity \"Users\" as users {
  * id : bigint <<PK>>
  --
  * email : varchar(255) <<UK>>
  name : text
}

entity orders {
  * id : bigint <<PK>>
  * user_id : bigint <<FK>>
  placed_at : timestamptz
}

users ||--o{ orders
@enduml
";

    #[test]
    fn entities_and_attributes_are_read() {
        let tables = parse(DIAGRAM);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "orders"]);
        assert_eq!(&DIAGRAM[tables[0].span.as_usize()], "users");
        let cols: Vec<(&str, Option<&str>)> = tables[0]
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", Some("bigint")),
                ("email", Some("character varying(255)")),
                ("name", Some("text"))
            ]
        );
        let email = &tables[0].columns[1];
        assert!(email.unique);
        assert_eq!(email.not_null, Some(true));
        assert_eq!(&DIAGRAM[email.span.as_usize()], "email");
        assert_eq!(&DIAGRAM[email.type_span.as_usize()], "varchar(255)");
        assert_eq!(tables[0].columns[2].not_null, None);
        let user_id = &tables[1].columns[1];
        assert!(user_id.foreign_key);
        assert!(tables[1].columns[0].primary_key);
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "@startuml\nentity {\n",
            "entity \"x\n : \n}",
            "entity a {\n * : int\n \"q : int\n x :\n}",
            "class b as \"B\" {\n+ id : int [PK]\n}",
        ] {
            let _ = parse(text);
        }
    }
}
