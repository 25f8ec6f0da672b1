//! LNT204: a policy (or a function it calls) reads `current_setting('x')` without
//! `missing_ok`: when the application did not set `x`, every query on the table raises
//! "unrecognized configuration parameter" instead of matching no rows.

use std::collections::HashSet;

use super::Context;
use crate::diagnostics::{Applicability, Edit, Fix};
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, NodeEnum, NodeRef};

/// Byte offset of the `)` closing the call that starts at `at` in `text`.
fn closing_paren(text: &str, at: usize) -> Option<usize> {
    let open = at + text.get(at..)?.find('(')?;
    let mut depth = 0usize;
    let mut quote = false;
    for (i, c) in text[open..].char_indices() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    let mut helpers: HashSet<String> = HashSet::new();
    for (i, stmt) in ctx.statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for top in ast::top_nodes(tree) {
            if !matches!(
                top,
                NodeEnum::CreatePolicyStmt(_) | NodeEnum::AlterPolicyStmt(_)
            ) {
                continue;
            }
            for node in ast::walk(top.to_ref()) {
                let NodeRef::FuncCall(call) = node else {
                    continue;
                };
                let Some(name) = ast::last_name(&call.funcname).map(str::to_lowercase) else {
                    continue;
                };
                if name != "current_setting" {
                    helpers.insert(name);
                    continue;
                }
                if call.args.len() != 1 {
                    continue;
                }
                let at = ast::offset(call.location).unwrap_or(0);
                found.push((i, at, name.len(), None::<String>));
            }
        }
    }
    // Helper functions the policies call (auth_user_id() and the like).
    for q in &ctx.queries {
        let Some(function) = &q.function else {
            continue;
        };
        if !helpers.contains(function) {
            continue;
        }
        for node in ast::all_nodes(&q.ast) {
            let NodeRef::FuncCall(call) = node else {
                continue;
            };
            if ast::last_name(&call.funcname)
                .is_some_and(|n| n.eq_ignore_ascii_case("current_setting"))
                && call.args.len() == 1
            {
                let at = q.offset + ast::offset(call.location).unwrap_or(0);
                found.push((q.stmt, at, "current_setting".len(), Some(function.clone())));
            }
        }
    }
    for (stmt, at, len, via) in found {
        let mut d = diagnostic(
            Rule::CurrentSettingWithoutMissingOk,
            "`current_setting()` without `missing_ok` raises an error when the setting is absent",
            ctx.range(stmt, at, len),
        )
        .label("raises if the setting is not set")
        .help("write `current_setting('…', true)` (NULL when unset, so the policy matches no rows) and cast with NULLIF(…, '') where needed");
        if let Some(close) = closing_paren(&ctx.statements[stmt].text, at) {
            // Unsafe: an unset setting now gives NULL (no rows) instead of an error.
            d = d.fix(Fix {
                title: "pass `missing_ok => true` to `current_setting`".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    range: ctx.range(stmt, close, 0),
                    replacement: ", true".to_owned(),
                }],
            });
        }
        if let Some(f) = via {
            d = d.note(format!("`{f}()` is called by a row level security policy"));
        }
        ctx.push(d);
    }
}
