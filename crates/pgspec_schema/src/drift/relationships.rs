//! Findings about relationships: ERD relationships to undefined entities (DRF011) or without a
//! foreign key (DRF006), cardinalities the keys contradict (DRF008), and foreign keys the ERD
//! does not draw (DRF007).

use std::collections::HashSet;

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::Document;

use super::super::model::{Cardinality, DocSchema, SourceKind};
use super::super::synth::Synthesis;
use super::bare;
use super::sql_side::{SqlSide, SqlSpans};

pub(super) fn relationships_drift(
    doc: &Document,
    schema: &DocSchema,
    synthesis: &Synthesis,
    catalog: &SqlSide,
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let generated = &synthesis.generated_tables;
    let defined = |name: &str| {
        catalog.tables.contains_key(name)
            || sql.creators.contains_key(name)
            || schema
                .tables
                .iter()
                .any(|t| bare(&t.name) == name && t.defined)
    };
    let erd_span = |name: &str| {
        schema
            .tables
            .iter()
            .find(|t| bare(&t.name) == name && t.source.draws_relationships())
            .map(|t| t.span)
    };
    for r in &schema.relationships {
        let (left, right) = (bare(&r.left), bare(&r.right));
        let missing: Vec<&str> = [left, right].into_iter().filter(|n| !defined(n)).collect();
        if !missing.is_empty() {
            for name in &missing {
                let other = if *name == left { right } else { left };
                let mut d = Diagnostic::new(
                    Code::RelationshipToUndefinedEntity,
                    Category::Drift,
                    format!(
                        "the ERD relates `{other}` to `{name}`, which neither the ERD, a column table nor the SQL defines"
                    ),
                    r.span,
                )
                .label(format!("`{name}` exists nowhere"))
                .help(format!("define `{name}` (ERD attributes or SQL), or remove the relationship"));
                if let Some(at) = sql.table(other).or_else(|| erd_span(other)) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("`{other}` has no key to `{name}`"),
                    ));
                }
                out.push(d);
            }
            continue;
        }
        // The side that should hold the key: the "many" one.
        let many = |c: Cardinality| matches!(c, Cardinality::ZeroOrMore | Cardinality::OneOrMore);
        let key_side = if many(r.right_card) { right } else { left };
        // DRF001 covers tables only the description defines, with the keys pgspec generated
        // for them; a table the SQL creates that should hold the key must have it, even
        // towards a generated table (DRF006).
        if generated.contains_key(key_side) {
            continue;
        }
        let (Some(lt), Some(rt)) = (catalog.tables.get(left), catalog.tables.get(right)) else {
            continue;
        };
        // The foreign key: right → left (left is the parent) or left → right.
        let fk_rl = rt.foreign_keys.iter().find(|f| f.target == left);
        let fk_lr = lt.foreign_keys.iter().find(|f| f.target == right);
        let (child, child_table, fk, parent_card, child_card) = match (fk_rl, fk_lr) {
            (Some(f), _) => (right, rt, f, r.left_card, r.right_card),
            (None, Some(f)) => (left, lt, f, r.right_card, r.left_card),
            (None, None) => {
                let child = key_side;
                let parent = if child == right { left } else { right };
                let mut d = Diagnostic::new(
                    Code::RelationshipWithoutForeignKey,
                    Category::Drift,
                    format!(
                        "the ERD relates `{}` to `{}` but the SQL has no foreign key between them",
                        r.left, r.right
                    ),
                    r.span,
                )
                .label("drawn here")
                .help(format!(
                    "add a REFERENCES {parent} column to `{child}`, or remove the relationship"
                ));
                if let Some(at) = sql.table(child) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("no key to `{parent}` here"),
                    ));
                }
                out.push(d);
                continue;
            }
        };
        // The keys pgspec generated from the description are the description's own: their
        // cardinalities are DRF001's business. Cardinalities a line does not write (a class
        // diagram's `Order *-- LineItem`) are not compared.
        if generated.contains_key(left) || generated.contains_key(right) || !r.cardinality_written {
            continue;
        }
        let parent = if child == right { left } else { right };
        let nullable = fk
            .columns
            .iter()
            .any(|c| child_table.column(c).is_some_and(|c| !c.not_null));
        let unique = child_table.is_unique(&fk.columns);
        let cols = fk.columns.join(", ");
        let problem = match (parent_card, child_card) {
            (Cardinality::ExactlyOne, _) if nullable => Some(format!(
                "the ERD says every `{child}` has exactly one `{parent}` but `{child}.{cols}` is nullable"
            )),
            (Cardinality::ZeroOrOne, _) if !nullable => Some(format!(
                "the ERD says a `{child}` may have no `{parent}` but `{child}.{cols}` is NOT NULL"
            )),
            (_, Cardinality::ZeroOrOne | Cardinality::ExactlyOne) if !unique => Some(format!(
                "the ERD says one-to-one but `{child}.{cols}` is not unique, so a `{parent}` can have many"
            )),
            (_, Cardinality::ZeroOrMore | Cardinality::OneOrMore) if unique => Some(format!(
                "the ERD says one-to-many but `{child}.{cols}` is unique, so a `{parent}` has at most one"
            )),
            _ => None,
        };
        if let Some(message) = problem {
            let mut d =
                Diagnostic::new(Code::CardinalityMismatch, Category::Drift, message, r.span)
                    .label("cardinality drawn here")
                    .help("make the crow's feet match the key's nullability and uniqueness");
            if let Some(at) = fk.columns.first().and_then(|c| sql.column(child, c)) {
                d = d.secondary(Label::with_message(at, "the foreign key column"));
            }
            out.push(d);
        }
    }

    // DRF007: foreign keys between entities of a diagram (mermaid, PlantUML) that no diagram
    // draws.
    if schema.relationships.is_empty() {
        return;
    }
    let in_erd: HashSet<&str> = schema
        .tables
        .iter()
        .filter(|t| t.source.draws_relationships())
        .map(|t| bare(&t.name))
        .collect();
    let added = &synthesis.added_columns;
    for (name, table) in &catalog.tables {
        if generated.contains_key(name.as_str()) || !in_erd.contains(name.as_str()) {
            continue;
        }
        for fk in &table.foreign_keys {
            if fk.target == *name || !in_erd.contains(fk.target.as_str()) {
                continue;
            }
            if added
                .get(name)
                .is_some_and(|a| fk.columns.iter().any(|c| a.contains(c)))
            {
                continue;
            }
            let drawn = schema.relationships.iter().any(|r| {
                (bare(&r.left) == name && bare(&r.right) == fk.target)
                    || (bare(&r.right) == name && bare(&r.left) == fk.target)
            });
            if drawn {
                continue;
            }
            let Some(at) = fk.columns.first().and_then(|c| sql.column(name, c)) else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::ForeignKeyWithoutRelationship,
                Category::Drift,
                format!(
                    "the SQL's foreign key `{name}.{}` → `{}` has no relationship in the ERD",
                    fk.columns.join(", "),
                    fk.target
                ),
                at,
            )
            .label("foreign key here")
            .help(draw_help(doc, schema, &fk.target, name));
            if let Some(span) = erd_span(name) {
                d = d.secondary(Label::with_message(span, "the ERD entity"));
            }
            out.push(d);
        }
    }
}

/// How to draw the relationship of `child`'s key to `parent` in the child's diagram: a class
/// diagram's line with multiplicities, the classes spelled as the diagram writes them, else
/// crow's feet (mermaid's erDiagram and PlantUML both read them).
fn draw_help(doc: &Document, schema: &DocSchema, parent: &str, child: &str) -> String {
    let drawn = |name: &str| {
        schema
            .tables
            .iter()
            .find(|t| bare(&t.name) == name && t.source.draws_relationships())
    };
    let written = |name: &str| {
        drawn(name)
            .and_then(|t| doc.text.get(t.span.start as usize..t.span.end as usize))
            .unwrap_or(name)
            .to_string()
    };
    match drawn(child) {
        Some(t) if t.source == SourceKind::ClassDiagram => format!(
            "draw `{} \"1\" --> \"*\" {}` in the class diagram",
            written(parent),
            written(child)
        ),
        _ => format!("draw `{parent} ||--o{{ {child}` in the ERD"),
    }
}
