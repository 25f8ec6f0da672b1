//! What the pictures show, gathered from the stages: the ERD from the catalog of what `up`
//! builds, and for the report the findings of `check`, then `up`, `seed` and `verify` on a
//! database of the report's own that is removed at the end.

use std::time::Instant;

use pgspec_checks::check::{CheckOptions, CheckReport};
use pgspec_checks::lint::LintConfig;
use pgspec_checks::pipeline::{self, Extracted};
use pgspec_diagnostics::render::render_full;
use pgspec_diagnostics::{Category, Diagnostic, Severity};
use pgspec_document::Document;
use pgspec_postgres::catalog::Catalog;
use pgspec_postgres::{ClusterError, ScratchDatabase, Server};
use pgspec_provision::up::{self, UpOptions};
use pgspec_provision::ProvisionAction;
use pgspec_schema::drift::{self, SqlSide};
use pgspec_schema::merged;
use pgspec_seed::{SeedError, SeedOptions};

use crate::erd::{created_relations, Erd};
use crate::html::{Assumption, ClaimRow, Figure, Finding, ReportPage};

/// The ERD of what `up` builds from `extracted`: the document built (fixes, maintenance,
/// partitions) on a scratch database that is dropped afterwards, its catalog joined with what
/// the ERDs, column tables and prose say. Also returns the drift findings it marks.
pub fn erd_of(
    extracted: &Extracted,
    server: &Server,
) -> Result<(Erd, Vec<Diagnostic>), ClusterError> {
    let scratch = ScratchDatabase::create(server, "pgspec_erd")?;
    let mut session = scratch.session()?;
    let built = up::build(extracted, &mut session)?;
    let catalog = session.catalog()?;
    drop(session);
    drop(scratch);
    Ok(erd_from_catalog(
        extracted,
        &built.report.diagnostics,
        &catalog,
    ))
}

/// The ERD of `catalog` (a database the document was applied to) and the drift findings
/// against it; `server_findings` are the apply's findings (drift does not repeat them).
pub fn erd_from_catalog(
    extracted: &Extracted,
    server_findings: &[Diagnostic],
    catalog: &Catalog,
) -> (Erd, Vec<Diagnostic>) {
    let side = SqlSide::from_catalog(catalog).with_refused_tables(&extracted.statements);
    let drift = drift::drift(
        &extracted.document,
        &extracted.schema,
        &extracted.synthesis,
        &extracted.statements,
        &side,
        Some(server_findings),
    );
    let model = merged::build(
        &extracted.document,
        &extracted.schema,
        &extracted.synthesis,
        &extracted.statements,
        &side,
    );
    let erd = Erd::from_model(
        &model,
        Some(catalog),
        &extracted.document,
        &drift,
        &created_relations(&extracted.statements),
    );
    (erd, drift)
}

/// What `report` runs with.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Rows each table gets.
    pub rows: u64,
    /// Random seed of the rows.
    pub seed: u64,
    /// The lint selection `check` uses for this document.
    pub lint: LintConfig,
    /// The document's path (none for standard input): the report's database remembers it,
    /// so `pgspec down --name DATABASE DOC` removes one that an interruption left.
    pub document: Option<String>,
}

/// The gathered report: the page's content, the ERD (for the layout step at the edge), and
/// the name of the database it used (already removed).
pub struct Gathered {
    pub page: ReportPage,
    pub erd: Erd,
    pub database: String,
}

/// The database the report builds for a document: its own name per run, so it never meets
/// the database `pgspec up` keeps.
pub fn report_database_name(bytes: &[u8]) -> String {
    format!(
        "pgspec_report_{}_{}",
        std::process::id(),
        &up::fingerprint(bytes)[..8]
    )
}

/// Run `check` (as `pgspec check`), then `up`, `seed` and `verify` on a database of the
/// report's own (removed before this returns, also when a stage fails), and gather the page.
/// The ERD and DOT/mermaid texts are filled here; the drawing is the caller's (it needs
/// Graphviz).
pub fn report(
    bytes: &[u8],
    path: &str,
    server: &Server,
    options: &ReportOptions,
) -> Result<Gathered, SeedError> {
    let started = Instant::now();
    let mut times: Vec<(&str, f64)> = Vec::new();
    let mut lap = Instant::now();
    let (document, check) = pipeline::check_and_lint(
        pipeline::extract(bytes),
        server,
        &CheckOptions::default(),
        &options.lint,
    )?;
    times.push(("check", lap.elapsed().as_secs_f64()));
    let database = report_database_name(bytes);
    lap = Instant::now();
    let built = up::up_with(
        pipeline::extract(bytes),
        bytes,
        server,
        &database,
        &UpOptions {
            recreate: true,
            document: options.document.clone(),
            ..UpOptions::default()
        },
    );
    let result = built.map_err(SeedError::from).and_then(|built| {
        times.push(("up", lap.elapsed().as_secs_f64()));
        later_stages(bytes, server, &database, options, &built, &mut times)
    });
    let removed = up::down_for(server, &database, options.document.as_deref());
    let (erd, mut page) = result?;
    removed?;
    page.path = path.to_string();
    // Errors first, then warnings, each in document order.
    let mut shown: Vec<&Diagnostic> = check
        .diagnostics
        .iter()
        .filter(|d| d.category != Category::Drift && d.severity >= Severity::Warning)
        .collect();
    shown.sort_by_key(|d| (std::cmp::Reverse(d.severity), d.primary.range.start));
    page.findings = shown
        .into_iter()
        .map(|d| finding(&document, path, d))
        .collect();
    page.drift = check
        .diagnostics
        .iter()
        .filter(|d| d.category == Category::Drift)
        .map(|d| finding(&document, path, d))
        .collect();
    let count = |s: Severity| check.diagnostics.iter().filter(|d| d.severity == s).count();
    let mut figures = vec![
        figure("tables", erd.tables.iter().filter(|t| t.built).count()),
        figure(
            "foreign keys",
            erd.edges.iter().filter(|e| e.foreign_key).count(),
        ),
        figure("statements", check.statements.len()),
        figure("errors", count(Severity::Error)),
        figure("warnings", count(Severity::Warning)),
        figure("drift findings", page.drift.len()),
        figure("drift marks in the ERD", erd.drift_marks()),
        figure("rows seeded", page.rows.iter().map(|(_, n)| n).sum::<u64>()),
        figure(
            "claims passed",
            format!(
                "{}/{}",
                page.claims.iter().filter(|c| c.status == "pass").count(),
                page.claims.len()
            ),
        ),
    ];
    for (stage, seconds) in &times {
        figures.push(figure(&format!("{stage} (s)"), format!("{seconds:.1}")));
    }
    figures.push(figure(
        "total (s)",
        format!("{:.1}", started.elapsed().as_secs_f64()),
    ));
    page.figures = figures;
    page.ran = format!(
        "pgspec check, then up, seed ({} rows a table, seed {}) and verify on a database of the report's own ({database}), removed afterwards",
        options.rows, options.seed
    );
    page.dot = crate::dot::to_dot(&erd);
    page.mermaid = crate::mermaid::to_mermaid(&erd);
    Ok(Gathered {
        page,
        erd,
        database,
    })
}

fn figure(label: &str, value: impl ToString) -> Figure {
    Figure {
        label: label.to_string(),
        value: value.to_string(),
    }
}

/// `up`'s database is there: read its catalog for the ERD, seed it, verify the claims.
fn later_stages(
    bytes: &[u8],
    server: &Server,
    database: &str,
    options: &ReportOptions,
    built: &up::UpReport,
    times: &mut Vec<(&str, f64)>,
) -> Result<(Erd, ReportPage), SeedError> {
    let mut page = ReportPage::empty();
    let extracted = pipeline::extract(bytes);
    let catalog = Catalog::load_database(server, database)?;
    let up_findings: &[Diagnostic] = built
        .check
        .as_ref()
        .map(|(_, r)| r.diagnostics.as_slice())
        .unwrap_or_default();
    let (erd, _) = erd_from_catalog(&extracted, up_findings, &catalog);
    if let Some((doc, report)) = &built.check {
        page.assumptions = assumptions(doc, report);
    }
    page.assumptions
        .extend(built.provisioned.iter().map(provisioned));
    let mut lap = Instant::now();
    let seeded = pgspec_seed::seed(
        &extracted.document,
        &extracted.statements,
        server,
        database,
        &SeedOptions {
            rows: options.rows,
            seed: options.seed,
            ..SeedOptions::default()
        },
        &mut pgspec_seed::NoProgress,
    );
    match seeded {
        Ok(s) => {
            page.rows = s
                .tables
                .iter()
                .map(|t| (t.table.clone(), t.rows_now()))
                .collect();
            for t in s.tables.iter().filter(|t| t.stopped.is_some()) {
                page.notes.push(format!(
                    "seed: {} stopped: {}",
                    t.table,
                    t.stopped.as_deref().unwrap_or_default()
                ));
            }
        }
        Err(e) => page.notes.push(format!("seed did not run to the end: {e}")),
    }
    times.push(("seed", lap.elapsed().as_secs_f64()));
    lap = Instant::now();
    match pgspec_verify::verify(&extracted.document, &extracted.statements, server, database) {
        Ok(v) => {
            page.claims = v
                .claims
                .iter()
                .map(|c| ClaimRow {
                    line: c.line,
                    kind: c.kind.as_str().to_string(),
                    status: c.status.as_str().to_string(),
                    title: c.title.clone(),
                    reason: c.reason.clone().unwrap_or_default(),
                    evidence: if c.evidence.is_null() {
                        String::new()
                    } else {
                        serde_json::to_string_pretty(&c.evidence).unwrap_or_default()
                    },
                })
                .collect();
            // Failed claims first: they are what the page is read for.
            page.claims
                .sort_by_key(|c| (c.status != "fail", c.status != "pass", c.line));
        }
        Err(e) => page.notes.push(format!("verify did not run: {e}")),
    }
    times.push(("verify", lap.elapsed().as_secs_f64()));
    Ok((erd, page))
}

/// A finding with its rustc-style excerpt (plain) and its fix.
fn finding(doc: &Document, path: &str, d: &Diagnostic) -> Finding {
    let source = doc.source(path);
    let fix = d
        .fix
        .as_ref()
        .map(|f| {
            let kind = serde_json::to_value(f.applicability)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!("fix ({kind}): {}", f.title)
        })
        .unwrap_or_default();
    Finding {
        severity: d.severity.as_str().to_string(),
        code: d.code.code().to_string(),
        category: d.category.as_str().to_string(),
        message: d.message.clone(),
        line: doc.line_index.line(d.primary.range.start),
        excerpt: render_full(&source, d, false),
        fix,
    }
}

/// The statements `up` did not apply as written: fixed, assumed, skipped (whatever status
/// the check reports other than applied, failed or not applied by kind), with why.
fn assumptions(doc: &Document, report: &CheckReport) -> Vec<Assumption> {
    report
        .statements
        .iter()
        .filter_map(|s| {
            let status = serde_json::to_value(s.status).ok()?.as_str()?.to_string();
            if matches!(
                status.as_str(),
                "applied" | "failed" | "cascade" | "not-applied-kind"
            ) {
                return None;
            }
            let why = report
                .diagnostics
                .iter()
                .filter(|d| {
                    let line = doc.line_index.line(d.primary.range.start);
                    s.line <= line && line <= s.end_line.max(s.line)
                })
                .find_map(|d| d.fix.as_ref().map(|f| f.title.clone()))
                .or_else(|| s.decision.clone())
                .unwrap_or_default();
            Some(Assumption {
                kind: status,
                line: s.line,
                what: s.summary.clone(),
                why,
            })
        })
        .collect()
}

fn provisioned(a: &ProvisionAction) -> Assumption {
    Assumption {
        kind: serde_json::to_value(a.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "provisioned".into()),
        line: 0,
        what: a.object.clone(),
        why: a.note.clone(),
    }
}
