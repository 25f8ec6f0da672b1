//! Validating what `check` does not apply: examples and operations are prepared or run by
//! their kind, and a `cron.schedule(...)` has its timing and its command checked.

use crate::diagnostics::PgDetails;
use crate::postgres::{ApplySession, ClusterError, Outcome};
use crate::sql::ast::Command;
use crate::sql::quote::quote_literal;
use crate::sql::{Statement, TopKind};

use super::categorize;
use super::state::{survive_lost_connection, Engine};

/// Messages of cron-job validation failures start with this (the reader's cue; the category
/// comes from the statement's tree).
const CRON_MESSAGE_PREFIX: &str = "cron job: ";

impl Engine<'_> {
    /// A `cron.schedule(...)` is not run (that would schedule it): its timing is checked the way
    /// pg_cron reads it and its command is prepared on the scratch database.
    pub(super) fn validate_cron_job(&mut self, i: usize) -> Result<Outcome, ClusterError> {
        let stmt = &self.statements[i];
        let failed = |message: String| Outcome::Failed {
            error: PgDetails {
                sqlstate: "22023".into(),
                message: format!("{}{message}", CRON_MESSAGE_PREFIX),
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
                        CRON_MESSAGE_PREFIX,
                        error.message
                    );
                }
                Outcome::Failed { error, notices }
            }
            applied => applied,
        })
    }
}

pub(super) enum Validation {
    /// Parse and analyze with the extended protocol; never executes.
    Prepare,
    /// Safe to execute in the scratch database (maintenance commands).
    Execute,
    /// Cannot be validated without side effects on the session.
    None,
}

/// How to validate a statement that `check` does not apply: from its parse tree; by its first
/// word only when the text does not parse (the server then gives the error).
pub(super) fn validation_mode(stmt: &Statement) -> Validation {
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
