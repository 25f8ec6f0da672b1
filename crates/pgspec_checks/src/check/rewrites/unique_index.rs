//! A UNIQUE constraint over an expression (`ADD CONSTRAINT u UNIQUE (lower(email))`), which
//! PostgreSQL's grammar refuses: a constraint names columns only, and uniqueness of an
//! expression is a unique index.

use super::*;

/// `ALTER TABLE t ADD [CONSTRAINT n] UNIQUE (expr, …)` → `CREATE UNIQUE INDEX [n] ON t (expr,
/// …)`: the same rule, kept by an index instead of a constraint (safe: only `ON CONFLICT ON
/// CONSTRAINT n` tells them apart). The statement does not parse, so it is read from its text;
/// None for anything else after the key list (options, DEFERRABLE, a second action).
pub(in crate::check) fn unique_expression_as_index(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let words: Vec<(usize, &str)> = lower
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - lower.as_ptr() as usize, w))
        .collect();
    let word = |i: usize| words.get(i).map_or("", |(_, w)| *w);
    if word(0) != "alter" || word(1) != "table" {
        return None;
    }
    let mut i = 2;
    while matches!(word(i), "only" | "if" | "exists") {
        i += 1;
    }
    let table = &stmt.text[words.get(i)?.0..words.get(i)?.0 + word(i).len()];
    if word(i + 1) != "add" {
        return None;
    }
    let mut k = i + 2;
    let mut name = None;
    if word(k) == "constraint" {
        name = Some(&stmt.text[words.get(k + 1)?.0..words.get(k + 1)?.0 + word(k + 1).len()]);
        k += 2;
    }
    let unique = words.get(k)?.0;
    if !lower[unique..].starts_with("unique") {
        return None;
    }
    let open = unique + "unique".len() + lower[unique + "unique".len()..].find('(')?;
    if !lower[unique + "unique".len()..open].trim().is_empty() {
        return None;
    }
    let close = matching_paren(&masked, open)?;
    let keys = &stmt.text[open + 1..close];
    // Only an expression needs the index (plain columns parse as a constraint).
    if !keys.contains('(') {
        return None;
    }
    let rest = lower[close + 1..].trim();
    if !(rest.is_empty() || rest == ";") {
        return None;
    }
    let index = name.map_or_else(String::new, |n| format!("{n} "));
    Some(edit_plan(
        doc,
        stmt,
        "a UNIQUE constraint names columns only: uniqueness of an expression is a unique index"
            .into(),
        Applicability::Safe,
        vec![(
            0..close + 1,
            format!("CREATE UNIQUE INDEX {index}ON {table} ({keys})"),
        )],
    ))
}
