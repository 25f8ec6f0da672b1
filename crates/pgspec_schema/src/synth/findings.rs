//! The findings synthesis gives about what it generated: a type that is not PostgreSQL's
//! (ERD003), a table read from a sentence (ERD004), an SQL fragment completed from its
//! description (DRF).

use std::collections::HashMap;

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::Document;
use crate::sql::quote::quote_literal as literal;
use crate::sql::Statement;
use crate::text::TextRange;

use super::super::model::{DocColumn, SourceKind};
use super::{is_enum_word, Merged};

/// ERD003 for a generated column whose type is not PostgreSQL's: another system's spelling
/// (not in an ERD, where mermaid's generic words are the convention), an unknown word, MySQL's
/// `ENUM(…)`, a bare `enum` without values. The finding names the type pgspec chose.
pub(super) fn type_finding(
    c: &DocColumn,
    source: SourceKind,
    types: &HashMap<String, usize>,
) -> Option<Diagnostic> {
    let raw = c.raw_type.trim();
    if raw.is_empty() || types.contains_key(&raw.to_lowercase()) {
        return None;
    }
    let name = &c.name;
    let (message, help) = if is_enum_word(raw) {
        let inline = raw.contains('(');
        if c.enum_values.len() >= 2 && !inline {
            return None;
        }
        if c.enum_values.len() >= 2 {
            let values: Vec<String> = c.enum_values.iter().map(|v| literal(v)).collect();
            (
                format!(
                    "`{raw}` is MySQL's enumeration, not a PostgreSQL type; pgspec created `{name}` as `text` with CHECK ({name} IN ({}))",
                    values.join(", ")
                ),
                "in PostgreSQL, create the type (`CREATE TYPE … AS ENUM (…)`) and name it, or write `text` and list the values in the notes".to_string(),
            )
        } else {
            (
                format!("`{raw}` names no type and no values are listed; pgspec created `{name}` as `text`"),
                "list the values in the notes (`admin | member`) or create the type in SQL and name it".to_string(),
            )
        }
    } else {
        match &c.pg_type {
            Some(chosen) if crate::sql::types::is_foreign_spelling(raw) => {
                // A mermaid ERD has no room for spaces, and Prisma's scalar types and Rails'
                // column types are their own language (`String`, `DateTime`, `t.string`):
                // none is a misspelling to fix.
                if matches!(
                    source,
                    SourceKind::Erd | SourceKind::Prisma | SourceKind::RailsSchema
                ) {
                    return None;
                }
                (
                    format!("`{raw}` is not a PostgreSQL type; pgspec read it as `{chosen}`"),
                    format!("write `{chosen}` (or the PostgreSQL type meant) in the document"),
                )
            }
            Some(_) => return None,
            None => (
                format!("`{raw}` is not a PostgreSQL type; pgspec created `{name}` as `text`"),
                "write a PostgreSQL type (`text`, `integer`, `numeric(10,2)`, `timestamptz`, …), or create the type in SQL".to_string(),
            ),
        }
    };
    let range = if c.type_span.is_empty() {
        c.span
    } else {
        c.type_span
    };
    Some(
        Diagnostic::new(Code::TypeNotPostgres, Category::Document, message, range)
            .label("not a PostgreSQL type")
            .help(help),
    )
}

/// ERD004: a table read from a sentence, with the columns and types pgspec guessed.
pub(super) fn inferred_note(m: &Merged) -> Diagnostic {
    let columns: Vec<String> = m
        .columns
        .iter()
        .map(|c| format!("`{}` {}", c.name, c.pg_type.as_deref().unwrap_or("text")))
        .collect();
    let mut d = Diagnostic::new(
        Code::TableInferred,
        Category::Document,
        format!(
            "pgspec read table `{}` from a sentence: {}",
            m.table.name,
            columns.join(", ")
        ),
        m.table.span,
    )
    .label("described only in a sentence")
    .note("the column names are the sentence's words in snake case; the types are guessed from the names")
    .help("confirm the columns and types, or write the table as a column table or SQL");
    if let (Some(first), Some(last)) = (m.columns.first(), m.columns.last()) {
        d = d.secondary(Label::with_message(
            first.span.cover(last.span),
            "the columns named here",
        ));
    }
    d
}

/// ERD003 once per generated table for its columns that have no type at all (nor a referenced
/// column to take one from): they are created as `text`.
pub(super) fn untyped_finding(m: &Merged, untyped: &[&DocColumn]) -> Option<Diagnostic> {
    let first = untyped.first()?;
    let names: Vec<String> = untyped.iter().map(|c| format!("`{}`", c.name)).collect();
    let mut d = Diagnostic::new(
        Code::TypeNotPostgres,
        Category::Document,
        format!(
            "{} of `{}` {} no type; pgspec created {} as `text`",
            names.join(", "),
            m.table.name,
            if untyped.len() == 1 { "has" } else { "have" },
            if untyped.len() == 1 { "it" } else { "them" },
        ),
        first.span,
    )
    .label("no type given")
    .help("give each column its type (`id` (bigint, PK), a Type column in a table)");
    for c in &untyped[1..] {
        d = d.secondary(Label::new(c.span));
    }
    Some(d)
}

/// DRF: a `CREATE TABLE` fragment completed with the columns its description declares.
pub(super) fn fragment_note(
    doc: &Document,
    creator: &Statement,
    m: &Merged,
    missing: &[&DocColumn],
    elided: bool,
    used: &[&str],
) -> Diagnostic {
    let source_line = doc.line_index.line(m.table.span.start);
    let what = m.table.source.what();
    let names: Vec<String> = missing.iter().map(|c| format!("`{}`", c.name)).collect();
    let why = if elided {
        "it elides columns".to_string()
    } else {
        format!(
            "other statements use {}",
            used.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let first_line_end = creator.text.find('\n').map_or(creator.range.end, |n| {
        creator.range.start + u32::try_from(n).unwrap_or(0)
    });
    let primary = if creator.generated().is_none() {
        TextRange::new(creator.range.start, first_line_end.min(creator.range.end))
    } else {
        creator.range
    };
    Diagnostic::new(
        Code::FragmentMerged,
        Category::Drift,
        format!(
            "`CREATE TABLE {}` is a fragment: merged with the {what} at line {source_line}",
            m.table.name
        ),
        primary,
    )
    .label(why)
    .secondary(Label::with_message(
        m.table.span,
        format!("declares {}", names.join(", ")),
    ))
    .note(format!(
        "pgspec added {} after this statement (generated, never written into the document)",
        names.join(", ")
    ))
    .help(format!(
        "write the whole table in SQL, or mark the statement as an excerpt of the {what}"
    ))
}
