//! CHECKs over several columns at once: how many of a group must be set, and day arithmetic
//! on date columns.

use super::{conjuncts, flip, literal, strip, Expr, V};

/// `date_col + 30` counts days: the integer becomes microseconds (what pgspec evaluates dates
/// in), so the comparison it sits in is judged as the server judges it.
pub fn date_days(e: Expr, is_date: &dyn Fn(usize) -> bool) -> Expr {
    let go = |x: Box<Expr>| Box::new(date_days(*x, is_date));
    let all = |v: Vec<Expr>| v.into_iter().map(|x| date_days(x, is_date)).collect();
    match e {
        Expr::Op(op, a, b) if op == "+" || op == "-" => {
            let date = |x: &Expr| matches!(strip(x), Expr::Col(i) if is_date(*i));
            let days = |x: Expr| match x {
                Expr::Num(n) =>
                {
                    #[allow(clippy::cast_precision_loss)]
                    Expr::Num(n * crate::values::DAY_MICROS as f64)
                }
                other => date_days(other, is_date),
            };
            if date(&a) {
                Expr::Op(op, a, Box::new(days(*b)))
            } else if date(&b) && op == "+" {
                Expr::Op(op, Box::new(days(*a)), b)
            } else {
                Expr::Op(op, go(a), go(b))
            }
        }
        Expr::Op(op, a, b) => Expr::Op(op, go(a), go(b)),
        Expr::Cast(a, t) => Expr::Cast(go(a), t),
        Expr::Neg(a) => Expr::Neg(go(a)),
        Expr::Not(a) => Expr::Not(go(a)),
        Expr::IsNull(a, n) => Expr::IsNull(go(a), n),
        Expr::InList(a, l, n) => Expr::InList(go(a), all(l), n),
        Expr::Between(a, b, c, n) => Expr::Between(go(a), go(b), go(c), n),
        Expr::And(l) => Expr::And(all(l)),
        Expr::Or(l) => Expr::Or(all(l)),
        Expr::Func(f, l) => Expr::Func(f, all(l)),
        Expr::Array(l) => Expr::Array(all(l)),
        Expr::Regex {
            arg,
            pattern,
            re,
            case_insensitive,
            negated,
        } => Expr::Regex {
            arg: go(arg),
            pattern,
            re,
            case_insensitive,
            negated,
        },
        other => other,
    }
}

/// How many of `columns` must be set: `num_nonnulls(a, b) = 1`, `num_nulls(…) <= 1`,
/// `coalesce(a, b) IS NOT NULL`, `a IS NOT NULL OR b IS NOT NULL`.
#[derive(Clone, Debug, PartialEq)]
pub struct SetCount {
    pub columns: Vec<usize>,
    pub min: usize,
    pub max: usize,
}

/// The [`SetCount`]s the CHECK expressions state.
pub fn set_counts(checks: &[&Expr]) -> Vec<SetCount> {
    let mut all = Vec::new();
    for c in checks {
        conjuncts(c, &mut all);
    }
    let plain = |args: &[Expr]| -> Option<Vec<usize>> {
        args.iter()
            .map(|a| match strip(a) {
                Expr::Col(i) => Some(*i),
                _ => None,
            })
            .collect()
    };
    let mut out = Vec::new();
    for c in all {
        match c {
            Expr::IsNull(a, true) => {
                if let Expr::Func(f, args) = strip(a) {
                    if let (true, Some(columns)) = (f == "coalesce", plain(args)) {
                        let max = columns.len();
                        out.push(SetCount {
                            columns,
                            min: 1,
                            max,
                        });
                    }
                }
            }
            Expr::Or(items) => {
                let columns: Option<Vec<usize>> = items
                    .iter()
                    .map(|i| match i {
                        Expr::IsNull(a, true) => match strip(a) {
                            Expr::Col(c) => Some(*c),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                if let Some(columns) = columns {
                    let max = columns.len();
                    out.push(SetCount {
                        columns,
                        min: 1,
                        max,
                    });
                }
            }
            Expr::Op(op, a, b) => {
                let (f, op, n) = match (strip(a), literal(b), strip(b), literal(a)) {
                    (Expr::Func(f, args), Some(V::Num(n)), _, _) => ((f, args), op.as_str(), n),
                    (_, _, Expr::Func(f, args), Some(V::Num(n))) => ((f, args), flip(op), n),
                    _ => continue,
                };
                let ((name, args), Some(columns)) = (f, plain(f.1)) else {
                    continue;
                };
                if name != "num_nonnulls" && name != "num_nulls" || n < 0.0 || n.fract() != 0.0 {
                    continue;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = n as usize;
                let len = args.len();
                let (lo, hi) = match op {
                    "=" => (n, n),
                    ">=" => (n, len),
                    ">" => (n + 1, len),
                    "<=" => (0, n),
                    "<" if n > 0 => (0, n - 1),
                    _ => continue,
                };
                // num_nulls counts the other way.
                let (min, max) = if name == "num_nulls" {
                    (len.saturating_sub(hi), len.saturating_sub(lo))
                } else {
                    (lo, hi.min(len))
                };
                if min <= max {
                    out.push(SetCount { columns, min, max });
                }
            }
            _ => {}
        }
    }
    out
}

/// Pairs of columns a CHECK wants NULL together: `(a IS NULL) = (b IS NULL)`, also spelled with
/// `IS NOT NULL` on both sides.
pub fn null_pairs(checks: &[&Expr]) -> Vec<(usize, usize)> {
    let mut all = Vec::new();
    for c in checks {
        conjuncts(c, &mut all);
    }
    let null_test = |e: &Expr| match strip(e) {
        Expr::IsNull(a, not) => match strip(a) {
            Expr::Col(i) => Some((*i, *not)),
            _ => None,
        },
        _ => None,
    };
    all.into_iter()
        .filter_map(|c| match c {
            Expr::Op(op, a, b) if op == "=" => match (null_test(a), null_test(b)) {
                (Some((x, p)), Some((y, q))) if p == q && x != y => Some((x, y)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The `column = literal` tests inside a CHECK, at any depth (`(debit = 0) <> (credit = 0)`,
/// `debit = 0 OR credit = 0`, `(kind = 'in' AND qty > 0) OR …`): values a row that fails the
/// CHECK can take in one column to pass it, where random values almost never hit them.
pub fn equal_literals(e: &Expr) -> Vec<(usize, V)> {
    let mut out = Vec::new();
    collect_equal_literals(e, &mut out);
    out
}

fn collect_equal_literals(e: &Expr, out: &mut Vec<(usize, V)>) {
    let mut push = |i: usize, v: V| {
        if !out.iter().any(|(j, w)| *j == i && *w == v) {
            out.push((i, v));
        }
    };
    match e {
        Expr::Op(op, a, b) if op == "=" => match (strip(a), strip(b)) {
            (Expr::Col(i), _) if literal(b).is_some() => push(*i, literal(b).unwrap_or(V::Null)),
            (_, Expr::Col(i)) if literal(a).is_some() => push(*i, literal(a).unwrap_or(V::Null)),
            _ => {
                collect_equal_literals(a, out);
                collect_equal_literals(b, out);
            }
        },
        Expr::Op(_, a, b) => {
            collect_equal_literals(a, out);
            collect_equal_literals(b, out);
        }
        Expr::Not(a) | Expr::Cast(a, _) => collect_equal_literals(a, out),
        Expr::And(items) | Expr::Or(items) => {
            items.iter().for_each(|i| collect_equal_literals(i, out));
        }
        _ => {}
    }
}
