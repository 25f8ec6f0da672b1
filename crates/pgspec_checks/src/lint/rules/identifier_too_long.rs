//! LNT405: an identifier longer than 63 bytes (NAMEDATALEN - 1). PostgreSQL truncates it with
//! only a NOTICE, so two long names can collide and later references by the full name miss.
//! Hangul takes 3 bytes a syllable: 22 syllables are already too long.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, NodeRef};

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for (i, stmt) in ctx.statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        let mut names: Vec<String> = Vec::new();
        for top in ast::top_nodes(tree) {
            collect(top.to_ref(), &mut names);
        }
        for stmt in &ctx.statements[i].facts.creates {
            names.push(stmt.name.clone());
        }
        names.sort();
        names.dedup();
        // PostgreSQL's scanner (and so the kept tree) already truncated the names: a
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

/// The names a statement gives objects (relations, columns, constraints, indexes, policies,
/// triggers, schemas), anywhere in its tree.
fn collect(root: NodeRef<'_>, out: &mut Vec<String>) {
    for node in ast::walk(root) {
        let names: &[&String] = match node {
            NodeRef::RangeVar(n) => &[&n.relname, &n.schemaname],
            NodeRef::RangeTableFuncCol(n) => &[&n.colname],
            NodeRef::ColumnDef(n) => &[&n.colname],
            NodeRef::WithCheckOption(n) => &[&n.relname],
            NodeRef::InferClause(n) => &[&n.conname],
            NodeRef::CreateSchemaStmt(n) => &[&n.schemaname],
            NodeRef::AtalterConstraint(n) => &[&n.conname],
            NodeRef::Constraint(n) => &[&n.conname],
            NodeRef::CreatePolicyStmt(n) => &[&n.policy_name],
            NodeRef::AlterPolicyStmt(n) => &[&n.policy_name],
            NodeRef::CreateTrigStmt(n) => &[&n.trigname],
            NodeRef::CreateEventTrigStmt(n) => &[&n.trigname],
            NodeRef::AlterEventTrigStmt(n) => &[&n.trigname],
            NodeRef::IndexStmt(n) => &[&n.idxname],
            _ => &[],
        };
        out.extend(names.iter().filter(|n| !n.is_empty()).map(|n| (*n).clone()));
    }
}
