//! `pgspec seed`: fill the database `up` made with rows that satisfy its constraints.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::render::render_full;
use pgspec::document::SourceKind;
use pgspec::pipeline;
use pgspec::seed;

use super::{read_input, DatabaseArgs, FailOn, ReportFormat};
use crate::printer::{json_diagnostics, json_envelope, stdout_is_styled};

#[derive(clap::Args, Debug)]
pub(crate) struct SeedArgs {
    #[command(flatten)]
    target: DatabaseArgs,
    /// Rows each table should hold. Rows a table holds already count, so running `seed`
    /// again after a run that stopped fills only what is missing.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    rows: u64,
    /// Rows for one table (`name=N` or `schema.name=N`); repeatable.
    #[arg(long = "table", value_name = "T=N", value_parser = parse_table_rows)]
    tables: Vec<(String, u64)>,
    /// Random seed: the same seed gives the same rows.
    #[arg(long, default_value_t = 42, value_name = "S")]
    seed: u64,
    /// Use the row counts the document states for the tables it names ("1M users",
    /// "orders: 5M"); --table still wins, --rows fills the rest.
    #[arg(long)]
    volumes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    /// Empty every table of the database first (TRUNCATE … RESTART IDENTITY): the same
    /// --seed then gives the same rows. Rows the document's own INSERTs added go too
    /// (`pgspec up --recreate` brings them back).
    #[arg(long)]
    truncate: bool,
    /// No progress on standard error (the plan, a bar per table on a terminal, a line per
    /// table otherwise).
    #[arg(long, short)]
    quiet: bool,
    /// Exit with 1 when a finding (a constraint pgspec could not satisfy, a table it could
    /// not fill) is at or above this severity; by default the exit code says only whether
    /// seeding ran.
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    fail_on: FailOn,
}

fn parse_table_rows(s: &str) -> Result<(String, u64), String> {
    let (t, n) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected TABLE=N, got `{s}`"))?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a row count"))?;
    Ok((t.trim().to_string(), n))
}

pub(crate) fn run_seed(args: &SeedArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.target.doc)?;
    let path = args.target.path();
    let (server, name) = args.target.made_by_up("seeding")?;
    let extracted = pipeline::extract_as(&bytes, SourceKind::of_path(&args.target.doc));
    let options = seed::SeedOptions {
        rows: args.rows,
        tables: args.tables.iter().cloned().collect(),
        seed: args.seed,
        document_volumes: args.volumes,
        truncate: args.truncate,
    };
    let mut progress = crate::progress::SeedBars::new(args.quiet, args.volumes);
    let report = seed::seed(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &options,
        &mut progress,
    )
    .with_context(|| format!("seeding {path}"))?;
    let doc = &extracted.document;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.format == ReportFormat::Json {
        let value = json_envelope(
            "seed",
            serde_json::json!({
                "database": report.database,
                "connection": server.url(&report.database),
                "total_rows": report.total_rows,
                "seconds": report.seconds,
                "rows_per_second": report.rows_per_second(),
                "tables": report.tables,
                "diagnostics": json_diagnostics(doc, &report.diagnostics),
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        let source = doc.source(&path);
        let styled = stdout_is_styled();
        for d in &report.diagnostics {
            writeln!(out, "{}\n", render_full(&source, d, styled))?;
        }
        for t in &report.tables {
            // Rows the table held before the run, and those the document's triggers wrote
            // into it while earlier tables were filled.
            let mut before = Vec::new();
            if t.existing > 0 {
                before.push(format!("had {}", t.existing));
            }
            if t.written_by_triggers > 0 {
                before.push(format!(
                    "{} written by the document's triggers",
                    t.written_by_triggers
                ));
            }
            let had = if before.is_empty() {
                String::new()
            } else {
                format!("  ({}, now {})", before.join(", "), t.rows_now())
            };
            writeln!(
                out,
                "{:<40} {:>9} rows {:>10.0} rows/s  {}{had}{}",
                t.table,
                t.rows,
                t.rows_per_second,
                t.method,
                t.stopped
                    .as_deref()
                    .map(|s| {
                        if s.starts_with("stopped") {
                            format!("  ({s})")
                        } else {
                            format!("  (stopped: {s})")
                        }
                    })
                    .unwrap_or_default()
            )?;
        }
        let held: Vec<&seed::TableReport> =
            report.tables.iter().filter(|t| t.existing > 0).collect();
        if !held.is_empty() {
            let complete = held.iter().filter(|t| t.existing >= t.requested).count();
            writeln!(
                out,
                "{} of {} tables already held rows (the document's own, or those of an earlier seed that stopped); \
                 each was filled up to its count{}; --truncate empties the tables first",
                held.len(),
                report.tables.len(),
                if complete > 0 {
                    format!(", {complete} needed nothing")
                } else {
                    String::new()
                }
            )?;
        }
        writeln!(
            out,
            "database {}: {} rows in {} tables, {:.1} s, {:.0} rows/s",
            report.database,
            report.total_rows,
            report.tables.len(),
            report.seconds,
            report.rows_per_second()
        )?;
        let why = "the document's claims on these rows";
        writeln!(out, "{}", args.target.next_step("verify", why))?;
    }
    Ok(args
        .fail_on
        .exit_code(report.diagnostics.iter().map(|d| d.severity)))
}
