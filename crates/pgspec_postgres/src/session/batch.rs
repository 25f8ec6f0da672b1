//! Applying a run of the document's statements in one round trip instead of one each.
//!
//! The statements go in one simple-protocol query, inside one transaction block, each in a
//! savepoint of its own and followed by a marker (`BEGIN` inside the block, which only warns
//! "there is already a transaction in progress"), so the server's replies say which statement
//! every notice belongs to and how far the batch got:
//!
//! ```sql
//! BEGIN;
//! SAVEPOINT pgspec_batch_0;
//! <statement 0>
//! ;SET CONSTRAINTS ALL IMMEDIATE;RELEASE SAVEPOINT pgspec_batch_0;BEGIN;
//! SAVEPOINT pgspec_batch_1;
//! …
//! ```
//!
//! When every statement applied and every marker arrived, a second round trip commits. When
//! statement `k` failed, the savepoint `pgspec_batch_k` must still exist (the earlier ones were
//! released): rolling back to it proves the markers told the truth, and the statements before
//! `k` are committed. Statement `k` keeps the batch's verdict when its error is about the
//! statement itself (its SQLSTATE class: a missing or duplicate object, bad data, a broken
//! constraint, an unsupported feature, …), with the error's position made relative to its
//! text, which is what it would report alone; and when it was stopped for time (running it
//! again would wait again). Any other error (about the transaction, locks, resources, or a
//! function's own `RAISE`, which may depend on the block around it) leaves statement `k` to
//! be run alone by the caller, so its verdict, notices and error position are exactly those
//! of a statement run by itself.
//! Whenever the replies do not add up, the whole transaction is rolled back and the caller
//! goes one statement at a time: nothing of a batch is kept that was not proven.
//!
//! Only statements that behave the same in a transaction block with a savepoint as alone in a
//! transaction of their own go into a batch ([`batchable`]); the caller decides which of those
//! the document's role may run at all (the safety checks are the caller's, unchanged).

use super::*;

use crate::sql::ast::{self, pb, NodeEnum};
use crate::sql::Statement;

/// At most this many statements go in one batch (a bound on the query string).
const MAX_STATEMENTS: usize = 400;
/// At most about this many bytes of statements go in one batch.
const MAX_BYTES: usize = 1 << 20;

/// The longest identifier PostgreSQL keeps; longer ones are truncated with a notice the
/// lexer sends before anything of the query string runs (so it could not be told apart).
const MAX_IDENTIFIER: usize = 63;

/// Settings a batched `SET` may change: none of them changes how the rest of the query string
/// was parsed, what the markers report, or who runs the statements.
const BATCHABLE_SETTINGS: &[&str] = &[
    "search_path",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "check_function_bodies",
    "row_security",
    "timezone",
    "datestyle",
    "intervalstyle",
    "default_table_access_method",
    "xmloption",
];

/// Whether the server's notice is a batch marker (`BEGIN` inside the batch's block).
pub(super) fn is_marker(notice: &Notice) -> bool {
    notice.sqlstate == "25001"
        && notice.severity == "WARNING"
        && notice.message == "there is already a transaction in progress"
}

/// Whether a statement behaves the same in a batch (a transaction block, a savepoint of its
/// own, the whole query string parsed before it runs) as alone in its own transaction: one
/// top-level statement of a kind that neither refuses a transaction block nor behaves
/// differently inside one, that runs no transaction control (a `DO` block or a procedure may
/// `COMMIT`), reads no `COPY` data, cannot make the session's later statements run
/// differently within the block (`SET LOCAL`, `set_config(…, true)` in a `SELECT`), and
/// whose text the lexer reads the same whatever the settings (no backslash, no identifier it
/// would truncate with a notice), and that gives no object to another role. Everything else
/// goes alone, as before.
pub fn batchable(stmt: &Statement) -> bool {
    if !stmt.facts.parses
        || stmt.text.contains('\\')
        || long_identifier(&stmt.text)
        || crate::sql::transactions::refused_in_transaction_block(stmt)
    {
        return false;
    }
    let Some(tree) = stmt.ast() else {
        return false;
    };
    // An owner change may need what pgspec grants when it fails (the check's owners stage).
    if ast::new_owner(tree).is_some() {
        return false;
    }
    let mut nodes = ast::top_nodes(tree);
    let (Some(node), None) = (nodes.next(), nodes.next()) else {
        return false;
    };
    match node {
        NodeEnum::CreateStmt(c) => {
            // `CREATE GLOBAL TEMPORARY` warns while the query string is parsed.
            c.relation.as_ref().is_none_or(|r| r.relpersistence != "t")
        }
        NodeEnum::IndexStmt(_)
        | NodeEnum::AlterTableStmt(_)
        | NodeEnum::CommentStmt(_)
        | NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::CreateFunctionStmt(_)
        | NodeEnum::CreateTrigStmt(_)
        | NodeEnum::ViewStmt(_)
        | NodeEnum::CreateSeqStmt(_)
        | NodeEnum::AlterSeqStmt(_)
        | NodeEnum::CreateEnumStmt(_)
        | NodeEnum::AlterEnumStmt(_)
        | NodeEnum::CompositeTypeStmt(_)
        | NodeEnum::CreateDomainStmt(_)
        | NodeEnum::AlterDomainStmt(_)
        | NodeEnum::CreateRangeStmt(_)
        | NodeEnum::DefineStmt(_)
        | NodeEnum::CreateSchemaStmt(_)
        | NodeEnum::GrantStmt(_)
        | NodeEnum::CreatePolicyStmt(_)
        | NodeEnum::AlterPolicyStmt(_)
        | NodeEnum::RuleStmt(_)
        | NodeEnum::CreateTableAsStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::RenameStmt(_)
        | NodeEnum::AlterObjectSchemaStmt(_)
        | NodeEnum::DropStmt(_)
        | NodeEnum::TruncateStmt(_)
        | NodeEnum::AlterFunctionStmt(_)
        | NodeEnum::CreateStatsStmt(_)
        | NodeEnum::AlterDefaultPrivilegesStmt(_) => true,
        NodeEnum::VariableSetStmt(set) => {
            use pb::VariableSetKind as K;
            !set.is_local
                && matches!(
                    K::try_from(set.kind),
                    Ok(K::VarSetValue | K::VarSetDefault | K::VarReset)
                )
                && BATCHABLE_SETTINGS.contains(&set.name.as_str())
        }
        _ => false,
    }
}

/// Whether `text` may hold an identifier longer than PostgreSQL keeps (a word, or a quoted
/// name, of more than 63 bytes). Errs on the side of yes: a long word in a string or a
/// comment counts too.
fn long_identifier(text: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii();
    if text
        .split(|c: char| !word(c))
        .any(|w| w.len() > MAX_IDENTIFIER)
    {
        return true;
    }
    let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    quotes.windows(2).any(|w| w[1] - w[0] > MAX_IDENTIFIER + 1)
}

/// Whether an error of SQLSTATE `sqlstate` says the same of a statement in a batch as of the
/// statement alone: classes about the statement and the objects and rows it works on (feature
/// not supported, data, integrity, syntax and access, check option, dependent privileges),
/// not about the transaction, resources, locks, the server or a function's own `RAISE`.
fn own_error(sqlstate: &str) -> bool {
    matches!(
        sqlstate.get(..2),
        Some("0A" | "22" | "23" | "2B" | "42" | "44")
    )
}

fn savepoint(k: usize) -> String {
    format!("pgspec_batch_{k}")
}

/// A batch's query string, and where (in characters, as the server counts positions) each
/// statement's text starts in it.
fn batch_text(statements: &[&Statement]) -> (String, Vec<usize>) {
    let mut sql = String::from("BEGIN;");
    let mut chars = sql.len();
    let mut starts = Vec::with_capacity(statements.len());
    for (k, stmt) in statements.iter().enumerate() {
        let open = format!("SAVEPOINT {};\n", savepoint(k));
        chars += open.len();
        sql.push_str(&open);
        starts.push(chars);
        chars += stmt.text.chars().count();
        sql.push_str(&stmt.text);
        // A newline first: the text may end in a `--` comment. Deferred constraints and
        // triggers fire before the savepoint goes, as they would at the statement's own
        // commit, so what they report (or refuse) belongs to the statement.
        let close = format!(
            "\n;SET CONSTRAINTS ALL IMMEDIATE;RELEASE SAVEPOINT {};BEGIN;",
            savepoint(k)
        );
        chars += close.len();
        sql.push_str(&close);
    }
    (sql, starts)
}

impl ApplySession {
    /// Apply the leading run of `statements` that can go together ([`batchable`]; at most a
    /// few hundred) as the document's role, in as few round trips as possible. Returns the
    /// verdicts of the statements that were judged, in order: a prefix of `statements`, every
    /// one applied (and committed) except possibly the last, which failed (for time, or with
    /// an error about itself). The statement after the prefix, if any, has not been judged (it
    /// failed otherwise, or cannot go in a batch, or the batch was given up): run it alone with
    /// [`Self::apply_statement`], then call this again for the rest. An empty result means
    /// nothing changed.
    ///
    /// What each judged statement reports (verdict, notices, error) is what it would have
    /// reported run alone, in order; see the module's notes for what makes that hold.
    pub fn apply_batch(&mut self, statements: &[Statement]) -> Result<Vec<Outcome>, ClusterError> {
        if self.batching_off {
            return Ok(Vec::new());
        }
        let mut bytes = 0;
        let run: Vec<&Statement> = statements
            .iter()
            .take(MAX_STATEMENTS)
            .take_while(|s| {
                bytes += s.text.len();
                bytes <= MAX_BYTES && batchable(s)
            })
            .collect();
        // One statement alone is as quick without the block.
        if run.len() < 2 {
            return Ok(Vec::new());
        }
        self.run_batch(&run)
    }

    fn run_batch(&mut self, statements: &[&Statement]) -> Result<Vec<Outcome>, ClusterError> {
        let n = statements.len();
        let (sql, starts) = batch_text(statements);
        self.last_error_context = None;
        let conn = &mut self.app;
        conn.take_notices();
        if let Some(after) = self.watchdog_after {
            self.deadline
                .arm_batch(conn.client.cancel_token(), conn.pid, after, n - 1);
        }
        let result = conn.client.batch_execute(&sql);
        let stopped = self.deadline.disarm();
        // Each statement's notices, up to the marker after it.
        let mut heard: Vec<Vec<Notice>> = vec![Vec::new()];
        for notice in conn.take_notices() {
            if is_marker(&notice) {
                heard.push(Vec::new());
            } else if let Some(last) = heard.last_mut() {
                last.push(notice);
            }
        }
        let markers = heard.len() - 1;
        let lost = conn.client.is_closed()
            || result
                .as_ref()
                .err()
                .and_then(|e| e.as_db_error())
                .is_some_and(|db| {
                    matches!(
                        db.parsed_severity(),
                        Some(postgres::error::Severity::Fatal | postgres::error::Severity::Panic)
                    )
                });
        if lost {
            return self.after_lost_connection(statements, markers, stopped);
        }
        match result {
            Ok(()) => {
                if markers != n || heard.last().is_some_and(|h| !h.is_empty()) {
                    return self.give_up(true);
                }
                if self.app.client.batch_execute("COMMIT").is_err() {
                    // Nothing is left to check at commit, yet it failed: nothing of the batch
                    // stays, and this session goes one statement at a time from now on.
                    return self.give_up(true);
                }
                self.app.take_notices();
                Ok(heard
                    .into_iter()
                    .take(n)
                    .map(|notices| Outcome::Applied { notices })
                    .collect())
            }
            Err(e) => {
                let Some(db) = e.as_db_error() else {
                    return self.give_up(false);
                };
                let k = markers;
                if k >= n {
                    return self.give_up(true);
                }
                let finish = format!("ROLLBACK TO SAVEPOINT {}; COMMIT", savepoint(k));
                if let Err(f) = self.app.client.batch_execute(&finish) {
                    let code = f.as_db_error().map(|d| d.code().code().to_string());
                    // 3B001: the savepoint the markers named does not exist (they lied).
                    let _ = self.give_up(code.as_deref() != Some("25P01"));
                    if code.as_deref() == Some("25P01") {
                        // No block was open: the query string did not parse, so nothing ran.
                        // Its error position names the statement; those before it go again.
                        let at = db
                            .position()
                            .and_then(|p| match p {
                                postgres::error::ErrorPosition::Original(p) => Some(*p as usize),
                                postgres::error::ErrorPosition::Internal { .. } => None,
                            })
                            .and_then(|p| starts.iter().rposition(|&s| s < p));
                        if let Some(k) = at.filter(|&k| k > 0 && k < n) {
                            return self.run_batch(&statements[..k]);
                        }
                    }
                    return Ok(Vec::new());
                }
                self.app.take_notices();
                let mut notices = heard;
                let last = notices.swap_remove(k);
                let mut outcomes: Vec<Outcome> = notices
                    .into_iter()
                    .take(k)
                    .map(|notices| Outcome::Applied { notices })
                    .collect();
                let mut error = pg_details(db);
                let length = statements[k].text.chars().count();
                let position = error
                    .position
                    .map(|p| (p as usize).checked_sub(starts[k]))
                    .map(|p| p.filter(|&p| p >= 1 && p <= length));
                // Stopped for time: run alone it would wait as long again. Otherwise the
                // batch's error is the statement's own when its kind cannot depend on the
                // transaction around it, and it points inside the statement.
                let stopped_for_time = db.code().code() == "57014";
                let about_itself =
                    own_error(&error.sqlstate) && position.is_none_or(|p| p.is_some());
                if !(stopped_for_time || about_itself) {
                    return Ok(outcomes);
                }
                error.position = position.flatten().and_then(|p| u32::try_from(p).ok());
                if let (Some(stop), None) = (stopped, &error.hint) {
                    error.hint = Some(stop.to_string());
                }
                let context = ErrorContext::from_db_error(db);
                self.last_error_context = (!context.is_empty()).then_some(context);
                outcomes.push(Outcome::Failed {
                    error,
                    notices: last,
                });
                Ok(outcomes)
            }
        }
    }

    /// The batch's connection ended (a statement ended its backend, or the watchdog did for a
    /// statement that ignored its cancel): its transaction is gone. The statements before the
    /// one that was running (the markers say which) go again, so the caller sees the database
    /// and session as if they had run one by one.
    fn after_lost_connection(
        &mut self,
        statements: &[&Statement],
        markers: usize,
        stopped: Option<Stop>,
    ) -> Result<Vec<Outcome>, ClusterError> {
        self.app.reconnect()?;
        let k = markers.min(statements.len());
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut outcomes = self.run_batch(&statements[..k])?;
        if let (true, Some(stop @ Stop::Terminated { .. })) = (outcomes.len() == k, stopped) {
            // Alone, the statement would be stopped the same way after the same wait, and
            // leave a fresh connection behind.
            self.app.reconnect()?;
            outcomes.push(ignored_cancel(stop));
        }
        Ok(outcomes)
    }

    /// Roll back whatever the batch left and report nothing judged. `distrust` stops batching
    /// for this session (its markers did not add up).
    fn give_up(&mut self, distrust: bool) -> Result<Vec<Outcome>, ClusterError> {
        let _ = self.app.client.batch_execute("ROLLBACK");
        self.app.take_notices();
        if distrust {
            self.batching_off = true;
        }
        Ok(Vec::new())
    }
}
