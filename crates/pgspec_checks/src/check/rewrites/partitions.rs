//! Rewrites about partitioned tables and the foreign keys that reach them: references a
//! partitioned table cannot take, tables that wait for each other, partition syntax.

use super::*;

/// Drop the foreign keys to a partitioned table whose key (now) includes the partition
/// column: behaviour-changing, the reference is no longer enforced.
pub(in crate::check) fn drop_partitioned_reference(
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

/// `ALTER TABLE child DETACH PARTITION;` (the partition named as the table) →
/// `ALTER TABLE parent DETACH PARTITION child;`, the parent being the partitioned table whose
/// name the child's extends.
pub(in crate::check) fn detach_partition_syntax(
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

/// Tables that reference each other: the foreign keys of a `CREATE TABLE` to `targets` (tables
/// created by statements that wait for this one) leave the statement and come back as
/// `ALTER TABLE … ADD … FOREIGN KEY …` after `insert_after` (the end of the last statement
/// they wait for), once both tables exist. Safe: the database ends up with the same
/// constraints. The plan's `after` holds the ALTER statements, run by the caller when their
/// targets exist.
pub(in crate::check) fn move_foreign_keys_out(
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
        // The statement they come after may be the last of its block, written without `;`.
        let at = insert_after as usize;
        let ended = doc
            .text
            .get(..at)
            .is_some_and(|t| t.trim_end().ends_with(';'))
            || doc
                .text
                .get(at..)
                .is_some_and(|t| t.trim_start().starts_with(';'));
        plan.fix.edits.push(Edit {
            range: TextRange::empty(insert_after),
            replacement: format!(
                "{}{}",
                if ended { "" } else { ";" },
                alters.iter().map(|a| format!("\n{a}")).collect::<String>()
            ),
        });
    }
    plan.after = alters;
    Some(plan)
}

/// A partition of a table that is not partitioned: a table of its own with the parent's
/// columns.
pub(in crate::check) fn partition_as_plain_table(
    doc: &Document,
    stmt: &Statement,
) -> Option<FixPlan> {
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
