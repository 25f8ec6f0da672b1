//! One module per rule; [`run`] dispatches from the registry. Helpers shared by several rules
//! (the writes a document performs, its CHECK constraints, its RLS declarations) live here.

mod before_trigger_returns_null;
mod check_bypassed_by_null;
mod command_without_policy;
mod cron_calls_missing_function;
mod current_setting_without_missing_ok;
mod duplicate_constraint;
mod duplicate_index;
mod foreign_key_without_index;
mod identifier_too_long;
mod insert_omits_not_null;
mod matview_never_refreshed;
mod partition_coverage;
mod plpgsql_check;
mod policy_compares_different_ids;
mod policy_without_rls;
mod prefer_timestamptz;
mod redis_del_glob;
mod redundant_index;
mod refresh_concurrently_without_unique_index;
mod rls_enabled_without_policy;
mod security_definer_without_search_path;
mod security_definer_writes_any_row;
mod set_null_on_not_null;
mod table_without_primary_key;
mod trigger_reads_missing_row;
mod uuid_in_short_varchar;
mod value_violates_check;

use std::collections::BTreeMap;

pub(super) use cron_calls_missing_function::cron_called_routines;
pub(super) use plpgsql_check::targets as plpgsql_check_targets;

use super::{Context, Rule};
use crate::postgres::catalog::PolicyCommand;
use crate::sql::ast::{self as sql_ast, pb, NodeEnum, NodeRef};
use crate::text::TextRange;

/// Run one rule (rules read the catalog and the statements; none does I/O).
pub(super) fn run(rule: Rule, ctx: &mut Context<'_>) {
    match rule {
        // Reported by the suppression pass, after every rule ran.
        Rule::UnusedSuppression => {}
        Rule::ValueViolatesCheck => value_violates_check::run(ctx),
        Rule::UuidInShortVarchar => uuid_in_short_varchar::run(ctx),
        Rule::InsertOmitsNotNull => insert_omits_not_null::run(ctx),
        Rule::CheckBypassedByNull => check_bypassed_by_null::run(ctx),
        Rule::SetNullOnNotNull => set_null_on_not_null::run(ctx),
        Rule::RlsEnabledWithoutPolicy => rls_enabled_without_policy::run(ctx),
        Rule::PolicyWithoutRls => policy_without_rls::run(ctx),
        Rule::CommandWithoutPolicy => command_without_policy::run(ctx),
        Rule::CurrentSettingWithoutMissingOk => current_setting_without_missing_ok::run(ctx),
        Rule::PolicyComparesDifferentIds => policy_compares_different_ids::run(ctx),
        Rule::PlpgsqlCheck => plpgsql_check::run(ctx),
        Rule::TriggerReadsMissingRow => trigger_reads_missing_row::run(ctx),
        Rule::SecurityDefinerWithoutSearchPath => security_definer_without_search_path::run(ctx),
        Rule::DuplicateIndex => duplicate_index::run(ctx),
        Rule::RedundantIndex => redundant_index::run(ctx),
        Rule::ForeignKeyWithoutIndex => foreign_key_without_index::run(ctx),
        Rule::PreferTimestamptz => prefer_timestamptz::run(ctx),
        Rule::IdentifierTooLong => identifier_too_long::run(ctx),
        Rule::TableWithoutPrimaryKey => table_without_primary_key::run(ctx),
        Rule::DuplicateConstraint => duplicate_constraint::run(ctx),
        Rule::PartitionCoverage => partition_coverage::run(ctx),
        Rule::MatviewNeverRefreshed => matview_never_refreshed::run(ctx),
        Rule::CronCallsMissingFunction => cron_calls_missing_function::run(ctx),
        Rule::RefreshConcurrentlyWithoutUniqueIndex => {
            refresh_concurrently_without_unique_index::run(ctx);
        }
        Rule::RedisDelGlob => redis_del_glob::run(ctx),
        Rule::BeforeTriggerReturnsNull => before_trigger_returns_null::run(ctx),
        Rule::SecurityDefinerWritesAnyRow => security_definer_writes_any_row::run(ctx),
        // Not a lint rule: reported by the stage that owns it (document, check, drift, …).
        _ => {}
    }
}

/// One value the document writes into a column.
pub(super) struct Write<'q> {
    /// Index into `ctx.queries`.
    pub query: usize,
    pub table: String,
    pub column: String,
    pub value: &'q NodeEnum,
}

/// Every `INSERT … VALUES` and `UPDATE … SET` value of every query (top-level statements and
/// function bodies), matched to its column.
pub(super) fn writes<'q>(ctx: &'q Context<'_>) -> Vec<Write<'q>> {
    let mut out = Vec::new();
    for (qi, q) in ctx.queries.iter().enumerate() {
        for node in sql_ast::all_nodes(&q.ast) {
            match node {
                NodeRef::InsertStmt(insert) => {
                    let Some(table) = insert.relation.as_ref().map(|r| r.relname.clone()) else {
                        continue;
                    };
                    let mut columns: Vec<String> = insert
                        .cols
                        .iter()
                        .filter_map(|c| match sql_ast::node(c) {
                            Some(NodeEnum::ResTarget(r)) => Some(r.name.clone()),
                            _ => None,
                        })
                        .collect();
                    if columns.is_empty() {
                        if let Some(t) = ctx.tables.iter().find(|t| t.name == table) {
                            columns = t.columns.iter().map(|c| c.name.clone()).collect();
                        }
                    }
                    let Some(NodeEnum::SelectStmt(select)) =
                        insert.select_stmt.as_deref().and_then(sql_ast::node)
                    else {
                        continue;
                    };
                    for row in &select.values_lists {
                        let Some(NodeEnum::List(list)) = sql_ast::node(row) else {
                            continue;
                        };
                        let values = list.items.iter().filter_map(sql_ast::node);
                        for (value, column) in values.zip(&columns) {
                            out.push(Write {
                                query: qi,
                                table: table.clone(),
                                column: column.clone(),
                                value,
                            });
                        }
                    }
                }
                NodeRef::UpdateStmt(update) => {
                    let Some(table) = update.relation.as_ref().map(|r| r.relname.clone()) else {
                        continue;
                    };
                    for target in &update.target_list {
                        let Some(NodeEnum::ResTarget(r)) = sql_ast::node(target) else {
                            continue;
                        };
                        if let Some(value) = r.val.as_deref().and_then(sql_ast::node) {
                            out.push(Write {
                                query: qi,
                                table: table.clone(),
                                column: r.name.clone(),
                                value,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The triggers that fire the trigger function named `function` (every overload of the name).
pub(super) fn triggers_calling<'c>(
    ctx: &'c Context<'_>,
    function: &'c str,
) -> impl Iterator<Item = &'c crate::postgres::catalog::Trigger> {
    ctx.catalog
        .functions
        .iter()
        .filter(move |f| f.name == function && f.returns_trigger)
        .flat_map(move |f| {
            ctx.catalog
                .triggers
                .iter()
                .filter(move |t| t.function_oid == f.oid)
        })
}

/// A trigger as the document's `CREATE TRIGGER` states it: name, table and events.
pub(super) struct DocTrigger {
    pub name: String,
    pub table: String,
    pub events: crate::postgres::catalog::TriggerEvents,
}

/// The triggers the document's `CREATE TRIGGER` statements attach to the function named
/// `function`, applied or not: a trigger that failed (its table failed before it) still
/// says for which events its function is written.
pub(super) fn document_triggers_calling(ctx: &Context<'_>, function: &str) -> Vec<DocTrigger> {
    // pg_trigger's tgtype bits, as CreateTrigStmt.events carries them.
    const INSERT: i32 = 1 << 2;
    const DELETE: i32 = 1 << 3;
    const UPDATE: i32 = 1 << 4;
    const TRUNCATE: i32 = 1 << 5;
    let mut out = Vec::new();
    for stmt in ctx.statements {
        let Some(tree) = stmt.ast() else { continue };
        for top in sql_ast::top_nodes(tree) {
            let NodeEnum::CreateTrigStmt(t) = top else {
                continue;
            };
            if sql_ast::last_name(&t.funcname) != Some(function) {
                continue;
            }
            out.push(DocTrigger {
                name: t.trigname.clone(),
                table: t
                    .relation
                    .as_ref()
                    .map(|r| r.relname.clone())
                    .unwrap_or_default(),
                events: crate::postgres::catalog::TriggerEvents {
                    insert: t.events & INSERT != 0,
                    update: t.events & UPDATE != 0,
                    delete: t.events & DELETE != 0,
                    truncate: t.events & TRUNCATE != 0,
                },
            });
        }
    }
    out
}

/// Document range of byte `at` (`len` bytes) inside query `qi`.
pub(super) fn query_range(ctx: &Context<'_>, qi: usize, at: usize, len: usize) -> TextRange {
    let q = &ctx.queries[qi];
    ctx.range(q.stmt, q.offset + at, len)
}

/// A CHECK constraint the document writes (in CREATE TABLE or ALTER TABLE … ADD CONSTRAINT).
pub(super) struct DocCheck<'a> {
    pub stmt: usize,
    pub table: String,
    pub name: Option<String>,
    pub expr: &'a NodeEnum,
    /// Byte offset of the constraint in the statement's text.
    pub at: usize,
}

/// Every CHECK constraint of the document, applied or not.
pub(super) fn document_checks<'a>(ctx: &'a Context<'_>) -> Vec<DocCheck<'a>> {
    let mut out = Vec::new();
    for (i, stmt) in ctx.statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for top in sql_ast::top_nodes(tree) {
            let (relation, table_level): (_, Vec<&'a pb::Node>) = match top {
                NodeEnum::CreateStmt(c) => (c.relation.as_ref(), c.table_elts.iter().collect()),
                NodeEnum::AlterTableStmt(a) => (
                    a.relation.as_ref(),
                    a.cmds
                        .iter()
                        .filter_map(|c| match sql_ast::node(c) {
                            Some(NodeEnum::AlterTableCmd(cmd)) => cmd.def.as_deref(),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => continue,
            };
            let Some(table) = relation.map(|r| r.relname.clone()) else {
                continue;
            };
            let mut push = |con: &'a pb::Constraint| {
                if con.contype != pb::ConstrType::ConstrCheck as i32 {
                    return;
                }
                let Some(expr) = con.raw_expr.as_deref().and_then(sql_ast::node) else {
                    return;
                };
                out.push(DocCheck {
                    stmt: i,
                    table: table.clone(),
                    name: (!con.conname.is_empty()).then(|| con.conname.clone()),
                    expr,
                    at: sql_ast::offset(con.location).unwrap_or(0),
                });
            };
            for node in sql_ast::walk(top.to_ref()) {
                if let NodeRef::ColumnDef(col) = node {
                    for con in &col.constraints {
                        if let Some(NodeEnum::Constraint(c)) = sql_ast::node(con) {
                            push(c);
                        }
                    }
                }
            }
            for elt in table_level {
                if let Some(NodeEnum::Constraint(c)) = sql_ast::node(elt) {
                    push(c);
                }
            }
        }
    }
    out
}

/// `column IN ('a', 'b')` and `column = ANY (ARRAY['a', 'b'])` lists inside a CHECK
/// expression: column → allowed values.
pub(super) fn allowed_values(expr: &NodeEnum) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in sql_ast::walk(expr.to_ref()) {
        let NodeRef::AExpr(e) = node else {
            continue;
        };
        if sql_ast::names(&e.name).first() != Some(&"=") {
            continue;
        }
        let Some(column) = e
            .lexpr
            .as_deref()
            .and_then(sql_ast::node)
            .and_then(sql_ast::column_ref)
        else {
            continue;
        };
        let Some(rexpr) = e.rexpr.as_deref().and_then(sql_ast::node) else {
            continue;
        };
        let kind = pb::AExprKind::try_from(e.kind).unwrap_or(pb::AExprKind::Undefined);
        let items: &[pb::Node] = match (kind, sql_ast::strip_casts(rexpr)) {
            (pb::AExprKind::AexprIn, NodeEnum::List(l)) => &l.items,
            (pb::AExprKind::AexprOpAny, NodeEnum::AArrayExpr(a)) => &a.elements,
            _ => continue,
        };
        let values: Option<Vec<String>> = items
            .iter()
            .map(|v| sql_ast::node(v).and_then(sql_ast::constant).map(|c| c.0))
            .collect();
        if let Some(values) = values {
            out.entry(column.to_owned()).or_default().extend(values);
        }
    }
    out
}

/// RLS as the document and the catalog declare it: tables with RLS enabled (with the
/// enabling statement), and policies per table (command letter, statement).
pub(super) struct Rls {
    pub enabled: BTreeMap<String, Option<usize>>,
    pub policies: BTreeMap<String, Vec<(char, Option<usize>, String)>>,
}

pub(super) fn rls(ctx: &Context<'_>) -> Rls {
    let mut enabled: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let mut policies: BTreeMap<String, Vec<(char, Option<usize>, String)>> = BTreeMap::new();
    for t in &ctx.catalog.tables {
        if t.rls_enabled {
            enabled.insert(t.name.clone(), None);
        }
    }
    for (i, stmt) in ctx.statements.iter().enumerate() {
        let Some(tree) = stmt.ast() else { continue };
        for top in sql_ast::top_nodes(tree) {
            match top {
                NodeEnum::AlterTableStmt(alter) => {
                    let Some(table) = alter.relation.as_ref().map(|r| r.relname.clone()) else {
                        continue;
                    };
                    let enables = sql_ast::walk(top.to_ref()).into_iter().any(|n| {
                        use pb::AlterTableType as T;
                        matches!(n, NodeRef::AlterTableCmd(c)
                            if c.subtype == T::AtEnableRowSecurity as i32
                                || c.subtype == T::AtForceRowSecurity as i32)
                    });
                    if enables {
                        let slot = enabled.entry(table).or_insert(None);
                        slot.get_or_insert(i);
                    }
                }
                NodeEnum::CreatePolicyStmt(policy) => {
                    let Some(table) = policy.table.as_ref().map(|r| r.relname.clone()) else {
                        continue;
                    };
                    let command = match policy.cmd_name.as_str() {
                        "select" => 'r',
                        "insert" => 'a',
                        "update" => 'w',
                        "delete" => 'd',
                        _ => '*',
                    };
                    let name = policy.policy_name.clone();
                    let list = policies.entry(table).or_default();
                    if !list.iter().any(|(_, _, n)| *n == name) {
                        list.push((command, Some(i), name));
                    }
                }
                _ => {}
            }
        }
    }
    for p in &ctx.catalog.policies {
        let list = policies.entry(p.table.clone()).or_default();
        if !list.iter().any(|(_, _, n)| *n == p.name) {
            list.push((command_letter(p.command), None, p.name.clone()));
        }
    }
    Rls { enabled, policies }
}

/// `polcmd`'s letter for a policy command (`r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE,
/// `*` ALL), as the document's policies are keyed.
fn command_letter(command: PolicyCommand) -> char {
    match command {
        PolicyCommand::Select => 'r',
        PolicyCommand::Insert => 'a',
        PolicyCommand::Update => 'w',
        PolicyCommand::Delete => 'd',
        PolicyCommand::All => '*',
    }
}
