//! LNT105: a foreign key that sets its columns to NULL when the referenced row goes (`ON DELETE
//! SET NULL`, or `SET DEFAULT` on a column without a default) although a column is NOT NULL.
//! PostgreSQL accepts the definition; the first delete (or key update) of a referenced row then
//! fails with a not-null violation, so the action the design states never happens.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::postgres::catalog::ForeignKeyAction;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for fk in ctx.catalog.declared_foreign_keys() {
        let Some(target) = &fk.references else {
            continue;
        };
        let Some(table) = ctx.tables.iter().find(|t| t.name == fk.table) else {
            continue;
        };
        for (action, event) in [(target.on_delete, "DELETE"), (target.on_update, "UPDATE")] {
            let wording = match action {
                ForeignKeyAction::SetNull => "SET NULL",
                ForeignKeyAction::SetDefault => "SET DEFAULT",
                _ => continue,
            };
            // PostgreSQL 15's `SET NULL (columns)` sets only those: not modelled, not judged.
            if fk.definition.contains(&format!("{wording} (")) {
                continue;
            }
            // SET DEFAULT writes NULL into a column without a default.
            let broken: Vec<&String> = fk
                .columns
                .iter()
                .filter(|c| {
                    table.column(c).is_some_and(|col| {
                        col.not_null && (action == ForeignKeyAction::SetNull || !col.has_default)
                    })
                })
                .collect();
            let Some(first) = broken.first() else {
                continue;
            };
            let Some(range) = ctx.locate(&fk.table, first) else {
                continue;
            };
            let columns = broken
                .iter()
                .map(|c| format!("`{}.{c}`", fk.table))
                .collect::<Vec<_>>()
                .join(", ");
            let what = if action == ForeignKeyAction::SetNull {
                "sets it to NULL"
            } else {
                "sets it to its default, which is NULL"
            };
            found.push(
                diagnostic(
                    Rule::SetNullOnNotNull,
                    format!(
                        "{columns} is NOT NULL, but foreign key `{}` {what} ON {event} {wording}: {} a referenced `{}` row fails instead",
                        fk.name,
                        if event == "DELETE" { "deleting" } else { "changing the key of" },
                        target.table
                    ),
                    range,
                )
                .help(format!(
                    "let the column be NULL (drop NOT NULL), or choose another action (`ON {event} CASCADE` to remove the rows with it, `RESTRICT` to refuse)"
                )),
            );
        }
    }
    for d in found {
        ctx.push(d);
    }
}
