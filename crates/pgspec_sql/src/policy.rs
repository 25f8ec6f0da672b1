//! What a row-level-security policy compares with the acting user, read from its expression's
//! tree (as `pg_policies` prints it): `owner_id = auth.uid()`,
//! `(email)::text = current_setting('app.email'::text, true)`,
//! `tenant_id = (SELECT current_setting('app.tenant')::uuid)`.

use crate::ast::{self, NodeEnum};
use crate::visit::{walk, NodeRef};

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

/// The nodes of `root` outside subqueries that read tables: a column compared with the user
/// inside `EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.uid())` is the subquery's
/// table's, not the policy's. Subqueries without FROM (`(SELECT current_setting(…))`) are
/// walked.
fn outside_table_subqueries(root: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    let mut children = Vec::new();
    while let Some(node) = stack.pop() {
        if matches!(node, NodeRef::SelectStmt(s) if !s.from_clause.is_empty()) {
            continue;
        }
        found.push(node);
        children.clear();
        crate::children::children(node, &mut children);
        stack.extend(children.drain(..).rev());
    }
    found
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
    let own_level = outside_table_subqueries(root.to_ref());
    for n in walk(root.to_ref()) {
        match n {
            NodeRef::FuncCall(call) => {
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
            NodeRef::AExpr(e)
                if key.column.is_none()
                    && ast::last_name(&e.name) == Some("=")
                    && own_level
                        .iter()
                        .any(|o| matches!(o, NodeRef::AExpr(x) if std::ptr::eq(*x, e))) =>
            {
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
            }
            _ => {}
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
