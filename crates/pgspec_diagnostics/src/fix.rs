//! Applying fixes to the document text, and showing them as a unified diff. Pure text work:
//! the fixes come from `check`; only the binary writes files.

use crate::text::LineIndex;
use crate::{Applicability, Diagnostic, Edit};

/// The outcome of applying fixes to a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    /// Titles of the fixes applied, with the 1-based line of their diagnostic.
    pub fixes: Vec<(u32, String)>,
    /// Fixes skipped because their edits overlapped an earlier fix.
    pub skipped_overlapping: usize,
}

/// Apply every fix at or above `min` to `text`. Fixes whose edits overlap an already accepted
/// fix are skipped (the next run picks them up), so the result is always well-formed.
pub fn apply_fixes(
    text: &str,
    line_index: &LineIndex,
    diagnostics: &[Diagnostic],
    min: Applicability,
) -> Applied {
    let mut accepted: Vec<&Edit> = Vec::new();
    let mut fixes = Vec::new();
    let mut skipped_overlapping = 0;
    for d in diagnostics {
        let Some(fix) = &d.fix else { continue };
        if fix.applicability < min || fix.edits.is_empty() {
            continue;
        }
        let in_bounds = fix.edits.iter().all(|e| {
            e.range.end as usize <= text.len()
                && text.is_char_boundary(e.range.start as usize)
                && text.is_char_boundary(e.range.end as usize)
        });
        let overlaps = fix
            .edits
            .iter()
            .any(|e| accepted.iter().any(|a| overlap(a, e)));
        if !in_bounds || overlaps {
            skipped_overlapping += 1;
            continue;
        }
        accepted.extend(fix.edits.iter());
        fixes.push((line_index.line(d.primary.range.start), fix.title.clone()));
    }
    // Stable by position: insertions at the same offset keep diagnostic order.
    accepted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(
        text.len() + accepted.iter().map(|e| e.replacement.len()).sum::<usize>(),
    );
    let mut at = 0usize;
    for edit in accepted {
        out.push_str(&text[at..edit.range.start as usize]);
        out.push_str(&edit.replacement);
        at = edit.range.end as usize;
    }
    out.push_str(&text[at..]);
    Applied {
        text: out,
        fixes,
        skipped_overlapping,
    }
}

/// Two edits conflict if their ranges intersect, or both insert at the same point of a range
/// the other replaces.
fn overlap(a: &Edit, b: &Edit) -> bool {
    if a.range.is_empty() && b.range.is_empty() {
        return false;
    }
    a.range.start < b.range.end && b.range.start < a.range.end
        || (a.range.is_empty() && b.range.start < a.range.start && a.range.start < b.range.end)
        || (b.range.is_empty() && a.range.start < b.range.start && b.range.start < a.range.end)
}

/// A unified diff (3 lines of context) between two texts, computed on lines with a plain LCS
/// over the differing middle (the common prefix and suffix are skipped first, so typical fix
/// diffs cost little even on large documents).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    if am.is_empty() && bm.is_empty() {
        return String::new();
    }
    // Edit script over the middle: Equal / Delete / Insert, by LCS.
    let mut ops: Vec<(char, &str)> = a[..prefix].iter().map(|l| (' ', *l)).collect();
    ops.extend(lcs_script(am, bm));
    ops.extend(a[a.len() - suffix..].iter().map(|l| (' ', *l)));

    let mut out = format!("--- {path}\n+++ {path}\n");
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k != ' ')
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 7 {
            end = changed[i];
            i += 1;
        }
        let end = (end + 4).min(ops.len());
        let old_start = 1 + ops[..start].iter().filter(|(k, _)| *k != '+').count();
        let new_start = 1 + ops[..start].iter().filter(|(k, _)| *k != '-').count();
        let old_len = ops[start..end].iter().filter(|(k, _)| *k != '+').count();
        let new_len = ops[start..end].iter().filter(|(k, _)| *k != '-').count();
        out.push_str(&format!(
            "@@ -{old_start},{old_len} +{new_start},{new_len} @@\n"
        ));
        for (kind, line) in &ops[start..end] {
            out.push(*kind);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

fn lcs_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    // Bounded quadratic table; a fix changes few lines, so the middle is small. Past the bound,
    // fall back to delete-all/insert-all (still a correct diff).
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let mut ops: Vec<(char, &str)> = a.iter().map(|l| ('-', *l)).collect();
        ops.extend(b.iter().map(|l| ('+', *l)));
        return ops;
    }
    let (n, m) = (a.len(), b.len());
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * (m + 1) + j] = if a[i] == b[j] {
                table[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                table[(i + 1) * (m + 1) + j].max(table[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) {
            // Deletions first, as diff(1) prints them.
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;
    use crate::{Category, Code, Fix};

    fn diag_with(edits: Vec<Edit>, applicability: Applicability) -> Diagnostic {
        Diagnostic::new(
            Code::StatementRejected,
            Category::InlineIndex,
            "x",
            TextRange::empty(0),
        )
        .fix(Fix {
            title: "t".into(),
            applicability,
            edits,
        })
    }

    #[test]
    fn applies_sorted_edits_and_skips_overlaps_and_unsafe() {
        let text = "abc\ndef\n";
        let idx = LineIndex::new(text);
        let d1 = diag_with(
            vec![Edit {
                range: TextRange::new(4, 7),
                replacement: "XYZ".into(),
            }],
            Applicability::Safe,
        );
        let d2 = diag_with(
            vec![Edit {
                range: TextRange::new(5, 6),
                replacement: "Q".into(),
            }],
            Applicability::Safe,
        );
        let d3 = diag_with(
            vec![Edit {
                range: TextRange::empty(0),
                replacement: "-- hi\n".into(),
            }],
            Applicability::Safe,
        );
        let d4 = diag_with(
            vec![Edit {
                range: TextRange::new(0, 1),
                replacement: "!".into(),
            }],
            Applicability::Unsafe,
        );
        let applied = apply_fixes(text, &idx, &[d1, d2, d3, d4], Applicability::Safe);
        assert_eq!(applied.text, "-- hi\nabc\nXYZ\n");
        assert_eq!(applied.fixes.len(), 2);
        assert_eq!(applied.skipped_overlapping, 1);
    }

    #[test]
    fn unified_diff_shows_only_changed_hunks() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
        let diff = unified_diff("doc.md", old, new);
        assert_eq!(
            diff,
            "--- doc.md\n+++ doc.md\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
        assert_eq!(unified_diff("d", old, old), "");
    }
}
