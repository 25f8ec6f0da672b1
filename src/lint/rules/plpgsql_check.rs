//! LNT301: run the plpgsql_check extension (when the server has it) on every PL/pgSQL
//! function the document created, and report its findings at the line inside the body.

use super::Context;
use crate::diagnostics::Severity;
use crate::lint::{ast, diagnostic, find_word, Rule};
use crate::postgres::{ApplySession, ClusterError};
use crate::text::TextRange;

/// Where pgspec installs plpgsql_check when the document did not.
const LINT_SCHEMA: &str = "pgspec_plpgsql_check";

pub(super) fn run(ctx: &mut Context<'_>, session: &mut ApplySession) -> Result<(), ClusterError> {
    let functions: Vec<_> = ctx
        .catalog
        .functions
        .iter()
        .filter(|f| f.language == "plpgsql")
        .cloned()
        .collect();
    if functions.is_empty() {
        return Ok(());
    }
    let available = session.query_strings(
        "SELECT (SELECT count(*) FROM pg_available_extensions WHERE name = 'plpgsql_check')::text, \
                (SELECT count(*) FROM pg_extension WHERE extname = 'plpgsql_check')::text",
    )?;
    let flag = |i: usize| {
        available
            .first()
            .and_then(|r| r.get(i).cloned().flatten())
            .as_deref()
            == Some("1")
    };
    if !flag(0) {
        return Ok(());
    }
    let installed_before = flag(1);
    // pgspec's copy lives in a schema of its own that the document cannot write to, and the
    // checks run as the document's role: plpgsql_check prepares the bodies' queries, and
    // planning may evaluate the document's functions.
    if !installed_before
        && !session
            .apply_as_superuser(&format!(
                "CREATE SCHEMA IF NOT EXISTS {LINT_SCHEMA}; \
                 CREATE EXTENSION plpgsql_check SCHEMA {LINT_SCHEMA}; \
                 GRANT USAGE ON SCHEMA {LINT_SCHEMA} TO {}",
                crate::sql::quote::quote_ident(session.owner_role())
            ))?
            .is_applied()
    {
        return Ok(());
    }
    let schema = session
        .query_strings(
            "SELECT n.nspname FROM pg_catalog.pg_extension e \
             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname = 'plpgsql_check'",
        )?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten())
        .unwrap_or_else(|| LINT_SCHEMA.to_owned());
    for f in &functions {
        // A trigger function is checked against a table one of its triggers is on.
        let relid = if f.returns_trigger {
            match ctx
                .catalog
                .triggers
                .iter()
                .find(|t| t.function_oid == f.oid)
            {
                Some(t) => t.table_oid,
                None => continue,
            }
        } else {
            0
        };
        let sql = format!(
            "SELECT lineno::text, message, detail, hint, level, position::text, query, sqlstate \
             FROM {}.plpgsql_check_function_tb({}::pg_catalog.oid::pg_catalog.regprocedure, {relid}::pg_catalog.oid::pg_catalog.regclass, \
             fatal_errors => false, other_warnings => false, extra_warnings => false, performance_warnings => false)",
            crate::sql::quote::quote_ident(&schema),
            f.oid
        );
        let Ok(rows) = session.query_as_document(&sql) else {
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
            let get = |i: usize| row.get(i).cloned().flatten();
            let message = get(1).unwrap_or_default();
            // A table the document creates but that failed to apply is `check`'s finding
            // (with its root cause), not the function's.
            if get(7).as_deref() == Some("42P01") {
                let missing = message.split('"').nth(1).unwrap_or_default();
                if ctx
                    .creator(crate::sql::ObjectKind::Relation, missing)
                    .is_some()
                {
                    continue;
                }
            }
            let level = get(4).unwrap_or_default();
            let range = body_range(
                ctx,
                &body,
                get(0).and_then(|l| l.parse().ok()),
                get(6),
                get(5).and_then(|p| p.parse().ok()),
            );
            let mut d = diagnostic(
                Rule::PlpgsqlCheck,
                format!("in `{}`: {message}", f.name),
                range,
            )
            .label("plpgsql_check")
            .help(
                "fix the body: the function is created without error but this fails when it runs",
            );
            if level.contains("warning") {
                d = d.severity(Severity::Warning);
            }
            if let Some(s) = get(7).filter(|s| !s.is_empty()) {
                d = d.note(format!("SQLSTATE {s}"));
            }
            if let Some(detail) = get(2) {
                d = d.note(format!("plpgsql_check detail: {detail}"));
            }
            if let Some(hint) = get(3) {
                d = d.note(format!("plpgsql_check hint: {hint}"));
            }
            ctx.push(d);
        }
    }
    if !installed_before {
        // Leave the database as `check` made it.
        session.apply_as_superuser(&format!(
            "DROP EXTENSION IF EXISTS plpgsql_check; DROP SCHEMA IF EXISTS {LINT_SCHEMA}"
        ))?;
    }
    Ok(())
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
            let at = qat + ast::char_to_byte(&q, pos.saturating_sub(1));
            let len = word_len(&body.text[at..]).max(1);
            return ctx.range(body.stmt, body.offset + at, len);
        }
        // plpgsql_check reports `SELECT … INTO x` without its INTO clause, so the query is not
        // verbatim in the body: find the word at the position instead.
        let qpos = ast::char_to_byte(&q, pos.saturating_sub(1));
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
