//! The ERD as data: the tables of the merged model with their columns and keys, foreign keys
//! and ERD-only relationships as edges with their cardinality, partitions folded under their
//! parent, and the drift the picture marks. Renderers (`dot`, `mermaid`) read only this.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use pgspec_diagnostics::{Category, Diagnostic};
use pgspec_document::Document;
use pgspec_postgres::catalog::Catalog;
use pgspec_schema::merged::{Model, ModelTable};
use pgspec_schema::Cardinality;

/// The picture of one document's system.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Erd {
    /// In name order.
    pub tables: Vec<ErdTable>,
    pub edges: Vec<ErdEdge>,
}

/// A table (box) of the picture.
#[derive(Clone, Debug, Serialize)]
pub struct ErdTable {
    /// Unqualified, as the merged model names it.
    pub name: String,
    /// Whether the database has it (`false`: only described, or its SQL failed).
    pub built: bool,
    /// `sql`, `generated`, `described` or `referenced` (a table outside the document that a
    /// foreign key points at, drawn without columns).
    pub origin: &'static str,
    pub columns: Vec<ErdColumn>,
    /// `RANGE (created_at)` for a partitioned table.
    pub partitioning: Option<String>,
    /// The partitions folded under this table, in name order.
    pub partitions: Vec<ErdPartition>,
}

/// A column row of a table.
#[derive(Clone, Debug, Serialize)]
pub struct ErdColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub primary_key: bool,
    pub foreign_key: bool,
    pub unique: bool,
    /// `Some(false)`: NOT NULL; `None`: only a description that does not say.
    pub nullable: Option<bool>,
    /// A description (ERD, column table, prose) claims it and the database lacks it.
    pub missing: bool,
    /// Drift findings about this column (`DRF…: message`) at a line that states it (its
    /// SQL, ERD, column-table or prose line).
    pub drift: Vec<String>,
}

/// A partition folded under its parent.
#[derive(Clone, Debug, Serialize)]
pub struct ErdPartition {
    pub name: String,
    /// `FOR VALUES FROM (…) TO (…)`, `DEFAULT`, …
    pub bound: String,
    /// The document creates it (`false`: pgspec added it, as `up` does).
    pub from_document: bool,
}

/// An edge: a foreign key, or a relationship an ERD draws that no foreign key implements.
/// `from_cardinality` says how many `from` rows one `to` row has, and the other way round.
#[derive(Clone, Debug, Serialize)]
pub struct ErdEdge {
    pub from: String,
    pub to: String,
    pub from_cardinality: Cardinality,
    pub to_cardinality: Cardinality,
    /// The foreign key's columns on `from`, or the ERD's label.
    pub label: String,
    /// `false`: the ERD draws it (at `line`) but the database has no foreign key for it.
    pub foreign_key: bool,
    /// The ERD line that draws it (0: a foreign key no ERD line draws).
    pub line: u32,
    /// Drift findings about the relationship (`DRF008: …`, at its ERD line).
    pub drift: Vec<String>,
}

/// Which relations the document itself creates (partitions pgspec adds are told apart by it).
pub fn created_relations(statements: &[pgspec_sql::Statement]) -> BTreeSet<String> {
    statements
        .iter()
        .filter(|s| s.is_written())
        .flat_map(|s| &s.facts.creates)
        .filter(|o| o.kind == pgspec_sql::ObjectKind::Relation)
        .map(|o| bare(&o.name).to_lowercase())
        .collect()
}

fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

impl Erd {
    /// The picture of `model`: partitions (read from `catalog`, when there is one) fold under
    /// their parents; `drift` findings (any category; only drift is used) mark the columns
    /// whose describing line they point at; `document_relations` tells the document's
    /// partitions from pgspec's.
    pub fn from_model(
        model: &Model,
        catalog: Option<&Catalog>,
        doc: &Document,
        findings: &[Diagnostic],
        document_relations: &BTreeSet<String>,
    ) -> Erd {
        let mut partitions: BTreeMap<String, Vec<ErdPartition>> = BTreeMap::new();
        let mut partitioning: BTreeMap<String, String> = BTreeMap::new();
        let mut partition_parent: BTreeMap<String, String> = BTreeMap::new();
        for t in catalog.map(|c| c.tables.as_slice()).unwrap_or_default() {
            if let Some(p) = &t.partition_of {
                partition_parent.insert(t.name.clone(), p.parent_name.clone());
                partitions
                    .entry(p.parent_name.clone())
                    .or_default()
                    .push(ErdPartition {
                        name: t.name.clone(),
                        bound: p.bound.clone(),
                        from_document: document_relations.contains(&t.name.to_lowercase()),
                    });
            }
            if let Some(p) = &t.partitioning {
                partitioning.insert(t.name.clone(), p.key.clone());
            }
        }
        // A partition of a partition folds under the top table.
        let top = |name: &str| -> String {
            let mut at = name.to_string();
            for _ in 0..16 {
                match partition_parent.get(&at) {
                    Some(p) => at.clone_from(p),
                    None => break,
                }
            }
            at
        };
        let mut folded: BTreeMap<String, Vec<ErdPartition>> = BTreeMap::new();
        for (parent, list) in partitions {
            folded.entry(top(&parent)).or_default().extend(list);
        }
        for list in folded.values_mut() {
            list.sort_by(|a, b| a.name.cmp(&b.name));
        }
        // Drift findings by the line they point at.
        let mut drift_at: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for d in findings.iter().filter(|d| d.category == Category::Drift) {
            let line = doc.line_index.line(d.primary.range.start);
            drift_at
                .entry(line)
                .or_default()
                .push(format!("{}: {}", d.code.code(), d.message));
        }
        let mut tables: Vec<ErdTable> = model
            .tables
            .iter()
            .filter(|t| !partition_parent.contains_key(&t.name))
            .map(|t| table(t, &drift_at))
            .collect();
        for t in &mut tables {
            t.partitioning = partitioning.get(&t.name).cloned();
            t.partitions = folded.remove(&t.name).unwrap_or_default();
        }
        let mut edges = Vec::new();
        let mut known: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
        let mut referenced = BTreeSet::new();
        for t in model.tables.iter().filter(|t| known.contains(&t.name)) {
            for fk in &t.foreign_keys {
                let to = top(bare(&fk.references_table));
                if !known.contains(&to) {
                    referenced.insert(to.clone());
                }
                let unique = same_set(&fk.columns, &t.primary_key)
                    || t.unique.iter().any(|u| same_set(&fk.columns, u));
                let not_null = fk.columns.iter().all(|c| {
                    t.columns
                        .iter()
                        .any(|k| &k.name == c && k.nullable == Some(false))
                });
                edges.push(ErdEdge {
                    from: t.name.clone(),
                    to,
                    from_cardinality: if unique {
                        Cardinality::ZeroOrOne
                    } else {
                        Cardinality::ZeroOrMore
                    },
                    to_cardinality: if not_null {
                        Cardinality::ExactlyOne
                    } else {
                        Cardinality::ZeroOrOne
                    },
                    label: fk.columns.join(", "),
                    foreign_key: true,
                    line: 0,
                    drift: Vec::new(),
                });
            }
        }
        for r in model
            .relationships
            .iter()
            .filter(|r| r.foreign_key.is_none())
        {
            // `LEFT ||--o{ RIGHT`: the right side is the one with many rows, as a foreign
            // key's table is; kept that way round so mermaid writes the line as the ERD did.
            let (from, to) = (top(bare(&r.right)), top(bare(&r.left)));
            for name in [&from, &to] {
                if !known.contains(name) {
                    referenced.insert(name.clone());
                }
            }
            edges.push(ErdEdge {
                from,
                to,
                from_cardinality: r.right_cardinality,
                to_cardinality: r.left_cardinality,
                label: r.label.clone().unwrap_or_default(),
                foreign_key: false,
                line: r.line,
                drift: drift_at.get(&r.line).cloned().unwrap_or_default(),
            });
        }
        // An ERD line that a foreign key implements: the key's edge carries the line's drift
        // (the ERD says exactly one, the column is nullable).
        for r in &model.relationships {
            let Some(fk) = &r.foreign_key else { continue };
            let Some(found) = drift_at.get(&r.line) else {
                continue;
            };
            let (child, parent) = fk.split_once(" → ").unwrap_or_default();
            let child_table = child.split('.').next().unwrap_or_default();
            let columns = child.split_once('.').map(|(_, c)| c.replace(',', ", "));
            if let Some(edge) = edges.iter_mut().find(|e| {
                e.foreign_key
                    && e.from == child_table
                    && e.to == top(parent)
                    && columns.as_deref().is_none_or(|c| c == e.label)
            }) {
                edge.line = r.line;
                edge.drift.extend(found.iter().cloned());
            }
        }
        for name in referenced {
            known.insert(name.clone());
            tables.push(ErdTable {
                name,
                built: false,
                origin: "referenced",
                columns: Vec::new(),
                partitioning: None,
                partitions: Vec::new(),
            });
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Erd { tables, edges }
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&ErdTable> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Columns a description claims and the database lacks, and relationships without a
    /// foreign key: what the picture marks as drift.
    pub fn drift_marks(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|c| c.missing || !c.drift.is_empty())
            .count()
            + self
                .edges
                .iter()
                .filter(|e| !e.foreign_key || !e.drift.is_empty())
                .count()
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    !a.is_empty() && a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn table(t: &ModelTable, drift_at: &BTreeMap<u32, Vec<String>>) -> ErdTable {
    let columns = t
        .columns
        .iter()
        .map(|c| {
            let built = c
                .sources
                .iter()
                .any(|s| s.kind == "sql" || s.kind == "generated");
            let mut drift: Vec<String> = c
                .sources
                .iter()
                .filter(|s| s.kind != "generated")
                .filter_map(|s| drift_at.get(&s.line))
                .flatten()
                .cloned()
                .collect();
            drift.dedup();
            ErdColumn {
                name: c.name.clone(),
                ty: c.ty.clone(),
                primary_key: c.primary_key,
                foreign_key: c.references.is_some(),
                unique: c.unique,
                nullable: c.nullable,
                // Described (some source names it) and not built. A column with no source at
                // all is in the database from elsewhere (a platform's own table such as
                // Supabase's `auth.users`, an extension's): nothing claims it.
                missing: t.in_database && !built && !c.sources.is_empty(),
                drift,
            }
        })
        .collect();
    ErdTable {
        name: t.name.clone(),
        built: t.in_database,
        origin: t.origin,
        columns,
        partitioning: None,
        partitions: Vec::new(),
    }
}
