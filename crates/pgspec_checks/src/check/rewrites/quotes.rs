//! Strings in double quotes, as MySQL reads them (`DEFAULT "pending"`, `VALUES (1, "paid")`,
//! `COMMENT ON TABLE t IS "…"`): PostgreSQL reads a double-quoted word as a name, so the
//! default "uses a column", the row names a column that does not exist, and the comment does
//! not parse. Where PostgreSQL can only mean a value, the fix writes a string literal.

use super::*;
use crate::sql::ast::{children, column_default, NodeRef};

/// Every double-quoted name in `stmt` that stands where only a value can: the default of a
/// column, a row of `VALUES` (outside a subquery), and the text of a `COMMENT … IS`.
pub(crate) fn double_quoted_strings(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let starts: Vec<usize> = match (err.sqlstate.as_str(), stmt.first_node()) {
        ("0A000", Some(root)) if err.message.contains("column reference in DEFAULT") => {
            let mut found = Vec::new();
            for node in crate::sql::ast::walk(root.to_ref()) {
                let NodeRef::ColumnDef(def) = node else {
                    continue;
                };
                if let Some(expr) = column_default(def).and_then(|e| e.node.as_ref()) {
                    column_refs(expr.to_ref(), &mut found);
                }
            }
            found
        }
        ("42703", Some(NodeEnum::InsertStmt(insert))) => {
            let Some(NodeEnum::SelectStmt(select)) =
                insert.select_stmt.as_deref().and_then(|s| s.node.as_ref())
            else {
                return None;
            };
            let mut found = Vec::new();
            for row in &select.values_lists {
                if let Some(row) = row.node.as_ref() {
                    column_refs(row.to_ref(), &mut found);
                }
            }
            found
        }
        // `COMMENT ON … IS "text"` does not parse: the quoted word after IS, where the parser
        // stopped.
        ("42601", None) => {
            let at = err
                .position
                .map(|p| crate::postgres::char_position_to_byte(&stmt.text, p) as usize)?;
            let masked = mask_quotes_and_comments(&stmt.text).to_ascii_lowercase();
            let head = skip_ws(&masked, 0);
            let before = masked.get(..at)?.trim_end();
            let is_comment = word_at(&masked, head, "comment") && before.ends_with(" is");
            if !is_comment || stmt.text.as_bytes().get(at) != Some(&b'"') {
                return None;
            }
            vec![at]
        }
        _ => return None,
    };
    let mut edits = Vec::new();
    for at in starts {
        // Only what is written in double quotes: a bare name is a name.
        if stmt.text.as_bytes().get(at) != Some(&b'"') {
            continue;
        }
        let (end, value) = quoted_at(&stmt.text, at)?;
        edits.push((at..end, crate::sql::quote::quote_literal(&value)));
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "write the values in double quotes as strings ('…'): PostgreSQL reads \"…\" as a name"
            .into(),
        Applicability::Safe,
        edits,
    ))
}

/// The locations of the column references at and below `node`, not inside a subquery (where a
/// name is a name).
fn column_refs(node: NodeRef<'_>, out: &mut Vec<usize>) {
    match node {
        NodeRef::ColumnRef(c) => out.extend(usize::try_from(c.location).ok()),
        NodeRef::SubLink(_) => {}
        other => {
            for child in children(other) {
                column_refs(child, out);
            }
        }
    }
}

/// The end of the double-quoted name starting at `at` and its value (`""` is one quote).
fn quoted_at(text: &str, at: usize) -> Option<(usize, String)> {
    let mut value = String::new();
    let mut chars = text.get(at + 1..)?.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            if chars.peek().is_some_and(|(_, d)| *d == '"') {
                chars.next();
                value.push('"');
                continue;
            }
            return Some((at + 1 + i + 1, value));
        }
        value.push(c);
    }
    None
}
