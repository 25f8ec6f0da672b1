//! Every fix the tests produce converges on a real PostgreSQL: for each document the tests use
//! that yields fixes (the `bad` docs examples of every code that `check` reports, the lint
//! fixtures, the seed documents), check and lint it as `pgspec check` does, apply its safe fixes
//! (then, from the start again, its safe and unsafe ones) as `pgspec fix` does, and check the
//! result again. Each pass must remove the findings it fixed, add no finding, and the passes must
//! reach a text that no further fix changes.
//!
//! Findings before and after a pass are compared through the pass's edits: each finding after
//! the pass is mapped back to the document before it and anchored to the statement (or, outside
//! SQL, the line) it points at there. Per code and anchor, a pass may not leave more findings
//! than there were before minus those it fixed. The one excuse is a statement in trouble before
//! the pass (it did not apply, or applied only after reordering): once its error is fixed the
//! server gets further into it, so its findings may change, and so may the cascade and
//! reordering verdicts of statements whose root it is (a fix that never gets anywhere repeats
//! and fails the pass limit instead).

use std::collections::BTreeMap;

use pgspec::check::{CheckOptions, CheckReport, StatementStatus};
use pgspec::diagnostics::{Applicability, Code, Diagnostic, Edit, Rule};
use pgspec::document::Document;
use pgspec::fix::apply_fixes;
use pgspec::lint::LintConfig;
use pgspec::pipeline;
use pgspec::postgres::Server;
use pgspec::sql::Statement;

use crate::check::seed_lock;
use crate::postgres::shared_cluster;
use crate::rules::{document, examples, Stage};

/// A pass may leave fixes whose edits overlapped an accepted one for the next pass, and a
/// statement whose error a pass fixed may reveal its next one; past this many passes the fixes
/// are chasing each other.
const MAX_PASSES: usize = 3;

/// Findings that fixes are known to add, not fixed yet: the document, the fix level, the start
/// of the problem as the test reports it, and why. The test fails when one no longer occurs (so
/// the entry goes with the fix).
const KNOWN_EXCEPTIONS: &[(&str, Applicability, &str, &str)] = &[];

struct Case {
    name: String,
    bytes: Vec<u8>,
}

/// One check of a document: what `pgspec check` reports, and the statements it ran.
struct Run {
    doc: Document,
    statements: Vec<Statement>,
    report: CheckReport,
}

/// Check and lint `bytes` as `pgspec check` and `pgspec fix` do.
fn check(bytes: &[u8]) -> Run {
    let _guard = seed_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let checked = pipeline::check_all(
        pipeline::extract(bytes),
        &server,
        &CheckOptions::default(),
        Some(&LintConfig::default()),
    )
    .expect("check and lint run");
    Run {
        doc: checked.document,
        statements: checked.statements,
        report: checked.report,
    }
}

/// The trimmed text of the line `d` points at.
fn line_of(doc: &Document, d: &Diagnostic) -> String {
    let line = doc.line_index.line(d.primary.range.start) as usize;
    doc.text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim()
        .to_owned()
}

fn describe(run: &Run) -> String {
    run.report
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "    {} line {}: {} [{}]",
                d.code.as_str(),
                run.doc.line_index.line(d.primary.range.start),
                d.message,
                line_of(&run.doc, d)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a finding is, in the document before a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Anchor {
    /// In the statement with this index.
    Statement(usize),
    /// Outside every statement: this line.
    Line(u32),
}

/// Map an offset of the text after a pass back to the text before it, through the pass's edits
/// (sorted, not overlapping); an offset inside a replacement maps to the start of what it
/// replaced.
fn map_back(offset: u32, edits: &[&Edit]) -> u32 {
    let mut delta: i64 = 0;
    for e in edits {
        let start_after = i64::from(e.range.start) + delta;
        if i64::from(offset) < start_after {
            break;
        }
        let len_after = i64::try_from(e.replacement.len()).expect("small");
        if i64::from(offset) < start_after + len_after {
            return e.range.start;
        }
        delta += len_after - i64::from(e.range.len());
    }
    u32::try_from(i64::from(offset) - delta).expect("in the old text")
}

fn anchor(run: &Run, offset: u32) -> Anchor {
    run.statements
        .iter()
        .filter(|s| s.generated().is_none())
        .find(|s| s.range.start <= offset && offset < s.range.end.max(s.range.start + 1))
        .map_or_else(
            || Anchor::Line(run.doc.line_index.line(offset)),
            |s| Anchor::Statement(s.index),
        )
}

/// What went wrong in one pass from `before` to `after`, given the findings the pass fixed.
fn compare(before: &Run, fixed: &[&Diagnostic], after: &Run) -> Vec<String> {
    let mut edits: Vec<&Edit> = fixed
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .flat_map(|f| &f.edits)
        .collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut troubled: Vec<Anchor> = before
        .report
        .statements
        .iter()
        .filter(|s| !matches!(s.status, StatementStatus::Applied | StatementStatus::Fixed))
        .map(|s| Anchor::Statement(s.index))
        .collect();
    troubled.extend(
        before
            .report
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::ForwardReference)
            .map(|d| anchor(before, d.primary.range.start)),
    );
    let mut budget: BTreeMap<(Code, Anchor), i64> = BTreeMap::new();
    for d in &before.report.diagnostics {
        *budget
            .entry((d.code, anchor(before, d.primary.range.start)))
            .or_default() += 1;
    }
    for d in fixed {
        *budget
            .entry((d.code, anchor(before, d.primary.range.start)))
            .or_default() -= 1;
    }
    let mut problems = Vec::new();
    for d in &after.report.diagnostics {
        let at = anchor(before, map_back(d.primary.range.start, &edits));
        let root = d
            .root
            .map(|r| anchor(before, map_back(r.start, &edits)))
            .filter(|_| matches!(d.code, Code::Cascade | Code::ForwardReference));
        if matches!(at, Anchor::Statement(_)) && troubled.contains(&at)
            || root.is_some_and(|r| troubled.contains(&r))
        {
            continue;
        }
        let left = budget.entry((d.code, at)).or_default();
        *left -= 1;
        if *left < 0 {
            problems.push(format!(
                "{} at line {} is new or was not fixed: {} [{}]",
                d.code.as_str(),
                after.doc.line_index.line(d.primary.range.start),
                d.message,
                line_of(&after.doc, d)
            ));
        }
    }
    problems
}

/// Fix `case` at `min` until nothing changes; what went wrong. `known` counts the problems
/// [`KNOWN_EXCEPTIONS`] names (by index), which are not reported.
fn converge(case: &Case, min: Applicability, known: &mut [usize]) -> Vec<String> {
    let mut run = check(&case.bytes);
    let mut problems = Vec::new();
    for pass in 1..=MAX_PASSES + 1 {
        let diagnostics = &run.report.diagnostics;
        let applied = apply_fixes(&run.doc.text, &run.doc.line_index, diagnostics, min);
        if applied.fixes.is_empty() || applied.text == run.doc.text {
            return problems;
        }
        if pass > MAX_PASSES {
            problems.push(format!("still changing after {MAX_PASSES} passes"));
            break;
        }
        let fixed: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| {
                d.fix.as_ref().is_some_and(|f| {
                    f.applicability >= min
                        && applied.fixes.iter().any(|(line, title)| {
                            *title == f.title
                                && *line == run.doc.line_index.line(d.primary.range.start)
                        })
                })
            })
            .collect();
        let next = check(applied.text.as_bytes());
        let mut found = compare(&run, &fixed, &next);
        found.retain(|problem| {
            let exception = KNOWN_EXCEPTIONS.iter().position(|(name, level, start, _)| {
                *name == case.name && *level == min && problem.starts_with(start)
            });
            if let Some(i) = exception {
                known[i] += 1;
            }
            exception.is_none()
        });
        if !found.is_empty() {
            problems.push(format!(
                "pass {pass} ({:?}):\n  {}\n  before:\n{}\n  after:\n{}\n  diff:\n{}",
                applied.fixes,
                found.join("\n  "),
                describe(&run),
                describe(&next),
                pgspec::fix::unified_diff("doc", &run.doc.text, &next.doc.text)
            ));
        }
        run = next;
    }
    problems
}

/// Run every case at both levels; fail with every problem, and with known exceptions of these
/// cases that no longer occur.
fn assert_converge(cases: &[Case]) {
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    let mut known = vec![0; KNOWN_EXCEPTIONS.len()];
    for case in cases {
        let mut problems = Vec::new();
        for min in [Applicability::Safe, Applicability::Unsafe] {
            for p in converge(case, min, &mut known) {
                problems.push(format!("{min:?} fixes: {p}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", case.name, problems.join("\n")));
        }
    }
    for (i, (name, level, start, _)) in KNOWN_EXCEPTIONS.iter().enumerate() {
        if known[i] == 0 && cases.iter().any(|c| c.name == *name) {
            failures.push(format!(
                "{name} ({level:?}): \"{start}\" no longer occurs: remove it from KNOWN_EXCEPTIONS"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The `bad` examples of every code whose docs page runs it through `check`, for codes with
/// `prefixes`.
fn docs_cases(prefixes: &[&str]) -> Vec<Case> {
    let mut cases = Vec::new();
    for rule in Rule::ALL
        .iter()
        .filter(|r| prefixes.iter().any(|p| r.code().starts_with(p)))
    {
        for ex in examples(rule.docs()) {
            if ex.bad && !ex.no_run && ex.stage == Stage::Check {
                cases.push(Case {
                    name: format!("{} docs example at line {}", rule.code(), ex.line),
                    bytes: document(*rule, &ex),
                });
            }
        }
    }
    cases
}

#[test]
fn docs_examples_fixes_converge() {
    assert_converge(&docs_cases(&["DOC", "SQL", "ERD", "PG", "DRF"]));
}

#[test]
fn lint_docs_examples_fixes_converge() {
    assert_converge(&docs_cases(&["LNT"]));
}

#[test]
fn lint_fixture_fixes_converge() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    let cases: Vec<Case> = paths
        .iter()
        .map(|p| Case {
            name: format!(
                "tests/fixtures/lint/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            ),
            bytes: std::fs::read(p).expect("read fixture"),
        })
        .collect();
    assert_converge(&cases);
}

/// The seeds as received and as repaired, in two tests that run side by side.
fn assert_seed_fixes_converge(dir: &str) {
    let cases: Vec<Case> = ["000", "001", "002", "003", "004"]
        .iter()
        .map(|seed| Case {
            name: format!("seeds/{dir}/{seed}"),
            bytes: std::fs::read(crate::seed_file(dir, seed)).expect("read seed"),
        })
        .collect();
    assert_converge(&cases);
}

#[test]
fn original_seed_fixes_converge() {
    assert_seed_fixes_converge("original");
}

#[test]
fn repaired_seed_fixes_converge() {
    assert_seed_fixes_converge("repaired");
}
