//! `pgspec verify`: check the document's claims on the seeded database.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::diagnostics::render::{render_concise, render_full};
use pgspec::diagnostics::Severity;
use pgspec::document::SourceKind;
use pgspec::pipeline;
use pgspec::verify;

use super::{read_input, DatabaseArgs, FailOn, VerifyFormat};
use crate::printer::{json_diagnostics, json_envelope, stdout_is_styled};

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    target: DatabaseArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Full)]
    format: VerifyFormat,
    /// Exit with 1 when a finding is at or above this severity (a failed claim is an error).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// No progress line on standard error (there is none when it is not a terminal).
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.target.doc)?;
    let path = args.target.path();
    let (server, name) = args.target.made_by_up("verifying")?;
    let extracted = pipeline::extract_as(&bytes, SourceKind::of_path(&args.target.doc));
    let mut progress = crate::progress::ClaimSpinner::new(args.quiet);
    let report = verify::verify_with_progress(
        &extracted.document,
        &extracted.statements,
        &server,
        &name,
        &mut progress,
    )
    .with_context(|| format!("verifying {path}"))?;
    drop(progress);
    let doc = &extracted.document;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.format == VerifyFormat::Json {
        let value = json_envelope(
            "verify",
            serde_json::json!({
                "database": report.database,
                "connection": server.url(&report.database),
                "summary": report.summary(),
                "claims": report.claims,
                "diagnostics": json_diagnostics(doc, &report.diagnostics),
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        let source = doc.source(&path);
        let styled = stdout_is_styled();
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
        {
            if args.format == VerifyFormat::Concise {
                writeln!(out, "{}", render_concise(&source, d))?;
            } else {
                writeln!(out, "{}\n", render_full(&source, d, styled))?;
            }
        }
        for c in &report.claims {
            writeln!(
                out,
                "{path}:{}: {:<10} {:<7} {}{}",
                c.line,
                c.kind.as_str(),
                c.status.as_str(),
                c.title,
                c.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )?;
        }
        let s = report.summary();
        writeln!(
            out,
            "{path}: {} claims: {} passed, {} failed, {} skipped",
            s.claims, s.passed, s.failed, s.skipped
        )?;
        let target = &args.target;
        let step = if s.failed > 0 {
            target.next_step("verify", "after correcting the document or the claims that failed; `pgspec up --recreate` rebuilds the database")
        } else if s.claims > 0 && s.passed == 0 {
            target.next_step("seed", "claims on data need rows first")
        } else {
            target.next_step(
                "down",
                "the claims hold; down removes the database when you are done",
            )
        };
        writeln!(out, "{step}")?;
    }
    let failed_claims = report
        .claims
        .iter()
        .filter(|c| c.status == verify::Status::Fail)
        .map(|_| Severity::Error);
    Ok(args
        .fail_on
        .exit_code(failed_claims.chain(report.diagnostics.iter().map(|d| d.severity))))
}
