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
