//! Checking the rest of a document as if a root cause were fixed: plan the fix, run its fixed
//! text on the scratch database, and chain a second fix when the fixed text fails again.

use crate::diagnostics::{Applicability, Category, Fix, PgDetails};
use crate::postgres::{ClusterError, Outcome};
use crate::sql::safety::{self, Safety};
use crate::sql::{ObjectKind, Statement, StatementKind};

use super::categorize::{categorize, Verdict};
use super::fixes;
use super::report::SqlEntry;
use super::state::{survive_lost_connection, Engine, State};
use super::validation::{validation_mode, Validation};

impl Engine<'_> {
    /// Apply the safe fix for a root cause on the scratch database and run the statement (or
    /// its fixed text) again, so that what depends on it is checked too. The statement stays
    /// `Failed`: the document still has the bug. A different error after the fix is recorded
    /// as the error behind it.
    pub(super) fn as_if_fixed(
        &mut self,
        i: usize,
        err: PgDetails,
        verdict: Verdict,
    ) -> Result<State, ClusterError> {
        let stmt = self.statements[i].clone();
        let Some(plan) = self.plan_fix(i, &stmt, &err, &verdict)? else {
            return Ok(State::Failed(err, verdict));
        };
        if !self.may_apply(&plan.fix) {
            self.fixes.insert(i, plan.fix);
            return Ok(State::Failed(err, verdict));
        }
        if !self.run_superuser_prelude(i, &plan)? {
            return Ok(State::Failed(err, verdict));
        }
        self.run_fixed(i, plan, err, verdict)
    }

    /// Whether pgspec applies `fix` on the database: safe fixes always; behaviour-changing fixes
    /// and assumptions in `up`, and in `check` to go on behind the root cause (unless told not
    /// to assume: `up --strict`).
    fn may_apply(&self, fix: &crate::diagnostics::Fix) -> bool {
        match fix.applicability {
            Applicability::Safe => true,
            Applicability::Assumption => self.options.assume,
            Applicability::Unsafe | Applicability::DisplayOnly => {
                self.options.apply_unsafe_fixes || self.options.assume
            }
        }
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
        self.fix_context.view_used_before = err.sqlstate == "42P16" && self.used_before(i);
        // Read only when a boolean column was given an integer (rare), not for every check.
        if err.sqlstate == "42804" {
            self.fix_context.boolean_columns =
                super::rewrites::declared_boolean_columns(self.statements);
        }
        let mut plan = fixes::plan(self.doc, stmt, err, verdict, &self.fix_context);
        if plan.is_none() && self.options.assume {
            return self.plan_assumption(i, stmt, err, verdict);
        }
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

    /// Run the fixed text of statement `i`. When the fixed text waits for a later definition,
    /// the statement is deferred with its plan and retried like any forward reference.
    pub(super) fn run_fixed(
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
        // Parsed once: for its safety, and to tell whether running it may leave a transaction
        // block to close.
        let tree = crate::sql::ast::parse(&text);
        let text_safety = match &tree {
            Some(tree) => safety::assess_tree(tree, Some(self.session.database())),
            None => Safety::Document,
        };
        if !matches!(text_safety, Safety::Document) {
            // A fixed text is derived from the document's: it runs as the document or not at all.
            self.fixes.insert(i, plan.fix);
            return Ok(State::Failed(err, verdict));
        }
        for sql in &plan.before {
            let ran = matches!(
                safety::assess_in(sql, Some(self.session.database())),
                Safety::Document
            ) && matches!(
                survive_lost_connection(self.session.apply(sql))?,
                Outcome::Applied { .. }
            );
            if !ran {
                self.fixes.insert(i, plan.fix);
                return Ok(State::Failed(err, verdict));
            }
            self.log.push(SqlEntry::added(
                sql,
                format!("added by pgspec: {}", plan.fix.title),
                self.line_of(stmt),
            ));
        }
        let stmt = &self.statements[i];
        let again = match stmt.kind {
            // The fix removes the statement (an identical repeat, a dropped foreign key).
            _ if text.trim().is_empty() => Some(Outcome::Applied {
                notices: Vec::new(),
            }),
            StatementKind::Schema | StatementKind::Data => {
                let outcome =
                    survive_lost_connection(self.session.apply_parsed(&text, tree.as_deref()))?;
                Some(
                    self.with_owner_of_run(tree.as_deref(), outcome, &|session| {
                        session.apply_parsed(&text, tree.as_deref())
                    })?,
                )
            }
            // A schedule is validated again, now that the fix created what it needs.
            StatementKind::Operation if stmt.cron_schedule().is_some() => {
                Some(self.validate_cron_job(i)?)
            }
            _ => match validation_mode(stmt) {
                Validation::Prepare => Some(survive_lost_connection(self.session.prepare(&text))?),
                Validation::Execute => Some(survive_lost_connection(
                    self.session.apply_parsed(&text, tree.as_deref()),
                )?),
                Validation::None => None,
            },
        };
        match again {
            Some(Outcome::Applied { .. }) => {
                let stmt = &self.statements[i];
                let schedule =
                    stmt.kind == StatementKind::Operation && stmt.cron_schedule().is_some();
                if (stmt.kind == StatementKind::Schema
                    || stmt.kind == StatementKind::Data
                    || schedule)
                    && !text.trim().is_empty()
                {
                    // An assumption's title says "assume …" itself.
                    let prefix =
                        if plan.assumed || plan.fix.applicability == Applicability::Assumption {
                            ""
                        } else {
                            "fixed: "
                        };
                    let note = plan
                        .replacement
                        .as_ref()
                        .map(|_| format!("{prefix}{}", plan.fix.title));
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
                let applicability = plan.fix.applicability;
                let assumption = plan.assumed || applicability == Applicability::Assumption;
                if !assumption
                    && (applicability >= Applicability::Safe || self.options.apply_unsafe_fixes)
                {
                    verdict.help = format!(
                        "{}; pgspec checked the rest of the document as if this were fixed",
                        verdict.help
                    );
                    self.applied_fixes.insert(i);
                } else {
                    // Applied only so that what depends on it is checked (or, in `up`, built):
                    // the document still needs a person's decision or review.
                    verdict.help = format!(
                        "{}; pgspec {} assuming: {}",
                        verdict.help,
                        if self.options.apply_unsafe_fixes {
                            "brought the rest of the document up"
                        } else {
                            "checked what depends on it"
                        },
                        plan.fix.title
                    );
                    self.assumed.insert(i, plan.fix.title.clone());
                    if assumption {
                        self.assumptions.insert(i);
                        if text.trim().is_empty() {
                            self.assumed_left_out.insert(i);
                        }
                    }
                }
            }
            Some(Outcome::Failed { error, .. })
                if self.options.retry_forward_references
                    && self.is_forward_reference(i, &error) =>
            {
                self.pending_fixes.insert(i, (plan, err, verdict));
                return Ok(State::Deferred(error));
            }
            // The fixed text fails only because another statement failed (the table it
            // references): that statement is the root cause, reported at its own line, not a
            // second error of this one ("no source defines `employees`" where one does).
            Some(Outcome::Failed { error, .. })
                if matches!(self.final_failure(i, error.clone()), State::Cascade { .. }) => {}
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
                        .filter(|p| self.may_apply(&p.fix));
                    if let Some(next) = next {
                        let chained = fixes::FixPlan {
                            fix: Fix {
                                title: format!("{}; then {}", plan.fix.title, next.fix.title),
                                // The next fix is planned on pgspec's text, not the
                                // document's, so it is only shown: as a step of the chain it
                                // counts for what it changes.
                                // An assumption as a later step changes no edit: it makes
                                // the statement assumed instead.
                                applicability: plan.fix.applicability.min(
                                    match next.fix.applicability {
                                        Applicability::DisplayOnly => Applicability::Unsafe,
                                        Applicability::Assumption => Applicability::Safe,
                                        other => other,
                                    },
                                ),
                                edits: plan.fix.edits.clone(),
                            },
                            superuser_before: Vec::new(),
                            before: next.before.clone(),
                            replacement: Some(
                                next.replacement.clone().unwrap_or(behind_stmt.text.clone()),
                            ),
                            after: plan.after.iter().chain(&next.after).cloned().collect(),
                            chained: plan.chained + 1,
                            assumed: plan.assumed
                                || next.assumed
                                || next.fix.applicability == Applicability::Assumption,
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
}
