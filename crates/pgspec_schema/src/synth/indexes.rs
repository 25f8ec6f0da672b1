//! The indexes an index table of the document lists ([`DocIndex`]), as `CREATE INDEX`
//! statements right after the statement that creates their table (SQL or generated), unless
//! the SQL already creates an index of that name, or (for a row without a name) one on the
//! same columns of the same table. A row whose table no source creates is still generated, at
//! the end, so that its failure points at the row.

use crate::column_tables::create_index;
use crate::diagnostics::Diagnostic;
use crate::document::Document;
use crate::model::DocIndex;
use crate::sql::ast::{self, NodeEnum};
use crate::sql::{generated_statement, GeneratedFrom, ObjectKind, Statement};

use super::{bare, quote, relation_creators, with_inserted};

mod stated;

/// `statements` with the index tables' indexes inserted, renumbered; and DRF012 for each index
/// a sentence states that pgspec had to build (see [`stated::served`]).
pub(super) fn with_listed_indexes(
    doc: &Document,
    indexes: &[DocIndex],
    statements: Vec<Statement>,
) -> (Vec<Statement>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    if indexes.is_empty() {
        return (statements, diagnostics);
    }
    let mut keys = stated::keys(&statements);
    let creators = relation_creators(&statements);
    let named: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.facts.creates)
        .filter(|o| o.kind == ObjectKind::Index)
        .map(|o| o.name.to_lowercase())
        .collect();
    let keyed: Vec<(String, Vec<String>)> = statements.iter().filter_map(index_key).collect();
    let n = statements.len();
    let mut inserts: Vec<(usize, usize, Statement)> = Vec::new();
    for (seq, index) in indexes.iter().enumerate() {
        let table = bare(&index.table);
        if index.sentence {
            // A sentence about a table nothing creates may be about another system: left alone.
            if !creators.contains_key(table) || stated::served(index, &keys) {
                continue;
            }
            diagnostics.push(stated::finding(index, &keys));
            keys.push(stated::built(index));
        }
        // A stated index not served (above) is built even beside an index of other kind.
        let duplicate = !index.sentence
            && match &index.name {
                Some(name) => named.iter().any(|n| n == name),
                None => keyed
                    .iter()
                    .any(|(t, columns)| t == table && *columns == plain_columns(index)),
            };
        if duplicate {
            continue;
        }
        // A stated index goes last: its table may be completed by statements after the one
        // that creates it (a fragment's added columns), and nothing depends on the index.
        let at = if index.sentence {
            n
        } else {
            creators.get(table).map_or(n, |&k| k + 1)
        };
        let from = GeneratedFrom {
            source_kind: if index.sentence {
                "sentence"
            } else {
                "index-table"
            }
            .to_string(),
            table: index.table.clone(),
            column: None,
            line: doc.line_index.line(index.span.start),
            parts: Vec::new(),
        };
        let text = create_index(index, &quote(&index.table));
        inserts.push((at, seq, generated_statement(text, index.span, from)));
    }
    (with_inserted(statements, inserts), diagnostics)
}

/// The table and plain column names of a `CREATE INDEX` (an expression counts as an empty
/// name, so it matches no listed column).
fn index_key(statement: &Statement) -> Option<(String, Vec<String>)> {
    let tree = statement.ast()?;
    let NodeEnum::IndexStmt(index) = ast::top_nodes(tree).next()? else {
        return None;
    };
    let table = index.relation.as_ref()?.relname.to_lowercase();
    let columns = index
        .index_params
        .iter()
        .map(|p| match &p.node {
            Some(NodeEnum::IndexElem(e)) => e.name.to_lowercase(),
            _ => String::new(),
        })
        .collect();
    Some((table, columns))
}

/// The listed key parts that are plain column names, lowercased (else empty, as in
/// [`index_key`]).
fn plain_columns(index: &DocIndex) -> Vec<String> {
    index
        .columns
        .iter()
        .map(|c| {
            let name = c.split_whitespace().next().unwrap_or("");
            let plain = c.split_whitespace().count() == 1
                || c.split_whitespace()
                    .skip(1)
                    .all(|w| matches!(w.to_ascii_lowercase().as_str(), "asc" | "desc"));
            if plain && name.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                name.trim_matches('"').to_lowercase()
            } else {
                String::new()
            }
        })
        .collect()
}
