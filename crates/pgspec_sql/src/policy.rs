//! What a row-level-security policy compares with the acting user, read from its expression's
//! tree (as `pg_policies` prints it): `owner_id = auth.uid()`,
//! `(email)::text = current_setting('app.email'::text, true)`,
//! `tenant_id = (SELECT current_setting('app.tenant')::uuid)`.

use crate::ast::{self, NodeEnum};
use crate::visit::{walk, walk_except, NodeRef};

/// The user key of one policy expression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserKey {
    /// The column set equal to the user's identity, casts looked through.
    pub column: Option<String>,
    /// Every setting the expression reads with `current_setting('name', …)`, in order.
    pub settings: Vec<String>,
    /// Whether the expression looks at the acting user at all (a setting, `auth.uid()`,
    /// `auth.jwt()`), whether or not a column is compared with it.
    pub reads_user: bool,
}

/// Whether a call is one of the ways a policy names the acting user.
fn names_the_user(parts: &[&str]) -> bool {
    matches!(
        parts,
        [.., "current_setting"] | ["auth", "uid"] | ["auth", "jwt"] | ["auth", "email"]
    )
}

fn reads_the_user(node: NodeRef<'_>) -> bool {
    walk(node).into_iter().any(|n| match n {
        NodeRef::FuncCall(call) => names_the_user(&ast::names(&call.funcname)),
        _ => false,
    })
}

/// The column a side of `=` is, casts and parentheses looked through.
fn column_of(node: &NodeEnum) -> Option<String> {
    match ast::strip_casts(node) {
        NodeEnum::ColumnRef(c) => ast::last_name(&c.fields).map(str::to_string),
        _ => None,
    }
}

/// Read `expr`; an expression PostgreSQL's parser rejects has no key.
pub fn user_key(expr: &str) -> UserKey {
    let mut key = UserKey::default();
    let Some(tree) = ast::parse(&format!("SELECT {expr}")) else {
        return key;
    };
    let Some(root) = ast::first(&tree) else {
        return key;
    };
    for n in walk(root.to_ref()) {
        let NodeRef::FuncCall(call) = n else { continue };
        key.reads_user |= names_the_user(&ast::names(&call.funcname));
        if ast::last_name(&call.funcname) != Some("current_setting") {
            continue;
        }
        let name = call.args.first().and_then(ast::node).map(ast::strip_casts);
        if let Some(NodeEnum::AConst(c)) = name {
            if let Some(ast::pb::a_const::Val::Sval(s)) = &c.val {
                if !key.settings.contains(&s.sval) {
                    key.settings.push(s.sval.clone());
                }
            }
        }
    }
    // The column compared with the user, outside subqueries that read tables: inside
    // `EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.uid())` it is the subquery's
    // table's, not the policy's. Subqueries without FROM (`(SELECT current_setting(…))`) count.
    let reads_a_table =
        |n: &NodeRef<'_>| matches!(n, NodeRef::SelectStmt(s) if !s.from_clause.is_empty());
    for n in walk_except(root.to_ref(), reads_a_table) {
        let NodeRef::AExpr(e) = n else { continue };
        if ast::last_name(&e.name) != Some("=") {
            continue;
        }
        let (Some(l), Some(r)) = (
            e.lexpr.as_deref().and_then(ast::node),
            e.rexpr.as_deref().and_then(ast::node),
        ) else {
            continue;
        };
        key.column = if reads_the_user(r.to_ref()) {
            column_of(l)
        } else if reads_the_user(l.to_ref()) {
            column_of(r)
        } else {
            None
        };
        if key.column.is_some() {
            break;
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(expr: &str) -> (Option<String>, Vec<String>) {
        let k = user_key(expr);
        (k.column, k.settings)
    }

    #[test]
    fn the_column_beside_the_user_is_found_through_casts_and_subqueries() {
        assert_eq!(
            key("((correo)::text = current_setting('app.correo'::text, true))"),
            (Some("correo".into()), vec!["app.correo".to_string()])
        );
        assert_eq!(
            key("(owner_id = auth.uid())"),
            (Some("owner_id".into()), vec![])
        );
        assert_eq!(
            key("(( SELECT (current_setting('app.tenant'::text))::uuid AS current_setting) = tenant_id)"),
            (Some("tenant_id".into()), vec!["app.tenant".to_string()])
        );
        assert_eq!(
            key("((t.user_id = (current_setting('app.uid'))::bigint) AND (NOT archived))"),
            (Some("user_id".into()), vec!["app.uid".to_string()])
        );
    }

    #[test]
    fn a_column_of_a_subquerys_table_is_not_the_policys_key() {
        assert_eq!(
            key("(EXISTS ( SELECT 1 FROM members m WHERE ((m.team_id = teams.id) AND (m.user_id = auth.uid()))))"),
            (None, vec![])
        );
        assert!(user_key("CASE WHEN (kind = 'x') THEN (EXISTS ( SELECT 1 FROM users WHERE (users.auth_id = auth.uid()))) ELSE true END").reads_user);
        assert_eq!(
            key("((owner_id = auth.uid()) OR (EXISTS ( SELECT 1 FROM shares s WHERE (s.user_id = auth.uid()))))"),
            (Some("owner_id".into()), vec![])
        );
    }

    #[test]
    fn no_user_no_key() {
        assert_eq!(key("(is_public = true)"), (None, vec![]));
        assert!(!user_key("(is_public = true)").reads_user);
        assert!(user_key("(auth.jwt() ->> 'role') = 'admin'").reads_user);
        assert_eq!(key("not an expression ("), (None, vec![]));
    }
}
