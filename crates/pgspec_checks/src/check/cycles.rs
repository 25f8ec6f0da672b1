//! Tables that reference each other: neither CREATE TABLE can run first. The first of them is
//! created without its foreign keys into the cycle, the others then apply, and the moved
//! constraints are added with ALTER TABLE once both tables exist (a safe fix, reported).

use std::collections::HashSet;

use crate::diagnostics::Category;
use crate::postgres::{ClusterError, Outcome};
use crate::sql::ObjectKind;

use super::categorize::categorize;
use super::report::SqlEntry;
use super::rewrites;
use super::state::{survive_lost_connection, Engine, State};

impl Engine<'_> {
    /// Break one reference cycle among the statements still deferred: returns whether a
    /// statement changed state (then the caller retries the others and runs the moved
    /// constraints).
    pub(super) fn break_cycle(&mut self) -> Result<bool, ClusterError> {
        for i in 0..self.statements.len() {
            let State::Deferred(err) = &self.states[i] else {
                continue;
            };
            if self.pending_fixes.contains_key(&i) || self.cycle_broken.contains(&i) {
                continue;
            }
            let err = err.clone();
            let State::Cascade { root, .. } = self.final_failure(i, err.clone()) else {
                continue;
            };
            if !matches!(self.states[root], State::Deferred(_)) {
                continue;
            }
            // The tables this statement references that only waiting statements create.
            let stmt = &self.statements[i];
            let waiting_creators = |name: &str| -> Vec<usize> {
                self.creators
                    .get(name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&j| j != i && matches!(self.states[j], State::Deferred(_)))
                    .collect()
            };
            let mut targets = HashSet::new();
            let mut last_creator = None;
            for (_, fk) in stmt
                .ast()
                .map(crate::sql::tables::declared_foreign_keys)
                .unwrap_or_default()
            {
                let creators = waiting_creators(&fk.target);
                if creators.is_empty() {
                    continue;
                }
                let creates_table = creators.iter().any(|&j| {
                    self.statements[j]
                        .facts
                        .creates
                        .iter()
                        .any(|o| o.kind == ObjectKind::Relation && o.name == fk.target)
                });
                if creates_table {
                    last_creator = last_creator.max(creators.iter().copied().max());
                    targets.insert(fk.target);
                }
            }
            let Some(last) = last_creator else {
                continue;
            };
            let insert_after = self.statements[last].range.end;
            let Some(mut plan) =
                rewrites::move_foreign_keys_out(self.doc, stmt, &targets, insert_after)
            else {
                continue;
            };
            if stmt.generated().is_some() {
                plan.fix.edits.clear();
            }
            let Some(text) = plan.replacement.clone() else {
                continue;
            };
            let other_line = self.line_of(&self.statements[last]);
            let mut verdict = categorize(stmt, &err);
            verdict.category = Category::ForwardReference;
            verdict.help = format!(
                "this table and the one at line {other_line} reference each other: neither \
                 CREATE TABLE can run first; create this one without the FOREIGN KEY and add it \
                 with `ALTER TABLE … ADD … FOREIGN KEY …` after line {other_line}"
            );
            match survive_lost_connection(self.session.apply(&text))? {
                Outcome::Applied { .. } => {
                    verdict.help.push_str(
                        "; pgspec checked the rest of the document as if this were fixed",
                    );
                    self.log.push(SqlEntry {
                        line: Some(self.line_of(stmt)),
                        note: Some(format!("fixed: {}", plan.fix.title)),
                        sql: text,
                    });
                    self.applied_fixes.insert(i);
                    self.moved_constraints
                        .extend(plan.after.iter().map(|sql| (i, sql.clone())));
                }
                Outcome::Failed { error, .. } => {
                    let behind = categorize(&stmt.with_text(text), &error);
                    self.behind.insert(i, (error, behind));
                }
            }
            self.cycle_broken.insert(i);
            self.fixes.insert(i, plan.fix);
            self.states[i] = State::Failed(err, verdict);
            return Ok(true);
        }
        Ok(false)
    }

    /// Add the foreign keys moved out of a cycle, now that the tables they join exist (or
    /// record why one still fails, as the error behind its statement's fix).
    pub(super) fn run_moved_constraints(&mut self) -> Result<(), ClusterError> {
        for (i, sql) in std::mem::take(&mut self.moved_constraints) {
            let stmt = &self.statements[i];
            match survive_lost_connection(self.session.apply(&sql))? {
                Outcome::Applied { .. } => {
                    let title = self
                        .fixes
                        .get(&i)
                        .map_or_else(String::new, |f| f.title.clone());
                    self.log.push(SqlEntry::added(
                        &sql,
                        format!("moved out by pgspec: {title}"),
                        self.line_of(stmt),
                    ));
                }
                Outcome::Failed { error, .. } => {
                    let behind = categorize(&stmt.with_text(sql), &error);
                    self.behind.entry(i).or_insert((error, behind));
                }
            }
        }
        Ok(())
    }

    /// Whether statement `i` waited only for an earlier statement `j` that a broken cycle held
    /// back (`j` is the statement pgspec fixed, or applied in its place in document order):
    /// once the document is fixed, `i` applies in document order.
    pub(super) fn applied_by_breaking_cycle(&self, i: usize, j: Option<usize>) -> bool {
        !self.cycle_broken.is_empty()
            && j.is_some_and(|j| {
                j < i
                    && (self.cycle_broken.contains(&j) || matches!(self.states[j], State::Applied))
            })
    }
}
