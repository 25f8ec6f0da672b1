//! Constraints reject what they claim to reject: a duplicate of a real row where a UNIQUE
//! constraint, unique index or equality EXCLUDE constraint is declared (partial ones with a row
//! inside their predicate), and an out-of-list or out-of-range value where a CHECK names one.

use serde_json::json;

use crate::seed::bounded::{self, statement_bound, DocumentConnection};

use crate::seed::expr::{self, V};
use crate::seed::plan::{quote_ident, ColType, Plan, Table};
use crate::text::TextRange;

use super::{Claim, ClaimKind, Claims, Status};

use crate::sql::quote::quote_literal as lit;

/// Whether the server's constraint name is `constraint` (or, on a partitioned table, the
/// partition's copy of it: `orders_pkey` → `orders_2025_01_pkey`).
fn same_constraint(reported: &str, constraint: &str, table: &str) -> bool {
    reported == constraint
        || constraint.strip_prefix(table).is_some_and(|suffix| {
            !suffix.is_empty() && reported.starts_with(table) && reported.ends_with(suffix)
        })
}

fn expect(
    app: &mut DocumentConnection<'_>,
    sql: &str,
    codes: &[&str],
    constraint: &str,
    table: &str,
) -> (Status, Option<String>, serde_json::Value) {
    let ran =
        app.run_each(
            statement_bound(),
            |app,
             tick|
             -> Result<
                Result<u64, crate::postgres::client::Error>,
                crate::postgres::client::Error,
            > {
                tick.next();
                let mut tx = app.transaction()?;
                tx.batch_execute(&bounded::set_statement_timeout(true, statement_bound()))?;
                tick.next();
                let done = tx.execute(sql, &[]);
                tick.next();
                drop(tx);
                Ok(done)
            },
        );
    // A statement stopped at its bound (a trigger that loops) leaves the claim unchecked.
    let stopped = match &ran {
        Ok(r) => r.stop(
            r.value
                .as_ref()
                .ok()
                .and_then(|v| v.as_ref().err())
                .or(r.value.as_ref().err()),
        ),
        Err(_) => None,
    };
    if let Some(stop) = stopped {
        return (
            Status::Skipped,
            Some(format!("the statement {stop}")),
            json!({"statement": sql}),
        );
    }
    let result = match ran {
        Ok(r) => r.value,
        Err(e) => {
            return (
                Status::Skipped,
                Some(format!("was not run: {e}")),
                json!({"statement": sql}),
            )
        }
    };
    match result {
        Err(e) => (
            Status::Skipped,
            Some(crate::postgres::cluster::error_text(&e)),
            json!({"statement": sql}),
        ),
        Ok(Ok(0)) => (
            Status::Skipped,
            Some("no row to test with".into()),
            json!({"statement": sql}),
        ),
        Ok(Ok(n)) => (
            Status::Fail,
            Some(format!(
                "the statement succeeded ({n} row): `{constraint}` did not reject it"
            )),
            json!({"statement": sql, "rows": n}),
        ),
        Ok(Err(e)) => match e.as_db_error() {
            Some(d)
                if codes.contains(&d.code().code())
                    && (d.constraint()
                        .is_none_or(|c| same_constraint(c, constraint, table))
                        // A domain's CHECK reports the domain's constraint, on the type.
                        || (constraint.starts_with(crate::seed::plan::DOMAIN_CHECK_PREFIX) && d.datatype().is_some())) =>
            {
                (
                    Status::Pass,
                    None,
                    json!({"statement": sql, "sqlstate": d.code().code(), "error": d.message(), "constraint": d.constraint()}),
                )
            }
            Some(d) => (
                Status::Skipped,
                Some(format!("{ANOTHER_ERROR}{}", d.message())),
                json!({"statement": sql, "sqlstate": d.code().code(), "error": d.message(), "constraint": d.constraint()}),
            ),
            None => (
                Status::Skipped,
                Some(e.to_string()),
                json!({"statement": sql}),
            ),
        },
    }
}

/// The rows a duplicate of key `target` can be made from: the key all set, inside the partial
/// index's `predicate`.
fn key_rows(t: &Table, target: &[usize], predicate: Option<&str>) -> String {
    let mut filter = target
        .iter()
        .map(|i| format!("{} IS NOT NULL", quote_ident(&t.columns[*i].name)))
        .collect::<Vec<_>>()
        .join(" AND ");
    if let Some(p) = predicate {
        filter = format!("{filter} AND ({p})");
    }
    filter
}

/// How a skip because the probe broke another rule first starts.
const ANOTHER_ERROR: &str = "another error came first: ";

/// An UPDATE that gives one row the key `target` of another row (both inside the partial
/// index's `predicate`), leaving every other column as it was; `None` when a key column
/// cannot be updated (identity, generated).
fn duplicate_by_update_sql(t: &Table, target: &[usize], predicate: Option<&str>) -> Option<String> {
    if target
        .iter()
        .any(|i| t.columns[*i].identity || t.columns[*i].generated)
    {
        return None;
    }
    let qt = t.qualified();
    let keys: Vec<String> = target
        .iter()
        .map(|i| quote_ident(&t.columns[*i].name))
        .collect();
    let filter = key_rows(t, target, predicate);
    let set: Vec<String> = keys
        .iter()
        .map(|k| format!("{k} = pgspec_source.{k}"))
        .collect();
    Some(format!(
        "UPDATE {qt} SET {} FROM (SELECT {}, ctid AS pgspec_row FROM {qt} WHERE {filter} LIMIT 1) AS pgspec_source \
         WHERE {qt}.ctid = (SELECT ctid FROM {qt} WHERE {filter} AND ctid <> pgspec_source.pgspec_row LIMIT 1)",
        set.join(", "),
        keys.join(", "),
    ))
}

fn predicate_sql(def: &str) -> Option<String> {
    // `… WHERE (pred)` at the end of an index or EXCLUDE definition.
    let at = def.rfind(" WHERE ")?;
    Some(def[at + 7..].trim().to_string())
}

/// A fresh value for text column `ci` of `t`: the first of some generated values (which keep
/// the column's length, regex and list CHECKs) that no row has.
fn fresh_text(t: &Table, ci: usize) -> Option<String> {
    let mut gen = crate::seed::gen::Generator::new(
        t,
        0x7e57,
        false,
        crate::seed::values::today_micros(),
        &[],
    );
    let candidates = gen.fresh_texts(ci, 12);
    if candidates.is_empty() {
        return None;
    }
    let q = quote_ident(&t.columns[ci].name);
    Some(format!(
        "(SELECT pgspec_v::{ty} FROM unnest(ARRAY[{list}]::text[]) AS pgspec_v \
         WHERE NOT EXISTS (SELECT 1 FROM {qt} WHERE {q}::text = pgspec_v) LIMIT 1)",
        ty = t.columns[ci].type_sql,
        list = candidates
            .iter()
            .map(|c| lit(c))
            .collect::<Vec<_>>()
            .join(", "),
        qt = t.qualified(),
    ))
}

/// Key columns a unique index compares without case (`lower(email)`, `upper(code)`), each
/// with the function that changes the case of its first letter the other way.
fn case_blind_keys(t: &Table, def: &str) -> Vec<(usize, &'static str)> {
    if !def.starts_with("CREATE UNIQUE INDEX") {
        return Vec::new();
    }
    fn column(e: &expr::Expr) -> Option<usize> {
        match e {
            expr::Expr::Col(i) => Some(*i),
            expr::Expr::Cast(inner, _) => column(inner),
            _ => None,
        }
    }
    let lookup = |n: &str| t.column_named(n);
    expr::index_expressions(def, &lookup)
        .iter()
        .filter_map(|e| match e {
            expr::Expr::Func(f, args) if args.len() == 1 => {
                let other = match f.as_str() {
                    "lower" => "upper",
                    "upper" => "lower",
                    _ => return None,
                };
                column(&args[0]).map(|i| (i, other))
            }
            _ => None,
        })
        .collect()
}

fn duplicate_sql(
    t: &Table,
    target: &[usize],
    predicate: Option<&str>,
    case_blind: &[(usize, &str)],
) -> String {
    let qt = t.qualified();
    // Every other unique set gets one of its columns changed, so that the target constraint
    // is the one the duplicate meets: a column with a default (omitted), a nullable one (NULL),
    // else one no CHECK mentions (a fresh value).
    let mentioned = |i: usize| {
        let name = &t.columns[i].name;
        t.checks
            .iter()
            .any(|c| c.definition.contains(name.as_str()))
    };
    let mut omit = Vec::new();
    let mut null = Vec::new();
    let mut fresh = Vec::new();
    for u in &t.uniques {
        let others: Vec<usize> = u
            .columns
            .iter()
            .copied()
            .filter(|c| !target.contains(c))
            .collect();
        if others.is_empty()
            || others
                .iter()
                .any(|c| omit.contains(c) || null.contains(c) || fresh.contains(c))
        {
            continue;
        }
        if let Some(c) = others.iter().copied().find(|c| t.columns[*c].has_default) {
            omit.push(c);
        } else if let Some(c) = others.iter().copied().find(|c| !t.columns[*c].not_null) {
            null.push(c);
        } else if let Some(c) = others
            .iter()
            .copied()
            .find(|c| !mentioned(*c))
            .or_else(|| others.first().copied())
        {
            fresh.push(c);
        }
    }
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        if c.generated || omit.contains(&i) || (c.identity && !target.contains(&i)) {
            continue;
        }
        let q = quote_ident(&c.name);
        let e = if let Some((_, f)) = case_blind.iter().find(|(c, _)| *c == i) {
            // The same key in another case: what the index compares is still equal.
            format!("{f}(left({q}, 1)) || substr({q}, 2)")
        } else if null.contains(&i) {
            "NULL".to_string()
        } else if fresh.contains(&i) {
            match &c.ty {
                ColType::Text { .. } => fresh_text(t, i)
                    .unwrap_or_else(|| format!("left(md5(random()::text), 12) || {q}")),
                ColType::Uuid => "gen_random_uuid()".into(),
                ColType::Int2 | ColType::Int4 | ColType::Int8 => format!("{q} + 1000000000"),
                ColType::Timestamptz | ColType::Timestamp => {
                    format!("{q} + interval '1 microsecond'")
                }
                _ => q.clone(),
            }
        } else {
            q.clone()
        };
        cols.push(q);
        exprs.push(e);
    }
    let filter = key_rows(t, target, predicate);
    let identity = target.iter().any(|i| t.columns[*i].identity);
    format!(
        "INSERT INTO {qt} ({}){} SELECT {} FROM {qt} WHERE {filter} LIMIT 1",
        cols.join(", "),
        if identity {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        },
        exprs.join(", ")
    )
}

/// Claims for the unique and CHECK constraints of every table.
pub fn run(
    app: &mut DocumentConnection<'_>,
    catalog: &Plan,
    definitions: &std::collections::HashMap<(i64, String), String>,
    locate: &dyn Fn(&Table, &str) -> (u32, TextRange),
    claims: &mut Claims<'_>,
) {
    for t in &catalog.tables {
        if t.schema == "auth" || t.schema == "storage" || t.schema == "net" {
            continue;
        }
        for u in &t.uniques {
            let (line, range) = locate(t, &u.name);
            let cols: Vec<&str> = u
                .columns
                .iter()
                .map(|c| t.columns[*c].name.as_str())
                .collect();
            let def = definitions
                .get(&(t.oid, u.name.clone()))
                .cloned()
                .unwrap_or_default();
            let predicate = if u.predicate.is_some() {
                predicate_sql(&def)
            } else {
                None
            };
            let case_blind = case_blind_keys(t, &def);
            let sql = duplicate_sql(t, &u.columns, predicate.as_deref(), &case_blind);
            let codes = ["23505", "23P01"];
            let (mut status, mut reason, mut evidence) =
                expect(app, &sql, &codes, &u.name, &t.name);
            if status == Status::Skipped
                && reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(ANOTHER_ERROR))
            {
                // The new row broke something else first (a fresh value too long for its
                // column, or against a CHECK): give one existing row another's key instead,
                // which changes nothing else.
                if let Some(update) = duplicate_by_update_sql(t, &u.columns, predicate.as_deref()) {
                    let second = expect(app, &update, &codes, &u.name, &t.name);
                    if second.0 != Status::Skipped {
                        (status, reason, evidence) = second;
                    }
                }
            }
            claims.push(Claim {
                kind: ClaimKind::Constraint,
                line,
                title: format!(
                    "`{}` rejects a duplicate ({}){} in {}{}",
                    u.name,
                    cols.join(", "),
                    if case_blind.is_empty() {
                        ""
                    } else {
                        " in another case"
                    },
                    t.display_name(),
                    predicate
                        .as_deref()
                        .map(|p| format!(" where {p}"))
                        .unwrap_or_default()
                ),
                status,
                reason,
                evidence,
                range,
            });
        }
        for c in &t.checks {
            let Some(breach) = c.expr.as_ref().and_then(|e| check_breach(t, e)) else {
                continue;
            };
            let col = &t.columns[breach.column];
            // A row whose other column is set, for a CHECK that compares the two.
            let row = breach.beside.map_or_else(String::new, |o| {
                format!(" WHERE {} IS NOT NULL", quote_ident(&t.columns[o].name))
            });
            let sql = format!(
                "WITH one AS (SELECT tableoid, ctid FROM {qt}{row} LIMIT 1) UPDATE {qt} SET {q} = {bad} FROM one WHERE {qt}.tableoid = one.tableoid AND {qt}.ctid = one.ctid",
                qt = t.qualified(),
                q = quote_ident(&col.name),
                bad = breach.value,
            );
            let (line, range) = locate(t, &c.name);
            let (status, reason, evidence) = expect(app, &sql, &["23514"], &c.reported_as, &t.name);
            claims.push(Claim {
                kind: ClaimKind::Constraint,
                line,
                title: format!(
                    "`{}` rejects {} {} in {}",
                    c.name,
                    col.name,
                    breach.words,
                    t.display_name()
                ),
                status,
                reason,
                evidence,
                range,
            });
        }
    }
}

/// A value that a CHECK must reject: for `column`, `value` (SQL over the row being updated),
/// described as `words` (`= 'pgspec-invalid'`, `equal to starts_at`); `beside` the column the
/// CHECK compares it with, which must be set in the row for the CHECK to judge.
struct Breach {
    column: usize,
    value: String,
    words: String,
    beside: Option<usize>,
}

/// The [`Breach`] of CHECK `e` of `t`: a value outside a column's list or bounds, or a column
/// put on the wrong side of the one the CHECK orders it against. None when pgspec knows none.
fn check_breach(t: &Table, e: &expr::Expr) -> Option<Breach> {
    let h = expr::hints(&[e], t.columns.len());
    let Some((ci, hint)) = h
        .iter()
        .enumerate()
        .find(|(_, h)| h.choices.is_some() || h.min.is_some() || h.max.is_some())
    else {
        // A CHECK that orders two columns (`ends_at > starts_at`).
        return h.iter().enumerate().find_map(|(ci, h)| {
            let (other, value, words) = ordering_breach(t, ci, h)?;
            Some(Breach {
                column: ci,
                value,
                words,
                beside: Some(other),
            })
        });
    };
    let bad = match (&t.columns[ci].ty, &hint.choices) {
        (ColType::Text { max_len, .. }, Some(choices))
            if choices.iter().all(|v| matches!(v, V::Str(_))) =>
        {
            let mut v = "pgspec-invalid".to_string();
            if let Some(m) = max_len {
                v.truncate((*m).max(1));
            }
            if choices.contains(&V::Str(v.clone())) {
                return None;
            }
            lit(&v)
        }
        (
            ColType::Int2
            | ColType::Int4
            | ColType::Int8
            | ColType::Numeric { .. }
            | ColType::Float4
            | ColType::Float8,
            None,
        ) => match (hint.min, hint.max) {
            (Some((m, _)), _) => format!("{}", m - 1.0),
            (None, Some((m, _))) => format!("{}", m + 1.0),
            _ => return None,
        },
        _ => return None,
    };
    Some(Breach {
        column: ci,
        words: format!("= {bad}"),
        value: bad,
        beside: None,
    })
}

/// For a CHECK that orders column `ci` against another (`ci > other`, `ci <= other`): the
/// other column, the value of `ci` that breaks the order, as SQL over the row being updated
/// (the other column's value for `>`, one step below it for `>=`), and what that value is in
/// words. None for types without a step.
fn ordering_breach(t: &Table, ci: usize, h: &expr::Hints) -> Option<(usize, String, String)> {
    let (other, strict, above) =
        h.ge.first()
            .map(|(o, s)| (*o, *s, true))
            .or_else(|| h.le.first().map(|(o, s)| (*o, *s, false)))?;
    // The step is taken from the other column: the value written is `other - step`, and
    // PostgreSQL casts it to this column's type on assignment (`day >= created_at::date`
    // sets `day` from a timestamptz).
    let own_is_time = matches!(t.columns.get(ci)?.ty, ColType::Time);
    let step = match t.columns.get(other)?.ty {
        _ if own_is_time => None,
        ColType::Int2
        | ColType::Int4
        | ColType::Int8
        | ColType::Numeric { .. }
        | ColType::Float4
        | ColType::Float8
        | ColType::Date => Some("1"),
        ColType::Timestamp | ColType::Timestamptz => Some("interval '1 day'"),
        // A step on a time of day can go round midnight: only equal is sure to break.
        ColType::Time => None,
        _ => return None,
    };
    let name = &t.columns.get(other)?.name;
    let value = format!("{}.{}", t.qualified(), quote_ident(name));
    // Equal breaks a strict order; one step to the wrong side breaks the other.
    Some(match (strict, above, step) {
        (true, _, _) => (other, value, format!("equal to {name}")),
        (false, true, Some(step)) => (other, format!("{value} - {step}"), format!("below {name}")),
        (false, false, Some(step)) => (other, format!("{value} + {step}"), format!("above {name}")),
        (false, _, None) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::same_constraint;

    #[test]
    fn partition_copies_of_a_constraint_match() {
        assert!(same_constraint("orders_pkey", "orders_pkey", "orders"));
        assert!(same_constraint(
            "orders_y2025m01_pkey",
            "orders_pkey",
            "orders"
        ));
        assert!(!same_constraint(
            "orders_y2025m01_pkey",
            "orders_code_key",
            "orders"
        ));
    }
}
