//! `pgspec model`: print the merged schema model and its drift.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::document::SourceKind;
use pgspec::pipeline;

use super::{read_input, server_for, ReportFormat, ServerArgs};
use crate::printer::{json_diagnostics, json_envelope};

#[derive(clap::Args, Debug)]
pub(crate) struct ModelArgs {
    /// The design document (Markdown); `-` reads standard input.
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Output format: full (a table listing) or json.
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run_model(args: &ModelArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let server = server_for(args.db.as_deref(), &args.server)?;
    let path = args.doc.display().to_string();
    let (model, checked) = pipeline::model(
        pipeline::extract_as(&bytes, SourceKind::of_path(&args.doc)),
        &server,
    )
    .with_context(|| format!("checking {path}"))?;
    let doc = &checked.document;
    let drift: Vec<_> = checked
        .report
        .diagnostics
        .iter()
        .filter(|d| d.category == pgspec::diagnostics::Category::Drift)
        .collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "model",
            serde_json::json!({
                "documents": [{
                    "path": path,
                    "model": model,
                    "diagnostics": json_diagnostics(doc, drift.iter().copied()),
                }],
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let sources = |s: &[pgspec::schema::merged::FactSource]| {
        s.iter()
            .map(|s| format!("{}:{}", s.kind, s.line))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for t in &model.tables {
        writeln!(
            out,
            "{} ({}{}) [{}]",
            t.name,
            t.origin,
            if t.in_database {
                ""
            } else {
                ", not in the database"
            },
            sources(&t.sources)
        )?;
        for c in &t.columns {
            let mut flags = Vec::new();
            if c.primary_key {
                flags.push("PK".to_string());
            }
            if c.unique {
                flags.push("UK".to_string());
            }
            if let Some(r) = &c.references {
                flags.push(format!("FK → {r}"));
            }
            match c.nullable {
                Some(false) => flags.push("not null".into()),
                Some(true) => {}
                None => flags.push("nullability unknown".into()),
            }
            if let Some(d) = &c.default {
                flags.push(format!("default {d}"));
            }
            if c.generated {
                flags.push("generated".into());
            }
            writeln!(
                out,
                "    {} {} {} [{}]",
                c.name,
                c.ty,
                flags.join(", "),
                sources(&c.sources)
            )?;
        }
    }
    for r in &model.relationships {
        writeln!(
            out,
            "relationship {} – {} (line {}): {}",
            r.left,
            r.right,
            r.line,
            r.foreign_key.as_deref().unwrap_or("no foreign key")
        )?;
    }
    writeln!(
        out,
        "{path}: {} tables, {} relationships, {} drift findings (`pgspec check` shows them)",
        model.tables.len(),
        model.relationships.len(),
        drift.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
