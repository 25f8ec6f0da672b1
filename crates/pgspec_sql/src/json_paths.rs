//! `data->>'price'::numeric`: `::` binds tighter than `->>`, so the cast applies to the key
//! `'price'`, not to the value found under it (PostgreSQL then refuses the key as a number).
//! Found on the tree; check explains it and rewrites it as `(data->>'price')::numeric`.

use crate::ast::{last_name, pb, walk, NodeEnum, NodeRef};

/// The JSON operators whose right operand is a key or a path.
const JSON_OPERATORS: &[&str] = &["->>", "->", "#>>", "#>"];

/// A JSON operator's key cast instead of its value (`data->>'price'::numeric`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CastKey {
    /// Where the operator's left operand starts in the statement text.
    pub path_start: usize,
    /// Where the key's literal ends.
    pub key_end: usize,
    /// The key.
    pub key: String,
}

/// Every JSON operator of `root` (parsed from `text`) whose key is cast instead of its value.
pub fn cast_keys(root: &NodeEnum, text: &str) -> Vec<CastKey> {
    let mut out = Vec::new();
    for node in walk(root.to_ref()) {
        let NodeRef::AExpr(expr) = node else {
            continue;
        };
        let operator = last_name(&expr.name).unwrap_or_default();
        if !JSON_OPERATORS.contains(&operator) {
            continue;
        }
        let Some(NodeEnum::TypeCast(cast)) = expr.rexpr.as_deref().and_then(|r| r.node.as_ref())
        else {
            continue;
        };
        let Some(NodeEnum::AConst(key)) = cast.arg.as_deref().and_then(|a| a.node.as_ref()) else {
            continue;
        };
        let Some(pb::a_const::Val::Sval(value)) = &key.val else {
            continue;
        };
        let (Some(left), Ok(literal)) = (
            expr.lexpr.as_deref().and_then(start_of),
            usize::try_from(key.location),
        ) else {
            continue;
        };
        let Some(key_end) = crate::quote::string_literal_end(text, literal) else {
            continue;
        };
        out.push(CastKey {
            path_start: left,
            key_end,
            key: value.sval.clone(),
        });
    }
    out
}

/// The smallest location among the nodes of `expr` that start where they are written (a
/// column, a constant, a call, a parameter).
fn start_of(expr: &pb::Node) -> Option<usize> {
    let node = expr.node.as_ref()?;
    walk(node.to_ref())
        .into_iter()
        .filter_map(|n| match n {
            NodeRef::ColumnRef(c) => Some(c.location),
            NodeRef::AConst(c) => Some(c.location),
            NodeRef::FuncCall(c) => Some(c.location),
            NodeRef::ParamRef(p) => Some(p.location),
            _ => None,
        })
        .filter_map(|l| usize::try_from(l).ok())
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(sql: &str) -> Vec<CastKey> {
        let tree = crate::ast::parse(sql).expect("parses");
        let root = crate::ast::top_nodes(&tree).next().expect("a statement");
        cast_keys(root, sql)
    }

    #[test]
    fn a_cast_json_key_is_found_with_its_path() {
        let sql = "SELECT id FROM p WHERE data->'a'->>'it''s'::numeric < 10";
        let found = keys(sql);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "it's");
        assert_eq!(
            &sql[found[0].path_start..found[0].key_end],
            "data->'a'->>'it''s'"
        );
        // The value cast, or a cast of something that is not a key: nothing.
        assert!(keys("SELECT (data->>'price')::numeric FROM p").is_empty());
        assert!(keys("SELECT data->>'price', '1'::int FROM p").is_empty());
    }
}
