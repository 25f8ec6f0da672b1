//! JSON in CHECKs: the keys and kinds they require (hints for the generator) and the operators
//! that read members (`?`, `?|`, `?&`, `->`, `->>`), evaluated on generated documents.

use super::{literal, strip, Expr, Hints, V};

/// `col -> 'k'` / `col ->> 'k'`: the column and the key.
fn json_member(e: &Expr) -> Option<(usize, String)> {
    match strip(e) {
        Expr::Op(op, a, k) if op == "->" || op == "->>" => match (strip(a), literal(k)) {
            (Expr::Col(i), Some(V::Str(k))) => Some((*i, k)),
            _ => None,
        },
        _ => None,
    }
}

fn require_key(h: &mut Hints, key: String, kind: Option<String>) {
    match h.json_keys.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => {
            if kind.is_some() {
                entry.1 = kind;
            }
        }
        None => h.json_keys.push((key, kind)),
    }
}

/// JSON hints: `col ? 'k'`, `col ?& array[…]`, `col ?| array[…]`, `jsonb_typeof(col) = 'object'`,
/// `jsonb_typeof(col -> 'k') = 'number'`. Whether `c` was one.
pub(super) fn json_hint(c: &Expr, out: &mut [Hints]) -> bool {
    match c {
        Expr::IsNull(a, true) => match json_member(a) {
            Some((i, k)) => {
                require_key(&mut out[i], k, None);
                true
            }
            None => false,
        },
        Expr::Op(op, a, b) if op == "?" || op == "?&" || op == "?|" => {
            let Expr::Col(i) = strip(a) else {
                return false;
            };
            let keys: Vec<String> = match strip(b) {
                Expr::Array(items) => items
                    .iter()
                    .filter_map(|x| match literal(x) {
                        Some(V::Str(k)) => Some(k),
                        _ => None,
                    })
                    .collect(),
                other => match literal(other) {
                    Some(V::Str(k)) => vec![k],
                    _ => Vec::new(),
                },
            };
            // `?|` needs one of them: the first will do.
            let take = if op == "?|" { 1 } else { keys.len() };
            for k in keys.into_iter().take(take) {
                require_key(&mut out[*i], k, None);
            }
            true
        }
        Expr::Op(op, a, b) if op == "=" => {
            let (f, kind) = match (strip(a), literal(b), strip(b), literal(a)) {
                (Expr::Func(f, args), Some(V::Str(k)), _, _)
                | (_, _, Expr::Func(f, args), Some(V::Str(k)))
                    if (f == "jsonb_typeof" || f == "json_typeof") && args.len() == 1 =>
                {
                    (&args[0], k)
                }
                _ => return false,
            };
            if let Expr::Col(i) = strip(f) {
                out[*i].json_kind = Some(kind);
            } else if let Some((i, k)) = json_member(f) {
                if out[i].json_kind.is_none() {
                    out[i].json_kind = Some("object".into());
                }
                require_key(&mut out[i], k, Some(kind));
            } else {
                return false;
            }
            true
        }
        _ => false,
    }
}

/// `?`, `?|`, `?&`, `->`, `->>` on JSON text (the member as JSON text for `->`, as its text
/// for `->>`).
pub(super) fn json_op(op: &str, x: &V, y: &V) -> V {
    let V::Str(doc) = x else { return V::Unknown };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(doc) else {
        return V::Unknown;
    };
    let has = |k: &V| match (k, &doc) {
        (V::Str(k), serde_json::Value::Object(m)) => Some(m.contains_key(k)),
        (V::Str(k), serde_json::Value::Array(a)) => Some(a.iter().any(|e| e.as_str() == Some(k))),
        (V::Str(_), _) => Some(false),
        _ => None,
    };
    match (op, y) {
        ("?", k) => has(k).map_or(V::Unknown, V::Bool),
        ("?|" | "?&", V::Arr(keys)) => {
            let found: Option<Vec<bool>> = keys.iter().map(has).collect();
            found.map_or(V::Unknown, |f| {
                V::Bool(if op == "?|" {
                    f.iter().any(|b| *b)
                } else {
                    f.iter().all(|b| *b)
                })
            })
        }
        ("->" | "->>", k) => {
            let member = match (k, &doc) {
                (V::Str(k), serde_json::Value::Object(m)) => m.get(k),
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                (V::Num(n), serde_json::Value::Array(a)) if *n >= 0.0 => a.get(*n as usize),
                _ => return V::Unknown,
            };
            match member {
                None | Some(serde_json::Value::Null) if op == "->>" => V::Null,
                None => V::Null,
                Some(serde_json::Value::String(s)) if op == "->>" => V::Str(s.clone()),
                Some(v) => V::Str(v.to_string()),
            }
        }
        _ => V::Unknown,
    }
}
