//! LNT101: a value the document writes (INSERT/UPDATE in statements, examples and function
//! bodies) is outside its column's CHECK list, enum labels or varchar length.

use super::{allowed_values, document_checks, query_range, writes, Context};
use crate::diagnostics::Label;
use crate::lint::{ast, diagnostic, Rule};

pub(super) fn run(ctx: &mut Context<'_>) {
    // (table, column) → (allowed values, constraint name, document range of the CHECK).
    let mut lists = Vec::new();
    for check in document_checks(ctx) {
        for (column, values) in allowed_values(check.expr) {
            let range = ctx.range(check.stmt, check.at, "CHECK".len());
            lists.push((
                check.table.clone(),
                column,
                values,
                check.name.clone(),
                range,
            ));
        }
    }
    let mut found = Vec::new();
    for w in writes(ctx) {
        let Some((value, at)) = ast::string_constant(w.value) else {
            continue;
        };
        let range = query_range(ctx, w.query, at, value.len() + 2);
        let quoted = format!("'{value}'");
        let column = format!("{}.{}", w.table, w.column);
        for (table, col, values, name, check_range) in &lists {
            if *table != w.table || *col != w.column || values.contains(&value) {
                continue;
            }
            let shown: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
            let constraint = name.as_deref().map_or(String::new(), |n| format!(" `{n}`"));
            found.push(
                diagnostic(
                    Rule::ValueViolatesCheck,
                    format!("{quoted} violates the CHECK{constraint} of `{column}`"),
                    range,
                )
                .label("this value is not in the list")
                .secondary(Label::with_message(*check_range, format!("allows only {}", shown.join(", "))))
                .help(format!(
                    "write one of {} or add {quoted} to the CHECK list; as written the statement fails at run time with SQLSTATE 23514",
                    shown.join(", ")
                )),
            );
        }
        let Some(table) = ctx.tables.iter().find(|t| t.name == w.table) else {
            continue;
        };
        let Some(col) = table.column(&w.column) else {
            continue;
        };
        if !col.enum_labels.is_empty() && !col.enum_labels.contains(&value) {
            found.push(
                diagnostic(
                    Rule::ValueViolatesCheck,
                    format!("{quoted} is not a label of the enum type of `{column}`"),
                    range,
                )
                .help(format!(
                    "use one of {} or add the label with ALTER TYPE … ADD VALUE",
                    col.enum_labels
                        .iter()
                        .map(|v| format!("'{v}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        if let Some(max) = col.max_len {
            let len = value.chars().count();
            if len > max {
                found.push(
                    diagnostic(
                        Rule::ValueViolatesCheck,
                        format!("{quoted} has {len} characters but `{column}` is `{}`", col.type_name),
                        range,
                    )
                    .help(format!("shorten the value or widen the column (e.g. `text` or varchar({len})); as written the statement fails with SQLSTATE 22001")),
                );
            }
        }
    }
    for d in found {
        ctx.push(d);
    }
}
