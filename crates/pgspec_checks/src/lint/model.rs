//! What the rules look at: the scratch database's catalog after `check` (loaded with the
//! queries in `src/postgres/catalog/lint_*.sql`), and the document's own statements parsed by
//! pg_query (for tables that failed to apply, and for positions).

use std::collections::HashMap;

use serde_json::Value;

use super::ast;
use crate::postgres::{ApplySession, ClusterError};

/// A column, from the catalog or from a `CREATE TABLE` of the document.
#[derive(Clone, Debug)]
pub(crate) struct Column {
    pub name: String,
    /// `format_type` output (`character varying(32)`) or the document's type name.
    pub type_name: String,
    pub not_null: bool,
    /// A default, identity or generated expression (or a serial type).
    pub has_default: bool,
    /// varchar/char length limit.
    pub max_len: Option<usize>,
    pub enum_labels: Vec<String>,
    /// Byte offset of the column's definition in its statement's text (document tables).
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
    pub rls: bool,
    pub columns: Vec<Column>,
    pub from_catalog: bool,
}

impl Table {
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A constraint from the catalog.
#[derive(Clone, Debug)]
pub(crate) struct Constraint {
    pub table: String,
    pub name: String,
    /// `p`, `u`, `f`, `c`, `x`, `t`, `n`.
    pub kind: char,
    pub definition: String,
    pub columns: Vec<String>,
    pub on_partition: bool,
    pub inherited: bool,
}

/// An index from the catalog.
#[derive(Clone, Debug)]
pub(crate) struct Index {
    pub table: String,
    pub name: String,
    pub keys: Vec<String>,
    pub unique: bool,
    pub predicate: String,
    pub method: String,
    /// The constraint it backs, or empty.
    pub constraint: String,
    pub on_partition: bool,
}

/// A row level security policy from the catalog.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub table: String,
    pub name: String,
    /// `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL.
    pub command: char,
}

/// A function or procedure from the catalog.
#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub oid: String,
    pub name: String,
    pub language: String,
    pub security_definer: bool,
    pub config: Vec<String>,
    pub source: String,
    pub returns_trigger: bool,
}

/// A user trigger from the catalog.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub table: String,
    pub name: String,
    pub function_oid: String,
    pub on_insert: bool,
    pub on_delete: bool,
    pub table_oid: String,
}

/// The catalog of the scratch database.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    pub tables: Vec<Table>,
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    pub policies: Vec<Policy>,
    pub functions: Vec<Function>,
    pub triggers: Vec<Trigger>,
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn flag(row: &[Option<String>], i: usize) -> bool {
    matches!(row.get(i), Some(Some(v)) if v == "true" || v == "t")
}

fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

impl Catalog {
    /// Load everything the rules need from the session's database.
    pub(crate) fn load(session: &mut ApplySession) -> Result<Self, ClusterError> {
        let mut catalog = Catalog::default();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_COLUMNS)? {
            let key = qualified(&text(&row, 0), &text(&row, 1));
            let idx = *by_name.entry(key).or_insert_with(|| {
                catalog.tables.push(Table {
                    schema: text(&row, 0),
                    name: text(&row, 1),
                    kind: text(&row, 2).chars().next().unwrap_or('r'),
                    is_partition: flag(&row, 3),
                    rls: flag(&row, 4),
                    columns: Vec::new(),
                    from_catalog: true,
                });
                catalog.tables.len() - 1
            });
            let labels = text(&row, 10);
            catalog.tables[idx].columns.push(Column {
                name: text(&row, 5),
                type_name: text(&row, 6),
                not_null: flag(&row, 7),
                has_default: flag(&row, 8),
                max_len: text(&row, 9).parse().ok(),
                enum_labels: if labels.is_empty() {
                    Vec::new()
                } else {
                    labels.split('\u{1f}').map(str::to_owned).collect()
                },
                at: None,
            });
        }
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_CONSTRAINTS)? {
            catalog.constraints.push(Constraint {
                table: qualified(&text(&row, 0), &text(&row, 1)),
                name: text(&row, 2),
                kind: text(&row, 3).chars().next().unwrap_or('c'),
                definition: text(&row, 4),
                columns: text(&row, 5)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                on_partition: flag(&row, 7),
                inherited: flag(&row, 8),
            });
        }
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_INDEXES)? {
            catalog.indexes.push(Index {
                table: qualified(&text(&row, 0), &text(&row, 1)),
                name: text(&row, 2),
                keys: text(&row, 3).split('\u{1f}').map(str::to_owned).collect(),
                unique: flag(&row, 4),
                predicate: text(&row, 6),
                method: text(&row, 7),
                constraint: text(&row, 8),
                on_partition: flag(&row, 10),
            });
        }
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_POLICIES)? {
            catalog.policies.push(Policy {
                table: qualified(&text(&row, 0), &text(&row, 1)),
                name: text(&row, 2),
                command: text(&row, 3).chars().next().unwrap_or('*'),
            });
        }
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_FUNCTIONS)? {
            let config = text(&row, 5);
            catalog.functions.push(Function {
                oid: text(&row, 0),
                name: text(&row, 2),
                language: text(&row, 3),
                security_definer: flag(&row, 4),
                config: if config.is_empty() {
                    Vec::new()
                } else {
                    config.split('\u{1f}').map(str::to_owned).collect()
                },
                source: text(&row, 6),
                returns_trigger: flag(&row, 7),
            });
        }
        for row in session.query_strings(crate::postgres::catalog_queries::LINT_TRIGGERS)? {
            catalog.triggers.push(Trigger {
                table: qualified(&text(&row, 0), &text(&row, 1)),
                name: text(&row, 2),
                function_oid: text(&row, 3),
                on_insert: flag(&row, 5),
                on_delete: flag(&row, 6),
                table_oid: text(&row, 8),
            });
        }
        Ok(catalog)
    }

    /// The table named `name` (unqualified names are looked up in `public`, then anywhere).
    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| qualified(&t.schema, &t.name) == name)
            .or_else(|| self.tables.iter().find(|t| t.name == name))
    }
}

/// The tables the document's `CREATE TABLE` statements describe: `(statement index, table)`.
/// Used for tables that are not in the catalog because their statement failed.
pub(crate) fn document_tables(asts: &[Option<Value>]) -> Vec<(usize, Table)> {
    let mut out = Vec::new();
    for (i, tree) in asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (kind, body, _) in ast::statements(tree) {
            if kind != "CreateStmt" {
                continue;
            }
            let Some(name) = ast::relname(body) else {
                continue;
            };
            let mut columns = Vec::new();
            let mut pk_columns = Vec::new();
            for elt in body["table_elts"].as_array().into_iter().flatten() {
                match ast::node(elt) {
                    Some(("ColumnDef", col)) => columns.push(document_column(col)),
                    Some(("Constraint", con)) if con["contype"].as_i64() == Some(7) => {
                        pk_columns.extend(ast::names(&con["keys"]));
                    }
                    _ => {}
                }
            }
            for c in &mut columns {
                if pk_columns.contains(&c.name) {
                    c.not_null = true;
                }
            }
            out.push((
                i,
                Table {
                    schema: body["relation"]["schemaname"]
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .unwrap_or("public")
                        .to_owned(),
                    name,
                    kind: if body["partspec"].is_object() {
                        'p'
                    } else {
                        'r'
                    },
                    is_partition: body["partbound"].is_object(),
                    rls: false,
                    columns,
                    from_catalog: false,
                },
            ));
        }
    }
    out
}

fn document_column(col: &Value) -> Column {
    let type_names = ast::names(&col["type_name"]["names"]);
    let type_name = type_names
        .last()
        .cloned()
        .unwrap_or_default()
        .to_lowercase();
    let max_len = if matches!(type_name.as_str(), "varchar" | "bpchar") {
        col["type_name"]["typmods"]
            .as_array()
            .and_then(|m| m.first())
            .and_then(ast::constant)
            .and_then(|(v, _)| v.parse().ok())
    } else {
        None
    };
    let mut not_null = col["is_not_null"].as_bool().unwrap_or(false);
    let mut has_default = matches!(
        type_name.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    for con in col["constraints"].as_array().into_iter().flatten() {
        if let Some(("Constraint", c)) = ast::node(con) {
            match c["contype"].as_i64() {
                Some(2 | 7) => not_null = true,
                Some(3..=5) => has_default = true,
                _ => {}
            }
        }
    }
    let start = ast::location(col).unwrap_or(0);
    let name = col["colname"].as_str().unwrap_or_default().to_owned();
    Column {
        at: Some((start, name.len())),
        name,
        type_name,
        not_null,
        has_default,
        max_len,
        enum_labels: Vec::new(),
    }
}
