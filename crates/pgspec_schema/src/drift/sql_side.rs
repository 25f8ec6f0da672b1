//! The SQL side of the drift comparison: the tables and columns the SQL created, read from
//! the catalog or from the `CREATE TABLE` statements, and where in the document the SQL
//! defines them (the spans findings point at).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::document::Document;
use crate::postgres::catalog::{Catalog as DbCatalog, ConstraintKind, TableKind};
use crate::sql::tables::{SqlForeignKey, TableChange};
use crate::sql::{Statement, StatementKind};
use crate::text::TextRange;

/// The SQL side of the comparison: tables by unqualified name, derived from the one
/// [`crate::postgres::catalog::Catalog`] ([`SqlSide::from_catalog`]) or, without a server,
/// from the statements' text ([`SqlSide::from_statements`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSide {
    pub tables: BTreeMap<String, SqlSideTable>,
    /// Whether this came from a live database (`false`: from the statements' text).
    pub live: bool,
}

/// A table of the [`SqlSide`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSideTable {
    /// Whether the table exists in the database (`false`: read from a statement's text).
    pub in_database: bool,
    pub columns: Vec<SqlSideColumn>,
    pub primary_key: Vec<String>,
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<SqlForeignKey>,
}

/// A column of a [`SqlSideTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSideColumn {
    pub name: String,
    /// As `format_type` prints it.
    pub pg_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

impl SqlSideTable {
    pub(super) fn column(&self, name: &str) -> Option<&SqlSideColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub(super) fn is_unique(&self, cols: &[String]) -> bool {
        let mut want: Vec<&String> = cols.iter().collect();
        want.sort();
        std::iter::once(&self.primary_key)
            .chain(&self.unique)
            .filter(|k| !k.is_empty())
            .any(|k| {
                let mut have: Vec<&String> = k.iter().collect();
                have.sort();
                have == want
            })
    }
}

impl SqlSide {
    /// The ordinary and partitioned tables of `catalog` (partitions are not tables of the
    /// design), by unqualified name; where names repeat across schemas (a schema per tenant),
    /// `public`'s (else the first schema's) has the unqualified name and each other one its
    /// qualified name (`globex.users`), never one table with the columns of all of them.
    pub fn from_catalog(catalog: &DbCatalog) -> SqlSide {
        let mut tables: BTreeMap<String, SqlSideTable> = BTreeMap::new();
        let mut in_order: Vec<&crate::postgres::catalog::Table> = catalog
            .tables
            .iter()
            .filter(|t| t.kind != TableKind::Foreign && !t.is_partition())
            .collect();
        in_order.sort_by_key(|t| (t.schema != "public", t.schema.clone(), t.name.clone()));
        let mut owner: HashMap<u32, String> = HashMap::new();
        for t in &in_order {
            let key = if tables.contains_key(&t.name) {
                format!("{}.{}", t.schema, t.name)
            } else {
                t.name.clone()
            };
            owner.insert(t.oid, key.clone());
            let entry = tables.entry(key).or_insert_with(|| SqlSideTable {
                in_database: true,
                ..SqlSideTable::default()
            });
            for c in &t.columns {
                if entry.column(&c.name).is_some() {
                    continue;
                }
                entry.columns.push(SqlSideColumn {
                    name: c.name.clone(),
                    pg_type: c.type_name.clone(),
                    not_null: c.not_null,
                    default: c.default.clone().or_else(|| c.generated.clone()),
                });
            }
        }
        let column_names = |table_oid: u32, attnums: &[i16]| -> Option<Vec<String>> {
            let t = catalog.table_by_oid(table_oid)?;
            attnums
                .iter()
                .map(|a| {
                    t.columns
                        .iter()
                        .find(|c| c.attnum == *a)
                        .map(|c| c.name.clone())
                })
                .collect()
        };
        for i in &catalog.indexes {
            if !(i.primary || i.unique) || i.predicate.is_some() || i.attnums.contains(&0) {
                continue;
            }
            let Some(t) = owner.get(&i.table_oid).and_then(|n| tables.get_mut(n)) else {
                continue;
            };
            let Some(cols) = column_names(i.table_oid, &i.attnums) else {
                continue;
            };
            if i.primary {
                t.primary_key = cols;
            } else {
                t.unique.push(cols);
            }
        }
        let mut fks: Vec<&crate::postgres::catalog::Constraint> = catalog
            .constraints
            .iter()
            .filter(|k| k.kind == ConstraintKind::ForeignKey && !k.on_partition && !k.inherited)
            .collect();
        fks.sort_by_key(|k| k.oid);
        for k in fks {
            let (Some(t), Some(r)) = (
                owner.get(&k.table_oid).and_then(|n| tables.get_mut(n)),
                k.references.as_ref(),
            ) else {
                continue;
            };
            t.foreign_keys.push(SqlForeignKey {
                columns: k.columns.clone(),
                target: owner
                    .get(&r.table_oid)
                    .cloned()
                    .unwrap_or_else(|| r.table.clone()),
                target_columns: r.columns.clone(),
            });
        }
        SqlSide { tables, live: true }
    }

    /// What the document's own `CREATE TABLE` statements say (generated statements excluded):
    /// the fallback when no database is at hand.
    pub fn from_statements(statements: &[Statement]) -> SqlSide {
        let mut tables: BTreeMap<String, SqlSideTable> = BTreeMap::new();
        for s in statements.iter().filter(|s| s.generated().is_none()) {
            if !matches!(s.kind, StatementKind::Schema) {
                continue;
            }
            // A migration log renames and drops what it created before.
            match s.table_change() {
                Some(TableChange::Renamed { from, to }) => {
                    if let Some(t) = tables.remove(&from) {
                        tables.entry(to).or_insert(t);
                    }
                    continue;
                }
                Some(TableChange::ColumnRenamed { table, from, to }) => {
                    if let Some(t) = tables.get_mut(&table) {
                        t.rename_column(&from, &to);
                    }
                    continue;
                }
                Some(TableChange::Dropped(names)) => {
                    for name in names {
                        tables.remove(&name);
                    }
                    continue;
                }
                None => {}
            }
            let Some(t) = s.created_table() else {
                continue;
            };
            if t.copies_columns && t.columns.is_empty() {
                continue;
            }
            tables
                .entry(t.name.clone())
                .or_insert_with(|| SqlSideTable {
                    in_database: false,
                    columns: t
                        .columns
                        .iter()
                        .map(|c| SqlSideColumn {
                            name: c.name.clone(),
                            pg_type: match c.pg_type.as_str() {
                                "serial" => "integer".into(),
                                "bigserial" => "bigint".into(),
                                "smallserial" => "smallint".into(),
                                other => other.to_string(),
                            },
                            not_null: c.not_null || t.primary_key.contains(&c.name),
                            default: c.has_default.then(String::new),
                        })
                        .collect(),
                    primary_key: t.primary_key.clone(),
                    unique: t.unique.clone(),
                    foreign_keys: t.foreign_keys.clone(),
                });
        }
        SqlSide {
            tables,
            live: false,
        }
    }
}

impl SqlSideTable {
    /// `ALTER TABLE … RENAME COLUMN from TO to`.
    fn rename_column(&mut self, from: &str, to: &str) {
        let rename = |name: &mut String| {
            if name == from {
                *name = to.to_owned();
            }
        };
        for c in &mut self.columns {
            rename(&mut c.name);
        }
        self.primary_key.iter_mut().for_each(rename);
        self.unique.iter_mut().flatten().for_each(rename);
    }
}

impl SqlSide {
    /// Add the tables the document's `CREATE TABLE` statements define that the database lacks
    /// (the server refused them): still the SQL's design, compared with the description.
    #[must_use]
    pub fn with_refused_tables(mut self, statements: &[Statement]) -> SqlSide {
        for (name, table) in SqlSide::from_statements(statements).tables {
            self.tables.entry(name).or_insert(table);
        }
        self
    }
}

/// Where the SQL defines a table and its columns, for the SQL-side spans.
pub(super) struct SqlSpans<'a> {
    doc: &'a Document,
    statements: &'a [Statement],
    /// Unqualified table name → index of the first document statement creating it (through
    /// the renames of a migration log).
    pub(super) creators: HashMap<String, usize>,
    lineage: crate::sql::lineage::Lineage,
}

impl<'a> SqlSpans<'a> {
    pub(super) fn new(doc: &'a Document, statements: &'a [Statement]) -> Self {
        let lineage = crate::sql::lineage::Lineage::of(statements);
        Self {
            doc,
            statements,
            creators: lineage.tables().map(|(n, i)| (n.to_owned(), i)).collect(),
            lineage,
        }
    }

    fn creator(&self, table: &str) -> Option<&'a Statement> {
        self.creators.get(table).map(|&i| &self.statements[i])
    }

    /// The first line of the statement creating `table`.
    pub(super) fn table(&self, table: &str) -> Option<TextRange> {
        self.creator(table).map(|s| first_line(self.doc, s.range))
    }

    /// The column's name in the `CREATE TABLE`, else the statement's first line.
    pub(super) fn column(&self, table: &str, column: &str) -> Option<TextRange> {
        let stmt = self.creator(table)?;
        let created = stmt.created_table();
        // The name the column had in the CREATE TABLE (a migration may have renamed it), when
        // the CREATE TABLE has it: a column added later and renamed onto a name the table
        // already had (`display_name_new` → `display_name`) is found under its own name.
        let original = self.lineage.original_column(table, column);
        let in_create = |name: &str| {
            created
                .as_ref()
                .is_some_and(|t| t.columns.iter().any(|c| c.name == name))
        };
        let column = if in_create(original) {
            original
        } else {
            // Added by a later `ALTER TABLE … ADD COLUMN`: its definition there.
            if let Some((k, at)) = self.lineage.added_column(table, column) {
                let alter = &self.statements[k];
                let name = self.lineage.original_column(table, column);
                let range = alter.document_range(self.doc, at, name.len());
                if alter.is_written()
                    && self.doc.text.get(range.as_usize()).map(str::to_lowercase)
                        == Some(name.to_owned())
                {
                    return Some(range);
                }
            }
            column
        };
        let at = created
            .and_then(|t| t.columns.into_iter().find(|c| c.name == column))
            .and_then(|c| {
                stmt.is_written().then_some(())?;
                let range = stmt.document_range(self.doc, c.offset, column.len());
                (self.doc.text.get(range.as_usize())?.to_lowercase() == column).then_some(range)
            });
        Some(at.unwrap_or_else(|| first_line(self.doc, stmt.range)))
    }
}

/// The unqualified, lowercased name of a `CREATE [UNLOGGED|TEMP] TABLE [IF NOT EXISTS] name`
/// text (comments before it skipped), for statements the parser cannot read. Quoted names are
/// lowercased too: drift compares names the way the descriptions write them.
pub(crate) fn written_table_name(text: &str) -> Option<String> {
    // Drift compares names as the ERD and column tables give them: lowercased.
    crate::sql::tables::written_table_name(text).map(|n| n.to_lowercase())
}

pub(super) fn first_line(doc: &Document, range: TextRange) -> TextRange {
    let start = range.start as usize;
    let end = doc
        .text
        .get(start..range.end as usize)
        .and_then(|t| t.find('\n'))
        .map_or(range.end, |n| range.start + u32::try_from(n).unwrap_or(0));
    TextRange::new(range.start, end.max(range.start))
}
