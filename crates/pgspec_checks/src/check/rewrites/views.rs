//! A `CREATE OR REPLACE VIEW` whose new definition drops, renames or retypes a column of the
//! view it replaces: PostgreSQL lets a replacement only add columns at the end (42P16). A
//! document that defines a view again (a later version of its design) means the new
//! definition, so the view is dropped first.

use super::*;

/// `DROP VIEW v;` before the statement, which then runs again as written. Safe unless an
/// earlier statement used the view (a grant, a comment, a trigger, another view: dropping it
/// would take those along or fail); None unless the statement is a `CREATE OR REPLACE VIEW`
/// refused with 42P16.
pub(crate) fn drop_view_to_redefine(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    used_before: bool,
) -> Option<FixPlan> {
    if err.sqlstate != "42P16" {
        return None;
    }
    let Some(NodeEnum::ViewStmt(view)) = stmt.first_node() else {
        return None;
    };
    if !view.replace {
        return None;
    }
    let relation = view.view.as_ref()?;
    let name = crate::sql::ast::quote_relation(relation);
    let drop = format!("DROP VIEW {name}");
    let (applicability, why) = if used_before {
        (
            Applicability::Unsafe,
            " (an earlier statement uses it: its grants, comments or triggers go with it)",
        )
    } else {
        (Applicability::Safe, "")
    };
    let mut plan = edit_plan(
        doc,
        stmt,
        format!(
            "drop `{}` before defining it again: a replacement may only add columns at the end{why}",
            relation.relname
        ),
        applicability,
        vec![(0..0, format!("{drop};\n"))],
    );
    // On the database: the drop, then the statement itself.
    plan.replacement = None;
    plan.before.push(drop);
    Some(plan)
}
