//! SQL Server's own words in a `CREATE TABLE` or `CREATE INDEX`: `[names]`, `dbo.`,
//! `[NON]CLUSTERED`, storage clauses (the rest of its dialect goes through the same elements
//! and columns as MySQL's, in [`super`]).

use std::ops::Range;

use crate::document::Document;
use crate::sql::quote::quote_ident;
use crate::sql::Statement;

use super::super::super::plan::{mask_quotes_and_comments, matching_paren, FixPlan};
use super::super::{is_ident_byte, skip_ws, word_at, word_positions};
use super::{finish, Rewrite};

/// SQL Server's `[Name]` (a name in brackets: a letter or `_` first, then letters, digits,
/// `_`, `$`, `#` or spaces, after something that is not a name, so that `text[]`, `a[1]` and
/// `ARRAY[x]` are not one) → `name`, lowercased as backticks are; `[dbo].` or `dbo.`, SQL
/// Server's default schema, as PostgreSQL's (`public`, left unwritten). Whether there was one.
pub(super) fn brackets(text: &str, masked: &str, rw: &mut Rewrite) -> bool {
    let mut found = false;
    for (range, name) in bracketed_names(text, masked) {
        found = true;
        rw.edit(
            range,
            quote_ident(&name.to_lowercase()),
            "names in brackets",
        );
    }
    let lower = masked.to_ascii_lowercase();
    for schema in ["[dbo].", "dbo."] {
        for (at, _) in lower.match_indices(schema) {
            let before = at.checked_sub(1).map(|i| lower.as_bytes()[i]);
            if before.is_none_or(|b| !is_ident_byte(b) && b != b'.' && b != b']') {
                found = true;
                rw.edit(
                    at..at + schema.len(),
                    "",
                    "SQL Server's dbo schema as the default one",
                );
            }
        }
    }
    found
}

/// Each `[Name]` of [`brackets`]: its range (brackets included) and the name.
pub(super) fn bracketed_names(text: &str, masked: &str) -> Vec<(Range<usize>, String)> {
    let bytes = masked.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = masked[from..].find('[').map(|i| from + i) {
        let Some(close) = masked[open + 1..].find(']').map(|i| open + 1 + i) else {
            break;
        };
        from = open + 1;
        let name = &text[open + 1..close];
        let starts_well = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        let plain = name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '#' | ' '));
        let after_a_name = open > 0 && (is_ident_byte(bytes[open - 1]) || bytes[open - 1] == b']');
        if starts_well && plain && !after_a_name {
            out.push((open..close + 1, name.trim().to_string()));
            from = close + 1;
        }
    }
    out
}

/// `text` with its `[Name]`s and `dbo.` written as PostgreSQL reads them (see [`brackets`]).
pub(super) fn unquote_brackets(text: &str) -> String {
    let mut rw = Rewrite::default();
    brackets(text, &mask_quotes_and_comments(text), &mut rw);
    rw.edits
        .sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in rw.edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Words and functions only SQL Server's tables have.
pub(super) fn sql_server_traits(lower: &str) -> bool {
    [
        "nonclustered",
        "clustered",
        "uniqueidentifier",
        "getdate",
        "newid",
        "datetime2",
        "nvarchar",
    ]
    .iter()
    .any(|w| !word_positions(lower, w).is_empty())
        || word_positions(lower, "identity").iter().any(|&at| {
            !lower[..at].trim_end().ends_with("as")
                && lower[skip_ws(lower, at + "identity".len())..].starts_with('(')
        })
}

/// `PRIMARY KEY CLUSTERED (id)`, `UNIQUE NONCLUSTERED`: how SQL Server lays a table out, which
/// PostgreSQL does not choose this way.
pub(super) fn clustered(lower: &str, range: Range<usize>, rw: &mut Rewrite) {
    for word in ["nonclustered", "clustered"] {
        for at in word_positions(&lower[range.clone()], word) {
            let from = range.start + at;
            rw.edit(
                from..skip_ws(lower, from + word.len()),
                "",
                "CLUSTERED and NONCLUSTERED",
            );
        }
    }
}

/// SQL Server's storage clauses after the list: `ON [PRIMARY]`, `TEXTIMAGE_ON [PRIMARY]`,
/// `WITH (PAD_INDEX = OFF, …)`.
pub(super) fn filegroup(lower: &str, from: usize, rw: &mut Rewrite) {
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut p = skip_ws(lower, from);
    let start = p;
    while p < end {
        let word = ["with", "on", "textimage_on"]
            .into_iter()
            .find(|w| word_at(lower, p, w));
        let Some(word) = word else { break };
        let q = skip_ws(lower, p + word.len());
        let value_end = if word == "with" {
            if !lower[q..].starts_with('(') {
                break;
            }
            match matching_paren(lower, q) {
                Some(close) => close + 1,
                None => break,
            }
        } else if lower[q..].starts_with('[') {
            match lower[q..].find(']') {
                Some(close) => q + close + 1,
                None => break,
            }
        } else {
            let len = lower[q..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(end - q);
            // `ON "default"` is PostgreSQL's tablespace clause only after USING INDEX; a plain
            // `ON name` after a table's list is SQL Server's filegroup.
            if len == 0 {
                break;
            }
            q + len
        };
        p = skip_ws(lower, value_end);
    }
    if p > start {
        rw.edit(start..p.min(end), "", "SQL Server's storage clauses");
    }
}

/// SQL Server's `CREATE [UNIQUE] [NON]CLUSTERED INDEX [IX] ON [dbo].[T] ([C]) WITH (…) ON
/// [PRIMARY]`: its names, layout and storage words removed.
pub(super) fn sql_server_index(
    doc: &Document,
    stmt: &Statement,
    masked: &str,
    lower: &str,
) -> Option<FixPlan> {
    let text = stmt.text.as_str();
    let mut rw = Rewrite::default();
    let found = brackets(text, masked, &mut rw);
    if !found && !sql_server_traits(lower) {
        return None;
    }
    let columns_open = lower.find('(')?;
    clustered(lower, 0..columns_open, &mut rw);
    let columns_close = matching_paren(lower, columns_open)?;
    filegroup(lower, columns_close + 1, &mut rw);
    finish(doc, stmt, text, rw)
}
