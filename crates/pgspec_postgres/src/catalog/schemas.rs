//! Schemas and extensions.

use serde::Serialize;

/// A schema of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub oid: u32,
    pub name: String,
    pub owner: String,
    pub comment: Option<String>,
}

/// An installed extension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    pub version: String,
}

/// A collation of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collation {
    pub schema: String,
    pub name: String,
    /// `c` libc, `i` ICU, `d` default.
    pub provider: char,
    /// LC_COLLATE, or the ICU locale.
    pub locale: String,
    pub ctype: String,
    pub deterministic: bool,
}

pub(super) fn load_collations(
    client: &mut impl super::Query,
) -> Result<Vec<Collation>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/collations.sql"))?
        .iter()
        .map(|r| Collation {
            schema: r.get(0),
            name: r.get(1),
            provider: super::letter(&r.get::<_, String>(2)),
            locale: r.get(3),
            ctype: r.get(4),
            deterministic: r.get(5),
        })
        .collect())
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Schema>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/schemas.sql"))?
        .iter()
        .map(|r| Schema {
            oid: r.get(0),
            name: r.get(1),
            owner: r.get(2),
            comment: r.get(3),
        })
        .collect())
}

pub(super) fn load_extensions(
    client: &mut impl super::Query,
) -> Result<Vec<Extension>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/extensions.sql"))?
        .iter()
        .map(|r| Extension {
            name: r.get(0),
            schema: r.get(1),
            version: r.get(2),
        })
        .collect())
}
