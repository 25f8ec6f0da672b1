//! LNT501: a pg_cron job (`cron.schedule(…, 'SELECT f()')`) calls a function that does not
//! exist: the job is scheduled without error and fails every time it runs.

use super::Context;
use crate::lint::{ast, diagnostic, find_word, Rule};

/// `(statement, byte offset of the command literal, command text)` of every cron.schedule call.
pub(super) fn cron_commands(ctx: &Context<'_>) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for call in ast::find_all(tree, "FuncCall") {
            let parts = ast::names(&call["funcname"]);
            let is_cron = parts.last().is_some_and(|n| {
                n.eq_ignore_ascii_case("schedule") || n.eq_ignore_ascii_case("schedule_in_database")
            }) && parts.len() == 2
                && parts[0].eq_ignore_ascii_case("cron");
            if !is_cron {
                continue;
            }
            // The command is the last string argument (cron.schedule(name, schedule, command)).
            if let Some((command, at)) = call["args"]
                .as_array()
                .and_then(|a| a.iter().rev().find_map(ast::string_constant))
            {
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
        for call in ast::find_all(&tree, "FuncCall") {
            let parts = ast::names(&call["funcname"]);
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
