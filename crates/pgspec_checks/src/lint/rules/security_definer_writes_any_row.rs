//! LNT305: a SECURITY DEFINER function that every role may call (the document never revokes
//! EXECUTE from PUBLIC) and that UPDATEs or DELETEs rows of a table with row level security
//! without tying the rows to the caller (`auth.uid()`, `current_user`, `current_setting(…)`)
//! in its WHERE. It runs with its owner's rights, which row level security does not restrict
//! for the table's owner: any caller (on Supabase, `anon` through the API) changes other
//! users' rows by passing their id. Decided on the body's parse trees and the catalog.

use super::Context;
use crate::lint::{diagnostic, find_word, Rule};
use crate::sql::ast::{self, pb, NodeEnum, NodeRef};

/// Whether the document revokes EXECUTE on `function` from PUBLIC (`REVOKE ALL|EXECUTE ON
/// FUNCTION f… FROM PUBLIC`, or on all functions of a schema).
fn revoked_from_public(ctx: &Context<'_>, function: &str) -> bool {
    ctx.statements.iter().filter_map(|s| s.ast()).any(|tree| {
        ast::top_nodes(tree).any(|top| {
            let NodeEnum::GrantStmt(g) = top else {
                return false;
            };
            let from_public = g.grantees.iter().any(|r| {
                matches!(ast::node(r), Some(NodeEnum::RoleSpec(spec))
                    if spec.roletype == pb::RoleSpecType::RolespecPublic as i32)
            });
            let on_it = g.objtype == pb::ObjectType::ObjectFunction as i32
                && (g.targtype == pb::GrantTargetType::AclTargetAllInSchema as i32
                    || g.objects.iter().any(|o| {
                        matches!(ast::node(o), Some(NodeEnum::ObjectWithArgs(f))
                            if ast::last_name(&f.objname).is_some_and(|n| n.eq_ignore_ascii_case(function)))
                    }));
            !g.is_grant && from_public && on_it
        })
    })
}

/// Whether `clause` ties the rows to the caller: it calls `auth.uid()`/`auth.jwt()`/
/// `current_setting(…)` or reads `current_user`/`session_user`.
fn names_the_caller(clause: &pb::Node) -> bool {
    let Some(node) = clause.node.as_ref() else {
        return false;
    };
    ast::walk(node.to_ref()).into_iter().any(|n| match n {
        NodeRef::FuncCall(call) => {
            let name = ast::function_name(call);
            matches!(
                name.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["auth", "uid" | "jwt" | "email" | "role"]
                    | ["current_setting" | "current_user" | "session_user"]
                    | ["pg_catalog", "current_setting"]
            )
        }
        NodeRef::SqlvalueFunction(f) => (pb::SqlValueFunctionOp::SvfopCurrentRole as i32
            ..=pb::SqlValueFunctionOp::SvfopSessionUser as i32)
            .contains(&f.op),
        _ => false,
    })
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for body in ctx.bodies.iter().filter(|b| !b.name.is_empty()) {
        let definer = ctx
            .catalog
            .functions
            .iter()
            .any(|f| f.name == body.name && f.security_definer && !f.returns_trigger);
        if !definer || revoked_from_public(ctx, &body.name) {
            continue;
        }
        let trees = match body.language.as_str() {
            "plpgsql" => ast::plpgsql_expressions(&body.text),
            "sql" => ast::parse(&body.text).into_iter().collect(),
            _ => continue,
        };
        for tree in &trees {
            for top in ast::top_nodes(tree) {
                let (verb, relation, clause) = match top {
                    NodeEnum::UpdateStmt(u) => {
                        ("UPDATE", u.relation.as_ref(), u.where_clause.as_deref())
                    }
                    NodeEnum::DeleteStmt(d) => {
                        ("DELETE", d.relation.as_ref(), d.where_clause.as_deref())
                    }
                    _ => continue,
                };
                let Some(relation) = relation else { continue };
                let Some(table) = ctx.catalog.find_table(&relation.relname) else {
                    continue;
                };
                if !table.rls_enabled || clause.is_some_and(names_the_caller) {
                    continue;
                }
                let at = find_word(&body.text, &verb.to_lowercase(), 0).unwrap_or(0);
                let which = if clause.is_some() {
                    "rows its arguments choose"
                } else {
                    "every row"
                };
                found.push(
                    diagnostic(
                        Rule::SecurityDefinerWritesAnyRow,
                        format!(
                            "SECURITY DEFINER function `{}` may be called by every role and {verb}s {which} of `{}`, which has row level security: it runs with its owner's rights, so any caller changes other users' rows",
                            body.name,
                            table.name
                        ),
                        ctx.range(body.stmt, body.offset + at, verb.len()),
                    )
                    .label("not tied to the caller")
                    .help(format!(
                        "tie the rows to the caller in the WHERE (`… AND user_id = auth.uid()`), make the function SECURITY INVOKER so the policies apply, or `REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC` and grant it to the roles that may call it",
                        body.name
                    )),
                );
                break;
            }
        }
    }
    for d in found {
        ctx.push(d);
    }
}
