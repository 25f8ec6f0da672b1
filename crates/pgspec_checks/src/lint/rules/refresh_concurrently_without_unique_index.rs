//! LNT502: `REFRESH MATERIALIZED VIEW CONCURRENTLY v` where `v` has no unique index (without a
//! WHERE clause): PostgreSQL refuses it at run time.

use super::cron_calls_missing_function::cron_commands;
use super::Context;
use crate::lint::{ast, diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    // (statement, byte offset of the REFRESH in the statement's text, view name)
    let mut refreshes: Vec<(usize, usize, String)> = Vec::new();
    for q in &ctx.queries {
        for (kind, body, location) in ast::statements(&q.tree) {
            if kind == "RefreshMatViewStmt" && body["concurrent"].as_bool() == Some(true) {
                if let Some(view) = ast::relname(body) {
                    refreshes.push((q.stmt, q.offset + location, view));
                }
            }
        }
    }
    for (stmt, at, command) in cron_commands(ctx) {
        let Some(tree) = ast::parse(&command) else {
            continue;
        };
        for (kind, body, _) in ast::statements(&tree) {
            if kind == "RefreshMatViewStmt" && body["concurrent"].as_bool() == Some(true) {
                if let Some(view) = ast::relname(body) {
                    refreshes.push((stmt, at, view));
                }
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
    ctx.asts.iter().flatten().any(|tree| {
        ast::statements(tree).iter().any(|(kind, body, _)| {
            *kind == "IndexStmt"
                && body["unique"].as_bool() == Some(true)
                && body["where_clause"].is_null()
                && ast::relname(body).as_deref() == Some(view)
        })
    })
}
