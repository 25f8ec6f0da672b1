//! Example queries of a document and the prose around them: statements of kind Example in
//! SQL blocks, SELECT/WITH statements inside other code blocks (SQL inside TypeScript or
//! Python snippets), each with the text that may claim something about its plan.

use crate::document::Document;
use crate::sql::search_path::search_path_before;
use crate::sql::{Statement, StatementKind};
use crate::text::TextRange;

/// A query found in the document.
#[derive(Clone, Debug)]
pub struct FoundQuery {
    pub text: String,
    pub range: TextRange,
    /// Text around the query (its comments, the lines before and after).
    pub context: String,
    /// The `search_path` the document set before the query (`SET search_path = core, public`),
    /// which the query is written for; `None`: the server's default.
    pub search_path: Option<String>,
}

/// Queries of the document: Example statements, and SELECT/WITH statements inside code
/// blocks that are not SQL blocks.
pub fn find(doc: &Document, statements: &[Statement]) -> Vec<FoundQuery> {
    let mut out = Vec::new();
    let lines: Vec<&str> = doc.text.lines().collect();
    let line_of = |offset: u32| doc.line_index.line(offset) as usize;
    let context = |start_line: usize, end_line: usize, prev_end: usize, next_start: usize| {
        context_of(&lines, start_line, end_line, prev_end, next_start)
    };
    for (i, s) in statements.iter().enumerate() {
        let lower = s.text.trim_start().to_lowercase();
        let is_query = s.kind == StatementKind::Example
            || (s.kind == StatementKind::Operation
                && (lower.starts_with("explain") || lower.starts_with("select"))
                && !lower.contains("cron.")
                && !lower.contains("pg_stat")
                && !lower.contains("pg_catalog")
                && !lower.contains("pg_size")
                && !lower.contains("pg_tables")
                && !lower.contains("information_schema"));
        if !is_query {
            continue;
        }
        let prev_end = i
            .checked_sub(1)
            .and_then(|p| statements.get(p))
            .map_or(0, |p| line_of(p.range.end));
        let next_start = statements
            .get(i + 1)
            .map_or(usize::MAX, |n| line_of(n.range.start));
        out.push(FoundQuery {
            text: s.text.clone(),
            range: s.range,
            search_path: search_path_before(statements, s.range.start),
            context: context(
                line_of(s.range.start),
                line_of(s.range.end),
                prev_end,
                next_start,
            ),
        });
    }
    // SQL inside other code blocks (TypeScript, Python, plain text).
    for block in doc.blocks.iter().filter(|b| !b.is_sql) {
        let code = &block.code;
        let mut offset = 0usize;
        let mut start: Option<usize> = None;
        for line in code.split_inclusive('\n') {
            let t = line.trim_start();
            if start.is_none() && (t.starts_with("SELECT") || t.starts_with("WITH ")) {
                start = Some(offset + (line.len() - t.len()));
            }
            offset += line.len();
            if let Some(st) = start {
                let trimmed = line.trim_end();
                if let Some(semi) = trimmed.rfind(';').filter(|_| trimmed.ends_with(';')) {
                    let end = offset - line.len() + semi + 1;
                    let text = code[st..end].to_string();
                    let range = block.source_map.range_to_document(TextRange::new(
                        u32::try_from(st).unwrap_or(0),
                        u32::try_from(end).unwrap_or(0),
                    ));
                    let (sl, el) = (line_of(range.start), line_of(range.end));
                    out.push(FoundQuery {
                        text,
                        range,
                        search_path: search_path_before(statements, range.start),
                        context: context(sl, el, 0, usize::MAX),
                    });
                    start = None;
                }
            }
        }
    }
    out.sort_by_key(|q| q.range.start);
    out
}

/// The prose around a query on lines `start_line..=end_line` (1-based) that may claim
/// something about it: up to 6 lines before and 8 after, not reaching into the statements
/// before (`prev_end`) and after (`next_start`).
fn context_of(
    lines: &[&str],
    start_line: usize,
    end_line: usize,
    prev_end: usize,
    next_start: usize,
) -> String {
    let from = start_line.saturating_sub(6).max(prev_end + 1).max(1);
    let mut to = (end_line + 8)
        .min(next_start.saturating_sub(1))
        .min(lines.len());
    // A sentence ending in a colon right before the next statement's block introduces
    // that statement ("this query uses index x:"), not the one above it.
    if let Some(intro) = (end_line + 1..=to).find(|&l| {
        introduces(lines.get(l - 1).copied().unwrap_or(""))
            && (l + 1..next_start.min(lines.len() + 1))
                .all(|k| is_blank_or_fence(lines.get(k - 1).copied().unwrap_or("")))
    }) {
        to = intro - 1;
    }
    lines
        .get(from - 1..to)
        .map(|l| l.join("\n"))
        .unwrap_or_default()
}

/// Whether a line of prose introduces what follows it (it ends with a colon).
fn introduces(line: &str) -> bool {
    let t = line.trim_end().trim_end_matches(['*', '_']);
    t.ends_with(':') || t.ends_with('：')
}

fn is_blank_or_fence(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with("```") || t.starts_with("~~~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_ending_in_a_colon_belongs_to_the_next_query() {
        let lines = [
            "Fuzzy titles:",                             // 1
            "```sql",                                    // 2
            "SELECT id FROM kb WHERE title % 'x';",      // 3
            "```",                                       // 4
            "",                                          // 5
            "Bodies (this query uses `kb_body_trgm`):",  // 6
            "",                                          // 7
            "```sql",                                    // 8
            "SELECT id FROM kb WHERE body ILIKE '%x%';", // 9
            "```",                                       // 10
            "The plan shows `kb_body_trgm`.",            // 11
        ];
        let first = context_of(&lines, 3, 3, 0, 9);
        assert!(!first.contains("kb_body_trgm"), "{first}");
        let second = context_of(&lines, 9, 9, 3, usize::MAX);
        assert!(
            second.contains("this query uses `kb_body_trgm`"),
            "{second}"
        );
        assert!(second.contains("The plan shows"), "{second}");
        // Said after the query, without a colon: still about it.
        let lines = [
            "```sql",
            "SELECT 1;",
            "```",
            "It uses `one_idx`.",
            "",
            "```sql",
            "SELECT 2;",
        ];
        assert!(context_of(&lines, 2, 2, 0, 7).contains("one_idx"));
    }
}
