//! Foreign keys of generated tables: what a column references (a table, an enumeration, a type), the target's key, and the ALTER TABLE that adds the key after both tables exist.

use super::*;
use crate::diagnostics::{Category, Code};

/// The type of the column a foreign-key column without a type of its own refers to (a
/// `serial` key's integer type): `user_id (FK -> users.id)` is a `uuid` when `users.id` is.
pub(super) fn referenced_type(
    c: &DocColumn,
    merged: &[Merged],
    statements: &[Statement],
    creators: &HashMap<String, usize>,
) -> Option<String> {
    if !c.raw_type.trim().is_empty() {
        return None;
    }
    let (target, col) = c.references.as_ref()?;
    let t = bare(target);
    let integer = |ty: &str| {
        match ty {
            "serial" => "integer",
            "bigserial" => "bigint",
            "smallserial" => "smallint",
            other => other,
        }
        .to_string()
    };
    if let Some(m) = merged.iter().find(|m| bare(&m.table.name) == t) {
        let key = match col {
            Some(col) => m.columns.iter().find(|k| k.name == *col),
            None => m.columns.iter().find(|k| k.primary_key),
        }?;
        return key.pg_type.as_deref().map(integer);
    }
    let sql = statements.get(*creators.get(t)?)?.created_table()?;
    let name = match col {
        Some(col) => col.clone(),
        None => sql
            .primary_key
            .first()
            .filter(|_| sql.primary_key.len() == 1)?
            .clone(),
    };
    let key = sql.columns.iter().find(|k| k.name == name)?;
    Some(integer(&key.pg_type))
}

/// Whether a type word is an enumeration without a type of its own: `enum`, `ENUM('a', 'b')`.
pub(super) fn is_enum_word(raw: &str) -> bool {
    let lower = raw.trim().to_ascii_lowercase();
    lower == "enum" || (lower.starts_with("enum") && lower[4..].trim_start().starts_with('('))
}

pub(super) enum Target {
    /// A generated table and the referenced column (its single primary key when unnamed).
    Generated(String, Option<String>),
    /// A table the SQL creates, the column named (if any) and its creator's index.
    Sql(String, Option<String>, usize),
}

/// Why a column's stated reference is not built as a foreign key ([`fk_target`]).
pub(super) enum Unbuilt {
    /// The column states no reference.
    NotStated,
    /// The target or its column is not a plain name.
    BadName,
    /// The generated target has no column of that name.
    NoColumn(String),
    /// The generated target's column is neither its single-column primary key nor unique.
    NotKey(String),
    /// The generated target has no primary key (and no column is named).
    NoPrimaryKey,
    /// The generated target's primary key has these columns (and no column is named).
    CompositeKey(Vec<String>),
    /// No source of the document defines the target.
    NoTable,
}

pub(super) fn fk_target(
    c: &DocColumn,
    own: &Merged,
    generated: &HashMap<&str, &Merged>,
    creators: &HashMap<String, usize>,
    sql_names: &HashMap<String, String>,
) -> Result<Target, Unbuilt> {
    let (target, col) = c.references.as_ref().ok_or(Unbuilt::NotStated)?;
    if !target.split('.').all(usable_name) || col.as_deref().is_some_and(|c| !usable_name(c)) {
        return Err(Unbuilt::BadName);
    }
    let t = bare(target).to_string();
    let _ = own;
    if let Some(m) = generated.get(t.as_str()) {
        // The referenced column must be unique in what pgspec generates.
        let key = match col {
            Some(col) => {
                let k = m
                    .columns
                    .iter()
                    .find(|k| k.name == *col)
                    .ok_or_else(|| Unbuilt::NoColumn(col.clone()))?;
                if !((k.primary_key && single_pk(m)) || k.unique) {
                    return Err(Unbuilt::NotKey(col.clone()));
                }
                k.name.clone()
            }
            None => {
                let pk: Vec<String> = m
                    .columns
                    .iter()
                    .filter(|k| k.primary_key)
                    .map(|k| k.name.clone())
                    .collect();
                match <[String; 1]>::try_from(pk) {
                    Ok([key]) => key,
                    Err(pk) if pk.is_empty() => return Err(Unbuilt::NoPrimaryKey),
                    Err(pk) => return Err(Unbuilt::CompositeKey(pk)),
                }
            }
        };
        return Ok(Target::Generated(t, Some(key)));
    }
    if let Some(&k) = creators.get(&t) {
        let name = sql_names.get(&t).cloned().unwrap_or(t);
        return Ok(Target::Sql(name, col.clone(), k));
    }
    Err(Unbuilt::NoTable)
}

/// ERD005 for a reference the document states that [`fk_target`] cannot build as a foreign
/// key, and why: the column is still created, and the reader must learn that its key is not.
/// A guessed reference (`references_inferred`) to a table defined nowhere is DRF011's, not
/// this rule's.
pub(super) fn unbuilt_reference(c: &DocColumn, table: &str, why: Unbuilt) -> Option<Diagnostic> {
    let (target, col) = c.references.as_ref()?;
    let t = bare(target);
    let wanted = match col {
        Some(col) => format!("`{t}` (`{col}`)"),
        None => format!("`{t}`"),
    };
    let (why, help) = match why {
        Unbuilt::NotStated => return None,
        Unbuilt::NoTable if c.references_inferred => return None,
        Unbuilt::BadName => (
            format!("{wanted} cannot be a table and column name"),
            "write the referenced table (and column) as plain names: `references customers(id)`"
                .to_string(),
        ),
        Unbuilt::NoColumn(col) => (
            format!("`{t}` has no column `{col}`"),
            format!("reference a column `{t}` has (its key), or add `{col}` to `{t}`"),
        ),
        Unbuilt::NotKey(col) => (
            format!("`{t}.{col}` is neither the primary key of `{t}` nor unique"),
            format!("mark `{t}.{col}` as the primary key or unique, or reference `{t}`'s key"),
        ),
        Unbuilt::NoPrimaryKey => (
            format!("`{t}` has no primary key to reference"),
            format!("mark `{t}`'s key column as the primary key, or name the referenced column"),
        ),
        Unbuilt::CompositeKey(pk) => (
            format!(
                "the primary key of `{t}` has {} columns ({}), and one column cannot reference it",
                pk.len(),
                pk.join(", ")
            ),
            format!(
                "reference a unique column of `{t}`, or write the composite foreign key in SQL"
            ),
        ),
        Unbuilt::NoTable => (
            format!("no table `{t}` is defined in the document"),
            format!(
                "define `{t}` (SQL, a column table or the diagram), or correct the referenced name"
            ),
        ),
    };
    let column = &c.name;
    Some(
        Diagnostic::new(
            Code::ReferenceNotBuilt,
            Category::Document,
            format!(
                "`{table}.{column}` references {wanted}, but {why}: pgspec created the column without its foreign key"
            ),
            c.span,
        )
        .label("no foreign key made from this")
        .help(help),
    )
}

pub(super) fn single_pk(m: &Merged) -> bool {
    m.columns.iter().filter(|c| c.primary_key).count() == 1
}

pub(super) fn foreign_key_alter(
    table: &str,
    c: &DocColumn,
    target: &str,
    col: Option<String>,
    from: &GeneratedFrom,
    doc: &Document,
) -> Statement {
    let col = col
        .map(|c| format!(" ({})", quote_part(&c)))
        .unwrap_or_default();
    let text = format!(
        "ALTER TABLE {} ADD FOREIGN KEY ({}) REFERENCES {}{}{};",
        quote(table),
        quote_part(&c.name),
        quote(target),
        col,
        on_delete_clause(c)
    );
    let from = GeneratedFrom {
        line: doc.line_index.line(c.span.start),
        column: Some(c.name.clone()),
        parts: Vec::new(),
        ..from.clone()
    };
    generated_statement(text, c.span, from)
}

/// ` ON DELETE …` for a column whose description says what deleting the referenced row does
/// (only the actions PostgreSQL has: the text goes into generated SQL).
pub(super) fn on_delete_clause(c: &DocColumn) -> String {
    match c.on_delete.as_deref() {
        Some(action @ ("CASCADE" | "SET NULL" | "SET DEFAULT" | "RESTRICT" | "NO ACTION")) => {
            format!(" ON DELETE {action}")
        }
        _ => String::new(),
    }
}
