//! LNT501: a pg_cron job (`cron.schedule(…, 'SELECT f()')`) calls a function that does not
//! exist: the job is scheduled without error and fails every time it runs.

use super::Context;
use crate::lint::{diagnostic, find_word, Rule};
use crate::sql::ast::{self, NodeEnum, NodeRef};

/// `(statement, byte offset of the command literal, command text)` of every cron.schedule call,
/// wherever the statement calls it.
pub(super) fn cron_commands(ctx: &Context<'_>) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, stmt) in ctx.statements.iter().enumerate() {
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

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for (stmt, at, command) in cron_commands(ctx) {
        let Some(tree) = ast::parse(&command) else {
            continue;
        };
        let calls = ast::top_nodes(&tree).flat_map(|top| ast::walk(top.to_ref()));
        for call in calls {
            let NodeRef::FuncCall(call) = call else {
                continue;
            };
            let parts: Vec<String> = ast::names(&call.funcname)
                .into_iter()
                .map(str::to_owned)
                .collect();
            let Some(name) = parts.last() else { continue };
            let schema = (parts.len() > 1).then(|| parts[0].clone());
            let exists = ctx
                .catalog
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
    }
    for d in found {
        ctx.push(d);
    }
}
