//! LNT203: a table with row level security has policies, but none for a command that a role is
//! granted on it: that command fails (INSERT/UPDATE) or sees nothing (SELECT/DELETE).

use super::{rls, Context};
use crate::lint::{diagnostic, Rule};
use crate::postgres::{ApplySession, ClusterError};
use crate::sql::ObjectKind;

const COMMANDS: &[(char, char, &str)] = &[
    ('r', 'r', "SELECT"),
    ('a', 'a', "INSERT"),
    ('w', 'w', "UPDATE"),
    ('d', 'd', "DELETE"),
];

pub(super) fn run(ctx: &mut Context<'_>, session: &mut ApplySession) -> Result<(), ClusterError> {
    let state = rls(ctx);
    // Grants from the catalog: rows of (table, grantee, privilege).
    let rows = session.query_strings(crate::postgres::catalog_queries::LINT_GRANTS)?;
    for (table, stmt) in &state.enabled {
        let Some(policies) = state.policies.get(table).filter(|p| !p.is_empty()) else {
            continue;
        };
        for (letter, _, command) in COMMANDS {
            if policies.iter().any(|(c, _, _)| c == letter || *c == '*') {
                continue;
            }
            let grantees: Vec<String> = rows
                .iter()
                .filter(|r| r.first().cloned().flatten().as_deref() == Some(table.as_str()))
                .filter(|r| r.get(2).cloned().flatten().as_deref() == Some(*command))
                .filter_map(|r| r.get(1).cloned().flatten())
                .collect();
            if grantees.is_empty() {
                continue;
            }
            let at = policies
                .iter()
                .find_map(|(_, s, _)| *s)
                .or(*stmt)
                .or_else(|| ctx.creator(ObjectKind::Relation, table));
            let Some(at) = at else { continue };
            let effect = if matches!(*command, "INSERT" | "UPDATE") {
                "fails with a row level security violation"
            } else {
                "silently matches no rows"
            };
            ctx.push(
                diagnostic(
                    Rule::CommandWithoutPolicy,
                    format!("`{table}` has no {command} policy, but {} may {command} it", grantees.join(", ")),
                    ctx.stmt_head(at),
                )
                .label(format!("policies here cover no {command}"))
                .help(format!("add `CREATE POLICY … ON {table} FOR {command} …` (or revoke {command}); as written every {command} by those roles {effect}")),
            );
        }
    }
    Ok(())
}
