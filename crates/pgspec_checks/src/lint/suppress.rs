//! Inline suppressions: `-- pgspec-ignore CODE[, CODE…]` in SQL and
//! `<!-- pgspec-ignore CODE -->` in Markdown apply to the next statement (or line, or code
//! block); written after code on the same line they apply to that line;
//! `pgspec-ignore-file CODE` anywhere applies to the whole document. Codes, names and code
//! prefixes of every code pgspec prints are accepted (`PG001`, `table-not-in-erd`, `DRF`), for
//! `check` and `lint` alike. A suppression that matches nothing is reported (`LNT001`).

use crate::diagnostics::{Code, Diagnostic};
use crate::document::Document;
use crate::sql::Statement;
use crate::text::TextRange;

use super::Rule;

/// One `pgspec-ignore` comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// The comment's range in the document.
    pub range: TextRange,
    /// The codes or names it lists, as written.
    pub selectors: Vec<String>,
    /// Document lines (1-based, inclusive) it covers.
    pub lines: (u32, u32),
}

/// Find every suppression comment in `doc`.
pub fn find(doc: &Document, statements: &[Statement]) -> Vec<Suppression> {
    let mut out = Vec::new();
    let text = doc.text.as_str();
    let mut offset = 0usize;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut starts = Vec::with_capacity(lines.len());
    for line in &lines {
        starts.push(offset);
        offset += line.len();
    }
    let last_line = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("pgspec-ignore") else {
            continue;
        };
        let before = &line[..at];
        let html = before.trim_end().ends_with("<!--");
        let sql = before.trim_end().ends_with("--") && !html;
        if !html && !sql {
            continue;
        }
        let mut rest = &line[at + "pgspec-ignore".len()..];
        let whole_file = rest.starts_with("-file");
        if whole_file {
            rest = &rest["-file".len()..];
        }
        let rest = rest.trim_start_matches(':');
        // `-->` closes the Markdown comment; a second `--` starts a trailing remark.
        let rest = rest.split("-->").next().unwrap_or("");
        let rest = rest.split(" --").next().unwrap_or("");
        let selectors: Vec<String> = rest
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|s| s.trim_matches(|c: char| c == ':' || c == '`'))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if selectors.is_empty() {
            continue;
        }
        let comment_start = before
            .trim_end()
            .rfind(if html { "<!--" } else { "--" })
            .unwrap_or(0);
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let code_before = !before[..comment_start].trim().is_empty();
        let lines_covered = if whole_file {
            (1, last_line)
        } else if code_before {
            (line_no, line_no)
        } else {
            next_target(doc, statements, &lines, i).unwrap_or((line_no, line_no))
        };
        let start = u32::try_from(starts[i] + comment_start).unwrap_or(u32::MAX);
        let end = u32::try_from(starts[i] + line.trim_end().len()).unwrap_or(u32::MAX);
        out.push(Suppression {
            range: TextRange::new(start, end.max(start)),
            selectors,
            lines: lines_covered,
        });
    }
    out
}

/// What a suppression on line index `i` covers: the next non-blank line that is not another
/// suppression, extended to the whole statement or code block that starts there.
fn next_target(
    doc: &Document,
    statements: &[Statement],
    lines: &[&str],
    i: usize,
) -> Option<(u32, u32)> {
    let j = (i + 1..lines.len()).find(|&j| {
        let l = lines[j].trim();
        !l.is_empty()
            && !(l.contains("pgspec-ignore") && (l.starts_with("--") || l.starts_with("<!--")))
    })?;
    let line = u32::try_from(j + 1).ok()?;
    if let Some(stmt) = statements
        .iter()
        .find(|s| doc.line_index.line(s.range.start) == line)
    {
        let end = doc
            .line_index
            .line(stmt.range.end.saturating_sub(1).max(stmt.range.start));
        return Some((line, end));
    }
    if lines[j].trim_start().starts_with('|') {
        let last = (j..lines.len())
            .take_while(|&k| lines[k].trim_start().starts_with('|'))
            .last()
            .unwrap_or(j);
        return Some((line, u32::try_from(last + 1).ok()?));
    }
    if let Some(block) = doc
        .blocks
        .iter()
        .find(|b| doc.line_index.line(b.fence.start) == line)
    {
        let last = block
            .source_map
            .segments
            .last()
            .map_or(line, |&(_, d, len)| doc.line_index.line(d + len));
        return Some((line, last + 1));
    }
    Some((line, line))
}

/// Which selectors of which suppressions covered a finding so far.
#[derive(Clone, Debug)]
pub struct Usage(Vec<Vec<bool>>);

impl Usage {
    /// Nothing used yet.
    pub fn new(suppressions: &[Suppression]) -> Self {
        Self(
            suppressions
                .iter()
                .map(|s| vec![false; s.selectors.len()])
                .collect(),
        )
    }
}

/// Drop the diagnostics (of any code) a suppression covers, recording in `usage` which
/// selectors matched.
pub fn filter(
    doc: &Document,
    suppressions: &[Suppression],
    usage: &mut Usage,
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut kept = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let line = doc.line_index.line(d.primary.range.start);
        let mut suppressed = false;
        for (si, s) in suppressions.iter().enumerate() {
            if line < s.lines.0 || line > s.lines.1 {
                continue;
            }
            for (k, selector) in s.selectors.iter().enumerate() {
                if d.code.selected_by(selector) {
                    usage.0[si][k] = true;
                    suppressed = true;
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    kept
}

/// An `LNT001` for every selector that covered nothing. A selector whose codes are all
/// switched off by configuration is not stale (those codes cannot be reported).
pub fn unused(
    suppressions: &[Suppression],
    usage: &Usage,
    enabled: &dyn Fn(Code) -> bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (si, s) in suppressions.iter().enumerate() {
        for (k, selector) in s.selectors.iter().enumerate() {
            if usage.0[si][k] {
                continue;
            }
            let named: Vec<Code> = Code::ALL
                .iter()
                .copied()
                .filter(|c| c.selected_by(selector))
                .collect();
            if !named.is_empty() && !named.iter().any(|c| enabled(*c)) {
                continue;
            }
            let message = if named.is_empty() {
                format!("`pgspec-ignore {selector}`: unknown code or rule name")
            } else {
                format!("`pgspec-ignore {selector}` suppresses nothing")
            };
            out.push(
                super::diagnostic(Rule::UnusedSuppression, message, s.range).help(
                    "remove the comment (or the code from it); `pgspec rule` lists the codes",
                ),
            );
        }
    }
    out
}
