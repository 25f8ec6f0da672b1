//! LNT405: an identifier longer than 63 bytes (NAMEDATALEN - 1). PostgreSQL truncates it with
//! only a NOTICE, so two long names can collide and later references by the full name miss.
//! Hangul takes 3 bytes a syllable: 22 syllables are already too long.

use super::Context;
use crate::lint::{ast, diagnostic, Rule};

const NAME_FIELDS: &[&str] = &[
    "relname",
    "colname",
    "conname",
    "idxname",
    "policy_name",
    "trigname",
    "schemaname",
];

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        let mut names: Vec<String> = Vec::new();
        collect(tree, &mut names);
        for stmt in &ctx.statements[i].facts.creates {
            names.push(stmt.name.clone());
        }
        names.sort();
        names.dedup();
        // PostgreSQL's scanner (and so pg_query) already truncated the names in the tree: a
        // name of 60+ bytes may be the head of a longer identifier in the text.
        let text = &ctx.statements[i].text;
        let mut long: Vec<(usize, String)> = Vec::new();
        for name in names.iter().filter(|n| n.len() >= 60) {
            let mut from = 0;
            while let Some(p) = text.get(from..).and_then(|t| t.find(name.as_str())) {
                let at = from + p;
                let run: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                    .collect();
                if run.len() > 63 && !long.iter().any(|(_, n)| *n == run) {
                    long.push((at, run));
                }
                from = at + name.len();
            }
        }
        for (at, name) in long {
            let range = ctx.range(i, at, name.len());
            let cut: String = {
                let mut end = 63;
                while !name.is_char_boundary(end) {
                    end -= 1;
                }
                name[..end].to_owned()
            };
            found.push(
                diagnostic(
                    Rule::IdentifierTooLong,
                    format!(
                        "identifier is {} bytes; PostgreSQL truncates it to 63 (`{cut}`)",
                        name.len()
                    ),
                    range,
                )
                .help(
                    "shorten the name to 63 bytes or fewer (non-ASCII letters take 2–3 bytes each)",
                ),
            );
        }
    }
    for d in found {
        ctx.push(d);
    }
}

fn collect(value: &serde_json::Value, out: &mut Vec<String>) {
    ast::walk(value, &mut |_, body| {
        if let Some(obj) = body.as_object() {
            for field in NAME_FIELDS {
                if let Some(s) = obj.get(*field).and_then(|v| v.as_str()) {
                    out.push(s.to_owned());
                }
            }
        }
    });
}
