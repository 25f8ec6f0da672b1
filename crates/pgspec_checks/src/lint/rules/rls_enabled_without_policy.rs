//! LNT201: row level security is enabled on a table that has no policy, so every row is
//! invisible to (and every write refused for) roles other than the owner.

use super::{rls, Context};
use crate::lint::{diagnostic, Rule};
use crate::sql::ObjectKind;

pub(super) fn run(ctx: &mut Context<'_>) {
    let state = rls(ctx);
    for (table, stmt) in &state.enabled {
        if state.policies.get(table).is_some_and(|p| !p.is_empty()) {
            continue;
        }
        let Some(range) = stmt.map(|s| ctx.stmt_head(s)).or_else(|| {
            ctx.creator(ObjectKind::Relation, table)
                .map(|s| ctx.stmt_head(s))
        }) else {
            continue;
        };
        ctx.push(
            diagnostic(
                Rule::RlsEnabledWithoutPolicy,
                format!("row level security is enabled on `{table}` but it has no policy"),
                range,
            )
            .label("no CREATE POLICY for this table")
            .help(format!("add the policies `{table}` needs (CREATE POLICY … ON {table} …); without any, every query by a non-owner role sees no rows and every write fails")),
        );
    }
}
