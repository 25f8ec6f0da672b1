//! Rewrites of column definitions and expressions: generated columns, keys, JSON paths,
//! aggregates, and the column a server hint names.

use super::*;

/// A generated column whose expression depends on the session time zone (a `timestamptz`
/// column read as a date or hour): the same expression on the column's time at `'UTC'`.
pub(in crate::check) fn generated_at_utc(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
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
pub(in crate::check) fn second_primary_key_unique(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
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

/// A generated column used as the partition key: a plain column of the same type (the
/// application or a trigger fills it).
pub(in crate::check) fn generated_to_plain(
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
pub(in crate::check) fn json_path_as_json(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
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
pub(in crate::check) fn aggregate_without_distinct(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
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
pub(in crate::check) fn hinted_column(
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
pub(in crate::check) fn renamed_column(
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

/// A CHECK that reads other rows with a subquery (`CHECK (qty <= (SELECT stock FROM …))`),
/// which PostgreSQL refuses: each such CHECK of the CREATE TABLE or ALTER TABLE is left out,
/// so the table is built and what uses it is checked; the rule it states needs a trigger.
/// Found on the tree (a CHECK constraint whose expression holds a sublink), cut from the text
/// at the constraint's position (with its `CONSTRAINT name` and a comma before it, if any).
pub(in crate::check) fn check_with_subquery_left_out(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
    constraints_left_out(
        doc,
        stmt,
        |c| {
            c.contype == pb::ConstrType::ConstrCheck as i32
                && c.raw_expr
                    .as_deref()
                    .and_then(|e| e.node.as_ref())
                    .is_some_and(|e| {
                        crate::sql::ast::walk(e.to_ref())
                            .into_iter()
                            .any(|n| matches!(n, crate::sql::ast::NodeRef::SubLink(_)))
                    })
        },
        |masked, start| {
            // Through the CHECK's parenthesis (a column's CHECK ends there, not at a comma).
            let lower = masked.to_ascii_lowercase();
            let check = start + lower.get(start..)?.find("check")?;
            let open = skip_ws(&lower, check + "check".len());
            lower[open..]
                .starts_with('(')
                .then(|| matching_paren(masked, open).map(|close| close + 1))
                .flatten()
        },
        "assume the CHECK that reads other rows is left out: a CHECK sees only its own row, so the rule it states needs a trigger (BEFORE INSERT OR UPDATE) that looks the other rows up",
    )
}

/// An exclusion constraint of a partitioned table, which PostgreSQL 15 refuses: each `EXCLUDE`
/// element of the CREATE TABLE is left out (with its `CONSTRAINT name` and its comma), so the
/// table is built and what uses it is checked.
pub(in crate::check) fn exclusion_left_out(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    constraints_left_out(
        doc,
        stmt,
        |c| c.contype == pb::ConstrType::ConstrExclusion as i32,
        element_end,
        "assume the exclusion constraint is left out of the partitioned table: PostgreSQL 15 enforces one only inside each partition (`ALTER TABLE partition ADD EXCLUDE …`)",
    )
}

/// The constraints of `stmt` that `wanted` picks, found on the tree and cut from the text from
/// their position (`CONSTRAINT name` included) to where `end` says they end, with the comma
/// before them (or, for the list's first element, the one after): an assumption saying `what`.
fn constraints_left_out(
    doc: &Document,
    stmt: &Statement,
    wanted: impl Fn(&pb::Constraint) -> bool,
    end: impl Fn(&str, usize) -> Option<usize>,
    what: &str,
) -> Option<FixPlan> {
    let root = stmt.first_node()?;
    let masked = mask_quotes_and_comments(&stmt.text);
    let mut edits = Vec::new();
    for node in crate::sql::ast::walk(root.to_ref()) {
        let crate::sql::ast::NodeRef::Constraint(c) = node else {
            continue;
        };
        let Ok(start) = usize::try_from(c.location) else {
            continue;
        };
        if !wanted(c) {
            continue;
        }
        let Some(end) = end(&masked, start) else {
            continue;
        };
        // A column's constraint has no comma of its own: it goes with the space before it.
        let cut = element_with_comma(&masked, start, end)
            .unwrap_or_else(|| masked[..start].trim_end().len()..end);
        edits.push((cut, String::new()));
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        what.to_string(),
        Applicability::Assumption,
        edits,
    ))
}

/// What cutting the table element `start..end` of `masked` out of its list removes: the element
/// with the comma before it, or, for the list's first element, with the comma after it. None
/// when it has neither (a column's constraint, or the list's only element).
pub(super) fn element_with_comma(masked: &str, start: usize, end: usize) -> Option<Range<usize>> {
    let before = masked[..start].trim_end();
    if let Some(kept) = before.strip_suffix(',') {
        return Some(kept.len()..end);
    }
    if !before.ends_with('(') {
        return None;
    }
    let comma = end + masked[end..].find(',')?;
    masked[end..comma]
        .trim()
        .is_empty()
        .then(|| start..skip_ws(masked, comma + 1))
}

/// Where the table element starting at `start` of `masked` ends: before the comma or the
/// closing parenthesis of the element list that follows it outside parentheses.
pub(super) fn element_end(masked: &str, start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in masked.bytes().enumerate().skip(start) {
        match b {
            b'(' => depth += 1,
            b')' if depth == 0 => return Some(masked[..i].trim_end().len()),
            b')' => depth -= 1,
            b',' if depth == 0 => return Some(masked[..i].trim_end().len()),
            _ => {}
        }
    }
    None
}
