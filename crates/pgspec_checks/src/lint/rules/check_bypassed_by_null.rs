//! LNT104: a CHECK over several columns passes (is NULL, not false) when a nullable term of its
//! arithmetic is NULL, so the invariant it states is not enforced.

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
        // Only terms of arithmetic (`subtotal - discount`) count: a nullable bound in a plain
        // comparison (`ends_at > starts_at`) usually means "open-ended" on purpose.
        let mut in_arithmetic: Vec<String> = Vec::new();
        for e in ast::find_all(check.expr, "AExpr") {
            let op = ast::names(&e["name"]).pop().unwrap_or_default();
            if !matches!(op.as_str(), "+" | "-" | "*" | "/" | "%" | "||") {
                continue;
            }
            for c in ast::find_all(e, "ColumnRef") {
                if let Some(name) = ast::last_name(&c["fields"]) {
                    in_arithmetic.push(name);
                }
            }
        }
        let nullable: Vec<&String> = columns
            .iter()
            .filter(|c| in_arithmetic.contains(c))
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
