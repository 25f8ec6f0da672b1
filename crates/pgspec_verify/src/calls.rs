//! Functions and procedures the document defines, called with plausible arguments; pg_cron
//! job commands run once; partition-maintenance leaves the next months covered. Everything in
//! a rolled-back transaction, as the role that owns the document's objects.

use serde_json::json;

use crate::seed::bounded::{self, statement_bound, DocumentConnection};

use crate::postgres::catalog::probes;
use crate::seed::plan::{parse_bound, quote_ident, PartitionBound, Plan};
use crate::seed::values::{days_since_epoch, parse_timestamp, DAY_MICROS};
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

use super::{Claim, ClaimKind, Claims, Status};

/// Months after the current one that must have a partition.
const MONTHS_AHEAD: i64 = 2;

/// Network, server-file and program access pgspec never runs from a document (from the
/// command's tree: `pgspec_sql`'s [`crate::sql::safety::outside_access`]).
pub fn unsafe_command(sql: &str) -> Option<&'static str> {
    crate::sql::safety::outside_access(sql)
}

/// Why a bounded claim has no outcome of its own.
pub struct NoOutcome {
    pub status: Status,
    /// `stopped after 15.5 s: …`, or why the connection could not be made.
    pub reason: String,
}

/// The outcome of a bounded claim, or why there is none: it was stopped (a claim that does
/// not finish within the statement bound fails), or no connection could be made (skipped).
pub fn stop_of<T>(
    ran: Result<bounded::Ran<Result<T, crate::postgres::client::Error>>, crate::seed::SeedError>,
) -> Result<Result<T, crate::postgres::client::Error>, NoOutcome> {
    match ran {
        Ok(ran) => match ran.stop(ran.value.as_ref().err()) {
            // The cancel crossed the statement's end: its result stands.
            Some(stop) if ran.value.is_ok() && !stop.terminated => Ok(ran.value),
            Some(stop) => Err(NoOutcome {
                status: Status::Fail,
                reason: stop.to_string(),
            }),
            None => Ok(ran.value),
        },
        Err(e) => Err(NoOutcome {
            status: Status::Skipped,
            reason: format!("was not run: {e}"),
        }),
    }
}

fn err_text(e: &crate::postgres::client::Error) -> (String, String) {
    match e.as_db_error() {
        Some(d) => (d.code().code().to_string(), d.message().to_string()),
        None => (String::new(), crate::postgres::cluster::error_text(e)),
    }
}

/// The next months' first instants (microseconds since 2000-01-01) that must be covered,
/// from next month on.
fn months_to_cover() -> Vec<(i64, String)> {
    use jiff::ToSpan as _;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut month = today.first_of_month();
    let mut out = Vec::new();
    for _ in 0..MONTHS_AHEAD {
        let Ok(next) = month.checked_add(1.month()) else {
            break;
        };
        month = next;
        out.push((
            days_since_epoch(month) * DAY_MICROS,
            format!("{}-{:02}", month.year(), month.month()),
        ));
    }
    out
}

/// Partitioned tables (range on a date/time key) and the months ahead none of their
/// non-default partitions covers.
fn uncovered(
    tx: &mut crate::postgres::client::Transaction<'_>,
) -> Result<Vec<(String, Vec<String>)>, crate::postgres::client::Error> {
    let rows = probes::partition_bounds(tx)?;
    let mut tables: Vec<(String, Vec<(i64, i64)>)> = Vec::new();
    for r in &rows {
        let (name, bound, key): (String, Option<String>, Option<String>) = r.clone();
        if !key.as_deref().is_some_and(|k| k.starts_with("RANGE")) {
            continue;
        }
        let idx = match tables.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                tables.push((name, Vec::new()));
                tables.len() - 1
            }
        };
        if let Some(PartitionBound::Range(lo, hi)) = bound.as_deref().map(parse_bound) {
            let lo = lo.as_deref().and_then(parse_timestamp);
            let hi = hi.as_deref().and_then(parse_timestamp);
            if let (Some(l), Some(h)) = (lo, hi) {
                tables[idx].1.push((l, h));
            }
        }
    }
    let months = months_to_cover();
    Ok(tables
        .into_iter()
        .filter(|(_, ranges)| !ranges.is_empty())
        .map(|(n, ranges)| {
            let missing = months
                .iter()
                .filter(|(t, _)| !ranges.iter().any(|(l, h)| l <= t && t < h))
                .map(|(_, label)| label.clone())
                .collect();
            (n, missing)
        })
        .collect())
}

fn partition_claim(
    tx: &mut crate::postgres::client::Transaction<'_>,
    line: u32,
    range: TextRange,
    what: &str,
) -> Option<Claim> {
    let before: i64 = probes::inheritance_count(tx).ok()?;
    let _ = before;
    let gaps = uncovered(tx).ok()?;
    let missing: Vec<String> = gaps
        .iter()
        .filter(|(_, m)| !m.is_empty())
        .map(|(t, m)| format!("{t}: {}", m.join(", ")))
        .collect();
    Some(Claim {
        kind: ClaimKind::Partition,
        line,
        title: format!("after {what}, the next {MONTHS_AHEAD} months have partitions"),
        status: if missing.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        },
        reason: (!missing.is_empty())
            .then(|| format!("months without a partition: {}", missing.join("; "))),
        evidence: json!({ "tables": gaps.iter().map(|(t, m)| json!({"table": t, "missing_months": m})).collect::<Vec<_>>() }),
        range,
    })
}

/// SQLSTATE 23505: a unique key already has the value.
const UNIQUE_VIOLATION: &str = "23505";

/// SQLSTATE 2D000: a procedure's COMMIT or ROLLBACK inside a transaction block.
const INVALID_TRANSACTION_TERMINATION: &str = "2D000";

/// Where `word` first occurs in `text` on identifier boundaries.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

/// The catalog's tables, those the function's text (`definition`, lowercase) names first, in
/// the order it names them: a parameter `p_id` is the id of the table the function works on.
fn tables_by_mention<'c>(catalog: &'c Plan, definition: &str) -> Vec<&'c crate::seed::plan::Table> {
    let mut tables: Vec<_> = catalog.tables.iter().collect();
    tables.sort_by_key(|t| word_at(definition, &t.name.to_lowercase()).unwrap_or(usize::MAX));
    tables
}

/// An argument expression for a parameter: a real value of a column with the parameter's
/// name (without `p_`/`in_`/`_`) in the tables the function names first (`definition`, its
/// lowercase text), else (or when `fresh`: a value no row has yet, for a function that
/// inserts it) a plain value of its type.
fn argument(catalog: &Plan, definition: &str, name: &str, type_sql: &str, fresh: bool) -> String {
    let base = name
        .trim_start_matches("p_")
        .trim_start_matches("in_")
        .trim_start_matches("arg_")
        .trim_start_matches('_')
        .to_lowercase();
    for t in tables_by_mention(catalog, definition)
        .into_iter()
        .filter(|_| !fresh)
    {
        for c in &t.columns {
            if (c.name == base || (base == "id" && c.name == "id")) && c.type_sql == type_sql {
                return format!(
                    "(SELECT {col} FROM {tab} WHERE {col} IS NOT NULL LIMIT 1)",
                    col = quote_ident(&c.name),
                    tab = t.qualified()
                );
            }
        }
    }
    let t = type_sql.to_lowercase();
    let v = match t.as_str() {
        "integer" | "bigint" | "smallint" | "numeric" | "real" | "double precision" => {
            if base.contains("month") {
                "1"
            } else if base.contains("day") {
                "7"
            } else {
                "10"
            }
            .to_string()
        }
        "uuid" => "gen_random_uuid()".into(),
        "timestamp with time zone" | "timestamp without time zone" => "now()".into(),
        "date" => "current_date".into(),
        "boolean" => "true".into(),
        "jsonb" | "json" => "'{}'".into(),
        "interval" => "'7 days'".into(),
        "text" | "character varying" => {
            if base.contains("table") {
                // Partition helpers take a table name: the first partitioned table.
                catalog
                    .tables
                    .iter()
                    .find(|t| !t.partitions.is_empty())
                    .map_or_else(|| "'test'".into(), |t| format!("'{}'", t.name))
            } else if base.contains("email") {
                "'verify@example.com'".into()
            } else {
                "'test'".into()
            }
        }
        _ => "NULL".into(),
    };
    format!("{v}::{type_sql}")
}

/// The PL/pgSQL line of `function` in the server's error context (`PL/pgSQL function
/// add_points(bigint,integer) line 3 at SQL statement`), the frame of that function when
/// several are listed (innermost first).
fn failing_body_line(context: &str, function: &str) -> Option<usize> {
    context.lines().find_map(|frame| {
        let rest = frame.trim().strip_prefix("PL/pgSQL function ")?;
        let (name, rest) = rest.split_once('(')?;
        let name = name.rsplit('.').next()?.trim_matches('"');
        if !name.eq_ignore_ascii_case(function) {
            return None;
        }
        let after = rest.split_once(") line ")?.1;
        after.split_whitespace().next()?.parse().ok()
    })
}

/// The document range of line `line` (1 = the line the body starts on) of the body of the
/// function `stmt` creates, trimmed; `None` when the body is not in the statement's text
/// verbatim (a quoted body with doubled quotes).
fn body_line_range(
    document: &crate::document::Document,
    stmt: &Statement,
    line: usize,
) -> Option<TextRange> {
    use crate::sql::ast::{self, NodeEnum};
    let tree = stmt.ast()?;
    let body = ast::top_nodes(tree).find_map(|top| match top {
        NodeEnum::CreateFunctionStmt(f) => f.options.iter().find_map(|o| match ast::node(o)? {
            NodeEnum::DefElem(d) if d.defname == "as" => {
                match d.arg.as_deref().and_then(ast::node)? {
                    NodeEnum::List(l) => ast::names(&l.items).first().map(|s| (*s).to_owned()),
                    NodeEnum::String(s) => Some(s.sval.clone()),
                    _ => None,
                }
            }
            _ => None,
        }),
        _ => None,
    })?;
    let start = stmt.text.find(&body)?;
    let line_start: usize = body
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let text = body.get(line_start..)?.lines().next()?;
    let indent = text.len() - text.trim_start().len();
    let at = start + line_start + indent;
    Some(stmt.document_range(document, at, text.trim().len()))
}

/// Call every function and procedure the document creates.
#[allow(clippy::too_many_lines)]
pub fn functions(
    app: &mut DocumentConnection<'_>,
    catalog: &Plan,
    statements: &[Statement],
    document: &crate::document::Document,
    line_of: &dyn Fn(TextRange) -> u32,
    claims: &mut Claims<'_>,
) {
    let mut seen = Vec::new();
    for s in statements {
        let definition = s.text.to_lowercase();
        for obj in s
            .facts
            .creates
            .iter()
            .filter(|o| o.kind == ObjectKind::Function)
        {
            if seen.contains(&(obj.schema.clone(), obj.name.clone())) {
                continue;
            }
            seen.push((obj.schema.clone(), obj.name.clone()));
            let rows = app.run(statement_bound(), |app| {
                probes::routines_named(app, &obj.name, obj.schema.as_deref())
            });
            let Some(Ok(rows)) = rows.ok().map(|ran| ran.value) else {
                continue;
            };
            for r in rows {
                let (qualified, kind, result) = (r.qualified, r.kind, r.result);
                let result = result.unwrap_or_default();
                let line = line_of(s.range);
                let mut claim = Claim {
                    kind: ClaimKind::Function,
                    line,
                    title: format!("{qualified}(…) runs"),
                    status: Status::Pass,
                    reason: None,
                    evidence: json!({}),
                    range: s.range,
                };
                if result == "trigger" || result == "event_trigger" || kind == "a" || kind == "w" {
                    continue;
                }
                let names = r.arg_names;
                let types = r.arg_types;
                let defaults = r.n_defaults;
                let modes = r.arg_modes;
                let in_names: Vec<String> = if modes.is_empty() {
                    names.clone()
                } else {
                    names
                        .iter()
                        .zip(modes.iter())
                        .filter(|(_, m)| matches!(m.as_str(), "i" | "b" | "v"))
                        .map(|(n, _)| n.clone())
                        .collect()
                };
                let required = types
                    .len()
                    .saturating_sub(usize::try_from(defaults).unwrap_or(0));
                let call_with = |fresh: bool| {
                    let args: Vec<String> = types
                        .iter()
                        .take(required)
                        .enumerate()
                        .map(|(i, t)| {
                            argument(
                                catalog,
                                &definition,
                                in_names.get(i).map_or("", String::as_str),
                                t,
                                fresh,
                            )
                        })
                        .collect();
                    if kind == "p" {
                        format!("CALL {qualified}({})", args.join(", "))
                    } else {
                        format!("SELECT ({qualified}({}))::text", args.join(", "))
                    }
                };
                let mut call = call_with(false);
                // Values taken from existing rows suit a function that looks them up; one that
                // inserts them (a new tenant's slug) meets its own unique key: it is called
                // again with values no row has.
                let fresh_call = Some(call_with(true)).filter(|c| *c != call);
                claim.title = format!("{qualified}({}) runs", types.join(", "));
                let is_partition = qualified.to_lowercase().contains("partition");
                let started = std::time::Instant::now();
                let ran = app.run_each(
                    statement_bound(),
                    |app,
                     tick|
                     -> Result<
                        (Option<String>, Option<Claim>, bool),
                        crate::postgres::client::Error,
                    > {
                        tick.next();
                        let mut tx = app.transaction()?;
                        tx.batch_execute(&bounded::set_statement_timeout(true, statement_bound()))?;
                        tx.batch_execute("SAVEPOINT pgspec_call")?;
                        tick.next();
                        let mut fresh = false;
                        let rows = match (tx.query(call.as_str(), &[]), &fresh_call) {
                            (Err(e), Some(again))
                                if e.code().map(|c| c.code()) == Some(UNIQUE_VIOLATION) =>
                            {
                                tx.batch_execute("ROLLBACK TO SAVEPOINT pgspec_call")?;
                                fresh = true;
                                tx.query(again.as_str(), &[])?
                            }
                            (ran, _) => ran?,
                        };
                        let value = rows
                            .first()
                            .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten());
                        tick.next();
                        let part = if is_partition {
                            partition_claim(&mut tx, line, s.range, &format!("calling {qualified}"))
                        } else {
                            None
                        };
                        tick.next();
                        drop(tx);
                        Ok((value, part, fresh))
                    },
                );
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                let outcome = match stop_of(ran) {
                    Ok(outcome) => outcome,
                    Err(why) => {
                        claim.status = why.status;
                        claim.reason = Some(format!("the call {}", why.reason));
                        claim.evidence = json!({ "call": call, "stopped": why.reason, "ms": ms });
                        claims.push(claim);
                        continue;
                    }
                };
                match outcome {
                    Ok((value, part, fresh)) => {
                        if fresh {
                            call = fresh_call.clone().unwrap_or(call);
                        }
                        claim.evidence = json!({ "call": call, "result": value.map(|v| v.chars().take(200).collect::<String>()), "ms": ms });
                        claims.push(claim);
                        claims.extend(part);
                    }
                    Err(e) => {
                        let (code, msg) = err_text(&e);
                        claim.status = Status::Fail;
                        claim.reason = Some(msg.clone());
                        // At the failing line of the body, when the server says which.
                        let context = e.as_db_error().and_then(|d| d.where_()).unwrap_or("");
                        let mut failing_text = "";
                        if let Some((body_line, range)) = failing_body_line(context, &obj.name)
                            .and_then(|l| Some((l, body_line_range(document, s, l)?)))
                        {
                            failing_text = document
                                .text
                                .get(range.start as usize..range.end as usize)
                                .unwrap_or("");
                            claim.range = range;
                            claim.line = line_of(range);
                            claim.reason =
                                Some(format!("{msg} (line {body_line} of the function's body)"));
                        }
                        claim.evidence = json!({ "call": call, "sqlstate": code, "error": msg, "context": context });
                        if kind == "p" && code == INVALID_TRANSACTION_TERMINATION {
                            // Not the procedure's fault: its COMMIT or ROLLBACK cannot run in
                            // the transaction pgspec calls it in (and rolls back).
                            claim.status = Status::Skipped;
                            claim.reason = Some(format!(
                                "the procedure ends its own transaction (COMMIT or ROLLBACK{}), and pgspec calls it only inside a transaction it rolls back, so as not to keep its changes: run `{call}` yourself",
                                failing_body_line(context, &obj.name)
                                    .map(|l| format!(", line {l} of its body"))
                                    .unwrap_or_default()
                            ));
                        }
                        if named_at_run_time(&code, &msg, failing_text, &definition) {
                            claim.status = Status::Skipped;
                            claim.reason = Some(format!(
                                "the function runs SQL it builds at run time (`{}`), and the object that SQL names, from pgspec's arguments or the seeded rows, does not exist: {msg}; call it with real arguments to check it (`{call}` was pgspec's guess)",
                                failing_text.chars().take(80).collect::<String>()
                            ));
                        }
                        claims.push(claim);
                    }
                }
            }
        }
    }
}

/// Whether a function's error is about an object its dynamic SQL named at run time: the
/// failing statement (`failing_statement`) runs `EXECUTE`, the server says a relation or
/// schema does not exist (42P01, 3F000), and the name it quotes is nowhere in the function's
/// text (`definition`, lowercase), so it came from the arguments or the rows the function
/// read (`format('%I.kunden', schema)` with pgspec's guessed schema), not from the document.
fn named_at_run_time(
    sqlstate: &str,
    message: &str,
    failing_statement: &str,
    definition: &str,
) -> bool {
    if !matches!(sqlstate, "42P01" | "3F000") {
        return false;
    }
    let dynamic = failing_statement
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| w == "execute");
    let Some(name) = message.split('"').nth(1).filter(|n| !n.is_empty()) else {
        return false;
    };
    dynamic && word_at(definition, &name.to_lowercase()).is_none()
}

/// Run every pg_cron job command once.
pub fn schedules(
    app: &mut DocumentConnection<'_>,
    statements: &[Statement],
    line_of: &dyn Fn(TextRange) -> u32,
    claims: &mut Claims<'_>,
) {
    for s in statements {
        // The job, from the statement's kept tree.
        let Some(schedule) = s.cron_schedule() else {
            continue;
        };
        let (job, command) = (schedule.name.unwrap_or_default(), schedule.command);
        let line = line_of(s.range);
        let mut claim = Claim {
            kind: ClaimKind::Schedule,
            line,
            title: format!(
                "cron job {} runs: {}",
                if job.is_empty() { "(unnamed)" } else { &job },
                command
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(60)
                    .collect::<String>()
            ),
            status: Status::Pass,
            reason: None,
            evidence: json!({ "command": command }),
            range: s.range,
        };
        if let Some(what) = unsafe_command(&command) {
            claim.status = Status::Skipped;
            claim.reason = Some(format!(
                "pgspec does not run commands that use `{}`",
                what.trim()
            ));
            claims.push(claim);
            continue;
        }
        let is_partition = command.to_lowercase().contains("partition");
        let started = std::time::Instant::now();
        let ran = app.run_each(
            statement_bound(),
            |app, tick| -> Result<Option<Claim>, crate::postgres::client::Error> {
                tick.next();
                let mut tx = app.transaction()?;
                tx.batch_execute(&bounded::set_statement_timeout(true, statement_bound()))?;
                tick.next();
                tx.batch_execute(&command)?;
                tick.next();
                let part = if is_partition {
                    partition_claim(&mut tx, line, s.range, &format!("the job {job}"))
                } else {
                    None
                };
                tick.next();
                drop(tx);
                Ok(part)
            },
        );
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let outcome = match stop_of(ran) {
            Ok(outcome) => outcome,
            Err(why) => {
                claim.status = why.status;
                claim.reason = Some(format!("the job {}", why.reason));
                claim.evidence = json!({ "command": command, "stopped": why.reason, "ms": ms });
                claims.push(claim);
                continue;
            }
        };
        match outcome {
            Ok(part) => {
                claim.evidence = json!({ "command": command, "ms": ms });
                claims.push(claim);
                claims.extend(part);
            }
            Err(e) => {
                let (code, msg) = err_text(&e);
                if code == "25001" {
                    claim.status = Status::Skipped;
                    claim.reason = Some(format!(
                        "not run: {msg} (pgspec runs every claim in a rolled-back transaction)"
                    ));
                } else {
                    claim.status = Status::Fail;
                    claim.reason = Some(msg.clone());
                }
                claim.evidence = json!({ "command": command, "sqlstate": code, "error": msg });
                claims.push(claim);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_line_of_the_functions_own_frame() {
        let context = "PL/pgSQL function helper(integer) line 2 at RAISE\nSQL statement \"SELECT helper(1)\"\nPL/pgSQL function public.add_points(bigint,integer) line 5 at PERFORM";
        assert_eq!(failing_body_line(context, "add_points"), Some(5));
        assert_eq!(failing_body_line(context, "helper"), Some(2));
        assert_eq!(failing_body_line(context, "other"), None);
        assert_eq!(
            failing_body_line("SQL function \"f\" statement 1", "f"),
            None
        );
    }

    #[test]
    fn dynamic_sql_naming_a_missing_object_at_run_time() {
        let definition =
            "create function stats(p_schema text) returns bigint language plpgsql as $$ \
            begin execute format('select count(*) from %i.kunden', p_schema); \
            execute 'select count(*) from orderz'; end $$;";
        let dynamic = "EXECUTE format('SELECT count(*) FROM %I.kunden', p_schema);";
        // The schema came from pgspec's argument: not the function's fault.
        assert!(named_at_run_time(
            "42P01",
            "relation \"test.kunden\" does not exist",
            dynamic,
            definition
        ));
        assert!(named_at_run_time(
            "3F000",
            "schema \"m_x1\" does not exist",
            dynamic,
            definition
        ));
        // A misspelled table written in the function itself is its error.
        assert!(!named_at_run_time(
            "42P01",
            "relation \"orderz\" does not exist",
            "EXECUTE 'SELECT count(*) FROM orderz';",
            definition
        ));
        // Static SQL, or another error: the function's.
        assert!(!named_at_run_time(
            "42P01",
            "relation \"test.kunden\" does not exist",
            "SELECT count(*) INTO n FROM test.kunden;",
            definition
        ));
        assert!(!named_at_run_time(
            "23505",
            "duplicate key value violates unique constraint \"k\"",
            dynamic,
            definition
        ));
    }

    #[test]
    fn unsafe_commands_are_recognised() {
        assert_eq!(unsafe_command("COPY t FROM PROGRAM 'id'"), Some("COPY"));
        assert_eq!(unsafe_command("SELECT 1; copy t to '/tmp/x'"), Some("COPY"));
        assert_eq!(
            unsafe_command("SELECT net.http_post('x')"),
            Some("net.http_")
        );
        assert_eq!(
            unsafe_command("SELECT * FROM jobs WHERE type = 'copy'"),
            None
        );
    }

    #[test]
    fn months_ahead_are_future() {
        let m = months_to_cover();
        assert_eq!(m.len(), 2);
        assert!(m[0].0 > crate::seed::values::today_micros());
    }
}
