//! LNT302: a trigger function reads `NEW` when it fires for DELETE (NEW is NULL there) or `OLD`
//! when it fires for INSERT, without testing `TG_OP` first. A function that records `TG_OP`
//! (an audit trigger meant for all three events) counts as firing for all of them.

use super::Context;
use crate::lint::{diagnostic, find_word, Rule};

/// Whether the body branches on TG_OP (a comparison or CASE), rather than only recording it.
fn branches_on_tg_op(src: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find_word(&lower, "tg_op", from) {
        let after = lower[at + 5..].trim_start();
        let before = lower[..at].trim_end();
        if after.starts_with('=')
            || after.starts_with("<>")
            || after.starts_with("!=")
            || after.starts_with("in ")
            || after.starts_with("in(")
            || before.ends_with("case")
            || before.ends_with('=')
        {
            return true;
        }
        from = at + 5;
    }
    false
}

/// The first `row.` field access (`NEW.x`) in `src`, skipping `--` comments and accesses that
/// `COALESCE` pairs with the other row (`COALESCE(NEW.tenant_id, OLD.tenant_id)`), which is
/// what the rule advises.
fn first_field_access(src: &str, row: &str, other: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = find_word(src, row, from) {
        let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        let in_comment = src[line_start..at].contains("--");
        if !in_comment && src[at + row.len()..].starts_with('.') && !coalesced_with(src, at, other)
        {
            return Some(at);
        }
        from = at + row.len();
    }
    None
}

/// Whether position `at` of `src` is an argument of a `COALESCE(…)` whose arguments also
/// name the row `other`.
fn coalesced_with(src: &str, at: usize, other: &str) -> bool {
    let lower = src.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // The innermost parenthesis open at `at`.
    let mut depth = 0usize;
    let Some(open) = (0..at).rev().find(|&i| match bytes[i] {
        b')' => {
            depth += 1;
            false
        }
        b'(' if depth > 0 => {
            depth -= 1;
            false
        }
        b'(' => true,
        _ => false,
    }) else {
        return false;
    };
    if !lower[..open].trim_end().ends_with("coalesce") {
        return false;
    }
    let close = crate::check::matching_paren(&lower, open).unwrap_or(lower.len());
    find_word(&lower[open..close], other, 0).is_some()
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for body in ctx
        .bodies
        .iter()
        .filter(|b| b.language == "plpgsql" && !b.name.is_empty())
    {
        let mut triggers: Vec<super::DocTrigger> = super::triggers_calling(ctx, &body.name)
            .map(|t| super::DocTrigger {
                name: t.name.clone(),
                table: t.table.clone(),
                events: t.events,
            })
            .collect();
        if triggers.is_empty() {
            // Not in the catalog (the trigger failed): the document's CREATE TRIGGER still
            // states its events.
            triggers = super::document_triggers_calling(ctx, &body.name);
        }
        let records_tg_op = find_word(&body.text, "tg_op", 0).is_some();
        let on_delete =
            triggers.iter().any(|t| t.events.delete) || (triggers.is_empty() && records_tg_op);
        let on_insert =
            triggers.iter().any(|t| t.events.insert) || (triggers.is_empty() && records_tg_op);
        if branches_on_tg_op(&body.text) {
            continue;
        }
        for (fires, row, event, other) in [
            (on_delete, "new", "DELETE", "OLD"),
            (on_insert, "old", "INSERT", "NEW"),
        ] {
            if !fires {
                continue;
            }
            let Some(at) = first_field_access(&body.text, row, &other.to_ascii_lowercase()) else {
                continue;
            };
            let why = if triggers.is_empty() {
                "records TG_OP, so it is meant for DELETE too".to_owned()
            } else {
                let names: Vec<String> = triggers
                    .iter()
                    .map(|t| format!("`{}` on `{}`", t.name, t.table))
                    .collect();
                format!("fires for {event} ({})", names.join(", "))
            };
            let upper = row.to_ascii_uppercase();
            found.push(
                diagnostic(
                    Rule::TriggerReadsMissingRow,
                    format!("trigger function `{}` reads `{upper}` but {why}; `{upper}` is NULL for {event}", body.name),
                    ctx.range(body.stmt, body.offset + at, row.len()),
                )
                .label(format!("NULL for {event}"))
                .help(format!("branch on TG_OP (`IF TG_OP = '{event}' THEN … {other} … ELSE … {upper} … END IF`) or use COALESCE({upper}, {other})")),
            );
        }
    }
    for d in found {
        ctx.push(d);
    }
}
