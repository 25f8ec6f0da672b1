//! LNT407: two constraints with the same definition on the same table: every write checks
//! both, and UNIQUE/FK duplicates also build duplicate indexes or triggers.

use super::Context;
use crate::diagnostics::Label;
use crate::lint::{diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let constraints: Vec<_> = ctx
        .catalog
        .constraints
        .iter()
        .filter(|c| !c.on_partition && !c.inherited)
        .collect();
    let mut found = Vec::new();
    for (n, a) in constraints.iter().enumerate() {
        let Some(b) = constraints[..n].iter().find(|b| {
            b.table_oid == a.table_oid && b.kind == a.kind && b.definition == a.definition
        }) else {
            continue;
        };
        let table = a.table.clone();
        let Some(range) = ctx.locate(&table, &a.name) else {
            continue;
        };
        let mut d = diagnostic(
            Rule::DuplicateConstraint,
            format!(
                "constraint `{}` on `{table}` duplicates `{}` ({})",
                a.name, b.name, a.definition
            ),
            range,
        )
        .help(format!("drop `{}`", a.name));
        if let Some(r) = ctx.locate(&table, &b.name).filter(|r| *r != range) {
            d = d.secondary(Label::with_message(r, "same definition"));
        }
        found.push(d);
    }
    for d in found {
        ctx.push(d);
    }
}
