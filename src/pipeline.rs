//! The stages a command needs, run in pipeline order: read → extract → apply/check.
//! Stages never print; the binary renders what they return.

use crate::check::{self, CheckOptions, CheckReport};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::Severity;
use crate::document::{self, Document};
use crate::lint::{self, LintConfig};
use crate::postgres::{ClusterError, ScratchDatabase, Server};
use crate::sql::{self, Statement};

/// A read and split document, before any server work.
pub struct Extracted {
    pub document: Document,
    pub statements: Vec<Statement>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read `bytes` and extract its statements.
pub fn extract(bytes: &[u8]) -> Extracted {
    let (document, mut diagnostics) = document::read(bytes);
    let (statements, sql_diagnostics) = sql::extract(&document);
    diagnostics.extend(sql_diagnostics);
    if statements.is_empty()
        && !diagnostics
            .iter()
            .any(|d| d.code == crate::diagnostics::Code::UnreadableInput)
    {
        diagnostics.push(
            Diagnostic::new(
                crate::diagnostics::Code::NoSqlFound,
                crate::diagnostics::Category::Document,
                "the document contains no SQL statement",
                crate::text::TextRange::empty(0),
            )
            .help("pgspec reads SQL from fenced code blocks tagged ```sql (or untagged blocks that contain SQL)"),
        );
    }
    Extracted {
        document,
        statements,
        diagnostics,
    }
}

/// Check an extracted document in a fresh scratch database on `server`.
pub fn check(
    extracted: Extracted,
    server: &Server,
    options: &CheckOptions,
) -> Result<(Document, CheckReport), ClusterError> {
    let scratch = ScratchDatabase::create(server, "pgspec_check")?;
    let mut session = scratch.session()?;
    let report = check::check(
        &extracted.document,
        &extracted.statements,
        extracted.diagnostics,
        &mut session,
        options,
    )?;
    drop(session);
    drop(scratch);
    Ok((extracted.document, report))
}

/// [`check`], then the lint rules over the same scratch database (while it still holds what
/// `check` applied). Rule findings are appended to the report's diagnostics and counted in its
/// summary; `pgspec check` and `pgspec lint` use this.
pub fn check_and_lint(
    extracted: Extracted,
    server: &Server,
    options: &CheckOptions,
    config: &LintConfig,
) -> Result<(Document, CheckReport), ClusterError> {
    let scratch = ScratchDatabase::create(server, "pgspec_check")?;
    let mut session = scratch.session()?;
    let mut report = check::check(
        &extracted.document,
        &extracted.statements,
        extracted.diagnostics,
        &mut session,
        options,
    )?;
    let findings = lint::drop_server_duplicates(
        lint::lint(
            &extracted.document,
            &extracted.statements,
            &mut session,
            config,
        )?,
        &report.diagnostics,
        &extracted.statements,
    );
    for d in &findings {
        match d.severity {
            Severity::Error => report.summary.errors += 1,
            Severity::Warning => report.summary.warnings += 1,
            Severity::Info => {}
        }
    }
    // Rule findings (sorted by position) go between check's findings by position, keeping
    // check's own order.
    let mut merged = Vec::with_capacity(report.diagnostics.len() + findings.len());
    let mut pending = findings.into_iter().peekable();
    for d in std::mem::take(&mut report.diagnostics) {
        while let Some(l) = pending.next_if(|l| l.primary.range.start < d.primary.range.start) {
            merged.push(l);
        }
        merged.push(d);
    }
    merged.extend(pending);
    report.diagnostics = merged;
    drop(session);
    drop(scratch);
    Ok((extracted.document, report))
}
