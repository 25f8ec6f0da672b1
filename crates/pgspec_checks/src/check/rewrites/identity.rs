//! Two things documents write that PostgreSQL refuses though the intent is plain: explicit
//! values for a `GENERATED ALWAYS AS IDENTITY` column (sample data often gives the ids), which
//! need `OVERRIDING SYSTEM VALUE` and then the identity moved past them; and `IF NOT EXISTS`
//! on objects PostgreSQL creates without one (`CREATE TYPE`, `CREATE POLICY`, `ADD
//! CONSTRAINT`, …).

use super::*;

/// `INSERT INTO t (id, …) OVERRIDING SYSTEM VALUE VALUES …`, and after it the identity of the
/// column the error names set to the largest value.
pub(crate) fn identity_override(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    let Some(NodeEnum::InsertStmt(insert)) = stmt.first_node() else {
        return None;
    };
    // Already overriding (the user's value kind), or no column list to put it after.
    if insert.r#override != pb::OverridingKind::OverridingNotSet as i32 {
        return None;
    }
    let relation = insert.relation.as_ref()?;
    let column = quoted_names(&err.message).into_iter().next()?;
    let last = insert.cols.last()?;
    let Some(NodeEnum::ResTarget(target)) = &last.node else {
        return None;
    };
    let masked = mask_quotes_and_comments(&stmt.text);
    let from = usize::try_from(target.location).ok()?;
    let close = from + masked.get(from..)?.find(')')?;
    let table = crate::sql::ast::quote_relation(relation);
    let column_ident = quote_ident(&column);
    let setval = format!(
        "SELECT setval(pg_get_serial_sequence({}, {}), (SELECT max({column_ident}) FROM {table}))",
        crate::sql::quote::quote_literal(&table),
        crate::sql::quote::quote_literal(&column_ident),
    );
    let mut plan = edit_plan(
        doc,
        stmt,
        format!(
            "`{column}` is GENERATED ALWAYS AS IDENTITY: insert the given values with OVERRIDING SYSTEM VALUE, then move the identity past them"
        ),
        Applicability::Safe,
        vec![(close + 1..close + 1, " OVERRIDING SYSTEM VALUE".to_string())],
    );
    if plan.fix.applicability != Applicability::DisplayOnly {
        plan.fix.edits.push(Edit {
            range: TextRange::empty(stmt.range.end),
            replacement: format!("\n{setval};"),
        });
    }
    plan.after.push(setval);
    Some(plan)
}

/// The objects PostgreSQL 15 creates without an `IF NOT EXISTS` clause, as the statement (or
/// its ALTER TABLE action) starts: `CREATE TYPE IF NOT EXISTS x …` does not parse.
const NO_IF_NOT_EXISTS: &[&[&str]] = &[
    &["create", "type"],
    &["create", "domain"],
    &["create", "policy"],
    &["create", "trigger"],
    &["create", "constraint", "trigger"],
    &["create", "rule"],
    &["create", "publication"],
    &["create", "event", "trigger"],
    &["create", "operator"],
    &["add", "constraint"],
];

/// `IF NOT EXISTS` where PostgreSQL has none (the parser stops at its `NOT`): taken out, since
/// the scratch database has no such object yet; `CREATE TRIGGER IF NOT EXISTS` becomes
/// `CREATE OR REPLACE TRIGGER` (PostgreSQL 14+), which a rerun tolerates too. Decided on the
/// words before the clause: the statement has no tree.
pub(crate) fn unsupported_if_not_exists(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    if !err.message.ends_with("at or near \"NOT\"") {
        return None;
    }
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let words = words_at(&lower);
    for at in 0..words.len() {
        let rest = &words[at..];
        for head in NO_IF_NOT_EXISTS {
            let n = head.len();
            let matches_head = rest.len() > n + 2
                && rest[..n].iter().map(|(_, w)| *w).eq(head.iter().copied())
                && rest[n].1 == "if"
                && rest[n + 1].1 == "not"
                && rest[n + 2].1 == "exists";
            if !matches_head {
                continue;
            }
            let clause = rest[n].0..rest[n + 2].0 + "exists".len();
            let end = skip_ws(&lower, clause.end);
            let trigger = head == &["create", "trigger"];
            let (range, replacement, title) = if trigger {
                (
                    rest[0].0..end,
                    "CREATE OR REPLACE TRIGGER ".to_string(),
                    "PostgreSQL has no CREATE TRIGGER IF NOT EXISTS: CREATE OR REPLACE TRIGGER"
                        .to_string(),
                )
            } else {
                (
                    clause.start..end,
                    String::new(),
                    format!(
                        "PostgreSQL has no `{} IF NOT EXISTS`: the clause goes (the object does not exist yet)",
                        head.join(" ").to_uppercase()
                    ),
                )
            };
            return Some(edit_plan(
                doc,
                stmt,
                title,
                Applicability::Safe,
                vec![(range, replacement)],
            ));
        }
    }
    None
}
