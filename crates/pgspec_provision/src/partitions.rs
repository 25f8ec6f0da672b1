//! Partition coverage: a table partitioned by RANGE on a date/timestamp column only accepts
//! rows whose key falls into some partition. Design documents typically show the partitions
//! of the month they were written in; a database brought up later rejects today's rows
//! (`no partition of relation "events" found for row`). [`ensure_coverage`] creates monthly
//! partitions for the months around "today" that no partition covers (and optionally a
//! DEFAULT partition); [`uncovered_today`] lists the tables that would reject a row dated
//! today.
//!
//! Bounds are compared by value, not by text: the server casts every bound literal to the key
//! type and reports its epoch, so monthly, yearly and arbitrary ranges (and MINVALUE /
//! MAXVALUE) are compared alike. A month that is partly covered gets a partition for the
//! uncovered rest only, so a created partition never overlaps an existing one.
//!
//! Time zones: for `timestamptz` keys month boundaries are midnight UTC when every existing
//! bound is a UTC month boundary (or there is no bound to go by and the session is in UTC),
//! otherwise midnight in the session's `TimeZone`. The literals pgspec writes carry an
//! explicit offset, so they mean the same instant whatever the app session's `TimeZone`.

use std::collections::{BTreeSet, HashMap};

use crate::postgres::{ApplySession, ClusterError, Outcome};
use crate::sql::quote::{quote_ident, quote_literal};

use super::{ActionKind, ProvisionAction};

mod names;
use names::{choose_template, fit_identifier};

mod bounds;
use bounds::{gaps, parse_bound, BoundValue, Interval, PartBound, Point};
/// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes).
const MAX_IDENTIFIER_BYTES: usize = 63;
/// SQLSTATE insufficient_privilege: the only failure worth retrying as superuser.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Make sure every RANGE-partitioned table keyed on one date/timestamp/timestamptz column has
/// partitions for the months `today ..= today + months_ahead` (`today` is `(year, month)`,
/// month 1–12), and with `add_default`, a DEFAULT partition.
///
/// Missing months get monthly partitions named after the pattern the existing monthly
/// partitions follow (`events_2025_01` → `events_2026_11`; `events_202501` → `events_202611`;
/// `events_p2025_01`, …), else `<table>_yYYYYmMM`. Tables partitioned otherwise (LIST, HASH,
/// several key columns, an expression, another key type) get a [`ActionKind::Skipped`] note.
/// Sub-partitioned tables: top-level tables are handled; a partition that is itself
/// partitioned by RANGE on a time column is handled too unless an ancestor already ranges
/// over a column of the same name (its own bound then confines it to part of the time line).
///
/// The statements run as the app role (which owns the tables the document created); only a
/// privilege failure is retried as superuser, after which the new partition is given to the
/// table's owner. A table whose partitions already cover the window yields no action, so
/// running this twice creates nothing the second time.
pub fn ensure_coverage(
    session: &mut ApplySession,
    today: (i32, u32),
    months_ahead: u32,
    add_default: bool,
) -> Result<Vec<ProvisionAction>, ClusterError> {
    let months = month_window(today, months_ahead);
    let mut actions = Vec::new();
    for table in load_tables(session)? {
        let key = match eligibility(&table) {
            Eligibility::Eligible(key) => key,
            Eligibility::Ignored => continue,
            Eligibility::Skipped(note) => {
                actions.push(ProvisionAction::skipped(table.qualified(), note));
                continue;
            }
        };
        provision_table(session, &table, key, &months, add_default, &mut actions)?;
    }
    Ok(actions)
}

/// The partitioned tables (schema-qualified, `public.events`) into which an INSERT with the
/// partition key at midnight of `today` (`(year, month, day)`; for `timestamptz` keys midnight
/// as [`ensure_coverage`] would place month boundaries) would fail because no partition
/// accepts it. Only the tables [`ensure_coverage`] provisions are considered; a table with a
/// DEFAULT partition accepts every row.
pub fn uncovered_today(
    session: &mut ApplySession,
    today: (i32, u32, u32),
) -> Result<Vec<String>, ClusterError> {
    let mut uncovered = Vec::new();
    for table in load_tables(session)? {
        let Eligibility::Eligible(key) = eligibility(&table) else {
            continue;
        };
        let coverage = Coverage::of(session, &table, key)?;
        if coverage.has_default {
            continue;
        }
        let points = day_points(session, key, coverage.zone_utc, &[today])?;
        let covered = points
            .first()
            .is_some_and(|p| coverage.intervals.iter().any(|i| i.contains(p.epoch)));
        if !covered {
            uncovered.push(table.qualified());
        }
    }
    Ok(uncovered)
}

/// Today's date in UTC as `(year, month, day)`, from the system clock.
pub fn today_utc() -> (i32, u32, u32) {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    (
        i32::from(today.year()),
        u32::try_from(today.month()).unwrap_or(1),
        u32::try_from(today.day()).unwrap_or(1),
    )
}

/// The months `start ..= start + months_ahead`. A month outside 1–12 is clamped.
fn month_window(start: (i32, u32), months_ahead: u32) -> Vec<(i32, u32)> {
    let start = (start.0, start.1.clamp(1, 12));
    (0..=months_ahead).map(|k| add_months(start, k)).collect()
}

fn add_months((year, month): (i32, u32), k: u32) -> (i32, u32) {
    let index = i64::from(year) * 12 + i64::from(month - 1) + i64::from(k);
    (index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1)
}

/// The key types pgspec provisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyType {
    Date,
    Timestamp,
    Timestamptz,
}

impl KeyType {
    /// By type OID (`pg_type.oid` is stable for built-in types).
    fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "1082" => Some(KeyType::Date),
            "1114" => Some(KeyType::Timestamp),
            "1184" => Some(KeyType::Timestamptz),
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            KeyType::Date => "pg_catalog.date",
            KeyType::Timestamp => "pg_catalog.timestamp",
            KeyType::Timestamptz => "pg_catalog.timestamptz",
        }
    }
}

/// A partitioned table as the catalog query reports it.
#[derive(Clone, Debug, Default)]
struct Table {
    schema: String,
    name: String,
    owner: String,
    /// `r` (range), `l` (list), `h` (hash).
    strategy: String,
    key_count: u32,
    /// None for an expression key.
    key_column: Option<String>,
    key_type_oid: Option<String>,
    key_type: Option<String>,
    is_partition: bool,
    ancestor_ranges_key: bool,
    children: Vec<Child>,
}

#[derive(Clone, Debug)]
struct Child {
    name: String,
    bound: String,
    partitioned: bool,
}

impl Table {
    fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

fn load_tables(session: &mut ApplySession) -> Result<Vec<Table>, ClusterError> {
    let mut tables: Vec<Table> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in crate::postgres::catalog::partition_rows(session)? {
        let col = |i: usize| row.get(i).cloned().flatten();
        let Some(oid) = col(0) else { continue };
        let position = *index.entry(oid).or_insert_with(|| {
            tables.push(Table {
                schema: col(1).unwrap_or_default(),
                name: col(2).unwrap_or_default(),
                owner: col(3).unwrap_or_default(),
                strategy: col(4).unwrap_or_default(),
                key_count: col(5).and_then(|v| v.parse().ok()).unwrap_or(0),
                key_column: col(6),
                key_type_oid: col(7),
                key_type: col(8),
                is_partition: col(9).as_deref() == Some("true"),
                ancestor_ranges_key: col(10).as_deref() == Some("true"),
                children: Vec::new(),
            });
            tables.len() - 1
        });
        if let (Some(name), Some(bound)) = (col(12), col(13)) {
            tables[position].children.push(Child {
                name,
                bound,
                partitioned: col(14).as_deref() == Some("true"),
            });
        }
    }
    Ok(tables)
}

enum Eligibility {
    Eligible(KeyType),
    /// A sub-partitioned table that is not worth a note.
    Ignored,
    Skipped(String),
}

fn eligibility(table: &Table) -> Eligibility {
    let ignored_or = |note: String| {
        // Notes are for the tables the document partitions; intermediate levels of a
        // sub-partitioned table would only repeat them.
        if table.is_partition {
            Eligibility::Ignored
        } else {
            Eligibility::Skipped(note)
        }
    };
    let strategy = match table.strategy.as_str() {
        "r" => "RANGE",
        "l" => "LIST",
        "h" => "HASH",
        _ => "unknown",
    };
    if strategy != "RANGE" {
        return ignored_or(format!(
            "{strategy}-partitioned: pgspec only adds partitions to tables partitioned by RANGE on a date or timestamp column"
        ));
    }
    if table.key_count != 1 {
        return ignored_or(format!(
            "the RANGE partition key has {} columns: pgspec only adds partitions for a single date or timestamp column",
            table.key_count
        ));
    }
    let Some(column) = &table.key_column else {
        return ignored_or(
            "the RANGE partition key is an expression: pgspec only adds partitions for a plain date or timestamp column"
                .to_string(),
        );
    };
    let Some(key) = table.key_type_oid.as_deref().and_then(KeyType::from_oid) else {
        return ignored_or(format!(
            "the RANGE partition key `{column}` is of type {}, not date, timestamp or timestamptz",
            table.key_type.as_deref().unwrap_or("unknown")
        ));
    };
    if table.is_partition && table.ancestor_ranges_key {
        // Its own partition bound already confines it to a slice of the time line.
        return Eligibility::Ignored;
    }
    Eligibility::Eligible(key)
}

/// What the existing partitions of a table cover.
struct Coverage {
    intervals: Vec<Interval>,
    has_default: bool,
    /// Month boundaries at midnight UTC (else in the session's TimeZone); timestamptz only.
    zone_utc: bool,
    /// Some partitions are themselves partitioned (a created partition will not be).
    sub_partitioned: bool,
    /// Monthly partitions: `(year, month, partition name)`.
    monthly: Vec<(i32, u32, String)>,
}

impl Coverage {
    fn of(session: &mut ApplySession, table: &Table, key: KeyType) -> Result<Self, ClusterError> {
        let mut has_default = false;
        let mut ranges = Vec::new();
        for child in &table.children {
            match parse_bound(&child.bound) {
                PartBound::Default => has_default = true,
                PartBound::Range { from, to } if from.len() == 1 && to.len() == 1 => {
                    ranges.push((child, from[0].clone(), to[0].clone()));
                }
                // Not produced for a single-column RANGE key; nothing to compare.
                _ => {}
            }
        }
        let literals: Vec<String> = ranges
            .iter()
            .flat_map(|(_, lo, hi)| [lo, hi])
            .filter_map(|v| match v {
                BoundValue::Literal(l) => Some(l.clone()),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let evaluated = literal_epochs(session, key, &literals)?;
        let value = |v: &BoundValue| -> Option<(f64, Option<String>)> {
            match v {
                BoundValue::MinValue => Some((f64::NEG_INFINITY, None)),
                BoundValue::MaxValue => Some((f64::INFINITY, None)),
                BoundValue::Literal(l) => evaluated.get(l).map(|e| (e.epoch, Some(l.clone()))),
            }
        };
        let zone_utc = key == KeyType::Timestamptz && {
            if evaluated.is_empty() {
                session_in_utc(session)?
            } else {
                evaluated.values().all(|e| e.utc_aligned)
            }
        };
        // Month boundaries are recognized in the zone months are cut in.
        let month_of = |literal: &str| -> Option<(i32, u32)> {
            if zone_utc {
                month_start(evaluated.get(literal)?.utc_text.as_deref()?)
            } else {
                month_start(literal)
            }
        };
        let mut intervals = Vec::new();
        let mut monthly = Vec::new();
        for (child, lo, hi) in &ranges {
            let (Some((lo_epoch, lo_literal)), Some((hi_epoch, hi_literal))) =
                (value(lo), value(hi))
            else {
                continue;
            };
            if let (BoundValue::Literal(l), BoundValue::Literal(h)) = (lo, hi) {
                if let (Some(start), Some(end)) = (month_of(l), month_of(h)) {
                    if add_months(start, 1) == end {
                        monthly.push((start.0, start.1, child.name.clone()));
                    }
                }
            }
            intervals.push(Interval {
                lo: lo_epoch,
                hi: hi_epoch,
                lo_literal,
                hi_literal,
                partition: child.name.clone(),
            });
        }
        Ok(Coverage {
            intervals,
            has_default,
            zone_utc,
            sub_partitioned: table.children.iter().any(|c| c.partitioned),
            monthly,
        })
    }
}

/// `2025-01-01`, `2025-01-01 00:00:00`, `2025-01-01 00:00:00+00` → `(2025, 1)`: the literal is
/// the first instant of a month as the server printed it (ISO DateStyle).
fn month_start(literal: &str) -> Option<(i32, u32)> {
    let date = literal.get(..10)?;
    let bytes = date.as_bytes();
    if bytes[4] != b'-' || bytes[7] != b'-' || &date[8..10] != "01" {
        return None;
    }
    let year: i32 = date[..4].parse().ok()?;
    let month: u32 = date[5..7].parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let time = literal[10..].trim_start();
    let midnight = time.is_empty()
        || time.strip_prefix("00:00:00").is_some_and(|rest| {
            // Zero fractional seconds, then an optional UTC offset.
            let offset = rest
                .strip_prefix('.')
                .map_or(rest, |r| r.trim_start_matches('0'));
            offset.is_empty()
                || (offset.starts_with(['+', '-'])
                    && offset[1..].chars().all(|c| c.is_ascii_digit() || c == ':'))
        });
    midnight.then_some((year, month))
}

fn session_in_utc(session: &mut ApplySession) -> Result<bool, ClusterError> {
    let rows = session.query_strings(
        "SELECT pg_catalog.current_setting('TimeZone') IN ('UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Etc/UCT', 'UCT', 'Universal', 'Zulu', 'Etc/Universal', 'Etc/Zulu')::text",
    )?;
    Ok(first_value(&rows, 0).as_deref() == Some("true"))
}

fn first_value(rows: &[Vec<Option<String>>], column: usize) -> Option<String> {
    rows.first().and_then(|r| r.get(column)).cloned().flatten()
}

fn parse_epoch(text: &str) -> Option<f64> {
    match text {
        "Infinity" | "infinity" => Some(f64::INFINITY),
        "-Infinity" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// A bound literal as the server reads it.
#[derive(Clone, Debug, PartialEq)]
struct Evaluated {
    epoch: f64,
    /// A month boundary in UTC (timestamptz only; always true otherwise).
    utc_aligned: bool,
    /// timestamptz: the instant written in UTC (`2026-10-01 00:00:00`); pg_get_expr writes it
    /// in the session's time zone, which hides a UTC month boundary.
    utc_text: Option<String>,
}

/// Each literal's value as the key type.
fn literal_epochs(
    session: &mut ApplySession,
    key: KeyType,
    literals: &[String],
) -> Result<HashMap<String, Evaluated>, ClusterError> {
    if literals.is_empty() {
        return Ok(HashMap::new());
    }
    let ty = key.sql();
    let values: Vec<String> = literals
        .iter()
        .enumerate()
        .map(|(i, l)| format!("({i}, {})", quote_literal(l)))
        .collect();
    let utc = match key {
        KeyType::Timestamptz => format!(
            "(pg_catalog.date_trunc('month', t.v::{ty}, 'UTC') = t.v::{ty})::text, \
             pg_catalog.to_char(t.v::{ty} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        ),
        _ => "'true', NULL".to_string(),
    };
    let sql = format!(
        "SELECT t.i::text, EXTRACT(epoch FROM t.v::{ty})::text, {utc} \
         FROM (VALUES {}) AS t(i, v) ORDER BY t.i",
        values.join(", ")
    );
    let mut result = HashMap::new();
    for row in session.query_strings(&sql)? {
        let index: Option<usize> = row.first().cloned().flatten().and_then(|v| v.parse().ok());
        let epoch = row.get(1).cloned().flatten().and_then(|v| parse_epoch(&v));
        let utc_aligned = row.get(2).cloned().flatten().as_deref() == Some("true");
        let utc_text = row.get(3).cloned().flatten();
        if let (Some(literal), Some(epoch)) = (index.and_then(|i| literals.get(i)), epoch) {
            result.insert(
                literal.clone(),
                Evaluated {
                    epoch,
                    utc_aligned,
                    utc_text,
                },
            );
        }
    }
    Ok(result)
}

/// Midnight of each `(year, month, day)` as a value of the key type: its literal (for
/// timestamptz with an explicit UTC offset) and its epoch.
fn day_points(
    session: &mut ApplySession,
    key: KeyType,
    zone_utc: bool,
    days: &[(i32, u32, u32)],
) -> Result<Vec<Point>, ClusterError> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let value = match key {
        KeyType::Date => "pg_catalog.make_date(t.y, t.m, t.d)",
        KeyType::Timestamp => "pg_catalog.make_timestamp(t.y, t.m, t.d, 0, 0, 0)",
        KeyType::Timestamptz if zone_utc => {
            "pg_catalog.make_timestamptz(t.y, t.m, t.d, 0, 0, 0, 'UTC')"
        }
        KeyType::Timestamptz => "pg_catalog.make_timestamptz(t.y, t.m, t.d, 0, 0, 0)",
    };
    let values: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, (y, m, d))| format!("({i}, {y}, {m}, {d})"))
        .collect();
    // `OF` prints the offset, so the literal names one instant in any session time zone.
    let sql = format!(
        "SELECT s.i::text, pg_catalog.to_char(s.b, 'YYYY-MM-DD HH24:MI:SSOF'), \
         EXTRACT(epoch FROM s.b)::text \
         FROM (SELECT t.i, {value} AS b FROM (VALUES {}) AS t(i, y, m, d)) AS s ORDER BY s.i",
        values.join(", ")
    );
    let rows = session.query_strings(&sql)?;
    let mut points = Vec::with_capacity(days.len());
    for (i, (y, m, d)) in days.iter().enumerate() {
        let row = rows.get(i);
        let cell = |c: usize| row.and_then(|r| r.get(c)).cloned().flatten();
        let epoch = cell(2).and_then(|e| parse_epoch(&e)).ok_or_else(|| {
            ClusterError::Server(format!(
                "pgspec could not compute midnight of {y:04}-{m:02}-{d:02} as {}",
                key.sql()
            ))
        })?;
        let literal = match key {
            KeyType::Date => format!("{y:04}-{m:02}-{d:02}"),
            KeyType::Timestamp => format!("{y:04}-{m:02}-{d:02} 00:00:00"),
            KeyType::Timestamptz => cell(1).unwrap_or_default(),
        };
        points.push(Point { literal, epoch });
    }
    Ok(points)
}

/// Names of relations and types in a schema (a new table's name must not clash with either:
/// CREATE TABLE also creates a row type of the same name).
fn names_in_schema(
    session: &mut ApplySession,
    schema: &str,
) -> Result<BTreeSet<String>, ClusterError> {
    crate::postgres::catalog::names_in_schema(session, schema)
}

/// `name`, or `name_2`, `name_3`, … (fitted to 63 bytes) if taken.
fn unused_name(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| fit_identifier(base, &format!("_{n}")))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_string())
}

fn provision_table(
    session: &mut ApplySession,
    table: &Table,
    key: KeyType,
    months: &[(i32, u32)],
    add_default: bool,
    actions: &mut Vec<ProvisionAction>,
) -> Result<(), ClusterError> {
    let coverage = Coverage::of(session, table, key)?;
    let mut boundaries: Vec<(i32, u32, u32)> = months.iter().map(|&(y, m)| (y, m, 1)).collect();
    if let Some(&last) = months.last() {
        let (y, m) = add_months(last, 1);
        boundaries.push((y, m, 1));
    }
    let points = day_points(session, key, coverage.zone_utc, &boundaries)?;
    let template = choose_template(&table.name, &coverage.monthly);
    let mut taken = names_in_schema(session, &table.schema)?;

    let mut common_notes = Vec::new();
    if key == KeyType::Timestamptz {
        common_notes.push(if coverage.zone_utc {
            "month boundaries at midnight UTC".to_string()
        } else {
            "month boundaries at midnight in the server's TimeZone".to_string()
        });
    }
    if coverage.sub_partitioned {
        common_notes.push(
            "other partitions of this table are sub-partitioned; this one is a plain table"
                .to_string(),
        );
    }

    for (i, &month) in months.iter().enumerate() {
        let (Some(start), Some(end)) = (points.get(i), points.get(i + 1)) else {
            break;
        };
        let month_gaps = gaps(start, end, &coverage.intervals);
        let partial = month_gaps.len() != 1
            || month_gaps
                .first()
                .is_some_and(|(lo, hi)| lo.epoch != start.epoch || hi.epoch != end.epoch);
        for (lo, hi) in month_gaps {
            let base = template.render(month, if partial { "_rest" } else { "" });
            let name = unused_name(&base, &taken);
            let sql = format!(
                "CREATE TABLE {}.{} PARTITION OF {} FOR VALUES FROM ({}) TO ({})",
                quote_ident(&table.schema),
                quote_ident(&name),
                table.quoted(),
                quote_literal(&lo.literal),
                quote_literal(&hi.literal)
            );
            let mut notes = common_notes.clone();
            if partial {
                let overlapping: Vec<&str> = coverage
                    .intervals
                    .iter()
                    .filter(|iv| iv.lo < end.epoch && iv.hi > start.epoch)
                    .map(|iv| iv.partition.as_str())
                    .collect();
                notes.push(format!(
                    "{:04}-{:02} is partly covered by {}; this partition covers only the rest",
                    month.0,
                    month.1,
                    overlapping.join(", ")
                ));
            }
            let object = format!("{}.{name}", table.schema);
            actions.push(create(
                session,
                ActionKind::PartitionCreated,
                object,
                sql,
                table,
                &name,
                notes,
            )?);
            taken.insert(name);
        }
    }

    if add_default && !coverage.has_default {
        let name = unused_name(&fit_identifier(&table.name, "_default"), &taken);
        let sql = format!(
            "CREATE TABLE {}.{} PARTITION OF {} DEFAULT",
            quote_ident(&table.schema),
            quote_ident(&name),
            table.quoted()
        );
        let object = format!("{}.{name}", table.schema);
        let notes = vec![
            "rows outside every other partition land here; a later partition for their range can only be created after moving them out".to_string(),
        ];
        actions.push(create(
            session,
            ActionKind::DefaultPartitionCreated,
            object,
            sql,
            table,
            &name,
            notes,
        )?);
        taken.insert(name);
    }
    Ok(())
}

/// Run a CREATE as the app role; on a privilege failure as superuser, then hand the partition
/// to the table's owner (so the app role can still alter it). A failure becomes a Skipped
/// action carrying the server's message.
fn create(
    session: &mut ApplySession,
    kind: ActionKind,
    object: String,
    sql: String,
    table: &Table,
    name: &str,
    mut notes: Vec<String>,
) -> Result<ProvisionAction, ClusterError> {
    let error = match session.apply(&sql)? {
        Outcome::Applied { .. } => {
            return Ok(ProvisionAction::new(kind, object, sql, notes.join("; ")))
        }
        Outcome::Failed { error, .. } => error,
    };
    if error.sqlstate != INSUFFICIENT_PRIVILEGE {
        notes.insert(0, format!("PostgreSQL refused it: {}", error.message));
        return Ok(ProvisionAction::new(
            ActionKind::Skipped,
            object,
            sql,
            notes.join("; "),
        ));
    }
    match session.apply_as_superuser(&sql)? {
        Outcome::Applied { .. } => {
            let owner_sql = format!(
                "ALTER TABLE {}.{} OWNER TO {}",
                quote_ident(&table.schema),
                quote_ident(name),
                quote_ident(&table.owner)
            );
            let owned = session.apply_as_superuser(&owner_sql)?.is_applied();
            notes.insert(
                0,
                if owned {
                    format!(
                        "created as superuser (the app role may not: {}), then given to {}",
                        error.message, table.owner
                    )
                } else {
                    format!(
                        "created as superuser (the app role may not: {}); it is owned by the superuser",
                        error.message
                    )
                },
            );
            Ok(ProvisionAction::new(kind, object, sql, notes.join("; ")))
        }
        Outcome::Failed { error: again, .. } => {
            notes.insert(
                0,
                format!(
                    "PostgreSQL refused it, as the app role ({}) and as superuser ({})",
                    error.message, again.message
                ),
            );
            Ok(ProvisionAction::new(
                ActionKind::Skipped,
                object,
                sql,
                notes.join("; "),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
