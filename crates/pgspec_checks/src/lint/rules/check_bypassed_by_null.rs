//! LNT104: a CHECK over several columns passes (is NULL, not false) when a nullable term of its
//! arithmetic is NULL, so the invariant it states is not enforced.

use super::{document_checks, Context};
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, NodeRef};

/// The columns a node references (below it), in order.
fn column_refs(root: NodeRef<'_>) -> Vec<String> {
    ast::walk(root)
        .into_iter()
        .filter_map(|n| match n {
            NodeRef::ColumnRef(c) => ast::last_name(&c.fields).map(str::to_owned),
            _ => None,
        })
        .collect()
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for check in document_checks(ctx) {
        // A NULL test or COALESCE means the author thought about NULL.
        let nodes = ast::walk(check.expr.to_ref());
        if nodes
            .iter()
            .any(|n| matches!(n, NodeRef::NullTest(_) | NodeRef::CoalesceExpr(_)))
        {
            continue;
        }
        let mut columns: Vec<String> = Vec::new();
        for name in column_refs(check.expr.to_ref()) {
            if !columns.contains(&name) {
                columns.push(name);
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
        for node in &nodes {
            let NodeRef::AExpr(e) = node else {
                continue;
            };
            let op = ast::last_name(&e.name).unwrap_or_default();
            if !matches!(op, "+" | "-" | "*" | "/" | "%" | "||") {
                continue;
            }
            in_arithmetic.extend(column_refs(*node));
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
