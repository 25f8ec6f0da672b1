//! Foreign-key cycles: the order that fills parents first and defers the keys that close a
//! cycle, the UPDATE that points the deferred keys at parents once every table has rows, and
//! the one transaction a cycle of NOT NULL keys is filled in (its keys hold placeholders until
//! that UPDATE; a DEFERRABLE key is checked at COMMIT).

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::sql::Statement;

use super::bounded::{self, statement_bound, DocumentConnection};
use super::plan::{quote_ident, Table};
use super::{load, locate_table, SeedError};

/// FK-topological order of the tables; FKs that close a cycle are returned to be deferred
/// (nullable ones preferred).
pub(crate) fn plan_order(tables: &[Table]) -> (Vec<usize>, Vec<String>) {
    let idx: HashMap<i64, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    let mut done = vec![false; tables.len()];
    let mut order = Vec::new();
    let mut deferred: HashSet<String> = HashSet::new();
    while order.len() < tables.len() {
        let ready = (0..tables.len()).find(|&i| {
            !done[i]
                && tables[i].fks.iter().all(|f| {
                    f.ref_table == tables[i].oid
                        || deferred.contains(&f.name)
                        || idx.get(&f.ref_table).is_none_or(|&p| done[p])
                })
        });
        if let Some(i) = ready {
            done[i] = true;
            order.push(i);
            continue;
        }
        // A cycle: defer the pending FKs of one table, preferring one whose FKs are nullable.
        let pending = |i: usize| {
            tables[i]
                .fks
                .iter()
                .filter(|f| {
                    f.ref_table != tables[i].oid
                        && !deferred.contains(&f.name)
                        && idx.get(&f.ref_table).is_some_and(|&p| !done[p])
                })
                .collect::<Vec<_>>()
        };
        let candidates: Vec<usize> = (0..tables.len()).filter(|&i| !done[i]).collect();
        let pick = candidates
            .iter()
            .copied()
            .find(|&i| {
                pending(i)
                    .iter()
                    .all(|f| f.columns.iter().all(|c| !tables[i].columns[*c].not_null))
            })
            .or_else(|| candidates.first().copied());
        let Some(i) = pick else { break };
        for f in pending(i) {
            deferred.insert(f.name.clone());
        }
    }
    let mut deferred: Vec<String> = deferred.into_iter().collect();
    deferred.sort();
    (order, deferred)
}

/// Foreign keys that close a cycle and may not be NULL: their table's rows hold placeholders
/// until [`point_deferred`], so the tables from the first of them on are filled in one
/// transaction (the key must be DEFERRABLE to wait for its COMMIT).
pub(crate) fn needs_transaction(table: &Table, deferred: &[String]) -> bool {
    table.fks.iter().any(|f| {
        f.deferrable
            && deferred.contains(&f.name)
            && f.columns.iter().any(|c| table.columns[*c].not_null)
    })
}

/// The deferred keys [`needs_transaction`] is about (DEFERRABLE, NOT NULL), and the tables
/// they point at: once those hold their rows, the keys are pointed and the transaction ends.
pub(crate) fn strict_keys(tables: &[Table], deferred: &[String]) -> (Vec<String>, Vec<i64>) {
    let mut keys = Vec::new();
    let mut parents = Vec::new();
    for t in tables {
        for f in &t.fks {
            if f.deferrable
                && deferred.contains(&f.name)
                && f.columns.iter().any(|c| t.columns[*c].not_null)
            {
                keys.push(f.name.clone());
                parents.push(f.ref_table);
            }
        }
    }
    (keys, parents)
}

/// Open the transaction a cycle of NOT NULL keys is filled in; its id, to know at the end
/// that it is still the one open.
pub(crate) fn begin(app: &mut DocumentConnection<'_>) -> Result<i64, SeedError> {
    let row = app
        .run(statement_bound(), |c| {
            c.batch_execute("BEGIN")?;
            c.query_one("SELECT pg_catalog.txid_current()", &[])
        })?
        .value?;
    Ok(row.get(0))
}

/// End it: the deferred keys are checked now; a failure loses the rows of the transaction and
/// says so (also when the transaction is gone: a statement stopped on the way ended its
/// connection).
pub(crate) fn commit(
    app: &mut DocumentConnection<'_>,
    xid: i64,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), SeedError> {
    let ran = app.run(statement_bound(), |c| {
        let open: Option<i64> = c
            .query_one("SELECT pg_catalog.txid_current_if_assigned()", &[])?
            .get(0);
        c.batch_execute("COMMIT")?;
        Ok::<_, crate::postgres::client::Error>(open == Some(xid))
    })?;
    let failure = match ran.value {
        Ok(true) => None,
        Ok(false) => Some("the transaction ended early (a statement was stopped)".to_string()),
        Err(e) => Some(format!(
            "COMMIT failed: {}",
            crate::postgres::cluster::error_text(&e)
        )),
    };
    if let Some(why) = failure {
        diagnostics.push(Diagnostic::new(
            Code::TableNotSeeded,
            Category::Seed,
            format!(
                "the rows of the tables filled with the foreign-key cycle were not kept: {why}"
            ),
            crate::text::TextRange::empty(0),
        ));
    }
    Ok(())
}

/// Point every deferred foreign key at parents (NOT NULL ones on every row, nullable ones on
/// most), now that every table has rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn point_deferred(
    app: &mut DocumentConnection<'_>,
    tables: &[Table],
    by_oid: &HashMap<i64, &Table>,
    deferred: &[String],
    rows_of: &HashMap<i64, u64>,
    statements: &[Statement],
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), SeedError> {
    for t in tables {
        for f in t.fks.iter().filter(|f| deferred.contains(&f.name)) {
            let Some(parent) = by_oid.get(&f.ref_table) else {
                continue;
            };
            let child_cols: Vec<String> = f
                .columns
                .iter()
                .map(|c| quote_ident(&t.columns[*c].name))
                .collect();
            let parent_cols: Vec<String> = f
                .ref_attnums
                .iter()
                .filter_map(|a| parent.column_index(*a))
                .map(|c| quote_ident(&parent.columns[c].name))
                .collect();
            if parent_cols.len() != child_cols.len() {
                continue;
            }
            let sql = format!(
            "WITH p AS (SELECT {pc}, (row_number() OVER ()) - 1 AS rn FROM {pt}), n AS (SELECT count(*) AS n FROM p) \
             UPDATE {ct} c SET ({cc}) = (SELECT {pq} FROM p, n WHERE p.rn = abs(hashtext(c.ctid::text || c.tableoid::text)) % n.n) \
             WHERE {some} AND (SELECT n FROM n) > 0",
            // A NOT NULL key holds a placeholder on every row; a nullable one stays NULL on
            // some.
            some = if f.columns.iter().any(|c| t.columns[*c].not_null) {
                "true"
            } else {
                "abs(hashtext(c.ctid::text)) % 10 < 8"
            },
            pc = parent_cols.join(", "),
            pt = parent.qualified(),
            ct = t.qualified(),
            cc = child_cols.join(", "),
            pq = parent_cols.iter().map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", "),
        );
            let sql = if child_cols.len() == 1 {
                sql.replace(
                    &format!("SET ({})", child_cols[0]),
                    &format!("SET {}", child_cols[0]),
                )
            } else {
                sql
            };
            // One UPDATE of every row of the child: its bound grows with them.
            let rows =
                usize::try_from(rows_of.get(&t.oid).copied().unwrap_or(0)).unwrap_or(usize::MAX);
            let bound = bounded::bound_for_rows(rows, load::COPY_PER_ROW);
            let ran = app.run(bound, |c| {
                let set = bounded::set_statement_timeout(false, bound);
                let r = c.batch_execute(&format!("{set}; {sql}"));
                let _ = c.batch_execute("RESET statement_timeout");
                r
            })?;
            let failure = match (ran.stop(ran.value.as_ref().err()), &ran.value) {
                (Some(stop), _) => Some(stop.to_string()),
                (None, Err(e)) => Some(crate::postgres::cluster::error_text(e)),
                (None, Ok(())) => None,
            };
            if let Some(why) = failure {
                diagnostics.push(Diagnostic::new(
                    Code::ConstraintNotSatisfied,
                    Category::Seed,
                    format!(
                        "`{}` (part of a foreign-key cycle) stayed NULL: {why}",
                        f.name,
                    ),
                    locate_table(statements, t),
                ));
            }
        }
    }
    Ok(())
}
