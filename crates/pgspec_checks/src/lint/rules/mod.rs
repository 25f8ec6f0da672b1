//! One module per rule; [`run`] dispatches from the registry. Helpers shared by several rules
//! (the writes a document performs, its CHECK constraints, its RLS declarations) live here.

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
mod table_without_primary_key;
mod trigger_reads_missing_row;
mod uuid_in_short_varchar;
mod value_violates_check;

use std::collections::BTreeMap;

use serde_json::Value;

pub(super) use plpgsql_check::targets as plpgsql_check_targets;

use super::{ast, Context, Rule};
use crate::postgres::catalog::PolicyCommand;
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
    pub value: &'q Value,
}

/// Every `INSERT … VALUES` and `UPDATE … SET` value of every query (top-level statements and
/// function bodies), matched to its column.
pub(super) fn writes<'q>(ctx: &'q Context<'_>) -> Vec<Write<'q>> {
    let mut out = Vec::new();
    for (qi, q) in ctx.queries.iter().enumerate() {
        for insert in ast::find_all(&q.tree, "InsertStmt") {
            let Some(table) = ast::relname(insert) else {
                continue;
            };
            let mut columns: Vec<String> = insert["cols"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| match ast::node(c) {
                    Some(("ResTarget", r)) => r["name"].as_str().map(str::to_owned),
                    _ => None,
                })
                .collect();
            if columns.is_empty() {
                if let Some(t) = ctx.tables.iter().find(|t| t.name == table) {
                    columns = t.columns.iter().map(|c| c.name.clone()).collect();
                }
            }
            let Some(("SelectStmt", select)) = ast::node(&insert["select_stmt"]) else {
                continue;
            };
            for row in select["values_lists"].as_array().into_iter().flatten() {
                let Some(("List", list)) = ast::node(row) else {
                    continue;
                };
                for (value, column) in list["items"].as_array().into_iter().flatten().zip(&columns)
                {
                    out.push(Write {
                        query: qi,
                        table: table.clone(),
                        column: column.clone(),
                        value,
                    });
                }
            }
        }
        for update in ast::find_all(&q.tree, "UpdateStmt") {
            let Some(table) = ast::relname(update) else {
                continue;
            };
            for target in update["target_list"].as_array().into_iter().flatten() {
                let Some(("ResTarget", r)) = ast::node(target) else {
                    continue;
                };
                if let Some(column) = r["name"].as_str() {
                    out.push(Write {
                        query: qi,
                        table: table.clone(),
                        column: column.to_owned(),
                        value: &r["val"],
                    });
                }
            }
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
    pub expr: &'a Value,
    /// Byte offset of the constraint in the statement's text.
    pub at: usize,
}

/// Every CHECK constraint of the document, applied or not.
pub(super) fn document_checks<'a>(ctx: &'a Context<'_>) -> Vec<DocCheck<'a>> {
    let mut out = Vec::new();
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (kind, body, _) in ast::statements(tree) {
            if kind != "CreateStmt" && kind != "AlterTableStmt" {
                continue;
            }
            let Some(table) = ast::relname(body) else {
                continue;
            };
            let mut push = |con: &'a Value| {
                if con["contype"].as_i64() == Some(6) {
                    out.push(DocCheck {
                        stmt: i,
                        table: table.clone(),
                        name: con["conname"]
                            .as_str()
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned),
                        expr: &con["raw_expr"],
                        at: ast::location(con).unwrap_or(0),
                    });
                }
            };
            for col in ast::find_all(body, "ColumnDef") {
                for con in col["constraints"].as_array().into_iter().flatten() {
                    if let Some(("Constraint", c)) = ast::node(con) {
                        push(c);
                    }
                }
            }
            let table_level: Vec<&'a Value> = body["table_elts"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(
                    body["cmds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| ast::node(c).map(|(_, b)| &b["def"])),
                )
                .collect();
            for elt in table_level {
                if let Some(("Constraint", c)) = ast::node(elt) {
                    push(c);
                }
            }
        }
    }
    out
}

/// `column IN ('a', 'b')` and `column = ANY (ARRAY['a', 'b'])` lists inside a CHECK
/// expression: column → allowed values.
pub(super) fn allowed_values(expr: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut consider = |e: &Value| {
        let name = ast::names(&e["name"]);
        if name.first().map(String::as_str) != Some("=") {
            return;
        }
        let Some(column) = ast::column_ref(&e["lexpr"]) else {
            return;
        };
        let items: Vec<&Value> = match (e["kind"].as_i64(), ast::strip_casts(&e["rexpr"])) {
            (Some(7), Some(("List", l))) => l["items"].as_array().into_iter().flatten().collect(),
            (Some(2), Some(("AArrayExpr", a))) => {
                a["elements"].as_array().into_iter().flatten().collect()
            }
            _ => return,
        };
        let values: Option<Vec<String>> = items
            .iter()
            .map(|v| ast::constant(v).map(|c| c.0))
            .collect();
        if let Some(values) = values {
            out.entry(column).or_default().extend(values);
        }
    };
    for e in ast::find_all(expr, "AExpr") {
        consider(e);
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
    for (i, tree) in ctx.asts.iter().enumerate() {
        let Some(tree) = tree else { continue };
        for (kind, body, _) in ast::statements(tree) {
            match kind {
                "AlterTableStmt" => {
                    let Some(table) = ast::relname(body) else {
                        continue;
                    };
                    // AT_EnableRowSecurity = 55, AT_ForceRowSecurity = 57 in pg_query's enum.
                    let enables = ast::find_all(body, "AlterTableCmd")
                        .iter()
                        .any(|c| matches!(c["subtype"].as_i64(), Some(55 | 57)));
                    if enables {
                        let slot = enabled.entry(table).or_insert(None);
                        slot.get_or_insert(i);
                    }
                }
                "CreatePolicyStmt" => {
                    let Some(table) = body["table"]["relname"].as_str() else {
                        continue;
                    };
                    let command = match body["cmd_name"].as_str().unwrap_or("all") {
                        "select" => 'r',
                        "insert" => 'a',
                        "update" => 'w',
                        "delete" => 'd',
                        _ => '*',
                    };
                    let name = body["policy_name"].as_str().unwrap_or_default().to_owned();
                    let list = policies.entry(table.to_owned()).or_default();
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
