//! LNT304: a BEFORE … FOR EACH ROW trigger on INSERT or UPDATE whose function returns NULL on
//! the path every row takes (its body ends with `RETURN NULL`, or never returns anything but
//! NULL). PostgreSQL then skips the row without an error: the INSERT reports `INSERT 0 0` and
//! the data is gone. `RETURN NULL` is right in AFTER triggers, where it is usually copied from.
//! A `RETURN NULL` inside an IF (a trigger that filters rows on purpose) is not reported.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::postgres::catalog::TriggerTiming;

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for body in ctx
        .bodies
        .iter()
        .filter(|b| b.language == "plpgsql" && !b.name.is_empty())
    {
        let triggers: Vec<_> = super::triggers_calling(ctx, &body.name)
            .filter(|t| {
                t.timing == TriggerTiming::Before
                    && t.for_each_row
                    && (t.events.insert || t.events.update)
            })
            .collect();
        if triggers.is_empty() {
            continue;
        }
        let Some(returns) = crate::sql::ast::plpgsql_returns(&body.text) else {
            continue;
        };
        let is_null = |expr: &str| expr.eq_ignore_ascii_case("null");
        let only_null = !returns.all.is_empty() && returns.all.iter().all(|(_, e)| is_null(e));
        let (line, why) = match &returns.ends_with {
            Some((line, expr)) if is_null(expr) => (*line, "its body ends with `RETURN NULL`"),
            _ if only_null => (returns.all[0].0, "it never returns anything but NULL"),
            _ => continue,
        };
        // The RETURN on its line of the body.
        let line_start = body
            .text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum::<usize>();
        let at = crate::lint::find_word(&body.text, "return", line_start).unwrap_or(0);
        let names: Vec<String> = triggers
            .iter()
            .map(|t| format!("`{}` on `{}`", t.name, t.display_table()))
            .collect();
        found.push(
            diagnostic(
                Rule::BeforeTriggerReturnsNull,
                format!(
                    "trigger function `{}` runs BEFORE each row ({}) and {why}: PostgreSQL silently skips every such row (no error, nothing written)",
                    body.name,
                    names.join(", ")
                ),
                ctx.range(body.stmt, body.offset + at, "return".len()),
            )
            .label("the row is dropped here")
            .help("return the row (`RETURN NEW;`, `RETURN OLD;` for DELETE), or make the trigger AFTER if it only records something"),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
