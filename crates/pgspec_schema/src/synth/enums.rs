//! The lists of values the document gives under a title that names them ([`DocEnum`]), as
//! `CREATE TYPE … AS ENUM` statements, when a column uses the name as its type (in SQL or in
//! any description) or the title says it is an enum, and no statement creates the type. Each
//! goes before the first statement that uses it, or where the list sits if that is earlier:
//! the tables generated afterwards then use the type as written.

use crate::document::Document;
use crate::model::{DocEnum, DocSchema};
use crate::sql::quote::quote_literal;
use crate::sql::{generated_statement, GeneratedFrom, ObjectKind, Statement};

use super::{quote, with_inserted};

/// `statements` with the listed enum types inserted, renumbered.
pub(super) fn with_listed_enums(
    doc: &Document,
    schema: &DocSchema,
    statements: Vec<Statement>,
) -> Vec<Statement> {
    let wanted: Vec<&DocEnum> = schema
        .enums
        .iter()
        .filter(|e| {
            !created(&statements, &e.name) && (e.declared || used(schema, &statements, &e.name))
        })
        .collect();
    if wanted.is_empty() {
        return statements;
    }
    let n = statements.len();
    let mut inserts: Vec<(usize, usize, Statement)> = Vec::new();
    for (seq, e) in wanted.into_iter().enumerate() {
        let first_use = statements.iter().position(|s| {
            s.facts
                .references
                .iter()
                .any(|r| r.kind == ObjectKind::Type && r.name.to_lowercase() == e.name)
        });
        let in_document = statements.iter().position(|s| s.range.start > e.span.start);
        let at = first_use.into_iter().chain(in_document).min().unwrap_or(n);
        let labels: Vec<String> = e.values.iter().map(|v| quote_literal(v)).collect();
        let text = format!(
            "CREATE TYPE {} AS ENUM ({});",
            quote(&e.name),
            labels.join(", ")
        );
        let from = GeneratedFrom {
            source_kind: "value-list".to_string(),
            table: e.name.clone(),
            column: None,
            line: doc.line_index.line(e.span.start),
            parts: Vec::new(),
        };
        inserts.push((at, seq, generated_statement(text, e.span, from)));
    }
    with_inserted(statements, inserts)
}

/// Whether a statement creates a type (or a relation, whose row type it would clash with)
/// named `name`.
fn created(statements: &[Statement], name: &str) -> bool {
    statements.iter().flat_map(|s| &s.facts.creates).any(|o| {
        matches!(o.kind, ObjectKind::Type | ObjectKind::Relation) && o.name.to_lowercase() == name
    })
}

/// Whether a column uses `name` as its type: in a description, or in a statement.
fn used(schema: &DocSchema, statements: &[Statement], name: &str) -> bool {
    schema.tables.iter().flat_map(|t| &t.columns).any(|c| {
        c.raw_type
            .trim()
            .trim_matches('`')
            .eq_ignore_ascii_case(name)
    }) || statements.iter().any(|s| {
        s.facts
            .references
            .iter()
            .any(|r| r.kind == ObjectKind::Type && r.name.to_lowercase() == name)
    })
}
