//! Privileged operations: what pgspec may run for a statement (decided once from its parse
//! tree), the rebuilt operation it runs instead of the document's text, and the superuser
//! statements a fix needs first.

use crate::diagnostics::PgDetails;
use crate::postgres::{ClusterError, Outcome, PrivilegeCheck};
use crate::sql::safety::{self, PrivilegedOp, Safety};
use crate::sql::{Statement, StatementKind};

use super::fixes;
use super::report::SqlEntry;
use super::state::{survive_lost_connection, Engine};

impl Engine<'_> {
    /// Run what a fix needs first as superuser (CREATE EXTENSION/ROLE), once each; false when
    /// the server refused.
    pub(super) fn run_superuser_prelude(
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
            match self.session.privilege_check(&op)? {
                PrivilegeCheck::Refuse(_) => return Ok(false),
                PrivilegeCheck::AlreadyInPlace => self.note_in_place(&op),
                PrivilegeCheck::Run => {
                    if let Outcome::Failed { .. } = self.apply_privileged(&op)? {
                        return Ok(false);
                    }
                }
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

    /// Remember what an operation found in place means for later statements: the server's
    /// pg_cron serves the document from now on.
    pub(super) fn note_in_place(&mut self, op: &PrivilegedOp) {
        if matches!(op, PrivilegedOp::CreateExtension { name, .. } if name == "pg_cron") {
            self.cron_declared = true;
        }
    }

    /// A privileged operation pgspec rebuilt from the statement (an extension that is not
    /// installed is reported as such, without asking the server).
    pub(super) fn apply_privileged(&mut self, op: &PrivilegedOp) -> Result<Outcome, ClusterError> {
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
}

/// What pgspec may do with a statement of the document in `database`: not-SQL is never run;
/// a cron schedule whose command would be refused is refused itself.
pub(super) fn statement_safety(stmt: &Statement, database: &str) -> Safety {
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
