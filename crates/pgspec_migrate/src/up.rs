//! `pgspec up DOC` on a changed document: the database `up` made follows the document without
//! losing a row. Under the migration lock (the one `migrate apply` takes), the document is built
//! on a scratch database as `up` builds it, the plan from the live database to it is computed
//! by diff (renames taken only by evidence and when asked), tried on a scratch copy of the
//! database's schema, and judged: hazards that lose data or hold locks wait for
//! `--allow-hazards`. Then it runs as the database's owner, in one transaction with the comment
//! that names the document, so a failure leaves the old database as it was. A plan with
//! statements that cannot run in a transaction (an index built `CONCURRENTLY`) runs in steps;
//! the database's comment says a migration is unfinished until the last one, and the next `up`
//! says so and continues from the database as it is.

use std::time::{Duration, Instant};

use pgspec_diagnostics::Rule;
use pgspec_diff::{Plan, Rename, Statement};
use pgspec_postgres::catalog::Catalog;
use pgspec_postgres::Server;
use pgspec_sql::quote::{quote_ident, quote_literal_any_mode};

use crate::hazards::{self, Allowance, Judged};
use crate::{
    compare_options, differences, refusals_text, run_plan, without_facts, Error, Scratch, Target,
};

/// The document a database follows: its bytes, how messages name it, its path (its identity,
/// as `up` records it; none for standard input).
pub struct Desired<'a> {
    pub bytes: &'a [u8],
    pub label: &'a str,
    pub path: Option<&'a str>,
}

/// What becomes of a rename candidate (a table or column that goes while an identical one
/// appears).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Renames {
    /// Refused by name, with the two flags that settle it (the default).
    #[default]
    Refuse,
    /// Renamed, keeping its values (`--renames`).
    Take,
    /// Dropped and added, losing its values (`--no-renames`).
    DropAndAdd,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// What a rename candidate becomes (`--renames`, `--no-renames`; default: refused).
    pub renames: Renames,
    pub allowance: Allowance,
    /// Compute, validate and judge the plan; change nothing (`--plan`).
    pub plan_only: bool,
    pub lock_timeout: Duration,
}

/// What became of the migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The plan ran; the database now answers to the document.
    Migrated,
    /// `--plan`: printed, not run.
    Planned,
    /// A hazard was not accepted: nothing ran.
    HazardsNotAllowed,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Migration {
    pub outcome: Outcome,
    /// Renames first, then the rest of the plan, as it runs.
    pub plan: Plan,
    /// Every hazard of the plan, judged (`allowed: false`: why nothing ran).
    pub hazards: Vec<Judged>,
    /// Tried on a scratch copy of the database's schema and compared with the document.
    pub validated: bool,
    /// An earlier `up` migration of this database did not finish (interrupted, or a step
    /// outside a transaction failed); this one continued from the database as it was.
    pub resumed: bool,
    /// The document's statements that fail, left out as `up` leaves them out.
    pub left_out: Vec<String>,
    pub notes: Vec<String>,
    pub duration_ms: u64,
    /// The document's pg_cron jobs, scheduled once migrated.
    #[serde(skip)]
    cron_jobs: Vec<(u32, pgspec_sql::cron::CronSchedule)>,
}

/// Migrate the target (a database `up` made for `desired`) to the document. Scratch databases
/// go on `scratch_server`. `waiting` is told when another migration holds the lock.
pub fn migrate(
    desired: &Desired<'_>,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &Options,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<Migration, Error> {
    let start = Instant::now();
    let mut migration = crate::under_lock(target, options.lock_timeout, waiting, |target| {
        migrate_locked(desired, target, scratch_server, options)
    })?;
    if migration.outcome == Outcome::Migrated {
        for action in pgspec_provision::up::reschedule_jobs(
            target.server,
            &target.database,
            &migration.cron_jobs,
        )? {
            migration.notes.push(format!(
                "cron job {}: {}",
                action.object,
                if action.note.is_empty() {
                    "scheduled"
                } else {
                    action.note.as_str()
                }
            ));
        }
    }
    migration.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(migration)
}

/// A plan from a live database to a document, renames first (shared by `up` and `drift`).
pub struct Planned {
    pub plan: Plan,
    pub validated: bool,
    pub notes: Vec<String>,
}

/// Rename candidates, refused by name unless `--renames` takes them or `--no-renames` drops
/// and adds them; an ambiguous one is refused unless dropped and added.
fn check_renames(candidates: &[Rename], renames: Renames) -> Result<(), Error> {
    if renames == Renames::DropAndAdd {
        return Ok(());
    }
    let ambiguous: Vec<String> = candidates
        .iter()
        .filter(|c| !c.unique)
        .map(|c| {
            format!(
                "{} may be a rename, but other objects are just as alike: rename it yourself first, or pass `--no-renames` to drop and add (losing its values)",
                c.describe()
            )
        })
        .collect();
    if !ambiguous.is_empty() {
        return Err(Error::coded(Rule::MigrationRefused, ambiguous.join("; ")));
    }
    if renames == Renames::Refuse && !candidates.is_empty() {
        let offers: Vec<String> = candidates
            .iter()
            .map(|c| {
                format!(
                    "{} looks like a rename (it goes while an identical one appears): `--renames` renames it ({}), `--no-renames` drops it and adds the other, losing its values",
                    c.describe(),
                    c.statements.first().map_or("", |s| s.sql.as_str())
                )
            })
            .collect();
        return Err(Error::coded(
            Rule::MigrationRefused,
            format!(
                "{}; pgspec does not drop a table or column that may hold the same values under a new name",
                offers.join("; ")
            ),
        ));
    }
    Ok(())
}

/// The plan that brings `from` (a live database's catalog) to `to`, renames first, tried on a
/// scratch copy of `from` and compared with `to` after it ran.
pub fn plan_to(
    from: &Catalog,
    to: &Catalog,
    scratch_server: &Server,
    renames: Renames,
    placeholders: &[(String, String)],
) -> Result<Planned, Error> {
    let mut plan = Plan::default();
    let mut notes = Vec::new();
    // An index an interrupted `CREATE INDEX CONCURRENTLY` left invalid: dropped, so that the
    // plan builds it again.
    let (mut from, invalid) = crate::without_invalid_indexes(from);
    if !invalid.is_empty() {
        notes.push(format!(
            "invalid index{} (an interrupted build) dropped and built again: {}",
            if invalid.len() == 1 { "" } else { "es" },
            invalid.join(", ")
        ));
        plan.statements.extend(invalid.iter().map(|name| Statement {
            sql: format!("DROP INDEX CONCURRENTLY IF EXISTS {name}"),
            hazards: Vec::new(),
            transactional: false,
        }));
    }
    let mut candidates = pgspec_diff::renames(&from, to, &compare_options(&from, to));
    check_renames(&candidates, renames)?;
    if renames == Renames::DropAndAdd && !candidates.is_empty() {
        notes.push(format!(
            "dropped and added, not renamed (--no-renames): {}",
            candidates
                .iter()
                .map(Rename::describe)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        candidates.clear();
    }
    let mut copy = None;
    // The change must be expressible without the renames too (facts the catalog does not
    // model, which a copy goes without, are compared there).
    let refused = |r: Vec<pgspec_diff::Refusal>| {
        Error::coded(
            Rule::MigrationRefused,
            format!(
                "pgspec cannot express the change yet: {}",
                refusals_text(&r)
            ),
        )
    };
    let without_renames =
        pgspec_diff::plan(&from, to, &compare_options(&from, to)).map_err(refused)?;
    let mut target = to.clone();
    // With renames, the rest is planned from the renamed copy, which carries the copy's own
    // differences (a CHECK PostgreSQL writes back differently once its text runs again):
    // statements that only restore those (planned from the copy to the database too, and
    // not needed from the database to the document) are left out.
    let mut copy_only: Vec<String> = Vec::new();
    if !candidates.is_empty() {
        let (mut s, left) = Scratch::near_copy_of(scratch_server, &from)?;
        if !left.is_empty() {
            let copied = s.catalog()?;
            let bare_from = without_facts(&from);
            let needed: Vec<&str> = without_renames
                .statements
                .iter()
                .map(|s| s.sql.as_str())
                .collect();
            copy_only =
                pgspec_diff::plan(&copied, &bare_from, &compare_options(&copied, &bare_from))
                    .map(|p| p.statements.into_iter().map(|s| s.sql).collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| !needed.contains(&s.as_str()))
                    .collect();
        }
        let renames = Plan {
            statements: candidates
                .iter()
                .flat_map(|c| c.statements.clone())
                .collect(),
        };
        run_plan(&mut s, &renames).map_err(|e| Error::new(format!("the renames {e}")))?;
        from = s.catalog()?;
        target = without_facts(to);
        copy = Some(s);
        notes.push(format!(
            "renamed (--renames): {}",
            candidates
                .iter()
                .map(Rename::describe)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        plan.statements.extend(renames.statements);
    }
    let options = compare_options(&from, &target);
    let mut rest = if candidates.is_empty() {
        without_renames
    } else {
        pgspec_diff::plan(&from, &target, &options).map_err(refused)?
    };
    rest.statements.retain(|s| !copy_only.contains(&s.sql));
    // Tried whenever something changes: the rest of the plan, or the renames alone.
    let validated = !rest.is_empty() || copy.is_some();
    if validated {
        let mut s = match copy {
            Some(s) => s,
            None => Scratch::near_copy_of(scratch_server, &from)?.0,
        };
        // The settings the migration's session gets on the target (a default that reads one
        // is computed when its column is added).
        for (name, value) in placeholders {
            s.run(&format!(
                "SELECT pg_catalog.set_config({}, {}, false)",
                quote_literal_any_mode(name),
                quote_literal_any_mode(value)
            ))
            .map_err(|e| Error::new(format!("setting {name} on a scratch database: {e}")))?;
        }
        run_plan(&mut s, &rest).map_err(|e| {
            Error::coded(
                Rule::MigrationRefused,
                format!("the plan {e} (a copy of the database's schema, without its rows)"),
            )
        })?;
        let after = s.catalog()?;
        // The document's schema copied the same way, so that what PostgreSQL rewrites when a
        // definition it printed runs again is rewritten on both sides.
        let (mut seen, _) = Scratch::near_copy_of(scratch_server, to)?;
        let to_seen = seen.catalog()?;
        let mut left = differences(&after, &to_seen);
        left.extend(pgspec_diff::partition_copies_differ(
            &after,
            &to_seen,
            &compare_options(&after, &to_seen),
        ));
        if !left.is_empty() {
            return Err(Error::coded(
                Rule::MigrationRefused,
                format!(
                    "after the plan ran on a scratch copy of the database's schema, this still differs from the document (copied the same way): {}",
                    left.join("; ")
                ),
            ));
        }
    }
    plan.statements.extend(rest.statements);
    Ok(Planned {
        plan,
        validated,
        notes,
    })
}

fn migrate_locked(
    desired: &Desired<'_>,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &Options,
) -> Result<Migration, Error> {
    let resumed =
        pgspec_postgres::catalog::database_comment_and_owner(target.server, &target.database)?
            .and_then(|(comment, _)| comment)
            .is_some_and(|c| pgspec_provision::up::migration_interrupted(&c));
    let from = target.catalog()?;
    let built =
        crate::build_document_bytes(desired.bytes, desired.label, scratch_server, Some(&from))?;
    let Planned {
        plan,
        validated,
        mut notes,
    } = plan_to(
        &from,
        &built.catalog,
        scratch_server,
        options.renames,
        &built.placeholders,
    )?;
    if !built.kept_partitions.is_empty() {
        notes.insert(0, kept_note(&built.kept_partitions));
    }
    for (i, s) in plan.statements.iter().enumerate() {
        crate::screen_sql(&format!("statement {}", i + 1), &s.sql, &target.database)?;
    }
    let judged = hazards::judge(&plan, &options.allowance);
    let outcome = if options.plan_only {
        Outcome::Planned
    } else if judged.iter().any(|h| !h.allowed) {
        Outcome::HazardsNotAllowed
    } else {
        notes.extend(set_placeholders(target, &built.placeholders)?);
        let privileged = privileged_extensions(target, &plan)?;
        run(target, &plan, &privileged, desired)?;
        Outcome::Migrated
    };
    Ok(Migration {
        outcome,
        plan,
        hazards: judged,
        validated,
        resumed,
        left_out: built.left_out,
        notes,
        duration_ms: 0,
        cron_jobs: built.cron_jobs,
    })
}

/// Said when partitions the document does not name are kept.
pub fn kept_note(kept: &[String]) -> String {
    format!(
        "kept, with their rows, partitions the document does not name (pgspec's for months before this one, or made by hand; drop one yourself if its rows should go): {}",
        kept.join(", ")
    )
}

fn comment_sql(database: &str, comment: &str) -> String {
    format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(database),
        quote_literal_any_mode(comment)
    )
}

fn server_error(doing: &str, e: &pgspec_postgres::client::Error) -> Error {
    Error::new(format!(
        "{doing}: {}",
        pgspec_postgres::cluster::error_text(e)
    ))
}

/// Placeholders for the custom settings the changed document's code reads and nobody sets,
/// on the database it migrates, as `up` sets them on a database it builds (`ALTER DATABASE …
/// SET` on the administrative connection), and in the migration's own session; a setting the
/// database already has keeps its value. What was set, or refused, is said.
fn set_placeholders(
    target: &mut Target<'_>,
    placeholders: &[(String, String)],
) -> Result<Vec<String>, Error> {
    let mut notes = Vec::new();
    if placeholders.is_empty() {
        return Ok(notes);
    }
    let mut admin = target.server.admin_client(&target.database)?;
    for (name, value) in placeholders {
        if !pgspec_sql::settings::is_custom_setting_name(name) {
            continue;
        }
        let has: bool = admin
            .query_one(
                "SELECT pg_catalog.current_setting($1, true) IS NOT NULL",
                &[name],
            )
            .map_err(|e| server_error("reading a setting", &e))?
            .get(0);
        if has {
            continue;
        }
        let quoted: Vec<String> = name.split('.').map(quote_ident).collect();
        let alter = format!(
            "ALTER DATABASE {} SET {} = {}",
            quote_ident(&target.database),
            quoted.join("."),
            quote_literal_any_mode(value)
        );
        match admin.batch_execute(&alter) {
            Ok(()) => {
                target
                    .client
                    .query_one(
                        "SELECT pg_catalog.set_config($1, $2, false)",
                        &[name, value],
                    )
                    .map_err(|e| server_error("setting a placeholder", &e))?;
                notes.push(format!(
                    "setting {name}: read by the document's code and set by nobody: placeholder '{value}' for this database (as `up` sets it on a database it builds); the application's own SET overrides it"
                ));
            }
            Err(e) => notes.push(format!(
                "setting {name}: no placeholder: PostgreSQL refused it: {}",
                pgspec_postgres::cluster::error_text(&e)
            )),
        }
    }
    Ok(notes)
}

/// The plan's statements that create an extension pgspec allows for a document and the
/// database's owner may not create (an untrusted one): its statement index and the SQL that
/// creates it on the administrative connection, as `up` does for a database it builds.
fn privileged_extensions(target: &Target<'_>, plan: &Plan) -> Result<Vec<(usize, String)>, Error> {
    let mut out = Vec::new();
    let mut admin = None;
    for (i, s) in plan.statements.iter().enumerate() {
        let Some(op) = crate::creates_extension(&s.sql, &target.database) else {
            continue;
        };
        let pgspec_sql::safety::PrivilegedOp::CreateExtension { name, .. } = &op else {
            continue;
        };
        let admin = match &mut admin {
            Some(a) => a,
            None => admin.insert(target.server.admin_client(&target.database)?),
        };
        let trusted = pgspec_postgres::catalog::probes::extension_is_trusted(admin, name)
            .map_err(|e| server_error("reading the available extensions", &e))?;
        if !trusted {
            out.push((i, op.to_sql(&target.database)));
        }
    }
    Ok(out)
}

/// Run `plan` on the target with the comment that names the document: all in one transaction
/// when every statement can run in one; else in steps (statements that cannot run in a
/// transaction alone, the others grouped), after a comment that marks the migration
/// unfinished until the last step. `privileged` (see [`privileged_extensions`]) run first, on
/// the administrative connection, and are left out of the owner's statements.
fn run(
    target: &mut Target<'_>,
    plan: &Plan,
    privileged: &[(usize, String)],
    desired: &Desired<'_>,
) -> Result<(), Error> {
    if !privileged.is_empty() {
        let mut admin = target.server.admin_client(&target.database)?;
        for (i, sql) in privileged {
            admin.batch_execute(sql).map_err(|e| {
                server_error(
                    &format!(
                        "statement {} (`{sql}`) on the administrative connection",
                        i + 1
                    ),
                    &e,
                )
            })?;
        }
    }
    let plan = &Plan {
        statements: plan
            .statements
            .iter()
            .enumerate()
            .filter(|(i, _)| !privileged.iter().any(|(j, _)| j == i))
            .map(|(_, s)| s.clone())
            .collect(),
    };
    let database = target.database.as_str();
    let client = &mut target.client;
    let done = comment_sql(
        database,
        &pgspec_provision::up::comment_after_migration(desired.bytes, desired.path),
    );
    let failed = |i: usize, sql: &str, e: &pgspec_postgres::client::Error, atomic: bool| {
        let state = if atomic {
            "the migration's transaction was rolled back: the database is as before, built from the earlier document"
        } else {
            "the steps before it stay applied (some statements cannot run in a transaction); the next `pgspec up` says so and continues from there"
        };
        Error::new(format!(
            "statement {} (`{}`) failed on the database: {}; {state}",
            i + 1,
            sql.lines().next().unwrap_or(""),
            pgspec_postgres::cluster::error_text(e)
        ))
    };
    if plan.statements.iter().all(|s| s.transactional) {
        let mut tx = client
            .transaction()
            .map_err(|e| failed(0, "BEGIN", &e, true))?;
        for (i, s) in plan.statements.iter().enumerate() {
            tx.batch_execute(&s.sql)
                .map_err(|e| failed(i, &s.sql, &e, true))?;
        }
        tx.batch_execute(&done)
            .map_err(|e| failed(plan.statements.len(), &done, &e, true))?;
        return tx
            .commit()
            .map_err(|e| failed(plan.statements.len(), "COMMIT", &e, true));
    }
    let unfinished = comment_sql(
        database,
        &pgspec_provision::up::comment_while_migrating(desired.bytes, desired.path),
    );
    client
        .batch_execute(&unfinished)
        .map_err(|e| failed(0, &unfinished, &e, true))?;
    // Steps: a run of transactional statements, or one that is not.
    let mut steps: Vec<Vec<usize>> = Vec::new();
    for (i, s) in plan.statements.iter().enumerate() {
        match steps.last_mut() {
            Some(step) if s.transactional && plan.statements[step[0]].transactional => step.push(i),
            _ => steps.push(vec![i]),
        }
    }
    for step in &steps {
        if plan.statements[step[0]].transactional {
            let mut tx = client
                .transaction()
                .map_err(|e| failed(step[0], "BEGIN", &e, false))?;
            for &i in step {
                let sql = &plan.statements[i].sql;
                tx.batch_execute(sql)
                    .map_err(|e| failed(i, sql, &e, false))?;
            }
            tx.commit()
                .map_err(|e| failed(step[0], "COMMIT", &e, false))?;
        } else {
            let sql = &plan.statements[step[0]].sql;
            client
                .batch_execute(sql)
                .map_err(|e| failed(step[0], sql, &e, false))?;
        }
    }
    client
        .batch_execute(&done)
        .map_err(|e| failed(plan.statements.len(), &done, &e, false))
}
