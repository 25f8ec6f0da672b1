//! LNT402: a plain btree index whose keys are a prefix of another btree index's keys; the
//! longer index serves the same lookups.

use super::Context;
use crate::lint::{diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let indexes: Vec<_> = ctx
        .catalog
        .indexes
        .iter()
        .filter(|i| !i.on_partition && i.method == "btree" && i.predicate.is_none())
        .collect();
    let mut found = Vec::new();
    for a in &indexes {
        if a.unique || a.constraint.is_some() {
            continue;
        }
        let Some(longer) = indexes.iter().find(|b| {
            b.table_oid == a.table_oid
                && b.keys.len() > a.keys.len()
                && b.keys[..a.keys.len()] == a.keys[..]
        }) else {
            continue;
        };
        let table = a.table.clone();
        let Some(range) = ctx.locate(&table, &a.name) else {
            continue;
        };
        let by = longer.constraint.as_ref().unwrap_or(&longer.name);
        found.push(
            diagnostic(
                Rule::RedundantIndex,
                format!(
                    "index `{}` on `{table} ({})` is a prefix of `{by}` ({})",
                    a.name,
                    a.keys.join(", "),
                    longer.keys.join(", ")
                ),
                range,
            )
            .help(format!(
                "drop `{}` unless it is much smaller and hot; `{by}` serves the same lookups",
                a.name
            )),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
