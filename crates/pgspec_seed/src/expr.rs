//! CHECK constraints and index predicates as small expressions over a row: read with
//! PostgreSQL's own parser (pg_query), evaluated on generated rows, and mined for hints that let
//! the generator produce satisfying values directly (IN-lists, bounds, regexes, column order,
//! `total = subtotal - discount + tax`).

use std::sync::Arc;

use pg_query::protobuf::{a_const, AExprKind, BoolExprType, NullTestType};
use pg_query::NodeEnum;
use regex::Regex;

use super::values::{parse_timestamp, today_micros, Value};

/// An expression over the columns of one row.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Index into the table's columns.
    Col(usize),
    Num(f64),
    Str(String),
    Bool(bool),
    Null,
    /// now(), CURRENT_TIMESTAMP, CURRENT_DATE: microseconds since 2000-01-01.
    Now,
    /// A cast to the named type (last name part, lowercase).
    Cast(Box<Expr>, String),
    Op(String, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    /// `x = ANY(ARRAY[…])`, `x IN (…)`; negated for `<> ALL` / `NOT IN`.
    InList(Box<Expr>, Vec<Expr>, bool),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `IS NULL` (false) / `IS NOT NULL` (true).
    IsNull(Box<Expr>, bool),
    Func(String, Vec<Expr>),
    Array(Vec<Expr>),
    /// `x ~ 're'` and friends, with the pattern compiled once; `negated` for `!~`.
    Regex {
        arg: Box<Expr>,
        pattern: String,
        re: Arc<Regex>,
        case_insensitive: bool,
        negated: bool,
    },
    Unknown,
}

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

type Lookup<'a> = dyn Fn(&str) -> Option<usize> + 'a;

fn parse_first(sql: &str) -> Option<NodeEnum> {
    let parsed = std::panic::catch_unwind(|| pg_query::parse(sql, 0))
        .ok()?
        .ok()?;
    parsed.protobuf.stmts.into_iter().next()?.stmt?.node
}

/// Parse a scalar expression (e.g. an index predicate) over the named columns.
pub fn parse_expr(text: &str, lookup: &Lookup<'_>) -> Option<Expr> {
    let NodeEnum::SelectStmt(sel) = parse_first(&format!("SELECT {text}"))? else {
        return None;
    };
    let target = sel.target_list.first()?.node.as_ref()?;
    let NodeEnum::ResTarget(rt) = target else {
        return None;
    };
    Some(convert(rt.val.as_deref()?.node.as_ref()?, lookup))
}

/// Parse `CHECK (…)` as `pg_get_constraintdef` prints it (or a domain's `CHECK (VALUE …)`).
pub fn parse_check(def: &str, lookup: &Lookup<'_>) -> Option<Expr> {
    let body = def.trim();
    let body = body.strip_prefix("CHECK").unwrap_or(body).trim();
    let body = body.strip_suffix("NOT VALID").unwrap_or(body).trim();
    parse_expr(body, lookup)
}

/// An `EXCLUDE` definition: the columns compared with `=`, those compared with `&&`, and the
/// WHERE predicate.
pub fn parse_exclusion(def: &str, lookup: &Lookup<'_>) -> (Vec<usize>, Vec<usize>, Option<Expr>) {
    let mut eq = Vec::new();
    let mut overlap = Vec::new();
    let mut predicate = None;
    let sql = format!("ALTER TABLE t ADD CONSTRAINT c {def}");
    if let Some(NodeEnum::AlterTableStmt(stmt)) = parse_first(&sql) {
        for cmd in &stmt.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                continue;
            };
            let Some(NodeEnum::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref())
            else {
                continue;
            };
            if let Some(w) = c.where_clause.as_deref().and_then(|w| w.node.as_ref()) {
                predicate = Some(convert(w, lookup));
            }
            for ex in &c.exclusions {
                let Some(NodeEnum::List(pair)) = ex.node.as_ref() else {
                    continue;
                };
                let elem = pair.items.first().and_then(|n| n.node.as_ref());
                let op = pair.items.get(1).and_then(|n| n.node.as_ref());
                let col = match elem {
                    Some(NodeEnum::IndexElem(ie)) if !ie.name.is_empty() => lookup(&ie.name),
                    _ => None,
                };
                let op_name = match op {
                    Some(NodeEnum::List(l)) => l
                        .items
                        .iter()
                        .filter_map(|n| match n.node.as_ref() {
                            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                            _ => None,
                        })
                        .next_back()
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                if let Some(col) = col {
                    if op_name == "=" {
                        eq.push(col);
                    } else {
                        overlap.push(col);
                    }
                }
            }
        }
    }
    (eq, overlap, predicate)
}

/// Columns used by the expression keys of a `CREATE UNIQUE INDEX` definition.
pub fn index_expression_columns(def: &str, lookup: &Lookup<'_>) -> Vec<usize> {
    let mut out = Vec::new();
    if let Some(NodeEnum::IndexStmt(stmt)) = parse_first(def) {
        for p in &stmt.index_params {
            if let Some(NodeEnum::IndexElem(ie)) = p.node.as_ref() {
                if let Some(e) = ie.expr.as_deref().and_then(|n| n.node.as_ref()) {
                    columns_of(&convert(e, lookup), &mut out);
                }
            }
        }
    }
    out
}

/// Every column an expression reads.
pub fn columns_of(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::Col(c) => out.push(*c),
        Expr::Cast(a, _) | Expr::Neg(a) | Expr::Not(a) | Expr::IsNull(a, _) => columns_of(a, out),
        Expr::Regex { arg, .. } => columns_of(arg, out),
        Expr::Op(_, a, b) => {
            columns_of(a, out);
            columns_of(b, out);
        }
        Expr::InList(a, l, _) => {
            columns_of(a, out);
            l.iter().for_each(|x| columns_of(x, out));
        }
        Expr::Between(a, b, c, _) => {
            columns_of(a, out);
            columns_of(b, out);
            columns_of(c, out);
        }
        Expr::And(l) | Expr::Or(l) | Expr::Func(_, l) | Expr::Array(l) => {
            l.iter().for_each(|x| columns_of(x, out));
        }
        _ => {}
    }
}

fn names(nodes: &[pg_query::protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn boxed(n: Option<&pg_query::protobuf::Node>, lookup: &Lookup<'_>) -> Box<Expr> {
    Box::new(
        n.and_then(|n| n.node.as_ref())
            .map_or(Expr::Unknown, |n| convert(n, lookup)),
    )
}

fn list(n: Option<&pg_query::protobuf::Node>, lookup: &Lookup<'_>) -> Vec<Expr> {
    match n.and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::List(l)) => l
            .items
            .iter()
            .filter_map(|i| i.node.as_ref())
            .map(|i| convert(i, lookup))
            .collect(),
        Some(other) => match convert(other, lookup) {
            Expr::Array(items) => items,
            Expr::Cast(inner, _) => match *inner {
                Expr::Array(items) => items,
                e => vec![e],
            },
            e => vec![e],
        },
        None => Vec::new(),
    }
}

fn like_to_regex(pattern: &str) -> String {
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

fn regex_expr(arg: Expr, pattern: &str, ci: bool, negated: bool, like: bool) -> Expr {
    let source = if like {
        like_to_regex(pattern)
    } else {
        pattern.to_string()
    };
    match regex::RegexBuilder::new(&source)
        .case_insensitive(ci)
        .size_limit(1 << 20)
        .build()
    {
        Ok(re) => Expr::Regex {
            arg: Box::new(arg),
            pattern: source,
            re: Arc::new(re),
            case_insensitive: ci,
            negated,
        },
        Err(_) => Expr::Unknown,
    }
}

#[allow(clippy::too_many_lines)]
fn convert(node: &NodeEnum, lookup: &Lookup<'_>) -> Expr {
    match node {
        NodeEnum::ColumnRef(c) => {
            let n = names(&c.fields);
            n.last()
                .and_then(|name| lookup(name))
                .map_or(Expr::Unknown, Expr::Col)
        }
        NodeEnum::AConst(c) => {
            if c.isnull {
                return Expr::Null;
            }
            match &c.val {
                Some(a_const::Val::Ival(i)) => Expr::Num(f64::from(i.ival)),
                Some(a_const::Val::Fval(f)) => f.fval.parse().map_or(Expr::Unknown, Expr::Num),
                Some(a_const::Val::Boolval(b)) => Expr::Bool(b.boolval),
                Some(a_const::Val::Sval(s)) => Expr::Str(s.sval.clone()),
                _ => Expr::Unknown,
            }
        }
        NodeEnum::TypeCast(tc) => {
            let ty = tc
                .type_name
                .as_ref()
                .map(|t| {
                    names(&t.names)
                        .last()
                        .cloned()
                        .unwrap_or_default()
                        .to_lowercase()
                })
                .unwrap_or_default();
            let is_array = tc
                .type_name
                .as_ref()
                .is_some_and(|t| !t.array_bounds.is_empty());
            let inner = *boxed(tc.arg.as_deref(), lookup);
            if is_array {
                // '{a,b}'::text[] → an array of strings.
                if let Expr::Str(s) = &inner {
                    let items = s
                        .trim_matches(|c| c == '{' || c == '}')
                        .split(',')
                        .filter(|x| !x.is_empty())
                        .map(|x| Expr::Str(x.trim().trim_matches('"').to_string()))
                        .collect();
                    return Expr::Array(items);
                }
                return inner;
            }
            Expr::Cast(Box::new(inner), ty)
        }
        NodeEnum::AArrayExpr(a) => Expr::Array(
            a.elements
                .iter()
                .filter_map(|e| e.node.as_ref())
                .map(|e| convert(e, lookup))
                .collect(),
        ),
        NodeEnum::SqlvalueFunction(_) => Expr::Now,
        NodeEnum::BoolExpr(b) => {
            let args: Vec<Expr> = b
                .args
                .iter()
                .filter_map(|a| a.node.as_ref())
                .map(|a| convert(a, lookup))
                .collect();
            match BoolExprType::try_from(b.boolop) {
                Ok(BoolExprType::AndExpr) => Expr::And(args),
                Ok(BoolExprType::OrExpr) => Expr::Or(args),
                Ok(BoolExprType::NotExpr) => {
                    Expr::Not(Box::new(args.into_iter().next().unwrap_or(Expr::Unknown)))
                }
                _ => Expr::Unknown,
            }
        }
        NodeEnum::NullTest(n) => Expr::IsNull(
            boxed(n.arg.as_deref(), lookup),
            NullTestType::try_from(n.nulltesttype) == Ok(NullTestType::IsNotNull),
        ),
        NodeEnum::FuncCall(f) => {
            let name = names(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            let args = f
                .args
                .iter()
                .filter_map(|a| a.node.as_ref())
                .map(|a| convert(a, lookup))
                .collect();
            if matches!(
                name.as_str(),
                "now" | "clock_timestamp" | "statement_timestamp" | "transaction_timestamp"
            ) {
                return Expr::Now;
            }
            Expr::Func(name, args)
        }
        NodeEnum::AExpr(a) => {
            let op = names(&a.name).last().cloned().unwrap_or_default();
            let kind = AExprKind::try_from(a.kind).unwrap_or(AExprKind::Undefined);
            let lhs = a.lexpr.as_deref();
            let rhs = a.rexpr.as_deref();
            match kind {
                AExprKind::AexprOp => {
                    if lhs.is_none() && op == "-" {
                        return Expr::Neg(boxed(rhs, lookup));
                    }
                    let l = *boxed(lhs, lookup);
                    let r = *boxed(rhs, lookup);
                    if let ("~" | "~*" | "!~" | "!~*", Expr::Str(p)) = (op.as_str(), strip(&r)) {
                        return regex_expr(l, p, op.contains('*'), op.starts_with('!'), false);
                    }
                    if let ("~~" | "~~*" | "!~~" | "!~~*", Expr::Str(p)) = (op.as_str(), strip(&r))
                    {
                        return regex_expr(l, p, op.contains('*'), op.starts_with('!'), true);
                    }
                    Expr::Op(op, Box::new(l), Box::new(r))
                }
                AExprKind::AexprLike | AExprKind::AexprIlike => {
                    let l = *boxed(lhs, lookup);
                    match strip(&boxed(rhs, lookup)) {
                        Expr::Str(p) => regex_expr(
                            l,
                            p,
                            kind == AExprKind::AexprIlike,
                            op.starts_with('!'),
                            true,
                        ),
                        _ => Expr::Unknown,
                    }
                }
                AExprKind::AexprOpAny | AExprKind::AexprIn if op == "=" => {
                    Expr::InList(boxed(lhs, lookup), list(rhs, lookup), false)
                }
                AExprKind::AexprOpAll | AExprKind::AexprIn if op == "<>" => {
                    Expr::InList(boxed(lhs, lookup), list(rhs, lookup), true)
                }
                AExprKind::AexprBetween | AExprKind::AexprNotBetween => {
                    let bounds = list(rhs, lookup);
                    let mut it = bounds.into_iter();
                    Expr::Between(
                        boxed(lhs, lookup),
                        Box::new(it.next().unwrap_or(Expr::Unknown)),
                        Box::new(it.next().unwrap_or(Expr::Unknown)),
                        kind == AExprKind::AexprNotBetween,
                    )
                }
                _ => Expr::Unknown,
            }
        }
        NodeEnum::CoalesceExpr(c) => Expr::Func(
            "coalesce".into(),
            c.args
                .iter()
                .filter_map(|a| a.node.as_ref())
                .map(|a| convert(a, lookup))
                .collect(),
        ),
        _ => Expr::Unknown,
    }
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
                if compare(&v, &iv) == Some(std::cmp::Ordering::Equal) {
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
    /// Array column: elements from this list.
    pub subset_of: Option<Vec<V>>,
    pub not_null: bool,
    /// `self >= other` (strict for `>`).
    pub ge: Vec<(usize, bool)>,
    /// `self <= other`.
    pub le: Vec<(usize, bool)>,
    /// `self = expression over other columns`.
    pub equals: Option<Expr>,
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
    match c {
        Expr::And(items) => items.iter().for_each(|i| hint_one(i, out)),
        Expr::IsNull(a, true) => {
            if let Expr::Col(i) = strip(a) {
                out[*i].not_null = true;
            }
        }
        Expr::InList(a, items, false) => {
            if let Expr::Col(i) = strip(a) {
                let lits: Option<Vec<V>> = items.iter().map(literal).collect();
                if let Some(l) = lits {
                    out[*i].choices = Some(l);
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &'static [&'static str]) -> impl Fn(&str) -> Option<usize> {
        move |n| names.iter().position(|x| *x == n)
    }

    #[test]
    fn in_lists_and_comparisons_become_hints() {
        let l = cols(&["status", "total", "subtotal", "discount", "tax", "steps"]);
        let a = parse_check(
            "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))",
            &l,
        )
        .expect("parses");
        let b = parse_check("CHECK ((total = ((subtotal - discount) + tax)))", &l).expect("parses");
        let c = parse_check("CHECK (((steps > 0) AND (steps <= 150)))", &l).expect("parses");
        let h = hints(&[&a, &b, &c], 6);
        assert_eq!(
            h[0].choices,
            Some(vec![V::Str("a".into()), V::Str("b".into())])
        );
        assert!(h[1].equals.is_some());
        assert_eq!(h[5].min, Some((0.0, true)));
        assert_eq!(h[5].max, Some((150.0, false)));
        let row = vec![
            Value::Text("a".into()),
            Value::I32(12),
            Value::I32(10),
            Value::I32(1),
            Value::I32(3),
            Value::I32(5),
        ];
        assert_eq!(eval(&a, &row), V::Bool(true));
        assert_eq!(eval(&b, &row), V::Bool(true));
        assert_eq!(eval(&c, &row), V::Bool(true));
    }

    #[test]
    fn regexes_and_conditional_orderings() {
        let l = cols(&["email", "created_at", "started_at"]);
        let e = parse_check(
            "CHECK (((email)::text ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$'::text))",
            &l,
        )
        .expect("parses");
        let o = parse_check(
            "CHECK (((started_at IS NULL) OR (started_at >= created_at)))",
            &l,
        )
        .expect("parses");
        let h = hints(&[&e, &o], 3);
        assert_eq!(h[0].regexes.len(), 1);
        assert_eq!(h[2].ge, vec![(1, false)]);
        let row = vec![
            Value::Text("kim.minji@example.com".into()),
            Value::Timestamp(10),
            Value::Null,
        ];
        assert_eq!(eval(&e, &row), V::Bool(true));
        assert_eq!(eval(&o, &row), V::Bool(true));
    }

    #[test]
    fn unsupported_functions_are_unknown() {
        let l = cols(&["x"]);
        let e = parse_check("CHECK ((my_func(x) > 0))", &l).expect("parses");
        assert_eq!(eval(&e, &[Value::I32(1)]), V::Unknown);
    }
}
