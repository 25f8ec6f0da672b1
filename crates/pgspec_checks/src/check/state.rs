//! The check engine's state: each statement's [`State`], the [`Engine`] that holds them with
//! the session and what the run found, and how a statement that ends its own connection is
//! counted. The apply loop (`engine`), privileged operations (`privileged`), validation
//! (`validation`), fixes (`apply_fixes`) and diagnostics (`diagnose`) each add methods to
//! [`Engine`] in their own file; they all depend on this one, and it on none of them.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Fix, PgDetails};
use crate::document::Document;
use crate::postgres::{ApplySession, ClusterError, Notice, Outcome};
use crate::sql::safety::Safety;
use crate::sql::Statement;

use super::categorize::Verdict;
use super::fixes;
use super::report::SqlEntry;
use super::CheckOptions;

#[derive(Clone, Debug)]
pub(super) enum State {
    Pending,
    Applied,
    /// Applied after a retry round; `creator` is the later statement it needed.
    AppliedLate {
        creator: Option<usize>,
    },
    Deferred(PgDetails),
    Failed(PgDetails, Verdict),
    Cascade {
        error: PgDetails,
        root: usize,
        via: usize,
    },
    Skipped(String),
    NotAppliedKind,
}

pub(super) struct Engine<'a> {
    pub(super) doc: &'a Document,
    pub(super) statements: &'a [Statement],
    pub(super) session: &'a mut ApplySession,
    pub(super) options: &'a CheckOptions,
    pub(super) states: Vec<State>,
    pub(super) notices: Vec<(usize, Notice)>,
    /// lowercase unqualified name → statements that create an object of that name.
    pub(super) creators: HashMap<String, Vec<usize>>,
    pub(super) fix_context: fixes::FixContext,
    pub(super) roles_before: HashSet<String>,
    /// What ran successfully, in order: the schema `pgspec sql` prints.
    pub(super) log: Vec<SqlEntry>,
    /// Superuser statements pgspec ran on the document's behalf (CREATE EXTENSION/ROLE), once each.
    pub(super) prelude_done: HashSet<String>,
    /// The document (or a fix) created pg_cron before the statement being run: its
    /// `cron.schedule(...)` calls have a `cron` schema on a normal server.
    pub(super) cron_declared: bool,
    /// Safe fixes found for root causes, by statement.
    pub(super) fixes: HashMap<usize, Fix>,
    /// The error a statement still gives once its root cause is fixed.
    pub(super) behind: HashMap<usize, (PgDetails, Verdict)>,
    /// Fixes whose fixed text waits for a later definition, retried with it.
    pub(super) pending_fixes: HashMap<usize, (fixes::FixPlan, PgDetails, Verdict)>,
    /// Statements whose fixed text applied (the database has them, the document not yet).
    pub(super) applied_fixes: HashSet<usize>,
    /// What pgspec left out of a privileged statement it ran (superuser-only role attributes).
    pub(super) left_out: HashMap<usize, Vec<String>>,
    /// The statement pgspec ran instead of the document's text (privileged operations).
    pub(super) privileged_text: HashMap<usize, String>,
    /// What pgspec may do with each statement, decided once from its parse tree (retries and
    /// second passes ask again without parsing again).
    pub(super) safety: Vec<Safety>,
    /// Whether each statement sits inside the document's own `BEGIN … COMMIT`.
    pub(super) in_document_transaction: Vec<bool>,
    /// Statements whose foreign keys into a reference cycle pgspec moved into ALTER TABLE
    /// statements, and those statements (owner, SQL) while they wait for both tables.
    pub(super) cycle_broken: HashSet<usize>,
    /// Statements the database holds in a form the document does not say, chosen by pgspec
    /// (an assumption, or in `check` a behaviour-changing fix): what the statements behind them
    /// report is found assuming it. The fix title says what was assumed.
    pub(super) assumed: HashMap<usize, String>,
    /// Those of [`Engine::assumed`] that stand for a person's decision (an assumption), not a
    /// behaviour-changing fix.
    pub(super) assumptions: HashSet<usize>,
    /// Those of [`Engine::assumed`] whose assumption leaves the statement out (pgvector's
    /// `hnsw` index, TimescaleDB's `create_hypertable`): what they would create does not exist,
    /// so a statement that needs it is a cascade of them.
    pub(super) assumed_left_out: HashSet<usize>,
    pub(super) moved_constraints: Vec<(usize, String)>,
}

/// A statement that ends its own backend (`pg_terminate_backend(pg_backend_pid())`) is a
/// failed statement, not a reason to abandon the document: the session has reconnected.
pub(super) fn survive_lost_connection(
    result: Result<Outcome, ClusterError>,
) -> Result<Outcome, ClusterError> {
    match result {
        Err(ClusterError::ConnectionLost { message, .. }) => Ok(Outcome::Failed {
            error: PgDetails {
                sqlstate: "57P01".into(),
                message: format!("the statement ended its own server connection: {message}"),
                ..PgDetails::default()
            },
            notices: Vec::new(),
        }),
        other => other,
    }
}
