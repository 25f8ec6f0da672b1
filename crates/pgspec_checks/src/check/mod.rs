//! `check`: apply a document's statements to a scratch database one at a time, in document
//! order, retry forward references, attribute cascades to their roots, and turn every server
//! verdict into a [`Diagnostic`] at its document position.

mod apply_fixes;
mod assumptions;
pub mod categorize;
mod cycles;
mod diagnose;
mod engine;
pub mod fixes;
mod locate;
mod owners;
mod plan;
mod privileged;
pub mod report;
mod rewrites;
mod sample_rows;
mod standins;
mod state;
mod validation;
mod verdict;

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::document::Document;
use crate::postgres::{ApplySession, ClusterError};
use crate::sql::Statement;

use state::Engine;

pub use categorize::{categorize, Verdict};
pub(crate) use diagnose::kind_name;
pub(crate) use plan::matching_paren;
pub use report::{CheckReport, SqlEntry, StatementReport, Summary};

/// What happened to a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementStatus {
    /// Ran on the server without error.
    Applied,
    /// Rejected by the server as written; pgspec applied its fixed text instead (a safe fix,
    /// or in `up` a behaviour-changing one). The diagnostic stays: the document has the bug.
    Fixed,
    /// Rejected by the server as written, and a person must decide how to repair it: `up`
    /// applied the least surprising choice (the diagnostic's fix, of applicability
    /// `assumption`, with the alternatives in `decision`).
    Assumed,
    /// Rejected by the server (or, for examples/operations, failed to prepare).
    Failed,
    /// Failed only because an earlier statement failed.
    Cascade,
    /// Not run: unsafe, or transaction control that pgspec manages itself.
    Skipped,
    /// Not applied because of its kind (example query, operation, not-SQL); validated where possible.
    NotAppliedKind,
}

/// Options for [`check`].
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Retry statements that failed on an object defined later in the document.
    pub retry_forward_references: bool,
    /// When a root cause has a safe fix (create a missing extension or role, move an inline
    /// index out), apply it on the scratch database and continue, so the errors behind it are
    /// found too.
    pub apply_safe_fixes: bool,
    /// Also apply behaviour-changing fixes (partition key added to PRIMARY KEY/UNIQUE) on the
    /// database: what `up` does, reporting each. `check` only attaches them to diagnostics.
    pub apply_unsafe_fixes: bool,
    /// Where a person must decide, go on with pgspec's assumption (and, in `check`, with a
    /// behaviour-changing fix) on the scratch database, so the statements behind the root
    /// cause are checked too; their findings say what was assumed. `up --strict` turns it off.
    pub assume: bool,
    /// Hears the statements applied so far and their number, after each statement of the
    /// first pass (for a progress bar on long documents).
    pub progress: Option<StatementProgress>,
}

/// A callback with the statements applied so far and the document's number of statements.
#[derive(Clone)]
pub struct StatementProgress(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for StatementProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatementProgress")
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            retry_forward_references: true,
            apply_safe_fixes: true,
            apply_unsafe_fixes: false,
            assume: true,
            progress: None,
        }
    }
}

/// Run `check` over already-extracted statements on an open session.
///
/// `diagnostics` from earlier stages (reader, splitter) are merged into the report.
pub fn check(
    doc: &Document,
    statements: &[Statement],
    earlier: Vec<Diagnostic>,
    session: &mut ApplySession,
    options: &CheckOptions,
) -> Result<CheckReport, ClusterError> {
    let mut engine = Engine::new(doc, statements, session, options)?;
    engine.first_pass()?;
    if options.retry_forward_references {
        engine.retry_rounds()?;
        while options.apply_safe_fixes && engine.break_cycle()? {
            engine.retry_rounds()?;
            engine.run_moved_constraints()?;
        }
    }
    engine.settle();
    Ok(engine.finish(earlier))
}
