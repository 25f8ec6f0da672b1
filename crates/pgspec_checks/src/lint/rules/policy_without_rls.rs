//! LNT202: a table has policies but row level security is not enabled on it: PostgreSQL
//! ignores the policies and every role with a grant sees every row.

use super::{rls, Context};
use crate::diagnostics::Label;
use crate::lint::{diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let state = rls(ctx);
    for (table, policies) in &state.policies {
        if state.enabled.contains_key(table) {
            continue;
        }
        let Some(first) = policies.iter().find_map(|(_, s, _)| *s) else {
            continue;
        };
        let names: Vec<String> = policies.iter().map(|(_, _, n)| format!("`{n}`")).collect();
        let mut d = diagnostic(
            Rule::PolicyWithoutRls,
            format!("`{table}` has policies but row level security is not enabled on it"),
            ctx.stmt_head(first),
        )
        .label("this policy is never applied")
        .help(format!("add `ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;` (policies {} are ignored until then)", names.join(", ")));
        for (_, s, name) in policies.iter().skip(1) {
            if let Some(s) = s {
                d = d.secondary(Label::with_message(
                    ctx.stmt_head(*s),
                    format!("policy `{name}`"),
                ));
            }
        }
        ctx.push(d);
    }
}
