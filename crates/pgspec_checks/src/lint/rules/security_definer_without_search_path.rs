//! LNT303: a SECURITY DEFINER function without `SET search_path`: a caller can put its own
//! objects first on the search_path and run them with the owner's rights.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::sql::ObjectKind;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for f in &ctx.catalog.functions {
        if !f.security_definer || f.config.iter().any(|c| c.starts_with("search_path=")) {
            continue;
        }
        let Some(stmt) = ctx.creator(ObjectKind::Function, &f.name) else {
            continue;
        };
        let range = ctx.find_word(stmt, "security definer").map_or_else(
            || ctx.stmt_head(stmt),
            |at| ctx.range(stmt, at, "SECURITY DEFINER".len()),
        );
        found.push(
            diagnostic(
                Rule::SecurityDefinerWithoutSearchPath,
                format!("SECURITY DEFINER function `{}` does not set search_path", f.name),
                range,
            )
            .help("add `SET search_path = pg_catalog, public` (or `= ''` with schema-qualified names) to the function"),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
