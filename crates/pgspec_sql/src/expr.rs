//! Expressions the catalog prints (CHECK constraints, index predicates, exclusion and index
//! definitions, as `pg_get_constraintdef` / `pg_get_indexdef` give them), read with
//! PostgreSQL's own parser into pgspec's own small expression type over one row's columns.
//! `pgspec_seed` evaluates them on generated rows; this module only reads them.

use std::sync::Arc;

use regex::Regex;

use crate::ast::pb::{a_const, AExprKind, BoolExprType, NullTestType};
use crate::ast::{self, NodeEnum};

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

/// Resolves a column name to its index in the row.
pub type Lookup<'a> = dyn Fn(&str) -> Option<usize> + 'a;

/// The first statement of a text pgspec builds around the catalog's (`SELECT <expr>`, …).
fn parse_first(sql: &str) -> Option<NodeEnum> {
    let tree = ast::parse(sql)?;
    ast::first(&tree).cloned()
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

/// Whether `text` is one SQL scalar expression (what a `CHECK (…)` written in a column
/// table's cell must be before pgspec puts it into the table it generates).
pub fn is_expression(text: &str) -> bool {
    if text.contains(';') {
        return false;
    }
    let Some(NodeEnum::SelectStmt(sel)) = parse_first(&format!("SELECT ({text})")) else {
        return false;
    };
    sel.target_list.len() == 1 && sel.from_clause.is_empty()
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

/// The expression keys of a `CREATE UNIQUE INDEX` definition (`lower(email)`), in order.
pub fn index_expressions(def: &str, lookup: &Lookup<'_>) -> Vec<Expr> {
    let mut out = Vec::new();
    if let Some(NodeEnum::IndexStmt(stmt)) = parse_first(def) {
        for p in &stmt.index_params {
            if let Some(NodeEnum::IndexElem(ie)) = p.node.as_ref() {
                if let Some(e) = ie.expr.as_deref().and_then(|n| n.node.as_ref()) {
                    out.push(convert(e, lookup));
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

fn names(nodes: &[crate::ast::pb::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match n.node.as_ref() {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

fn boxed(n: Option<&crate::ast::pb::Node>, lookup: &Lookup<'_>) -> Box<Expr> {
    Box::new(
        n.and_then(|n| n.node.as_ref())
            .map_or(Expr::Unknown, |n| convert(n, lookup)),
    )
}

fn list(n: Option<&crate::ast::pb::Node>, lookup: &Lookup<'_>) -> Vec<Expr> {
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

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(inner, _) => strip(inner),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &'static [&'static str]) -> impl Fn(&str) -> Option<usize> {
        move |n| names.iter().position(|x| *x == n)
    }

    #[test]
    fn checks_as_the_catalog_prints_them() {
        let l = cols(&["status", "steps", "email"]);
        let e = parse_check(
            "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))",
            &l,
        )
        .expect("parses");
        let Expr::InList(column, items, false) = e else {
            panic!("an IN list: {e:?}");
        };
        assert!(
            matches!(*column, Expr::Cast(ref c, ref t) if matches!(**c, Expr::Col(0)) && t == "text")
        );
        assert_eq!(items.len(), 2);
        let e =
            parse_check("CHECK (((steps > 0) AND (steps <= 150))) NOT VALID", &l).expect("parses");
        let Expr::And(parts) = e else {
            panic!("a conjunction: {e:?}");
        };
        assert!(
            matches!(&parts[0], Expr::Op(op, a, b) if op == ">" && matches!(**a, Expr::Col(1)) && matches!(**b, Expr::Num(n) if n == 0.0))
        );
        let e = parse_check("CHECK ((email ~* '^[a-z]+@x$'::text))", &l).expect("parses");
        assert!(matches!(
            e,
            Expr::Regex {
                case_insensitive: true,
                negated: false,
                ..
            }
        ));
        assert!(parse_check("CHECK ((", &l).is_none());
        // An unknown column is not a column.
        assert!(
            matches!(parse_expr("nope > 1", &l), Some(Expr::Op(_, a, _)) if matches!(*a, Expr::Unknown))
        );
    }

    #[test]
    fn exclusions_and_index_expressions() {
        let l = cols(&["room", "during", "email"]);
        let (eq, overlap, predicate) = parse_exclusion(
            "EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room IS NOT NULL)",
            &l,
        );
        assert_eq!((eq, overlap), (vec![0], vec![1]));
        assert!(matches!(predicate, Some(Expr::IsNull(_, true))));
        assert_eq!(
            index_expression_columns(
                "CREATE UNIQUE INDEX u ON public.t USING btree (lower((email)::text))",
                &l
            ),
            vec![2]
        );
    }
}
