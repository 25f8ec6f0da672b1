//! `pgspec report`: one self-contained HTML page with the ERD, the findings, what `up`
//! assumed, the verified claims, drift and the figures.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::Severity;
use pgspec::lint::LintConfig;
use pgspec::picture::{gather, html};

use super::erd::{draw, write_output};
use super::{read_input, server_for, FailOn, ServerArgs};

#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// The design document (Markdown); `-` reads standard input.
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Write the page here (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Rows seeded into each table.
    #[arg(long, default_value_t = 100, value_name = "N")]
    rows: u64,
    /// Random seed of the rows.
    #[arg(long, default_value_t = 42, value_name = "S")]
    seed: u64,
    /// Lint configuration (default: the nearest pgspec.toml from the document's directory up).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Exit with 1 when `check` finds something at or above this severity (by default the
    /// exit code says only whether the page was made).
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    fail_on: FailOn,
    #[command(flatten)]
    server: ServerArgs,
}

fn lint_config(args: &ReportArgs) -> Result<LintConfig> {
    let config = match &args.config {
        Some(path) => LintConfig::load(path)?,
        None => {
            let dir = if args.doc == Path::new("-") {
                std::env::current_dir()?
            } else {
                args.doc
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            };
            LintConfig::discover(&dir)?.unwrap_or_default()
        }
    };
    Ok(config.for_document(&args.doc))
}

pub(crate) fn run_report(args: &ReportArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let path = args.doc.display().to_string();
    let server = server_for(args.db.as_deref(), &args.server)?;
    let options = gather::ReportOptions {
        rows: args.rows,
        seed: args.seed,
        lint: lint_config(args)?,
        document: super::document_path(&args.doc),
    };
    let mut gathered = gather::report(&bytes, &path, &server, &options)
        .with_context(|| format!("making the report of {path}"))?;
    gathered.page.svg = draw(&gathered.page.dot);
    if let Err(why) = &gathered.page.svg {
        eprintln!("pgspec: warning: the report has no ERD drawing: {why}; it shows the DOT and mermaid text instead");
    }
    let page = html::to_html(&gathered.page);
    write_output(args.output.as_deref(), &page)?;
    let errors = gathered
        .page
        .findings
        .iter()
        .chain(&gathered.page.drift)
        .filter(|f| f.severity == "error")
        .count();
    if let Some(file) = &args.output {
        eprintln!(
            "{}: {} tables, {errors} errors, {} claims, {} rows seeded (database {} removed)",
            file.display(),
            gathered.erd.tables.iter().filter(|t| t.built).count(),
            gathered.page.claims.len(),
            gathered.page.rows.iter().map(|(_, n)| n).sum::<u64>(),
            gathered.database
        );
    }
    let severities = gathered
        .page
        .findings
        .iter()
        .chain(&gathered.page.drift)
        .map(|f| match f.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => Severity::Info,
        });
    Ok(args.fail_on.exit_code(severities))
}
