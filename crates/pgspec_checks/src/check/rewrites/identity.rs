//! Explicit values for a `GENERATED ALWAYS AS IDENTITY` column: sample data often gives the
//! ids (`INSERT INTO plans (id, code) VALUES (1, 'free')`), which PostgreSQL refuses without
//! `OVERRIDING SYSTEM VALUE`; and once it takes them, the identity must move past them or the
//! next row without an id collides with the first one given.

use super::*;

/// `INSERT INTO t (id, …) OVERRIDING SYSTEM VALUE VALUES …`, and after it the identity of the
/// column the error names set to the largest value.
pub(crate) fn identity_override(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let Some(NodeEnum::InsertStmt(insert)) = stmt.first_node() else {
        return None;
    };
    // Already overriding (the user's value kind), or no column list to put it after.
    if insert.r#override != pb::OverridingKind::OverridingNotSet as i32 {
        return None;
    }
    let relation = insert.relation.as_ref()?;
    let column = quoted_names(&err.message).into_iter().next()?;
    let last = insert.cols.last()?;
    let Some(NodeEnum::ResTarget(target)) = &last.node else {
        return None;
    };
    let masked = mask_quotes_and_comments(&stmt.text);
    let from = usize::try_from(target.location).ok()?;
    let close = from + masked.get(from..)?.find(')')?;
    let table = if relation.schemaname.is_empty() {
        quote_ident(&relation.relname)
    } else {
        format!(
            "{}.{}",
            quote_ident(&relation.schemaname),
            quote_ident(&relation.relname)
        )
    };
    let column_ident = quote_ident(&column);
    let setval = format!(
        "SELECT setval(pg_get_serial_sequence({}, {}), (SELECT max({column_ident}) FROM {table}))",
        crate::sql::quote::quote_literal(&table),
        crate::sql::quote::quote_literal(&column_ident),
    );
    let mut plan = edit_plan(
        doc,
        stmt,
        format!(
            "`{column}` is GENERATED ALWAYS AS IDENTITY: insert the given values with OVERRIDING SYSTEM VALUE, then move the identity past them"
        ),
        Applicability::Safe,
        vec![(close + 1..close + 1, " OVERRIDING SYSTEM VALUE".to_string())],
    );
    if plan.fix.applicability != Applicability::DisplayOnly {
        plan.fix.edits.push(Edit {
            range: TextRange::empty(stmt.range.end),
            replacement: format!("\n{setval};"),
        });
    }
    plan.after.push(setval);
    Some(plan)
}
