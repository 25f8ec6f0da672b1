//! LNT205: a policy compares an id expression (`auth.uid()`, `current_setting('app.user_id')`)
//! with a column that holds a different kind of id than the one the document compares it with
//! elsewhere. Kinds come from foreign keys: `video_interactions.user_id REFERENCES users(id)`
//! holds a `users.id`, which is not a `users.auth_id`. The comparison never matches (or
//! matches the wrong rows), and the policy silently denies or allows.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Context;
use crate::diagnostics::Label;
use crate::lint::{ast, diagnostic, Rule};
use crate::text::TextRange;

/// `(table, column)` → the `(table, column)` it references.
type ForeignKeys = BTreeMap<(String, String), (String, String)>;

fn foreign_keys(ctx: &Context<'_>) -> ForeignKeys {
    let mut out = ForeignKeys::new();
    // What the ERD and column tables say, for tables whose SQL is partial; SQL wins below.
    let (schema, _) = crate::schema::from_document(ctx.doc);
    for table in &schema.tables {
        for col in &table.columns {
            if let Some((target, column)) = &col.references {
                out.insert(
                    (table.name.clone(), col.name.clone()),
                    (
                        target.clone(),
                        column.clone().unwrap_or_else(|| "id".to_owned()),
                    ),
                );
            }
        }
    }
    for tree in ctx.asts.iter().flatten() {
        for (kind, body, _) in ast::statements(tree) {
            if kind != "CreateStmt" && kind != "AlterTableStmt" {
                continue;
            }
            let Some(table) = ast::relname(body) else {
                continue;
            };
            for col in ast::find_all(body, "ColumnDef") {
                let Some(name) = col["colname"].as_str() else {
                    continue;
                };
                for con in ast::find_all(&col["constraints"], "Constraint") {
                    if con["contype"].as_i64() == Some(10) {
                        if let Some(target) = con["pktable"]["relname"].as_str() {
                            let pk = ast::names(&con["pk_attrs"])
                                .pop()
                                .unwrap_or_else(|| "id".to_owned());
                            out.insert((table.clone(), name.to_owned()), (target.to_owned(), pk));
                        }
                    }
                }
            }
            for con in ast::find_all(body, "Constraint") {
                if con["contype"].as_i64() != Some(10) {
                    continue;
                }
                let fk = ast::names(&con["fk_attrs"]);
                let pk = ast::names(&con["pk_attrs"]);
                let Some(target) = con["pktable"]["relname"].as_str() else {
                    continue;
                };
                if fk.len() == 1 {
                    let pk = pk.first().cloned().unwrap_or_else(|| "id".to_owned());
                    out.insert((table.clone(), fk[0].clone()), (target.to_owned(), pk));
                }
            }
        }
    }
    out
}

/// One `expression = column` comparison inside a policy.
struct Comparison {
    key: String,
    domain: (String, String),
    /// Whether `domain` comes from a foreign key (a known kind of id) rather than the column.
    via_fk: bool,
    column: (String, String),
    stmt: usize,
    at: usize,
}

/// A readable key for an id expression: `auth.uid()`, `current_setting('app.user_id')`.
fn id_expression(value: &Value) -> Option<String> {
    let (kind, body) = ast::strip_casts(value)?;
    if kind != "FuncCall" {
        return None;
    }
    let name = ast::names(&body["funcname"]).join(".");
    let args: Vec<String> = body["args"]
        .as_array()
        .into_iter()
        .flatten()
        .take(1)
        .filter_map(|a| ast::string_constant(a).map(|(s, _)| format!("'{s}'")))
        .collect();
    Some(format!("{name}({})", args.join(", ")))
}

/// Walk `value` collecting comparisons; `table` is the relation unqualified columns belong to.
fn collect(value: &Value, table: &str, stmt: usize, fks: &ForeignKeys, out: &mut Vec<Comparison>) {
    match value {
        Value::Object(obj) => {
            let mut table = table.to_owned();
            if let Some(select) = obj.get("SelectStmt") {
                let from: Vec<&Value> = select["from_clause"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect();
                if let [only] = from.as_slice() {
                    if let Some(("RangeVar", rv)) = ast::node(only) {
                        if let Some(name) = rv["relname"].as_str() {
                            name.clone_into(&mut table);
                        }
                    }
                }
            }
            if let Some(e) = obj.get("AExpr") {
                if ast::names(&e["name"]).first().map(String::as_str) == Some("=")
                    && e["kind"].as_i64() == Some(1)
                {
                    for (left, right) in [(&e["lexpr"], &e["rexpr"]), (&e["rexpr"], &e["lexpr"])] {
                        let (Some(key), Some(("ColumnRef", col))) =
                            (id_expression(left), ast::strip_casts(right))
                        else {
                            continue;
                        };
                        let fields = ast::names(&col["fields"]);
                        let (t, c) = match fields.as_slice() {
                            [c] => (table.clone(), c.clone()),
                            [.., t, c] => (t.clone(), c.clone()),
                            [] => continue,
                        };
                        let column = (t, c);
                        let domain = fks.get(&column).cloned();
                        out.push(Comparison {
                            key,
                            domain: domain.clone().unwrap_or_else(|| column.clone()),
                            via_fk: domain.is_some(),
                            column,
                            stmt,
                            at: ast::location(col).unwrap_or(0),
                        });
                    }
                }
            }
            for v in obj.values() {
                collect(v, &table, stmt, fks, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect(v, table, stmt, fks, out);
            }
        }
        _ => {}
    }
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let fks = foreign_keys(ctx);
    let mut comparisons = Vec::new();
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (kind, body, _) in ast::statements(tree) {
            if kind != "CreatePolicyStmt" {
                continue;
            }
            let Some(table) = body["table"]["relname"].as_str() else {
                continue;
            };
            collect(&body["qual"], table, i, &fks, &mut comparisons);
            collect(&body["with_check"], table, i, &fks, &mut comparisons);
        }
    }
    let mut by_key: BTreeMap<&str, BTreeMap<&(String, String), Vec<&Comparison>>> = BTreeMap::new();
    for c in &comparisons {
        by_key
            .entry(&c.key)
            .or_default()
            .entry(&c.domain)
            .or_default()
            .push(c);
    }
    let mut found = Vec::new();
    for (key, domains) in by_key {
        if domains.len() < 2 {
            continue;
        }
        // The kind of id the document compares the expression with most often is its kind.
        let Some((main, main_uses)) = domains.iter().max_by_key(|(_, uses)| uses.len()) else {
            continue;
        };
        for (domain, uses) in &domains {
            if domain == main || uses.len() >= main_uses.len() {
                continue;
            }
            // Only a column whose kind the document states (a foreign key) is evidence.
            for c in uses.iter().filter(|c| c.via_fk) {
                let range = ctx.range(c.stmt, c.at, c.column.1.len());
                let example = main_uses[0];
                let example_range: TextRange =
                    ctx.range(example.stmt, example.at, example.column.1.len());
                found.push(
                    diagnostic(
                        Rule::PolicyComparesDifferentIds,
                        format!(
                            "`{key}` is compared with `{}.{}` (a `{}.{}`), but elsewhere with `{}.{}`: different kinds of id",
                            c.column.0, c.column.1, domain.0, domain.1, main.0, main.1
                        ),
                        range,
                    )
                    .label(format!("holds a `{}.{}`", domain.0, domain.1))
                    .secondary(Label::with_message(example_range, format!("`{key}` is a `{}.{}` here", main.0, main.1)))
                    .help(if domain.0 == main.0 {
                        format!(
                            "map one id to the other: `{} = (SELECT {} FROM {} WHERE {} = {key})`",
                            c.column.1, domain.1, main.0, main.1
                        )
                    } else {
                        format!("compare `{}` with an id of its own kind (`{}.{}`)", c.column.1, domain.0, domain.1)
                    }),
                );
            }
        }
    }
    for d in found {
        ctx.push(d);
    }
}
