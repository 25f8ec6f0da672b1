//! `pgspec diff FROM TO`: the SQL that brings FROM's schema in step with TO's. Each side is a
//! database URL or a design document (Markdown, or a `.sql` file read as one SQL block), which
//! is applied to a scratch database as `check` applies it; `pgspec diff DOC` compares the
//! database `pgspec up` made for DOC with DOC. Before printing, the plan is tried on a scratch
//! copy of FROM and the result compared with TO. A table or column that goes while an
//! identical one appears is a rename candidate: refused by name unless `--renames` takes it
//! (or `--no-renames` drops and adds).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::{Rule, Severity};
use pgspec::diff::{self, Plan, Refusal};
use pgspec::document::SourceKind;
use pgspec::pipeline::{self, Applied};
use pgspec::postgres::catalog::{probes, Catalog, CatalogReader};
use pgspec::postgres::{ApplySession, PrivilegeCheck, ScratchDatabase, Server};
use pgspec::sql::quote::quote_ident;
use pgspec::sql::safety::{self, PrivilegedOp, Safety};

use super::{read_input, server_for, ReportFormat, ServerArgs};
use crate::printer::json_envelope;

mod sides;
mod validation;

use sides::*;
use validation::*;

#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    /// The schema to migrate from: a database URL (`postgres://…`) or a document. Alone, a
    /// document: the database `pgspec up` made for it is FROM and the document is TO.
    #[arg(value_name = "FROM")]
    from: String,
    /// The schema to migrate to: a database URL or a document (`.md`, or `.sql` read as one
    /// SQL block).
    #[arg(value_name = "TO")]
    to: Option<String>,
    /// With one document: the name of the database `pgspec up` made for it (default: the one
    /// `up` derives from the document's path).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Take the rename candidates (a table or column that goes while an identical one
    /// appears) as renames.
    #[arg(long, conflicts_with = "no_renames")]
    renames: bool,
    /// Plan the rename candidates as a drop and an add (their values are lost).
    #[arg(long)]
    no_renames: bool,
    /// Output format: the migration SQL, or one JSON object with its statements and hazards.
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    /// Exit with 1 when there are changes.
    #[arg(long)]
    exit_code: bool,
    /// Do not try the plan on a scratch copy of FROM before printing it.
    #[arg(long)]
    no_validate: bool,
    /// Only these schemas (repeatable).
    #[arg(long, value_name = "NAME")]
    schema: Vec<String>,
    /// Leave these schemas out (repeatable).
    #[arg(long, value_name = "NAME")]
    exclude_schema: Vec<String>,
    /// The server for the scratch databases (documents, validation) instead of the private
    /// cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

fn describe_refusals(r: &[Refusal]) -> String {
    r.iter()
        .map(|x| format!("{}: {}", x.object, x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn run_diff(args: &DiffArgs) -> Result<ExitCode> {
    let options = diff::Options {
        schemas: args.schema.clone(),
        exclude_schemas: args.exclude_schema.clone(),
        ignore_grantees: Vec::new(),
    };
    let servers = Servers {
        args,
        server: std::sync::OnceLock::new(),
    };
    let from_label = args.to.as_ref().map(|_| DiffArgs::label(&args.from));
    let labels = (
        from_label,
        DiffArgs::label(args.to.as_ref().unwrap_or(&args.from)),
    );
    // The two sides are read at once, each on its own connections: a document's application
    // and a database's catalog (and the copy of it that validation needs) take about as long.
    // A database FROM is copied for the validation meanwhile too, into a scratch database
    // made while its catalog is read; or, when TO is a document that only defines objects
    // and the whole schema is compared, TO's scratch database becomes FROM's copy once
    // both are read (brought back to FROM by the reverse plan, and checked to read back
    // equal): far less to build than FROM from nothing.
    let copy_ahead = !args.no_validate && (args.to.is_none() || is_url(&args.from));
    let may_reuse_to = copy_ahead
        && options.schemas.is_empty()
        && options.exclude_schemas.is_empty()
        && args.to.as_ref().is_some_and(|to| !is_url(to));
    let (definitions, told) = std::sync::mpsc::channel();
    // Shared with the thread that reads FROM (a receiver alone may not be).
    let defines_only_told = std::sync::Mutex::new(told);
    let (from_side, to_side) = std::thread::scope(|scope| {
        let from = scope.spawn(|| {
            let reuse_to = may_reuse_to
                && defines_only_told
                    .lock()
                    .is_ok_and(|told| told.recv().unwrap_or(false));
            let fresh = (copy_ahead && !reuse_to).then(|| scope.spawn(|| fresh_scratch(&servers)));
            let read = match &args.to {
                Some(_) => read_side(&args.from, &servers, false, None)
                    .map(|s| (DiffArgs::label(&args.from), s)),
                None => read_up_database(args, &servers),
            };
            let fresh = fresh.map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            read.map(|(label, mut side)| {
                if let Some(fresh) = fresh {
                    side.prepare_copy(&options, &servers, Some(fresh));
                }
                (label, side)
            })
        });
        let to = match &args.to {
            Some(to) => read_side(to, &servers, false, may_reuse_to.then_some(definitions)),
            None => read_side(&args.from, &servers, true, None),
        };
        // TO's scratch database has given its catalog: it becomes FROM's copy, or it goes
        // now, while FROM is still being copied and the plan tried.
        let (to, kept, dropping) = match to {
            Ok(mut side) => match side.applied.take() {
                Some(scratch) if may_reuse_to && scratch.definitions_only => {
                    (Ok(side), Some(scratch), None)
                }
                scratch => (
                    Ok(side),
                    None,
                    scratch.map(|s| std::thread::spawn(move || drop(s))),
                ),
            },
            Err(e) => (Err(e), None, None),
        };
        let from = from
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (from, (to, kept, dropping))
    });
    let (to_side, kept, dropping) = to_side;
    let dropped = move || {
        if let Some(thread) = dropping {
            let _ = thread.join();
        }
    };
    let sides = match (from_side, to_side) {
        (Err(e), _) => Err(vec![refusal("FROM", e)]),
        (Ok(_), Err(e)) => Err(vec![refusal("TO", e)]),
        (Ok((label, mut from)), Ok(to)) => {
            from.base = kept.map(|scratch| Base {
                scratch,
                catalog: to.catalog.clone(),
            });
            Ok(((label, from), to))
        }
    };
    let ((from_label, mut from), to) = match sides {
        Ok(sides) => sides,
        Err(refusals) => {
            let from_label = labels
                .0
                .unwrap_or_else(|| "the database `pgspec up` made".into());
            let refused = refuse(args, (&from_label, &labels.1), &refusals);
            dropped();
            return refused;
        }
    };
    let labels = (from_label.as_str(), labels.1.as_str());
    let result = plan_and_print(args, &options, labels, &mut from, &to, &servers);
    // Both sides' scratch databases go at once: each drop waits for the server.
    std::thread::scope(|scope| {
        scope.spawn(move || drop(from));
        drop(to);
    });
    dropped();
    result
}

/// Plan FROM → TO (renames first, when taken), validate the plan on a copy of FROM, print it.
fn plan_and_print(
    args: &DiffArgs,
    options: &diff::Options,
    labels: (&str, &str),
    from: &mut Side,
    to: &Side,
    servers: &Servers<'_>,
) -> Result<ExitCode> {
    let mut notes = Vec::new();
    // Renames replace FROM by a renamed copy, whose roles are the copy's.
    let original_ownership = from.ownership.clone();
    let candidates = diff::renames(&from.catalog, &to.catalog, options);
    let mut renames: Vec<diff::Statement> = Vec::new();
    let mut plan_options = options.clone();
    let ambiguous: Vec<&diff::Rename> = candidates.iter().filter(|c| !c.unique).collect();
    if !ambiguous.is_empty() && !args.no_renames {
        let offers: Vec<Refusal> = ambiguous
            .iter()
            .map(|c| {
                refusal(
                    "rename?",
                    format!(
                        "{} may be a rename, but other objects are just as alike: rename it yourself first, or pass `--no-renames` to drop and add (losing its values)",
                        c.describe()
                    ),
                )
            })
            .collect();
        return refuse(args, labels, &offers);
    }
    if !candidates.is_empty() {
        if args.renames {
            match take_renames(from, &candidates, options, servers) {
                Ok(()) => {}
                Err(why) => {
                    return refuse(
                        args,
                        labels,
                        &[refusal(
                            "renames",
                            format!("the renames could not be taken: {why}"),
                        )],
                    )
                }
            }
            // FROM is now the renamed copy, whose objects the scratch owner holds.
            plan_options.ignore_grantees = from.owners.clone();
            renames = candidates
                .iter()
                .flat_map(|c| c.statements.clone())
                .collect();
            notes.push(format!("renamed (--renames): {}", listed(&candidates)));
        } else if args.no_renames {
            notes.push(format!(
                "dropped and added, not renamed (--no-renames): {}",
                listed(&candidates)
            ));
        } else {
            let offers: Vec<Refusal> = candidates
                .iter()
                .map(|c| {
                    refusal(
                        "rename?",
                        format!(
                            "{} looks like a rename (it goes while an identical one appears): `--renames` renames it ({}), `--no-renames` drops it and adds the other, losing its values",
                            c.describe(),
                            c.statements[0].sql
                        ),
                    )
                })
                .collect();
            return refuse(args, labels, &offers);
        }
    }
    let rest = match diff::plan(&from.catalog, &to.catalog, &plan_options) {
        Ok(plan) => plan,
        Err(refusals) => return refuse(args, labels, &refusals),
    };
    // Ownership, relative to each side's database owner, named as FROM has its roles.
    let owner_changes = diff::owner_changes(
        &from.catalog,
        &from.ownership,
        &to.catalog,
        &to.ownership,
        &original_ownership,
        &plan_options,
    );
    let unchanged = rest.is_empty() && owner_changes.is_empty();
    if !renames.is_empty() && unchanged {
        // The renamed copy of FROM already equals TO.
        notes.push(validated(from));
    } else if !args.no_validate && !unchanged {
        match validate(from, &to.catalog, &to.ownership, &rest, options, servers) {
            Ok(None) => notes.push(validated(from)),
            Ok(Some(refusals)) => return refuse(args, labels, &refusals),
            // The promise is a validated plan: one that cannot be tried is not printed.
            Err(why) => {
                return refuse(
                    args,
                    labels,
                    &[refusal(
                        "validation",
                        format!(
                            "the plan could not be tried on a copy of FROM: {why}; `--no-validate` prints it without that"
                        ),
                    )],
                )
            }
        }
    }
    let mut plan = Plan {
        statements: renames,
    };
    plan.statements.extend(rest.statements);
    plan.statements.extend(owner_changes);
    print_plan(args, labels, &plan, &notes)?;
    Ok(if args.exit_code && !plan.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The note of a validated plan.
fn validated(from: &Side) -> String {
    if from.copied_from_to {
        "validated on a scratch copy of FROM, made from TO's by the reverse plan".into()
    } else {
        "validated on a scratch copy of FROM".into()
    }
}

/// The candidates for a one-line note: the first five, then how many more.
fn listed(candidates: &[diff::Rename]) -> String {
    let mut names: Vec<String> = candidates
        .iter()
        .take(5)
        .map(diff::Rename::describe)
        .collect();
    if candidates.len() > 5 {
        names.push(format!("and {} more", candidates.len() - 5));
    }
    names.join(", ")
}

/// Run the renames on a scratch copy of FROM and make that copy's catalog FROM: the rest of
/// the plan is computed from the renamed schema (PostgreSQL itself renames what follows).
fn take_renames(
    from: &mut Side,
    candidates: &[diff::Rename],
    options: &diff::Options,
    servers: &Servers<'_>,
) -> Result<(), String> {
    let statements: Vec<diff::Statement> = candidates
        .iter()
        .flat_map(|c| c.statements.clone())
        .collect();
    let copy = from.working_copy(options, servers)?;
    run_plan(&mut copy.session, &statements).map_err(|e| e.to_string())?;
    let catalog = copy.catalog()?;
    let ownership = copy.owners.clone();
    from.catalog = catalog;
    from.ownership = ownership;
    Ok(())
}

fn refusal(object: &str, message: String) -> Refusal {
    Refusal {
        object: object.into(),
        message,
    }
}

/// A plan's statements with their hazards, as `diff` and `drift` print them in JSON.
pub(crate) fn json_statements(plan: &Plan) -> serde_json::Value {
    plan.statements
        .iter()
        .map(|s| {
            serde_json::json!({
                "sql": s.sql,
                "transactional": s.transactional,
                "hazards": s.hazards.iter().map(|h| serde_json::json!({
                    "code": h.code.code(),
                    "name": h.code.name(),
                    "message": h.message,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

fn print_plan(args: &DiffArgs, labels: (&str, &str), plan: &Plan, notes: &[String]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let hazards: usize = plan.statements.iter().map(|s| s.hazards.len()).sum();
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "diff",
            serde_json::json!({
                "status": if plan.is_empty() { "no_changes" } else { "changes" },
                "from": labels.0,
                "to": labels.1,
                "statements": json_statements(plan),
                "notes": notes,
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    write_ignoring_broken_pipe(&mut out, plan.script().as_bytes())?;
    let summary = if plan.is_empty() {
        "no changes".to_string()
    } else {
        format!(
            "{} statement{}, {hazards} hazard{}",
            plan.statements.len(),
            if plan.statements.len() == 1 { "" } else { "s" },
            if hazards == 1 { "" } else { "s" }
        )
    };
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    eprintln!("pgspec diff: {summary}{notes}");
    Ok(())
}

fn write_ignoring_broken_pipe(out: &mut impl Write, bytes: &[u8]) -> Result<()> {
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("writing the plan");
        }
    }
    Ok(())
}

fn refuse(args: &DiffArgs, labels: (&str, &str), refusals: &[Refusal]) -> Result<ExitCode> {
    let code = Rule::MigrationRefused;
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "diff",
            serde_json::json!({
                "status": "refused",
                "from": labels.0,
                "to": labels.1,
                "statements": [],
                "refusals": refusals.iter().map(|r| serde_json::json!({
                    "code": code.code(),
                    "name": code.name(),
                    "object": r.object,
                    "message": r.message,
                })).collect::<Vec<_>>(),
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    for r in refusals {
        eprintln!(
            "pgspec: error[{}]: {}: {}",
            code.code(),
            r.object,
            r.message
        );
    }
    eprintln!("pgspec diff: no plan printed");
    Ok(ExitCode::from(2))
}

impl DiffArgs {
    /// A side as the output names it (a URL without its password).
    fn label(side: &str) -> String {
        if is_url(side) {
            Server::Url(side.to_string()).url(&Server::Url(side.to_string()).maintenance_dbname())
        } else {
            side.to_string()
        }
    }
}
