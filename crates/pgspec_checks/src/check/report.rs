//! The product of `check`: per-statement statuses, diagnostics and a summary, serializable as
//! the stable JSON contract (`line`, `status`, `category`, `code`, `message`, …).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{kind_name, StatementStatus};
use crate::diagnostics::{Category, Code, Diagnostic, Fix, PgDetails, Severity};
use crate::document::{Document, SourceEncoding};
use crate::sql::{Statement, StatementKind};

/// One statement's verdict, in document coordinates.
#[derive(Clone, Debug, Serialize)]
pub struct StatementReport {
    pub index: usize,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub kind: StatementKind,
    pub status: StatementStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// For cascades: the line of the root statement; for forward references: the definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_line: Option<u32>,
    /// For failures pgspec cannot fix by itself: why a human must decide, and the options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// The first line of the statement's text, for people reading the JSON.
    pub summary: String,
    /// For a statement pgspec generated from an ERD entity or a column table: its source
    /// ("the column table `users` at line 22"). Absent for the document's own statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

impl StatementReport {
    pub(crate) fn new(
        doc: &Document,
        stmt: &Statement,
        status: StatementStatus,
        category: Option<Category>,
        root: Option<&Statement>,
    ) -> Self {
        let start = doc.line_index.line_col(&doc.text, stmt.range.start);
        let end_line = doc
            .line_index
            .line(stmt.range.end.saturating_sub(1).max(stmt.range.start));
        Self {
            index: stmt.index,
            line: start.line,
            column: start.column,
            end_line,
            kind: stmt.kind,
            status,
            category,
            root_line: root.map(|r| doc.line_index.line(r.range.start)),
            decision: None,
            summary: stmt
                .text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(100)
                .collect(),
            generated: stmt.generated().map(crate::sql::GeneratedFrom::describe),
        }
    }
}

/// Counts for the one-line summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub statements: usize,
    pub applied: usize,
    /// Rejected as written, applied with pgspec's fix.
    pub fixed: usize,
    /// Rejected as written, applied (by `up`) with the choice pgspec assumed for a decision
    /// a person has to make.
    pub assumed: usize,
    pub failed: usize,
    /// Failed statements that need a human decision (each has a `decision`).
    pub needs_decision: usize,
    pub cascades: usize,
    pub skipped: usize,
    pub not_applied_kind: usize,
    pub forward_references: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Statements per kind.
    pub kinds: BTreeMap<String, usize>,
}

impl Summary {
    /// The error and warning counts of `diagnostics`: the one place they are computed.
    fn count_findings(&mut self, diagnostics: &[Diagnostic]) {
        let count = |level: Severity| diagnostics.iter().filter(|d| d.severity == level).count();
        self.errors = count(Severity::Error);
        self.warnings = count(Severity::Warning);
    }

    /// The one-line human summary (without the path): what happened to the statements.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} applied", self.applied)];
        if self.fixed > 0 {
            parts.push(format!("{} applied with pgspec's fix", self.fixed));
        }
        if self.assumed > 0 {
            parts.push(format!(
                "{} applied on an assumption (a person must decide)",
                self.assumed
            ));
        }
        let failed = if self.needs_decision > 0 {
            format!(
                "{} failed ({} need a human decision)",
                self.failed, self.needs_decision
            )
        } else {
            format!("{} failed", self.failed)
        };
        parts.push(failed);
        parts.push(format!("{} cascades", self.cascades));
        if self.forward_references > 0 {
            parts.push(format!("{} forward references", self.forward_references));
        }
        parts.push(format!(
            "{} not applied (examples/operations/not-sql)",
            self.not_applied_kind
        ));
        parts.push(format!("{} skipped", self.skipped));
        format!(
            "{} statements: {}; {} errors, {} warnings",
            self.statements,
            parts.join(", "),
            self.errors,
            self.warnings
        )
    }
}

/// A diagnostic flattened for JSON: positions as 1-based line / character column.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_line: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<JsonLabel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PgDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// A secondary position.
#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl JsonDiagnostic {
    /// Flatten `d` against `doc`'s line index.
    pub fn new(doc: &Document, d: &Diagnostic) -> Self {
        let start = doc.line_index.line_col(&doc.text, d.primary.range.start);
        let end = doc.line_index.line_col(&doc.text, d.primary.range.end);
        Self {
            code: d.code.as_str(),
            name: d.code.name(),
            severity: d.severity,
            category: d.category,
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            message: d.message.clone(),
            sqlstate: d.postgres.as_ref().map(|p| p.sqlstate.clone()),
            help: d.help.clone(),
            notes: d.notes.clone(),
            root_line: d.root.map(|r| doc.line_index.line(r.start)),
            related: d
                .secondary
                .iter()
                .map(|l| {
                    let lc = doc.line_index.line_col(&doc.text, l.range.start);
                    JsonLabel {
                        line: lc.line,
                        column: lc.column,
                        message: l.message.clone(),
                    }
                })
                .collect(),
            postgres: d.postgres.clone(),
            fix: d.fix.clone(),
        }
    }
}

/// One statement of the schema SQL, in the order it applied.
#[derive(Clone, Debug, Serialize)]
pub struct SqlEntry {
    /// Document line of the statement it comes from.
    pub line: Option<u32>,
    /// Why pgspec changed or added it, if it did.
    pub note: Option<String>,
    pub sql: String,
}

impl SqlEntry {
    pub(crate) fn added(sql: &str, note: String, for_line: u32) -> Self {
        Self {
            line: Some(for_line),
            note: Some(note),
            sql: sql.to_string(),
        }
    }
}

/// Everything `check` found about one document.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub statements: Vec<StatementReport>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
    pub encoding: SourceEncoding,
    /// The statements that applied (with safe fixes), in application order.
    pub schema_sql: Vec<SqlEntry>,
}

impl CheckReport {
    /// The errors that leave the schema short of what the document defines, one line each:
    /// `line N: CODE message`, the line in `document` (labelled `label`) less `shift` (a `.sql`
    /// file read as one fenced block is one line lower). An example query the server rejects
    /// defines nothing: it is not among them.
    pub fn error_lines(&self, document: &Document, label: &str, shift: u32) -> Vec<String> {
        let source = document.source(label);
        let in_example = |line: u32| {
            self.statements
                .iter()
                .any(|s| s.kind == StatementKind::Example && s.line <= line && line <= s.end_line)
        };
        self.diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Error)
            .filter(|d| {
                d.code != Code::ExampleQueryRejected
                    || !in_example(document.line_index.line(d.primary.range.start))
            })
            .map(|d| {
                let line = source
                    .line_index
                    .line(d.primary.range.start)
                    .saturating_sub(shift);
                format!("line {line}: {} {}", d.code.as_str(), d.message)
            })
            .collect()
    }

    pub(crate) fn new(
        doc: &Document,
        statements: Vec<StatementReport>,
        diagnostics: Vec<Diagnostic>,
    ) -> Self {
        let mut summary = Summary {
            statements: statements.len(),
            ..Summary::default()
        };
        for s in &statements {
            match s.status {
                StatementStatus::Applied => summary.applied += 1,
                StatementStatus::Fixed => summary.fixed += 1,
                StatementStatus::Assumed => summary.assumed += 1,
                StatementStatus::Failed => summary.failed += 1,
                StatementStatus::Cascade => summary.cascades += 1,
                StatementStatus::Skipped => summary.skipped += 1,
                StatementStatus::NotAppliedKind => summary.not_applied_kind += 1,
            }
            if s.category == Some(Category::ForwardReference) {
                summary.forward_references += 1;
            }
            if s.decision.is_some() && s.status == StatementStatus::Failed {
                summary.needs_decision += 1;
            }
            *summary
                .kinds
                .entry(kind_name(s.kind).to_string())
                .or_default() += 1;
        }
        summary.count_findings(&diagnostics);
        Self {
            statements,
            diagnostics,
            summary,
            encoding: doc.encoding.clone(),
            schema_sql: Vec::new(),
        }
    }

    /// The JSON object for this document (the `documents[]` entry of `--format json`).
    pub fn to_json(&self, doc: &Document, path: &str) -> serde_json::Value {
        let encoding = match &self.encoding {
            SourceEncoding::Utf8 => serde_json::json!({"kind": "utf-8"}),
            SourceEncoding::Repaired {
                codec,
                lines_repaired,
                lines_lossy,
            } => serde_json::json!({
                "kind": "repaired", "codec": codec, "lines_repaired": lines_repaired, "lines_lossy": lines_lossy
            }),
        };
        serde_json::json!({
            "path": path,
            "encoding": encoding,
            "summary": self.summary,
            "statements": self.statements,
            "diagnostics": self.diagnostics.iter().map(|d| JsonDiagnostic::new(doc, d)).collect::<Vec<_>>(),
        })
    }

    /// The schema SQL as a script: each statement preceded by a comment naming its document
    /// line, failed statements listed at the end as comments.
    pub fn schema_script(&self, path: &str) -> String {
        let mut out = format!("-- Schema SQL of {path}, generated by pgspec: statements in the order they applied\n-- on PostgreSQL, safe fixes applied. Example queries and not-SQL are left out.\n");
        for entry in &self.schema_sql {
            out.push('\n');
            match (entry.line, &entry.note) {
                (Some(line), Some(note)) => out.push_str(&format!("-- line {line}: {note}\n")),
                (Some(line), None) => out.push_str(&format!("-- line {line}\n")),
                (None, Some(note)) => out.push_str(&format!("-- {note}\n")),
                (None, None) => {}
            }
            let sql = entry.sql.trim_end();
            out.push_str(sql);
            if !sql.ends_with(';') {
                out.push(';');
            }
            out.push('\n');
        }
        let failed: Vec<&StatementReport> = self
            .statements
            .iter()
            .filter(|s| {
                matches!(s.status, StatementStatus::Failed | StatementStatus::Cascade)
                    && matches!(s.kind, StatementKind::Schema | StatementKind::Data)
            })
            .collect();
        if !failed.is_empty() {
            out.push_str(&format!(
                "\n-- Not applied ({} statements; see `pgspec check`):\n",
                failed.len()
            ));
            for s in failed {
                let why = s.category.map_or("failed", Category::as_str);
                out.push_str(&format!("--   line {}: {} ({why})\n", s.line, s.summary));
            }
        }
        out
    }

    /// A function of the document that failed when called (by `up`): a finding at the
    /// function's definition, with the server's error.
    pub fn add_function_failure(
        &mut self,
        doc: &Document,
        stmt: &Statement,
        call: &str,
        error: &PgDetails,
        context: Option<&str>,
    ) {
        let range = context
            .and_then(plpgsql_line)
            .and_then(|n| body_line_range(doc, stmt, n))
            .unwrap_or_else(|| first_line_range(doc, stmt));
        let mut d = Diagnostic::new(
            crate::diagnostics::Code::FunctionFailed,
            Category::InvalidDefinition,
            format!("{call} fails: {}", error.message),
            range,
        )
        .label("fails here when called")
        .help("the function applies but fails when it runs; fix its body (the server's error is above)");
        if let Some(context) = context {
            d = d.note(format!("postgres context: {context}"));
        }
        d.postgres = Some(error.clone());
        self.summary.errors += 1;
        self.diagnostics.push(d);
        self.diagnostics
            .sort_by_key(|d| (d.primary.range.start, d.code));
    }

    /// Whether any diagnostic is at or above `level`.
    /// Replace the findings (after drift, lint, selection or suppression); the summary's
    /// counts follow.
    pub fn set_diagnostics(&mut self, diagnostics: Vec<Diagnostic>) {
        self.summary.count_findings(&diagnostics);
        self.diagnostics = diagnostics;
    }

    pub fn has_findings(&self, level: Severity) -> bool {
        self.diagnostics.iter().any(|d| d.severity >= level)
    }
}

/// The line number in `PL/pgSQL function f() line 9 at EXECUTE`.
pub fn plpgsql_line(context: &str) -> Option<u32> {
    // The innermost PL/pgSQL frame; lines before it quote the failing SQL statement.
    let first = context.lines().find(|l| l.contains("PL/pgSQL function"))?;
    let at = first.find(" line ")?;
    first[at + " line ".len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The document range of line `n` (1-based, as PL/pgSQL counts) of a function body: line 1 is
/// the line of the opening dollar quote.
pub fn body_line_range(doc: &Document, stmt: &Statement, n: u32) -> Option<crate::text::TextRange> {
    let text = &stmt.text;
    let open = text.find("$$").or_else(|| {
        // `$tag$`
        let at = text.find('$')?;
        let close = text[at + 1..].find('$')?;
        text[at + 1..at + 1 + close]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_')
            .then_some(at)
    })?;
    let open_doc = stmt.document_offset(doc, open)?;
    let line = doc.line_index.line(open_doc) + n - 1;
    let start = doc.line_index.line_start(line)?;
    let end = doc.text[start as usize..]
        .find('\n')
        .map_or(doc.text.len(), |e| start as usize + e);
    // Without the indentation.
    let indent =
        doc.text[start as usize..end].len() - doc.text[start as usize..end].trim_start().len();
    Some(crate::text::TextRange::new(
        start + u32::try_from(indent).ok()?,
        u32::try_from(end).ok()?,
    ))
}

fn first_line_range(doc: &Document, stmt: &Statement) -> crate::text::TextRange {
    let start = stmt.range.start;
    let line_end = doc.text[start as usize..]
        .find('\n')
        .map_or(stmt.range.end, |n| start + u32::try_from(n).unwrap_or(0))
        .min(stmt.range.end);
    crate::text::TextRange::new(start, line_end)
}
