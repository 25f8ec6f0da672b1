//! `pgspec drift DOC [--db URL]`: does the live database still match its document (and the
//! migrations applied to it)? The SQL that would bring it in step on stdout, as `diff` prints
//! it; the report on stderr. Exit 0 in step, 1 drifted, 2 could not tell. The work is in
//! pgspec_migrate::drift.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use pgspec::migrate;
use pgspec::postgres::Server;

use super::{document_path, read_input, server_for, ReportFormat, ServerArgs};
use crate::printer::json_envelope;

#[derive(clap::Args, Debug)]
pub(crate) struct DriftArgs {
    /// The design document (Markdown, or a `.sql` file read as one SQL block).
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// The live database by URL (default: the one `pgspec up` made for the document).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The name of the document's database, when `pgspec up --name` chose it.
    #[arg(long, value_name = "NAME", conflicts_with = "db")]
    name: Option<String>,
    /// The migration directory whose applied files the database is also compared with
    /// (default: `migrations/` beside the document, when it exists).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run_drift(args: &DriftArgs) -> Result<ExitCode> {
    match drift(args) {
        Ok((database, d)) => print(args, &database, &d),
        Err(e) => {
            let (code, message) = match e.downcast::<migrate::Error>() {
                Ok(e) => (e.code.map(|c| c.code()), e.message),
                Err(e) => (None, format!("{e:#}")),
            };
            if args.format == ReportFormat::Json {
                let value = json_envelope(
                    "drift",
                    serde_json::json!({ "status": "failed", "code": code, "message": message, "statements": [] }),
                );
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
            match code {
                Some(code) => eprintln!("pgspec: error[{code}]: {message}"),
                None => eprintln!("pgspec: error: {message}"),
            }
            eprintln!("pgspec drift: could not compare");
            Ok(ExitCode::from(2))
        }
    }
}

fn drift(args: &DriftArgs) -> Result<(String, migrate::drift::Drift)> {
    let label = args.doc.display().to_string();
    let bytes = read_input(&args.doc)?;
    let path = document_path(&args.doc);
    let scratch = server_for(None, &args.server)?;
    let by_url = args.db.as_ref().map(|url| Server::Url(url.clone()));
    let (server, database) = match &by_url {
        Some(server) => (server, server.maintenance_dbname()),
        None => {
            let database = args
                .name
                .clone()
                .unwrap_or_else(|| pgspec::up::database_name_for(&label));
            pgspec::up::made_by_up(&scratch, &database, path.as_deref())
                .with_context(|| format!("comparing {label}"))?
                .ok_or_else(|| {
                    anyhow!("there is no database {database} for {label}: `pgspec up {label}` builds it (or --db URL)")
                })?;
            (&scratch, database)
        }
    };
    let dir = match &args.dir {
        Some(dir) => Some(dir.clone()),
        None => {
            let beside = args
                .doc
                .parent()
                .map_or_else(|| PathBuf::from("migrations"), |p| p.join("migrations"));
            beside.is_dir().then_some(beside)
        }
    };
    let desired = migrate::up::Desired {
        bytes: &bytes,
        label: &label,
        path: path.as_deref(),
    };
    let d = migrate::drift::drift(&desired, server, &database, &scratch, dir.as_deref())?;
    Ok((server.url(&database), d))
}

fn print(args: &DriftArgs, database: &str, d: &migrate::drift::Drift) -> Result<ExitCode> {
    let label = args.doc.display().to_string();
    let in_step = d.in_step();
    let message = if in_step {
        format!("the database is in step with {label}")
    } else {
        let mut parts = Vec::new();
        if !d.plan.is_empty() {
            parts.push(format!(
                "{} statement{} would bring it to {label}",
                d.plan.statements.len(),
                if d.plan.statements.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
        if let Some(m) = d.migrations.as_ref().filter(|m| !m.is_empty()) {
            parts.push(format!(
                "it differs from what its applied migrations build in {} statement{}",
                m.len(),
                if m.len() == 1 { "" } else { "s" }
            ));
        }
        format!("the database drifted: {}", parts.join("; "))
    };
    let mut notes: Vec<String> = Vec::new();
    if !d.renames.is_empty() {
        notes.push(format!(
            "rename candidates, planned above as a drop and an add (`pgspec up --renames` renames them): {}",
            d.renames.join(", ")
        ));
    }
    if !d.kept_partitions.is_empty() {
        notes.push(migrate::up::kept_note(&d.kept_partitions));
    }
    notes.extend(d.migrations_note.clone());
    notes.extend(
        d.left_out
            .iter()
            .map(|l| format!("left out of the document, as `pgspec up` leaves it out: {l}")),
    );
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "drift",
            serde_json::json!({
                "status": if in_step { "in_step" } else { "drifted" },
                "code": serde_json::Value::Null,
                "message": message,
                "database": database,
                "statements": super::diff::json_statements(&d.plan),
                "migrations": d.migrations,
                "notes": notes,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        out.write_all(d.plan.script().as_bytes())?;
        out.flush()?;
        if let Some(m) = d.migrations.as_ref().filter(|m| !m.is_empty()) {
            eprintln!("pgspec drift: against the migrations applied to it (changed by hand?), to bring it back:");
            for l in m {
                eprintln!("  {l}");
            }
        }
        for n in &notes {
            eprintln!("pgspec drift: note: {n}");
        }
        eprintln!("pgspec drift: {database}: {message}");
    }
    Ok(if in_step {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
