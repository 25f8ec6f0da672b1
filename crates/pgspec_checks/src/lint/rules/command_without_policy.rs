//! LNT203: a table with row level security has policies, but none for a command that a role is
//! granted on it: that command fails (INSERT/UPDATE) or sees nothing (SELECT/DELETE).

use super::{rls, Context};
use crate::lint::{diagnostic, Rule};
use crate::postgres::catalog::Privilege;
use crate::sql::ObjectKind;

const COMMANDS: &[(char, char, &str)] = &[
    ('r', 'r', "SELECT"),
    ('a', 'a', "INSERT"),
    ('w', 'w', "UPDATE"),
    ('d', 'd', "DELETE"),
];

pub(super) fn run(ctx: &mut Context<'_>) {
    let state = rls(ctx);
    // Table privileges on tables with row level security, granted to roles other than the
    // owner.
    let catalog = ctx.catalog;
    // On Supabase `service_role` bypasses row level security: it is not denied anything.
    let supabase = crate::platform::supabase::shim_in(catalog);
    let grants: Vec<&Privilege> = catalog
        .privileges
        .iter()
        .filter(|p| p.column.is_none() && !p.to_owner && p.grantee != "PUBLIC")
        .filter(|p| {
            !(supabase && crate::platform::supabase::BYPASSES_RLS.contains(&p.grantee.as_str()))
        })
        .filter(|p| {
            catalog
                .table_by_oid(p.relation_oid)
                .is_some_and(|t| t.rls_enabled)
        })
        .collect();
    for (table, stmt) in &state.enabled {
        let Some(policies) = state.policies.get(table).filter(|p| !p.is_empty()) else {
            continue;
        };
        for (letter, _, command) in COMMANDS {
            if policies.iter().any(|(c, _, _)| c == letter || *c == '*') {
                continue;
            }
            let grantees: Vec<String> = grants
                .iter()
                .filter(|p| p.relation == *table && p.privilege == *command)
                .map(|p| p.grantee.clone())
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
            // Named as SQL writes it outside `public` (`storage.objects`): the help's
            // CREATE POLICY must find the table.
            let shown = catalog
                .tables
                .iter()
                .find(|t| t.name == *table)
                .map_or_else(|| table.clone(), |t| t.display_name());
            let table = &shown;
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
}
