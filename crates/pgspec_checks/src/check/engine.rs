//! The engine's apply loop: the first pass in document order, retry rounds for forward
//! references, and how a failure becomes a root cause or a cascade of one (the state it works
//! on is in `state`).

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Category, PgDetails};
use crate::document::Document;
use crate::postgres::{ApplySession, ClusterError, Outcome, PrivilegeCheck};
use crate::sql::ast::NodeEnum;
use crate::sql::safety::{PrivilegedOp, Safety};
use crate::sql::{ObjectKind, Statement, StatementKind};

use super::categorize::{self, categorize};
use super::fixes;
use super::privileged::statement_safety;
use super::report::SqlEntry;
use super::state::{survive_lost_connection, Engine, State};
use super::validation::{validation_mode, Validation};
use super::CheckOptions;

/// The installed extensions pgspec will likely create for the document: those its statements
/// create, and those whose objects it uses without creating them (a fix creates the
/// extension when such a statement fails). pg_cron aside: on the private cluster it lives in
/// another database, and nothing is created.
fn expected_extensions(
    statements: &[Statement],
    safety: &[Safety],
    creators: &HashMap<String, Vec<usize>>,
    available: &HashSet<String>,
) -> Vec<String> {
    let created = statements
        .iter()
        .zip(safety)
        .filter(|(s, _)| matches!(s.kind, StatementKind::Schema | StatementKind::Data))
        .filter_map(|(_, safety)| match safety {
            Safety::Privileged {
                op: PrivilegedOp::CreateExtension { name, .. },
                ..
            } => Some(name.clone()),
            _ => None,
        });
    let used = statements
        .iter()
        .flat_map(|s| &s.facts.references)
        .filter(|o| !creators.contains_key(&o.name))
        .filter_map(categorize::extension_providing)
        .map(str::to_owned);
    let mut names: Vec<String> = created
        .chain(used)
        .filter(|name| name != "pg_cron" && available.contains(name))
        .collect();
    names.sort();
    names.dedup();
    names
}

impl<'a> Engine<'a> {
    pub(super) fn new(
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
        }
        let fix_context = fixes::FixContext {
            available_extensions: session.available_extensions()?.into_iter().collect(),
            partitioned_tables: HashSet::new(),
            database: session.database().to_string(),
            earlier_definition: None,
            referenced_by: fixes::FixContext::foreign_key_targets(statements),
            plain_indexes: fixes::FixContext::plain_indexes(statements),
            view_used_before: false,
            boolean_columns: HashMap::new(),
        };
        let safety: Vec<Safety> = statements
            .iter()
            .map(|s| statement_safety(s, session.database()))
            .collect();
        session.expect_extensions(expected_extensions(
            statements,
            &safety,
            &creators,
            &fix_context.available_extensions,
        ));
        // Roles are cluster-wide: one that exists before this run (another document's `up`,
        // the platform shim) is not the document's duplicate.
        let roles_before = crate::postgres::catalog::role_names(session)?
            .into_iter()
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
            cron_declared: false,
            log: Vec::new(),
            fixes: HashMap::new(),
            behind: HashMap::new(),
            pending_fixes: HashMap::new(),
            applied_fixes: HashSet::new(),
            left_out: HashMap::new(),
            privileged_text: HashMap::new(),
            safety,
            in_document_transaction: crate::sql::transactions::inside_document_transaction(
                statements,
            ),
            cycle_broken: HashSet::new(),
            assumed: HashMap::new(),
            assumptions: HashSet::new(),
            assumed_left_out: HashSet::new(),
            moved_constraints: Vec::new(),
        })
    }

    /// Every statement once, in document order. Runs of plain statements go to the server
    /// together ([`ApplySession::apply_batch`]), which judges them as if each ran alone; a
    /// statement the batch did not judge (it failed there in a way that may depend on the
    /// batch, or may not go in one) runs alone, exactly as it always did.
    pub(super) fn first_pass(&mut self) -> Result<(), ClusterError> {
        let total = self.statements.len();
        let mut i = 0;
        while i < total {
            let (start, end) = (i, self.batch_end(i));
            if end > start + 1 {
                let outcomes = self.session.apply_batch(&self.statements[start..end])?;
                for outcome in outcomes {
                    let state = self.judge(i, outcome, false)?;
                    self.first_verdict(i, state);
                    i += 1;
                }
                if i == end {
                    continue;
                }
            }
            let state = self.run(i, false)?;
            self.first_verdict(i, state);
            i += 1;
        }
        Ok(())
    }

    fn first_verdict(&mut self, i: usize, state: State) {
        self.log_if_applied(i, &state);
        self.states[i] = state;
        if let Some(progress) = &self.options.progress {
            (progress.0)(i + 1, self.statements.len());
        }
    }

    /// Where the run of statements from `start` that may be sent together in the first pass
    /// ends (exclusive): schema and data statements the document's role runs as written,
    /// outside the document's own transaction, that the session can batch, and that are not
    /// expected to fail (a failure ends a batch and costs its round trips, so a statement
    /// that uses what no earlier statement made, or makes what an earlier one made, goes
    /// alone).
    fn batch_end(&self, start: usize) -> usize {
        let made = |c: usize, j: usize| {
            (start..j).contains(&c)
                || (c < start
                    && match &self.states[c] {
                        State::Applied | State::AppliedLate { .. } => true,
                        State::Failed(..) => {
                            self.applied_fixes.contains(&c) || self.assumed.contains_key(&c)
                        }
                        _ => false,
                    })
        };
        let mut j = start;
        while j < self.statements.len() {
            let stmt = &self.statements[j];
            let plain = matches!(stmt.kind, StatementKind::Schema | StatementKind::Data)
                && matches!(self.safety[j], Safety::Document)
                && !self.in_document_transaction[j]
                && crate::postgres::batchable(stmt);
            let expected_to_apply = plain
                && stmt.facts.references.iter().all(|o| {
                    self.creators
                        .get(&o.name)
                        .is_none_or(|cs| cs.iter().any(|&c| made(c, j)))
                })
                && stmt.facts.creates.iter().all(|o| {
                    self.creators
                        .get(&o.name)
                        .is_none_or(|cs| !cs.iter().any(|&c| c != j && made(c, j)))
                });
            if !expected_to_apply {
                break;
            }
            j += 1;
        }
        j
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
    pub(super) fn retry_rounds(&mut self) -> Result<(), ClusterError> {
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
                    self.states[i] = if self.applied_by_breaking_cycle(i, creator) {
                        State::Applied
                    } else {
                        State::AppliedLate { creator }
                    };
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

    /// Turn statements still deferred into failures or cascades. Statements that still wait
    /// after the last round wait for each other (each waits for a statement that waits): the
    /// first of them is reported as the root, with the statement it waits for, and the others
    /// cascade from it.
    pub(super) fn settle(&mut self) {
        let mut cycle_root_found = false;
        for i in 0..self.statements.len() {
            if let State::Deferred(err) = &self.states[i] {
                let err = err.clone();
                if !cycle_root_found && !self.pending_fixes.contains_key(&i) {
                    if let State::Cascade { root, .. } = self.final_failure(i, err.clone()) {
                        if matches!(self.states[root], State::Deferred(_)) {
                            cycle_root_found = true;
                            let mut verdict = categorize(&self.statements[i], &err);
                            verdict.category = Category::ForwardReference;
                            verdict.help = format!(
                                "the statement at line {} waits for this one, and this one for it: \
                                 neither can run first; create this table without the FOREIGN KEY \
                                 and add it after both exist (`ALTER TABLE … ADD CONSTRAINT … \
                                 FOREIGN KEY …`)",
                                self.line_of(&self.statements[root])
                            );
                            self.states[i] = State::Failed(err, verdict);
                            continue;
                        }
                    }
                }
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
            .or_else(|| {
                // The rows it needed: the first insert into their table after it.
                let table = missing_rows_table(err)?.to_lowercase();
                (i + 1..self.statements.len())
                    .find(|&j| inserted_table(&self.statements[j]).is_some_and(|t| t == table))
            })
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
                    PrivilegeCheck::AlreadyInPlace => {
                        self.note_in_place(&op);
                        Outcome::Applied {
                            notices: Vec::new(),
                        }
                    }
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
                None => self.apply_schema(i)?,
            },
            StatementKind::Operation if stmt.cron_schedule().is_some() => {
                self.validate_cron_job(i)?
            }
            StatementKind::Example | StatementKind::Operation => match validation_mode(stmt) {
                Validation::Prepare => survive_lost_connection(
                    self.session
                        .prepare(&crate::sql::without_placeholders(&stmt.text)),
                )?,
                Validation::Execute => survive_lost_connection(self.session.apply_statement(stmt))?,
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
        self.judge(i, outcome, retry)
    }

    /// The state a statement's outcome puts it in (notices kept, failures categorized,
    /// forward references deferred, safe fixes tried).
    fn judge(&mut self, i: usize, outcome: Outcome, retry: bool) -> Result<State, ClusterError> {
        let stmt = &self.statements[i];
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

    fn apply_schema(&mut self, i: usize) -> Result<Outcome, ClusterError> {
        let stmt = &self.statements[i];
        // Inside the document's own BEGIN … COMMIT, a statement PostgreSQL refuses in a
        // transaction block gets the server's own error, as psql would: after `SELECT 1` in
        // one query string (an implicit block) the server refuses it before doing anything.
        if self.in_document_transaction[i]
            && crate::sql::transactions::refused_in_transaction_block(stmt)
        {
            let text = format!("SELECT 1; {}", stmt.text);
            return survive_lost_connection(self.session.apply(&text));
        }
        let outcome = survive_lost_connection(self.session.apply_statement(stmt))?;
        let stmt = &self.statements[i];
        self.with_owner_of_run(stmt.ast(), outcome, &|session| {
            session.apply_statement(stmt)
        })
    }

    /// Whether a statement before `i` that does not define the relations `i` creates uses one
    /// of them (grants on it, comments on it, a trigger or a view over it).
    pub(super) fn used_before(&self, i: usize) -> bool {
        let created: Vec<_> = self.statements[i]
            .facts
            .creates
            .iter()
            .filter(|o| o.kind == ObjectKind::Relation)
            .collect();
        self.statements[..i].iter().any(|s| {
            let defines = |o: &&crate::sql::ObjectName| s.facts.creates.iter().any(|c| c == *o);
            created.iter().any(|o| {
                !defines(o)
                    && s.facts
                        .references
                        .iter()
                        .any(|r| r.kind == o.kind && r.name == o.name)
            })
        })
    }

    /// The statement that already created an object statement `i` creates too (usually an
    /// earlier one; a later one when `i` waited for a forward reference).
    pub(super) fn earlier_definition(&self, i: usize) -> Option<usize> {
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

    /// Whether the error names an object that a later statement creates (or a deferred one),
    /// or rows that a later statement inserts ([`Self::later_rows`]).
    pub(super) fn is_forward_reference(&self, i: usize, err: &PgDetails) -> bool {
        categorize::missing_names(err).iter().any(|(_, name)| {
            self.creators.get(name).is_some_and(|cs| {
                cs.iter()
                    .any(|&j| j > i || matches!(self.states[j], State::Deferred(_)))
            })
        }) || self.later_rows(i, err).is_some()
    }

    /// For an INSERT or COPY whose foreign key found no row (`Key (author_id)=(1) is not
    /// present in table "authors"`): a later (or deferred) INSERT or COPY into that table,
    /// which the document's sample data puts after the rows that need it.
    pub(super) fn later_rows(&self, i: usize, err: &PgDetails) -> Option<usize> {
        inserted_table(&self.statements[i])?;
        let table = missing_rows_table(err)?.to_lowercase();
        (0..self.statements.len()).find(|&j| {
            (j > i || matches!(self.states[j], State::Deferred(_)))
                && inserted_table(&self.statements[j]).is_some_and(|t| t == table)
        })
    }

    /// A foreign key violation on rows of a table that an earlier statement pgspec did not run
    /// (a `COPY` from a server file, refused) would have filled: that statement.
    fn skipped_rows_needed(&self, i: usize, error: &PgDetails) -> Option<usize> {
        let table = missing_rows_table(error)?;
        (0..i).rev().find(|&j| {
            matches!(&self.states[j], State::Skipped(reason) if !reason.is_empty())
                && self.statements[j]
                    .facts
                    .references
                    .iter()
                    .any(|o| o.kind == ObjectKind::Relation && o.name == table)
        })
    }

    /// A foreign key violation on rows of a table whose INSERT or COPY earlier in the document
    /// failed (the category list with a wrong column count before the items that need it):
    /// the root cause behind the first such statement (a table's first rows are its base
    /// rows), and the statement.
    fn failed_rows_needed(&self, i: usize, error: &PgDetails) -> Option<(usize, usize)> {
        inserted_table(&self.statements[i])?;
        let table = missing_rows_table(error)?.to_lowercase();
        (0..i).find_map(|j| {
            if inserted_table(&self.statements[j]).is_none_or(|t| t != table) {
                return None;
            }
            match &self.states[j] {
                State::Failed(..) | State::Cascade { .. } => Some((self.root_behind(j)?, j)),
                _ => None,
            }
        })
    }

    pub(super) fn final_failure(&self, i: usize, error: PgDetails) -> State {
        for (_, name) in categorize::missing_names(&error) {
            let Some(cs) = self.creators.get(&name) else {
                continue;
            };
            for &j in cs {
                if j == i {
                    continue;
                }
                if let Some(root) = self.root_behind(j) {
                    return State::Cascade {
                        error,
                        root,
                        via: j,
                    };
                }
            }
        }
        if let Some(state) = self.column_of_failed_alter(i, &error) {
            return state;
        }
        if let Some((root, via)) = self.failed_rows_needed(i, &error) {
            return State::Cascade { error, root, via };
        }
        if let Some(j) = self.skipped_rows_needed(i, &error) {
            return State::Cascade {
                error,
                root: j,
                via: j,
            };
        }
        let mut verdict = categorize(&self.statements[i], &error);
        if verdict.category == crate::diagnostics::Category::UndefinedTable {
            if let Some(help) = self.created_out_of_sight(i, &error) {
                verdict.help = help;
            }
        }
        State::Failed(error, verdict)
    }

    /// The root cause a statement that needs what statement `j` creates fails behind, if `j`
    /// did not create it: `j` itself when it failed without a fix or waits for a later
    /// definition, or pgspec chose not to run it (not the author's error here); `j`'s own root
    /// when `j` is a cascade.
    fn root_behind(&self, j: usize) -> Option<usize> {
        match &self.states[j] {
            // A root that applied with its fix created what it should have, unless the
            // assumption left the statement out.
            State::Failed(..) if self.assumed_left_out.contains(&j) => Some(j),
            State::Failed(..)
                if self.applied_fixes.contains(&j) || self.assumed.contains_key(&j) =>
            {
                None
            }
            State::Failed(..) | State::Deferred(_) => Some(j),
            State::Cascade { root, .. } => Some(*root),
            State::Skipped(reason) if !reason.is_empty() => Some(j),
            _ => None,
        }
    }

    /// A column statement `i` does not find (42703) that an `ALTER TABLE … ADD COLUMN` of a
    /// table `i` uses would have added, had it not failed: a cascade of that statement.
    fn column_of_failed_alter(&self, i: usize, error: &PgDetails) -> Option<State> {
        if error.sqlstate != "42703" {
            return None;
        }
        let uses = |table: &str| {
            self.statements[i]
                .facts
                .references
                .iter()
                .chain(&self.statements[i].facts.creates)
                .any(|o| o.kind == ObjectKind::Relation && o.name == table)
        };
        let missing = categorize::missing_names(error);
        for (j, stmt) in self.statements.iter().enumerate() {
            if j == i {
                continue;
            }
            for (table, column) in added_columns(stmt) {
                if !uses(&table) || !missing.iter().any(|(_, m)| *m == column) {
                    continue;
                }
                if let Some(root) = self.root_behind(j) {
                    return Some(State::Cascade {
                        error: error.clone(),
                        root,
                        via: j,
                    });
                }
            }
        }
        None
    }

    /// For a table statement `i` does not find although an earlier statement created it: where
    /// it was created, and why it is out of sight (a `search_path` the document set, as
    /// `pg_dump`'s `set_config('search_path', '', false)` does, or another schema).
    fn created_out_of_sight(&self, i: usize, error: &PgDetails) -> Option<String> {
        categorize::missing_names(error)
            .into_iter()
            .find_map(|(_, name)| {
                let j = *self.creators.get(&name)?.iter().find(|&&j| {
                    j != i && matches!(self.states[j], State::Applied | State::AppliedLate { .. })
                })?;
                let created = self.statements[j]
                    .facts
                    .creates
                    .iter()
                    .find(|o| o.name == name)?;
                let qualified = match &created.schema {
                    Some(schema) => format!("{schema}.{name}"),
                    None => name.clone(),
                };
                let absent = self.absent_path_schema(i).map_or_else(String::new, |schema| {
                    format!(
                        "; the `search_path` in force names the schema `{schema}`, which no statement of the document that applied creates (the one meant to create it failed, or creates it with dynamic SQL): the name may be meant to be found there"
                    )
                });
                Some(format!(
                    "line {} creates `{qualified}`, but it is not visible here: the `search_path` in force leaves its schema out (a `SET search_path` or `set_config('search_path', …)` earlier in the document, as in a pasted `pg_dump`), or the name here is qualified with another schema; qualify the name (`{qualified}`) or set the `search_path` back{absent}",
                    self.line_of(&self.statements[j])
                ))
            })
    }

    /// A schema of the `search_path` the document set before statement `i` that no statement
    /// of the document that applied creates (`SET search_path TO m_acme, core` where the
    /// block that creates `m_acme` failed).
    fn absent_path_schema(&self, i: usize) -> Option<String> {
        let path = crate::sql::search_path::search_path_before(
            self.statements,
            self.statements[i].range.start,
        )?;
        let created = |schema: &str| {
            self.statements.iter().enumerate().any(|(j, s)| {
                matches!(self.states[j], State::Applied | State::AppliedLate { .. })
                    && s.facts
                        .creates
                        .iter()
                        .any(|o| o.kind == ObjectKind::Schema && o.name == schema)
            })
        };
        path.split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| {
                !s.is_empty()
                    && !matches!(s.as_str(), "$user" | "public" | "pg_catalog" | "pg_temp")
            })
            .find(|s| !created(s))
    }
}

/// The table whose row a foreign key violation found missing, as the server names it
/// (`Key (plan_id)=(1) is not present in table "plans".`).
fn missing_rows_table(err: &PgDetails) -> Option<String> {
    if err.sqlstate != "23503" {
        return None;
    }
    err.detail
        .as_deref()
        .filter(|d| d.contains("is not present in table"))
        .and_then(|d| categorize::quoted_names(d).into_iter().last())
}

/// The table an INSERT or COPY … FROM fills (lowercase, unqualified), from its tree.
fn inserted_table(stmt: &Statement) -> Option<String> {
    match stmt.first_node()? {
        NodeEnum::InsertStmt(insert) => insert.relation.as_ref().map(|r| r.relname.to_lowercase()),
        NodeEnum::CopyStmt(copy) if copy.is_from => {
            copy.relation.as_ref().map(|r| r.relname.to_lowercase())
        }
        _ => None,
    }
}

/// `(table, column)` of each column an `ALTER TABLE … ADD COLUMN` statement adds (the table
/// unqualified).
fn added_columns(stmt: &Statement) -> Vec<(String, String)> {
    let Some(NodeEnum::AlterTableStmt(alter)) = stmt.first_node() else {
        return Vec::new();
    };
    let Some(table) = alter.relation.as_ref() else {
        return Vec::new();
    };
    alter
        .cmds
        .iter()
        .filter_map(|cmd| match &cmd.node {
            Some(NodeEnum::AlterTableCmd(cmd))
                if cmd.subtype == crate::sql::ast::pb::AlterTableType::AtAddColumn as i32 =>
            {
                match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                    Some(NodeEnum::ColumnDef(def)) => {
                        Some((table.relname.clone(), def.colname.clone()))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}
