//! pg_query parse trees as JSON values, and the few walks the rules need. JSON (through the
//! protobuf types' `Serialize`) reaches every node type, which pg_query's typed `nodes()` does not.

use serde_json::Value;

/// Parse `sql` into the JSON form of pg_query's protobuf tree; `None` if it does not parse.
pub(crate) fn parse(sql: &str) -> Option<Value> {
    // pg_query has a few `panic!`s on shapes PostgreSQL never produces; never take the run down.
    let parsed = std::panic::catch_unwind(|| pg_query::parse(sql, 0))
        .ok()?
        .ok()?;
    serde_json::to_value(&parsed.protobuf).ok()
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

/// Visit every node below `value` (pre-order), with its type name and body.
pub(crate) fn walk<'a>(value: &'a Value, f: &mut dyn FnMut(&'a str, &'a Value)) {
    match value {
        Value::Object(obj) => {
            for (k, v) in obj {
                if k.starts_with(|c: char| c.is_ascii_uppercase()) && v.is_object() {
                    f(k.as_str(), v);
                }
                walk(v, f);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, f);
            }
        }
        _ => {}
    }
}

/// Every node of type `kind` below `value`.
pub(crate) fn find_all<'a>(value: &'a Value, kind: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    walk(value, &mut |k, body| {
        if k == kind {
            out.push(body);
        }
    });
    out
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

/// The last name of a list of `String` nodes.
pub(crate) fn last_name(list: &Value) -> Option<String> {
    names(list).pop()
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

/// A string constant's text (only `Sval`), if the node is a (possibly cast) string literal.
pub(crate) fn string_constant(value: &Value) -> Option<(String, usize)> {
    let (kind, body) = strip_casts(value)?;
    let s = body["val"]["Sval"]["sval"].as_str()?;
    (kind == "AConst").then(|| (s.to_owned(), location(body).unwrap_or(0)))
}

/// The column name of a (possibly cast) `ColumnRef` (its last field).
pub(crate) fn column_ref(value: &Value) -> Option<String> {
    let (kind, body) = strip_casts(value)?;
    (kind == "ColumnRef").then(|| last_name(&body["fields"]))?
}

/// The function name (last part, lowercase) of a `FuncCall` body.
pub(crate) fn func_name(body: &Value) -> Option<String> {
    last_name(&body["funcname"]).map(|n| n.to_lowercase())
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
    fn finds_in_lists_and_constants() {
        let tree = parse("ALTER TABLE t ADD CONSTRAINT c CHECK (s IN ('a', 'b'))").expect("parses");
        let stmts = statements(&tree);
        assert_eq!(stmts[0].0, "AlterTableStmt");
        assert_eq!(relname(stmts[0].1).as_deref(), Some("t"));
        let exprs = find_all(&tree, "AExpr");
        assert_eq!(exprs.len(), 1);
        assert_eq!(column_ref(&exprs[0]["lexpr"]).as_deref(), Some("s"));
        let Some(("List", list)) = node(&exprs[0]["rexpr"]) else {
            panic!("IN list: {}", exprs[0]["rexpr"]);
        };
        let list: Vec<String> = list["items"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|v| constant(v).map(|c| c.0))
            .collect();
        assert_eq!(list, ["a", "b"]);
    }
}
