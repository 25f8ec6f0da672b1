//! LNT408: a range-partitioned table (on a date or timestamp key) with no partition that holds
//! today's rows and no DEFAULT partition: every INSERT of a current row fails ("no partition of
//! relation found for row"). A table whose partitions cover today but that has no DEFAULT
//! partition is reported at Info: inserts start failing when time passes the last partition.
//! A table the document hands to pg_partman (`partman.create_parent`) is partman's to cover.

use super::Context;
use crate::diagnostics::Severity;
use crate::lint::{diagnostic, Rule};
use crate::postgres::catalog::PartitionStrategy;
use crate::sql::ast::{self, pb, NodeEnum, NodeRef};
use crate::sql::{ObjectKind, Statement};

/// Whether a statement hands the table to pg_partman (`partman.create_parent('public.events',
/// …)`), which makes its partitions ahead of time (and a DEFAULT one) when it runs: the table's
/// coverage is then partman's, not the document's partitions'.
fn maintained_by_partman(statements: &[Statement], schema: &str, table: &str) -> bool {
    let named = |written: &str| {
        let written = written.to_lowercase();
        written == table || written == format!("{schema}.{table}")
    };
    statements
        .iter()
        .filter_map(Statement::first_node)
        .any(|root| {
            ast::walk(root.to_ref()).into_iter().any(|node| {
                let NodeRef::FuncCall(call) = node else {
                    return false;
                };
                ast::names(&call.funcname).last() == Some(&"create_parent")
                    && call.args.first().is_some_and(|arg| {
                        matches!(&arg.node, Some(NodeEnum::AConst(c))
                        if matches!(&c.val, Some(pb::a_const::Val::Sval(s)) if named(&s.sval)))
                    })
            })
        })
}

/// `FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')` → the two quoted values.
fn range_bounds(bound: &str) -> Option<(String, String)> {
    let from = bound.split("FROM (").nth(1)?;
    let to = bound.split(" TO (").nth(1)?;
    let value = |s: &str| {
        let s = s.trim_start();
        if s.starts_with("MINVALUE") {
            Some(String::new())
        } else if s.starts_with("MAXVALUE") {
            Some("\u{10ffff}".to_owned())
        } else {
            s.strip_prefix('\'')
                .and_then(|r| r.split('\'').next())
                .map(str::to_owned)
        }
    };
    Some((value(from)?, value(to)?))
}

pub(super) fn run(ctx: &mut Context<'_>) {
    let catalog = ctx.catalog;
    let today = &catalog.today;
    for parent in catalog.tables.iter().filter(|t| !t.is_partition()) {
        let Some(partitioning) = &parent.partitioning else {
            continue;
        };
        let table = parent.name.clone();
        if maintained_by_partman(ctx.statements, &parent.schema, &table) {
            continue;
        }
        // The first key column's type.
        let key_type = partitioning
            .columns
            .first()
            .and_then(|c| parent.column(c))
            .map_or("", |c| c.type_name.as_str());
        let time_key = key_type == "date" || key_type.starts_with("timestamp");
        if partitioning.strategy != PartitionStrategy::Range || !time_key {
            continue;
        }
        let mut bounds: Vec<&str> = catalog
            .partitions_of(parent.oid)
            .filter_map(|p| p.partition_of.as_ref().map(|p| p.bound.as_str()))
            .collect();
        bounds.sort_unstable();
        // A DEFAULT partition takes every row; a partition up to MAXVALUE never runs out.
        let ranges: Vec<(String, String)> = bounds.iter().filter_map(|b| range_bounds(b)).collect();
        if bounds.contains(&"DEFAULT") || ranges.iter().any(|(_, to)| to.starts_with('\u{10ffff}'))
        {
            continue;
        }
        let covers_today = ranges.iter().any(|(from, to)| {
            let day = |s: &str| s.get(..10).unwrap_or(s).to_owned();
            day(from) <= *today && *today < day(to)
        });
        let Some(stmt) = ctx.creator(ObjectKind::Relation, &table) else {
            continue;
        };
        let at = ctx.find_word(stmt, "partition by").map_or_else(
            || ctx.stmt_head(stmt),
            |at| ctx.range(stmt, at, "PARTITION BY".len()),
        );
        let d = if covers_today {
            diagnostic(
                Rule::PartitionCoverage,
                format!("partitioned table `{table}` has no DEFAULT partition"),
                at,
            )
            .severity(Severity::Info)
            .help(format!("add `CREATE TABLE {table}_default PARTITION OF {table} DEFAULT;` and create future partitions ahead of time (pg_partman or a cron job)"))
        } else {
            diagnostic(
                Rule::PartitionCoverage,
                format!("no partition of `{table}` holds rows for today ({today}) and there is no DEFAULT partition"),
                at,
            )
            .label("inserts of current rows fail")
            .help(format!("create the partition for the current period (and the next ones) or a DEFAULT partition; as written INSERT fails with \"no partition of relation \\\"{table}\\\" found for row\""))
            .note(format!("{} partitions, none covering {today}", bounds.len()))
        };
        ctx.push(d);
    }
}
