//! `pgspec seed`: fill the database `pgspec up` made with synthetic rows that satisfy its
//! constraints: types, NOT NULL, PRIMARY KEY / UNIQUE (composite and partial), foreign keys in
//! dependency order (self references from earlier rows, cycles by a second UPDATE pass), CHECK
//! constraints (IN-lists, bounds, regexes, column comparisons, computed totals), partition
//! bounds. Rows go in with binary COPY; a batch the server rejects goes through INSERTs with
//! per-row retries, and every constraint that still rejects rows is reported.

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_diagnostics as diagnostics;
use pgspec_diagnostics::text;
use pgspec_document as document;
use pgspec_postgres as postgres;
use pgspec_provision::up;
use pgspec_sql as sql;

pub mod bounded;
mod cycles;
pub mod expr;
mod forced;
pub mod gen;
pub mod load;
pub mod names;
pub mod plan;
pub mod progress;
pub mod values;
pub mod volumes;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::postgres::client::Client;
use serde::Serialize;

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::document::Document;
use crate::postgres::{ClusterError, Server};
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

pub use progress::{NoProgress, PlannedTable, Progress, SeedProgress};

use bounded::{statement_bound, DocumentConnection};
use cycles::plan_order;
use forced::{reforce, unforce};
use gen::{Generator, KeyPools};
use plan::{quote_ident, Plan, Table};
use values::Value;

/// The seeder failed to run (not a finding about the document).
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("server error: {0}")]
    Server(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("database {0} does not exist; run `pgspec up` first")]
    MissingDatabase(String),
    /// The server went away (stopped, crashed, unreachable) during the run.
    #[error("the server stopped{during}: {why}; the rows loaded so far stay: start the server again (`pgspec cluster start` for the private cluster) and run the same `pgspec seed` to finish")]
    ServerStopped { during: String, why: String },
}

impl From<crate::postgres::client::Error> for SeedError {
    fn from(e: crate::postgres::client::Error) -> Self {
        SeedError::Server(crate::postgres::cluster::error_text(&e))
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct SeedOptions {
    /// Rows each table should hold (unless `tables` names it); rows it holds already count,
    /// so running again after a seed that stopped fills only what is missing.
    pub rows: u64,
    /// Per-table row counts, by `name` or `schema.name`.
    pub tables: BTreeMap<String, u64>,
    /// Random seed: the same seed gives the same rows (on the same day: timestamps are
    /// relative to today).
    pub seed: u64,
    /// Use the row counts the document states for the tables it names ("1M users").
    pub document_volumes: bool,
    /// Empty every table first (TRUNCATE … RESTART IDENTITY), so the same seed gives the
    /// same rows again.
    pub truncate: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            rows: 1000,
            tables: BTreeMap::new(),
            seed: 42,
            document_volumes: false,
            truncate: false,
        }
    }
}

/// One table's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct TableReport {
    pub table: String,
    pub requested: u64,
    /// Rows this run added.
    pub rows: u64,
    /// Rows the table held before this run (they count towards `requested`).
    pub existing: u64,
    /// Rows the document's triggers wrote into it during this run, before its own load (an
    /// audit table filled by the inserts into the table it audits); they count towards
    /// `requested` too.
    pub written_by_triggers: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// `copy`, `insert` or `copy+insert`.
    pub method: String,
    /// Rows the server rejected, by constraint.
    pub rejected: BTreeMap<String, u64>,
    /// Why the table stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl TableReport {
    /// Rows the table holds after the run: those it held, those the document's triggers wrote
    /// into it, and those this run added.
    pub fn rows_now(&self) -> u64 {
        self.existing + self.written_by_triggers + self.rows
    }
}

/// The product of `seed`.
#[derive(Debug)]
pub struct SeedReport {
    pub database: String,
    pub tables: Vec<TableReport>,
    pub total_rows: u64,
    pub seconds: f64,
    pub diagnostics: Vec<Diagnostic>,
}

impl SeedReport {
    /// Rows per second over the whole run.
    pub fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let r = self.total_rows as f64 / self.seconds;
            r
        } else {
            0.0
        }
    }
}

/// A connection to `database` (made by `pgspec up`) as the role that owns it and the
/// document's objects ([`crate::postgres::owner_login`]: never an administrator).
pub fn app_client(server: &Server, database: &str) -> Result<Client, SeedError> {
    let Some(made) = crate::up::made_by_up(server, database, None)? else {
        return Err(SeedError::MissingDatabase(database.to_string()));
    };
    Ok(crate::postgres::owner_login(server, database, &made.owner)?)
}

/// Whether `database` exists on `server`.
pub fn database_exists(server: &Server, database: &str) -> Result<bool, SeedError> {
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    Ok(crate::postgres::catalog::probes::database_exists(
        &mut admin, database,
    )?)
}

/// Where a table is created in the document (its CREATE TABLE statement), or the start.
pub fn locate_table(statements: &[Statement], table: &Table) -> TextRange {
    // The CREATE TABLE of a table a migration log renamed since.
    let lineage = crate::sql::lineage::Lineage::of(statements);
    if let Some(i) = lineage.creator(&table.name.to_lowercase()) {
        let creates_it = statements[i].facts.creates.iter().any(|o| {
            o.kind == ObjectKind::Relation
                && o.schema.as_deref().is_none_or(|sc| sc == table.schema)
        });
        if creates_it {
            return statements[i].range;
        }
    }
    statements
        .iter()
        .find(|s| {
            s.facts.creates.iter().any(|o| {
                o.kind == ObjectKind::Relation
                    && o.name == table.name
                    && o.schema.as_deref().is_none_or(|sc| sc == table.schema)
            })
        })
        .map_or(TextRange::empty(0), |s| s.range)
}

fn locate_constraint(statements: &[Statement], table: &Table, constraint: &str) -> TextRange {
    statements
        .iter()
        .find(|s| s.text.contains(constraint))
        .map_or_else(|| locate_table(statements, table), |s| s.range)
}

fn requested(options: &SeedOptions, stated: &BTreeMap<String, u64>, table: &Table) -> u64 {
    options
        .tables
        .get(&table.display_name())
        .or_else(|| {
            options
                .tables
                .get(&format!("{}.{}", table.schema, table.name))
        })
        .or_else(|| options.tables.get(&table.name))
        .or_else(|| stated.get(&table.name))
        .copied()
        .unwrap_or(options.rows)
}

fn select_columns(table: &Table, cols: &[usize], limit: u64) -> String {
    let list = cols
        .iter()
        .map(|c| quote_ident(&table.columns[*c].name))
        .collect::<Vec<_>>();
    let not_null = list
        .iter()
        .map(|c| format!("{c} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    format!(
        "SELECT {} FROM {} WHERE {not_null} LIMIT {limit}",
        list.join(", "),
        table.qualified()
    )
}

/// The rows of `sql` on the document's connection, within the statement bound (none when it
/// fails or is stopped).
/// The keys `table` holds now for each column set a foreign key references (`referenced`),
/// as the pools its children's keys are drawn from.
fn read_key_pools(
    app: &mut DocumentConnection<'_>,
    table: &Table,
    referenced: &HashMap<i64, Vec<Vec<i16>>>,
    pools: &mut KeyPools,
) -> Result<(), SeedError> {
    for attnums in referenced.get(&table.oid).into_iter().flatten() {
        let cols: Vec<usize> = attnums
            .iter()
            .filter_map(|a| table.column_index(*a))
            .collect();
        if cols.len() == attnums.len() {
            let rows = raw_rows(app, &select_columns(table, &cols, 200_000))?;
            pools.insert((table.oid, attnums.clone()), rows);
        }
    }
    Ok(())
}

fn raw_rows(app: &mut DocumentConnection<'_>, sql: &str) -> Result<Vec<Vec<Value>>, SeedError> {
    let ran = app.run(statement_bound(), |c| c.query(sql, &[]))?;
    Ok(ran.value.map_or_else(
        |_| Vec::new(),
        |rows| {
            rows.iter()
                .map(|r| (0..r.len()).map(|i| r.get::<_, Value>(i)).collect())
                .collect()
        },
    ))
}

/// One value of `sql` on the document's connection, within the statement bound.
fn one_value<T: for<'a> crate::postgres::client::types::FromSql<'a>>(
    app: &mut DocumentConnection<'_>,
    sql: &str,
) -> Result<Option<T>, SeedError> {
    let ran = app.run(statement_bound(), |c| c.query_one(sql, &[]))?;
    Ok(ran.value.ok().and_then(|r| r.try_get::<_, T>(0).ok()))
}

/// Empty `tables` in one TRUNCATE as the document's role (`owner`), then restart the sequences
/// their columns own; tables pgspec provisioned are lent to it for the statement, as for
/// loading. The sequences are restarted by the administrator: `RESTART IDENTITY` needs to own
/// them, and a lent table's are not the document's (restarting one runs no document code).
fn truncate_tables(
    app: &mut DocumentConnection<'_>,
    admin: &mut Client,
    tables: &[Table],
    sequences: &[crate::postgres::catalog::Sequence],
    owner: &str,
) -> Result<(), SeedError> {
    if tables.is_empty() {
        return Ok(());
    }
    let lend: Vec<String> = tables
        .iter()
        .filter(|t| t.owner != owner)
        .map(|t| {
            format!(
                "GRANT USAGE ON SCHEMA {s} TO {a}; GRANT TRUNCATE ON {t} TO {a}; \
                 GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {a}",
                s = quote_ident(&t.schema),
                t = t.qualified(),
                a = quote_ident(owner)
            )
        })
        .collect();
    for grant in &lend {
        admin.batch_execute(grant)?;
    }
    let list: Vec<String> = tables.iter().map(Table::qualified).collect();
    let sql = format!("TRUNCATE TABLE {}", list.join(", "));
    let bound = bounded::bound_for_rows(tables.len().saturating_mul(1000), load::COPY_PER_ROW);
    let ran = app.run(bound, |c| c.batch_execute(&sql));
    for grant in &lend {
        let _ = admin.batch_execute(&grant.replace("GRANT ", "REVOKE ").replace(" TO ", " FROM "));
    }
    let ran = ran?;
    if let Some(stop) = ran.stop(ran.value.as_ref().err()) {
        return Err(SeedError::Server(format!("emptying the tables: {stop}")));
    }
    ran.value.map_err(|e| {
        SeedError::Server(format!(
            "emptying the tables: {}",
            crate::postgres::cluster::error_text(&e)
        ))
    })?;
    for sequence in sequences {
        let emptied = sequence.owned_by.as_ref().is_some_and(|by| {
            tables
                .iter()
                .any(|t| t.schema == by.schema && t.name == by.table)
        });
        if emptied {
            admin.batch_execute(&format!(
                "ALTER SEQUENCE {}.{} RESTART",
                quote_ident(&sequence.schema),
                quote_ident(&sequence.name)
            ))?;
        }
    }
    Ok(())
}

/// Why `server` cannot be reached now, if it cannot: what tells a server that stopped from a
/// statement that failed.
fn server_stopped(server: &Server) -> Option<String> {
    match server.admin_client(&server.maintenance_dbname()) {
        Ok(mut c) => c
            .simple_query("SELECT 1")
            .err()
            .map(|e| crate::postgres::cluster::error_text(&e)),
        Err(e) => Some(e.to_string()),
    }
}

/// Fill `database` (made by `pgspec up`) according to `options`. When the server stops
/// meanwhile the run ends with [`SeedError::ServerStopped`] (the rows loaded so far stay,
/// and running it again fills only what is missing).
pub fn seed(
    document: &Document,
    statements: &[Statement],
    server: &Server,
    database: &str,
    options: &SeedOptions,
    progress: &mut dyn SeedProgress,
) -> Result<SeedReport, SeedError> {
    match fill(document, statements, server, database, options, progress) {
        Err(e) if !matches!(e, SeedError::ServerStopped { .. }) => match server_stopped(server) {
            Some(why) => Err(SeedError::ServerStopped {
                during: String::new(),
                why,
            }),
            None => Err(e),
        },
        done => done,
    }
}

#[allow(clippy::too_many_lines)]
fn fill(
    document: &Document,
    statements: &[Statement],
    server: &Server,
    database: &str,
    options: &SeedOptions,
    progress: &mut dyn SeedProgress,
) -> Result<SeedReport, SeedError> {
    diagnostics::stage::enter("seed");
    if !database_exists(server, database)? {
        return Err(SeedError::MissingDatabase(database.to_string()));
    }
    let started = Instant::now();
    // Bulk loading: no synchronous commit wait. Every statement on the document's connection
    // runs under a watchdog, with a bound that grows with the rows it writes.
    let setup = "SET synchronous_commit = off";
    let mut app = DocumentConnection::open(server, database, setup)?;
    let mut admin = server.admin_client(database)?;
    admin.batch_execute(setup)?;
    let loaded = crate::postgres::catalog::Catalog::load(&mut admin)?;
    let catalog = Plan::from_catalog(&loaded);
    // Everything that reads or writes the document's tables runs as their owner (`app`): a
    // table's defaults, triggers, CHECKs and RLS policies are the document's code.
    let owner: String = app
        .run(statement_bound(), |c| {
            c.query_one("SELECT CURRENT_USER::text", &[])
        })?
        .value?
        .get(0);
    // Before the keys of existing rows are read: they are gone afterwards.
    if options.truncate {
        truncate_tables(
            &mut app,
            &mut admin,
            &catalog.tables,
            &loaded.sequences,
            &owner,
        )?;
    }
    let korean = names::is_korean(&document.text);
    let now = values::today_micros();
    let (order, deferred) = plan_order(&catalog.tables);
    let stated = if options.document_volumes {
        let names: Vec<String> = catalog.tables.iter().map(|t| t.name.clone()).collect();
        volumes::stated(&document.text, &names)
    } else {
        BTreeMap::new()
    };

    // Which key columns of which table children point at.
    let mut referenced: HashMap<i64, Vec<Vec<i16>>> = HashMap::new();
    for t in &catalog.tables {
        for f in &t.fks {
            let e = referenced.entry(f.ref_table).or_default();
            if !e.contains(&f.ref_attnums) {
                e.push(f.ref_attnums.clone());
            }
        }
    }
    let by_oid: HashMap<i64, &Table> = catalog.tables.iter().map(|t| (t.oid, t)).collect();
    // "One or more" relationships of the document's diagrams: every parent gets a child.
    let table_names: Vec<String> = catalog.tables.iter().map(|t| t.name.clone()).collect();
    let required = pgspec_schema::required::required_children(document, &table_names);
    let mut pools: KeyPools = HashMap::new();
    // Rows the document itself inserted (reference data) are parents too.
    for oid in referenced.keys() {
        let Some(t) = by_oid.get(oid) else { continue };
        read_key_pools(&mut app, t, &referenced, &mut pools)?;
    }

    let mut planned = Vec::with_capacity(order.len());
    for &ti in &order {
        let table = &catalog.tables[ti];
        let existing: i64 = one_value(
            &mut app,
            &format!("SELECT pg_catalog.count(*) FROM {}", table.qualified()),
        )?
        .unwrap_or(0);
        planned.push(PlannedTable {
            table: table.display_name(),
            rows: requested(options, &stated, table),
            existing: existing.max(0).unsigned_abs(),
        });
    }
    progress.plan(&planned);

    let mut reports = Vec::new();
    // Inside the one transaction a cycle of NOT NULL keys is filled in.
    let mut in_cycle: Option<i64> = None;
    // Tables whose FORCE ROW LEVEL SECURITY was lifted for the load and is not back yet.
    let mut forced: Vec<&Table> = Vec::new();
    let (strict, strict_parents) = cycles::strict_keys(&catalog.tables, &deferred);
    let mut rows_of: HashMap<i64, u64> = HashMap::new();
    let mut diagnostics = Vec::new();
    let mut total = 0;
    for (position, &ti) in order.iter().enumerate() {
        let table = &catalog.tables[ti];
        let want = planned[position].rows;
        // Rows an earlier table's load added here (the document's triggers: an audit table
        // filled by inserts into the table it audits) count too, and their keys are taken.
        let before = planned[position].existing;
        let existing = if position > 0 {
            let now_existing: i64 = one_value(
                &mut app,
                &format!("SELECT pg_catalog.count(*) FROM {}", table.qualified()),
            )?
            .unwrap_or(0);
            let now_existing = now_existing.max(0).unsigned_abs();
            // Those rows are parents too: the children's foreign keys take their keys (read
            // again, as the pools were read before any table was loaded).
            if now_existing != before {
                read_key_pools(&mut app, table, &referenced, &mut pools)?;
            }
            now_existing
        } else {
            before
        };
        let to_add = want.saturating_sub(existing);
        let mut gen = Generator::new(table, options.seed, korean, now, &deferred);
        for fk in &table.fks {
            let parent = by_oid.get(&fk.ref_table).map(|p| p.name.to_lowercase());
            if required
                .iter()
                .any(|r| Some(&r.parent) == parent.as_ref() && r.child == table.name.to_lowercase())
            {
                gen.cover_parents(&fk.name);
            }
        }
        // Existing rows: keep unique values unique and integer keys above them.
        if existing > 0 && to_add > 0 {
            gen.continue_after(options.seed, existing);
            for (ui, cols) in gen.unique_columns().iter().enumerate() {
                for row in raw_rows(&mut app, &select_columns(table, cols, 1_000_000))? {
                    gen.preload_unique(ui, &row);
                }
            }
            for (ci, c) in table.columns.iter().enumerate() {
                if matches!(
                    c.ty,
                    plan::ColType::Int2 | plan::ColType::Int4 | plan::ColType::Int8
                ) {
                    let max: Option<i64> = one_value::<Option<i64>>(
                        &mut app,
                        &format!(
                            "SELECT max({})::int8 FROM {}",
                            quote_ident(&c.name),
                            table.qualified()
                        ),
                    )?
                    .flatten();
                    if let Some(m) = max {
                        gen.int_base[ci] = m + 1;
                    }
                }
            }
        }
        let refs = referenced.get(&table.oid).cloned().unwrap_or_default();
        // Tables pgspec provisioned (platform shims) belong to the administrator; the document
        // may have put triggers on them, so they are loaded by the document's own role too,
        // with a grant that lasts as long as the load.
        let borrowed = table.owner != owner;
        let grants = format!(
            "GRANT USAGE ON SCHEMA {s} TO {a}; GRANT SELECT, INSERT, UPDATE ON {t} TO {a}; \
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {a}",
            s = quote_ident(&table.schema),
            t = table.qualified(),
            a = quote_ident(&owner)
        );
        if borrowed {
            let _ = admin.batch_execute(&grants);
        }
        // FORCE ROW LEVEL SECURITY puts the owner under the policies, and COPY refuses such a
        // table: FORCE is lifted while the table is filled (as the grant above lasts as long
        // as the load), and put back after it.
        if table.force_rls {
            unforce(&mut admin, table);
        }
        let mut on_batch = |done: u64, seconds: f64, finished: bool| {
            progress.rows(&Progress {
                table: &planned[position].table,
                index: position,
                tables: planned.len(),
                done: existing + done,
                total: want,
                seconds,
                finished,
            });
        };
        if in_cycle.is_none() && to_add > 0 && cycles::needs_transaction(table, &deferred) {
            in_cycle = Some(cycles::begin(&mut app)?);
        }
        let loaded = match load::load_table(
            &mut app,
            &mut gen,
            &mut pools,
            &refs,
            to_add,
            in_cycle.is_some(),
            &mut on_batch,
        ) {
            Ok(l) => l,
            Err(e) => {
                if let Some(why) = server_stopped(server) {
                    return Err(SeedError::ServerStopped {
                        during: format!(" while `{}` was being filled", table.display_name()),
                        why,
                    });
                }
                let text = match &e {
                    SeedError::Server(t) => t.clone(),
                    other => other.to_string(),
                };
                diagnostics.push(Diagnostic::new(
                    Code::TableNotSeeded,
                    Category::Seed,
                    format!(
                        "table `{}` could not be seeded: {text}",
                        table.display_name(),
                    ),
                    locate_table(statements, table),
                ));
                load::Loaded::default()
            }
        };
        if loaded.stopped.is_some() {
            if let Some(why) = server_stopped(server) {
                return Err(SeedError::ServerStopped {
                    during: format!(
                        " while `{}` was being filled ({} of {want} rows)",
                        table.display_name(),
                        existing + loaded.rows
                    ),
                    why,
                });
            }
        }
        // Sequences continue after the generated keys.
        for c in &table.columns {
            if let Some(seq) = &c.sequence {
                let sql = format!(
                    "SELECT setval($1::text::regclass, GREATEST(COALESCE((SELECT max({})::int8 FROM {}), 0), 1))",
                    quote_ident(&c.name),
                    table.qualified()
                );
                app.run(statement_bound(), |client| client.execute(&sql, &[seq]))?;
            }
        }
        if borrowed {
            let _ = admin.batch_execute(
                &grants
                    .replace("GRANT ", "REVOKE ")
                    .replace(" TO ", " FROM "),
            );
        }
        if table.force_rls {
            // Inside the cycle's transaction the table stays locked until its COMMIT.
            forced.push(table);
            if in_cycle.is_none() {
                reforce(&mut admin, &mut forced, statements, &mut diagnostics);
            }
        }
        total += loaded.rows;
        let method = match (loaded.copy_batches > 0, loaded.insert_batches > 0) {
            (true, true) => "copy+insert",
            (false, true) => "insert",
            _ => "copy",
        };
        // A statement that ran past its bound (the table's triggers, defaults or constraints
        // loop or crawl) stops the table first.
        let stopped = loaded
            .stopped
            .as_ref()
            .map(|s| format!("{s} (the table's triggers, defaults or constraints take that long)"))
            .or_else(|| {
                gen.exhausted.as_ref().map(|x| {
                    if x.constraint.is_empty() {
                        x.reason.clone()
                    } else {
                        format!("`{}`: {}", x.constraint, x.reason)
                    }
                })
            });
        rows_of.insert(table.oid, existing + loaded.rows);
        let range = locate_table(statements, table);
        for (constraint, n) in &loaded.rejected {
            let mut d = Diagnostic::new(
                Code::ConstraintNotSatisfied,
                Category::Seed,
                format!(
                    "`{constraint}` rejected {n} generated rows of `{}`",
                    table.display_name()
                ),
                locate_constraint(statements, table, constraint),
            )
            .help("pgspec could not generate values this constraint accepts; check that it can be satisfied, or seed the table with explicit rows");
            if let Some(m) = loaded.messages.get(constraint) {
                d = d.note(format!("postgres: {m}"));
            }
            if let Some(c) = table.checks.iter().find(|c| &c.reported_as == constraint) {
                d = d.note(format!("constraint: {}", c.definition));
            }
            diagnostics.push(d);
        }
        if loaded.rows < to_add {
            let why = stopped.clone().unwrap_or_else(|| {
                if loaded.rejected.is_empty() {
                    "the generator produced no more rows".into()
                } else {
                    "the server rejected the remaining rows".into()
                }
            });
            let d = Diagnostic::new(
                Code::TableNotSeeded,
                Category::Seed,
                format!(
                    "table `{}` has {} of {want} rows: {why}",
                    table.display_name(),
                    existing + loaded.rows
                ),
                range,
            );
            // A limit the schema itself sets (one row per parent) is information, not a fault.
            let d = if loaded.rows > 0 && loaded.rejected.is_empty() && loaded.stopped.is_none() {
                d.severity(crate::diagnostics::Severity::Info)
            } else {
                d
            };
            diagnostics.push(d);
        }
        let report = TableReport {
            table: table.display_name(),
            requested: want,
            rows: loaded.rows,
            existing: existing.min(before),
            written_by_triggers: existing.saturating_sub(before),
            seconds: loaded.seconds,
            #[allow(clippy::cast_precision_loss)]
            rows_per_second: if loaded.seconds > 0.0 {
                loaded.rows as f64 / loaded.seconds
            } else {
                0.0
            },
            method: method.to_string(),
            rejected: loaded.rejected.into_iter().collect(),
            stopped,
        };
        progress.table_done(&report);
        reports.push(report);
        // A cycle of NOT NULL keys closes when the tables they point at have their rows: the
        // keys get real parents and the transaction ends (the deferred check passes).
        if let Some(xid) = in_cycle {
            if strict_parents.iter().all(|p| rows_of.contains_key(p)) {
                cycles::point_deferred(
                    &mut app,
                    &catalog.tables,
                    &by_oid,
                    &strict,
                    &rows_of,
                    statements,
                    &mut diagnostics,
                )?;
                cycles::commit(&mut app, xid, &mut diagnostics)?;
                in_cycle = None;
                reforce(&mut admin, &mut forced, statements, &mut diagnostics);
            }
        }
    }
    // Cycles: point the (nullable) deferred foreign keys at parents now that every table has
    // rows.
    let rest: Vec<String> = deferred
        .iter()
        .filter(|f| !strict.contains(f))
        .cloned()
        .collect();
    cycles::point_deferred(
        &mut app,
        &catalog.tables,
        &by_oid,
        &rest,
        &rows_of,
        statements,
        &mut diagnostics,
    )?;
    if let Some(xid) = in_cycle {
        cycles::commit(&mut app, xid, &mut diagnostics)?;
    }
    reforce(&mut admin, &mut forced, statements, &mut diagnostics);
    Ok(SeedReport {
        database: database.to_string(),
        tables: reports,
        total_rows: total,
        seconds: started.elapsed().as_secs_f64(),
        diagnostics,
    })
}

#[cfg(test)]
mod tests;
