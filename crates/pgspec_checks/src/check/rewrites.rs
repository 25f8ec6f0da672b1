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

/// Drop the foreign keys to a partitioned table whose key (now) includes the partition
/// column: behaviour-changing, the reference is no longer enforced.
pub(super) fn drop_partitioned_reference(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    partitioned: &std::collections::HashSet<String>,
) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    // The server names the table ("… for referenced table \"orders\""), or not ("number of
    // referencing and referenced columns for foreign key disagree"): then the partitioned
    // tables the statement references are the candidates.
    let referenced: Vec<String> = word_positions(&lower, "references")
        .into_iter()
        .filter_map(|at| identifier_at(&stmt.text, skip_ws(&lower, at + "references".len())))
        .map(|(_, name)| name)
        .collect();
    let target = quoted_names(&err.message).into_iter().last().or_else(|| {
        referenced
            .iter()
            .find(|n| partitioned.contains(*n))
            .cloned()
    })?;
    let target_lower = target.to_lowercase();
    if !partitioned.contains(&target) && !partitioned.contains(&target_lower) {
        return None;
    }
    let title = format!(
        "drop the foreign key to partitioned table `{target}` — the reference is then not enforced; to keep it, add a column for {target}'s partition key and reference both columns (a composite foreign key)"
    );
    if statement_is(
        stmt,
        |n| matches!(n, NodeEnum::AlterTableStmt(_)),
        starts(&["alter table"]),
    ) {
        // The statement only adds the foreign key: drop it whole.
        let adds = match stmt.first_node() {
            Some(NodeEnum::AlterTableStmt(alter)) => adds_foreign_key(alter),
            _ => lower.contains("foreign key"),
        };
        if !adds {
            return None;
        }
        let mut plan = edit_plan(
            doc,
            stmt,
            title,
            Applicability::Unsafe,
            vec![(0..stmt.text.len(), String::new())],
        );
        plan.replacement = Some(String::new());
        return Some(plan);
    }
    let body_open = lower.find('(')?;
    let body_close = matching_paren(&masked, body_open)?;
    let mut edits = Vec::new();
    for at in word_positions(&lower, "references") {
        if at < body_open || at > body_close {
            continue;
        }
        let name_at = skip_ws(&lower, at + "references".len());
        let (mut end, name) = identifier_at(&stmt.text, name_at)?;
        if name != target_lower && name != target {
            continue;
        }
        // Referenced columns, then the clause's options.
        let next = skip_ws(&lower, end);
        if lower[next..].starts_with('(') {
            end = matching_paren(&masked, next)? + 1;
        }
        end = skip_reference_options(&lower, &masked, end);
        // Table constraint `[CONSTRAINT n] FOREIGN KEY (…) REFERENCES …`: drop the element.
        let element_start = lower[..at]
            .rfind(',')
            .filter(|&c| c > body_open)
            .unwrap_or(body_open);
        let element = &lower[element_start + 1..at];
        if element.contains("foreign key") {
            let (from, to) = if element_start == body_open {
                // First element: take the comma after it instead.
                let after = skip_ws(&lower, end);
                let to = if lower[after..].starts_with(',') {
                    after + 1
                } else {
                    end
                };
                (element_start + 1, to)
            } else {
                (element_start, end)
            };
            edits.push((from..to, String::new()));
        } else {
            // Column constraint: drop `REFERENCES …` and the space before it.
            let from = if at > 0 && lower.as_bytes()[at - 1] == b' ' {
                at - 1
            } else {
                at
            };
            edits.push((from..end, String::new()));
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(doc, stmt, title, Applicability::Unsafe, edits))
}

/// The end of `ON DELETE …`, `ON UPDATE …`, `MATCH …`, `[NOT] DEFERRABLE`, `INITIALLY …` after
/// a REFERENCES clause.
fn skip_reference_options(lower: &str, masked: &str, mut end: usize) -> usize {
    const ACTIONS: &[&str] = &[
        "no action",
        "restrict",
        "cascade",
        "set null",
        "set default",
    ];
    loop {
        let at = skip_ws(lower, end);
        let rest = &lower[at..];
        let consumed = if let Some(r) = rest
            .strip_prefix("on delete")
            .or_else(|| rest.strip_prefix("on update"))
        {
            let r_at = at + (rest.len() - r.len());
            let a = skip_ws(lower, r_at);
            match ACTIONS.iter().find(|act| lower[a..].starts_with(*act)) {
                Some(act) => {
                    let mut e = a + act.len();
                    // PostgreSQL 15: `SET NULL (col, …)`.
                    let p = skip_ws(lower, e);
                    if act.starts_with("set") && lower[p..].starts_with('(') {
                        e = matching_paren(masked, p).map_or(e, |c| c + 1);
                    }
                    Some(e)
                }
                None => None,
            }
        } else if let Some(r) = rest.strip_prefix("match ") {
            let w = r.trim_start();
            let len = w.find(|c: char| !c.is_alphabetic()).unwrap_or(w.len());
            Some(at + (rest.len() - w.len()) + len)
        } else if rest.starts_with("not deferrable") {
            Some(at + "not deferrable".len())
        } else if rest.starts_with("deferrable") {
            Some(at + "deferrable".len())
        } else if rest.starts_with("initially deferred") {
            Some(at + "initially deferred".len())
        } else if rest.starts_with("initially immediate") {
            Some(at + "initially immediate".len())
        } else {
            None
        };
        match consumed {
            Some(e) => end = e,
            None => return end,
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
                format!("remove this index — its predicate calls a function that is not IMMUTABLE, and without it the index would cover the same columns of `{table}` as the index at line {line}"),
                Applicability::Unsafe,
            ));
        }
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

/// `ALTER TABLE child DETACH PARTITION;` (the partition named as the table) →
/// `ALTER TABLE parent DETACH PARTITION child;`, the parent being the partitioned table whose
/// name the child's extends.
pub(super) fn detach_partition_syntax(
    doc: &Document,
    stmt: &Statement,
    partitioned: &std::collections::HashSet<String>,
) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    // `DETACH PARTITION;` without a name does not parse (that is the error): first words.
    let head = lower.trim_start();
    if !head.starts_with("alter table") {
        return None;
    }
    let detach = *word_positions(&lower, "detach").first()?;
    let after = lower[detach..].trim_start_matches("detach").trim_start();
    let after = after.strip_prefix("partition")?.trim();
    if !after.trim_end_matches(';').trim().is_empty() {
        return None;
    }
    let table_at = skip_ws(&lower, lower.find("table")? + "table".len());
    let table_at = if lower[table_at..].starts_with("if exists") {
        skip_ws(&lower, table_at + "if exists".len())
    } else {
        table_at
    };
    let (table_end, child) = identifier_at(&stmt.text, table_at)?;
    let parent = partitioned
        .iter()
        .filter(|p| child.starts_with(&format!("{p}_")))
        .max_by_key(|p| p.len())?;
    let child_text = stmt.text[table_at..table_end].to_string();
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    Some(edit_plan(
        doc,
        stmt,
        format!("name the partitioned table and the partition: `ALTER TABLE {parent} DETACH PARTITION {child_text}`"),
        Applicability::Safe,
        vec![
            (table_at..table_end, quote_ident(parent)),
            (end..end, format!(" {child_text}")),
        ],
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

/// Tables that reference each other: the foreign keys of a `CREATE TABLE` to `targets` (tables
/// created by statements that wait for this one) leave the statement and come back as
/// `ALTER TABLE … ADD … FOREIGN KEY …` after `insert_after` (the end of the last statement
/// they wait for), once both tables exist. Safe: the database ends up with the same
/// constraints. The plan's `after` holds the ALTER statements, run by the caller when their
/// targets exist.
pub(super) fn move_foreign_keys_out(
    doc: &Document,
    stmt: &Statement,
    targets: &std::collections::HashSet<String>,
    insert_after: u32,
) -> Option<FixPlan> {
    let Some(NodeEnum::CreateStmt(create)) = stmt.first_node() else {
        return None;
    };
    let relation = create.relation.as_ref()?;
    let table = match relation.schemaname.as_str() {
        "" => quote_ident(&relation.relname),
        schema => format!("{}.{}", quote_ident(schema), quote_ident(&relation.relname)),
    };
    let text = &stmt.text;
    let masked = mask_quotes_and_comments(text);
    let lower = masked.to_ascii_lowercase();
    let body_open = lower.find('(')?;
    let body_close = matching_paren(&masked, body_open)?;
    let to_target = |c: &pb::Constraint| {
        c.contype == pb::ConstrType::ConstrForeign as i32
            && c.pktable
                .as_ref()
                .is_some_and(|t| targets.contains(&t.relname))
    };
    // (constraint, the column it is written on for a column constraint)
    let mut found: Vec<(&pb::Constraint, Option<&str>)> = Vec::new();
    for element in &create.table_elts {
        match &element.node {
            Some(NodeEnum::ColumnDef(col)) => {
                for c in &col.constraints {
                    if let Some(NodeEnum::Constraint(c)) = &c.node {
                        if to_target(c) {
                            found.push((c, Some(col.colname.as_str())));
                        }
                    }
                }
            }
            Some(NodeEnum::Constraint(c)) if to_target(c) => found.push((c, None)),
            _ => {}
        }
    }
    if found.is_empty() {
        return None;
    }
    let mut edits = Vec::new();
    let mut alters = Vec::new();
    for (c, column) in found {
        let start = usize::try_from(c.location).ok()?;
        if start <= body_open || start >= body_close {
            return None;
        }
        let head = &lower[start..];
        let named = head.starts_with("constraint");
        let references = *word_positions(&lower, "references")
            .iter()
            .find(|&&at| at >= start)?;
        let name_at = skip_ws(&lower, references + "references".len());
        let (mut end, _) = identifier_at(text, name_at)?;
        let next = skip_ws(&lower, end);
        if lower[next..].starts_with('(') {
            end = matching_paren(&masked, next)? + 1;
        }
        end = skip_reference_options(&lower, &masked, end);
        let clause = match column {
            // `col type [CONSTRAINT n] REFERENCES t (c) …` → `[CONSTRAINT n] FOREIGN KEY (col)
            // REFERENCES t (c) …`
            Some(column) => {
                if !(named || head.starts_with("references")) {
                    return None;
                }
                format!(
                    "{}FOREIGN KEY ({}) {}",
                    if named {
                        format!("{} ", text[start..references].trim_end())
                    } else {
                        String::new()
                    },
                    quote_ident(column),
                    &text[references..end]
                )
            }
            None => {
                if !(named || head.starts_with("foreign")) {
                    return None;
                }
                text[start..end].to_string()
            }
        };
        alters.push(format!("ALTER TABLE {table} ADD {clause};"));
        let range = if column.is_some() {
            // Drop the clause and the space before it.
            let from = text[..start].trim_end().len();
            from..end
        } else {
            let before = lower[..start].trim_end();
            if before.ends_with(',') {
                before.len() - 1..end
            } else {
                // The first element: take the comma after it instead.
                let after = skip_ws(&lower, end);
                if !lower[after..].starts_with(',') {
                    return None;
                }
                start..skip_ws(&lower, after + 1)
            }
        };
        edits.push((range, String::new()));
    }
    let targets_named: Vec<String> = {
        let mut t: Vec<String> = targets.iter().cloned().collect();
        t.sort();
        t
    };
    let mut plan = edit_plan(
        doc,
        stmt,
        format!(
            "create `{}` without its FOREIGN KEY to `{}` and add it with ALTER TABLE once both tables exist",
            relation.relname,
            targets_named.join("`, `")
        ),
        Applicability::Safe,
        edits,
    );
    if plan.fix.applicability == Applicability::Safe {
        plan.fix.edits.push(Edit {
            range: TextRange::empty(insert_after),
            replacement: alters.iter().map(|a| format!("\n{a}")).collect::<String>(),
        });
    }
    plan.after = alters;
    Some(plan)
}

/// A generated column whose expression depends on the session time zone (a `timestamptz`
/// column read as a date or hour): the same expression on the column's time at `'UTC'`.
pub(super) fn generated_at_utc(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let table = stmt.created_table()?;
    let zoned: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| {
            matches!(
                c.pg_type.as_str(),
                "timestamptz" | "timestamp with time zone"
            )
        })
        .map(|c| c.name.as_str())
        .collect();
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let mut edits = Vec::new();
    let mut changed = Vec::new();
    for at in word_positions(&lower, "generated") {
        let rest = &lower[at..];
        let Some(as_at) = rest.find(" as ").filter(|&p| rest[..p].contains("always")) else {
            continue;
        };
        let open = at + as_at + rest[as_at..].find('(')?;
        let close = matching_paren(&masked, open)?;
        for column in &zoned {
            for found in word_positions(&lower[open..close], column) {
                let from = open + found;
                let to = from + column.len();
                // Already at a named zone.
                if lower[to..close].trim_start().starts_with("at time zone") {
                    continue;
                }
                edits.push((
                    from..to,
                    format!("({} AT TIME ZONE 'UTC')", &stmt.text[from..to]),
                ));
                changed.push((*column).to_string());
            }
        }
    }
    if edits.is_empty() {
        return None;
    }
    changed.dedup();
    Some(edit_plan(
        doc,
        stmt,
        format!(
            "assume the generated column reads `{}` at 'UTC' (its expression depended on the session time zone, which a stored column cannot)",
            changed.join("`, `")
        ),
        Applicability::Assumption,
        edits,
    ))
}

/// A table with two primary keys: the first stays, the second becomes UNIQUE.
pub(super) fn second_primary_key_unique(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let open = lower.find('(')?;
    let close = matching_paren(&masked, open)?;
    let keys: Vec<std::ops::Range<usize>> = word_positions(&lower, "primary")
        .into_iter()
        .filter(|&at| at > open && at < close)
        .filter_map(|at| {
            let key = skip_ws(&lower, at + "primary".len());
            lower[key..]
                .starts_with("key")
                .then(|| at..key + "key".len())
        })
        .collect();
    let [_, second, ..] = keys.as_slice() else {
        return None;
    };
    Some(edit_plan(
        doc,
        stmt,
        "assume the first PRIMARY KEY is the table's key and the second one is UNIQUE".into(),
        Applicability::Assumption,
        vec![(second.clone(), "UNIQUE".into())],
    ))
}

/// A partition of a table that is not partitioned: a table of its own with the parent's
/// columns.
pub(super) fn partition_as_plain_table(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let Some(NodeEnum::CreateStmt(create)) = stmt.first_node() else {
        return None;
    };
    create.partbound.as_ref()?;
    let child = create.relation.as_ref()?;
    let parent = match create.inh_relations.first().and_then(|n| n.node.as_ref()) {
        Some(NodeEnum::RangeVar(rv)) => rv,
        _ => return None,
    };
    let name = |rv: &pb::RangeVar| match rv.schemaname.as_str() {
        "" => quote_ident(&rv.relname),
        schema => format!("{}.{}", quote_ident(schema), quote_ident(&rv.relname)),
    };
    let end = stmt.text.trim_end().trim_end_matches(';').trim_end().len();
    Some(edit_plan(
        doc,
        stmt,
        format!(
            "assume `{}` is a table of its own with the columns of `{}` (which is not partitioned, so it can have no partitions)",
            child.relname, parent.relname
        ),
        Applicability::Assumption,
        vec![(
            0..end,
            format!(
                "CREATE TABLE {} (LIKE {} INCLUDING ALL)",
                name(child),
                name(parent)
            ),
        )],
    ))
}

/// A generated column used as the partition key: a plain column of the same type (the
/// application or a trigger fills it).
pub(super) fn generated_to_plain(
    doc: &Document,
    stmt: &Statement,
    named: &[String],
) -> Option<FixPlan> {
    let Some(NodeEnum::CreateStmt(create)) = stmt.first_node() else {
        return None;
    };
    let key: Vec<&str> = create
        .partspec
        .as_ref()?
        .part_params
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::PartitionElem(e)) if !e.name.is_empty() => Some(e.name.as_str()),
            _ => None,
        })
        .collect();
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let mut edits = Vec::new();
    let mut columns = Vec::new();
    for element in &create.table_elts {
        let Some(NodeEnum::ColumnDef(col)) = &element.node else {
            continue;
        };
        if !(named.contains(&col.colname)
            || named.is_empty() && key.contains(&col.colname.as_str()))
        {
            continue;
        }
        let from = usize::try_from(col.location).ok()?;
        let Some(at) = word_positions(&lower, "generated")
            .into_iter()
            .find(|&p| p > from)
        else {
            continue;
        };
        let open = at + lower[at..].find('(')?;
        let close = matching_paren(&masked, open)?;
        let after = skip_ws(&lower, close + 1);
        let end = if lower[after..].starts_with("stored") {
            after + "stored".len()
        } else {
            close + 1
        };
        let start = lower[..at].trim_end().len();
        edits.push((start..end, String::new()));
        columns.push(col.colname.clone());
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        format!(
            "assume `{}` is a plain column that whoever inserts a row fills (a generated column cannot be the partition key)",
            columns.join("`, `")
        ),
        Applicability::Assumption,
        edits,
    ))
}

/// `doc->>'key'->>0`: the first `->>` gives text, which has no `->>`; the path goes through
/// json (`->`) up to its last step.
pub(super) fn json_path_as_json(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let mut edits = Vec::new();
    let arrows: Vec<usize> = masked.match_indices("->>").map(|(at, _)| at).collect();
    for &at in &arrows {
        // The operand after this arrow, then another arrow: this one must give json.
        let rest = &masked[at + 3..];
        let operand = rest.trim_start();
        let len = if let Some(quoted) = operand.strip_prefix('\'') {
            quoted.find('\'').map(|e| e + 2)?
        } else {
            operand
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(operand.len())
        };
        let next = operand[len..].trim_start();
        if len > 0 && next.starts_with("->") {
            edits.push((at..at + 3, "->".to_string()));
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "assume the JSON path stays json until its last step (`->` before `->>`): `->>` gives text, which has no `->>`".into(),
        Applicability::Assumption,
        edits,
    ))
}

/// `array_agg(DISTINCT x ORDER BY y)` with `y` not among the arguments: PostgreSQL cannot keep
/// both; the order stays and DISTINCT goes (values may then repeat).
pub(super) fn aggregate_without_distinct(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let mut edits = Vec::new();
    for at in word_positions(&lower, "distinct") {
        let open = lower[..at].trim_end();
        if !open.ends_with('(') {
            continue;
        }
        let close = matching_paren(&masked, open.len() - 1)?;
        if !word_positions(&lower[at..close], "order").is_empty() {
            edits.push((at..skip_ws(&lower, at + "distinct".len()), String::new()));
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        "assume the aggregate keeps its ORDER BY and drops DISTINCT (with DISTINCT it may only order by its arguments; values can then repeat)".into(),
        Applicability::Assumption,
        edits,
    ))
}

/// A column name PostgreSQL itself suggests a correction for (`Perhaps you meant to reference
/// the column "events.created_at"`): the statement with the suggested name.
pub(super) fn hinted_column(
    doc: &Document,
    stmt: &Statement,
    missing: &str,
    hint: &str,
) -> Option<FixPlan> {
    if !hint.starts_with("Perhaps you meant to reference the column") {
        return None;
    }
    let suggested = quoted_names(hint).into_iter().next()?;
    let column = suggested.rsplit('.').next()?.to_string();
    renamed_column(doc, stmt, missing, &column, "as PostgreSQL suggests")
}

/// The statement with the column `missing` written `column` (a typo of it), saying `why`.
pub(super) fn renamed_column(
    doc: &Document,
    stmt: &Statement,
    missing: &str,
    column: &str,
    why: &str,
) -> Option<FixPlan> {
    if column.is_empty() || column == missing {
        return None;
    }
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_lowercase();
    if lower.len() != masked.len() {
        return None;
    }
    let edits: Vec<(Range<usize>, String)> = word_positions(&lower, &missing.to_lowercase())
        .into_iter()
        .filter(|&at| stmt.text[at..].starts_with(missing))
        .map(|at| (at..at + missing.len(), quote_ident(column)))
        .collect();
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        format!("assume `{missing}` means `{column}`, {why}"),
        Applicability::Assumption,
        edits,
    ))
}
