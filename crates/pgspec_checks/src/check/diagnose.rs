//! Turning the engine's verdicts into diagnostics and the check report: rejections, errors
//! found behind a fix, cascades, forward references and server notices.

use crate::diagnostics::{Applicability, Category, Code, Diagnostic, Label, PgDetails, Severity};
use crate::postgres::Notice;
use crate::sql::StatementKind;

use super::categorize::{self, categorize, Verdict};
use super::report::{CheckReport, StatementReport};
use super::state::{Engine, State};
use super::StatementStatus;

impl Engine<'_> {
    pub(super) fn finish(self, earlier: Vec<Diagnostic>) -> CheckReport {
        let mut diagnostics = earlier;
        let mut reports = Vec::with_capacity(self.statements.len());
        let behind_assumption = self.behind_assumptions();
        for (i, stmt) in self.statements.iter().enumerate() {
            let found_before = diagnostics.len();
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
                    } else if self.assumptions.contains(&i) && self.options.apply_unsafe_fixes {
                        StatementStatus::Assumed
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
                let proposal_pending = !self.assumptions.contains(&i)
                    && self.fixes.get(&i).is_some_and(|f| {
                        f.applicability == Applicability::Unsafe && !self.options.apply_unsafe_fixes
                    });
                if matches!(status, StatementStatus::Failed | StatementStatus::Assumed)
                    && !proposal_pending
                    && matches!(stmt.kind, StatementKind::Schema | StatementKind::Data)
                {
                    // When a fix went through but the fixed text failed again, that second
                    // error is what a person has to decide about.
                    let (err, verdict) = match self.behind.get(&i) {
                        Some((behind, behind_verdict)) => (behind, behind_verdict),
                        None => (err, verdict),
                    };
                    // The decision is the person's: without what pgspec did meanwhile (added to
                    // the help after "; pgspec …").
                    let mut own = verdict.clone();
                    if let Some(at) = own.help.find("; pgspec ") {
                        own.help.truncate(at);
                    }
                    let decision = categorize::decision(&own, err);
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
            if let Some(&j) = behind_assumption.get(&i) {
                let note = format!(
                    "found assuming {} at line {}",
                    // Assumptions' titles say "assume …" themselves.
                    self.assumed[&j]
                        .strip_prefix("assume ")
                        .unwrap_or(&self.assumed[&j]),
                    self.line_of(&self.statements[j])
                );
                // A behaviour-changing fix found only under an assumption holds only with it:
                // it is written with it (`fix --assume`), not before a person decides.
                let under_assumption = self.assumptions.contains(&j);
                for d in &mut diagnostics[found_before..] {
                    d.notes.push(note.clone());
                    if let Some(fix) = d
                        .fix
                        .as_mut()
                        .filter(|f| under_assumption && f.applicability == Applicability::Unsafe)
                    {
                        fix.applicability = Applicability::Assumption;
                    }
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

    /// For each statement that depends (directly, or through statements that depend) on one
    /// the database holds only as pgspec assumed it: that statement.
    fn behind_assumptions(&self) -> std::collections::HashMap<usize, usize> {
        let mut made_by: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for &j in self.assumed.keys() {
            for o in &self.statements[j].facts.creates {
                made_by.insert(o.name.as_str(), j);
            }
        }
        let mut behind = std::collections::HashMap::new();
        for (k, stmt) in self.statements.iter().enumerate() {
            // A function body is a string to the parser: the names its words use stand for the
            // references the tree does not list.
            let in_body = || {
                let lower = stmt.text.to_lowercase();
                made_by
                    .iter()
                    .filter(|(name, _)| !name.is_empty() && lower.contains("$$"))
                    .filter(|(name, _)| word_in(&lower, name))
                    .map(|(_, &j)| j)
                    .min()
            };
            let Some(j) = stmt
                .facts
                .references
                .iter()
                .find_map(|o| made_by.get(o.name.as_str()).copied().filter(|&j| j != k))
                .or_else(in_body)
                .filter(|&j| j != k)
            else {
                continue;
            };
            behind.insert(k, j);
            for o in &stmt.facts.creates {
                made_by.entry(o.name.as_str()).or_insert(j);
            }
        }
        behind
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
                "found by applying {} for the {} error at line {root_line} on the scratch database",
                match self.fixes.get(&i).map(|f| f.applicability) {
                    Some(Applicability::Assumption) => "pgspec's assumption",
                    Some(Applicability::Safe) | None => "the safe fix",
                    Some(_) => "the behaviour-changing fix",
                },
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
        // A root pgspec chose not to run is pgspec's doing, not the document's bug.
        let not_run = matches!(self.states[root], State::Skipped(_));
        let (message, help) = if not_run {
            (
                format!(
                    "fails only because pgspec did not run the statement at line {root_line}, which it depends on"
                ),
                format!(
                    "pgspec does not run the statement at line {root_line} for a document (see the finding there); where you run it yourself, this one should apply"
                ),
            )
        } else {
            (
                format!("fails only because the statement at line {root_line} failed"),
                format!("fix the statement at line {root_line}; this one should then apply"),
            )
        };
        let mut d = Diagnostic::new(
            Code::Cascade,
            Category::Cascade,
            message,
            // A cascade has no verdict of its own; its culprit is located the same way.
            self.error_range(stmt, err, categorize(stmt, err).focus),
        )
        .help(help)
        .note(format!(
            "postgres said: {} (SQLSTATE {})",
            err.message, err.sqlstate
        ))
        .secondary(Label::with_message(
            self.first_line(root_stmt),
            if not_run {
                "not run by pgspec"
            } else {
                "root cause"
            },
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
        // Sample data in the wrong order: rows that need rows a later INSERT makes.
        let rows = creator.is_some_and(|j| {
            self.statements[j].kind == crate::sql::StatementKind::Data
                && stmt.kind == crate::sql::StatementKind::Data
        });
        let (message, secondary) = match creator {
            Some(j) => {
                let line = self.line_of(&self.statements[j]);
                (
                    if rows {
                        format!("references rows that the statement at line {line} inserts later")
                    } else if j > i {
                        format!("uses an object defined later at line {line}")
                    } else {
                        format!(
                            "uses an object from line {line}, which applies only after reordering"
                        )
                    },
                    Some(Label::with_message(
                        self.first_line(&self.statements[j]),
                        if rows {
                            "inserted here"
                        } else {
                            "defined here"
                        },
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
        .help(if rows {
            "the statement applied after reordering; move it below the INSERT of the rows it references"
        } else {
            "the statement applied after reordering; move the definition above its first use"
        });
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

/// Whether `word` occurs in `text` on identifier boundaries.
fn word_in(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}
