//! Parse trees (kept by `pgspec_sql`: a statement's own, or one `pgspec_sql` parsed for a
//! function body's query) in their JSON form, and the few walks the rules need.
//!
//! Only `model.rs` (the document's tables beside the catalog, which the catalog work rewrites)
//! still reads this JSON rendering of the typed tree by key names; every rule reads the typed
//! tree through `pgspec_sql::ast`. Delete this file with model.rs's JSON reading.

use serde_json::Value;

use crate::sql::ast::ParseTree;

/// The JSON form of a tree.
pub(crate) fn json(tree: &ParseTree) -> Option<Value> {
    serde_json::to_value(tree).ok()
}

/// The top-level statement nodes of a parse: `(node type, body, stmt_location)`.
pub(crate) fn statements(tree: &Value) -> Vec<(&str, &Value, usize)> {
    let mut out = Vec::new();
    for raw in tree["stmts"].as_array().into_iter().flatten() {
        let location = raw["stmt_location"].as_u64().unwrap_or(0);
        if let Some((kind, body)) = node(&raw["stmt"]) {
            out.push((kind, body, usize::try_from(location).unwrap_or(0)));
        }
    }
    out
}

/// The `(type, body)` of a `Node` value (`{"node": {"AExpr": {…}}}`) or of a bare
/// `{"AExpr": {…}}` object.
pub(crate) fn node(value: &Value) -> Option<(&str, &Value)> {
    let obj = value.as_object()?;
    if let Some(inner) = obj.get("node") {
        return node(inner);
    }
    if obj.len() == 1 {
        let (k, v) = obj.iter().next()?;
        if k.starts_with(|c: char| c.is_ascii_uppercase()) && v.is_object() {
            return Some((k.as_str(), v));
        }
    }
    None
}

/// The strings of a list of `String` nodes (names like `["public", "users"]`).
pub(crate) fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| match node(n) {
            Some(("String", s)) => s["sval"].as_str().map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// A node's `location` (byte offset into the parsed text), if set.
pub(crate) fn location(body: &Value) -> Option<usize> {
    body["location"]
        .as_i64()
        .and_then(|l| usize::try_from(l).ok())
}

/// Strip type casts: `'x'::text` → `'x'`.
pub(crate) fn strip_casts(value: &Value) -> Option<(&str, &Value)> {
    let (mut kind, mut body) = node(value)?;
    while kind == "TypeCast" {
        (kind, body) = node(&body["arg"])?;
    }
    Some((kind, body))
}

/// A constant's text, if the node is a (possibly cast) string or number literal.
pub(crate) fn constant(value: &Value) -> Option<(String, usize)> {
    let (kind, body) = strip_casts(value)?;
    if kind != "AConst" || body["isnull"].as_bool() == Some(true) {
        return None;
    }
    let val = &body["val"];
    let text = if let Some(s) = val["Sval"]["sval"].as_str() {
        s.to_owned()
    } else if let Some(i) = val["Ival"]["ival"].as_i64() {
        i.to_string()
    } else if val.get("Ival").is_some() {
        "0".to_owned()
    } else if let Some(f) = val["Fval"]["fval"].as_str() {
        f.to_owned()
    } else {
        return None;
    };
    Some((text, location(body).unwrap_or(0)))
}

/// `relation.relname` of a statement body (CreateStmt, AlterTableStmt, InsertStmt, …).
pub(crate) fn relname(body: &Value) -> Option<String> {
    body["relation"]["relname"].as_str().map(str::to_owned)
}

/// The byte offset of character position `chars` (0-based) in `text`.
pub(crate) fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_names_and_constants() {
        let tree =
            crate::sql::ast::parse("CREATE TABLE public.t (s text DEFAULT 'a'::text, n int)")
                .and_then(|t| json(&t))
                .expect("parses");
        let stmts = statements(&tree);
        assert_eq!(stmts[0].0, "CreateStmt");
        assert_eq!(relname(stmts[0].1).as_deref(), Some("t"));
        let Some(("ColumnDef", col)) = node(&stmts[0].1["table_elts"][0]) else {
            panic!("a column: {}", stmts[0].1);
        };
        let Some(("Constraint", default)) = node(&col["constraints"][0]) else {
            panic!("a default: {col}");
        };
        assert_eq!(
            constant(&default["raw_expr"]).map(|c| c.0).as_deref(),
            Some("a")
        );
        assert_eq!(names(&col["type_name"]["names"]), ["text"]);
    }
}
