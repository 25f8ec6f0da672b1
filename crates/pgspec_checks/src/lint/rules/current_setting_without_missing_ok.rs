//! LNT204: a policy (or a function it calls) reads `current_setting('x')` without
//! `missing_ok`: when the application did not set `x`, every query on the table raises
//! "unrecognized configuration parameter" instead of matching no rows.

use std::collections::HashSet;

use super::Context;
use crate::diagnostics::{Applicability, Edit, Fix};
use crate::lint::{ast, diagnostic, Rule};

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
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (kind, body, _) in ast::statements(tree) {
            if kind != "CreatePolicyStmt" && kind != "AlterPolicyStmt" {
                continue;
            }
            for call in ast::find_all(body, "FuncCall") {
                let Some(name) = ast::func_name(call) else {
                    continue;
                };
                if name != "current_setting" {
                    helpers.insert(name);
                    continue;
                }
                if call["args"].as_array().map_or(0, Vec::len) != 1 {
                    continue;
                }
                let at = ast::location(call).unwrap_or(0);
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
        for call in ast::find_all(&q.tree, "FuncCall") {
            if ast::func_name(call).as_deref() == Some("current_setting")
                && call["args"].as_array().map_or(0, Vec::len) == 1
            {
                let at = q.offset + ast::location(call).unwrap_or(0);
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
