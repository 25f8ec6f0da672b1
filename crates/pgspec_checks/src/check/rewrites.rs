//! Fixes that rewrite part of one statement: each finds its clause in the statement text and
//! returns the edits; [`edit_plan`] turns them into the fixed text and the document edits.

use std::ops::Range;

use crate::diagnostics::{Applicability, Edit, Fix, PgDetails};
use crate::document::Document;
use crate::sql::ast::{pb, NodeEnum};
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

use super::categorize::quoted_names;
use super::plan::{mask_quotes_and_comments, matching_paren, FixPlan};
use crate::sql::quote::quote_ident;

mod arrays;
mod booleans;
mod columns;
mod identity;
mod json_casts;
mod partitions;
mod quotes;
mod unique_index;
mod views;

pub(super) use arrays::*;
pub(super) use booleans::*;
pub(super) use columns::*;
pub(super) use identity::*;
pub(super) use json_casts::*;
pub(super) use partitions::*;
pub(super) use quotes::*;
pub(super) use unique_index::*;
pub(super) use views::*;

/// Whether `stmt` is what `tree` accepts of its (first) parsed statement; for text that does not
/// parse (a fix's own input often does not), what `words` says of its text (lowercase, comments
/// and quotes masked, leading space trimmed): words only where there is no tree.
fn statement_is(
    stmt: &Statement,
    tree: impl Fn(&NodeEnum) -> bool,
    words: impl Fn(&str) -> bool,
) -> bool {
    match stmt.first_node() {
        Some(node) => tree(node),
        None => words(
            mask_quotes_and_comments(&stmt.text)
                .to_ascii_lowercase()
                .trim_start(),
        ),
    }
}

/// Words for [`statement_is`]: the text starts with one of `prefixes`.
fn starts(prefixes: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |head| prefixes.iter().any(|p| head.starts_with(p))
}

/// Whether an `ALTER TABLE` adds a foreign key (a table constraint or a column's
/// `REFERENCES`).
fn adds_foreign_key(alter: &pb::AlterTableStmt) -> bool {
    let foreign = |n: &pb::Node| {
        matches!(&n.node, Some(NodeEnum::Constraint(c))
            if c.contype == pb::ConstrType::ConstrForeign as i32)
    };
    alter.cmds.iter().any(|cmd| {
        let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
            return false;
        };
        match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
            Some(NodeEnum::Constraint(c)) => c.contype == pb::ConstrType::ConstrForeign as i32,
            Some(NodeEnum::ColumnDef(col)) => col.constraints.iter().any(foreign),
            _ => false,
        }
    })
}

/// Build a plan from statement-relative edits. Document edits are exact only where the
/// statement is a verbatim slice of the document; elsewhere the fix is shown, not applied.
pub(super) fn edit_plan(
    doc: &Document,
    stmt: &Statement,
    title: String,
    applicability: Applicability,
    mut edits: Vec<(Range<usize>, String)>,
) -> FixPlan {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let text = &stmt.text;
    let mut fixed = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for (range, replacement) in &edits {
        fixed.push_str(&text[at..range.start]);
        fixed.push_str(replacement);
        at = range.end;
    }
    fixed.push_str(&text[at..]);
    let verbatim = doc.text.get(stmt.range.as_usize()) == Some(text.as_str());
    FixPlan {
        fix: Fix {
            title,
            applicability: if verbatim {
                applicability
            } else {
                Applicability::DisplayOnly
            },
            edits: edits
                .into_iter()
                .map(|(r, replacement)| Edit {
                    range: TextRange::new(
                        stmt.range.start + u32::try_from(r.start).unwrap_or(0),
                        stmt.range.start + u32::try_from(r.end).unwrap_or(0),
                    ),
                    replacement,
                })
                .collect(),
        },
        superuser_before: Vec::new(),
        before: Vec::new(),
        replacement: Some(fixed),
        after: Vec::new(),
        chained: 0,
        assumed: false,
    }
}

/// Whether `b` continues an identifier (PostgreSQL's: letters, digits, `_`, `$`, non-ASCII).
pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether `word` starts at `at` in `lower` on identifier boundaries.
pub(super) fn word_at(lower: &str, at: usize, word: &str) -> bool {
    lower[at..].starts_with(word)
        && lower
            .as_bytes()
            .get(at + word.len())
            .is_none_or(|&b| !is_ident_byte(b))
        && (at == 0 || !is_ident_byte(lower.as_bytes()[at - 1]))
}

/// Byte offsets of `word` in `lower` (already lowercased and masked) on identifier boundaries.
pub(super) fn word_positions(lower: &str, word: &str) -> Vec<usize> {
    lower
        .match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| word_at(lower, i, word))
        .collect()
}

/// The whitespace-separated words of `lower` (already lowercased and masked), each with its
/// byte offset.
pub(super) fn words_at(lower: &str) -> Vec<(usize, &str)> {
    lower
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - lower.as_ptr() as usize, w))
        .collect()
}

/// Skip whitespace from `at`.
pub(super) fn skip_ws(text: &str, at: usize) -> usize {
    at + text[at..].len() - text[at..].trim_start().len()
}

/// The identifier (possibly qualified, possibly quoted) starting at `at`: its end offset and its
/// last component, lowercased unless quoted.
fn identifier_at(text: &str, at: usize) -> Option<(usize, String)> {
    let mut end = at;
    loop {
        let last;
        let rest = &text[end..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let close = quoted.find('"')?;
            last = quoted[..close].to_string();
            end += close + 2;
        } else {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            if len == 0 {
                return None;
            }
            last = rest[..len].to_lowercase();
            end += len;
        }
        if text[end..].starts_with('.') {
            end += 1;
        } else {
            return Some((end, last));
        }
    }
}

/// A text search configuration PostgreSQL does not ship ('korean') becomes 'simple':
/// behaviour-changing, no stemming or stop words.
pub(super) fn simple_ts_config(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let config = quoted_names(&err.message).into_iter().next()?;
    let needle = format!("'{}'", config.to_lowercase());
    let lower = stmt.text.to_lowercase();
    let masked = mask_quotes_and_comments(&stmt.text);
    let edits: Vec<(Range<usize>, String)> = lower
        .match_indices(&needle)
        // Only string literals in code, not words inside comments.
        .filter(|(i, _)| masked.as_bytes().get(*i) == Some(&b'\''))
        .map(|(i, _)| (i..i + needle.len(), "'simple'".to_string()))
        .collect();
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        format!("use the 'simple' text search configuration instead of '{config}' — words are then matched without language-specific stemming or stop words"),
        Applicability::Unsafe,
        edits,
    ))
}

/// An index's table and key columns, from its tree (`None` for expression keys, whose
/// equality the words do not decide).
pub(super) fn index_key(stmt: &Statement) -> Option<(String, Vec<String>)> {
    let Some(NodeEnum::IndexStmt(index)) = stmt.first_node() else {
        return None;
    };
    let table = index.relation.as_ref()?.relname.clone();
    let mut keys = Vec::new();
    for param in &index.index_params {
        let Some(NodeEnum::IndexElem(elem)) = param.node.as_ref() else {
            return None;
        };
        if elem.name.is_empty() {
            return None;
        }
        keys.push(elem.name.clone());
    }
    Some((table, keys))
}

/// A partial index whose predicate calls a non-IMMUTABLE function (`now()`, `CURRENT_DATE`)
/// loses its predicate: behaviour-changing, the index then covers every row. When a plain index
/// of the document (`plain_indexes`: statement range, table, key columns) already covers those
/// columns, the index goes instead: without its predicate it would be that index again.
pub(super) fn drop_index_predicate(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    plain_indexes: &[(TextRange, String, Vec<String>)],
) -> Option<FixPlan> {
    if !err.message.contains("index predicate") {
        return None;
    }
    if let Some((table, keys)) = index_key(stmt) {
        if let Some((other, _, _)) = plain_indexes
            .iter()
            .find(|(other, t, k)| *t == table && *k == keys && *other != stmt.range)
        {
            let line = doc.line_index.line(other.start);
            return Some(remove_statement(
                doc,
                stmt,
                format!("remove this index — its predicate calls a function that is not IMMUTABLE, and without it the index would cover the same columns of `{table}` as the index or key at line {line}"),
                Applicability::Unsafe,
            ));
        }
    }
    // Without its predicate a UNIQUE index would make its columns unique over every row ("one
    // live session per user" would become "one session per user, ever"): it is left out,
    // and nothing is written into the document.
    if matches!(stmt.first_node(), Some(NodeEnum::IndexStmt(i)) if i.unique) {
        return Some(remove_statement(
            doc,
            stmt,
            "leave this unique index out — its predicate calls a function that is not IMMUTABLE, and without the predicate it would make its columns unique over every row; enforce the rule with a trigger, or index a stored state (`WHERE revoked_at IS NULL`, `WHERE status = 'active'`)".into(),
            Applicability::DisplayOnly,
        ));
    }
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    if !statement_is(
        stmt,
        |n| matches!(n, NodeEnum::IndexStmt(_)),
        |head| head.starts_with("create") && head.contains("index"),
    ) {
        return None;
    }
    // The WHERE at depth 0: the index predicate.
    let mut depth = 0i32;
    let mut at = None;
    for (i, c) in lower.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0
                && word_positions(&lower[i..], "where").first() == Some(&0)
                && (i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric()) =>
            {
                at = Some(i);
                break;
            }
            _ => {}
        }
    }
    let at = at?;
    let from = lower[..at].trim_end().len();
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    if end <= at {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "drop the index predicate — it calls a function that is not IMMUTABLE, so the index cannot be partial on it; the index then covers every row (keep the time condition in the queries)".into(),
        Applicability::Unsafe,
        vec![(from..end, String::new())],
    ))
}

/// `GRANT … ON DATABASE other_name`: the document's database is the one pgspec applies it to.
pub(super) fn grant_on_this_database(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    database: &str,
) -> Option<FixPlan> {
    let named = quoted_names(&err.message).into_iter().next()?;
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let about_a_database = |n: &NodeEnum| match n {
        NodeEnum::GrantStmt(_)
        | NodeEnum::GrantRoleStmt(_)
        | NodeEnum::AlterDatabaseStmt(_)
        | NodeEnum::AlterDatabaseSetStmt(_)
        | NodeEnum::AlterDatabaseRefreshCollStmt(_) => true,
        NodeEnum::CommentStmt(c) => c.objtype == pb::ObjectType::ObjectDatabase as i32,
        NodeEnum::AlterOwnerStmt(o) => o.object_type == pb::ObjectType::ObjectDatabase as i32,
        _ => false,
    };
    if !statement_is(
        stmt,
        about_a_database,
        starts(&["grant", "revoke", "alter database", "comment on database"]),
    ) {
        return None;
    }
    let edits: Vec<(Range<usize>, String)> = word_positions(&lower, &named.to_lowercase())
        .into_iter()
        .map(|i| (i..i + named.len(), quote_ident(database)))
        .collect();
    if edits.is_empty() || database.is_empty() {
        return None;
    }
    let mut plan = edit_plan(
        doc,
        stmt,
        format!("apply it to this database (`{database}`) instead of `{named}`, which the document names but never creates"),
        Applicability::Unsafe,
        edits,
    );
    // The document keeps its own database name; only the database pgspec made is different.
    plan.fix.applicability = Applicability::DisplayOnly;
    // On the server the statement names whatever database it runs in (a scratch database that
    // `up` renames, or the one `pgspec sql` is piped into): GRANTs follow the database's OID.
    let mut template = String::new();
    let mut at = 0;
    for i in word_positions(&lower, &named.to_lowercase()) {
        template.push_str(&stmt.text[at..i].replace('%', "%%"));
        template.push_str("%I");
        at = i + named.len();
    }
    template.push_str(&stmt.text[at..].replace('%', "%%"));
    let template = template.trim().trim_end_matches(';').replace('\'', "''");
    plan.replacement = Some(format!(
        "DO $pgspec$ BEGIN EXECUTE format('{template}', current_database()); END $pgspec$"
    ));
    Some(plan)
}

/// A policy `FOR SELECT` / `FOR DELETE` with a `WITH CHECK` clause: the clause never applies to
/// those commands, so removing it changes nothing.
pub(super) fn drop_meaningless_with_check(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    if !statement_is(
        stmt,
        |n| matches!(n, NodeEnum::CreatePolicyStmt(_)),
        starts(&["create policy"]),
    ) {
        return None;
    }
    let at = *word_positions(&lower, "with")
        .iter()
        .find(|&&i| lower[i + 4..].trim_start().starts_with("check"))?;
    let open = at + lower[at..].find('(')?;
    let close = matching_paren(&masked, open)?;
    let from = lower[..at].trim_end().len();
    Some(edit_plan(
        doc,
        stmt,
        "remove the WITH CHECK clause — PostgreSQL applies WITH CHECK only to INSERT and UPDATE, so it never applied to this policy's command".into(),
        Applicability::Safe,
        vec![(from..close + 1, String::new())],
    ))
}

/// `CREATE POLICY … FOR INSERT USING (cond)`: an INSERT policy has only WITH CHECK (the
/// condition new rows must meet), so `USING` becomes `WITH CHECK`; when the policy has a WITH
/// CHECK as well, the USING clause never applied and goes.
pub(super) fn insert_policy_using(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let Some(NodeEnum::CreatePolicyStmt(policy)) = stmt.first_node() else {
        return None;
    };
    if policy.cmd_name != "insert" || policy.qual.is_none() {
        return None;
    }
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let at = *word_positions(&lower, "using").first()?;
    let (title, edit) = if policy.with_check.is_some() {
        let open = at + lower[at..].find('(')?;
        let close = matching_paren(&masked, open)?;
        let from = lower[..at].trim_end().len();
        (
            "remove the USING clause — an INSERT policy checks new rows with WITH CHECK only, so USING never applied".to_string(),
            (from..close + 1, String::new()),
        )
    } else {
        (
            "write WITH CHECK for USING — an INSERT policy checks the new rows with WITH CHECK (there are no existing rows to filter)".to_string(),
            (at..at + "using".len(), "WITH CHECK".to_string()),
        )
    };
    Some(edit_plan(doc, stmt, title, Applicability::Safe, vec![edit]))
}

/// pg_stat_* views: `tablename` → `relname`, `indexname` → `indexrelname` (the names of
/// pg_tables / pg_indexes, not of the statistics views).
pub(super) fn stat_view_columns(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let column = quoted_names(&err.message).into_iter().next()?;
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    // Only when the statement reads a statistics view and not the views that do have the names
    // (the relations it reads, from its tree; words only for text that does not parse).
    let reads = |name: &str| -> bool {
        if stmt.facts.parses {
            stmt.facts
                .references
                .iter()
                .any(|r| r.kind == ObjectKind::Relation && r.name.starts_with(name))
        } else {
            lower.contains(name)
        }
    };
    if !reads("pg_stat") || reads("pg_indexes") || reads("pg_tables") {
        return None;
    }
    let renames: &[(&str, &str)] = &[
        ("tablename", "relname"),
        ("indexname", "indexrelname"),
        // pg_stat_statements before PostgreSQL 13.
        ("total_time", "total_exec_time"),
        ("mean_time", "mean_exec_time"),
        ("min_time", "min_exec_time"),
        ("max_time", "max_exec_time"),
        ("stddev_time", "stddev_exec_time"),
    ];
    if !renames.iter().any(|(old, _)| *old == column) {
        return None;
    }
    let mut edits = Vec::new();
    for (old, new) in renames {
        for i in word_positions(&lower, old) {
            // `x AS tablename` keeps its output name.
            let before = lower[..i].trim_end();
            if before.ends_with(" as") || before.ends_with('.') && !before.ends_with("s.") {
                continue;
            }
            edits.push((i..i + old.len(), (*new).to_string()));
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        format!(
            "use the statistics views' column names (`{column}` → `{}`)",
            renames
                .iter()
                .find(|(o, _)| *o == column)
                .map_or("", |(_, n)| n)
        ),
        Applicability::Safe,
        edits,
    ))
}

/// `UPDATE … WHERE … LIMIT n` (MySQL) → `WHERE ctid IN (SELECT ctid FROM t WHERE … LIMIT n)`.
pub(super) fn update_limit(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    // `UPDATE … LIMIT` does not parse (that is the error), so there is no tree: first words.
    let head = lower.trim_start();
    let is_update = head.starts_with("update");
    if !is_update && !head.starts_with("delete") {
        return None;
    }
    let limit_at = *word_positions(&lower, "limit").last()?;
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let limit = stmt.text[limit_at..end].trim().to_string();
    let table_at = if is_update {
        skip_ws(&lower, lower.find("update")? + "update".len())
    } else {
        let from = *word_positions(&lower, "from").first()?;
        skip_ws(&lower, from + "from".len())
    };
    let (table_end, _) = identifier_at(&stmt.text, table_at)?;
    let table = &stmt.text[table_at..table_end];
    let where_at = word_positions(&lower, "where")
        .into_iter()
        .find(|&w| w < limit_at);
    let condition = where_at.map(|w| stmt.text[w + "where".len()..limit_at].trim().to_string());
    let from = where_at.unwrap_or_else(|| lower[..limit_at].trim_end().len());
    let subquery = match &condition {
        Some(c) => format!("WHERE ctid IN (SELECT ctid FROM {table} WHERE {c} {limit})"),
        None => format!(" WHERE ctid IN (SELECT ctid FROM {table} {limit})"),
    };
    Some(edit_plan(
        doc,
        stmt,
        "PostgreSQL has no UPDATE/DELETE … LIMIT: limit the rows with a ctid subquery".into(),
        Applicability::Safe,
        vec![(from..end, subquery)],
    ))
}

/// The document defines the same object twice with the same text: the second one goes.
pub(super) fn drop_identical_duplicate(
    doc: &Document,
    stmt: &Statement,
    earlier: &Statement,
) -> Option<FixPlan> {
    if normalized(&stmt.text) != normalized(&earlier.text) {
        return None;
    }
    let earlier_line = doc.line_index.line(earlier.range.start);
    Some(remove_statement(
        doc,
        stmt,
        format!(
            "remove this repeated definition — line {earlier_line} already defines it identically"
        ),
        Applicability::Safe,
    ))
}

/// A fix that removes the whole statement (and the line break after it, so no blank line is
/// left behind); checking goes on as if it were not there.
fn remove_statement(
    doc: &Document,
    stmt: &Statement,
    title: String,
    applicability: Applicability,
) -> FixPlan {
    let mut end = stmt.text.len();
    let mut plan = edit_plan(
        doc,
        stmt,
        title,
        applicability,
        vec![(0..end, String::new())],
    );
    if plan.fix.applicability == applicability {
        let after = &doc.text[stmt.range.end as usize..];
        if after.starts_with('\n') {
            end = 1;
        } else if after.starts_with("\r\n") {
            end = 2;
        } else {
            end = 0;
        }
        if let Some(edit) = plan.fix.edits.first_mut() {
            edit.range = TextRange::new(
                edit.range.start,
                edit.range.end + u32::try_from(end).unwrap_or(0),
            );
        }
    }
    plan.replacement = Some(String::new());
    plan
}

/// Statement text without comments, case and whitespace differences, for comparing definitions.
fn normalized(text: &str) -> String {
    let masked = mask_quotes_and_comments(text);
    // Comments are blanked in `masked`; string contents too, so keep those from `text`.
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for (m, t) in masked.chars().zip(text.chars()) {
        let c = if m == ' ' && t != ' ' && !t.is_whitespace() {
            ' '
        } else {
            t
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.extend(c.to_lowercase());
            last_space = false;
        }
    }
    out.trim().trim_end_matches(';').trim().to_string()
}

#[cfg(test)]
pub(super) mod tests;

pub(super) mod dialect;
