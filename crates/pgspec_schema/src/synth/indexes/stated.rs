//! Indexes a sentence states ([`DocIndex::sentence`]): whether an index or key of the SQL
//! already serves the statement, and DRF012 when pgspec builds the index instead.

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::model::DocIndex;
use crate::sql::ast::NodeEnum;
use crate::sql::{tables, Statement};
use crate::text::TextRange;

/// An index or key the SQL creates: table (unqualified, lowercased), plain key columns (an
/// expression is an empty name), whether it is unique, its access method, its statement.
pub(super) struct Key {
    table: String,
    columns: Vec<String>,
    unique: bool,
    method: String,
    range: TextRange,
}

/// Every index and PRIMARY KEY / UNIQUE constraint the statements create.
pub(super) fn keys(statements: &[Statement]) -> Vec<Key> {
    let lower = |names: &[String]| names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>();
    let mut out = Vec::new();
    for s in statements {
        let Some(tree) = s.ast() else { continue };
        let key = |table: &str, columns: Vec<String>, unique: bool, method: &str| Key {
            table: table.to_lowercase(),
            columns,
            unique,
            method: method.to_lowercase(),
            range: s.range,
        };
        if let Some(table) = s.created_table() {
            let constraints = std::iter::once(&table.primary_key).chain(&table.unique);
            for columns in constraints.filter(|c| !c.is_empty()) {
                out.push(key(&table.name, lower(columns), true, "btree"));
            }
        } else if let Some((table, added)) = tables::added_unique_keys(tree) {
            for columns in added {
                out.push(key(&table, lower(&columns), true, "btree"));
            }
        } else if let (Some(NodeEnum::IndexStmt(index)), Some((table, columns))) =
            (s.first_node(), super::index_key(s))
        {
            let method = if index.access_method.is_empty() {
                "btree"
            } else {
                &index.access_method
            };
            out.push(key(&table, columns, index.unique, method));
        }
    }
    out
}

/// The index pgspec builds for a stated one, as a key that serves the sentences after it.
pub(super) fn built(index: &DocIndex) -> Key {
    Key {
        table: super::bare(&index.table).to_string(),
        columns: claimed(index),
        unique: index.unique,
        method: index.method.clone().unwrap_or_else(|| "btree".into()),
        range: index.span,
    }
}

/// The stated key's plain column names (order marks dropped).
fn claimed(index: &DocIndex) -> Vec<String> {
    index
        .columns
        .iter()
        .map(|c| c.split_whitespace().next().unwrap_or("").to_lowercase())
        .collect()
}

/// Whether an index or key of the SQL serves what the sentence states: for a unique key, a
/// unique index or constraint on some of its columns (uniqueness of fewer columns implies it);
/// for an index, one whose key starts with the stated columns (with the stated method).
pub(super) fn served(index: &DocIndex, keys: &[Key]) -> bool {
    let table = super::bare(&index.table);
    let wanted = claimed(index);
    keys.iter().filter(|k| k.table == table).any(|k| {
        if index.unique {
            k.unique && !k.columns.is_empty() && k.columns.iter().all(|c| wanted.contains(c))
        } else {
            k.columns.len() >= wanted.len()
                && k.columns[..wanted.len()] == wanted[..]
                && index.method.as_deref().is_none_or(|m| m == k.method)
        }
    })
}

/// DRF012 for a stated index pgspec builds, with the SQL's closest index of the table (the
/// longest shared leading columns) beside it.
pub(super) fn finding(index: &DocIndex, keys: &[Key]) -> Diagnostic {
    let table = super::bare(&index.table);
    let wanted = claimed(index);
    let key = format!("{} ({})", index.table, index.columns.join(", "));
    let closest = keys
        .iter()
        .filter(|k| k.table == table)
        .map(|k| {
            let shared = k
                .columns
                .iter()
                .zip(&wanted)
                .take_while(|(a, b)| a == b)
                .count();
            (shared, k)
        })
        .filter(|(shared, _)| *shared > 0)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, k)| k);
    let (message, kind) = if index.unique {
        (
            format!("the document says `{key}` is unique, but no unique index or key of the SQL makes it so: pgspec built a unique index from the sentence"),
            "UNIQUE INDEX",
        )
    } else {
        (
            format!("the document says `{key}` has an index, but no index of the SQL starts with these columns: pgspec built one from the sentence"),
            "INDEX",
        )
    };
    let method = index
        .method
        .as_deref()
        .map(|m| format!(" USING {m}"))
        .unwrap_or_default();
    let mut d = Diagnostic::new(
        Code::StatedIndexNotInSql,
        Category::Drift,
        message,
        index.span,
    )
    .label("stated here")
    .help(format!(
        "add `CREATE {kind} ON {}{method} ({});` to the SQL, or correct the sentence",
        index.table,
        index.columns.join(", ")
    ));
    if let Some(k) = closest {
        d = d.secondary(Label::with_message(
            k.range,
            format!(
                "the SQL's closest: on `{} ({})`",
                k.table,
                k.columns.join(", ")
            ),
        ));
    }
    d
}
