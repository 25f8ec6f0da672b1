//! `check`: apply a document's statements to a scratch database one at a time, in document
//! order, retry forward references, attribute cascades to their roots, and turn every server
//! verdict into a [`Diagnostic`] at its document position.

pub mod categorize;
pub mod fixes;
mod plan;
pub mod report;
mod rewrites;

use crate::sql::quote::quote_literal;
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::diagnostics::{
    Applicability, Category, Code, Diagnostic, Fix, Label, PgDetails, Severity,
};
use crate::document::Document;
use crate::postgres::{
    char_position_to_byte, ApplySession, ClusterError, Notice, Outcome, PrivilegeCheck,
};
use crate::sql::ast::Command;
use crate::sql::safety::{self, PrivilegedOp, Safety};
use crate::sql::{ObjectKind, Statement, StatementKind, TopKind};
use crate::text::TextRange;

pub use categorize::{categorize, Verdict};
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
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            retry_forward_references: true,
            apply_safe_fixes: true,
            apply_unsafe_fixes: false,
        }
    }
}

#[derive(Clone, Debug)]
enum State {
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
    }
    engine.settle();
    Ok(engine.finish(earlier))
}

struct Engine<'a> {
    doc: &'a Document,
    statements: &'a [Statement],
    session: &'a mut ApplySession,
    options: &'a CheckOptions,
    states: Vec<State>,
    notices: Vec<(usize, Notice)>,
    /// lowercase unqualified name → statements that create an object of that name.
    creators: HashMap<String, Vec<usize>>,
    fix_context: fixes::FixContext,
    roles_before: HashSet<String>,
    /// What ran successfully, in order: the schema `pgspec sql` prints.
    log: Vec<SqlEntry>,
    /// Superuser statements pgspec ran on the document's behalf (CREATE EXTENSION/ROLE), once each.
    prelude_done: HashSet<String>,
    /// Safe fixes found for root causes, by statement.
    fixes: HashMap<usize, Fix>,
    /// The error a statement still gives once its root cause is fixed.
    behind: HashMap<usize, (PgDetails, Verdict)>,
    /// Fixes whose fixed text waits for a later definition, retried with it.
    pending_fixes: HashMap<usize, (fixes::FixPlan, PgDetails, Verdict)>,
    /// Statements whose fixed text applied (the database has them, the document not yet).
    applied_fixes: HashSet<usize>,
    /// What pgspec left out of a privileged statement it ran (superuser-only role attributes).
    left_out: HashMap<usize, Vec<String>>,
    /// The statement pgspec ran instead of the document's text (privileged operations).
    privileged_text: HashMap<usize, String>,
    /// What pgspec may do with each statement, decided once from its parse tree (retries and
    /// second passes ask again without parsing again).
    safety: Vec<Safety>,
}

impl<'a> Engine<'a> {
    fn new(
        doc: &'a Document,
        statements: &'a [Statement],
        session: &'a mut ApplySession,
        options: &'a CheckOptions,
    ) -> Result<Self, ClusterError> {
        let mut creators: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, stmt) in statements.iter().enumerate() {
            for obj in &stmt.facts.creates {
                creators.entry(obj.name.clone()).or_default().push(i);
            }
            // A CREATE TABLE that does not parse (an inline INDEX) still names its table, so
            // what uses the table is its cascade.
            if !stmt.facts.parses
                && stmt
                    .text
                    .trim_start()
                    .get(..6)
                    .is_some_and(|w| w.eq_ignore_ascii_case("create"))
            {
                if let Some(name) = fixes::created_table_name(&stmt.text) {
                    let name = name.rsplit('.').next().unwrap_or(&name);
                    let name = if name.starts_with('"') {
                        name.trim_matches('"').to_string()
                    } else {
                        name.to_lowercase()
                    };
                    creators.entry(name).or_default().push(i);
                }
            }
        }
        let fix_context = fixes::FixContext {
            available_extensions: session.available_extensions()?.into_iter().collect(),
            partitioned_tables: HashSet::new(),
            database: session.database().to_string(),
            earlier_definition: None,
            referenced_by: fixes::FixContext::foreign_key_targets(statements),
        };
        // Roles are cluster-wide: one that exists before this run (another document's `up`,
        // the platform shim) is not the document's duplicate.
        let roles_before = crate::postgres::catalog::role_names(session)?
            .into_iter()
            .collect();
        let safety = statements
            .iter()
            .map(|s| statement_safety(s, session.database()))
            .collect();
        Ok(Self {
            doc,
            statements,
            session,
            options,
            states: vec![State::Pending; statements.len()],
            notices: Vec::new(),
            creators,
            fix_context,
            roles_before,
            prelude_done: HashSet::new(),
            log: Vec::new(),
            fixes: HashMap::new(),
            behind: HashMap::new(),
            pending_fixes: HashMap::new(),
            applied_fixes: HashSet::new(),
            left_out: HashMap::new(),
            privileged_text: HashMap::new(),
            safety,
        })
    }

    fn first_pass(&mut self) -> Result<(), ClusterError> {
        for i in 0..self.statements.len() {
            let state = self.run(i, false)?;
            self.log_if_applied(i, &state);
            self.states[i] = state;
        }
        Ok(())
    }

    /// `CREATE ROLE x` failing only because `x` existed in the cluster before this run.
    fn role_existed_before(&self, stmt: &Statement, err: &PgDetails) -> bool {
        err.sqlstate == "42710"
            && stmt
                .facts
                .creates
                .iter()
                .any(|o| o.kind == ObjectKind::Role)
            && categorize::quoted_names(&err.message)
                .first()
                .is_some_and(|role| self.roles_before.contains(role))
    }

    /// Record a statement that belongs in the schema SQL: applied schema/data statements, and
    /// cron schedules whose extension exists (they prepared without error).
    fn log_if_applied(&mut self, i: usize, state: &State) {
        let stmt = &self.statements[i];
        let schedule = stmt.kind == StatementKind::Operation && stmt.cron_schedule().is_some();
        let keep = match state {
            State::Applied => true,
            State::NotAppliedKind => schedule,
            _ => false,
        };
        if keep {
            let (note, sql) = match self.privileged_text.get(&i) {
                Some(sql) => (
                    Some("run by pgspec as rebuilt from the document's statement".to_string()),
                    format!("{sql};"),
                ),
                None => (None, stmt.text.clone()),
            };
            self.log.push(SqlEntry {
                line: Some(self.line_of(stmt)),
                note,
                sql,
            });
        }
    }

    /// Retry deferred statements in document order until a round makes no progress.
    fn retry_rounds(&mut self) -> Result<(), ClusterError> {
        loop {
            let mut progress = false;
            for i in 0..self.statements.len() {
                if !matches!(self.states[i], State::Deferred(_)) {
                    continue;
                }
                let previous = match &self.states[i] {
                    State::Deferred(err) => err.clone(),
                    _ => PgDetails::default(),
                };
                let state = self.run(i, true)?;
                if matches!(state, State::NotAppliedKind) {
                    // Examples and operations illustrate a finished schema: order is irrelevant.
                    progress = true;
                    self.states[i] = state;
                } else if matches!(state, State::Applied) {
                    progress = true;
                    let creator = self.later_creator(i, &previous);
                    self.log_if_applied(i, &State::Applied);
                    self.states[i] = State::AppliedLate { creator };
                } else if let State::Deferred(err) = state {
                    self.states[i] = State::Deferred(err);
                } else {
                    // Failed for a reason of its own (its fix may have created objects others
                    // wait for), or a cascade of a root that failed for good.
                    progress = true;
                    self.states[i] = state;
                }
            }
            if !progress {
                break;
            }
        }
        Ok(())
    }

    /// Turn statements still deferred into failures or cascades.
    fn settle(&mut self) {
        for i in 0..self.statements.len() {
            if let State::Deferred(err) = &self.states[i] {
                let err = err.clone();
                self.states[i] = match self.pending_fixes.remove(&i) {
                    // The statement's own bug stays the root cause; what its fixed text still
                    // waits for is the error behind it.
                    Some((plan, original, verdict)) => {
                        let behind = categorize(&self.statements[i], &err);
                        self.behind.insert(i, (err, behind));
                        self.fixes.insert(i, plan.fix);
                        State::Failed(original, verdict)
                    }
                    None => self.final_failure(i, err),
                };
            }
        }
    }

    /// The statement that creates what `err` said was missing: a later one, or an earlier one
    /// that itself waited for a later definition (the latest such statement).
    fn later_creator(&self, i: usize, err: &PgDetails) -> Option<usize> {
        categorize::missing_names(err)
            .iter()
            .filter_map(|(_, name)| self.creators.get(name))
            .flatten()
            .copied()
            .filter(|&j| j != i)
            .max()
    }

    /// Run statement `i` according to its kind; returns its new state.
    fn run(&mut self, i: usize, retry: bool) -> Result<State, ClusterError> {
        if retry {
            if let Some((plan, err, verdict)) = self.pending_fixes.remove(&i) {
                return self.run_fixed(i, plan, err, verdict);
            }
        }
        let stmt = &self.statements[i];
        let privileged = match self.safety[i].clone() {
            Safety::Refused(reason) => return Ok(State::Skipped(reason)),
            Safety::TransactionControl => return Ok(State::Skipped(String::new())),
            Safety::Privileged { op, dropped }
                if matches!(stmt.kind, StatementKind::Schema | StatementKind::Data) =>
            {
                Some((op, dropped))
            }
            _ => None,
        };
        let outcome = match stmt.kind {
            StatementKind::NotSql => return Ok(State::NotAppliedKind),
            StatementKind::Schema | StatementKind::Data => match privileged {
                Some((op, dropped)) => match self.session.privilege_check(&op)? {
                    PrivilegeCheck::Refuse(reason) => return Ok(State::Skipped(reason)),
                    PrivilegeCheck::AlreadyInPlace => Outcome::Applied {
                        notices: Vec::new(),
                    },
                    PrivilegeCheck::Run => {
                        if !dropped.is_empty() {
                            self.left_out.insert(i, dropped);
                        }
                        // What ran is pgspec's rebuilt statement, and that is what `sql` prints.
                        self.privileged_text
                            .insert(i, op.to_sql(self.session.database()));
                        self.apply_privileged(&op)?
                    }
                },
                None => self.apply_schema(stmt)?,
            },
            StatementKind::Operation if stmt.cron_schedule().is_some() => {
                self.validate_cron_job(i)?
            }
            StatementKind::Example | StatementKind::Operation => match validation_mode(stmt) {
                Validation::Prepare => survive_lost_connection(self.session.prepare(&stmt.text))?,
                Validation::Execute => survive_lost_connection(self.session.apply(&stmt.text))?,
                // Not run, but a statement that does not parse is still reported (the parser
                // is PostgreSQL's own, through pg_query).
                Validation::None => match &stmt.facts.parse_error {
                    Some(message) if !stmt.facts.parses => Outcome::Failed {
                        error: PgDetails {
                            sqlstate: "42601".into(),
                            message: message.clone(),
                            ..PgDetails::default()
                        },
                        notices: Vec::new(),
                    },
                    _ => return Ok(State::NotAppliedKind),
                },
            },
        };
        let outcome = match outcome {
            Outcome::Failed { error, .. } if self.role_existed_before(stmt, &error) => {
                Outcome::Applied {
                    notices: Vec::new(),
                }
            }
            other => other,
        };
        let (error, notices) = match outcome {
            Outcome::Applied { notices } => {
                self.notices.extend(notices.into_iter().map(|n| (i, n)));
                return Ok(
                    if matches!(stmt.kind, StatementKind::Schema | StatementKind::Data) {
                        State::Applied
                    } else {
                        State::NotAppliedKind
                    },
                );
            }
            Outcome::Failed { error, notices } => (error, notices),
        };
        self.notices.extend(notices.into_iter().map(|n| (i, n)));
        if self.options.retry_forward_references && !retry && self.is_forward_reference(i, &error) {
            return Ok(State::Deferred(error));
        }
        if retry && self.is_forward_reference(i, &error) {
            return Ok(State::Deferred(error));
        }
        // A statement that waited for a later definition and now fails for another reason is
        // a root cause of its own: it gets the same fixes as in the first pass.
        let state = self.final_failure(i, error);
        if let State::Failed(err, verdict) = &state {
            if self.options.apply_safe_fixes {
                return self.as_if_fixed(i, err.clone(), verdict.clone());
            }
        }
        Ok(state)
    }

    /// Apply the safe fix for a root cause on the scratch database and run the statement (or
    /// its fixed text) again, so that what depends on it is checked too. The statement stays
    /// `Failed`: the document still has the bug. A different error after the fix is recorded
    /// as the error behind it.
    fn as_if_fixed(
        &mut self,
        i: usize,
        err: PgDetails,
        verdict: Verdict,
    ) -> Result<State, ClusterError> {
        let stmt = self.statements[i].clone();
        let Some(plan) = self.plan_fix(i, &stmt, &err, &verdict)? else {
            return Ok(State::Failed(err, verdict));
        };
        if plan.fix.applicability < Applicability::Safe && !self.options.apply_unsafe_fixes {
            self.fixes.insert(i, plan.fix);
            return Ok(State::Failed(err, verdict));
        }
        if !self.run_superuser_prelude(i, &plan)? {
            return Ok(State::Failed(err, verdict));
        }
        self.run_fixed(i, plan, err, verdict)
    }

    /// The fix for `stmt` failing with `err`, if pgspec knows one.
    fn plan_fix(
        &mut self,
        i: usize,
        stmt: &Statement,
        err: &PgDetails,
        verdict: &Verdict,
    ) -> Result<Option<fixes::FixPlan>, ClusterError> {
        if fixes::needs_partitioned_tables(verdict.category) {
            self.fix_context.partitioned_tables =
                crate::postgres::catalog::partitioned_table_names(self.session)?
                    .into_iter()
                    .collect();
            // Tables the document declares partitioned, whether or not they applied yet.
            let declared: Vec<String> = self
                .statements
                .iter()
                .filter(|s| s.facts.partitioned)
                .flat_map(|s| &s.facts.creates)
                .filter(|o| o.kind == ObjectKind::Relation)
                .map(|o| o.name.clone())
                .collect();
            self.fix_context.partitioned_tables.extend(declared);
        }
        self.fix_context.earlier_definition = (verdict.category == Category::DuplicateObject)
            .then(|| self.earlier_definition(i))
            .flatten()
            .map(|j| self.statements[j].clone());
        let mut plan = fixes::plan(self.doc, stmt, err, verdict, &self.fix_context);
        if let (Some(plan), Some(from)) = (plan.as_mut(), stmt.generated()) {
            // The fixed text still applies on the database; the document has no SQL to edit.
            plan.fix.edits.clear();
            plan.fix.title = format!(
                "{} (pgspec generated this table from {}: make the change there)",
                plan.fix.title,
                from.describe()
            );
        }
        Ok(plan)
    }

    /// Run what a fix needs first as superuser (CREATE EXTENSION/ROLE), once each; false when
    /// the server refused.
    fn run_superuser_prelude(
        &mut self,
        i: usize,
        plan: &fixes::FixPlan,
    ) -> Result<bool, ClusterError> {
        for sql in &plan.superuser_before {
            if !self.prelude_done.insert(sql.clone()) {
                continue;
            }
            // What a fix needs first is pgspec's own text, yet it goes through the same gate
            // as the document's: only a privileged operation the run may do.
            let Safety::Privileged { op, .. } = safety::assess(sql) else {
                return Ok(false);
            };
            if self.session.privilege_check(&op)? != PrivilegeCheck::Run {
                return Ok(false);
            }
            if let Outcome::Failed { .. } = self.apply_privileged(&op)? {
                return Ok(false);
            }
            let line = self.line_of(&self.statements[i]);
            self.log.push(SqlEntry::added(
                sql,
                format!("added by pgspec: {}", plan.fix.title),
                line,
            ));
        }
        Ok(true)
    }

    /// Run the fixed text of statement `i`. When the fixed text waits for a later definition,
    /// the statement is deferred with its plan and retried like any forward reference.
    fn run_fixed(
        &mut self,
        i: usize,
        plan: fixes::FixPlan,
        err: PgDetails,
        mut verdict: Verdict,
    ) -> Result<State, ClusterError> {
        let stmt = &self.statements[i];
        let text = plan
            .replacement
            .clone()
            .unwrap_or_else(|| stmt.text.clone());
        if !matches!(
            safety::assess_in(&text, Some(self.session.database())),
            Safety::Document
        ) {
            // A fixed text is derived from the document's: it runs as the document or not at all.
            self.fixes.insert(i, plan.fix);
            return Ok(State::Failed(err, verdict));
        }
        let again = match stmt.kind {
            // The fix removes the statement (an identical repeat, a dropped foreign key).
            _ if text.trim().is_empty() => Some(Outcome::Applied {
                notices: Vec::new(),
            }),
            StatementKind::Schema | StatementKind::Data => {
                Some(survive_lost_connection(self.session.apply(&text))?)
            }
            _ => match validation_mode(stmt) {
                Validation::Prepare => Some(survive_lost_connection(self.session.prepare(&text))?),
                Validation::Execute => Some(survive_lost_connection(self.session.apply(&text))?),
                Validation::None => None,
            },
        };
        match again {
            Some(Outcome::Applied { .. }) => {
                if (stmt.kind == StatementKind::Schema || stmt.kind == StatementKind::Data)
                    && !text.trim().is_empty()
                {
                    let note = plan
                        .replacement
                        .as_ref()
                        .map(|_| format!("fixed: {}", plan.fix.title));
                    self.log.push(SqlEntry {
                        line: Some(self.line_of(stmt)),
                        note,
                        sql: text.clone(),
                    });
                }
                for sql in &plan.after {
                    if let Outcome::Failed { error, .. } =
                        survive_lost_connection(self.session.apply(sql))?
                    {
                        let behind = categorize(stmt, &error);
                        self.behind.insert(i, (error, behind));
                    } else {
                        self.log.push(SqlEntry::added(
                            sql,
                            format!("moved out by pgspec: {}", plan.fix.title),
                            self.line_of(stmt),
                        ));
                    }
                }
                verdict.help = format!(
                    "{}; pgspec checked the rest of the document as if this were fixed",
                    verdict.help
                );
                self.applied_fixes.insert(i);
            }
            Some(Outcome::Failed { error, .. })
                if self.options.retry_forward_references
                    && self.is_forward_reference(i, &error) =>
            {
                self.pending_fixes.insert(i, (plan, err, verdict));
                return Ok(State::Deferred(error));
            }
            Some(Outcome::Failed { error, .. })
                if error.sqlstate != err.sqlstate || error.message != err.message =>
            {
                let behind_stmt = stmt.with_text(text);
                let behind = categorize(&behind_stmt, &error);
                // The fixed text has a second root cause with a fix of its own (the partition
                // key added to a key, then a foreign key to a partitioned table): fix both.
                if plan.chained < 3 {
                    let next = self
                        .plan_fix(i, &behind_stmt, &error, &behind)?
                        .filter(|p| {
                            p.fix.applicability >= Applicability::Safe
                                || self.options.apply_unsafe_fixes
                        });
                    if let Some(next) = next {
                        let chained = fixes::FixPlan {
                            fix: Fix {
                                title: format!("{}; then {}", plan.fix.title, next.fix.title),
                                applicability: plan.fix.applicability.min(next.fix.applicability),
                                edits: plan.fix.edits.clone(),
                            },
                            superuser_before: Vec::new(),
                            replacement: Some(
                                next.replacement.clone().unwrap_or(behind_stmt.text.clone()),
                            ),
                            after: plan.after.iter().chain(&next.after).cloned().collect(),
                            chained: plan.chained + 1,
                        };
                        if self.run_superuser_prelude(i, &next)? {
                            self.behind.insert(i, (error, behind));
                            return self.run_fixed(i, chained, err, verdict);
                        }
                    }
                }
                self.behind.insert(i, (error, behind));
            }
            _ => {}
        }
        self.fixes.insert(i, plan.fix);
        Ok(State::Failed(err, verdict))
    }

    /// A `cron.schedule(...)` is not run (that would schedule it): its timing is checked the way
    /// pg_cron reads it and its command is prepared on the scratch database.
    fn validate_cron_job(&mut self, i: usize) -> Result<Outcome, ClusterError> {
        let stmt = &self.statements[i];
        let failed = |message: String| Outcome::Failed {
            error: PgDetails {
                sqlstate: "22023".into(),
                message: format!("{}{message}", categorize::CRON_MESSAGE_PREFIX),
                ..PgDetails::default()
            },
            notices: Vec::new(),
        };
        let Some(job) = stmt.cron_schedule() else {
            return Ok(Outcome::Applied {
                notices: Vec::new(),
            });
        };
        if !self.fix_context.available_extensions.contains("pg_cron") {
            return Ok(failed(
                "pg_cron is not installed on this server (`apt-get install postgresql-15-cron`), so the job cannot be scheduled".into(),
            ));
        }
        if let Err(why) = crate::sql::cron::validate_schedule(&job.schedule) {
            return Ok(failed(format!("the schedule {why}")));
        }
        let command = job.command.trim().trim_end_matches(';').trim().to_string();
        // The command is text inside a string literal, so it has a tree of its own: what it
        // does decides how it is checked, whatever comments, casing or quoting it is written in.
        let tree = crate::sql::ast::parse(&command);
        let prepare =
            |session: &mut ApplySession| survive_lost_connection(session.prepare(&command));
        let outcome = match tree.as_deref().and_then(crate::sql::ast::first) {
            Some(node) => match crate::sql::ast::command(node) {
                Command::Select | Command::Modify => prepare(&mut *self.session)?,
                // Not preparable: check that what it names exists.
                kind @ (Command::Refresh | Command::Vacuum | Command::Call) => {
                    match crate::sql::ast::maintenance_target(node) {
                        Some(name) => {
                            let cast = if kind == Command::Call {
                                "regproc"
                            } else {
                                "regclass"
                            };
                            let probe = format!("SELECT {}::{cast}", quote_literal(&name));
                            survive_lost_connection(self.session.prepare(&probe))?
                        }
                        None => Outcome::Applied {
                            notices: Vec::new(),
                        },
                    }
                }
                Command::Reindex | Command::Other => Outcome::Applied {
                    notices: Vec::new(),
                },
            },
            // A command that does not parse has no tree; one that starts like a query is
            // prepared all the same, so the server reports its syntax error (first words only
            // for text that does not parse).
            None => match first_words(&command, 1).first().map(String::as_str) {
                Some("select" | "with" | "insert" | "update" | "delete" | "values") => {
                    prepare(&mut *self.session)?
                }
                _ => Outcome::Applied {
                    notices: Vec::new(),
                },
            },
        };
        Ok(match outcome {
            Outcome::Failed { mut error, notices } => {
                // The position is in the command's text, not the document's.
                error.position = None;
                if categorize::missing_names(&error).is_empty() {
                    error.message = format!(
                        "{}the command `{command}` fails: {}",
                        categorize::CRON_MESSAGE_PREFIX,
                        error.message
                    );
                }
                Outcome::Failed { error, notices }
            }
            applied => applied,
        })
    }

    fn apply_schema(&mut self, stmt: &Statement) -> Result<Outcome, ClusterError> {
        survive_lost_connection(self.session.apply(&stmt.text))
    }

    /// A privileged operation pgspec rebuilt from the statement (an extension that is not
    /// installed is reported as such, without asking the server).
    fn apply_privileged(&mut self, op: &PrivilegedOp) -> Result<Outcome, ClusterError> {
        if let PrivilegedOp::CreateExtension { name, .. } = op {
            if !self.fix_context.available_extensions.contains(name) {
                return Ok(Outcome::Failed {
                    error: PgDetails {
                        sqlstate: "58P01".into(),
                        message: format!("extension \"{name}\" is not available"),
                        ..PgDetails::default()
                    },
                    notices: Vec::new(),
                });
            }
        }
        survive_lost_connection(self.session.apply_privileged(op))
    }

    /// The statement that already created an object statement `i` creates too (usually an
    /// earlier one; a later one when `i` waited for a forward reference).
    fn earlier_definition(&self, i: usize) -> Option<usize> {
        let stmt = &self.statements[i];
        stmt.facts
            .creates
            .iter()
            .filter_map(|o| self.creators.get(&o.name))
            .flatten()
            .copied()
            .filter(|&j| {
                j != i && matches!(self.states[j], State::Applied | State::AppliedLate { .. })
            })
            .min()
    }

    /// Whether the error names an object that a later statement creates (or a deferred one).
    fn is_forward_reference(&self, i: usize, err: &PgDetails) -> bool {
        categorize::missing_names(err).iter().any(|(_, name)| {
            self.creators.get(name).is_some_and(|cs| {
                cs.iter()
                    .any(|&j| j > i || matches!(self.states[j], State::Deferred(_)))
            })
        })
    }

    fn final_failure(&self, i: usize, error: PgDetails) -> State {
        for (_, name) in categorize::missing_names(&error) {
            let Some(cs) = self.creators.get(&name) else {
                continue;
            };
            for &j in cs {
                if j == i {
                    continue;
                }
                match &self.states[j] {
                    // A root that applied with its fix created what it should have.
                    State::Failed(..) if self.applied_fixes.contains(&j) => {}
                    State::Failed(..) | State::Deferred(_) => {
                        return State::Cascade {
                            error,
                            root: j,
                            via: j,
                        };
                    }
                    State::Cascade { root, .. } => {
                        return State::Cascade {
                            error,
                            root: *root,
                            via: j,
                        };
                    }
                    _ => {}
                }
            }
        }
        let verdict = categorize(&self.statements[i], &error);
        State::Failed(error, verdict)
    }

    fn finish(self, earlier: Vec<Diagnostic>) -> CheckReport {
        let mut diagnostics = earlier;
        let mut reports = Vec::with_capacity(self.statements.len());
        for (i, stmt) in self.statements.iter().enumerate() {
            if let Some(left_out) = self.left_out.get(&i) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnsafeStatement,
                        Category::UnsafeStatement,
                        format!("run without {}: only a superuser may give that, and pgspec never does for a document", left_out.join(", ")),
                        self.first_line(stmt),
                    )
                    .help("grant what the role needs on the objects it uses instead; give superuser attributes yourself on a server you control"),
                );
            }
            let (status, category, root) = match &self.states[i] {
                State::Applied => (StatementStatus::Applied, None, None),
                State::AppliedLate { creator } => {
                    diagnostics.push(self.forward_reference(i, *creator));
                    (
                        StatementStatus::Applied,
                        Some(Category::ForwardReference),
                        *creator,
                    )
                }
                State::Failed(err, verdict) => {
                    diagnostics.push(self.rejected(i, err, verdict));
                    if let Some((behind, behind_verdict)) = self.behind.get(&i) {
                        diagnostics.push(self.behind_fix(i, err, verdict, behind, behind_verdict));
                    }
                    let status = if self.applied_fixes.contains(&i) {
                        StatementStatus::Fixed
                    } else {
                        StatementStatus::Failed
                    };
                    (status, Some(verdict.category), None)
                }
                State::Cascade { error, root, via } => {
                    diagnostics.push(self.cascade(i, error, *root, *via));
                    (
                        StatementStatus::Cascade,
                        Some(Category::Cascade),
                        Some(*root),
                    )
                }
                State::Skipped(reason) => {
                    if !reason.is_empty() {
                        diagnostics.push(
                            Diagnostic::new(Code::UnsafeStatement, Category::UnsafeStatement, format!("not run: {reason}"), self.first_line(stmt))
                                .help("pgspec never runs this for a document: it reaches outside the database pgspec made (server programs, files, network, other databases or roles, server settings); run it yourself on a server you control if you trust it"),
                        );
                    }
                    (
                        StatementStatus::Skipped,
                        if reason.is_empty() {
                            None
                        } else {
                            Some(Category::UnsafeStatement)
                        },
                        None,
                    )
                }
                State::NotAppliedKind => {
                    let category = match stmt.kind {
                        StatementKind::NotSql => Some(Category::NotSql),
                        _ => None,
                    };
                    (StatementStatus::NotAppliedKind, category, None)
                }
                State::Pending | State::Deferred(_) => (StatementStatus::Skipped, None, None),
            };
            let mut report = StatementReport::new(
                self.doc,
                stmt,
                status,
                category,
                root.map(|r| &self.statements[r]),
            );
            if let State::Failed(err, verdict) = &self.states[i] {
                // A statement whose fix awaits review (check does not apply behaviour-changing
                // fixes) has its proposed resolution; one without a fix, or whose fix did not
                // bring it through, needs a person.
                let proposal_pending = self.fixes.get(&i).is_some_and(|f| {
                    f.applicability == Applicability::Unsafe && !self.options.apply_unsafe_fixes
                });
                if status == StatementStatus::Failed
                    && !proposal_pending
                    && matches!(stmt.kind, StatementKind::Schema | StatementKind::Data)
                {
                    // When a fix went through but the fixed text failed again, that second
                    // error is what a person has to decide about.
                    let (err, verdict) = match self.behind.get(&i) {
                        Some((behind, behind_verdict)) => (behind, behind_verdict),
                        None => (err, verdict),
                    };
                    let decision = categorize::decision(verdict, err);
                    // Said where people read it too: on the statement's diagnostic.
                    let start = stmt.range.start;
                    if let Some(d) = diagnostics.iter_mut().rev().find(|d| {
                        matches!(d.code, Code::StatementRejected | Code::ExampleQueryRejected)
                            && stmt.range.contains(d.primary.range.start)
                            || d.primary.range.start == start
                    }) {
                        d.notes.push(format!("needs a human decision: {decision}"));
                    }
                    report.decision = Some(decision);
                }
            }
            reports.push(report);
        }
        for (i, notice) in &self.notices {
            if let Some(d) = self.notice(*i, notice) {
                diagnostics.push(d);
            }
        }
        diagnostics.sort_by_key(|d| (d.primary.range.start, d.code));
        let mut report = CheckReport::new(self.doc, reports, diagnostics);
        report.schema_sql = self.log;
        report
    }

    /// The first line of a statement, for diagnostics without a server position.
    fn first_line(&self, stmt: &Statement) -> TextRange {
        let text = &self.doc.text;
        let start = stmt.range.start as usize;
        let line_end = text[start..]
            .find('\n')
            .map_or(stmt.range.end as usize, |n| start + n)
            .min(stmt.range.end as usize)
            .max(start);
        TextRange::new(
            stmt.range.start,
            u32::try_from(line_end).unwrap_or(stmt.range.end),
        )
    }

    /// Document range of the server's error position, widened to the token there.
    /// `focus` (a byte offset from the verdict) wins over the server's position: the parser
    /// may stop later than the real culprit.
    fn error_range(&self, stmt: &Statement, err: &PgDetails, focus: Option<usize>) -> TextRange {
        let position = focus.and_then(|f| focus_position(stmt, f)).or(err.position);
        // A statement pgspec generated has no code block: its errors point at the source of the
        // part they are in (a column's ERD attribute or column-table row), else at its source.
        if !stmt.is_written() {
            let at = position.map(|p| char_position_to_byte(&stmt.text, p) as usize);
            return at
                .map(|at| stmt.document_range(self.doc, at, 0))
                .or_else(|| self.name_range(stmt, err))
                .filter(|r| *r != stmt.range)
                .unwrap_or_else(|| self.first_line(stmt));
        }
        let Some(position) = position else {
            return self
                .name_range(stmt, err)
                .unwrap_or_else(|| self.first_line(stmt));
        };
        let byte = char_position_to_byte(&stmt.text, position);
        let Some(start) = stmt.document_offset(self.doc, byte as usize) else {
            return self.first_line(stmt);
        };
        let text = &self.doc.text;
        let token_len = text
            .get(start as usize..)
            .map_or(0, |rest| {
                rest.char_indices()
                    .find(|(_, c)| {
                        !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '"' || *c == '$')
                    })
                    .map_or(rest.len(), |(n, _)| n)
            })
            .max(
                text.get(start as usize..)
                    .and_then(|r| r.chars().next())
                    .map_or(0, char::len_utf8),
            );
        TextRange::new(start, start + u32::try_from(token_len).unwrap_or(0))
    }

    /// Where in the statement the object the error names appears (for errors without a position).
    /// For a generated statement, the names in the server's detail count too (`Key columns
    /// "user_id" and "id" are of incompatible types`): the range is then the row of the column
    /// the text names.
    fn name_range(&self, stmt: &Statement, err: &PgDetails) -> Option<TextRange> {
        let mut names: Vec<String> = categorize::quoted_names(&err.message);
        names.extend(err.constraint.clone());
        names.extend(err.column.clone());
        if stmt.generated().is_some() {
            names.extend(err.detail.iter().flat_map(|d| categorize::quoted_names(d)));
        }
        let lower = stmt.text.to_lowercase();
        for name in names {
            let needle = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
            if needle.len() < 2 {
                continue;
            }
            let Some(at) = find_word(&lower, &needle) else {
                continue;
            };
            let range = stmt.document_range(self.doc, at, needle.len());
            if stmt.generated().is_some() && range == stmt.range {
                // Not inside a column's part (the table name in the head): try the next name.
                continue;
            }
            return Some(range);
        }
        None
    }

    fn line_of(&self, stmt: &Statement) -> u32 {
        self.doc.line_index.line(stmt.range.start)
    }

    fn rejected(&self, i: usize, err: &PgDetails, verdict: &Verdict) -> Diagnostic {
        let stmt = &self.statements[i];
        let code = rejection_code(stmt.kind);
        let mut d = Diagnostic::new(
            code,
            verdict.category,
            err.message.clone(),
            self.error_range(stmt, err, verdict.focus),
        )
        .help(verdict.help.clone());
        if code == Code::ExampleQueryRejected {
            // An example that cannot run against the document's own schema is a document bug;
            // one that only lacks bound values is not.
            d.severity = if matches!(verdict.category, Category::ExampleQuery | Category::NotSql) {
                Severity::Warning
            } else {
                Severity::Error
            };
        }
        if verdict.category == Category::NotSql {
            d.severity = Severity::Warning;
        }
        d.notes.push(format!(
            "{} statement at line {}, SQLSTATE {}",
            kind_name(stmt.kind),
            self.line_of(stmt),
            err.sqlstate
        ));
        if let Some(detail) = &err.detail {
            d.notes.push(format!("postgres detail: {detail}"));
        }
        if let Some(hint) = &err.hint {
            d.notes.push(format!("postgres hint: {hint}"));
        }
        if verdict.category == Category::DuplicateObject {
            if let Some(j) = self.earlier_creator(i, err) {
                d.secondary.push(Label::with_message(
                    self.first_line(&self.statements[j]),
                    "first defined here",
                ));
            }
        }
        d.fix = self.fixes.get(&i).cloned();
        d.postgres = Some(err.clone());
        d
    }

    /// The error a statement still gives after its root cause's safe fix.
    fn behind_fix(
        &self,
        i: usize,
        root_err: &PgDetails,
        root_verdict: &Verdict,
        err: &PgDetails,
        verdict: &Verdict,
    ) -> Diagnostic {
        let stmt = &self.statements[i];
        let code = rejection_code(stmt.kind);
        let mut d = Diagnostic::new(
            code,
            verdict.category,
            err.message.clone(),
            self.name_range(stmt, err)
                .unwrap_or_else(|| self.first_line(stmt)),
        )
        .help(verdict.help.clone())
        .note(format!("SQLSTATE {}", err.sqlstate));
        let root_range = self.error_range(stmt, root_err, root_verdict.focus);
        let root_line = self.doc.line_index.line(root_range.start);
        d.notes.insert(
            0,
            format!(
                "found by applying the safe fix for the {} error at line {root_line} on the scratch database",
                root_verdict.category.as_str()
            ),
        );
        d.secondary
            .push(Label::with_message(root_range, "fixed first"));
        if let Some(detail) = &err.detail {
            d.notes.push(format!("postgres detail: {detail}"));
        }
        d.postgres = Some(err.clone());
        d
    }

    fn earlier_creator(&self, i: usize, err: &PgDetails) -> Option<usize> {
        categorize::quoted_names(&err.message)
            .iter()
            .filter_map(|n| self.creators.get(&n.to_lowercase()))
            .flatten()
            .copied()
            .find(|&j| j < i)
    }

    fn cascade(&self, i: usize, err: &PgDetails, root: usize, via: usize) -> Diagnostic {
        let stmt = &self.statements[i];
        let root_stmt = &self.statements[root];
        let root_line = self.line_of(root_stmt);
        let mut d = Diagnostic::new(
            Code::Cascade,
            Category::Cascade,
            format!("fails only because the statement at line {root_line} failed"),
            // A cascade has no verdict of its own; its culprit is located the same way.
            self.error_range(stmt, err, categorize(stmt, err).focus),
        )
        .help(format!(
            "fix the statement at line {root_line}; this one should then apply"
        ))
        .note(format!(
            "postgres said: {} (SQLSTATE {})",
            err.message, err.sqlstate
        ))
        .secondary(Label::with_message(
            self.first_line(root_stmt),
            "root cause",
        ));
        if via != root {
            d.notes.push(format!(
                "via the statement at line {}",
                self.line_of(&self.statements[via])
            ));
        }
        d.root = Some(root_stmt.range);
        d.postgres = Some(err.clone());
        d
    }

    fn forward_reference(&self, i: usize, creator: Option<usize>) -> Diagnostic {
        let stmt = &self.statements[i];
        let (message, secondary) = match creator {
            Some(j) => {
                let line = self.line_of(&self.statements[j]);
                (
                    if j > i {
                        format!("uses an object defined later at line {line}")
                    } else {
                        format!(
                            "uses an object from line {line}, which applies only after reordering"
                        )
                    },
                    Some(Label::with_message(
                        self.first_line(&self.statements[j]),
                        "defined here",
                    )),
                )
            }
            None => (
                "uses an object defined later in the document".to_string(),
                None,
            ),
        };
        let mut d = Diagnostic::new(
            Code::ForwardReference,
            Category::ForwardReference,
            message,
            self.first_line(stmt),
        )
        .help("the statement applied after reordering; move the definition above its first use");
        d.secondary.extend(secondary);
        d.root = creator.map(|j| self.statements[j].range);
        d
    }

    fn notice(&self, i: usize, notice: &Notice) -> Option<Diagnostic> {
        // Routine chatter (implicit index creation, IF NOT EXISTS skips) is not a finding.
        let interesting = notice.severity == "WARNING"
            || notice.sqlstate == "42622"
            || notice.message.contains("truncated");
        if !interesting {
            return None;
        }
        let stmt = &self.statements[i];
        let mut d = Diagnostic::new(
            Code::ServerNotice,
            Category::InvalidDefinition,
            notice.message.clone(),
            self.first_line(stmt),
        );
        if notice.sqlstate == "42622" || notice.message.contains("truncated") {
            d = d.help("identifiers are limited to 63 bytes (a Hangul syllable takes 3); shorten the name so references to it match");
        }
        if let Some(detail) = &notice.detail {
            d.notes.push(format!("postgres detail: {detail}"));
        }
        Some(d)
    }
}

/// A byte offset in the statement as a 1-based character position, like the server's.
fn focus_position(stmt: &Statement, focus: usize) -> Option<u32> {
    let chars = stmt.text.get(..focus)?.chars().count();
    u32::try_from(chars + 1).ok()
}

/// A statement that ends its own backend (`pg_terminate_backend(pg_backend_pid())`) is a
/// failed statement, not a reason to abandon the document: the session has reconnected.
fn survive_lost_connection(result: Result<Outcome, ClusterError>) -> Result<Outcome, ClusterError> {
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

fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(pos) = haystack[from..].find(needle) {
        let at = from + pos;
        let before_ok = at == 0 || !is_ident_byte(bytes[at - 1]);
        let after = at + needle.len();
        let after_ok = after >= bytes.len() || !is_ident_byte(bytes[after]);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + needle.len().max(1);
        if from >= haystack.len() {
            break;
        }
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Rejections of statements check only validates (examples, operations) have their own code.
fn rejection_code(kind: StatementKind) -> Code {
    match kind {
        StatementKind::Example | StatementKind::Operation => Code::ExampleQueryRejected,
        _ => Code::StatementRejected,
    }
}

pub(crate) fn kind_name(kind: StatementKind) -> &'static str {
    match kind {
        StatementKind::Schema => "schema",
        StatementKind::Data => "data",
        StatementKind::Example => "example",
        StatementKind::Operation => "operation",
        StatementKind::NotSql => "not-sql",
    }
}

enum Validation {
    /// Parse and analyze with the extended protocol; never executes.
    Prepare,
    /// Safe to execute in the scratch database (maintenance commands).
    Execute,
    /// Cannot be validated without side effects on the session.
    None,
}

/// What pgspec may do with a statement of the document in `database`: not-SQL is never run;
/// a cron schedule whose command would be refused is refused itself.
fn statement_safety(stmt: &Statement, database: &str) -> Safety {
    if stmt.kind == StatementKind::NotSql {
        return Safety::Document;
    }
    match stmt.safety(Some(database)) {
        Safety::Document => match stmt.cron_schedule().map(|job| safety::assess(&job.command)) {
            Some(Safety::Refused(reason)) => {
                Safety::Refused(format!("the cron job's command: {reason}"))
            }
            _ => Safety::Document,
        },
        other => other,
    }
}

/// How to validate a statement that `check` does not apply: from its parse tree; by its first
/// word only when the text does not parse (the server then gives the error).
fn validation_mode(stmt: &Statement) -> Validation {
    if stmt.facts.parses {
        return match stmt.facts.top {
            TopKind::Query => Validation::Prepare,
            TopKind::Maintenance => Validation::Execute,
            TopKind::Call | TopKind::Other => Validation::None,
        };
    }
    let head = first_words(&stmt.text, 2);
    match head.first().map(String::as_str) {
        Some("select" | "with" | "insert" | "update" | "delete" | "values" | "table" | "merge") => {
            Validation::Prepare
        }
        Some("analyze" | "analyse" | "refresh" | "reindex" | "cluster" | "vacuum") => {
            Validation::Execute
        }
        _ => Validation::None,
    }
}

/// Lowercased first `n` words of the statement (identifier characters only).
fn first_words(text: &str, n: usize) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_lowercase)
        .collect()
}
