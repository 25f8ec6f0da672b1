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
    let words = words_at(&lower);
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

/// The table elements of `CREATE TABLE t (…)` that are UNIQUE constraints only an index can
/// be (`UNIQUE (lower(email))`, `CONSTRAINT u UNIQUE (a, b) WHERE deleted_at IS NULL`): each
/// taken out of the list (with its comma) and created after the table as `CREATE UNIQUE
/// INDEX [u] ON t (…) [WHERE …]`. Safe: the same rule, kept by an index.
pub(in crate::check) fn unique_elements_as_indexes(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    if !lower.trim_start().starts_with("create") {
        return None;
    }
    let table = super::super::fixes::created_table_name(&stmt.text)?;
    let list = lower.find('(')?;
    let mut cuts: Vec<(Range<usize>, String)> = Vec::new();
    let mut creates = Vec::new();
    let mut from = list + 1;
    while let Some(found) = lower[from..].find("unique") {
        let unique = from + found;
        from = unique + "unique".len();
        // A table element: after `(` or `,` of the list, or after `CONSTRAINT name`.
        let before = lower[..unique].trim_end();
        let name_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let ahead = before[..name_start].trim_end();
        let (start, name) = if ahead.ends_with("constraint") {
            (
                ahead.len() - "constraint".len(),
                Some(stmt.text[name_start..before.len()].to_string()),
            )
        } else if before.ends_with(',') || before.ends_with('(') {
            (unique, None)
        } else {
            continue;
        };
        let open = skip_ws(&lower, from);
        if !lower[open..].starts_with('(') {
            continue;
        }
        let close = matching_paren(&masked, open)?;
        let keys = stmt.text[open + 1..close].trim();
        let end = element_end(&masked, close + 1)?;
        let tail = lower[close + 1..end].trim();
        let predicate = tail
            .starts_with("where")
            .then(|| stmt.text[close + 1..end].trim()["where".len()..].trim());
        let needs_index = keys.contains('(') || predicate.is_some();
        if !needs_index || !(tail.is_empty() || predicate.is_some()) {
            continue;
        }
        cuts.push((element_with_comma(&masked, start, end)?, String::new()));
        creates.push(format!(
            "CREATE UNIQUE INDEX {}ON {table} ({keys}){}",
            name.map(|n| format!("{n} ")).unwrap_or_default(),
            predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default()
        ));
        from = end;
    }
    if creates.is_empty() {
        return None;
    }
    let mut plan = edit_plan(
        doc,
        stmt,
        "a UNIQUE constraint names columns only and has no WHERE: an expression or a partial rule is a unique index, created after the table".into(),
        Applicability::Safe,
        cuts,
    );
    if plan.fix.applicability == Applicability::Safe {
        plan.fix
            .edits
            .push(super::super::fixes::statements_after(stmt, &creates));
    }
    plan.after = creates;
    Some(plan)
}
