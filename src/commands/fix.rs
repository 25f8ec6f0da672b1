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

/// At most this many check-and-fix passes.
const MAX_PASSES: usize = 4;

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
    let min = if args.assume {
        Applicability::Assumption
    } else if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    // Like ruff: check, apply, and check the fixed text again, until a pass applies nothing.
    // A fix may only show once another one applied (a dialect rewrite gives `timestamp`, which
    // LNT404's fix then makes `timestamptz`), or overlap one applied in the same pass.
    let kind = SourceKind::of_path(&args.doc);
    let mut text_bytes = bytes;
    let mut original: Option<String> = None;
    let mut fixed: Vec<(u32, String)> = Vec::new();
    let mut repaired = false;
    let mut converged = false;
    let mut pass = 0;
    let (doc, report, skipped_overlapping) = loop {
        pass += 1;
        let (doc, report) = pipeline::check_and_lint(
            pipeline::extract_as(&text_bytes, kind),
            &server,
            &CheckOptions::default(),
            &config,
        )
        .with_context(|| format!("checking {path}"))?;
        let applied = fix::apply_fixes(&doc.text, &doc.line_index, &report.diagnostics, min);
        if original.is_none() {
            original = Some(doc.text.clone());
            repaired = matches!(doc.encoding, SourceEncoding::Repaired { .. });
        }
        if applied.fixes.is_empty() {
            converged = true;
            break (doc, report, applied.skipped_overlapping);
        }
        fixed.extend(applied.fixes);
        if pass == MAX_PASSES {
            break (doc, report, applied.skipped_overlapping);
        }
        text_bytes = applied.text.into_bytes();
    };
    let original = original.unwrap_or_default();
    let final_text = if converged {
        doc.text.clone()
    } else {
        String::from_utf8_lossy(&text_bytes).into_owned()
    };
    if args.diff {
        print!("{}", fix::unified_diff(&path, &original, &final_text));
    } else if final_text != original {
        // Write next to the file, then rename: a crash never leaves half a document.
        let tmp = args.doc.with_extension("pgspec-fix.tmp");
        std::fs::write(&tmp, final_text.as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &args.doc).with_context(|| format!("replacing {path}"))?;
    }
    for (line, title) in &fixed {
        eprintln!("{path}:{line}: fixed: {title}");
    }
    if repaired && !fixed.is_empty() && !args.diff {
        eprintln!("{path}: note: the file's mis-decoded UTF-8 was repaired on read and is written back repaired");
    }
    if !converged {
        eprintln!(
            "{path}: note: fixes still applied after {MAX_PASSES} passes; run `pgspec fix` again and check what it changes"
        );
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
        fixed.len(),
        if args.diff { " (shown as a diff, file unchanged)" } else { "" },
        skipped_overlapping
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
