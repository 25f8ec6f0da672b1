//! `pgspec verify`: run the claims a document makes on the seeded database, each in a
//! rolled-back transaction, and report pass / fail / skipped with the evidence: example
//! queries ([`queries`]), the plans the text around them claims, RLS isolation ([`rls`]),
//! functions, cron job commands and partition maintenance ([`calls`]), and constraints
//! ([`constraints`]).

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_diagnostics as diagnostics;
use pgspec_diagnostics::text;
use pgspec_document as document;
use pgspec_postgres as postgres;
use pgspec_seed as seed;
use pgspec_sql as sql;

pub mod calls;
pub mod cardinality;
pub mod constraints;
mod found;
pub mod queries;
pub mod rls;
mod tap;

use std::collections::HashMap;

use serde::Serialize;

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::document::Document;
use crate::postgres::catalog::Catalog;
use crate::postgres::Server;
use crate::seed::bounded::{self, DocumentConnection};
use crate::seed::{plan, SeedError};
use crate::sql::Statement;
use crate::text::TextRange;

/// Time ANALYZE may take per table, on top of the statement bound.
const ANALYZE_PER_TABLE: std::time::Duration = std::time::Duration::from_secs(1);

/// What kind of claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimKind {
    Query,
    Explain,
    Rls,
    Function,
    Schedule,
    Partition,
    Constraint,
}

impl ClaimKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Query => "query",
            ClaimKind::Explain => "explain",
            ClaimKind::Rls => "rls",
            ClaimKind::Function => "function",
            ClaimKind::Schedule => "schedule",
            ClaimKind::Partition => "partition",
            ClaimKind::Constraint => "constraint",
        }
    }
}

/// The verdict on a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Skipped,
}

impl Status {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }
}

/// One claim and its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    pub kind: ClaimKind,
    /// 1-based document line.
    pub line: u32,
    pub title: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub evidence: serde_json::Value,
    /// Where the claim is in the document.
    #[serde(skip)]
    pub range: TextRange,
}

/// Counts for the summary line.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub claims: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The product of `verify`.
#[derive(Debug)]
pub struct VerifyReport {
    pub database: String,
    pub claims: Vec<Claim>,
    pub diagnostics: Vec<Diagnostic>,
}

impl VerifyReport {
    /// Claim counts by status.
    pub fn summary(&self) -> Summary {
        let count = |s| self.claims.iter().filter(|c| c.status == s).count();
        Summary {
            claims: self.claims.len(),
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            skipped: count(Status::Skipped),
        }
    }
}

/// Receives `verify`'s progress. Data only: the binary renders it (a bar on a terminal).
pub trait VerifyProgress {
    /// A group of claims starts (example queries, RLS, functions, cron jobs, constraints).
    fn group(&mut self, _kind: ClaimKind) {}
    /// A claim was judged; `judged` claims so far.
    fn claim(&mut self, _claim: &Claim, _judged: usize) {}
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl VerifyProgress for NoProgress {}

/// The claims judged so far, each told to whoever watches as it is added.
pub struct Claims<'p> {
    list: Vec<Claim>,
    progress: &'p mut dyn VerifyProgress,
}

impl<'p> Claims<'p> {
    fn new(progress: &'p mut dyn VerifyProgress) -> Self {
        Claims {
            list: Vec::new(),
            progress,
        }
    }

    fn group(&mut self, kind: ClaimKind) {
        self.progress.group(kind);
    }

    /// Add a judged claim.
    pub fn push(&mut self, claim: Claim) {
        self.list.push(claim);
        if let Some(claim) = self.list.last() {
            self.progress.claim(claim, self.list.len());
        }
    }

    /// Add judged claims, in order.
    pub fn extend(&mut self, claims: impl IntoIterator<Item = Claim>) {
        for claim in claims {
            self.push(claim);
        }
    }

    /// How many claims were judged so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no claim was judged yet.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Check every claim of the document on `database`.
pub fn verify(
    document: &Document,
    statements: &[Statement],
    server: &Server,
    database: &str,
) -> Result<VerifyReport, SeedError> {
    verify_with_progress(document, statements, server, database, &mut NoProgress)
}

/// [`verify`], telling `progress` about every claim as it is judged.
pub fn verify_with_progress(
    document: &Document,
    statements: &[Statement],
    server: &Server,
    database: &str,
    progress: &mut dyn VerifyProgress,
) -> Result<VerifyReport, SeedError> {
    diagnostics::stage::enter("verify");
    if !seed::database_exists(server, database)? {
        return Err(SeedError::MissingDatabase(database.to_string()));
    }
    // Every statement on the document's connection runs under a watchdog (the statement
    // bound, `--statement-timeout`); a terminated connection is replaced.
    let mut app = DocumentConnection::open(server, database, "")?;
    let mut admin = server.admin_client(database)?;
    // The one catalog, read once; the seeder's plan is derived from it.
    let db = Catalog::load(&mut admin)?;
    let catalog = plan::Plan::from_catalog(&db);
    // "Chosen" plans are the planner's choice on statistics of the seeded volume. ANALYZE
    // evaluates the document's index expressions: as the owner of the tables, never as admin.
    // Its bound grows with the tables; stopped, verify goes on with the statistics there are.
    let bound = bounded::bound_for_rows(catalog.tables.len(), ANALYZE_PER_TABLE);
    let analyzed = app.run(bound, |c| {
        let set = bounded::set_statement_timeout(false, bound);
        let r = c.batch_execute(&format!("{set}; ANALYZE"));
        let _ = c.batch_execute("RESET statement_timeout");
        r
    })?;
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    if let Some(stop) = analyzed.stop(analyzed.value.as_ref().err()) {
        diagnostics.push(Diagnostic::new(
            Code::ClaimSkipped,
            Category::Claim,
            format!("ANALYZE {stop}; plans are judged on the statistics there are"),
            TextRange::empty(0),
        ));
    } else {
        analyzed.value?;
    }
    let indexes: Vec<String> = db.indexes.iter().map(|i| i.name.to_lowercase()).collect();
    // Definitions of constraints and indexes by (table oid, name).
    let mut definitions: HashMap<(i64, String), String> = HashMap::new();
    for k in &db.constraints {
        definitions.insert(
            (i64::from(k.table_oid), k.name.clone()),
            k.definition.clone(),
        );
    }
    for i in &db.indexes {
        definitions.insert(
            (i64::from(i.table_oid), i.name.clone()),
            i.definition.clone(),
        );
    }
    let line_of = |range: TextRange| document.line_index.line(range.start);
    // The statement that names a constraint; in the document's own text, the name itself (a
    // table's CHECK three lines into its CREATE TABLE is claimed at its line).
    let locate = |table: &plan::Table, name: &str| {
        let range = statements
            .iter()
            .find_map(|s| {
                let at = s.text.find(name).filter(|_| !name.is_empty())?;
                let written = matches!(
                    s.origin,
                    crate::sql::Origin::Document {
                        continued: None,
                        ..
                    }
                ) && s.range.as_usize().len() == s.text.len();
                let start = s.range.start + u32::try_from(at).ok()?;
                let end = start + u32::try_from(name.len()).ok()?;
                Some(if written {
                    TextRange::new(start, end)
                } else {
                    s.range
                })
            })
            .unwrap_or_else(|| seed::locate_table(statements, table));
        (line_of(range), range)
    };
    let locate_policy = |name: &str| {
        let range = statements
            .iter()
            .find(|s| {
                // The statement that creates the policy, from its facts; words only for text
                // that does not parse.
                if s.facts.parses {
                    s.facts
                        .creates
                        .iter()
                        .any(|o| o.kind == crate::sql::ObjectKind::Policy && o.name == name)
                } else {
                    s.text.to_lowercase().contains("create policy") && s.text.contains(name)
                }
            })
            .map_or(TextRange::empty(0), |s| s.range);
        (line_of(range), range)
    };

    let mut judged = Claims::new(progress);
    let found = queries::find(document, statements);
    judged.group(ClaimKind::Query);
    let tap = db.extensions.iter().any(|e| e.name == "pgtap");
    queries::run(
        &mut app,
        &catalog,
        &found,
        &indexes,
        tap,
        &line_of,
        &mut judged,
    );
    let keyed = rls::keyed_tables(&mut admin);
    judged.group(ClaimKind::Rls);
    rls::run(
        &mut admin,
        &mut app,
        &catalog,
        &keyed,
        &locate_policy,
        &mut judged,
    );
    judged.group(ClaimKind::Function);
    calls::functions(
        &mut app,
        &catalog,
        statements,
        document,
        &line_of,
        &mut judged,
    );
    judged.group(ClaimKind::Schedule);
    calls::schedules(&mut app, statements, &line_of, &mut judged);
    judged.group(ClaimKind::Constraint);
    constraints::run(&mut app, &catalog, &definitions, &locate, &mut judged);
    let names: Vec<String> = catalog.tables.iter().map(|t| t.name.clone()).collect();
    let required = pgspec_schema::required::required_children(document, &names);
    cardinality::run(&mut app, &catalog, &required, &line_of, &mut judged);
    let mut claims = judged.list;
    claims.sort_by_key(|c| c.line);

    diagnostics.extend(claims.iter().filter(|c| c.status != Status::Pass).map(|c| {
        let (code, verb) = if c.status == Status::Fail {
            (Code::ClaimFailed, "does not hold")
        } else {
            (Code::ClaimSkipped, "could not be checked")
        };
        let mut d = Diagnostic::new(
            code,
            Category::Claim,
            format!("{} claim {verb}: {}", c.kind.as_str(), c.title),
            c.range,
        );
        if let Some(r) = &c.reason {
            d = d.label(r.clone());
        }
        if let Some(obj) = c.evidence.as_object() {
            for key in [
                "plan",
                "usable_plan",
                "index_definitions",
                "measured_ms",
                "claimed_ms",
                "error",
                "statement",
                "call",
                "command",
            ] {
                if let Some(v) = obj.get(key).filter(|v| !v.is_null()) {
                    d = d.note(format!(
                        "{key}: {}",
                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                    ));
                }
            }
        }
        d
    }));
    Ok(VerifyReport {
        database: database.to_string(),
        claims,
        diagnostics,
    })
}
