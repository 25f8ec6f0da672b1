//! Catalog reads about the database as a whole rather than its objects: a database's comment
//! and owner, the roles its ACLs and policies name, its objects counted by kind.

use super::super::{ApplySession, ClusterError, Server};

/// The comment and owner of `database` (`None`: no such database), read on the maintenance
/// database.
pub fn database_comment_and_owner(
    server: &Server,
    database: &str,
) -> Result<Option<(Option<String>, String)>, ClusterError> {
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    let rows = admin
        .query(
            "SELECT pg_catalog.shobj_description(oid, 'pg_database'), pg_catalog.pg_get_userbyid(datdba)::text \
             FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1",
            &[&database],
        )
        .map_err(|e| ClusterError::Server(e.to_string()))?;
    Ok(rows.first().map(|r| (r.get(0), r.get(1))))
}

/// `(schema, name)` of the functions and procedures named one of `names` in the session's
/// database, system and extension ones included. No query when `names` is empty.
pub fn routine_names(
    session: &mut ApplySession,
    names: &[String],
) -> Result<std::collections::BTreeSet<(String, String)>, ClusterError> {
    if names.is_empty() {
        return Ok(Default::default());
    }
    let list = crate::sql::quote::quote_literals(names);
    let sql = include_str!("queries/routine_names.sql").replace(
        "'{}'::pg_catalog.text[]",
        &format!("ARRAY[{list}]::pg_catalog.text[]"),
    );
    Ok(session
        .query_strings(&sql)?
        .into_iter()
        .filter_map(|row| {
            let mut values = row.into_iter();
            Some((values.next()??, values.next()??))
        })
        .collect())
}

/// Roles the session's database grants privileges to or names in policies, other than
/// superusers, built-in roles and pgspec's own.
pub fn roles_granted_to(session: &mut ApplySession) -> Result<Vec<String>, ClusterError> {
    Ok(session
        .query_strings(include_str!("queries/roles_granted_to.sql"))?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

/// Objects `database` holds, by kind (`tables`, `partitions`, `indexes`, …; extension
/// members not counted).
pub fn object_counts(server: &Server, database: &str) -> Result<Vec<(String, u64)>, ClusterError> {
    let mut client = server.admin_client(database)?;
    let rows = client
        .simple_query(include_str!("queries/object_counts.sql"))
        .map_err(|e| ClusterError::Server(e.to_string()))?;
    Ok(rows
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some((
                row.get(0).unwrap_or_default().to_owned(),
                row.get(1).and_then(|n| n.parse().ok()).unwrap_or(0),
            )),
            _ => None,
        })
        .collect())
}

/// Rows of a pgspec query on the session's superuser connection, the first column of each.
fn first_column(session: &mut ApplySession, sql: &str) -> Result<Vec<String>, ClusterError> {
    Ok(session
        .query_strings(sql)?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

/// Names of every role of the cluster.
pub fn role_names(session: &mut ApplySession) -> Result<Vec<String>, ClusterError> {
    first_column(session, "SELECT rolname FROM pg_catalog.pg_roles")
}

/// Names of the partitioned tables of the session's database (outside pg_catalog).
pub fn partitioned_table_names(session: &mut ApplySession) -> Result<Vec<String>, ClusterError> {
    first_column(
        session,
        "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relkind = 'p' \
         AND c.relnamespace <> 'pg_catalog'::pg_catalog.regnamespace",
    )
}

/// Names of the relations and types in `schema` (a CREATE TABLE also creates a row type of
/// the same name).
pub fn names_in_schema(
    session: &mut ApplySession,
    schema: &str,
) -> Result<std::collections::BTreeSet<String>, ClusterError> {
    let sql = format!(
        "SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
         ON n.oid = c.relnamespace WHERE n.nspname = {schema} \
         UNION SELECT t.typname::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n \
         ON n.oid = t.typnamespace WHERE n.nspname = {schema}",
        schema = crate::sql::quote::quote_literal(schema)
    );
    Ok(first_column(session, &sql)?.into_iter().collect())
}

/// The partitioned tables and their partitions, for partition maintenance (`up`): the rows
/// of `queries/partitions.sql` as text.
pub fn partition_rows(
    session: &mut ApplySession,
) -> Result<Vec<Vec<Option<String>>>, ClusterError> {
    session.query_strings(include_str!("queries/partitions.sql"))
}
