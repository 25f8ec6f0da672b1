//! `pgspec up` and `pgspec down`: bring a document's database up, remove it again.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::render::render_full;
use pgspec::diagnostics::Severity;
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

pub(crate) fn run_up(args: &UpArgs) -> Result<ExitCode> {
    let target = &args.target;
    let bytes = read_input(&target.doc)?;
    let path = target.path();
    let name = target.database_name();
    let server = target.server()?;
    let report = up::up_with(
        pipeline::extract(&bytes),
        &bytes,
        &server,
        &name,
        &up::UpOptions {
            recreate: args.recreate,
            document: document_path(&target.doc),
            strict: args.strict,
        },
    )
    .with_context(|| format!("bringing up {path}"))?;
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
            up::UpStatus::NeedsMigration => "exists but the document changed since `pgspec up`: migrations are not implemented yet; run `pgspec up --recreate` to rebuild it",
            up::UpStatus::Refused => "not built (--strict: the statements above need a person's decision)",
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
        if !matches!(
            report.status,
            up::UpStatus::NeedsMigration | up::UpStatus::Refused
        ) {
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
        return Ok(ExitCode::from(1));
    }
    if report.status == up::UpStatus::NeedsMigration {
        // The database is not the document's: the job is not done.
        eprintln!(
            "pgspec: error: database {} was built from an earlier version of {path}; migrations are not implemented yet: `pgspec up --recreate {path}` rebuilds it (its rows are lost)",
            report.database
        );
        return Ok(ExitCode::from(2));
    }
    Ok(args.fail_on.exit_code(
        report
            .check
            .iter()
            .flat_map(|(_, r)| r.diagnostics.iter().map(|d| d.severity)),
    ))
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
