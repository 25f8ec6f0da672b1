//! LNT403: a foreign key whose columns no index starts with: deleting or updating a referenced
//! row scans the whole referencing table, and joins on the key cannot use an index.

use super::Context;
use crate::diagnostics::{Applicability, Edit, Fix};
use crate::lint::{diagnostic, Rule};
use crate::text::TextRange;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for fk in ctx.catalog.declared_foreign_keys() {
        // By attribute number: the index's keys are printed quoted where a name needs it
        // (`"회원_아이디"`), the key's columns are not; an expression key (0) matches nothing.
        let covered = ctx.catalog.indexes.iter().any(|i| {
            i.table_oid == fk.table_oid && i.attnums.len() >= fk.attnums.len() && {
                let mut head: Vec<i16> = i.attnums[..fk.attnums.len()].to_vec();
                let mut cols: Vec<i16> = fk.attnums.clone();
                head.sort_unstable();
                cols.sort_unstable();
                head == cols
            }
        });
        if covered || fk.attnums.is_empty() {
            continue;
        }
        let table = fk.table.clone();
        let Some(range) = ctx.locate(&table, &fk.name).filter(|_| true).and_then(|r| {
            // Constraint names are usually generated; point at the column instead.
            let named = ctx
                .statements
                .iter()
                .any(|s| crate::lint::find_word(&s.text, &fk.name, 0).is_some());
            if named {
                Some(r)
            } else {
                ctx.locate(&table, &fk.columns[0])
            }
        }) else {
            continue;
        };
        let cols = fk.columns.join(", ");
        let mut d = diagnostic(
            Rule::ForeignKeyWithoutIndex,
            format!(
                "foreign key `{}` on `{table} ({cols})` has no index",
                fk.name
            ),
            range,
        )
        .help(format!("add `CREATE INDEX ON {table} ({cols});`"));
        // The index goes right after the statement that declares the key, in the same block.
        if let Some(stmt) = ctx.statements.iter().find(|s| {
            s.range.start <= range.start
                && range.start < s.range.end
                && s.text.trim_end().ends_with(';')
        }) {
            // A statement that names its table with `public.` (as `pg_dump`, whose
            // `search_path` is empty, does) gets an index named the same way.
            let in_public = format!("public.{}", fk.table);
            let qualified = if fk.schema == "public"
                && crate::lint::find_word(&stmt.text, &in_public, 0).is_some()
            {
                in_public
            } else {
                fk.display_table()
            };
            d = d.fix(Fix {
                title: format!("add an index on `{table} ({cols})`"),
                // Unsafe only in cost: building the index locks writes on a large table.
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    range: TextRange::empty(stmt.range.end),
                    replacement: format!("\nCREATE INDEX ON {qualified} ({cols});"),
                }],
            });
        }
        found.push(d);
    }
    for d in found {
        ctx.push(d);
    }
}
