//! `pgspec up` and `pgspec down`: bring a document's database up, remove it again.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::render::render_full;
use pgspec::diagnostics::{Rule, Severity};
use pgspec::document::SourceKind;
use pgspec::migrate;
use pgspec::pipeline;
use pgspec::up;

use super::{document_path, read_input, DatabaseArgs, FailOn, ReportFormat};
use crate::printer::{json_envelope, stdout_is_styled};

#[derive(clap::Args, Debug)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    target: DatabaseArgs,
    /// Drop and rebuild the database if it exists.
    #[arg(long)]
    recreate: bool,
    /// Where a person must decide how to repair a statement, refuse (build nothing) instead
    /// of applying pgspec's assumption.
    #[arg(long)]
    strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    /// Exit with 1 when the document has a finding at or above this severity (by default the
    /// findings are printed and the exit code says only whether the database was built).
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    fail_on: FailOn,
}

/// `up`'s own flags: how a changed document's migration runs (`down` shares [`UpArgs`]).
#[derive(clap::Args, Debug)]
pub(crate) struct UpCommand {
    #[command(flatten)]
    up: UpArgs,
    #[command(flatten)]
    migration: MigrationArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct MigrationArgs {
    /// Only print the migration a changed document needs (validated, with its hazards); change
    /// nothing.
    #[arg(long, conflicts_with = "recreate")]
    plan: bool,
    /// Take the rename candidates (a table or column that goes while an identical one
    /// appears) as renames, as `pgspec diff --renames` does.
    #[arg(long, conflicts_with = "no_renames")]
    renames: bool,
    /// Drop a rename candidate and add the other (losing its values) instead of refusing.
    #[arg(long)]
    no_renames: bool,
    /// Hazards the migration may have: `data-loss`, `locking`, a hazard's code or name
    /// (`DIF003`, `migration-rewrites-table`), or `all`; comma-separated.
    #[arg(long, value_name = "KIND,…", value_delimiter = ',')]
    allow_hazards: Vec<String>,
    /// How long to wait for another migration of the same database, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    lock_timeout: u64,
}

pub(crate) fn run_up_command(command: &UpCommand) -> Result<ExitCode> {
    let args = &command.up;
    let flags = &command.migration;
    let allowance = migrate::hazards::Allowance::parse(&flags.allow_hazards)
        .map_err(|e| anyhow::anyhow!("--allow-hazards: {e}"))?;
    if flags.plan {
        let (server, name) = (args.target.server()?, args.target.database_name());
        let made = up::made_by_up(&server, &name, document_path(&args.target.doc).as_deref())
            .with_context(|| format!("planning {}", args.target.path()))?;
        if made.is_none() {
            eprintln!(
                "pgspec up: database {name} does not exist: `pgspec up {}` builds it (nothing to migrate)",
                args.target.path()
            );
            return Ok(ExitCode::SUCCESS);
        }
    }
    let bytes = read_input(&args.target.doc)?;
    let (report, code) = up_report(args, &bytes)?;
    if report.status != up::UpStatus::NeedsMigration {
        return Ok(code);
    }
    let options = migrate::up::Options {
        renames: super::migrate::rename_choice(flags.renames, flags.no_renames),
        allowance,
        plan_only: flags.plan,
        lock_timeout: std::time::Duration::from_secs(flags.lock_timeout),
    };
    run_migration(args, &bytes, &report, &options)
}

/// The database `up` made is from an earlier version of the document: migrate it.
fn run_migration(
    args: &UpArgs,
    bytes: &[u8],
    report: &up::UpReport,
    options: &migrate::up::Options,
) -> Result<ExitCode> {
    let target = &args.target;
    let path = target.path();
    let server = target.server()?;
    let document = document_path(&target.doc);
    let made = up::made_by_up(&server, &report.database, document.as_deref())?
        .ok_or_else(|| anyhow::anyhow!("database {} is gone", report.database))?;
    let client = pgspec::postgres::owner_login(&server, &report.database, &made.owner)?;
    let mut migration_target = migrate::Target {
        server: &server,
        database: report.database.clone(),
        client,
    };
    let desired = migrate::up::Desired {
        bytes,
        label: &path,
        path: document.as_deref(),
    };
    let result = migrate::up::migrate(
        &desired,
        &mut migration_target,
        &server,
        options,
        &mut |holder| {
            match holder {
            Some(pid) => eprintln!("pgspec up: waiting for another migration of this database (server process {pid}) to finish"),
            None => eprintln!("pgspec up: waiting for another migration of this database to finish"),
        }
        },
    );
    print_migration(args, report, result)
}

fn json_hazards(m: &migrate::up::Migration, statement: usize) -> Vec<serde_json::Value> {
    m.hazards
        .iter()
        .filter(|h| h.statement == statement)
        .map(|h| {
            serde_json::json!({
                "code": h.code.code(),
                "name": h.code.name(),
                "kind": h.kind.as_str(),
                "allowed": h.allowed,
                "message": h.message,
            })
        })
        .collect()
}

fn print_migration(
    args: &UpArgs,
    report: &up::UpReport,
    result: std::result::Result<migrate::up::Migration, migrate::Error>,
) -> Result<ExitCode> {
    let not_allowed = Rule::MigrationHazardNotAllowed;
    let m = match result {
        Ok(m) => m,
        Err(e) => {
            let code = e.code.map(|c| c.code());
            if args.format == ReportFormat::Json {
                let value = json_envelope(
                    "up",
                    serde_json::json!({
                        "status": "refused",
                        "database": report.database,
                        "connection": report.connection,
                        "code": code,
                        "message": e.message,
                        "statements": [],
                    }),
                );
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
            match code {
                Some(code) => eprintln!("pgspec: error[{code}]: {}", e.message),
                None => eprintln!("pgspec: error: {}", e.message),
            }
            eprintln!(
                "pgspec up: database {} was not migrated; `pgspec up --recreate {}` rebuilds it from the document (its rows are lost)",
                report.database,
                args.target.path()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let refused: Vec<&migrate::hazards::Judged> = m.hazards.iter().filter(|h| !h.allowed).collect();
    let status = match m.outcome {
        migrate::up::Outcome::Migrated => "migrated",
        migrate::up::Outcome::Planned => "planned",
        migrate::up::Outcome::HazardsNotAllowed => "refused",
    };
    let refusal_text = |h: &migrate::hazards::Judged| {
        let sql = m.plan.statements[h.statement]
            .sql
            .lines()
            .next()
            .unwrap_or("");
        format!(
            "statement {} (`{sql}`) has a {} hazard, {} {}: {}; `--allow-hazards {}` (or `{}`, or `all`) accepts it",
            h.statement + 1,
            h.kind.as_str(),
            h.code.code(),
            h.code.name(),
            h.message,
            h.kind.as_str(),
            h.code.code()
        )
    };
    if args.format == ReportFormat::Json {
        let statements: Vec<serde_json::Value> = m
            .plan
            .statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                serde_json::json!({
                    "sql": s.sql,
                    "transactional": s.transactional,
                    "hazards": json_hazards(&m, i),
                })
            })
            .collect();
        let value = json_envelope(
            "up",
            serde_json::json!({
                "status": status,
                "database": report.database,
                "connection": report.connection,
                "statements": statements,
                "refusals": refused.iter().filter(|_| m.outcome == migrate::up::Outcome::HazardsNotAllowed).map(|h| serde_json::json!({
                    "code": not_allowed.code(),
                    "name": not_allowed.name(),
                    "object": format!("statement {}", h.statement + 1),
                    "message": refusal_text(h),
                })).collect::<Vec<_>>(),
                "validated": m.validated,
                "resumed": m.resumed,
                "left_out": m.left_out,
                "notes": m.notes,
                "duration_ms": m.duration_ms,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if m.resumed {
            eprintln!("pgspec up: an earlier migration of database {} did not finish (interrupted, or a step outside a transaction failed); continuing from the database as it is", report.database);
        }
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        out.write_all(m.plan.script().as_bytes())?;
        out.flush()?;
        for l in &m.left_out {
            eprintln!("pgspec up: warning: left out, as `pgspec up` leaves it out: {l}");
        }
        for n in &m.notes {
            eprintln!("pgspec up: note: {n}");
        }
        for h in &refused {
            if m.outcome == migrate::up::Outcome::Planned {
                eprintln!("pgspec up: note: to run it: {}", refusal_text(h));
            } else {
                eprintln!("pgspec: error[{}]: {}", not_allowed.code(), refusal_text(h));
            }
        }
        let hazards = m.hazards.len();
        let summary = format!(
            "{} statement{}, {hazards} hazard{}{}",
            m.plan.statements.len(),
            if m.plan.statements.len() == 1 {
                ""
            } else {
                "s"
            },
            if hazards == 1 { "" } else { "s" },
            if m.validated {
                ", tried first on a scratch copy of the database's schema"
            } else {
                ""
            }
        );
        match m.outcome {
            migrate::up::Outcome::Migrated => {
                eprintln!(
                    "pgspec up: database {}: migrated to the document ({summary}; {} ms)",
                    report.database, m.duration_ms
                );
                eprintln!("connection: {}", report.connection);
            }
            migrate::up::Outcome::Planned => eprintln!(
                "pgspec up: database {}: the migration above would run ({summary}); nothing changed (--plan)",
                report.database
            ),
            migrate::up::Outcome::HazardsNotAllowed => eprintln!(
                "pgspec up: database {}: not migrated ({summary}); nothing changed. Accept the hazards with `--allow-hazards`, or `pgspec up --recreate {}` rebuilds it from the document (its rows are lost)",
                report.database,
                args.target.path()
            ),
        }
    }
    Ok(if m.outcome == migrate::up::Outcome::HazardsNotAllowed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `up` as before migrations: create, rebuild, or find the database current or stale. The
/// report and the exit code of that run.
fn up_report(args: &UpArgs, bytes: &[u8]) -> Result<(up::UpReport, ExitCode)> {
    let target = &args.target;
    let path = target.path();
    let name = target.database_name();
    let server = target.server()?;
    let report = up::up_with(
        pipeline::extract_as(bytes, SourceKind::of_path(&target.doc)),
        bytes,
        &server,
        &name,
        &up::UpOptions {
            recreate: args.recreate,
            document: document_path(&target.doc),
            strict: args.strict,
        },
    )
    .with_context(|| format!("bringing up {path}"))?;
    if report.status == up::UpStatus::NeedsMigration {
        // The caller migrates it and says so.
        return Ok((report, ExitCode::from(2)));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "up",
            serde_json::json!({
                "status": report.status,
                "database": report.database,
                "connection": report.connection,
                "objects": report.objects,
                "roles": report.roles,
                "provisioned": report.provisioned,
                "documents": report.check.as_ref().map(|(doc, r)| vec![r.to_json(doc, &path)]).unwrap_or_default(),
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        if let Some((doc, check)) = &report.check {
            let source = doc.source(&path);
            let styled = stdout_is_styled();
            for d in check
                .diagnostics
                .iter()
                .filter(|d| d.severity >= Severity::Warning)
            {
                writeln!(out, "{}\n", render_full(&source, d, styled))?;
            }
            let s = &check.summary;
            writeln!(out, "{path}: {}", s.describe())?;
            for (line, assumed, decision) in assumptions(doc, check) {
                writeln!(out, "assumed at line {line}: {assumed}")?;
                if let Some(decision) = decision {
                    writeln!(out, "  a person must decide: {decision}")?;
                }
            }
        }
        let verb = match report.status {
            up::UpStatus::Created => "created",
            up::UpStatus::Recreated => "recreated",
            up::UpStatus::Unchanged => "up to date (document unchanged)",
            up::UpStatus::NeedsMigration => "exists, built from an earlier version of the document",
            up::UpStatus::Refused => {
                "not built (--strict: the statements above need a person's decision)"
            }
        };
        writeln!(out, "database {}: {verb}", report.database)?;
        writeln!(out, "connection: {}", report.connection)?;
        let objects: Vec<String> = report
            .objects
            .iter()
            .map(|o| match o.in_document {
                Some(d) => format!("{} {} (document: {d})", o.kind, o.in_database),
                None => format!("{} {}", o.kind, o.in_database),
            })
            .collect();
        writeln!(out, "objects: {}", objects.join(", "))?;
        for action in &report.provisioned {
            let note = if action.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", action.note)
            };
            let kind = serde_json::to_value(action.kind)?;
            writeln!(
                out,
                "provisioned: {} {}{note}",
                kind.as_str().unwrap_or("action"),
                action.object
            )?;
        }
        if !report.roles.is_empty() {
            writeln!(
                out,
                "roles created (cluster-wide): {}",
                report.roles.join(", ")
            )?;
        }
        if report.status != up::UpStatus::Refused {
            let why = "rows that satisfy the constraints";
            writeln!(out, "{}", target.next_step("seed", why))?;
        }
    }
    if report.status == up::UpStatus::Refused {
        eprintln!(
            "pgspec: error: {path} needs a person's decision in {} statements; `pgspec up` without --strict assumes the least surprising choice for each and lists it",
            report
                .check
                .as_ref()
                .map_or(0, |(_, r)| r.summary.needs_decision)
        );
        return Ok((report, ExitCode::from(1)));
    }
    let code = args.fail_on.exit_code(
        report
            .check
            .iter()
            .flat_map(|(_, r)| r.diagnostics.iter().map(|d| d.severity)),
    );
    Ok((report, code))
}

pub(crate) fn run_down(args: &UpArgs) -> Result<ExitCode> {
    let target = &args.target;
    let name = target.database_name();
    let server = target.server()?;
    let removed = up::down_for(&server, &name, document_path(&target.doc).as_deref())?;
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "down",
            serde_json::json!({ "database": name, "removed": removed }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if removed {
        println!("database {name}: removed");
    } else {
        println!("database {name}: does not exist (nothing to do)");
    }
    Ok(ExitCode::SUCCESS)
}

/// The statements `up` applied on an assumption: line, what was assumed, the alternatives.
fn assumptions(
    doc: &pgspec::document::Document,
    check: &pgspec::check::CheckReport,
) -> Vec<(u32, String, Option<String>)> {
    check
        .statements
        .iter()
        .filter(|s| s.status == pgspec::check::StatementStatus::Assumed)
        .map(|s| {
            let assumed = check
                .diagnostics
                .iter()
                .filter(|d| {
                    let line = doc.line_index.line(d.primary.range.start);
                    (s.line..=s.end_line).contains(&line)
                })
                .filter_map(|d| d.fix.as_ref())
                .find(|f| f.applicability == pgspec::diagnostics::Applicability::Assumption)
                .map(|f| f.title.clone());
            (s.line, assumed.unwrap_or_default(), s.decision.clone())
        })
        .collect()
}
