//! `pgspec check` and `pgspec lint`: apply documents and report their findings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::ValueEnum;

use pgspec::check::CheckOptions;
use pgspec::diagnostics::group::render_grouped;
use pgspec::diagnostics::render::{
    render_concise, render_full, render_github, render_sarif, Source,
};
use pgspec::diagnostics::{Code, Diagnostic, Severity};
use pgspec::document::SourceKind;
use pgspec::lint::LintConfig;
use pgspec::pipeline;

use super::{read_input, server_for, FailOn, Format, ServerArgs};
use crate::printer::{json_envelope, next_step, stdout_is_styled};

/// Lines the default human output of one document takes at most (`--verbose`: no bound).
const MAX_LINES: usize = 120;

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// Design documents (Markdown); `-` reads standard input.
    #[arg(required = true, value_name = "DOC")]
    docs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    format: Format,
    /// Use this server instead of the private cluster (postgresql://… URL). A scratch database
    /// is created there for each document and dropped afterwards.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Exit with 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Do not retry statements that use objects defined later in the document.
    #[arg(long)]
    no_reorder: bool,
    /// Show every finding in full, one by one, info-level ones too (encoding repairs,
    /// cascades); by default findings that share a cause are shown as one, errors first, in
    /// at most 120 lines per document.
    #[arg(long, short)]
    verbose: bool,
    /// Colour: auto (terminal only), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Lint configuration (default: the nearest pgspec.toml from each document's directory up).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Color {
    Auto,
    Always,
    Never,
}

/// The lint configuration for `doc`: --config, else the nearest pgspec.toml, else defaults.
fn lint_config_for(args: &CheckArgs, doc: &Path) -> Result<LintConfig> {
    let config = match &args.config {
        Some(path) => LintConfig::load(path)?,
        None => {
            let dir = if doc == Path::new("-") {
                std::env::current_dir()?
            } else {
                doc.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            };
            LintConfig::discover(&dir)?.unwrap_or_default()
        }
    };
    Ok(config.for_document(doc))
}

/// What to run after `check` (or `lint`): the fixes when there are some, else `up`.
fn next_after_check(report: &pgspec::check::CheckReport, path: &str, db: Option<&str>) -> String {
    use pgspec::diagnostics::Applicability;
    let fixable = |level: Applicability| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.fix.as_ref().is_some_and(|f| f.applicability == level))
            .count()
    };
    let (safe, unsafe_) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
    if safe > 0 {
        next_step(
            "fix",
            path,
            db,
            None,
            &format!("applies {safe} safe fixes; --diff shows them first"),
        )
    } else if unsafe_ > 0 {
        next_step(
            "fix --unsafe --diff",
            path,
            db,
            None,
            &format!("{unsafe_} fixes that change behaviour, to review"),
        )
    } else if fixable(Applicability::Assumption) > 0 {
        next_step(
            "fix --assume --diff",
            path,
            db,
            None,
            &format!(
                "{} decisions with the choice pgspec assumes, to review",
                fixable(Applicability::Assumption)
            ),
        )
    } else if report.has_findings(Severity::Error) {
        next_step(
            "check",
            path,
            db,
            None,
            "after editing the statements above",
        )
    } else {
        next_step(
            "up",
            path,
            db,
            None,
            "a persistent database with the document applied",
        )
    }
}

pub(crate) fn run_check(args: &CheckArgs, lint_only: bool) -> Result<ExitCode> {
    // Read everything first: a missing file is a usage error before any server work.
    let inputs = args
        .docs
        .iter()
        .map(|p| read_input(p).map(|b| (p.display().to_string(), b)))
        .collect::<Result<Vec<_>>>()?;
    let configs = args
        .docs
        .iter()
        .map(|p| lint_config_for(args, p))
        .collect::<Result<Vec<_>>>()?;
    // The first document is extracted while the server gets ready (locating the binaries,
    // the ping and the orphan sweep mostly wait on other processes).
    let extract = |(path, bytes): (String, Vec<u8>)| {
        pgspec::diagnostics::stage::document(&path);
        let extracted = pipeline::extract_as(&bytes, SourceKind::of_path(Path::new(&path)));
        (path, extracted)
    };
    let mut inputs = inputs.into_iter();
    let (server, first) = std::thread::scope(|scope| {
        let server = scope.spawn(|| server_for(args.db.as_deref(), &args.server));
        let first = inputs.next().map(extract);
        let server = server
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (server, first)
    });
    let server = server?;
    let options = CheckOptions {
        retry_forward_references: !args.no_reorder,
        ..CheckOptions::default()
    };
    let styled = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout_is_styled(),
    };
    let mut severities = Vec::new();
    // A file that is not a document (binary, unreadable): pgspec could not do the job.
    let mut unreadable = false;
    let mut json_docs = Vec::new();
    let mut sarif_docs = Vec::new();
    let stdout = std::io::stdout();
    // Buffered: a JSON report is thousands of lines, a write each otherwise.
    let mut out = std::io::BufWriter::new(stdout.lock());
    let documents = first.into_iter().chain(inputs.map(extract));
    for ((path, extracted), config) in documents.zip(&configs) {
        let options = CheckOptions {
            progress: crate::progress::statement_bar(&path),
            ..options.clone()
        };
        let (doc, mut report) = pipeline::check_and_lint(extracted, &server, &options, config)
            .with_context(|| format!("checking {path}"))?;
        if lint_only {
            let lint = std::mem::take(&mut report.diagnostics)
                .into_iter()
                .filter(|d| d.code.is_lint())
                .collect();
            report.set_diagnostics(lint);
        }
        severities.extend(report.diagnostics.iter().map(|d| d.severity));
        // A text with a few undecodable bytes (replaced, or read as windows-1252) was
        // checked: its DOC004 is a warning, and only the refusal of a file is "could not".
        unreadable |= report
            .diagnostics
            .iter()
            .any(|d| d.code == Code::UnreadableInput && d.severity == Severity::Error);
        pgspec::diagnostics::stage::enter("render");
        let source = doc.source(&path);
        let shown = report.diagnostics.iter().filter(|d| {
            args.verbose
                || d.severity > Severity::Info
                || matches!(args.format, Format::Json | Format::Sarif)
        });
        match args.format {
            Format::Json => json_docs.push(report.to_json(&doc, &path)),
            Format::Sarif => {
                let kept: Vec<Diagnostic> = shown.cloned().collect();
                sarif_docs.push((path.clone(), doc.clone(), kept));
            }
            Format::Full if args.verbose => {
                for d in shown {
                    writeln!(out, "{}\n", render_full(&source, d, styled))?;
                }
            }
            Format::Full => {
                // Grouped by cause within the budget; the summary and next step follow.
                let budget = MAX_LINES - 2;
                write!(
                    out,
                    "{}",
                    render_grouped(&source, &report.diagnostics, styled, budget)
                )?;
            }
            Format::Concise => {
                for d in shown {
                    writeln!(out, "{}", render_concise(&source, d))?;
                }
            }
            Format::Github => {
                for d in shown {
                    writeln!(out, "{}", render_github(&source, d))?;
                }
            }
        }
        if lint_only && !matches!(args.format, Format::Json | Format::Sarif) {
            let s = &report.summary;
            writeln!(
                out,
                "{path}: {} lint findings: {} errors, {} warnings",
                report.diagnostics.len(),
                s.errors,
                s.warnings
            )?;
        } else if !matches!(args.format, Format::Json | Format::Sarif) {
            let s = &report.summary;
            writeln!(out, "{path}: {}", s.describe())?;
        }
        if !matches!(args.format, Format::Json | Format::Sarif) {
            writeln!(
                out,
                "{}",
                next_after_check(&report, &path, args.db.as_deref())
            )?;
        }
        // Each document's findings as soon as they are known.
        out.flush()?;
    }
    if args.format == Format::Json {
        let value = json_envelope(
            if lint_only { "lint" } else { "check" },
            serde_json::json!({ "documents": json_docs }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    if args.format == Format::Sarif {
        let files: Vec<(Source<'_>, Vec<&Diagnostic>)> = sarif_docs
            .iter()
            .map(|(path, doc, diagnostics)| (doc.source(path), diagnostics.iter().collect()))
            .collect();
        serde_json::to_writer_pretty(&mut out, &render_sarif(&files, env!("CARGO_PKG_VERSION")))?;
        writeln!(out)?;
    }
    out.flush()?;
    if unreadable {
        return Ok(ExitCode::from(2));
    }
    Ok(args.fail_on.exit_code(severities))
}
