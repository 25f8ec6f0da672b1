//! Findings about the columns of tables both sides define: columns missing on either side
//! (DRF003, DRF004), types that disagree (DRF005), keys that disagree (DRF009); and columns
//! the SQL uses on a table only the description defines, from the server's undefined-column
//! errors (DRF004).

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::Document;
use crate::sql::{ObjectKind, Statement};

use super::super::model::DocColumn;
use super::super::synth::{Merged, Synthesis};
use super::compare::{like_sources, missing_column_of, types_agree};
use super::sql_side::{SqlSideTable, SqlSpans};
use super::{bare, what};

pub(super) fn columns_drift(
    doc: &Document,
    m: &Merged,
    name: &str,
    table: &SqlSideTable,
    added: &[String],
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let source = what(m.table.source);
    let source_line = doc.line_index.line(m.table.span.start);
    let table_span = sql.table(name);
    for c in &m.columns {
        if added.contains(&c.name) {
            continue; // DRF010 reported the fragment.
        }
        let Some(col) = table.column(&c.name) else {
            let mut d = Diagnostic::new(
                Code::ColumnNotInSql,
                Category::Drift,
                format!(
                    "column `{}.{}` is declared by the {source} but the SQL table has no such column",
                    m.table.name, c.name
                ),
                c.span,
            )
            .label("declared here")
            .help("add the column to the CREATE TABLE, or remove it from the description");
            if let Some(at) = table_span {
                d = d.secondary(Label::with_message(
                    at,
                    format!("`{name}` is created here without it"),
                ));
            }
            out.push(d);
            continue;
        };
        if let Some(doc_type) = &c.pg_type {
            if !types_agree(&c.raw_type, doc_type, &col.pg_type) {
                let mut d = Diagnostic::new(
                    Code::TypeMismatch,
                    Category::Drift,
                    format!(
                        "the {source} gives `{}.{}` the type `{}` but the SQL makes it `{}`",
                        m.table.name, c.name, c.raw_type, col.pg_type
                    ),
                    if c.type_span.is_empty() {
                        c.span
                    } else {
                        c.type_span
                    },
                )
                .label(format!("`{doc_type}` here"))
                .help(format!(
                    "make both say `{}` (the SQL is what the database gets)",
                    col.pg_type
                ))
                // One type choice repeated on many columns is one decision.
                .cause(format!("{source}: {doc_type} -> {}", col.pg_type));
                if let Some(at) = sql.column(name, &c.name) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("`{}` in the SQL", col.pg_type),
                    ));
                }
                out.push(d);
            }
        }
        key_drift(doc, m, c, table, name, sql, out);
    }
    // SQL columns the description lacks.
    for col in &table.columns {
        if added.contains(&col.name) || m.columns.iter().any(|c| c.name == col.name) {
            continue;
        }
        let Some(at) = sql.column(name, &col.name) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Code::ColumnNotInErd,
                Category::Drift,
                format!(
                    "column `{name}.{}` is created by the SQL but the {source} at line {source_line} does not declare it",
                    col.name
                ),
                at,
            )
            .label("created here")
            .secondary(Label::with_message(
                m.table.span,
                format!("the {source} has no `{}`", col.name),
            ))
            .help(format!("add `{}` to the {source}", col.name)),
        );
    }
    // PK marked on the SQL side only (the description marks another one, or none while it
    // marks other keys).
    let doc_pk: Vec<String> = m
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.clone())
        .collect();
    let mut sql_pk = table.primary_key.clone();
    sql_pk.sort();
    let mut doc_pk_sorted = doc_pk.clone();
    doc_pk_sorted.sort();
    if !doc_pk.is_empty() && !sql_pk.is_empty() && sql_pk != doc_pk_sorted {
        let first = m
            .columns
            .iter()
            .find(|c| c.primary_key)
            .map_or(m.table.span, |c| c.span);
        let mut d = Diagnostic::new(
            Code::KeyMismatch,
            Category::Drift,
            format!(
                "the {source} makes ({}) the primary key of `{name}` but the SQL's is ({})",
                doc_pk.join(", "),
                table.primary_key.join(", ")
            ),
            first,
        )
        .label("PK here")
        .help("make the PK markers match the SQL's PRIMARY KEY");
        if let Some(at) = sql.column(name, &table.primary_key[0]) {
            d = d.secondary(Label::with_message(at, "the SQL's primary key"));
        }
        out.push(d);
    }
}

fn key_drift(
    _doc: &Document,
    m: &Merged,
    c: &DocColumn,
    table: &SqlSideTable,
    name: &str,
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let source = what(m.table.source);
    let one = [c.name.clone()];
    let problem = if c.primary_key && table.primary_key.is_empty() {
        Some(format!(
            "the {source} marks `{name}.{}` as the primary key but the SQL table has none",
            c.name
        ))
    } else if c.unique && !c.primary_key && !table.is_unique(&one) {
        Some(format!(
            "the {source} marks `{name}.{}` unique but the SQL has no unique constraint on it",
            c.name
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        let mut d = Diagnostic::new(Code::KeyMismatch, Category::Drift, message, c.span)
            .label("key marked here")
            .help("add the constraint to the SQL, or remove the marker");
        if let Some(at) = sql.column(name, &c.name) {
            d = d.secondary(Label::with_message(at, "no such key in the SQL"));
        }
        out.push(d);
    }
}
/// DRF004 for columns the SQL uses on a table only the description defines (or completes),
/// found from the server's undefined-column errors.
pub(super) fn used_columns_drift(
    doc: &Document,
    merged: &[Merged],
    synthesis: &Synthesis,
    statements: &[Statement],
    server_findings: &[Diagnostic],
    out: &mut Vec<Diagnostic>,
) {
    for d in server_findings {
        if d.category != Category::UndefinedColumn || !d.code.as_str().starts_with("PG") {
            continue;
        }
        let Some((qualifier, column)) = d
            .postgres
            .as_ref()
            .and_then(|p| missing_column_of(&p.message))
        else {
            continue;
        };
        let Some(stmt) = statements.iter().find(|s| {
            s.generated().is_none()
                && s.range.start <= d.primary.range.start
                && d.primary.range.start <= s.range.end
        }) else {
            continue;
        };
        let table = stmt
            .facts
            .references
            .iter()
            .chain(&stmt.facts.creates)
            .filter(|r| r.kind == ObjectKind::Relation)
            .map(|r| r.name.to_lowercase())
            .chain(like_sources(&stmt.text))
            // `column users.x does not exist` is about `users` when the statement uses a
            // table of that name (not the policy's or trigger's own table); an alias leaves
            // every table a candidate.
            .filter(|r| match &qualifier {
                Some(q)
                    if stmt
                        .facts
                        .references
                        .iter()
                        .any(|o| o.name.to_lowercase() == *q) =>
                {
                    r == q
                }
                _ => true,
            })
            .find_map(|r| {
                let described = synthesis.generated_tables.contains_key(&r)
                    || synthesis.added_columns.contains_key(&r);
                described
                    .then(|| merged.iter().find(|m| bare(&m.table.name) == r))
                    .flatten()
            });
        let Some(m) = table else { continue };
        if m.columns.iter().any(|c| c.name == column) {
            continue;
        }
        let source = what(m.table.source);
        out.push(
            Diagnostic::new(
                Code::ColumnNotInErd,
                Category::Drift,
                format!(
                    "column `{}.{column}` is used by the SQL but the {source} at line {} does not declare it",
                    m.table.name,
                    doc.line_index.line(m.table.span.start)
                ),
                d.primary.range,
            )
            .label("used here")
            .secondary(Label::with_message(
                m.table.span,
                format!("the {source} has no `{column}`"),
            ))
            .help(format!("add `{column}` to the {source} (and to the table's SQL)")),
        );
    }
}
