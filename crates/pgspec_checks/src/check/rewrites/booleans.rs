//! `boolean DEFAULT 1`: a default written as MySQL and SQLite store booleans, as the integers
//! 0 and 1, which PostgreSQL refuses for a `boolean` column (42804, "default expression is of
//! type integer"). The meaning is plain: `false` and `true`.

use super::*;
use crate::sql::ast::{walk, NodeRef};

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
    let mut defaults: Vec<&pb::Node> = Vec::new();
    for node in walk(root.to_ref()) {
        match node {
            NodeRef::ColumnDef(def) if def.colname == column => {
                defaults.extend(def.constraints.iter().filter_map(|c| match &c.node {
                    Some(NodeEnum::Constraint(c))
                        if c.contype == pb::ConstrType::ConstrDefault as i32 =>
                    {
                        c.raw_expr.as_deref()
                    }
                    _ => None,
                }));
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
    let mut edits = Vec::new();
    for default in defaults {
        let Some(NodeEnum::AConst(constant)) = &default.node else {
            continue;
        };
        let Some(pb::a_const::Val::Ival(value)) = &constant.val else {
            continue;
        };
        let at = usize::try_from(constant.location).ok()?;
        let word = match value.ival {
            0 => "false",
            1 => "true",
            _ => return None,
        };
        // The literal as written: one digit, not the start of a longer number.
        let written = stmt.text.get(at..at + 1)?;
        let next = stmt.text.as_bytes().get(at + 1).copied();
        if written != value.ival.to_string()
            || next.is_some_and(|b| b.is_ascii_digit() || b == b'.')
        {
            return None;
        }
        edits.push((at..at + 1, word.to_string()));
    }
    if edits.is_empty() {
        return None;
    }
    Some(edit_plan(
        doc,
        stmt,
        format!("write the default of boolean `{column}` as `false`/`true`, not 0/1"),
        Applicability::Safe,
        edits,
    ))
}
