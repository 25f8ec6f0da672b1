//! The shape of a planned fix and the text helpers every fix planner uses: shared by
//! [`super::fixes`] (which fix for which error) and [`super::rewrites`] (the text surgery).

use crate::diagnostics::Fix;

/// What to run instead of the failing statement, and the document edit that says the same.
#[derive(Clone, Debug)]
pub struct FixPlan {
    pub fix: Fix,
    /// Run as superuser before retrying (CREATE EXTENSION, CREATE ROLE … NOLOGIN).
    pub superuser_before: Vec<String>,
    /// Run as the document before retrying (the column an assumption adds to a table).
    pub before: Vec<String>,
    /// Statement text to run instead of the original (None: the original again).
    pub replacement: Option<String>,
    /// Run after the replacement succeeds (the CREATE INDEX statements moved out).
    pub after: Vec<String>,
    /// How many fixes of the fixed text this plan already chains (bounded).
    pub chained: u8,
    /// A later step of the chain is an assumption (the edits, of the first step, are not).
    pub assumed: bool,
}

/// `text` with quoted strings, quoted identifiers' contents and comments replaced by spaces
/// (same byte length), so structure can be found with plain string search.
pub(super) fn mask_quotes_and_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            '\'' => {
                out.push('\'');
                while let Some((_, d)) = chars.next() {
                    if d == '\'' {
                        if chars.peek().is_some_and(|(_, e)| *e == '\'') {
                            chars.next();
                            out.push_str("  ");
                            continue;
                        }
                        out.push('\'');
                        break;
                    }
                    out.push_str(&" ".repeat(d.len_utf8()));
                }
            }
            '-' if chars.peek().is_some_and(|(_, d)| *d == '-') => {
                out.push(' ');
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                    out.push_str(&" ".repeat(d.len_utf8()));
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Byte ranges of the comma-separated elements between `start` and `end` at paren depth 0.
pub(crate) fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}
