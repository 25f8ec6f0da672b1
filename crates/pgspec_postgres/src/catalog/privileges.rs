//! Privileges granted on relations and their columns (explicit ACL entries).

use serde::Serialize;

/// One privilege one role holds on a relation or a column of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Privilege {
    pub relation_oid: u32,
    pub schema: String,
    pub relation: String,
    /// Set for a column grant.
    pub column: Option<String>,
    /// Role name, `PUBLIC` for everyone.
    pub grantee: String,
    pub grantor: String,
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `REFERENCES`, `TRIGGER`, `USAGE`.
    pub privilege: String,
    /// WITH GRANT OPTION.
    pub grantable: bool,
    /// The grantee owns the relation.
    pub to_owner: bool,
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Privilege>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/privileges.sql"))?
        .iter()
        .map(|r| Privilege {
            relation_oid: r.get(0),
            schema: r.get(1),
            relation: r.get(2),
            column: r.get(3),
            grantee: r.get(4),
            grantor: r.get(5),
            privilege: r.get(6),
            grantable: r.get(7),
            to_owner: r.get(8),
        })
        .collect())
}
