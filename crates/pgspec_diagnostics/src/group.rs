//! Findings that share one cause, shown as one: the default human layout of `check`.
//!
//! A forward reference belongs with the statement it waits for, and a cascade with the
//! failure it follows; findings of one code with one cause (the same PostgreSQL message, the
//! same type choice of an ERD, the same lint rule) are one decision, listed by their lines.
//! The layout keeps within a line budget: errors first and in full, then the other causes in
//! full when they all fit, else one line each.

use std::collections::HashMap;

use crate::render::{render_concise, render_full, Source};
use crate::text::TextRange;
use crate::{Code, Diagnostic, Severity};

/// Line numbers listed after a group's lead before the list is cut short.
const LISTED_LINES: usize = 24;
/// Width at which a list of lines wraps.
const WRAP: usize = 100;

/// Findings with one cause.
#[derive(Debug)]
pub struct CauseGroup<'a> {
    /// The finding shown for the group: the most severe, then the first in the document.
    pub lead: &'a Diagnostic,
    /// The other findings of the cause, in document order.
    pub more: Vec<&'a Diagnostic>,
    /// Statements that failed only because of this one (cascades, info findings).
    pub cascades: Vec<&'a Diagnostic>,
    /// Whether the group is a chain of statements waiting for one root (forward references).
    pub chained: bool,
}

impl CauseGroup<'_> {
    /// How many findings the group stands for (cascades not counted).
    pub fn len(&self) -> usize {
        1 + self.more.len()
    }

    /// Never: a group has its lead.
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Waits for (or follows) the statement starting at this offset.
    Root(u32),
    /// One code, one severity, one cause.
    Same(Code, Severity, String),
}

/// The statement `d` ultimately waits for: its root, or its root's root when the root itself
/// waits for another statement.
fn final_root(d: &Diagnostic, all: &[&Diagnostic]) -> Option<TextRange> {
    let mut root = d.root?;
    // Bounded: a cycle of roots cannot loop.
    for _ in 0..all.len() {
        let next = all
            .iter()
            .filter(|e| root.contains(e.primary.range.start))
            .find_map(|e| e.root.filter(|r| *r != root));
        match next {
            Some(n) => root = n,
            None => break,
        }
    }
    Some(root)
}

fn key(d: &Diagnostic, all: &[&Diagnostic]) -> Key {
    if let Some(root) = final_root(d, all) {
        return Key::Root(root.start);
    }
    let cause = d
        .cause
        .clone()
        .or_else(|| {
            d.postgres
                .as_ref()
                .map(|p| format!("{} {}", p.sqlstate, p.message))
        })
        .unwrap_or_default();
    Key::Same(d.code, d.severity, cause)
}

/// The findings above info level grouped by cause, errors first, then by position; each
/// cascade (hidden by default) attached to the group of the failure it follows.
pub fn group_by_cause(diagnostics: &[Diagnostic]) -> Vec<CauseGroup<'_>> {
    let mut shown: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity > Severity::Info)
        .collect();
    shown.sort_by_key(|d| (d.primary.range.start, d.primary.range.end));
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut members: Vec<(Key, Vec<&Diagnostic>)> = Vec::new();
    for d in &shown {
        let k = key(d, &shown);
        match index.get(&k) {
            Some(&i) => members[i].1.push(d),
            None => {
                index.insert(k.clone(), members.len());
                members.push((k, vec![d]));
            }
        }
    }
    let mut groups: Vec<CauseGroup<'_>> = members
        .into_iter()
        .map(|(k, mut list)| {
            let lead_at = list
                .iter()
                .enumerate()
                .max_by_key(|(i, d)| (d.severity, std::cmp::Reverse(*i)))
                .map_or(0, |(i, _)| i);
            let lead = list.remove(lead_at);
            CauseGroup {
                lead,
                more: list,
                cascades: Vec::new(),
                chained: matches!(k, Key::Root(_)),
            }
        })
        .collect();
    for c in diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Info && d.code == Code::Cascade)
    {
        let Some(root) = c.root else { continue };
        // The failed statement's own finding, not a warning that happens to sit inside the
        // same statement (a drift note on one of its columns): the most severe match wins.
        let home = groups
            .iter_mut()
            .filter_map(|g| {
                std::iter::once(g.lead)
                    .chain(g.more.iter().copied())
                    .filter(|d| root.contains(d.primary.range.start))
                    .map(|d| d.severity)
                    .max()
                    .map(|severity| (severity, g))
            })
            .fold(
                None,
                |best: Option<(Severity, &mut CauseGroup<'_>)>, (s, g)| match best {
                    Some((b, _)) if b >= s => best,
                    _ => Some((s, g)),
                },
            )
            .map(|(_, g)| g);
        if let Some(g) = home {
            g.cascades.push(c);
        }
    }
    groups.sort_by_key(|g| {
        (
            std::cmp::Reverse(g.lead.severity),
            g.lead.primary.range.start,
        )
    });
    groups
}

/// `prefix` followed by the line numbers of `findings`, wrapped, at most [`LISTED_LINES`].
fn line_list(source: &Source<'_>, prefix: &str, findings: &[&Diagnostic]) -> Vec<String> {
    let mut numbers: Vec<u32> = findings
        .iter()
        .map(|d| source.line_index.line(d.primary.range.start))
        .collect();
    numbers.dedup();
    let mut items: Vec<String> = numbers
        .iter()
        .take(LISTED_LINES)
        .map(u32::to_string)
        .collect();
    if numbers.len() > LISTED_LINES {
        items.push(format!("… and {} more", numbers.len() - LISTED_LINES));
    }
    let mut lines = Vec::new();
    let mut line = format!(
        "{prefix}, at line{}",
        if numbers.len() == 1 { "" } else { "s" }
    );
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if line.chars().count() + 1 + piece.chars().count() > WRAP
            && !line.ends_with("line")
            && !line.ends_with("lines")
        {
            lines.push(line);
            line = "      ".to_string();
            line.push_str(&piece);
        } else {
            line.push(' ');
            line.push_str(&piece);
        }
    }
    lines.push(line);
    lines
}

/// What a group adds below its lead: the lines of its other findings and of its cascades.
fn follow_lines(source: &Source<'_>, g: &CauseGroup<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if !g.more.is_empty() {
        let n = g.more.len();
        let prefix = if g.chained {
            format!(
                "note: {n} more {} on it",
                plural(n, "statement depends", "statements depend")
            )
        } else {
            format!("note: {n} more like this")
        };
        out.extend(line_list(source, &prefix, &g.more));
    }
    if !g.cascades.is_empty() {
        let n = g.cascades.len();
        let prefix = format!(
            "note: {n} {} only because of this (cascades)",
            plural(n, "statement fails", "statements fail")
        );
        out.extend(line_list(source, &prefix, &g.cascades));
    }
    out
}

fn plural<'s>(n: usize, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn full_block(source: &Source<'_>, g: &CauseGroup<'_>, styled: bool) -> String {
    let mut text = render_full(source, g.lead, styled);
    for line in follow_lines(source, g) {
        text.push('\n');
        text.push_str(&line);
    }
    text.push_str("\n\n");
    text
}

fn concise_block(source: &Source<'_>, g: &CauseGroup<'_>) -> String {
    let mut text = render_concise(source, g.lead);
    text.push('\n');
    for line in follow_lines(source, g) {
        // Indented under the finding, without the `note:` of the full layout.
        text.push_str("    ");
        text.push_str(line.trim_start_matches("note: ").trim_start());
        text.push('\n');
    }
    text
}

fn line_count(text: &str) -> usize {
    text.matches('\n').count()
}

/// The findings of one document grouped by cause, in at most `max_lines` lines: errors in
/// full (as many as fit), then each lower severity in full when all its groups fit, else one
/// line per group; a last line says what was folded and that `--verbose` shows everything.
pub fn render_grouped(
    source: &Source<'_>,
    diagnostics: &[Diagnostic],
    styled: bool,
    max_lines: usize,
) -> String {
    let groups = group_by_cause(diagnostics);
    if groups.is_empty() {
        return String::new();
    }
    let findings: usize = groups.iter().map(CauseGroup::len).sum();
    let hidden_info = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Info)
        .count();
    let full: Vec<String> = groups
        .iter()
        .map(|g| full_block(source, g, styled))
        .collect();
    let concise: Vec<String> = groups.iter().map(|g| concise_block(source, g)).collect();
    let all_full: usize = full.iter().map(|t| line_count(t)).sum();
    let folded = findings > groups.len() || hidden_info > 0;
    // Everything in full, with a note when something was folded.
    if all_full + usize::from(folded) <= max_lines {
        let mut out: String = full.concat();
        if folded {
            out.push_str(&footer(findings, groups.len(), hidden_info, false));
        }
        return out;
    }
    // The footer line is always printed from here on.
    let budget = max_lines.saturating_sub(1);
    let mut use_full = vec![false; groups.len()];
    let mut i = 0;
    let mut used = 0;
    while i < groups.len() {
        let severity = groups[i].lead.severity;
        let end = groups[i..]
            .iter()
            .position(|g| g.lead.severity != severity)
            .map_or(groups.len(), |n| i + n);
        let rest_concise: usize = concise[end..].iter().map(|t| line_count(t)).sum();
        let tier_full: usize = full[i..end].iter().map(|t| line_count(t)).sum();
        if used + tier_full + rest_concise <= budget {
            use_full[i..end].fill(true);
            used += tier_full;
        } else if severity == Severity::Error {
            // Errors come first and in full as far as they fit.
            for j in i..end {
                let after: usize = concise[j + 1..].iter().map(|t| line_count(t)).sum();
                if used + line_count(&full[j]) + after <= budget {
                    use_full[j] = true;
                    used += line_count(&full[j]);
                } else {
                    used += line_count(&concise[j]);
                }
            }
        } else {
            used += concise[i..end].iter().map(|t| line_count(t)).sum::<usize>();
        }
        i = end;
    }
    let mut out = String::new();
    let mut printed = 0;
    let mut left_out = (0, 0);
    for (j, g) in groups.iter().enumerate() {
        let block = if use_full[j] { &full[j] } else { &concise[j] };
        // A concise block after a full one is set off by nothing: full blocks end blank.
        if printed + line_count(block) > budget {
            left_out.0 += 1;
            left_out.1 += g.len();
            continue;
        }
        printed += line_count(block);
        out.push_str(block);
    }
    if left_out.0 > 0 {
        out.push_str(&format!(
            "… {} more causes ({} findings) not shown; `--verbose` shows every finding\n",
            left_out.0, left_out.1
        ));
    } else {
        out.push_str(&footer(findings, groups.len(), hidden_info, true));
    }
    out
}

fn footer(findings: usize, causes: usize, hidden_info: usize, condensed: bool) -> String {
    let mut line = format!("{findings} findings from {causes} causes");
    if condensed {
        line.push_str(", the less severe on one line each");
    }
    if hidden_info > 0 {
        line.push_str(&format!(", {hidden_info} info findings hidden"));
    }
    line.push_str("; `--verbose` shows every finding in full\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LineIndex;
    use crate::Category;

    fn text() -> String {
        (1..=40).map(|i| format!("line {i}\n")).collect::<String>()
    }

    fn at(line_index: &LineIndex, line: u32) -> TextRange {
        let start = line_index.line_start(line).expect("line exists");
        TextRange::new(start, start + 4)
    }

    fn drift(li: &LineIndex, line: u32, cause: &str) -> Diagnostic {
        Diagnostic::new(
            Code::TypeMismatch,
            Category::Drift,
            format!("type at line {line}"),
            at(li, line),
        )
        .cause(cause)
    }

    #[test]
    fn one_type_choice_is_one_group_and_another_choice_is_its_own() {
        let t = text();
        let li = LineIndex::new(&t);
        let ds = vec![
            drift(&li, 3, "timestamp -> timestamptz"),
            drift(&li, 5, "integer -> bigint"),
            drift(&li, 7, "timestamp -> timestamptz"),
            drift(&li, 9, "timestamp -> timestamptz"),
        ];
        let groups = group_by_cause(&ds);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), 3);
        assert_eq!(groups[0].lead.message, "type at line 3");
        assert_eq!(groups[1].len(), 1);
    }

    #[test]
    fn errors_lead_and_a_chain_of_forward_references_folds_into_its_root() {
        let t = text();
        let li = LineIndex::new(&t);
        let root_stmt = at(&li, 30);
        let waiting = at(&li, 10);
        let mut first = Diagnostic::new(
            Code::ForwardReference,
            Category::ForwardReference,
            "defined later at line 30",
            waiting,
        );
        first.root = Some(root_stmt);
        let mut second = Diagnostic::new(
            Code::ForwardReference,
            Category::ForwardReference,
            "uses line 10",
            at(&li, 12),
        );
        second.root = Some(waiting);
        let error = Diagnostic::new(
            Code::StatementRejected,
            Category::Syntax,
            "syntax error",
            at(&li, 20),
        );
        let mut cascade = Diagnostic::new(
            Code::Cascade,
            Category::Cascade,
            "fails because line 20 failed",
            at(&li, 25),
        );
        cascade.root = Some(at(&li, 20));
        let ds = vec![first, second, error, cascade];
        let groups = group_by_cause(&ds);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].lead.severity, Severity::Error);
        assert_eq!(groups[0].cascades.len(), 1);
        assert!(groups[1].chained);
        assert_eq!(groups[1].len(), 2);
        let source = Source {
            path: "doc.md",
            text: &t,
            line_index: &li,
        };
        let out = render_grouped(&source, &ds, false, 120);
        assert!(
            out.contains("note: 1 statement fails only because of this (cascades), at line 25"),
            "{out}"
        );
        assert!(
            out.contains("note: 1 more statement depends on it, at line 12"),
            "{out}"
        );
        assert!(
            out.ends_with("; `--verbose` shows every finding in full\n"),
            "{out}"
        );
    }

    #[test]
    fn a_cascade_joins_the_failure_of_its_statement_not_a_warning_inside_it() {
        let t = text();
        let li = LineIndex::new(&t);
        // One statement over lines 20..28: a drift warning on its line 22 comes first in the
        // document, PostgreSQL's rejection points at its line 24.
        let statement = TextRange::new(at(&li, 20).start, at(&li, 28).end);
        let warning = drift(&li, 22, "a column the ERD does not declare");
        let error = Diagnostic::new(
            Code::StatementRejected,
            Category::InvalidDefinition,
            "not supported",
            at(&li, 24),
        );
        let mut cascade = Diagnostic::new(
            Code::Cascade,
            Category::Cascade,
            "fails only because the statement at line 20 failed",
            at(&li, 32),
        );
        cascade.root = Some(statement);
        let ds = vec![warning, error, cascade];
        let groups = group_by_cause(&ds);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].lead.severity, Severity::Error);
        assert_eq!(groups[0].cascades.len(), 1, "{groups:#?}");
        assert!(groups[1].cascades.is_empty(), "{groups:#?}");
    }

    #[test]
    fn the_budget_holds_and_errors_stay_in_full() {
        let t = text();
        let li = LineIndex::new(&t);
        let mut ds: Vec<Diagnostic> = (1..=30)
            .map(|i| {
                Diagnostic::new(
                    Code::TypeMismatch,
                    Category::Drift,
                    format!("drift {i}"),
                    at(&li, i),
                )
                .cause(format!("choice {i}"))
            })
            .collect();
        ds.push(Diagnostic::new(
            Code::StatementRejected,
            Category::Syntax,
            "the error",
            at(&li, 35),
        ));
        let source = Source {
            path: "doc.md",
            text: &t,
            line_index: &li,
        };
        let out = render_grouped(&source, &ds, false, 40);
        assert!(out.lines().count() <= 40, "{out}");
        assert!(out.starts_with("error[PG001"), "{out}");
        assert!(
            out.contains("doc.md:1:1: warning[DRF005] drift 1 (drift)"),
            "{out}"
        );
        let tight = render_grouped(&source, &ds, false, 20);
        assert!(tight.lines().count() <= 20, "{tight}");
        assert!(tight.contains("more causes"), "{tight}");
    }

    #[test]
    fn a_long_list_of_lines_wraps_and_is_cut_short() {
        let t = text();
        let li = LineIndex::new(&t);
        let ds: Vec<Diagnostic> = (1..=40).map(|i| drift(&li, i, "same")).collect();
        let source = Source {
            path: "doc.md",
            text: &t,
            line_index: &li,
        };
        let out = render_grouped(&source, &ds, false, 120);
        assert!(
            out.contains("note: 39 more like this, at lines 2, 3,"),
            "{out}"
        );
        assert!(out.contains("… and 15 more"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= WRAP), "{out}");
    }
}
