//! Drift: where the document's ERDs, column tables and prose disagree with its SQL (DRF001–
//! DRF011, category `drift`). The SQL side is what the SQL actually created: the scratch
//! database's one catalog after `check` ([`SqlSide::from_catalog`]), or, without a server, what the
//! `CREATE TABLE` statements say ([`SqlSide::from_statements`]). Tables and columns pgspec
//! generated itself ([`Synthesis`]) count as missing from the SQL. Every finding carries both
//! spans: the primary label on one side, a secondary label on the other.
//!
//! The SQL side lives in [`sql_side`]; the findings about columns, types and keys in
//! [`columns`], those about relationships and foreign keys in [`relationships`]; [`compare`]
//! holds the small text comparisons they share.

mod columns;
mod compare;
mod relationships;
mod sql_side;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::Document;
use crate::sql::Statement;
use crate::text::TextRange;

use super::model::{DocSchema, SourceKind};
use super::synth::{merged_tables, Synthesis};

pub(crate) use sql_side::written_table_name;
pub use sql_side::{SqlSide, SqlSideColumn, SqlSideTable};

use columns::{columns_drift, used_columns_drift};
use relationships::relationships_drift;
use sql_side::{first_line, SqlSpans};

fn what(kind: SourceKind) -> &'static str {
    kind.what()
}

/// Every drift between the document's non-SQL schema and `catalog`.
///
/// `server_findings` (the check's diagnostics) supply the server's undefined-column errors on tables only the ERD or a column
/// table defines (a column the SQL uses that the description lacks).
pub fn drift(
    doc: &Document,
    schema: &DocSchema,
    synthesis: &Synthesis,
    statements: &[Statement],
    catalog: &SqlSide,
    server_findings: Option<&[Diagnostic]>,
) -> Vec<Diagnostic> {
    let merged = merged_tables(schema);
    if schema.tables.is_empty() {
        return Vec::new();
    }
    let sql = SqlSpans::new(doc, statements);
    let mut out = Vec::new();
    let generated = &synthesis.generated_tables;
    let line = |r: TextRange| doc.line_index.line(r.start);

    // DRF001: described, never created by SQL; one note for the document, not one per table.
    let mut only_described: Vec<_> = merged
        .iter()
        .filter(|m| generated.contains_key(bare(&m.table.name)))
        .collect();
    only_described.sort_by_key(|m| m.table.span.start);
    if let Some(first) = only_described.first() {
        let listed: Vec<String> = only_described
            .iter()
            .map(|m| {
                format!(
                    "`{}` ({}, line {})",
                    m.table.name,
                    what(m.table.source),
                    line(m.table.span)
                )
            })
            .collect();
        let count = only_described.len();
        let mut d = Diagnostic::new(
            Code::TableNotInSql,
            Category::Drift,
            if count == 1 {
                format!(
                    "pgspec generated table {} from the description: no SQL statement creates it",
                    listed[0]
                )
            } else {
                format!(
                    "pgspec generated {count} tables from their descriptions (no SQL statement creates them): {}",
                    listed.join(", ")
                )
            },
            first.table.span,
        )
        .label("described here only")
        .note("the generated CREATE TABLE statements let the rest of the document be checked and brought up")
        .help("add the tables' CREATE TABLE to the document's SQL if it is meant to hold them (`pgspec sql` prints the generated ones)");
        for m in &only_described[1..] {
            d = d.secondary(Label::with_message(m.table.span, "described here only"));
        }
        out.push(d);
    }

    // DRF002: created by SQL, described nowhere.
    let described: HashSet<&str> = schema.tables.iter().map(|t| bare(&t.name)).collect();
    let anchor = description_anchor(doc, schema);
    // What the SQL created, and the tables its CREATE TABLE statements define even where the
    // server refused them (they are still part of the SQL's design).
    let mut sql_tables: Vec<String> = catalog.tables.keys().cloned().collect();
    for s in statements.iter().filter(|s| s.generated().is_none()) {
        let name = match s.created_table() {
            Some(t) if !t.partition_of => Some(t.name),
            Some(_) => None,
            None if !s.facts.parses => written_table_name(&s.text)
                .filter(|_| !s.text.to_lowercase().contains("partition of")),
            None => None,
        };
        if let Some(name) = name {
            if !sql_tables.contains(&name) {
                sql_tables.push(name);
            }
        }
    }
    // psql's description of a table is pasted for that table: it promises no picture of the
    // whole schema, so alone it asks no other table to be described. A column table (or a
    // sentence) explains the one table it sits by: only descriptions of at least half the
    // SQL's tables (a data dictionary), or a diagram, promise the whole picture.
    let diagram = schema.tables.iter().any(|t| {
        !matches!(
            t.source,
            SourceKind::PsqlDescribe | SourceKind::ColumnTable | SourceKind::Prose
        )
    });
    let per_table: HashSet<&str> = schema
        .tables
        .iter()
        .filter(|t| matches!(t.source, SourceKind::ColumnTable | SourceKind::Prose))
        .map(|t| bare(&t.name))
        .collect();
    let whole_picture =
        diagram || (!per_table.is_empty() && per_table.len() * 2 >= sql_tables.len());
    for name in sql_tables.iter().filter(|_| whole_picture) {
        // A tenant's copy (`globex.users`) of a described table is described.
        if generated.contains_key(name.as_str()) || described.contains(bare(name)) {
            continue;
        }
        let Some(at) = sql.table(name) else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::TableNotInErd,
            Category::Drift,
            format!("table `{name}` is created by the SQL but the document's ERD and column tables do not describe it"),
            at,
        )
        .label("created here")
        .help("add it to the ERD (or a column table), or say why it is left out");
        if let Some((range, message)) = &anchor {
            d = d.secondary(Label::with_message(*range, message.clone()));
        }
        out.push(d);
    }

    // Columns, types and keys of tables both sides define.
    for m in &merged {
        let name = bare(&m.table.name);
        if generated.contains_key(name) {
            continue;
        }
        let Some(table) = catalog.tables.get(name) else {
            continue;
        };
        let added: &[String] = synthesis.added_columns.get(name).map_or(&[], Vec::as_slice);
        columns_drift(doc, m, name, table, added, &sql, &mut out);
    }

    relationships_drift(doc, schema, synthesis, catalog, &sql, &mut out);

    if let Some(findings) = server_findings {
        used_columns_drift(doc, &merged, synthesis, statements, findings, &mut out);
    }
    let _ = line;
    out.sort_by_key(|d| (d.primary.range.start, d.code));
    out
}

fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Where the document describes its schema outside SQL: the first ERD block's fence, else the
/// first column table's heading.
fn description_anchor(doc: &Document, schema: &DocSchema) -> Option<(TextRange, String)> {
    if let Some(block) = doc.blocks.iter().find(|b| super::erd::is_erd_block(b)) {
        return Some((
            first_line(doc, block.fence),
            "the ERD does not draw it".into(),
        ));
    }
    schema
        .tables
        .iter()
        .find(|t| t.source != SourceKind::Erd)
        .map(|t| (t.span, "the column tables do not list it".into()))
}
