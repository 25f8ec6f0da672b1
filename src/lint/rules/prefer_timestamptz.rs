//! LNT404: a `timestamp without time zone` column: values are stored without their offset, so
//! they shift meaning when the server or client time zone changes.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::sql::ObjectKind;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for table in ctx
        .tables
        .iter()
        .filter(|t| !t.is_partition && matches!(t.kind, 'r' | 'p'))
    {
        let Some(stmt) = ctx.creator(ObjectKind::Relation, &table.name) else {
            continue;
        };
        for col in &table.columns {
            let plain = if table.from_catalog {
                col.type_name.starts_with("timestamp without time zone")
            } else {
                col.type_name == "timestamp"
            };
            if !plain {
                continue;
            }
            let range = match col.at {
                Some((at, len)) => ctx.range(stmt, at, len),
                None => match ctx.find_word(stmt, &col.name) {
                    Some(at) => ctx.range(stmt, at, col.name.len()),
                    None => ctx.stmt_head(stmt),
                },
            };
            found.push(
                diagnostic(
                    Rule::PreferTimestamptz,
                    format!("`{}.{}` is `timestamp` without time zone", table.name, col.name),
                    range,
                )
                .help("use `timestamptz`: it stores an instant; `timestamp` stores a wall-clock reading whose zone is lost"),
            );
        }
    }
    for d in found {
        ctx.push(d);
    }
}
