//! Tables: ordinary, partitioned and foreign, partitions included, with row level security
//! and partitioning.

use serde::Serialize;

use super::Column;

/// A table of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Table {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    pub owner: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    /// Set for a partition: its parent and bound.
    pub partition_of: Option<PartitionOf>,
    /// Set for a partitioned table: how it routes rows.
    pub partitioning: Option<Partitioning>,
    pub columns: Vec<Column>,
    pub comment: Option<String>,
    /// `relreplident`: `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: char,
    /// Storage parameters (`fillfactor=70`).
    pub options: Vec<String>,
    pub unlogged: bool,
    /// Parents of a table created with INHERITS (not a partition's parent), in order.
    pub inherits: Vec<String>,
}

/// `relkind` of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    Ordinary,
    Partitioned,
    Foreign,
}

/// A partition's place under its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionOf {
    pub parent_oid: u32,
    pub parent_schema: String,
    pub parent_name: String,
    /// `FOR VALUES FROM (…) TO (…)`, `FOR VALUES IN (…)`, `FOR VALUES WITH (…)`, `DEFAULT`.
    pub bound: String,
}

/// How a partitioned table routes rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partitioning {
    pub strategy: PartitionStrategy,
    /// `RANGE (created_at)` as pg_get_partkeydef prints it.
    pub key: String,
    /// Key columns in order (expression keys are absent).
    pub columns: Vec<String>,
}

/// `partstrat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionStrategy {
    Range,
    List,
    Hash,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `name` in `public`, else `schema.name`.
    pub fn display_name(&self) -> String {
        super::display_name(&self.schema, &self.name)
    }

    pub fn is_partition(&self) -> bool {
        self.partition_of.is_some()
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Table>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/tables.sql"))?
        .iter()
        .map(|r| {
            let relkind: String = r.get(3);
            let parent_name: Option<String> = r.get(9);
            let strategy: Option<String> = r.get(11);
            Table {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                kind: match relkind.as_str() {
                    "p" => TableKind::Partitioned,
                    "f" => TableKind::Foreign,
                    _ => TableKind::Ordinary,
                },
                owner: r.get(4),
                rls_enabled: r.get(5),
                rls_forced: r.get(6),
                partition_of: parent_name
                    .filter(|_| r.get::<_, bool>(7))
                    .map(|parent_name| PartitionOf {
                        parent_oid: 0,
                        parent_schema: r.get(8),
                        parent_name,
                        bound: r.get::<_, Option<String>>(10).unwrap_or_default(),
                    }),
                partitioning: strategy.map(|s| Partitioning {
                    strategy: match s.as_str() {
                        "l" => PartitionStrategy::List,
                        "h" => PartitionStrategy::Hash,
                        _ => PartitionStrategy::Range,
                    },
                    key: r.get::<_, Option<String>>(12).unwrap_or_default(),
                    columns: r.get(13),
                }),
                columns: Vec::new(),
                comment: r.get(14),
                replica_identity: super::letter(&r.get::<_, String>(15)),
                options: r.get(16),
                unlogged: r.get(17),
                inherits: r.get(18),
            }
        })
        .collect())
}
