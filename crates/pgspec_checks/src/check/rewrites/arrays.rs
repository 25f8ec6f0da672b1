//! `DEFAULT ARRAY[]`: an empty array constructor has no element type to infer (42P18), where the
//! column (or the INSERT's target) gives one to the literal `'{}'`.

use super::*;
use crate::sql::ast::{walk, NodeRef};

/// Every empty `ARRAY[]` of the statement as `'{}'`, when PostgreSQL could not type one.
pub(crate) fn empty_array_literals(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    if err.message != "cannot determine type of empty array" {
        return None;
    }
    let root = stmt.first_node()?;
    let masked = mask_quotes_and_comments(&stmt.text).to_ascii_lowercase();
    let mut edits = Vec::new();
    for node in walk(root.to_ref()) {
        let NodeRef::AArrayExpr(array) = node else {
            continue;
        };
        if !array.elements.is_empty() {
            continue;
        }
        let at = usize::try_from(array.location).ok()?;
        // `ARRAY[` … `]` as written (the location is the keyword's).
        if !word_at(&masked, at, "array") {
            continue;
        }
        let open = skip_ws(&masked, at + "array".len());
        if !masked[open..].starts_with('[') {
            continue;
        }
        let close = skip_ws(&masked, open + 1);
        if !masked[close..].starts_with(']') {
            continue;
        }
        // Already cast (`ARRAY[]::text[]`): PostgreSQL typed it.
        if masked[close + 1..].trim_start().starts_with("::") {
            continue;
        }
        edits.push((at..close + 1, "'{}'".to_string()));
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "write the empty array as `'{}'`, which its column types".into(),
        Applicability::Safe,
        edits,
    ))
}
