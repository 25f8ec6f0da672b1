//! The ERD as a mermaid `erDiagram`, to paste back into a design document. Mermaid's grammar
//! takes only word characters in names and types, so other characters become `_` (a name
//! that then collides gets a numbered suffix); comments are quoted without quotes or markup.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use pgspec_schema::Cardinality;

use crate::erd::Erd;

/// Characters of a drift finding kept in a column's comment.
const MERMAID_NOTE: usize = 100;

/// The symbol at the left end of a relationship for the left side's cardinality.
fn left(c: Cardinality) -> &'static str {
    match c {
        Cardinality::ZeroOrOne => "|o",
        Cardinality::ExactlyOne => "||",
        Cardinality::ZeroOrMore => "}o",
        Cardinality::OneOrMore => "}|",
    }
}

/// The symbol at the right end for the right side's cardinality.
fn right(c: Cardinality) -> &'static str {
    match c {
        Cardinality::ZeroOrOne => "o|",
        Cardinality::ExactlyOne => "||",
        Cardinality::ZeroOrMore => "o{",
        Cardinality::OneOrMore => "|{",
    }
}

/// `s` as a mermaid word: letters, digits, `_` and `-`, starting with a letter or `_`.
fn word(s: &str, extra: &[char]) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || extra.contains(&c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// A quoted mermaid comment: no quotes, no markup, no line breaks.
fn comment(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| match c {
            '"' | '<' | '>' | '&' | '#' | ';' | '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{clean}\"")
}

/// The mermaid text of `erd`.
pub fn to_mermaid(erd: &Erd) -> String {
    // Distinct mermaid names, in table order.
    let mut taken = BTreeSet::new();
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for t in &erd.tables {
        let base = word(&t.name, &[]);
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.insert(&t.name, name);
    }
    let mut out = String::from("erDiagram\n");
    for t in &erd.tables {
        let name = &names[t.name.as_str()];
        let mut notes = Vec::new();
        if !t.built {
            notes.push(if t.origin == "referenced" {
                "no table of the document defines it"
            } else {
                "not in the database"
            });
        }
        if t.columns.is_empty() {
            let _ = writeln!(out, "    {name} {{\n    }}");
        } else {
            let _ = writeln!(out, "    {name} {{");
            for c in &t.columns {
                let mut keys = Vec::new();
                if c.primary_key {
                    keys.push("PK");
                }
                if c.foreign_key {
                    keys.push("FK");
                }
                if c.unique {
                    keys.push("UK");
                }
                let mut notes = Vec::new();
                if c.nullable == Some(false) && !c.primary_key {
                    notes.push("not null".to_string());
                }
                if c.missing {
                    notes.push("DRIFT: described, not in the database".to_string());
                }
                for d in &c.drift {
                    notes.push(format!("DRIFT {}", crate::text::shorten(d, MERMAID_NOTE)));
                }
                let ty = word(&c.ty.replace(' ', "_"), &['(', ')', '[', ']']);
                let _ = write!(out, "        {ty} {}", word(&c.name, &[]));
                if !keys.is_empty() {
                    let _ = write!(out, " {}", keys.join(","));
                }
                if !notes.is_empty() {
                    let _ = write!(out, " {}", comment(&notes.join(" / ")));
                }
                out.push('\n');
            }
            out.push_str("    }\n");
        }
        if let Some(key) = &t.partitioning {
            // The document's partitions only: the ones pgspec adds follow today's date.
            let own: Vec<&str> = t
                .partitions
                .iter()
                .filter(|p| p.from_document)
                .map(|p| p.name.as_str())
                .collect();
            let _ = writeln!(
                out,
                "    %% {name}: partitioned by {}; the document's partitions: {}",
                comment(key),
                comment(&own.join(", "))
            );
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "    %% {name}: {}", notes.join(", "));
        }
    }
    for e in &erd.edges {
        // Mermaid reads `A ||--o{ B` as "one A has zero or more B": the `to` side (a foreign
        // key's parent, an ERD line's left side) goes left.
        let (a, b) = (&names[e.to.as_str()], &names[e.from.as_str()]);
        let line = if e.foreign_key { "--" } else { ".." };
        let mut label = if e.foreign_key {
            e.label.clone()
        } else if e.label.is_empty() {
            format!("no foreign key (ERD line {})", e.line)
        } else {
            format!("{} - no foreign key (ERD line {})", e.label, e.line)
        };
        for d in &e.drift {
            let _ = write!(label, " / DRIFT {}", crate::text::shorten(d, MERMAID_NOTE));
        }
        let _ = writeln!(
            out,
            "    {a} {}{line}{} {b} : {}",
            left(e.to_cardinality),
            right(e.from_cardinality),
            comment(&label)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erd::{ErdColumn, ErdEdge, ErdTable};

    fn table(name: &str, columns: &[(&str, &str)]) -> ErdTable {
        ErdTable {
            name: name.into(),
            built: true,
            origin: "sql",
            columns: columns
                .iter()
                .map(|(n, t)| ErdColumn {
                    name: (*n).into(),
                    ty: (*t).into(),
                    primary_key: *n == "id",
                    foreign_key: false,
                    unique: false,
                    nullable: Some(true),
                    missing: false,
                    drift: Vec::new(),
                })
                .collect(),
            partitioning: None,
            partitions: Vec::new(),
        }
    }

    #[test]
    fn names_types_and_comments_stay_inside_mermaids_grammar() {
        let mut a = table(
            "order lines",
            &[("id", "bigint"), ("unit price", "numeric(10,2)")],
        );
        a.columns[1].drift = vec!["DRF005: the ERD says \"float\"; <b>".into()];
        let b = table("order-lines", &[("id", "character varying(20)")]);
        let c = table("9\"x", &[]);
        let erd = Erd {
            tables: vec![a, b, c],
            edges: vec![ErdEdge {
                from: "order-lines".into(),
                to: "order lines".into(),
                from_cardinality: Cardinality::ZeroOrMore,
                to_cardinality: Cardinality::ExactlyOne,
                label: "id".into(),
                foreign_key: true,
                line: 0,
                drift: Vec::new(),
            }],
        };
        let text = to_mermaid(&erd);
        assert_eq!(
            text,
            "erDiagram\n    order_lines {\n        bigint id PK\n        numeric(10_2) unit_price \"DRIFT DRF005: the ERD says 'float'' 'b'\"\n    }\n    order-lines {\n        character_varying(20) id PK\n    }\n    _9_x {\n    }\n    order_lines ||--o{ order-lines : \"id\"\n"
        );
    }

    #[test]
    fn names_that_collide_once_reduced_get_a_suffix() {
        let erd = Erd {
            tables: vec![table("a b", &[]), table("a_b", &[])],
            edges: Vec::new(),
        };
        let text = to_mermaid(&erd);
        assert!(
            text.contains("    a_b {") && text.contains("    a_b_2 {"),
            "{text}"
        );
    }
}
