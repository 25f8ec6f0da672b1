//! Loading generated rows: binary COPY in batches; a batch the server rejects goes through
//! INSERTs in savepoints, where each rejected row is regenerated a few times and the
//! constraint that rejected it is counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::postgres::client::binary_copy::BinaryCopyInWriter;
use crate::postgres::client::types::{ToSql, Type};
use crate::postgres::client::Client;

use super::bounded::{self, DocumentConnection, Stopped};
use super::gen::{Generator, KeyPools};
use super::plan::quote_ident;
use super::values::Value;

/// Rows per COPY statement.
const BATCH: usize = 20_000;
/// Retries of a row the server rejected.
const ROW_RETRIES: u32 = 2;
/// Time a COPY statement may take per row, on top of the statement bound.
pub const COPY_PER_ROW: Duration = Duration::from_millis(1);
/// Time the INSERT fallback may take per row (with its retries), on top of the statement bound.
pub const INSERT_PER_ROW: Duration = Duration::from_millis(5);

/// What happened to one table.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub rows: u64,
    pub seconds: f64,
    pub copy_batches: u64,
    pub insert_batches: u64,
    /// Rows the server rejected, by constraint (else the routine that raised the error, else
    /// the message).
    pub rejected: HashMap<String, u64>,
    /// The first server message per rejecting constraint.
    pub messages: HashMap<String, String>,
    /// A statement that ran past its bound and was stopped (the table's loading stopped there).
    pub stopped: Option<Stopped>,
}

fn column_list(gen: &Generator<'_>) -> String {
    gen.supplied
        .iter()
        .map(|c| quote_ident(&gen.table.columns[*c].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fill `gen`'s table with up to `want` rows, adding the keys children point at to `pools`.
/// `progress` hears the rows so far and the seconds since the start after every batch, and
/// once more (`true`) when the table is finished.
pub fn load_table(
    conn: &mut DocumentConnection<'_>,
    gen: &mut Generator<'_>,
    pools: &mut KeyPools,
    referenced: &[Vec<i16>],
    want: u64,
    in_transaction: bool,
    progress: &mut dyn FnMut(u64, f64, bool),
) -> Result<Loaded, super::SeedError> {
    let started = Instant::now();
    let mut out = Loaded::default();
    let self_ref = gen.table.fks.iter().any(|f| f.ref_table == gen.table.oid);
    let mut batch_size = if self_ref { 200 } else { BATCH };
    let copy_sql = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        gen.table.qualified(),
        column_list(gen)
    );
    let types = vec![Type::BYTEA; gen.supplied.len()];
    while out.rows < want && gen.exhausted.is_none() {
        let n = usize::try_from((want - out.rows).min(batch_size as u64)).unwrap_or(batch_size);
        let accepted = if gen.binary() {
            // Rows stream into COPY as they are generated, so the server works while the next
            // rows are made; they are kept for the INSERT fallback.
            let bound = bounded::bound_for_rows(n, COPY_PER_ROW);
            let ran = conn.run(bound, |c| {
                let set = bounded::set_statement_timeout(false, bound);
                let out = match c.batch_execute(&set) {
                    Ok(()) => copy_batch(c, &copy_sql, &types, gen, pools, n, in_transaction),
                    Err(e) => (Vec::new(), Err(e)),
                };
                let _ = c.batch_execute("RESET statement_timeout");
                out
            })?;
            if let Some(stop) = ran.stop(ran.value.1.as_ref().err()) {
                out.stopped = Some(stop);
                break;
            }
            let (rows, copied) = ran.value;
            if rows.is_empty() {
                break;
            }
            if copied.is_ok() {
                out.copy_batches += 1;
                rows
            } else if in_transaction {
                // Inside a longer transaction the INSERT fallback's own transaction would end
                // it: the batch's rows count as rejected, under what rejected them.
                if let Err(e) = &copied {
                    let (key, message) = match e.as_db_error() {
                        Some(db) => (
                            rejection_key(db.constraint(), db.where_(), db.message()),
                            db.message().to_string(),
                        ),
                        None => (e.to_string(), e.to_string()),
                    };
                    *out.rejected.entry(key.clone()).or_insert(0) += rows.len() as u64;
                    out.messages.entry(key).or_insert(message);
                }
                break;
            } else {
                out.insert_batches += 1;
                match insert_bounded(conn, gen, pools, rows, &mut out)? {
                    Some(accepted) => accepted,
                    None => break,
                }
            }
        } else {
            let mut rows = Vec::with_capacity(n);
            for _ in 0..n {
                match gen.next_row(pools) {
                    Some(r) => rows.push(r),
                    None if gen.exhausted.is_some() => break,
                    None => {}
                }
            }
            if rows.is_empty() {
                break;
            }
            out.insert_batches += 1;
            match insert_bounded(conn, gen, pools, rows, &mut out)? {
                Some(accepted) => accepted,
                None => break,
            }
        };
        let got = accepted.len() as u64;
        out.rows += got;
        for cols in referenced {
            let idx: Vec<usize> = cols
                .iter()
                .filter_map(|a| gen.table.column_index(*a))
                .collect();
            if idx.len() != cols.len() {
                continue;
            }
            let pool = pools.entry((gen.table.oid, cols.clone())).or_default();
            for r in &accepted {
                let key: Vec<Value> = idx.iter().map(|i| r[*i].clone()).collect();
                if !key.iter().any(Value::is_null) {
                    pool.push(key);
                }
            }
        }
        progress(out.rows, started.elapsed().as_secs_f64(), false);
        if got == 0 {
            // Every row of a batch rejected: more of the same will not help.
            break;
        }
        if self_ref {
            batch_size = (batch_size * 2).min(BATCH);
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    progress(out.rows, out.seconds, true);
    Ok(out)
}

/// [`insert_rows`] under the watchdog; `None` when it was stopped (recorded in `out`).
fn insert_bounded(
    conn: &mut DocumentConnection<'_>,
    gen: &mut Generator<'_>,
    pools: &KeyPools,
    rows: Vec<Vec<Value>>,
    out: &mut Loaded,
) -> Result<Option<Vec<Vec<Value>>>, super::SeedError> {
    // Each statement of the fallback (a chunk of rows, one row, the COMMIT that runs deferred
    // triggers) gets the bound of a chunk's rows.
    let bound = bounded::bound_for_rows(rows.len().min(chunk_rows(gen)), INSERT_PER_ROW);
    let ran = conn.run_each(bound, |c, tick| {
        insert_rows(c, tick, bound, gen, pools, rows, out)
    })?;
    if let Some(stop) = ran.stop(ran.value.as_ref().err()) {
        out.stopped = Some(stop);
        return Ok(None);
    }
    Ok(Some(ran.value?))
}

/// [`copy_rows`] in an explicit transaction: a deferred constraint that fails at COMMIT is an
/// error of this batch. In autocommit, the implicit commit's error came after the COPY's
/// completion and was lost, so rows were counted that were never stored.
fn copy_batch(
    client: &mut Client,
    sql: &str,
    types: &[Type],
    gen: &mut Generator<'_>,
    pools: &KeyPools,
    n: usize,
    in_transaction: bool,
) -> (Vec<Vec<Value>>, Result<(), crate::postgres::client::Error>) {
    // Inside a longer transaction (a cycle of NOT NULL keys): a savepoint instead.
    let (begin, commit, rollback) = if in_transaction {
        (
            "SAVEPOINT pgspec_copy",
            "RELEASE SAVEPOINT pgspec_copy",
            "ROLLBACK TO SAVEPOINT pgspec_copy",
        )
    } else {
        ("BEGIN", "COMMIT", "ROLLBACK")
    };
    if let Err(e) = client.batch_execute(begin) {
        return (Vec::new(), Err(e));
    }
    let (rows, copied) = copy_rows(client, sql, types, gen, pools, n);
    let result = copied.and_then(|()| client.batch_execute(commit));
    if result.is_err() {
        let _ = client.batch_execute(rollback);
    }
    (rows, result)
}

fn copy_rows(
    client: &mut Client,
    sql: &str,
    types: &[Type],
    gen: &mut Generator<'_>,
    pools: &KeyPools,
    n: usize,
) -> (Vec<Vec<Value>>, Result<(), crate::postgres::client::Error>) {
    let mut rows = Vec::with_capacity(n);
    let sink = match client.copy_in(sql) {
        Ok(s) => s,
        Err(e) => return (rows, Err(e)),
    };
    let mut writer = BinaryCopyInWriter::new(sink, types);
    let mut failed = None;
    for _ in 0..n {
        let Some(r) = gen.next_row(pools) else {
            if gen.exhausted.is_some() {
                break;
            }
            continue;
        };
        if failed.is_none() {
            if let Err(e) = writer.write_raw(gen.supplied.iter().map(|c| &r[*c])) {
                failed = Some(e);
            }
        }
        rows.push(r);
    }
    if let Some(e) = failed {
        // Dropping the writer without `finish` aborts the COPY.
        drop(writer);
        return (rows, Err(e));
    }
    if rows.is_empty() {
        drop(writer);
        return (rows, Ok(()));
    }
    let result = writer.finish().map(|_| ());
    (rows, result)
}

fn insert_sql(gen: &Generator<'_>, rows: usize) -> String {
    let identity = gen.supplied.iter().any(|c| gen.table.columns[*c].identity);
    let mut sql = format!(
        "INSERT INTO {} ({}){} VALUES ",
        gen.table.qualified(),
        column_list(gen),
        if identity {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        }
    );
    let mut p = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for (k, c) in gen.supplied.iter().enumerate() {
            if k > 0 {
                sql.push_str(", ");
            }
            p += 1;
            if gen.text_cast[k] {
                sql.push_str(&format!("${p}::text::{}", gen.table.columns[*c].type_sql));
            } else {
                sql.push_str(&format!("${p}"));
            }
        }
        sql.push(')');
    }
    sql
}

fn params<'r>(gen: &Generator<'_>, rows: &'r [Vec<Value>]) -> Vec<&'r (dyn ToSql + Sync)> {
    let mut out: Vec<&(dyn ToSql + Sync)> = Vec::new();
    for r in rows {
        for c in &gen.supplied {
            out.push(&r[*c]);
        }
    }
    out
}

/// Rows per multi-row INSERT.
fn chunk_rows(gen: &Generator<'_>) -> usize {
    (30_000 / gen.supplied.len().max(1)).clamp(1, 500)
}

/// What a rejection is counted under: the constraint the server names; else the routine that
/// raised the error (a trigger function's `RAISE` names the row in its message, so counting by
/// message would make one finding per row); else the message.
fn rejection_key(constraint: Option<&str>, context: Option<&str>, message: &str) -> String {
    if let Some(c) = constraint {
        return c.to_string();
    }
    // The innermost frame of the context: `PL/pgSQL function f(integer) line 3 at RAISE`,
    // `SQL function "f" statement 1`.
    let routine = context.and_then(|w| w.lines().next()).and_then(|frame| {
        let rest = frame.split_once(" function ")?.1;
        let end = rest.find(" line ").or_else(|| rest.find(" statement "))?;
        Some(rest[..end].trim_matches('"').to_string())
    });
    routine.unwrap_or_else(|| message.to_string())
}

/// INSERT `rows` in chunks; rows of a failing chunk one by one, each rejected row
/// regenerated up to `ROW_RETRIES` times. Returns the rows that went in.
fn insert_rows(
    client: &mut Client,
    tick: &bounded::Ticker<'_>,
    bound: Option<Duration>,
    gen: &mut Generator<'_>,
    pools: &KeyPools,
    rows: Vec<Vec<Value>>,
    out: &mut Loaded,
) -> Result<Vec<Vec<Value>>, crate::postgres::client::Error> {
    let per_chunk = chunk_rows(gen);
    let mut accepted = Vec::with_capacity(rows.len());
    let mut tx = client.transaction()?;
    tx.batch_execute(&bounded::set_statement_timeout(true, bound))?;
    let mut consecutive_rejects = 0u32;
    for chunk in rows.chunks(per_chunk) {
        if consecutive_rejects > 200 {
            break;
        }
        let sql = insert_sql(gen, chunk.len());
        let mut sp = tx.transaction()?;
        tick.next();
        match sp.execute(sql.as_str(), &params(gen, chunk)) {
            Ok(_) => {
                sp.commit()?;
                accepted.extend(chunk.iter().cloned());
                consecutive_rejects = 0;
                continue;
            }
            // Stopped, not rejected: no row of it is worth retrying.
            Err(e) if bounded::is_stop(&e) => return Err(e),
            Err(_) => {}
        }
        drop(sp);
        let one = insert_sql(gen, 1);
        for row in chunk {
            let mut row = row.clone();
            let mut tries = 0;
            loop {
                let mut sp = tx.transaction()?;
                tick.next();
                match sp.execute(one.as_str(), &params(gen, std::slice::from_ref(&row))) {
                    Ok(_) => {
                        sp.commit()?;
                        accepted.push(row);
                        consecutive_rejects = 0;
                        break;
                    }
                    Err(e) if bounded::is_stop(&e) => return Err(e),
                    Err(e) => {
                        drop(sp);
                        let (key, message) = match e.as_db_error() {
                            Some(db) => (
                                rejection_key(db.constraint(), db.where_(), db.message()),
                                db.message().to_string(),
                            ),
                            None => return Err(e),
                        };
                        *out.rejected.entry(key.clone()).or_default() += 1;
                        out.messages.entry(key).or_insert(message);
                        tries += 1;
                        if tries > ROW_RETRIES {
                            consecutive_rejects += 1;
                            break;
                        }
                        match gen.next_row(pools) {
                            Some(r) => row = r,
                            None => break,
                        }
                    }
                }
            }
            if consecutive_rejects > 200 {
                break;
            }
        }
    }
    tick.next();
    tx.commit()?;
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::rejection_key;

    #[test]
    fn rejections_without_a_constraint_count_under_the_routine_that_raised_them() {
        let plpgsql = Some("PL/pgSQL function appointments_weekday() line 3 at RAISE");
        // Two rows, two messages (the trigger names the row): one key.
        let a = rejection_key(
            None,
            plpgsql,
            "土日は予約できません: [\"2026-07-26 08:00:00\",…)",
        );
        let b = rejection_key(
            None,
            plpgsql,
            "土日は予約できません: [\"2026-07-25 10:00:00\",…)",
        );
        assert_eq!(a, "appointments_weekday()");
        assert_eq!(a, b);
        assert_eq!(
            rejection_key(None, Some("SQL function \"guard\" statement 1"), "no"),
            "guard"
        );
        // A constraint the server names wins; no context leaves the message.
        assert_eq!(
            rejection_key(Some("orders_total_check"), plpgsql, "x"),
            "orders_total_check"
        );
        assert_eq!(rejection_key(None, None, "boom"), "boom");
    }
}
