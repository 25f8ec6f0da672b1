//! Example queries: found in SQL blocks (statements of kind Example) and in other code blocks
//! (SQL inside TypeScript/Python snippets); parameters and placeholder literals bound to real
//! values sampled from the seeded tables; run under EXPLAIN ANALYZE; and, where the text around
//! them names an index or a scan type, checked for that plan: "usable" (sequential scans off)
//! and "chosen" (the planner's own choice on ANALYZEd data). Finding them is
//! [`crate::found`]'s.

use crate::sql::quote::quote_literal;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Value as Json};

use crate::postgres::catalog::probes;
use crate::seed::bounded::{self, statement_bound, DocumentConnection};
use crate::seed::plan::{quote_ident, Plan, Table};
use crate::sql::is_placeholder;
use crate::text::TextRange;

use super::{Claim, ClaimKind, Claims, Status};
pub use crate::found::{find, FoundQuery};

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("invariant: the pattern is valid"))
}

/// What the context claims about the plan.
#[derive(Clone, Debug, Default)]
struct PlanClaim {
    indexes: Vec<String>,
    index_only: bool,
    any_index: bool,
    claimed_ms: Option<f64>,
}

fn plan_claim(context: &str, catalog_indexes: &[String]) -> PlanClaim {
    static MS: OnceLock<Regex> = OnceLock::new();
    let lower = context.to_lowercase();
    let mut c = PlanClaim::default();
    // Identifiers as PostgreSQL reads them: letters of any script (`kb_文章_检索_gin`,
    // `kunden_größe_idx`), digits, `_` and `$`, not starting with a digit.
    let words = context
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        });
    for word in words {
        let name = word.to_lowercase();
        if catalog_indexes.contains(&name) && !c.indexes.contains(&name) {
            c.indexes.push(name);
        }
    }
    c.index_only = lower.contains("index only")
        || lower.contains("index-only")
        || lower.contains("covering")
        || lower.contains("커버링");
    c.any_index = !c.indexes.is_empty()
        || c.index_only
        || lower.contains("index scan")
        || lower.contains("bitmap")
        || lower.contains("인덱스");
    c.claimed_ms = re(&MS, r"(?i)(\d+(?:\.\d+)?)\s*ms\b")
        .captures_iter(context)
        .filter_map(|cap| cap.get(1)?.as_str().parse().ok())
        .last();
    c
}

/// Node types and index names anywhere in an EXPLAIN (FORMAT JSON) plan. An index counts
/// as serving the query only with an index condition (or when it provides the order); with
/// sequential scans disabled any index can be read in full, which proves nothing.
fn plan_nodes(plan: &Json, out: &mut Vec<(String, Option<String>)>) {
    if let Some(obj) = plan.as_object() {
        if let Some(t) = obj.get("Node Type").and_then(Json::as_str) {
            let index = obj
                .get("Index Name")
                .and_then(Json::as_str)
                .map(str::to_string);
            let index = index.map(|i| {
                if obj.contains_key("Index Cond") {
                    i
                } else {
                    format!("{i} (full scan)")
                }
            });
            out.push((t.to_string(), index));
        }
        for v in obj.values() {
            plan_nodes(v, out);
        }
    } else if let Some(arr) = plan.as_array() {
        for v in arr {
            plan_nodes(v, out);
        }
    }
}

fn satisfies(claim: &PlanClaim, nodes: &[(String, Option<String>)], ordered: bool) -> bool {
    // A full index scan serves the query when it replaces a sort.
    let sorted = nodes.iter().any(|(t, _)| t.contains("Sort"));
    let serves = |i: &str| !i.ends_with(" (full scan)") || (ordered && !sorted);
    let name = |i: &str| i.trim_end_matches(" (full scan)").to_string();
    let index_nodes: Vec<(String, Option<String>)> = nodes
        .iter()
        .filter(|(_, i)| i.as_deref().is_some_and(serves))
        .map(|(t, i)| (t.clone(), i.as_deref().map(name)))
        .collect();
    if !claim.indexes.is_empty() {
        return index_nodes.iter().any(|(t, i)| {
            i.as_deref()
                .is_some_and(|i| claim.indexes.iter().any(|c| c == i))
                && (!claim.index_only || t == "Index Only Scan")
        });
    }
    if claim.index_only {
        return index_nodes.iter().any(|(t, _)| t == "Index Only Scan");
    }
    !index_nodes.is_empty()
}

fn summarize(nodes: &[(String, Option<String>)]) -> Vec<String> {
    nodes
        .iter()
        .map(|(t, i)| match i {
            Some(i) => format!("{t} using {i}"),
            None => t.clone(),
        })
        .collect()
}

/// The query without a leading `EXPLAIN [ANALYZE] [(…)]` and trailing `;`.
fn inner_query(text: &str) -> String {
    let mut t = text.trim().trim_end_matches(';').trim().to_string();
    loop {
        let lower = t.to_lowercase();
        if let Some(rest) = lower.strip_prefix("explain") {
            let mut rest_start = t.len() - rest.len();
            let r = t[rest_start..].trim_start();
            rest_start = t.len() - r.len();
            if r.starts_with('(') {
                if let Some(close) = r.find(')') {
                    rest_start += close + 1;
                }
            } else {
                for word in ["analyze", "analyse", "verbose", "costs", "buffers"] {
                    if r.to_lowercase().starts_with(word) {
                        rest_start += word.len();
                        break;
                    }
                }
            }
            t = t[rest_start..].trim().to_string();
            if t.len() == text.len() {
                break;
            }
            continue;
        }
        break;
    }
    t
}

/// `$n` → the column it is compared with.
type ParamColumns = Vec<(u32, String)>;
/// Placeholder literal (as written) → the column it is compared with.
type LiteralColumns = Vec<(String, String)>;

/// Column names that `$n` parameters and placeholder literals stand for.
fn bindings(query: &str) -> (ParamColumns, LiteralColumns) {
    static CMP: OnceLock<Regex> = OnceLock::new();
    static REV: OnceLock<Regex> = OnceLock::new();
    static ROW: OnceLock<Regex> = OnceLock::new();
    static LIT: OnceLock<Regex> = OnceLock::new();
    let mut params = Vec::new();
    let col = |s: &str| {
        s.rsplit('.')
            .next()
            .unwrap_or(s)
            .trim_matches('"')
            .to_lowercase()
    };
    for c in re(
        &CMP,
        r#"(?i)([A-Za-z_][A-Za-z0-9_."]*)\s*(?:=|<>|!=|<=|>=|<|>|\bLIKE\b|\bILIKE\b|@>)\s*\$(\d+)"#,
    )
    .captures_iter(query)
    {
        if let (Some(name), Some(n)) = (c.get(1), c.get(2).and_then(|n| n.as_str().parse().ok())) {
            params.push((n, col(name.as_str())));
        }
    }
    for c in re(
        &REV,
        r#"\$(\d+)\s*(?:=|<=|>=|<|>)\s*([A-Za-z_][A-Za-z0-9_."]*)"#,
    )
    .captures_iter(query)
    {
        if let (Some(n), Some(name)) = (c.get(1).and_then(|n| n.as_str().parse().ok()), c.get(2)) {
            params.push((n, col(name.as_str())));
        }
    }
    for c in re(
        &ROW,
        r"\(([^()]+)\)\s*(?:=|<=|>=|<|>)\s*\(([^()]*\$\d+[^()]*)\)",
    )
    .captures_iter(query)
    {
        let (Some(l), Some(r)) = (c.get(1), c.get(2)) else {
            continue;
        };
        for (name, p) in l.as_str().split(',').zip(r.as_str().split(',')) {
            if let Some(n) = p.trim().strip_prefix('$').and_then(|n| n.parse().ok()) {
                params.push((n, col(name.trim())));
            }
        }
    }
    let mut literals = Vec::new();
    for c in re(
        &LIT,
        r#"(?i)([A-Za-z_][A-Za-z0-9_."]*)\s*(?:=|<>|!=|<=|>=|<|>)\s*('(?:[^']|'')*')"#,
    )
    .captures_iter(query)
    {
        if let (Some(name), Some(lit)) = (c.get(1), c.get(2)) {
            let inner = lit.as_str().trim_matches('\'');
            if is_placeholder(inner) {
                literals.push((lit.as_str().to_string(), col(name.as_str())));
            }
        }
    }
    (params, literals)
}

/// A real value (as a SQL literal) for each column name, sampled from one row of a table the
/// query reads, so that conjunctive predicates match that row.
fn sample(
    app: &mut DocumentConnection<'_>,
    tables: &[&Table],
    columns: &[String],
) -> std::collections::HashMap<String, String> {
    let mut found = std::collections::HashMap::new();
    for t in tables {
        let cols: Vec<&String> = columns
            .iter()
            .filter(|c| !found.contains_key(*c) && t.column_named(c).is_some())
            .collect();
        if cols.is_empty() {
            continue;
        }
        let list: Vec<String> = cols
            .iter()
            .map(|c| format!("{}::text", quote_ident(c)))
            .collect();
        let not_null: Vec<String> = cols
            .iter()
            .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} WHERE {} LIMIT 1",
            list.join(", "),
            t.qualified(),
            not_null.join(" AND ")
        );
        let rows = app
            .run(statement_bound(), |c| c.query(sql.as_str(), &[]))
            .ok()
            .and_then(|ran| ran.value.ok());
        if let Some(rows) = rows {
            if let Some(r) = rows.first() {
                for (i, c) in cols.iter().enumerate() {
                    if let Ok(Some(v)) = r.try_get::<_, Option<String>>(i) {
                        found.insert((*c).clone(), quote_literal(&v));
                    }
                }
            }
        }
    }
    found
}

fn default_for(type_name: &str) -> String {
    let t = type_name.to_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "smallint" | "numeric" | "real" | "double precision" => "1".into(),
        "uuid" => "gen_random_uuid()".into(),
        "timestamp with time zone" | "timestamp without time zone" => "now()".into(),
        "date" => "current_date".into(),
        "boolean" => "true".into(),
        "jsonb" | "json" => format!("'{{}}'::{t}"),
        "interval" => "'1 day'::interval".into(),
        _ if t.ends_with("[]") => format!("'{{}}'::{t}"),
        _ => "'test'".into(),
    }
}

/// Referenced tables of a query, by name.
fn tables_of<'c>(catalog: &'c Plan, query: &str) -> Vec<&'c Table> {
    let names: Vec<(Option<String>, String)> = crate::sql::relations_in(query)
        .into_iter()
        .map(|o| (o.schema, o.name))
        .collect();
    catalog
        .tables
        .iter()
        .filter(|t| {
            names
                .iter()
                .any(|(s, n)| *n == t.name && s.as_deref().is_none_or(|s| s == t.schema))
        })
        .collect()
}

fn app_definitions(
    tx: &mut crate::postgres::client::Transaction<'_>,
    names: &[String],
) -> Vec<String> {
    probes::index_definitions(tx, names).unwrap_or_default()
}

/// The extension the server's error `message` says is missing, when it is one that cannot be
/// installed on this machine: `<extension>, which is not installed: <why>`.
fn needs_unavailable_extension(message: &str) -> Option<String> {
    let (schema, name) = crate::sql::extensions::missing_name(message)?;
    let extension = crate::sql::extensions::providing(schema.as_deref(), &name)?;
    let why = crate::sql::extensions::unavailable(extension)?;
    Some(format!(
        "the extension {extension}, which is not installed: {why}"
    ))
}

fn first_error(e: &crate::postgres::client::Error) -> (String, String) {
    match e.as_db_error() {
        Some(db) => (db.code().code().to_string(), db.message().to_string()),
        None => (String::new(), crate::postgres::cluster::error_text(e)),
    }
}

/// Run every found query; the ones whose context names an index become `explain` claims.
#[allow(clippy::too_many_lines)]
/// `tap`: the database has pgTAP, whose test queries are judged by their TAP lines
/// ([`crate::tap`]).
#[allow(clippy::too_many_arguments)]
pub fn run(
    app: &mut DocumentConnection<'_>,
    catalog: &Plan,
    queries: &[FoundQuery],
    catalog_indexes: &[String],
    tap: bool,
    line_of: &dyn Fn(TextRange) -> u32,
    claims: &mut Claims<'_>,
) {
    for q in queries {
        // A named placeholder (`:day`, `@tenant`) is bound like the `$n` it stands for.
        let query = crate::sql::numbered_placeholders(&inner_query(&q.text)).into_owned();
        let title: String = query
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(80)
            .collect();
        let pc = plan_claim(&q.context, catalog_indexes);
        let kind = if pc.any_index {
            ClaimKind::Explain
        } else {
            ClaimKind::Query
        };
        let mut claim = Claim {
            kind,
            line: line_of(q.range),
            title,
            status: Status::Pass,
            reason: None,
            evidence: json!({}),
            range: q.range,
        };
        if let Some(what) = super::calls::unsafe_command(&query) {
            claim.status = Status::Skipped;
            claim.reason = Some(format!(
                "pgspec does not run statements that use `{}`",
                what.trim()
            ));
            claims.push(claim);
            continue;
        }
        if query.contains("...") || query.contains('…') {
            claim.status = Status::Skipped;
            claim.reason = Some("the query is elided (`...`)".into());
            claims.push(claim);
            continue;
        }
        if tap && crate::tap::bookkeeping(&query) {
            claim.status = Status::Skipped;
            claim.reason =
                Some("pgTAP's bookkeeping of a whole run: pgspec runs each test on its own".into());
            claims.push(claim);
            continue;
        }
        let tables = tables_of(catalog, &query);
        let (params, literals) = bindings(&query);
        let mut wanted: Vec<String> = params.iter().map(|(_, c)| c.clone()).collect();
        wanted.extend(literals.iter().map(|(_, c)| c.clone()));
        let values = sample(app, &tables, &wanted);
        let mut text = query.clone();
        let mut unresolved_literal = None;
        let mut replaced = serde_json::Map::new();
        for (lit, col) in &literals {
            match values.get(col) {
                Some(v) => {
                    replaced.insert(lit.clone(), Json::String(v.clone()));
                    text = text.replacen(lit.as_str(), v, 1);
                }
                None => unresolved_literal = Some(lit.clone()),
            }
        }
        if let Some(lit) = unresolved_literal {
            claim.status = Status::Skipped;
            claim.reason = Some(format!("placeholder literal {lit} has no sampled value"));
            claims.push(claim);
            continue;
        }
        let unbounded = claim.clone();
        let ran = app.run_each(statement_bound(), |app, tick| -> Claim {
            let mut claim = claim;
            let mut tx = match app.transaction() {
                Ok(t) => t,
                Err(e) => {
                    claim.status = Status::Skipped;
                    claim.reason = Some(first_error(&e).1);
                    return claim;
                }
            };
            tick.next();
            let _ = tx.batch_execute(&bounded::set_statement_timeout(true, statement_bound()));
            if let Some(path) = &q.search_path {
                let _ = tx.batch_execute(&format!(
                    "SELECT pg_catalog.set_config('search_path', {}, true)",
                    quote_literal(path)
                ));
            }
            if tap {
                crate::tap::begin(&mut tx);
            }
            // Prepared statements outlive transactions; plans are cached, so each setting gets a
            // fresh PREPARE.
            let prepare = format!("DEALLOCATE ALL; PREPARE pgspec_verify_q AS {text}");
            tick.next();
            if let Err(e) = tx.batch_execute(&prepare) {
                let (code, msg) = first_error(&e);
                claim.evidence = json!({ "sqlstate": code, "error": msg });
                if let Some(why) = needs_unavailable_extension(&msg) {
                    // Not the document's fault, nor pgspec's: `up` stood in for it or left
                    // the call out, and said so.
                    claim.status = Status::Skipped;
                    claim.reason = Some(format!("the query needs {why}"));
                    return claim;
                }
                claim.status = Status::Fail;
                claim.reason = Some(format!("the query does not run: {msg}"));
                return claim;
            }
            tick.next();
            let types: Vec<String> =
                probes::prepared_parameter_types(&mut tx, "pgspec_verify_q").unwrap_or_default();
            let mut args = Vec::new();
            let mut bound = serde_json::Map::new();
            for (i, ty) in types.iter().enumerate() {
                let n = u32::try_from(i + 1).unwrap_or(0);
                let v = params
                    .iter()
                    .find(|(p, _)| *p == n)
                    .and_then(|(_, c)| values.get(c).cloned())
                    .unwrap_or_else(|| default_for(ty));
                bound.insert(format!("${n}"), Json::String(v.clone()));
                args.push(format!("{v}::{ty}"));
            }
            let exec = if args.is_empty() {
                "EXECUTE pgspec_verify_q".to_string()
            } else {
                format!("EXECUTE pgspec_verify_q({})", args.join(", "))
            };
            let explain =
                |tx: &mut crate::postgres::client::Transaction<'_>, analyze: bool| -> Result<Json, crate::postgres::client::Error> {
                    let sql = format!(
                        "EXPLAIN (FORMAT JSON{}) {exec}",
                        if analyze { ", ANALYZE" } else { "" }
                    );
                    let text = tx
                        .simple_query(&sql)?
                        .into_iter()
                        .find_map(|m| match m {
                            crate::postgres::client::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                            _ => None,
                        })
                        .unwrap_or_default();
                    Ok(serde_json::from_str(&text).unwrap_or(Json::Null))
                };
            // pgTAP's test first, so its line is test 1 (EXPLAIN ANALYZE runs it again).
            let tap_result = if tap {
                tick.next();
                crate::tap::judge(&mut tx, &exec)
            } else {
                None
            };
            tick.next();
            let chosen = match explain(&mut tx, true) {
                Ok(p) => p,
                Err(e) => {
                    let (code, msg) = first_error(&e);
                    claim.status = Status::Fail;
                    claim.reason = Some(format!("the query fails: {msg}"));
                    claim.evidence = json!({ "sqlstate": code, "error": msg, "parameters": bound });
                    return claim;
                }
            };
            let top = &chosen[0];
            let measured = top.get("Execution Time").and_then(Json::as_f64);
            let rows = top
                .get("Plan")
                .and_then(|p| p.get("Actual Rows"))
                .and_then(Json::as_f64);
            let mut chosen_nodes = Vec::new();
            plan_nodes(top.get("Plan").unwrap_or(&Json::Null), &mut chosen_nodes);
            claim.evidence = json!({
                "parameters": bound,
                "placeholders": replaced,
                "rows": rows,
                "measured_ms": measured,
                "claimed_ms": pc.claimed_ms,
                "plan": summarize(&chosen_nodes),
            });
                if let Some((passed, lines)) = tap_result {
                    if !passed {
                        claim.status = Status::Fail;
                        claim.reason = Some(
                            lines
                                .iter()
                                .filter(|l| l.starts_with("not ok") || l.starts_with('#'))
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("; "),
                        );
                    }
                    if let Some(obj) = claim.evidence.as_object_mut() {
                        obj.insert("tap".into(), json!(lines));
                    }
                }
            if kind == ClaimKind::Explain {
                // "Usable": the named index serves the query once sequential scans and the
                // other (non-constraint) indexes of its tables are out of the way — dropped inside
                // this transaction, which is rolled back.
                let mut set_aside = Vec::new();
                if !pc.indexes.is_empty() {
                    let oids: Vec<i64> = tables.iter().map(|t| t.oid).collect();
                    tick.next();
                    let others: Vec<String> =
                        probes::other_indexes(&mut tx, &oids, &pc.indexes).unwrap_or_default();
                    for idx in others {
                        tick.next();
                        let ok = tx
                            .batch_execute(&format!(
                                "SAVEPOINT aside; DROP INDEX {idx}; RELEASE SAVEPOINT aside"
                            ))
                            .is_ok();
                        if ok {
                            set_aside.push(idx);
                        } else {
                            let _ = tx.batch_execute("ROLLBACK TO SAVEPOINT aside");
                        }
                    }
                }
                tick.next();
                let _ = tx.batch_execute(&format!("SET LOCAL enable_seqscan = off; {prepare}"));
                tick.next();
                let usable_nodes = match explain(&mut tx, false) {
                    Ok(p) => {
                        let mut n = Vec::new();
                        plan_nodes(p[0].get("Plan").unwrap_or(&Json::Null), &mut n);
                        n
                    }
                    Err(_) => Vec::new(),
                };
                let ordered = query.to_lowercase().contains("order by");
                // A claimed index of a partitioned table is used through its partitions' own.
                let mut served = pc.clone();
                if !pc.indexes.is_empty() {
                    tick.next();
                    if let Ok(names) = probes::indexes_with_partitions(&mut tx, &pc.indexes) {
                        served.indexes.extend(names);
                    }
                }
                let usable = satisfies(&served, &usable_nodes, ordered);
                let is_chosen = satisfies(&served, &chosen_nodes, ordered);
                let expected = if pc.indexes.is_empty() {
                    if pc.index_only {
                        "an Index Only Scan".to_string()
                    } else {
                        "an index scan".to_string()
                    }
                } else {
                    format!(
                        "{} {}",
                        if pc.index_only {
                            "an Index Only Scan using"
                        } else {
                            "a scan using"
                        },
                        pc.indexes.join(" or ")
                    )
                };
                if let Some(obj) = claim.evidence.as_object_mut() {
                    obj.insert("expected".into(), Json::String(expected.clone()));
                    obj.insert("usable".into(), Json::Bool(usable));
                    obj.insert("chosen".into(), Json::Bool(is_chosen));
                    obj.insert("usable_plan".into(), json!(summarize(&usable_nodes)));
                    obj.insert("indexes_set_aside".into(), json!(set_aside));
                    if !pc.indexes.is_empty() {
                        // The definition often says why (a partial index whose predicate the
                        // query does not imply).
                        tick.next();
                        let defs: Vec<String> = app_definitions(&mut tx, &pc.indexes);
                        obj.insert("index_definitions".into(), json!(defs));
                    }
                }
                if usable {
                    if !is_chosen {
                        claim.reason = Some(format!(
                            "{expected} is usable, but the planner chose {} at this volume",
                            summarize(&chosen_nodes)
                                .first()
                                .cloned()
                                .unwrap_or_default()
                        ));
                    }
                } else {
                    claim.status = Status::Fail;
                    claim.reason = Some(format!(
                        "no plan uses {expected}, even with sequential scans disabled and the other indexes set aside (plan: {})",
                        summarize(&usable_nodes).join(", ")
                    ));
                }
            }
            drop(tx);
            tick.next();
            let _ = app.batch_execute("DEALLOCATE ALL");
            claim
        });
        claims.push(match ran {
            Ok(ran) => {
                let mut claim = ran.value;
                if let Some(stop) = &ran.stopped {
                    claim.status = Status::Fail;
                    claim.reason = Some(format!("the query {stop}"));
                }
                claim
            }
            Err(e) => {
                let mut claim = unbounded;
                claim.status = Status::Skipped;
                claim.reason = Some(e.to_string());
                claim
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_prefix_is_removed() {
        assert_eq!(inner_query("EXPLAIN ANALYZE\nSELECT 1;"), "SELECT 1");
        assert_eq!(
            inner_query("EXPLAIN (ANALYZE, BUFFERS) SELECT 1"),
            "SELECT 1"
        );
        assert_eq!(inner_query("SELECT 1;"), "SELECT 1");
    }

    #[test]
    fn parameters_map_to_columns() {
        let (p, l) = bindings(
            "SELECT * FROM jobs WHERE user_id = $1 AND (created_at, id) < ($2, $3) AND status = 'uuid'",
        );
        assert!(p.contains(&(1, "user_id".into())));
        assert!(p.contains(&(2, "created_at".into())));
        assert!(p.contains(&(3, "id".into())));
        assert_eq!(l, vec![("'uuid'".to_string(), "status".to_string())]);
    }

    #[test]
    fn plan_claims_name_indexes_and_times() {
        let c = plan_claim(
            "-- Index Scan using idx_jobs_user\n-- Execution Time: 0.5 ms",
            &["idx_jobs_user".into()],
        );
        assert_eq!(c.indexes, vec!["idx_jobs_user".to_string()]);
        assert!(c.any_index);
        assert_eq!(c.claimed_ms, Some(0.5));
    }

    #[test]
    fn plan_claims_name_indexes_in_any_script() {
        let c = plan_claim(
            "这个查询走 `kb_文章_检索_gin` 索引，不走 kunden_größe_idx2",
            &[
                "kb_文章_检索_gin".into(),
                "kunden_größe_idx2".into(),
                "kb_文章".into(),
            ],
        );
        assert_eq!(
            c.indexes,
            vec![
                "kb_文章_检索_gin".to_string(),
                "kunden_größe_idx2".to_string()
            ]
        );
        assert!(c.any_index);
    }
}
