//! LNT502: `REFRESH MATERIALIZED VIEW CONCURRENTLY v` where `v` has no unique index (without a
//! WHERE clause): PostgreSQL refuses it at run time.

use super::cron_calls_missing_function::cron_commands;
use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, NodeEnum};

/// The view a `REFRESH MATERIALIZED VIEW CONCURRENTLY` refreshes.
fn concurrent_refresh(node: &NodeEnum) -> Option<String> {
    match node {
        NodeEnum::RefreshMatViewStmt(r) if r.concurrent => r
            .relation
            .as_ref()
            .map(|rv| rv.relname.clone())
            .filter(|n| !n.is_empty()),
        _ => None,
    }
}

pub(super) fn run(ctx: &mut Context<'_>) {
    // (statement, byte offset of the REFRESH in the statement's text, view name)
    let mut refreshes: Vec<(usize, usize, String)> = Vec::new();
    for q in &ctx.queries {
        for (node, location) in ast::top_nodes_at(&q.ast) {
            if let Some(view) = concurrent_refresh(node) {
                refreshes.push((q.stmt, q.offset + location, view));
            }
        }
    }
    for (stmt, at, command) in cron_commands(ctx.statements) {
        let Some(tree) = ast::parse(&command) else {
            continue;
        };
        for node in ast::top_nodes(&tree) {
            if let Some(view) = concurrent_refresh(node) {
                refreshes.push((stmt, at, view));
            }
        }
    }
    let mut found = Vec::new();
    for (stmt, at, view) in refreshes {
        let in_catalog = ctx
            .catalog
            .views
            .iter()
            .any(|v| v.name == view && v.materialized);
        let unique = ctx
            .catalog
            .indexes
            .iter()
            .any(|i| i.table == view && i.unique && i.predicate.is_none())
            || (!in_catalog && document_unique_index(ctx, &view));
        if unique {
            continue;
        }
        let text = &ctx.statements[stmt].text;
        let range = crate::lint::find_word(text, &view, at).map_or_else(
            || ctx.range(stmt, at, 1),
            |p| ctx.range(stmt, p, view.len()),
        );
        found.push(
            diagnostic(
                Rule::RefreshConcurrentlyWithoutUniqueIndex,
                format!("`REFRESH MATERIALIZED VIEW CONCURRENTLY {view}` needs a unique index on `{view}`"),
                range,
            )
            .label("no unique index on this view")
            .help(format!("add `CREATE UNIQUE INDEX ON {view} (…)` over columns that identify a row (no WHERE clause), or refresh without CONCURRENTLY")),
        );
    }
    for d in found {
        ctx.push(d);
    }
}

/// Whether the document creates a unique index without predicate on `view`.
fn document_unique_index(ctx: &Context<'_>, view: &str) -> bool {
    ctx.statements
        .iter()
        .filter_map(|s| s.ast())
        .flat_map(ast::top_nodes)
        .any(|node| {
            matches!(node, NodeEnum::IndexStmt(i)
                if i.unique
                    && i.where_clause.is_none()
                    && i.relation.as_ref().is_some_and(|r| r.relname == view))
        })
}
