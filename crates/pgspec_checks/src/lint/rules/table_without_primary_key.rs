//! LNT406: a table without a primary key: rows cannot be addressed reliably (updates,
//! replication, ORMs), and duplicates go unnoticed.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::postgres::catalog::ConstraintKind;
use crate::sql::ObjectKind;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for table in ctx
        .tables
        .iter()
        .filter(|t| !t.is_partition && matches!(t.kind, 'r' | 'p'))
    {
        let has_pk = if table.from_catalog {
            ctx.catalog
                .constraints
                .iter()
                .any(|c| c.kind == ConstraintKind::PrimaryKey && c.table == table.name)
        } else {
            true // tables that failed to apply are judged by `check`; no catalog to ask
        };
        if has_pk {
            continue;
        }
        let Some(stmt) = ctx.creator(ObjectKind::Relation, &table.name) else {
            continue;
        };
        found.push(
            diagnostic(
                Rule::TableWithoutPrimaryKey,
                format!("table `{}` has no primary key", table.name),
                ctx.stmt_head(stmt),
            )
            .help("add a PRIMARY KEY (e.g. `id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`, or the natural key)"),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
