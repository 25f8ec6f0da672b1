//! The `search_path` a document sets for what follows (`SET search_path = core, public`, or
//! `pg_dump`'s `SELECT pg_catalog.set_config('search_path', '', false)`), read from the parse
//! trees of its statements: a query written after it is meant to run with it, so whatever
//! runs that query outside the check (verify) runs it with the same path.

use crate::ast::{self, pb, NodeEnum};
use crate::quote::quote_ident;
use crate::Statement;

/// The `search_path` in force after the document's statements that start before document
/// offset `before` (as a value for `set_config`), or `None` while the server's default holds.
/// `SET LOCAL` and `set_config(…, true)` last only for their transaction and do not count.
pub fn search_path_before(statements: &[Statement], before: u32) -> Option<String> {
    let mut path = None;
    for stmt in statements
        .iter()
        .filter(|s| s.is_written() && s.range.start < before)
    {
        let Some(tree) = stmt.ast() else { continue };
        for node in ast::top_nodes(tree) {
            if let Some(set) = set_in(node) {
                path = set;
            }
        }
    }
    path
}

/// What a top-level statement does to the `search_path`: `Some(Some(value))` sets it,
/// `Some(None)` sets it back to the default, `None` leaves it alone.
fn set_in(node: &NodeEnum) -> Option<Option<String>> {
    match node {
        NodeEnum::VariableSetStmt(set)
            if set.name.eq_ignore_ascii_case("search_path") && !set.is_local =>
        {
            let kind = pb::VariableSetKind::try_from(set.kind).ok()?;
            match kind {
                pb::VariableSetKind::VarSetValue => {
                    let names: Option<Vec<String>> = set
                        .args
                        .iter()
                        .map(|a| ast::node(a).and_then(ast::string_constant).map(quote_ident))
                        .collect();
                    Some(Some(names?.join(", ")))
                }
                pb::VariableSetKind::VarSetDefault | pb::VariableSetKind::VarReset => Some(None),
                _ => None,
            }
        }
        NodeEnum::SelectStmt(select) => select.target_list.iter().find_map(|target| {
            let Some(NodeEnum::ResTarget(target)) = ast::node(target) else {
                return None;
            };
            let Some(NodeEnum::FuncCall(call)) = target.val.as_deref().and_then(ast::node) else {
                return None;
            };
            let name = ast::function_name(call);
            let is_set_config = matches!(
                name.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["set_config"] | ["pg_catalog", "set_config"]
            );
            let args: Vec<&NodeEnum> = call.args.iter().filter_map(ast::node).collect();
            let [setting, value, local] = args.as_slice() else {
                return None;
            };
            if !is_set_config
                || !ast::string_constant(setting)?.eq_ignore_ascii_case("search_path")
                || !is_false(local)
            {
                return None;
            }
            ast::string_constant(value).map(|v| Some(v.to_owned()))
        }),
        _ => None,
    }
}

/// Whether a node is the boolean constant `false`.
fn is_false(node: &NodeEnum) -> bool {
    matches!(ast::strip_casts(node), NodeEnum::AConst(c)
        if matches!(&c.val, Some(pb::a_const::Val::Boolval(b)) if !b.boolval))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(sql: &str) -> Option<String> {
        let (doc, _) = pgspec_document::read(format!("# T\n\n```sql\n{sql}\n```\n").as_bytes());
        let (statements, _) = crate::extract(&doc);
        search_path_before(&statements, u32::MAX)
    }

    #[test]
    fn the_path_a_document_sets_is_the_last_one_before() {
        assert_eq!(path("SELECT 1;"), None);
        assert_eq!(
            path("SET search_path = core, public;").as_deref(),
            Some("core, public")
        );
        assert_eq!(
            path("SET search_path TO \"Ops\", \"$user\";").as_deref(),
            Some("\"Ops\", \"$user\"")
        );
        assert_eq!(
            path("SELECT pg_catalog.set_config('search_path', '', false);").as_deref(),
            Some("")
        );
        assert_eq!(path("SET search_path = core;\nRESET search_path;"), None);
        assert_eq!(
            path("SET search_path = core;\nSET search_path TO DEFAULT;"),
            None
        );
        // For one transaction only.
        assert_eq!(path("SET LOCAL search_path = core;"), None);
        assert_eq!(
            path("SELECT set_config('search_path', 'core', true);"),
            None
        );
    }
}
