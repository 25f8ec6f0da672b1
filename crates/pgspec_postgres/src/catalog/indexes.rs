//! Indexes of tables and materialized views.

use serde::Serialize;

/// An index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Index {
    pub oid: u32,
    pub table_oid: u32,
    pub schema: String,
    pub table: String,
    pub name: String,
    /// `CREATE [UNIQUE] INDEX … USING …` as pg_get_indexdef prints it.
    pub definition: String,
    pub unique: bool,
    pub primary: bool,
    /// Access method (`btree`, `gin`, …).
    pub method: String,
    /// Key columns or expressions, in order (pg_get_indexdef per key, pretty).
    pub keys: Vec<String>,
    /// Key attnums, 0 for an expression key.
    pub attnums: Vec<i16>,
    /// INCLUDE columns.
    pub include: Vec<String>,
    /// A partial index's WHERE (pretty).
    pub predicate: Option<String>,
    /// The constraint it backs (primary key, unique, exclusion).
    pub constraint: Option<String>,
    /// Its table is a partition.
    pub on_partition: bool,
    pub valid: bool,
    /// The table's replica identity (`REPLICA IDENTITY USING INDEX`).
    pub replica_identity: bool,
    /// The partitioned table's index this partition's index is attached to.
    pub parent: Option<String>,
}

impl Index {
    pub fn display_table(&self) -> String {
        super::display_name(&self.schema, &self.table)
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Index>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/indexes.sql"))?
        .iter()
        .map(|r| Index {
            oid: r.get(0),
            table_oid: r.get(1),
            schema: r.get(2),
            table: r.get(3),
            name: r.get(4),
            definition: r.get(5),
            unique: r.get(6),
            primary: r.get(7),
            method: r.get(8),
            keys: r.get(9),
            attnums: r.get(10),
            include: r.get(11),
            predicate: r.get(12),
            constraint: r.get(13),
            on_partition: r.get(14),
            valid: r.get(15),
            replica_identity: r.get(16),
            parent: r.get(17),
        })
        .collect())
}
