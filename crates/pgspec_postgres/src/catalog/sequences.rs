//! Sequences.

use serde::Serialize;

/// A sequence of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sequence {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    /// `bigint`, `integer` or `smallint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The column that owns it (serial or identity).
    pub owned_by: Option<OwnedBy>,
}

/// The column a sequence belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnedBy {
    pub schema: String,
    pub table: String,
    pub column: String,
    /// An identity column's sequence (`false`: serial or `OWNED BY`).
    pub identity: bool,
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Sequence>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/sequences.sql"))?
        .iter()
        .map(|r| {
            let table: Option<String> = r.get(11);
            Sequence {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                data_type: r.get(3),
                start: r.get(4),
                increment: r.get(5),
                min: r.get(6),
                max: r.get(7),
                cache: r.get(8),
                cycle: r.get(9),
                owned_by: table.map(|table| OwnedBy {
                    schema: r.get(10),
                    table,
                    column: r.get(12),
                    identity: r.get::<_, Option<bool>>(13).unwrap_or(false),
                }),
            }
        })
        .collect())
}
