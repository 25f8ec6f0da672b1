//! LNT205: a policy compares an id expression (`auth.uid()`, `current_setting('app.user_id')`)
//! with a column that holds a different kind of id than the one the document compares it with
//! elsewhere. Kinds come from foreign keys: `video_interactions.user_id REFERENCES users(id)`
//! holds a `users.id`, which is not a `users.auth_id`. The comparison never matches (or
//! matches the wrong rows), and the policy silently denies or allows.

use std::collections::BTreeMap;

use super::Context;
use crate::diagnostics::Label;
use crate::lint::{diagnostic, Rule};
use crate::sql::ast::{self, pb, NodeEnum, NodeRef};
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
    let foreign = pb::ConstrType::ConstrForeign as i32;
    let last_or_id =
        |names: &[pb::Node]| ast::last_name(names).map_or_else(|| "id".to_owned(), str::to_owned);
    for tree in ctx.statements.iter().filter_map(|s| s.ast()) {
        for top in ast::top_nodes(tree) {
            let relation = match top {
                NodeEnum::CreateStmt(c) => c.relation.as_ref(),
                NodeEnum::AlterTableStmt(a) => a.relation.as_ref(),
                _ => continue,
            };
            let Some(table) = relation.map(|r| r.relname.clone()) else {
                continue;
            };
            let nodes = ast::walk(top.to_ref());
            for node in &nodes {
                let NodeRef::ColumnDef(col) = node else {
                    continue;
                };
                for con in col.constraints.iter().filter_map(ast::node) {
                    let NodeEnum::Constraint(con) = con else {
                        continue;
                    };
                    if con.contype != foreign {
                        continue;
                    }
                    if let Some(target) = con.pktable.as_ref().map(|t| t.relname.clone()) {
                        let pk = last_or_id(&con.pk_attrs);
                        out.insert((table.clone(), col.colname.clone()), (target, pk));
                    }
                }
            }
            for node in &nodes {
                let NodeRef::Constraint(con) = node else {
                    continue;
                };
                if con.contype != foreign {
                    continue;
                }
                let fk = ast::names(&con.fk_attrs);
                let Some(target) = con.pktable.as_ref().map(|t| t.relname.clone()) else {
                    continue;
                };
                if let [fk] = fk.as_slice() {
                    let pk = ast::names(&con.pk_attrs)
                        .first()
                        .map_or_else(|| "id".to_owned(), |p| (*p).to_owned());
                    out.insert((table.clone(), (*fk).to_owned()), (target, pk));
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
fn id_expression(value: &NodeEnum) -> Option<String> {
    let NodeEnum::FuncCall(call) = ast::strip_casts(value) else {
        return None;
    };
    let name = ast::names(&call.funcname).join(".");
    let args: Vec<String> = call
        .args
        .iter()
        .take(1)
        .filter_map(|a| ast::node(a).and_then(ast::string_constant))
        .map(|s| format!("'{s}'"))
        .collect();
    Some(format!("{name}({})", args.join(", ")))
}

/// Walk `node` collecting comparisons; `table` is the relation unqualified columns belong to
/// (a sub-SELECT over one table changes it for what is below).
fn collect(
    node: NodeRef<'_>,
    table: &str,
    stmt: usize,
    fks: &ForeignKeys,
    out: &mut Vec<Comparison>,
) {
    let mut table = table.to_owned();
    if let NodeRef::SelectStmt(select) = node {
        if let [only] = select.from_clause.as_slice() {
            if let Some(NodeEnum::RangeVar(rv)) = ast::node(only) {
                table.clone_from(&rv.relname);
            }
        }
    }
    if let NodeRef::AExpr(e) = node {
        if ast::names(&e.name).first() == Some(&"=") && e.kind == pb::AExprKind::AexprOp as i32 {
            let lexpr = e.lexpr.as_deref().and_then(ast::node);
            let rexpr = e.rexpr.as_deref().and_then(ast::node);
            for (left, right) in [(lexpr, rexpr), (rexpr, lexpr)] {
                let (Some(key), Some(NodeEnum::ColumnRef(col))) =
                    (left.and_then(id_expression), right.map(ast::strip_casts))
                else {
                    continue;
                };
                let fields = ast::names(&col.fields);
                let (t, c) = match fields.as_slice() {
                    [c] => (table.clone(), (*c).to_owned()),
                    [.., t, c] => ((*t).to_owned(), (*c).to_owned()),
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
                    at: ast::offset(col.location).unwrap_or(0),
                });
            }
        }
    }
    for child in ast::children(node) {
        collect(child, &table, stmt, fks, out);
    }
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let fks = foreign_keys(ctx);
    let mut comparisons = Vec::new();
    for (i, stmt) in ctx.statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for top in ast::top_nodes(tree) {
            let NodeEnum::CreatePolicyStmt(policy) = top else {
                continue;
            };
            let Some(table) = policy.table.as_ref().map(|t| t.relname.as_str()) else {
                continue;
            };
            for expr in [&policy.qual, &policy.with_check] {
                if let Some(expr) = expr.as_deref().and_then(ast::node) {
                    collect(expr.to_ref(), table, i, &fks, &mut comparisons);
                }
            }
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
