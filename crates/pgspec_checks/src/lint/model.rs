//! The tables rules look at: the one catalog's tables and views
//! ([`crate::postgres::catalog::Catalog`], read once after `check`), plus the tables the
//! document's `CREATE TABLE` statements define that are not in it (their statement failed),
//! read with pgspec_sql's typed [`created_table`]. Nothing here loads anything or parses SQL.

use crate::postgres::catalog::{self, Catalog, TableKind};
use crate::sql::Statement;

/// A column, from the catalog or from a `CREATE TABLE` of the document.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub name: String,
    /// `format_type` output (`character varying(32)`), or the document's type in PostgreSQL's
    /// spelling.
    pub type_name: String,
    pub not_null: bool,
    /// A default, identity or generated expression (or a serial type).
    pub has_default: bool,
    /// varchar/char length limit.
    pub max_len: Option<usize>,
    pub enum_labels: Vec<String>,
    /// Byte offset and length of the column's name in its statement's text (document tables).
    pub at: Option<(usize, usize)>,
}

/// A table (or view, matview) with its columns.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub schema: String,
    pub name: String,
    /// `r`, `p`, `m`, `v`, `f`.
    pub kind: char,
    pub is_partition: bool,
    pub columns: Vec<Column>,
    pub from_catalog: bool,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

fn catalog_column(catalog: &Catalog, c: &catalog::Column) -> Column {
    Column {
        name: c.name.clone(),
        type_name: c.type_name.clone(),
        not_null: c.not_null,
        has_default: c.has_default(),
        max_len: c.max_len(),
        enum_labels: catalog
            .column_types
            .get(&c.type_oid)
            .map(|t| t.enum_labels.clone())
            .unwrap_or_default(),
        at: None,
    }
}

/// The catalog's tables, views and materialized views, by schema and name.
pub(crate) fn catalog_tables(catalog: &Catalog) -> Vec<Table> {
    let mut out: Vec<Table> = catalog
        .tables
        .iter()
        .map(|t| Table {
            schema: t.schema.clone(),
            name: t.name.clone(),
            kind: match t.kind {
                TableKind::Ordinary => 'r',
                TableKind::Partitioned => 'p',
                TableKind::Foreign => 'f',
            },
            is_partition: t.is_partition(),
            columns: t
                .columns
                .iter()
                .map(|c| catalog_column(catalog, c))
                .collect(),
            from_catalog: true,
        })
        .chain(catalog.views.iter().map(|v| {
            Table {
                schema: v.schema.clone(),
                name: v.name.clone(),
                kind: if v.materialized { 'm' } else { 'v' },
                is_partition: false,
                columns: v
                    .columns
                    .iter()
                    .map(|c| catalog_column(catalog, c))
                    .collect(),
                from_catalog: true,
            }
        }))
        .collect();
    out.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    out
}

/// The length limit written in `character varying(n)` / `character(n)`.
fn written_max_len(pg_type: &str) -> Option<usize> {
    let rest = pg_type
        .strip_prefix("character varying(")
        .or_else(|| pg_type.strip_prefix("character("))?;
    rest.strip_suffix(')')?.trim().parse().ok()
}

/// The tables the document's `CREATE TABLE` statements describe: `(statement index, table)`.
/// Used for tables that are not in the catalog because their statement failed.
pub(crate) fn document_tables(statements: &[Statement]) -> Vec<(usize, Table)> {
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        if !s.facts.parses {
            continue;
        }
        let Some(t) = s.created_table() else {
            continue;
        };
        let columns = t
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                max_len: written_max_len(&c.pg_type),
                type_name: c.pg_type.clone(),
                not_null: c.not_null || t.primary_key.contains(&c.name),
                has_default: c.has_default,
                enum_labels: Vec::new(),
                at: Some((c.offset, c.name.len())),
            })
            .collect();
        out.push((
            i,
            Table {
                schema: t.schema.clone().unwrap_or_else(|| "public".to_owned()),
                name: t.name.clone(),
                kind: if t.partitioned { 'p' } else { 'r' },
                is_partition: t.partition_of,
                columns,
                from_catalog: false,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::written_max_len;

    #[test]
    fn length_limits_are_read_from_the_spelled_type() {
        assert_eq!(written_max_len("character varying(32)"), Some(32));
        assert_eq!(written_max_len("character(2)"), Some(2));
        assert_eq!(written_max_len("text"), None);
    }
}
