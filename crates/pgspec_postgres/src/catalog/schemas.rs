//! Schemas and extensions.

use postgres::Client;
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

pub(super) fn load(client: &mut Client) -> Result<Vec<Schema>, postgres::Error> {
    Ok(client
        .query(include_str!("queries/schemas.sql"), &[])?
        .iter()
        .map(|r| Schema {
            oid: r.get(0),
            name: r.get(1),
            owner: r.get(2),
            comment: r.get(3),
        })
        .collect())
}

pub(super) fn load_extensions(client: &mut Client) -> Result<Vec<Extension>, postgres::Error> {
    Ok(client
        .query(include_str!("queries/extensions.sql"), &[])?
        .iter()
        .map(|r| Extension {
            name: r.get(0),
            schema: r.get(1),
            version: r.get(2),
        })
        .collect())
}
