//! LNT501: a pg_cron job (`cron.schedule(…, 'SELECT f()')`) calls a function that does not
//! exist: the job is scheduled without error and fails every time it runs.

use super::Context;
use crate::lint::{diagnostic, find_word, Rule};
use crate::sql::ast::{self, NodeEnum, NodeRef};
use crate::sql::Statement;

/// `(statement, byte offset of the command literal, command text)` of every cron.schedule call,
/// wherever the statement calls it.
pub(super) fn cron_commands(statements: &[Statement]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, stmt) in statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for node in ast::top_nodes(tree).flat_map(|top| ast::walk(top.to_ref())) {
            let NodeRef::FuncCall(call) = node else {
                continue;
            };
            let is_cron = matches!(
                ast::function_name(call).as_slice(),
                [schema, f] if schema == "cron" && (f == "schedule" || f == "schedule_in_database")
            );
            if !is_cron {
                continue;
            }
            // The command is the last string argument (cron.schedule(name, schedule, command)).
            let command = call.args.iter().rev().find_map(|a| {
                let arg = ast::node(a)?;
                let text = ast::string_constant(arg)?;
                let NodeEnum::AConst(c) = ast::strip_casts(arg) else {
                    return None;
                };
                Some((text.to_owned(), usize::try_from(c.location).unwrap_or(0)))
            });
            if let Some((command, at)) = command {
                out.push((i, at, command));
            }
        }
    }
    out
}

/// A function a cron job's command calls: the statement that schedules it, where the command
/// literal starts in it, and the call's name as written (`[schema,] name`).
pub(crate) struct CronCall {
    pub stmt: usize,
    pub at: usize,
    pub parts: Vec<String>,
}

/// Every function call in the commands of the document's cron jobs.
pub(crate) fn cron_called_routines(statements: &[Statement]) -> Vec<CronCall> {
    let mut out = Vec::new();
    for (stmt, at, command) in cron_commands(statements) {
        let Some(tree) = ast::parse(&command) else {
            continue;
        };
        for call in ast::top_nodes(&tree).flat_map(|top| ast::walk(top.to_ref())) {
            let NodeRef::FuncCall(call) = call else {
                continue;
            };
            let parts: Vec<String> = ast::names(&call.funcname)
                .into_iter()
                .map(str::to_owned)
                .collect();
            if !parts.is_empty() {
                out.push(CronCall { stmt, at, parts });
            }
        }
    }
    out
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for CronCall { stmt, at, parts } in cron_called_routines(ctx.statements) {
        let Some(name) = parts.last() else { continue };
        let schema = (parts.len() > 1).then(|| parts[0].clone());
        let exists = ctx
            .routine_names
            .iter()
            .any(|(s, n)| n == name && schema.as_ref().is_none_or(|schema| schema == s));
        if exists {
            continue;
        }
        let text = &ctx.statements[stmt].text;
        let range = find_word(text, name, at).map_or_else(
            || ctx.range(stmt, at, 1),
            |p| ctx.range(stmt, p, name.len()),
        );
        let full = parts.join(".");
        found.push(
            diagnostic(
                Rule::CronCallsMissingFunction,
                format!("the cron job calls `{full}()`, which does not exist"),
                range,
            )
            .label("no such function")
            .help(format!("define `{full}` in the document (or fix the name); the job is scheduled but fails on every run")),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
