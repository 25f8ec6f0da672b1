//! `boolean DEFAULT 1`, `INSERT … VALUES (…, 1)` into a boolean column: booleans written as
//! MySQL and SQLite store them, as the integers 0 and 1, which PostgreSQL refuses for a
//! `boolean` column (42804, "… is of type integer"). The meaning is plain: `false` and `true`.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::sql::ast::{column_default, last_name, walk, NodeRef};

/// `DEFAULT 0`/`DEFAULT 1` of the boolean column the error names, in a `CREATE TABLE` or an
/// `ALTER TABLE` (`ADD COLUMN`, `ALTER COLUMN … SET DEFAULT`), as `false`/`true`.
pub(crate) fn boolean_default_from_integer(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
) -> Option<FixPlan> {
    if err.sqlstate != "42804"
        || !err
            .message
            .contains("is of type boolean but default expression is of type integer")
    {
        return None;
    }
    let column = quoted_names(&err.message).into_iter().next()?;
    let root = stmt.first_node()?;
    // The column the error names, and every other column the statement declares boolean (one
    // fix for all: a second one, planned on pgspec's text, could only be shown).
    let mut defaults: Vec<&pb::Node> = Vec::new();
    for node in walk(root.to_ref()) {
        match node {
            NodeRef::ColumnDef(def) if def.colname == column || is_boolean(def) => {
                defaults.extend(column_default(def));
            }
            NodeRef::AlterTableCmd(cmd)
                if cmd.subtype == pb::AlterTableType::AtColumnDefault as i32
                    && cmd.name == column =>
            {
                defaults.extend(cmd.def.as_deref());
            }
            _ => {}
        }
    }
    let edits = as_booleans(&stmt.text, &defaults)?;
    Some(edit_plan(
        doc,
        stmt,
        "write boolean defaults as `false`/`true`, not 0/1".to_string(),
        Applicability::Safe,
        edits,
    ))
}

/// The values an `INSERT … (cols) VALUES (…), (…)` gives the boolean column the error names
/// (and the table's other boolean columns, `boolean_columns` by table), written 0/1, as
/// `false`/`true`. Without a column list the column's position is the table's (not known
/// here): no fix.
pub(crate) fn boolean_values_from_integers(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    boolean_columns: &HashMap<String, HashSet<String>>,
) -> Option<FixPlan> {
    if err.sqlstate != "42804"
        || !err
            .message
            .contains("is of type boolean but expression is of type integer")
    {
        return None;
    }
    let column = quoted_names(&err.message).into_iter().next()?;
    let Some(NodeEnum::InsertStmt(insert)) = stmt.first_node() else {
        return None;
    };
    // The column the error names, and the others the document declares boolean in the table.
    let table = insert.relation.as_ref()?.relname.to_lowercase();
    let declared = boolean_columns.get(&table);
    let positions: Vec<usize> = insert
        .cols
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(&c.node, Some(NodeEnum::ResTarget(t))
                if t.name == column || declared.is_some_and(|d| d.contains(&t.name)))
        })
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() {
        return None;
    }
    let Some(NodeEnum::SelectStmt(select)) =
        insert.select_stmt.as_deref().and_then(|s| s.node.as_ref())
    else {
        return None;
    };
    let values: Vec<&pb::Node> = select
        .values_lists
        .iter()
        .filter_map(|row| match &row.node {
            Some(NodeEnum::List(items)) => Some(items),
            _ => None,
        })
        .flat_map(|items| positions.iter().filter_map(|&p| items.items.get(p)))
        .collect();
    let edits = as_booleans(&stmt.text, &values)?;
    Some(edit_plan(
        doc,
        stmt,
        "write boolean values as `false`/`true`, not 0/1".to_string(),
        Applicability::Safe,
        edits,
    ))
}

/// Edits that write each integer constant 0/1 among `values` as `false`/`true`; None when one
/// of them is another integer (not a boolean's spelling) or none is an integer.
fn as_booleans(text: &str, values: &[&pb::Node]) -> Option<Vec<(std::ops::Range<usize>, String)>> {
    let mut edits = Vec::new();
    for value in values {
        let Some(NodeEnum::AConst(constant)) = &value.node else {
            continue;
        };
        let Some(pb::a_const::Val::Ival(integer)) = &constant.val else {
            continue;
        };
        let word = match integer.ival {
            0 => "false",
            1 => "true",
            _ => return None,
        };
        let at = usize::try_from(constant.location).ok()?;
        // The literal as written: one digit, not the start of a longer number.
        let written = text.get(at..at + 1)?;
        let next = text.as_bytes().get(at + 1).copied();
        if written != integer.ival.to_string()
            || next.is_some_and(|b| b.is_ascii_digit() || b == b'.')
        {
            return None;
        }
        edits.push((at..at + 1, word.to_string()));
    }
    (!edits.is_empty()).then_some(edits)
}

/// Whether a column definition's type is `boolean`.
fn is_boolean(def: &pb::ColumnDef) -> bool {
    def.type_name
        .as_ref()
        .and_then(|t| last_name(&t.names))
        .is_some_and(|name| name == "bool" || name == "boolean")
}

/// The boolean columns each table of `statements` declares (`CREATE TABLE`, `ADD COLUMN`),
/// by unqualified table name, lowercased.
pub(crate) fn declared_boolean_columns(
    statements: &[Statement],
) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for stmt in statements {
        let table = match stmt.first_node() {
            Some(NodeEnum::CreateStmt(create)) => create.relation.as_ref(),
            Some(NodeEnum::AlterTableStmt(alter)) => alter.relation.as_ref(),
            _ => None,
        };
        let (Some(table), Some(root)) = (table, stmt.first_node()) else {
            continue;
        };
        for node in walk(root.to_ref()) {
            if let NodeRef::ColumnDef(def) = node {
                if is_boolean(def) {
                    out.entry(table.relname.to_lowercase())
                        .or_default()
                        .insert(def.colname.clone());
                }
            }
        }
    }
    out
}
