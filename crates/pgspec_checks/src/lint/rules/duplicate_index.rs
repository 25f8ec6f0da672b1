//! LNT401: two indexes with the same keys, predicate and method on the same table (often a
//! UNIQUE constraint plus a plain index on the same column).

use super::Context;
use crate::diagnostics::Label;
use crate::lint::{diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    let indexes: Vec<_> = ctx
        .catalog
        .indexes
        .iter()
        .filter(|i| !i.on_partition)
        .collect();
    let mut found = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for (n, a) in indexes.iter().enumerate() {
        for b in &indexes[..n] {
            if a.table_oid != b.table_oid
                || a.keys != b.keys
                || a.predicate != b.predicate
                || a.method != b.method
            {
                continue;
            }
            // Report the plain index (the constraint's index is the one to keep).
            let (dup, kept) = if a.constraint.is_none() || b.constraint.is_some() {
                (*a, *b)
            } else {
                (*b, *a)
            };
            let what = |i: &crate::postgres::catalog::Index| match &i.constraint {
                None => format!("index `{}`", i.name),
                Some(c) => format!("the index of constraint `{c}`"),
            };
            if reported.contains(&dup.name.as_str()) {
                continue;
            }
            reported.push(&dup.name);
            let table = dup.table.clone();
            let dup_name = dup.constraint.as_ref().unwrap_or(&dup.name);
            let Some(range) = ctx.locate(&table, dup_name) else {
                continue;
            };
            let mut d = diagnostic(
                Rule::DuplicateIndex,
                format!(
                    "{} duplicates {} on `{table} ({})`",
                    what(dup),
                    what(kept),
                    dup.keys.join(", ")
                ),
                range,
            )
            .help(format!(
                "drop `{dup_name}`; every write maintains both indexes for nothing"
            ));
            let kept_name = kept.constraint.as_ref().unwrap_or(&kept.name);
            if let Some(r) = ctx.locate(&table, kept_name).filter(|r| *r != range) {
                d = d.secondary(Label::with_message(r, "same keys"));
            }
            found.push(d);
        }
    }
    for d in found {
        ctx.push(d);
    }
}
