//! CHECK constraints and index predicates as small expressions over a row ([`Expr`], read from
//! the catalog's text by `pgspec_sql`), evaluated on generated rows, and mined for hints that
//! let the generator produce satisfying values directly (IN-lists, bounds, regexes, column
//! order, `total = subtotal - discount + tax`).

use std::sync::Arc;

use regex::Regex;

use super::values::{parse_timestamp, today_micros, Value};

pub use crate::sql::expr::{
    columns_of, index_expression_columns, index_expressions, parse_check, parse_exclusion,
    parse_expr, Expr,
};

mod counts;
mod json;
#[cfg(test)]
mod tests;

pub use counts::{date_days, equal_literals, null_pairs, set_counts, SetCount};
use json::{json_hint, json_op};

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<V>),
    /// pgspec cannot tell (unsupported function or type): the server decides.
    Unknown,
}

impl V {
    /// The evaluation view of a column value.
    pub fn of(v: &Value) -> V {
        match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Text(s) | Value::Json(s) | Value::Jsonb(s) => V::Str(s.clone()),
            Value::Uuid(b) => V::Str(uuid_text(b)),
            Value::Array { items, .. } => V::Arr(items.iter().map(V::of).collect()),
            other => other.as_f64().map_or(V::Unknown, V::Num),
        }
    }
}

/// `xxxxxxxx-xxxx-…` spelling of a UUID.
pub fn uuid_text(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn to_num(v: &V) -> Option<f64> {
    match v {
        V::Num(n) => Some(*n),
        V::Str(s) => s.trim().parse().ok().or_else(|| {
            #[allow(clippy::cast_precision_loss)]
            parse_timestamp(s).map(|m| m as f64)
        }),
        V::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn compare(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Some(x.cmp(y)),
        _ => to_num(a)?.partial_cmp(&to_num(b)?),
    }
}

fn cast(v: V, ty: &str) -> V {
    match (v, ty) {
        (
            V::Str(s),
            "int2" | "int4" | "int8" | "integer" | "bigint" | "smallint" | "numeric" | "float8"
            | "float4" | "real" | "decimal",
        ) => s.trim().parse().map_or(V::Unknown, V::Num),
        (V::Str(s), "timestamp" | "timestamptz" | "date") =>
        {
            #[allow(clippy::cast_precision_loss)]
            parse_timestamp(&s).map_or(V::Unknown, |m| V::Num(m as f64))
        }
        (V::Num(n), "text" | "varchar" | "bpchar") => V::Str(fmt_num(n)),
        (v, "interval") => match v {
            V::Str(s) => interval_micros(&s).map_or(V::Unknown, V::Num),
            other => other,
        },
        (v, _) => v,
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// `'7 days'`, `'1 hour'` → microseconds (units up to weeks; months as 30 days).
#[allow(clippy::cast_precision_loss)]
pub fn interval_micros(s: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut words = s.split_whitespace();
    while let Some(n) = words.next() {
        let n: f64 = n.parse().ok()?;
        let unit = words.next().unwrap_or("seconds").to_lowercase();
        let micros = match unit.trim_end_matches('s') {
            "second" | "sec" => 1e6,
            "minute" | "min" => 60e6,
            "hour" => 3600e6,
            "day" => 86_400e6,
            "week" => 604_800e6,
            "month" | "mon" => 2_592_000e6,
            "year" => 31_536_000e6,
            _ => return None,
        };
        total += n * micros;
    }
    Some(total)
}

fn truth(v: &V) -> Option<bool> {
    match v {
        V::Bool(b) => Some(*b),
        _ => None,
    }
}

/// Evaluate `e` on `row` (`row[i]` is column `i`). SQL three-valued logic; `V::Unknown` where
/// pgspec cannot tell.
#[allow(clippy::too_many_lines)]
pub fn eval(e: &Expr, row: &[Value]) -> V {
    match e {
        Expr::Col(i) => row.get(*i).map_or(V::Unknown, V::of),
        Expr::Num(n) => V::Num(*n),
        Expr::Str(s) => V::Str(s.clone()),
        Expr::Bool(b) => V::Bool(*b),
        Expr::Null => V::Null,
        #[allow(clippy::cast_precision_loss)]
        Expr::Now => V::Num((today_micros() + super::values::DAY_MICROS / 2) as f64),
        Expr::Unknown => V::Unknown,
        Expr::Cast(a, ty) => cast(eval(a, row), ty),
        Expr::Neg(a) => match eval(a, row) {
            V::Num(n) => V::Num(-n),
            V::Null => V::Null,
            _ => V::Unknown,
        },
        Expr::Array(items) => V::Arr(items.iter().map(|i| eval(i, row)).collect()),
        Expr::Not(a) => match eval(a, row) {
            V::Bool(b) => V::Bool(!b),
            other => other,
        },
        Expr::IsNull(a, not) => match eval(a, row) {
            V::Unknown => V::Unknown,
            V::Null => V::Bool(!*not),
            _ => V::Bool(*not),
        },
        Expr::And(items) => {
            let vals: Vec<V> = items.iter().map(|i| eval(i, row)).collect();
            if vals.iter().any(|v| truth(v) == Some(false)) {
                V::Bool(false)
            } else if vals.contains(&V::Unknown) {
                V::Unknown
            } else if vals.contains(&V::Null) {
                V::Null
            } else {
                V::Bool(true)
            }
        }
        Expr::Or(items) => {
            let vals: Vec<V> = items.iter().map(|i| eval(i, row)).collect();
            if vals.iter().any(|v| truth(v) == Some(true)) {
                V::Bool(true)
            } else if vals.contains(&V::Unknown) {
                V::Unknown
            } else if vals.contains(&V::Null) {
                V::Null
            } else {
                V::Bool(false)
            }
        }
        Expr::InList(a, items, negated) => {
            let v = eval(a, row);
            match v {
                V::Null => return V::Null,
                V::Unknown => return V::Unknown,
                _ => {}
            }
            let mut found = false;
            for i in items {
                let iv = eval(i, row);
                if iv == V::Unknown {
                    return V::Unknown;
                }
                // `x = ANY (array_column)`: the array's elements are the list.
                let elements = match iv {
                    V::Arr(elements) => elements,
                    one => vec![one],
                };
                if elements
                    .iter()
                    .any(|e| compare(&v, e) == Some(std::cmp::Ordering::Equal))
                {
                    found = true;
                }
            }
            V::Bool(found != *negated)
        }
        Expr::Between(a, lo, hi, negated) => {
            let (v, l, h) = (eval(a, row), eval(lo, row), eval(hi, row));
            if [&v, &l, &h].contains(&&V::Unknown) {
                return V::Unknown;
            }
            if [&v, &l, &h].contains(&&V::Null) {
                return V::Null;
            }
            match (compare(&v, &l), compare(&v, &h)) {
                (Some(a), Some(b)) => V::Bool((a.is_ge() && b.is_le()) != *negated),
                _ => V::Unknown,
            }
        }
        Expr::Regex {
            arg, re, negated, ..
        } => match eval(arg, row) {
            V::Str(s) => V::Bool(re.is_match(&s) != *negated),
            V::Null => V::Null,
            _ => V::Unknown,
        },
        Expr::Op(op, a, b) => {
            let (x, y) = (eval(a, row), eval(b, row));
            if x == V::Unknown || y == V::Unknown {
                return V::Unknown;
            }
            if x == V::Null || y == V::Null {
                return V::Null;
            }
            use std::cmp::Ordering::{Equal, Greater, Less};
            let cmp = || compare(&x, &y);
            let num = |f: fn(f64, f64) -> f64| match (to_num(&x), to_num(&y)) {
                (Some(p), Some(q)) => V::Num(f(p, q)),
                _ => V::Unknown,
            };
            match op.as_str() {
                "=" => cmp().map_or(V::Unknown, |o| V::Bool(o == Equal)),
                "<>" | "!=" => cmp().map_or(V::Unknown, |o| V::Bool(o != Equal)),
                "<" => cmp().map_or(V::Unknown, |o| V::Bool(o == Less)),
                "<=" => cmp().map_or(V::Unknown, |o| V::Bool(o != Greater)),
                ">" => cmp().map_or(V::Unknown, |o| V::Bool(o == Greater)),
                ">=" => cmp().map_or(V::Unknown, |o| V::Bool(o != Less)),
                "+" => num(|p, q| p + q),
                "-" => num(|p, q| p - q),
                "*" => num(|p, q| p * q),
                "/" => match to_num(&y) {
                    Some(q) if q != 0.0 => num(|p, q| p / q),
                    _ => V::Unknown,
                },
                "||" => match (x, y) {
                    (V::Str(p), V::Str(q)) => V::Str(p + &q),
                    _ => V::Unknown,
                },
                "?" | "?|" | "?&" | "->" | "->>" => json_op(op, &x, &y),
                "<@" | "@>" => match (x, y) {
                    (V::Arr(p), V::Arr(q)) => {
                        let (small, big) = if op == "<@" { (p, q) } else { (q, p) };
                        V::Bool(small.iter().all(|s| big.contains(s)))
                    }
                    _ => V::Unknown,
                },
                _ => V::Unknown,
            }
        }
        Expr::Func(name, args) => {
            let vals: Vec<V> = args.iter().map(|a| eval(a, row)).collect();
            if let ("num_nonnulls" | "num_nulls", false) =
                (name.as_str(), vals.contains(&V::Unknown))
            {
                let set = vals.iter().filter(|v| **v != V::Null).count();
                #[allow(clippy::cast_precision_loss)]
                return V::Num(if name == "num_nulls" {
                    vals.len() - set
                } else {
                    set
                } as f64);
            }
            if name != "coalesce" && vals.contains(&V::Null) {
                return V::Null;
            }
            #[allow(clippy::cast_precision_loss)]
            match (name.as_str(), vals.as_slice()) {
                ("length" | "char_length" | "character_length", [V::Str(s)]) => {
                    V::Num(s.chars().count() as f64)
                }
                ("octet_length", [V::Str(s)]) => V::Num(s.len() as f64),
                ("lower", [V::Str(s)]) => V::Str(s.to_lowercase()),
                ("upper", [V::Str(s)]) => V::Str(s.to_uppercase()),
                ("btrim" | "trim", [V::Str(s)]) => V::Str(s.trim().to_string()),
                ("abs", [V::Num(n)]) => V::Num(n.abs()),
                ("array_length", [V::Arr(a), _]) => {
                    if a.is_empty() {
                        V::Null
                    } else {
                        V::Num(a.len() as f64)
                    }
                }
                ("cardinality", [V::Arr(a)]) => V::Num(a.len() as f64),
                ("jsonb_typeof" | "json_typeof", [V::Str(s)]) => V::Str(
                    match s.trim_start().chars().next() {
                        Some('{') => "object",
                        Some('[') => "array",
                        Some('"') => "string",
                        Some('t' | 'f') => "boolean",
                        Some('n') => "null",
                        _ => "number",
                    }
                    .into(),
                ),
                ("coalesce", vals) => vals
                    .iter()
                    .find(|v| **v != V::Null)
                    .cloned()
                    .unwrap_or(V::Null),
                _ => V::Unknown,
            }
        }
    }
}

/// What a row's CHECKs say about one column, for generating satisfying values directly.
#[derive(Clone, Debug, Default)]
pub struct Hints {
    /// The column must be one of these (IN-list, `= ANY`, `col = 'a' OR col = 'b'`).
    pub choices: Option<Vec<V>>,
    pub min: Option<(f64, bool)>,
    pub max: Option<(f64, bool)>,
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    /// (pattern, case-insensitive, compiled).
    pub regexes: Vec<(String, bool, Arc<Regex>)>,
    /// Patterns of which one must match (`col ~ 'p1' OR col ~ 'p2'`).
    pub regex_any: Vec<(String, bool, Arc<Regex>)>,
    /// `col = ANY (other_col)`: the value is an element of that array column.
    pub element_of: Option<usize>,
    /// Array column: elements from this list.
    pub subset_of: Option<Vec<V>>,
    pub not_null: bool,
    /// `self >= other` (strict for `>`).
    pub ge: Vec<(usize, bool)>,
    /// `self <= other`.
    pub le: Vec<(usize, bool)>,
    /// `self = expression over other columns`.
    pub equals: Option<Expr>,
    /// JSON column: the kind `json(b)_typeof` must give (`object`, `array`, …).
    pub json_kind: Option<String>,
    /// JSON column: keys it must have (`? 'k'`, `?& array[…]`, `->> 'k' IS NOT NULL`), each
    /// with the kind its value must be (`jsonb_typeof(col -> 'k') = 'number'`).
    pub json_keys: Vec<(String, Option<String>)>,
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(inner, _) => strip(inner),
        other => other,
    }
}

fn literal(e: &Expr) -> Option<V> {
    match strip(e) {
        Expr::Num(n) => Some(V::Num(*n)),
        Expr::Str(s) => Some(match e {
            Expr::Cast(_, ty) => cast(V::Str(s.clone()), ty),
            _ => V::Str(s.clone()),
        }),
        Expr::Bool(b) => Some(V::Bool(*b)),
        Expr::Neg(inner) => match strip(inner) {
            Expr::Num(n) => Some(V::Num(-n)),
            _ => None,
        },
        Expr::Now =>
        {
            #[allow(clippy::cast_precision_loss)]
            Some(V::Num(today_micros() as f64))
        }
        _ => None,
    }
}

fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::And(items) => items.iter().for_each(|i| conjuncts(i, out)),
        other => out.push(other),
    }
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        o => o,
    }
}

/// Mine hints for `ncols` columns from the CHECK expressions.
pub fn hints(checks: &[&Expr], ncols: usize) -> Vec<Hints> {
    let mut out = vec![Hints::default(); ncols];
    let mut all = Vec::new();
    for c in checks {
        conjuncts(c, &mut all);
    }
    for c in all {
        // `x IS NULL OR <condition on x>`: the condition holds whenever x is set.
        let c = match c {
            Expr::Or(items) if items.len() == 2 => {
                let null_side = items
                    .iter()
                    .position(|i| matches!(i, Expr::IsNull(_, false)));
                match null_side {
                    Some(p) => &items[1 - p],
                    None => c,
                }
            }
            _ => c,
        };
        hint_one(c, &mut out);
    }
    out
}

fn hint_one(c: &Expr, out: &mut [Hints]) {
    if json_hint(c, out) {
        return;
    }
    match c {
        Expr::And(items) => items.iter().for_each(|i| hint_one(i, out)),
        Expr::IsNull(a, true) => {
            if let Expr::Col(i) = strip(a) {
                out[*i].not_null = true;
            }
        }
        Expr::InList(a, items, false) => {
            if let Expr::Col(i) = strip(a) {
                if let [other] = items.as_slice() {
                    // `col = ANY (array_col)`: the value is one of another column's elements.
                    if let Expr::Col(j) = strip(other) {
                        if j != i {
                            out[*i].element_of = Some(*j);
                        }
                        return;
                    }
                }
                let lits: Option<Vec<V>> = items.iter().map(literal).collect();
                if let Some(l) = lits {
                    out[*i].choices = Some(l);
                }
            }
        }
        Expr::Or(items)
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| matches!(i, Expr::Regex { negated: false, .. })) =>
        {
            // `col ~ 'p1' OR col ~ 'p2'`: one of the patterns.
            let mut col = None;
            let mut alternatives = Vec::new();
            for i in items {
                if let Expr::Regex {
                    arg,
                    pattern,
                    re,
                    case_insensitive,
                    ..
                } = i
                {
                    match strip(arg) {
                        Expr::Col(c) if col.is_none_or(|x| x == *c) => {
                            col = Some(*c);
                            alternatives.push((pattern.clone(), *case_insensitive, Arc::clone(re)));
                        }
                        _ => return,
                    }
                }
            }
            if let Some(c) = col {
                out[c].regex_any = alternatives;
            }
        }
        Expr::Or(items) => {
            // col = 'a' OR col = 'b'
            let mut col = None;
            let mut lits = Vec::new();
            for i in items {
                match i {
                    Expr::Op(op, a, b) if op == "=" => match (strip(a), literal(b)) {
                        (Expr::Col(c), Some(l)) if col.is_none_or(|x| x == *c) => {
                            col = Some(*c);
                            lits.push(l);
                        }
                        _ => return,
                    },
                    _ => return,
                }
            }
            if let Some(c) = col {
                out[c].choices = Some(lits);
            }
        }
        Expr::Between(a, lo, hi, false) => {
            if let (Expr::Col(i), Some(l), Some(h)) = (strip(a), literal(lo), literal(hi)) {
                if let (Some(l), Some(h)) = (to_num(&l), to_num(&h)) {
                    tighten_min(&mut out[*i], l, false);
                    tighten_max(&mut out[*i], h, false);
                }
            }
        }
        Expr::Regex {
            arg,
            pattern,
            re,
            case_insensitive,
            negated: false,
        } => {
            if let Expr::Col(i) = strip(arg) {
                out[*i]
                    .regexes
                    .push((pattern.clone(), *case_insensitive, Arc::clone(re)));
            }
        }
        Expr::Op(op, a, b) => {
            let (sa, sb) = (strip(a), strip(b));
            // Normalise to `column op other`.
            let (col, op, other) = match (sa, sb) {
                (Expr::Col(i), _) => (*i, op.as_str(), b.as_ref()),
                (_, Expr::Col(i)) => (*i, flip(op), a.as_ref()),
                (Expr::Func(f, args), _) if is_len(f) => {
                    if let (Some(Expr::Col(i)), Some(n)) = (
                        args.first().map(strip),
                        literal(b).as_ref().and_then(to_num),
                    ) {
                        len_hint(&mut out[*i], op, n);
                    }
                    return;
                }
                _ => return,
            };
            if let Some(l) = literal(other) {
                let h = &mut out[col];
                match (op, &l) {
                    ("=", _) => h.choices = Some(vec![l.clone()]),
                    ("<@", _) => {}
                    _ => {
                        if let Some(n) = to_num(&l) {
                            match op {
                                ">" => tighten_min(h, n, true),
                                ">=" => tighten_min(h, n, false),
                                "<" => tighten_max(h, n, true),
                                "<=" => tighten_max(h, n, false),
                                _ => {}
                            }
                        }
                    }
                }
                return;
            }
            if op == "<@" {
                if let Expr::Array(items) = strip(other) {
                    out[col].subset_of = items.iter().map(literal).collect();
                }
                return;
            }
            match (op, strip(other)) {
                (">=" | ">", Expr::Col(j)) if *j != col => out[col].ge.push((*j, op == ">")),
                ("<=" | "<", Expr::Col(j)) if *j != col => out[col].le.push((*j, op == "<")),
                ("=", _) => {
                    let mut used = Vec::new();
                    columns_of(other, &mut used);
                    if !used.is_empty() && !used.contains(&col) {
                        out[col].equals = Some(other.clone());
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn is_len(f: &str) -> bool {
    matches!(f, "length" | "char_length" | "character_length")
}

fn len_hint(h: &mut Hints, op: &str, n: f64) {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = n.max(0.0) as usize;
    match op {
        ">" => h.min_len = Some(n + 1),
        ">=" => h.min_len = Some(n),
        "<" => h.max_len = Some(n.saturating_sub(1)),
        "<=" => h.max_len = Some(n),
        "=" => {
            h.min_len = Some(n);
            h.max_len = Some(n);
        }
        _ => {}
    }
}

fn tighten_min(h: &mut Hints, n: f64, strict: bool) {
    if h.min.is_none_or(|(m, _)| n >= m) {
        h.min = Some((n, strict));
    }
}

fn tighten_max(h: &mut Hints, n: f64, strict: bool) {
    if h.max.is_none_or(|(m, _)| n <= m) {
        h.max = Some((n, strict));
    }
}
