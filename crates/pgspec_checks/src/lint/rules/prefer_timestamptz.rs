//! LNT404: a `timestamp without time zone` column: values are stored without their offset, so
//! they shift meaning when the server or client time zone changes.

use super::Context;
use crate::diagnostics::{Applicability, Edit, Fix};
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, NodeRef};
use crate::sql::ObjectKind;
use crate::text::TextRange;

/// The document range of the type of column `column` in the CREATE TABLE `stmt`, when it is
/// spelled `timestamp`, `timestamp(n)` or `timestamp [(n)] without time zone`, with the
/// `timestamptz` spelling that replaces it.
fn type_edit(ctx: &Context<'_>, stmt: usize, column: &str) -> Option<(TextRange, String)> {
    let tree = ctx.statements[stmt].ast()?;
    let col = ast::all_nodes(tree).find_map(|n| match n {
        NodeRef::ColumnDef(c) if c.colname == column => Some(c),
        _ => None,
    })?;
    let at = ast::offset(col.type_name.as_ref()?.location)?;
    let text = &ctx.statements[stmt].text;
    let rest = text.get(at..)?;
    let lower = rest.to_ascii_lowercase();
    if !lower.starts_with("timestamp") {
        return None;
    }
    let mut end = "timestamp".len();
    let mut precision = String::new();
    let after = &lower[end..];
    let trimmed = after.trim_start();
    if trimmed.starts_with('(') {
        let close = trimmed.find(')')?;
        precision = trimmed[..=close].replace(' ', "");
        end += after.len() - trimmed.len() + close + 1;
    }
    let tail = &lower[end..];
    let words: Vec<&str> = tail.split_whitespace().take(3).collect();
    if words == ["without", "time", "zone"]
        || words.first().is_some_and(|w| w.starts_with("without"))
            && words.len() == 3
            && words[2].starts_with("zone")
    {
        let zone = tail.find("zone")? + "zone".len();
        end += zone;
    } else if words.first() == Some(&"with") {
        return None;
    }
    Some((ctx.range(stmt, at, end), format!("timestamptz{precision}")))
}

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
            // Catalog and document columns are both spelled as PostgreSQL prints types
            // (`timestamp(3) without time zone`).
            let plain = col.type_name == "timestamp"
                || (col.type_name.starts_with("timestamp")
                    && col.type_name.ends_with("without time zone"));
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
            let mut d = diagnostic(
                Rule::PreferTimestamptz,
                format!("`{}.{}` is `timestamp` without time zone", table.name, col.name),
                range,
            )
            .help("use `timestamptz`: it stores an instant; `timestamp` stores a wall-clock reading whose zone is lost");
            if let Some((range, replacement)) = type_edit(ctx, stmt, &col.name) {
                // Unsafe: existing values would be reinterpreted in the session's time zone.
                d = d.fix(Fix {
                    title: format!("change `{}.{}` to `{replacement}`", table.name, col.name),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit { range, replacement }],
                });
            }
            found.push(d);
        }
    }
    for d in found {
        ctx.push(d);
    }
}
