//! LNT301: the plpgsql_check extension's findings (when the server has it) on every PL/pgSQL
//! function the document created, reported at the line inside the body. The extension runs in
//! the postgres module ([`crate::postgres::plpgsql_check`]) before the rules; this rule only
//! reads its findings.

use super::Context;
use crate::diagnostics::Severity;
use crate::lint::{diagnostic, find_word, Rule};
use crate::postgres::catalog::Catalog;
use crate::postgres::plpgsql_check::Target;
use crate::text::TextRange;

/// The functions plpgsql_check should see: every PL/pgSQL function of the catalog with the
/// relation to check it against (a trigger function: a table one of its triggers is on; 0 for
/// other functions; a trigger function without a trigger is not checked).
pub(crate) fn targets(catalog: &Catalog) -> Vec<Target> {
    catalog
        .functions
        .iter()
        .filter(|f| f.language == "plpgsql")
        .filter_map(|f| {
            if f.returns_trigger {
                catalog
                    .triggers
                    .iter()
                    .find(|t| t.function_oid == f.oid)
                    .map(|t| {
                        // `REFERENCING NEW TABLE AS nove`: the body reads `nove` like a table.
                        let (old_table, new_table) =
                            crate::sql::ast::trigger_transition_tables(&t.definition);
                        Target {
                            function: f.oid,
                            relid: t.table_oid,
                            old_table,
                            new_table,
                        }
                    })
            } else {
                Some(Target {
                    function: f.oid,
                    ..Target::default()
                })
            }
        })
        .collect()
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let Some(checked) = ctx.plpgsql_check.take() else {
        return;
    };
    let catalog = ctx.catalog;
    for (oid, rows) in checked {
        let Some(f) = catalog.functions.iter().find(|f| f.oid == oid) else {
            continue;
        };
        let Some(body) = ctx
            .bodies
            .iter()
            .rev()
            .find(|b| b.name == f.name && b.text == f.body)
            .or_else(|| ctx.bodies.iter().rev().find(|b| b.name == f.name))
            .cloned()
        else {
            continue;
        };
        for row in rows {
            let message = &row.message;
            // A table the document creates but that failed to apply is `check`'s finding
            // (with its root cause), not the function's.
            if row.sqlstate.as_deref() == Some("42P01") {
                let missing = message.split('"').nth(1).unwrap_or_default();
                if ctx
                    .creator(crate::sql::ObjectKind::Relation, missing)
                    .is_some()
                {
                    continue;
                }
            }
            let range = body_range(ctx, &body, row.lineno, row.query.clone(), row.position);
            let mut d = diagnostic(
                Rule::PlpgsqlCheck,
                format!("in `{}`: {message}", f.name),
                range,
            )
            .label("plpgsql_check")
            .help(
                "fix the body: the function is created without error but this fails when it runs",
            );
            if row.level.contains("warning") {
                d = d.severity(Severity::Warning);
            }
            if let Some(s) = row.sqlstate.as_ref().filter(|s| !s.is_empty()) {
                d = d.note(format!("SQLSTATE {s}"));
            }
            if let Some(detail) = &row.detail {
                d = d.note(format!("plpgsql_check detail: {detail}"));
            }
            if let Some(hint) = &row.hint {
                d = d.note(format!("plpgsql_check hint: {hint}"));
            }
            ctx.push(d);
        }
    }
}

/// The document range of line `lineno` of a function body (1-based; line 1 starts right after
/// the opening quote), narrowed to `position` in `query` when plpgsql_check gives them.
fn body_range(
    ctx: &Context<'_>,
    body: &crate::lint::Body,
    lineno: Option<usize>,
    query: Option<String>,
    position: Option<usize>,
) -> TextRange {
    let Some(line) = lineno.filter(|l| *l >= 1) else {
        return ctx.stmt_head(body.stmt);
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(body.text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let Some(&start) = starts.get(line - 1) else {
        return ctx.stmt_head(body.stmt);
    };
    if let (Some(q), Some(pos)) = (query, position) {
        let word_len = |s: &str| {
            s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(s.len())
        };
        if let Some(qat) = body
            .text
            .get(start..)
            .and_then(|t| t.find(&q))
            .map(|p| p + start)
        {
            let at = qat + char_to_byte(&q, pos);
            let len = word_len(&body.text[at..]).max(1);
            return ctx.range(body.stmt, body.offset + at, len);
        }
        // plpgsql_check reports `SELECT … INTO x` without its INTO clause, so the query is not
        // verbatim in the body: find the word at the position instead.
        let qpos = char_to_byte(&q, pos);
        let word = &q[qpos..qpos + word_len(&q[qpos..])];
        if let Some(at) = find_word(&body.text, word, start) {
            // The same word earlier in the query (`key_name = key_name`): skip as many.
            let mut at = at;
            let before = q[..qpos].matches(word).count();
            for _ in 0..before {
                match find_word(&body.text, word, at + word.len()) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            if !word.is_empty() {
                return ctx.range(body.stmt, body.offset + at, word.len());
            }
        }
    }
    let text = &body.text[start..];
    let line_text = text.split('\n').next().unwrap_or("");
    let indent = line_text.len() - line_text.trim_start().len();
    ctx.range(
        body.stmt,
        body.offset + start + indent,
        line_text.trim().len(),
    )
}

/// The byte offset of 1-based character `position` in `text` (plpgsql_check counts characters).
fn char_to_byte(text: &str, position: usize) -> usize {
    let position = u32::try_from(position).unwrap_or(u32::MAX);
    crate::postgres::char_position_to_byte(text, position) as usize
}
