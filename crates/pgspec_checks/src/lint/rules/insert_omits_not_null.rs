//! LNT103: an INSERT with a column list leaves out a NOT NULL column that has no default.

use super::{query_range, Context};
use crate::lint::{ast, diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for (qi, q) in ctx.queries.iter().enumerate() {
        for insert in ast::find_all(&q.tree, "InsertStmt") {
            let Some(table_name) = ast::relname(insert) else {
                continue;
            };
            let listed: Vec<&str> = insert["cols"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| ast::node(c).and_then(|(_, r)| r["name"].as_str()))
                .collect();
            if listed.is_empty() {
                continue;
            }
            let Some(table) = ctx.tables.iter().find(|t| t.name == table_name) else {
                continue;
            };
            let missing: Vec<&str> = table
                .columns
                .iter()
                .filter(|c| c.not_null && !c.has_default && !listed.contains(&c.name.as_str()))
                .map(|c| c.name.as_str())
                .collect();
            if missing.is_empty() {
                continue;
            }
            let at = insert["relation"]["location"]
                .as_u64()
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0);
            let shown = missing
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let plural = if missing.len() == 1 {
                "column"
            } else {
                "columns"
            };
            let mut d = diagnostic(
                Rule::InsertOmitsNotNull,
                format!("INSERT into `{table_name}` omits NOT NULL {plural} {shown} without a default"),
                query_range(ctx, qi, at, table_name.len()),
            )
            .label(format!("{} NOT NULL {plural} not given", missing.len()))
            .help(format!("give a value for {shown} or add a DEFAULT; as written the INSERT fails with SQLSTATE 23502"));
            if let Some(f) = &q.function {
                d = d.note(format!("in function `{f}`"));
            }
            found.push(d);
        }
    }
    for d in found {
        ctx.push(d);
    }
}
