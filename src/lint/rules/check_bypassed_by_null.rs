//! LNT104: a CHECK over several columns passes (is NULL, not false) when a nullable column in
//! it is NULL, so the invariant it states is not enforced.

use super::{document_checks, Context};
use crate::lint::{ast, diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for check in document_checks(ctx) {
        // A NULL test or COALESCE means the author thought about NULL.
        if !ast::find_all(check.expr, "NullTest").is_empty()
            || !ast::find_all(check.expr, "CoalesceExpr").is_empty()
        {
            continue;
        }
        let mut columns: Vec<String> = Vec::new();
        for c in ast::find_all(check.expr, "ColumnRef") {
            if let Some(name) = ast::last_name(&c["fields"]) {
                if !columns.contains(&name) {
                    columns.push(name);
                }
            }
        }
        if columns.len() < 2 {
            continue;
        }
        let Some(table) = ctx.tables.iter().find(|t| t.name == check.table) else {
            continue;
        };
        let nullable: Vec<&String> = columns
            .iter()
            .filter(|c| table.column(c).is_some_and(|col| !col.not_null))
            .collect();
        if nullable.is_empty() {
            continue;
        }
        let shown = nullable
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let name = check
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" `{n}`"));
        found.push(
            diagnostic(
                Rule::CheckBypassedByNull,
                format!("CHECK{name} on `{}` is not enforced when {shown} is NULL", check.table),
                ctx.range(check.stmt, check.at, "CHECK".len()),
            )
            .label("NULL makes this CHECK pass")
            .help(format!("declare {shown} NOT NULL (they have defaults), or write the CHECK with COALESCE(…, 0)")),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
