//! One generated column as SQL: its type, keys, default and enumerated values.

use std::collections::{HashMap, HashSet};

use crate::sql::quote::quote_literal as literal;
use crate::sql::Statement;

use super::super::model::DocColumn;
use super::{is_enum_word, quote_part};

/// `name type [NOT NULL] [UNIQUE] [DEFAULT …] [CHECK (…)] [CHECK (… IN (…))]` for a column
/// description.
/// Unknown types become `text` (said in a comment), a type the SQL creates is used as is.
/// `checked_in_sql`: a statement of the document adds a CHECK on the column
/// ([`sql_checked_columns`]), which says what the values may be; the values listed in the
/// description then make no second CHECK of their own.
pub(super) fn column_definition(
    c: &DocColumn,
    types: &HashMap<String, usize>,
    inherited: Option<String>,
    checked_in_sql: bool,
) -> String {
    let raw = c.raw_type.trim();
    let (ty, comment) = match &c.pg_type {
        Some(t) => (t.clone(), None),
        None if raw.is_empty() && inherited.is_some() => (inherited.unwrap_or_default(), None),
        None if types.contains_key(&raw.to_lowercase()) => (raw.to_lowercase(), None),
        None if raw.is_empty() => ("text".to_string(), Some("no type given".to_string())),
        None if is_enum_word(raw) && c.enum_values.len() >= 2 => ("text".to_string(), None),
        None => ("text".to_string(), Some(format!("type `{raw}` unknown"))),
    };
    let mut def = format!("{} {ty}", quote_part(&c.name));
    if c.not_null == Some(true) && !c.primary_key {
        def.push_str(" NOT NULL");
    }
    if c.unique && !c.primary_key {
        def.push_str(" UNIQUE");
    }
    if let Some(default) = c
        .default
        .as_deref()
        .and_then(|d| default_expression(d, &ty))
    {
        def.push_str(&format!(" DEFAULT {default}"));
    }
    let textual = ty == "text" || ty.starts_with("character");
    // A CHECK the document wrote says what the values may be more exactly than a list read
    // from the same cell (which is often that CHECK's own `IN (…)`).
    for check in &c.checks {
        def.push_str(&format!(" CHECK ({check})"));
    }
    if textual && c.enum_values.len() >= 2 && c.checks.is_empty() && !checked_in_sql {
        let values: Vec<String> = c.enum_values.iter().map(|v| literal(v)).collect();
        def.push_str(&format!(
            " CHECK ({} IN ({}))",
            quote_part(&c.name),
            values.join(", ")
        ));
    }
    if let Some(comment) = comment {
        // Nested comments are legal in PostgreSQL: keep the type's text out of comment syntax.
        let comment: String = comment.chars().filter(|c| *c != '*' && *c != '/').collect();
        def.push_str(&format!(" /* {comment} */"));
    }
    def
}

/// (table, column) of every column a statement of the document gives a CHECK with `ALTER
/// TABLE … ADD CHECK (…)`; the table unqualified, as the parser folds it.
pub(super) fn sql_checked_columns(statements: &[Statement]) -> HashSet<(String, String)> {
    statements
        .iter()
        .filter_map(|s| crate::sql::tables::added_check_columns(s.ast()?))
        .flat_map(|(table, columns)| columns.into_iter().map(move |c| (table.clone(), c)))
        .collect()
}

/// A default as SQL: literals, `true`/`false`/`null`, and function calls are kept; other
/// words are a string for textual columns (`default Asia/Seoul`) and dropped otherwise.
pub(super) fn default_expression(raw: &str, ty: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').trim_matches('`').trim();
    if d.is_empty() {
        return None;
    }
    let lower = d.to_lowercase();
    let numeric = d.parse::<f64>().is_ok();
    let quoted = d.len() >= 2
        && d.starts_with('\'')
        && d.ends_with('\'')
        && !d[1..d.len() - 1].contains('\'');
    let keyword = matches!(
        lower.as_str(),
        "true"
            | "false"
            | "null"
            | "current_timestamp"
            | "current_date"
            | "current_time"
            | "localtimestamp"
    );
    let call = d.ends_with("()")
        && d[..d.len() - 2]
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
    // `'active'::text`, `'{}'::jsonb`: a literal with the cast psql and pg_dump print after
    // it, an expression as written.
    let cast_literal = d.starts_with('\'')
        && d.split_once("'::").is_some_and(|(lit, ty)| {
            !lit[1..].contains('\'')
                && !ty.is_empty()
                && ty
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '[' | ']'))
        });
    if numeric || quoted || keyword || call || cast_literal {
        return Some(d.to_string());
    }
    let textual = ty == "text" || ty.starts_with("character");
    textual.then(|| literal(d.trim_matches(|c| c == '"' || c == '\'')))
}
