//! The merged schema model: what the database holds after the document's SQL (and pgspec's
//! generated DDL) applied, joined with what the ERDs, column tables and prose say, each fact
//! with the sources that state it. `pgspec model` prints it.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::document::Document;
use crate::sql::Statement;

use super::drift::SqlSide;
use super::model::{Cardinality, DocSchema, SourceKind};
use super::synth::Synthesis;

/// Where a fact comes from: `sql`, `erd`, `column-table`, `prose` or `generated`, and the
/// 1-based document line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FactSource {
    pub kind: &'static str,
    pub line: u32,
}

/// The merged model of one document.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Model {
    pub tables: Vec<ModelTable>,
    pub relationships: Vec<ModelRelationship>,
    /// Whether the SQL side came from the applied database (`false`: from the statements).
    pub from_database: bool,
}

/// A table of the merged model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelTable {
    pub name: String,
    /// `sql` (the document's SQL creates it), `generated` (pgspec created it from its
    /// description), `described` (described, but not in the database).
    pub origin: &'static str,
    pub in_database: bool,
    pub sources: Vec<FactSource>,
    pub columns: Vec<ModelColumn>,
    pub primary_key: Vec<String>,
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<ModelForeignKey>,
}

/// A column of a [`ModelTable`].
#[derive(Clone, Debug, Serialize)]
pub struct ModelColumn {
    pub name: String,
    /// The database's type (`format_type`), else the description's in PostgreSQL spelling,
    /// else as written.
    #[serde(rename = "type")]
    pub ty: String,
    /// `None` when only a description that does not say names the column.
    pub nullable: Option<bool>,
    pub default: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    /// `table` or `table.column` the column refers to.
    pub references: Option<String>,
    /// pgspec added the column (generated table or completed fragment).
    pub generated: bool,
    pub sources: Vec<FactSource>,
}

/// A foreign key in the database.
#[derive(Clone, Debug, Serialize)]
pub struct ModelForeignKey {
    pub columns: Vec<String>,
    pub references_table: String,
    pub references_columns: Vec<String>,
}

/// A relationship an ERD draws, with the foreign key that implements it, if any.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRelationship {
    pub left: String,
    pub right: String,
    pub left_cardinality: Cardinality,
    pub right_cardinality: Cardinality,
    pub identifying: bool,
    pub label: Option<String>,
    pub line: u32,
    /// `child.col → parent` when the database has a foreign key between the two tables.
    pub foreign_key: Option<String>,
}

fn kind_name(kind: SourceKind) -> &'static str {
    kind.kebab()
}

fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Join `catalog` (what exists) with `schema` (what the document describes).
pub fn build(
    doc: &Document,
    schema: &DocSchema,
    synthesis: &Synthesis,
    statements: &[Statement],
    catalog: &SqlSide,
) -> Model {
    let line = |offset: u32| doc.line_index.line(offset);
    // The document's own CREATE TABLE per table (first one, through a migration's renames),
    // for SQL source lines.
    let lineage = crate::sql::lineage::Lineage::of(statements);
    let sql_creator =
        |name: &str| -> Option<&Statement> { lineage.creator(name).map(|i| &statements[i]) };
    let mut names: BTreeSet<String> = catalog.tables.keys().cloned().collect();
    for t in schema.tables.iter().filter(|t| t.defined) {
        names.insert(bare(&t.name).to_string());
    }
    let mut tables = Vec::new();
    for name in names {
        let described: Vec<_> = schema
            .tables
            .iter()
            .filter(|t| bare(&t.name) == name)
            .collect();
        let live = catalog.tables.get(&name);
        let creator = sql_creator(&name);
        let generated = synthesis.generated_tables.contains_key(&name);
        let added = synthesis
            .added_columns
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let mut sources: Vec<FactSource> = Vec::new();
        if let Some(s) = creator {
            sources.push(FactSource {
                kind: "sql",
                line: line(s.range.start),
            });
        }
        for t in &described {
            sources.push(FactSource {
                kind: kind_name(t.source),
                line: line(t.span.start),
            });
        }
        let sql_columns = creator.and_then(|s| s.created_table().map(|t| (s, t)));
        let mut columns: Vec<ModelColumn> = Vec::new();
        if let Some(live) = live {
            for c in &live.columns {
                let is_generated = generated || added.contains(&c.name);
                let mut col_sources = Vec::new();
                if is_generated {
                    col_sources.push(FactSource {
                        kind: "generated",
                        line: described.first().map_or(0, |t| line(t.span.start)),
                    });
                } else if let Some((k, at)) = lineage.added_column(&name, &c.name) {
                    // Added by a later `ALTER TABLE … ADD COLUMN` (a "v2 changes" section):
                    // its line there, not the CREATE TABLE's.
                    let s = &statements[k];
                    col_sources.push(FactSource {
                        kind: "sql",
                        line: line(s.document_offset(doc, at).unwrap_or(s.range.start)),
                    });
                } else if let Some(s) = creator.filter(|_| sql_columns.is_none()) {
                    col_sources.push(FactSource {
                        kind: "sql",
                        line: line(s.range.start),
                    });
                } else if let Some((s, t)) = &sql_columns {
                    // Its name in the CREATE TABLE when that has it (see SqlSpans::column).
                    let original = lineage.original_column(&name, &c.name);
                    let original = if t.columns.iter().any(|k| k.name == original) {
                        original
                    } else {
                        c.name.as_str()
                    };
                    let at = t
                        .columns
                        .iter()
                        .find(|k| k.name == original)
                        .and_then(|k| s.document_offset(doc, k.offset))
                        .unwrap_or(s.range.start);
                    col_sources.push(FactSource {
                        kind: "sql",
                        line: line(at),
                    });
                }
                for t in &described {
                    if let Some(dc) = t.columns.iter().find(|k| k.name == c.name) {
                        col_sources.push(FactSource {
                            kind: kind_name(t.source),
                            line: line(dc.span.start),
                        });
                    }
                }
                let one = [c.name.clone()];
                let fk = live.foreign_keys.iter().find(|f| f.columns == one);
                columns.push(ModelColumn {
                    name: c.name.clone(),
                    ty: c.pg_type.clone(),
                    nullable: Some(!c.not_null),
                    default: c.default.clone().filter(|d| !d.is_empty()),
                    primary_key: live.primary_key.contains(&c.name),
                    unique: live.unique.iter().any(|u| u == &one),
                    references: fk.map(|f| match f.target_columns.as_slice() {
                        [col] => format!("{}.{col}", f.target),
                        _ => f.target.clone(),
                    }),
                    generated: is_generated,
                    sources: col_sources,
                });
            }
        }
        // Described columns the database lacks.
        for t in &described {
            for dc in &t.columns {
                if let Some(c) = columns.iter_mut().find(|c| c.name == dc.name) {
                    if live.is_none() {
                        c.sources.push(FactSource {
                            kind: kind_name(t.source),
                            line: line(dc.span.start),
                        });
                    }
                    continue;
                }
                columns.push(ModelColumn {
                    name: dc.name.clone(),
                    ty: dc.pg_type.clone().unwrap_or_else(|| dc.raw_type.clone()),
                    nullable: dc.not_null.map(|n| !n),
                    default: dc.default.clone(),
                    primary_key: dc.primary_key,
                    unique: dc.unique,
                    references: dc.references.as_ref().map(|(t, c)| match c {
                        Some(c) => format!("{t}.{c}"),
                        None => t.clone(),
                    }),
                    generated: false,
                    sources: vec![FactSource {
                        kind: kind_name(t.source),
                        line: line(dc.span.start),
                    }],
                });
            }
        }
        let origin = match (live.is_some_and(|l| l.in_database), generated) {
            (true, true) => "generated",
            (true, false) => "sql",
            (false, _) if creator.is_some() => "sql",
            (false, _) => "described",
        };
        tables.push(ModelTable {
            name: name.clone(),
            origin,
            in_database: live.is_some_and(|l| l.in_database),
            sources,
            columns,
            primary_key: live.map(|l| l.primary_key.clone()).unwrap_or_default(),
            unique: live.map(|l| l.unique.clone()).unwrap_or_default(),
            foreign_keys: live
                .map(|l| {
                    l.foreign_keys
                        .iter()
                        .map(|f| ModelForeignKey {
                            columns: f.columns.clone(),
                            references_table: f.target.clone(),
                            references_columns: f.target_columns.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let relationships = schema
        .relationships
        .iter()
        .map(|r| {
            let (l, rt) = (bare(&r.left), bare(&r.right));
            let fk = [(l, rt), (rt, l)].into_iter().find_map(|(child, parent)| {
                catalog.tables.get(child).and_then(|t| {
                    t.foreign_keys
                        .iter()
                        .find(|f| f.target == parent)
                        .map(|f| format!("{child}.{} → {parent}", f.columns.join(",")))
                })
            });
            ModelRelationship {
                left: r.left.clone(),
                right: r.right.clone(),
                left_cardinality: r.left_card,
                right_cardinality: r.right_card,
                identifying: r.identifying,
                label: r.label.clone(),
                line: line(r.span.start),
                foreign_key: fk,
            }
        })
        .collect();
    Model {
        tables,
        relationships,
        from_database: catalog.live,
    }
}
