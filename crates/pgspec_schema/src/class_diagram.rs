//! A reader for mermaid `classDiagram` blocks drawn as entity diagrams: classes whose
//! attributes carry SQL types and key marks (`+bigint id PK`, `+user_id : bigint FK`). A class
//! diagram usually draws the application's types, not tables, so a diagram is read only when
//! one of its attributes is marked `PK`; methods (`+cancel() void`) and generics are left out.
//!
//! Each class with attributes becomes a [`DocTable`] with the exact span of its name and of each
//! attribute's name and type. Relationship lines ([`relationships`]) between two of those
//! tables are the diagram's relationships, as an erDiagram's are; so is a line with both
//! multiplicities from a table to a class the diagram only names there (an entity it draws but
//! does not describe). A relationship with a "many" side marks that side's `<other>_id` column
//! as its foreign key; an `FK` attribute's target is otherwise guessed from its name. A line
//! the reader cannot use is skipped; it never panics.

mod relationships;

use crate::document::{CodeBlock, Document};
use crate::erd::range;
use crate::text::TextRange;

use super::model::{
    keys_from_relationships, normalize_type, DocColumn, DocRelationship, DocTable, SourceKind,
};

/// Whether a block is a mermaid class diagram.
pub fn is_class_diagram_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "mermaid" | "mmd")
        && block
            .code
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("%%"))
            .is_some_and(|l| l.starts_with("classDiagram"))
}

/// A class or attribute name at the start of `text` (letters, digits, `_`) and its length.
fn ident_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// The key and nullability marks after an attribute (`PK`, `FK`, `UK`, `NOT NULL`, `NN`).
struct Marks {
    primary: bool,
    foreign: bool,
    unique: bool,
    not_null: bool,
}

fn marks(text: &str) -> Marks {
    let upper = text.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    Marks {
        primary: has("PK"),
        foreign: has("FK"),
        unique: has("UK") || has("UNIQUE"),
        not_null: has("NN") || upper.contains("NOT NULL"),
    }
}

/// One attribute line (`+bigint id PK`, `-name : varchar(100) UK`, `bigint id`), with
/// `at` the offset of `text` in the diagram. `None` for a method or an unreadable line.
fn attribute(text: &str, at: usize) -> Option<DocColumn> {
    let lead = text.len()
        - text
            .trim_start_matches(['+', '-', '#', '~', ' ', '\t'])
            .len();
    let body = &text[lead..];
    if body.contains('(') && body.find('(') < body.find(':').or(Some(body.len())) {
        // `cancel() void`, `total(items) int`: a method, unless the `(` belongs to a type
        // (`varchar(120) name`; after a `:`, `name : varchar(100)`, it always does).
        let first = ident_len(body);
        let is_type = body[first..]
            .find(')')
            .is_some_and(|close| normalize_type(&body[..first + close + 1]).is_some());
        if body[first..].trim_start().starts_with('(') && !is_type {
            return None;
        }
    }
    let column = |name: &str, name_at: usize, ty: &str, ty_at: usize, rest: &str| {
        let m = marks(rest);
        DocColumn {
            name: name.to_lowercase(),
            pg_type: normalize_type(ty),
            raw_type: ty.to_string(),
            span: range(name_at, name_at + name.len()),
            type_span: range(ty_at, ty_at + ty.len()),
            primary_key: m.primary,
            foreign_key: m.foreign,
            unique: m.unique,
            not_null: m.not_null.then_some(true),
            ..DocColumn::default()
        }
    };
    if let Some(colon) = body.find(':') {
        // `name : type [marks]`
        let name = body[..colon].trim();
        if name.is_empty() || ident_len(name) != name.len() {
            return None;
        }
        let after = &body[colon + 1..];
        let ty_lead = after.len() - after.trim_start().len();
        let ty_text = after.trim_start();
        let ty_len = type_len(ty_text);
        if ty_len == 0 {
            return None;
        }
        let ty_at = at + lead + colon + 1 + ty_lead;
        return Some(column(
            name,
            at + lead,
            &ty_text[..ty_len],
            ty_at,
            &ty_text[ty_len..],
        ));
    }
    // `type name [marks]`
    let ty_len = type_len(body);
    if ty_len == 0 {
        return None;
    }
    let after = &body[ty_len..];
    let name_lead = after.len() - after.trim_start().len();
    let name_text = after.trim_start();
    let name_len = ident_len(name_text);
    if name_len == 0 || name_lead == 0 {
        return None;
    }
    Some(column(
        &name_text[..name_len],
        at + lead + ty_len + name_lead,
        &body[..ty_len],
        at + lead,
        &name_text[name_len..],
    ))
}

/// A type at the start of `text`: a word with an optional `(…)` (`varchar(120)`,
/// `numeric(10,2)`) and `[]`; mermaid's generics (`List~int~`) included as written.
fn type_len(text: &str) -> usize {
    let mut len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '~' || c == '.'))
        .unwrap_or(text.len());
    if len == 0 {
        return 0;
    }
    if text[len..].starts_with('(') {
        match text[len..].find(')') {
            Some(close) => len += close + 1,
            None => return 0,
        }
    }
    while text[len..].starts_with("[]") {
        len += 2;
    }
    len
}

/// The classes of one diagram as tables, with ranges in its text; empty when no attribute is
/// marked `PK` (a diagram of the application's types).
pub fn parse(code: &str) -> Vec<DocTable> {
    read(code).0
}

/// The tables and relationships of every class diagram of `doc`, ranges in the document.
pub fn from_document(doc: &Document) -> (Vec<DocTable>, Vec<DocRelationship>) {
    let mut tables = Vec::new();
    let mut relationships = Vec::new();
    for block in doc.blocks.iter().filter(|b| is_class_diagram_block(b)) {
        let map = |r: TextRange| block.source_map.range_to_document(r);
        let (mut t, mut r) = read(&block.code);
        for t in &mut t {
            t.map_ranges(map);
        }
        for r in &mut r {
            r.span = map(r.span);
        }
        tables.extend(t);
        relationships.extend(r);
    }
    (tables, relationships)
}

/// The tables and relationships of one diagram, with ranges in its text; nothing when no
/// attribute is marked `PK`.
pub fn read(code: &str) -> (Vec<DocTable>, Vec<DocRelationship>) {
    let mut lines: Vec<relationships::Line> = Vec::new();
    let mut tables: Vec<DocTable> = Vec::new();
    let mut current: Option<usize> = None;
    let mut start = 0usize;
    let table_of = |tables: &mut Vec<DocTable>, name: &str, at: usize| -> usize {
        let lower = name.to_lowercase();
        if let Some(i) = tables.iter().position(|t| t.name == lower) {
            return i;
        }
        tables.push(DocTable {
            name: lower,
            source: SourceKind::ClassDiagram,
            span: range(at, at + name.len()),
            alias: None,
            defined: true,
            columns: Vec::new(),
            inferred: false,
            keys: Vec::new(),
        });
        tables.len() - 1
    };
    for raw in code.split_inclusive('\n') {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let at = line_start + (line.len() - line.trim_start().len());
        if trimmed.is_empty() || trimmed.starts_with("%%") {
            continue;
        }
        if trimmed.starts_with('}') {
            current = None;
            continue;
        }
        if let Some(t) = current {
            if let Some(c) = attribute(trimmed, at) {
                tables[t].columns.push(c);
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("class ") {
            let lead = rest.len() - rest.trim_start().len();
            let rest = rest.trim_start();
            let len = ident_len(rest);
            if len == 0 {
                continue;
            }
            let name_at = at + "class ".len() + lead;
            let t = table_of(&mut tables, &rest[..len], name_at);
            if rest[len..].trim_end().ends_with('{') {
                current = Some(t);
            }
            continue;
        }
        if let Some(l) = relationships::line(trimmed, at) {
            lines.push(l);
            continue;
        }
        // `Booking : +bigint id PK`: one attribute of a class, outside braces.
        let len = ident_len(trimmed);
        if len > 0 && trimmed[len..].trim_start().starts_with(':') {
            let after = trimmed[len..].trim_start();
            let member = after[1..].trim_start();
            let member_at = at + (trimmed.len() - member.len());
            if let Some(c) = attribute(member, member_at) {
                let t = table_of(&mut tables, &trimmed[..len], at);
                tables[t].columns.push(c);
            }
        }
    }
    if !tables
        .iter()
        .flat_map(|t| &t.columns)
        .any(|c| c.primary_key)
    {
        return (Vec::new(), Vec::new());
    }
    // Every class the diagram declares or gives a member, before those without columns go.
    let declared: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    tables.retain(|t| !t.columns.is_empty());
    let is_table = |name: &str| tables.iter().any(|t| t.name == name);
    let relationships: Vec<DocRelationship> = lines
        .into_iter()
        .filter_map(|l| {
            let (left, right) = (l.left.to_lowercase(), l.right.to_lowercase());
            let only_named = |name: &str| !declared.iter().any(|d| d == name);
            let kept = (is_table(&left) && is_table(&right))
                || (l.written
                    && ((is_table(&left) && only_named(&right))
                        || (only_named(&left) && is_table(&right))));
            kept.then_some(DocRelationship {
                left,
                right,
                left_card: l.left_card,
                right_card: l.right_card,
                identifying: l.solid,
                label: l.label,
                span: l.span,
                cardinality_written: l.written,
            })
        })
        .collect();
    keys_from_relationships(&relationships, &mut tables);
    (tables, relationships)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIAGRAM: &str = "classDiagram
    direction LR
    class Restaurant {
        +bigint id PK
        +varchar(120) name
        +created_at : timestamptz NOT NULL
    }
    class DiningTable {
        +bigint id PK
        +bigint restaurant_id FK
        +cancel() void
        +List~Booking~ bookings
    }
    class Marker
    Customer : +bigint id PK
    Customer : +phone : varchar(20) UK
    Restaurant \"1\" --> \"*\" DiningTable : has
";

    #[test]
    fn classes_with_typed_attributes_are_tables() {
        let tables = parse(DIAGRAM);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["restaurant", "diningtable", "customer"]);
        assert_eq!(&DIAGRAM[tables[0].span.as_usize()], "Restaurant");
        let cols: Vec<(&str, Option<&str>)> = tables[0]
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.pg_type.as_deref()))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", Some("bigint")),
                ("name", Some("character varying(120)")),
                ("created_at", Some("timestamp with time zone"))
            ]
        );
        let created = &tables[0].columns[2];
        assert_eq!(created.not_null, Some(true));
        assert_eq!(&DIAGRAM[created.span.as_usize()], "created_at");
        assert_eq!(&DIAGRAM[created.type_span.as_usize()], "timestamptz");
        let name = &tables[0].columns[1];
        assert_eq!(&DIAGRAM[name.span.as_usize()], "name");
        assert_eq!(&DIAGRAM[name.type_span.as_usize()], "varchar(120)");
        // The method is left out; the generic stays as written (not a PostgreSQL type).
        let dining: Vec<&str> = tables[1].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(dining, ["id", "restaurant_id", "bookings"]);
        assert!(tables[1].columns[1].foreign_key);
        assert_eq!(tables[1].columns[2].pg_type, None);
        let phone = &tables[2].columns[1];
        assert!(phone.unique);
        assert_eq!(&DIAGRAM[phone.type_span.as_usize()], "varchar(20)");
    }

    #[test]
    fn relationship_lines_between_tables_are_relationships() {
        let text = "classDiagram
    class Order {
        +bigint id PK
    }
    class LineItem {
        +bigint id PK
        +bigint order_id
    }
    class Mailer {
        +send() void
    }
    Order *-- LineItem
    Order \"1\" --> \"0..1\" Shipment : ships
    Order ..> Mailer
    Order --> Mailer
    Order -- Refund
";
        let (tables, rels) = read(text);
        let ends: Vec<(&str, &str, bool)> = rels
            .iter()
            .map(|r| (r.left.as_str(), r.right.as_str(), r.cardinality_written))
            .collect();
        // `Shipment` is only named, on a line with both multiplicities: an entity drawn but not
        // described. `Mailer` is a class, not a table; `Refund` has no multiplicities.
        assert_eq!(
            ends,
            [("order", "lineitem", false), ("order", "shipment", true)]
        );
        assert_eq!(&text[rels[0].span.as_usize()], "Order *-- LineItem");
        assert_eq!(rels[1].label.as_deref(), Some("ships"));
        // The composition draws `line_item.order_id`'s key.
        let order_id = &tables[1].columns[1];
        assert!(order_id.foreign_key);
        assert_eq!(order_id.references, Some(("order".to_string(), None)));
    }

    #[test]
    fn a_diagram_of_types_without_keys_is_not_read() {
        let text =
            "classDiagram\n    class Animal {\n        +String name\n        +eat() void\n    }\n";
        assert!(parse(text).is_empty());
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "classDiagram\nclass {\n",
            "class A {\n + : \n +( \n +x(\n +varchar( id PK\n}",
            "A : \nB :: x\n: y\nclass C\n C : +int id PK",
            "classDiagram\n  class é {\n   +int ü PK\n }",
        ] {
            let _ = parse(text);
        }
    }
}
