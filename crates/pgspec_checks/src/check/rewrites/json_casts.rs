//! `data->>'price'::numeric` refused with 22P02 (the key read as a number): the path in
//! parentheses, then the cast: `(data->>'price')::numeric`.

use super::*;

/// The key the error could not read as its cast's type is a JSON key: the path in parentheses,
/// then the cast (every such path of the statement).
pub(crate) fn parenthesize_json_key_casts(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let found = super::super::categorize::refused_json_key_casts(stmt, err);
    if found.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    for cast in found {
        edits.push((cast.path_start..cast.path_start, "(".to_string()));
        edits.push((cast.key_end..cast.key_end, ")".to_string()));
    }
    Some(edit_plan(
        doc,
        stmt,
        "cast the value under the JSON key, not the key: `::` binds tighter than `->>`".into(),
        Applicability::Safe,
        edits,
    ))
}
