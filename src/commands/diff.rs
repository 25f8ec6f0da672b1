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

use pgspec::diagnostics::Rule;
use pgspec::diff::{self, Plan, Refusal};
use pgspec::pipeline::{self, Applied};
use pgspec::postgres::catalog::Catalog;
use pgspec::postgres::{ScratchDatabase, Server};

use super::{read_input, server_for, ReportFormat, ServerArgs};
use crate::printer::json_envelope;

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

fn is_url(side: &str) -> bool {
    side.starts_with("postgres://") || side.starts_with("postgresql://")
}

/// A side read: its catalog, and the scratch database a document was applied to.
struct Side {
    catalog: Catalog,
    applied: Option<Applied>,
    /// A scratch copy of a database side, rebuilt from its catalog (for renames, validation).
    copy: Option<(ScratchDatabase, pgspec::postgres::ApplySession)>,
    /// The roles that own the side's tables and views: a copy's objects belong to the scratch
    /// database's owner instead, which is not a difference.
    owners: Vec<String>,
}

impl Side {
    fn new(catalog: Catalog, applied: Option<Applied>) -> Side {
        let mut owners: Vec<String> = catalog
            .tables
            .iter()
            .map(|t| t.owner.clone())
            .chain(catalog.views.iter().map(|v| v.owner.clone()))
            .collect();
        owners.sort();
        owners.dedup();
        Side {
            catalog,
            applied,
            copy: None,
            owners,
        }
    }

    /// A session on a scratch copy of this side: the document's own scratch database, or a
    /// database side rebuilt from its catalog by the same planner (made once).
    fn working_copy(
        &mut self,
        options: &diff::Options,
        servers: &mut Servers<'_>,
    ) -> Result<&mut pgspec::postgres::ApplySession, String> {
        if self.applied.is_none() && self.copy.is_none() {
            let server = servers.get().map_err(|e| format!("{e:#}"))?;
            let scratch =
                ScratchDatabase::create(server, "pgspec_diff").map_err(|e| e.to_string())?;
            let mut session = scratch.session().map_err(|e| e.to_string())?;
            let empty = session.catalog().map_err(|e| e.to_string())?;
            let copy = diff::plan(&empty, &self.catalog, options)
                .map_err(|r| format!("FROM cannot be copied: {}", describe_refusals(&r)))?;
            run_plan(&mut session, &copy).map_err(|e| format!("copying FROM: {e}"))?;
            let copied = session.catalog().map_err(|e| e.to_string())?;
            match diff::plan(&copied, &self.catalog, options) {
                Ok(rest) if rest.is_empty() => {}
                _ => return Err("the copy of FROM differs from FROM".into()),
            }
            self.copy = Some((scratch, session));
        }
        match (&mut self.applied, &mut self.copy) {
            (Some(applied), _) => Ok(&mut applied.session),
            (None, Some((_, session))) => Ok(session),
            (None, None) => unreachable!("a copy was made above"),
        }
    }
}

/// The document bytes; a `.sql` file becomes a one-block Markdown document.
fn document_bytes(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_input(path)?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
    {
        let text = String::from_utf8_lossy(&bytes);
        let longest = text
            .lines()
            .map(|l| l.len() - l.trim_start_matches('`').len())
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        return Ok(format!("{fence}sql\n{text}\n{fence}\n").into_bytes());
    }
    Ok(bytes)
}

struct Servers<'a> {
    args: &'a DiffArgs,
    server: Option<Server>,
}

impl Servers<'_> {
    fn get(&mut self) -> Result<&Server> {
        if self.server.is_none() {
            self.server = Some(server_for(self.args.db.as_deref(), &self.args.server)?);
        }
        Ok(self.server.as_ref().expect("set above"))
    }
}

/// Read one side. `as_up`: a document is built as `pgspec up` builds it (the platform layer it
/// needs, every fix, its partitions), to compare with the database `up` made.
fn read_side(side: &str, servers: &mut Servers<'_>, as_up: bool) -> Result<Side, String> {
    if is_url(side) {
        let server = Server::Url(side.to_string());
        let catalog =
            Catalog::load_database(&server, &server.maintenance_dbname()).map_err(|e| {
                format!(
                    "reading the catalog of {}: {e}",
                    server.describe(&server.maintenance_dbname())
                )
            })?;
        return Ok(Side::new(catalog, None));
    }
    let path = PathBuf::from(side);
    let bytes = document_bytes(&path).map_err(|e| e.to_string())?;
    let server = servers.get().map_err(|e| format!("{e:#}"))?;
    let extracted = pipeline::extract(&bytes);
    let applied = if as_up {
        built_as_up(extracted, server)
    } else {
        pipeline::apply_in_scratch(extracted, server)
    };
    let mut applied = applied.map_err(|e| format!("applying {side}: {e}"))?;
    // A `.sql` file is wrapped in one fence: its lines are one lower.
    let shift = u32::from(
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql")),
    );
    let errors = applied.report.error_lines(&applied.document, side, shift);
    if !errors.is_empty() {
        return Err(format!(
            "{side} does not apply cleanly ({} error{}; `pgspec check {side}` shows them): {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let catalog = applied
        .session
        .catalog()
        .map_err(|e| format!("reading the catalog of {side}: {e}"))?;
    Ok(Side::new(catalog, Some(applied)))
}

/// The document built on a scratch database as `pgspec up` builds it.
fn built_as_up(
    extracted: pipeline::Extracted,
    server: &Server,
) -> Result<Applied, pgspec::postgres::ClusterError> {
    let kept = pgspec::up::build_kept(&extracted, server, "pgspec_diff")?;
    Ok(Applied {
        document: extracted.document,
        report: kept.built.report,
        session: kept.session,
        scratch: kept.scratch,
    })
}

/// FROM when only a document is given: the database `pgspec up` made for it (with `--name`,
/// that database), on `--db`'s server or the private cluster. Its label, and the side.
fn read_up_database(args: &DiffArgs, servers: &mut Servers<'_>) -> Result<(String, Side), String> {
    if is_url(&args.from) {
        return Err(format!(
            "{} is a database: with one argument, give a document (FROM is then the database `pgspec up` made for it)",
            DiffArgs::label(&args.from)
        ));
    }
    let server = servers.get().map_err(|e| format!("{e:#}"))?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| pgspec::up::database_name_for(&args.from));
    let document = super::document_path(Path::new(&args.from));
    let label = server.url(&name);
    match pgspec::up::made_by_up(server, &name, document.as_deref()) {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Err(format!(
                "there is no database that `pgspec up` made for {doc} (expected {label}): run `pgspec up {doc}` first, or give FROM (`pgspec diff URL {doc}`)",
                doc = args.from
            ))
        }
        Err(e) => return Err(e.to_string()),
    }
    let catalog = Catalog::load_database(server, &name)
        .map_err(|e| format!("reading the catalog of {label}: {e}"))?;
    Ok((label, Side::new(catalog, None)))
}

/// Why a plan did not run on a scratch copy.
struct Failed {
    message: String,
    /// The server refused a privilege the scratch database's unprivileged owner lacks (an
    /// untrusted extension): says nothing about the plan.
    privilege: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Run `plan` on `session`; the first statement that fails, with the server's error.
fn run_plan(session: &mut pgspec::postgres::ApplySession, plan: &Plan) -> Result<(), Failed> {
    for (i, s) in plan.statements.iter().enumerate() {
        let outcome = session.apply(&s.sql).map_err(|e| Failed {
            message: e.to_string(),
            privilege: false,
        })?;
        if let Some(e) = outcome.error() {
            return Err(Failed {
                privilege: e.sqlstate == "42501",
                message: format!(
                    "statement {} (`{}`) failed: {}",
                    i + 1,
                    s.sql.lines().next().unwrap_or(""),
                    e.message
                ),
            });
        }
    }
    Ok(())
}

/// The objects still different after `plan` ran on a copy of FROM (to which the renames, if
/// any, were already applied), or why that could not be tried. `Ok(None)`: validated.
fn validate(
    from: &mut Side,
    to: &Catalog,
    plan: &Plan,
    options: &diff::Options,
    servers: &mut Servers<'_>,
) -> Result<Option<Vec<Refusal>>, String> {
    let session = from.working_copy(options, servers)?;
    if let Err(e) = run_plan(session, plan) {
        if e.privilege {
            return Err(format!("the scratch database's owner may not run it: {e}"));
        }
        return Ok(Some(vec![refusal(
            "validation",
            format!("the plan does not apply to a copy of FROM: {e}"),
        )]));
    }
    let after = session.catalog().map_err(|e| e.to_string())?;
    // The copy's objects belong to the scratch database's owner: what FROM's owners hold is
    // not a difference.
    let options = diff::Options {
        ignore_grantees: from.owners.clone(),
        ..options.clone()
    };
    let attachments = diff::partition_copies_differ(&after, to, &options);
    if !attachments.is_empty() {
        return Ok(Some(
            attachments
                .into_iter()
                .map(|m| {
                    refusal(
                        "validation",
                        format!("after the plan ran on a copy of FROM: {m}"),
                    )
                })
                .collect(),
        ));
    }
    match diff::plan(&after, to, &options) {
        Ok(rest) if rest.is_empty() => Ok(None),
        Ok(rest) => Ok(Some(
            rest.statements
                .iter()
                .map(|s| Refusal {
                    object: "validation".into(),
                    message: format!(
                        "after the plan ran on a copy of FROM, this still differs from TO: {}",
                        s.sql.lines().next().unwrap_or("")
                    ),
                })
                .collect(),
        )),
        Err(r) => Ok(Some(r)),
    }
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
    let mut servers = Servers { args, server: None };
    let from_label = args.to.as_ref().map(|_| DiffArgs::label(&args.from));
    let labels = (
        from_label,
        DiffArgs::label(args.to.as_ref().unwrap_or(&args.from)),
    );
    let sides = match &args.to {
        Some(to) => read_side(&args.from, &mut servers, false)
            .map(|from| (DiffArgs::label(&args.from), from))
            .map_err(|e| vec![refusal("FROM", e)])
            .and_then(|from| {
                read_side(to, &mut servers, false)
                    .map(|to| (from, to))
                    .map_err(|e| vec![refusal("TO", e)])
            }),
        None => read_up_database(args, &mut servers)
            .map_err(|e| vec![refusal("FROM", e)])
            .and_then(|from| {
                read_side(&args.from, &mut servers, true)
                    .map(|to| (from, to))
                    .map_err(|e| vec![refusal("TO", e)])
            }),
    };
    let ((from_label, mut from), to) = match sides {
        Ok(sides) => sides,
        Err(refusals) => {
            let from_label = labels
                .0
                .unwrap_or_else(|| "the database `pgspec up` made".into());
            return refuse(args, (&from_label, &labels.1), &refusals);
        }
    };
    let labels = (from_label.as_str(), labels.1.as_str());
    let mut notes = Vec::new();
    let candidates = diff::renames(&from.catalog, &to.catalog, &options);
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
            match take_renames(&mut from, &candidates, &options, &mut servers) {
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
    if !renames.is_empty() && rest.is_empty() {
        // The renamed copy of FROM already equals TO.
        notes.push("validated on a scratch copy of FROM".to_string());
    } else if !args.no_validate && !rest.is_empty() {
        match validate(&mut from, &to.catalog, &rest, &options, &mut servers) {
            Ok(None) => notes.push("validated on a scratch copy of FROM".to_string()),
            Ok(Some(refusals)) => return refuse(args, labels, &refusals),
            // Said on stderr (and in the JSON notes), never silently.
            Err(why) => notes.push(format!("not validated: {why}")),
        }
    }
    let mut plan = Plan {
        statements: renames,
    };
    plan.statements.extend(rest.statements);
    print_plan(args, labels, &plan, &notes)?;
    Ok(if args.exit_code && !plan.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
    servers: &mut Servers<'_>,
) -> Result<(), String> {
    let statements = candidates
        .iter()
        .flat_map(|c| c.statements.clone())
        .collect();
    let session = from.working_copy(options, servers)?;
    run_plan(session, &Plan { statements }).map_err(|e| e.to_string())?;
    from.catalog = session.catalog().map_err(|e| e.to_string())?;
    Ok(())
}

fn refusal(object: &str, message: String) -> Refusal {
    Refusal {
        object: object.into(),
        message,
    }
}

fn json_statements(plan: &Plan) -> serde_json::Value {
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
