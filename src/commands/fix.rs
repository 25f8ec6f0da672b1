//! `pgspec fix`: apply the fixes `check` finds to the document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

use pgspec::check::CheckOptions;
use pgspec::diagnostics::{Applicability, Severity};
use pgspec::document::SourceEncoding;
use pgspec::document::SourceKind;
use pgspec::fix;
use pgspec::lint::LintConfig;
use pgspec::pipeline;

use super::{read_input, server_for, FailOn, ServerArgs};

#[derive(clap::Args, Debug)]
pub(crate) struct FixArgs {
    /// The design document to fix (Markdown).
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Also apply behaviour-changing fixes (they need review).
    #[arg(long = "unsafe")]
    unsafe_fixes: bool,
    /// Also write the choices pgspec assumes where a person must decide (what `up` applies
    /// and lists as assumed), and the behaviour-changing fixes.
    #[arg(long)]
    assume: bool,
    /// Print a unified diff instead of writing the file.
    #[arg(long)]
    diff: bool,
    /// Exit with 1 when a finding this run did not fix is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Never)]
    fail_on: FailOn,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run_fix(args: &FixArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let server = server_for(args.db.as_deref(), &args.server)?;
    let path = args.doc.display().to_string();
    // Lint findings carry fixes too (all behaviour-changing, so only with --unsafe).
    let dir = args
        .doc
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let config = LintConfig::discover(&dir)?
        .unwrap_or_default()
        .for_document(&args.doc);
    let (doc, report) = pipeline::check_and_lint(
        pipeline::extract_as(&bytes, SourceKind::of_path(&args.doc)),
        &server,
        &CheckOptions::default(),
        &config,
    )
    .with_context(|| format!("checking {path}"))?;
    let min = if args.assume {
        Applicability::Assumption
    } else if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let applied = fix::apply_fixes(&doc.text, &doc.line_index, &report.diagnostics, min);
    let repaired = matches!(doc.encoding, SourceEncoding::Repaired { .. });
    if args.diff {
        print!("{}", fix::unified_diff(&path, &doc.text, &applied.text));
    } else if !applied.fixes.is_empty() {
        // Write next to the file, then rename: a crash never leaves half a document.
        let tmp = args.doc.with_extension("pgspec-fix.tmp");
        std::fs::write(&tmp, applied.text.as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &args.doc).with_context(|| format!("replacing {path}"))?;
    }
    for (line, title) in &applied.fixes {
        eprintln!("{path}:{line}: fixed: {title}");
    }
    if repaired && !applied.fixes.is_empty() && !args.diff {
        eprintln!("{path}: note: the file's mis-decoded UTF-8 was repaired on read and is written back repaired");
    }
    let unfixed: Vec<Severity> = report
        .diagnostics
        .iter()
        .filter(|d| d.fix.as_ref().is_none_or(|f| f.applicability < min))
        .map(|d| d.severity)
        .collect();
    let remaining = unfixed.iter().filter(|s| **s >= Severity::Warning).count();
    eprintln!(
        "{path}: {} fixes applied{}, {} overlapping skipped (run again), {remaining} findings need review (`pgspec check`)",
        applied.fixes.len(),
        if args.diff { " (shown as a diff, file unchanged)" } else { "" },
        applied.skipped_overlapping
    );
    let why = if args.diff {
        "after applying them (without --diff)"
    } else {
        "re-checks the fixed document"
    };
    eprintln!(
        "{}",
        crate::printer::next_step("check", &path, args.db.as_deref(), None, why)
    );
    Ok(args.fail_on.exit_code(unfixed))
}
