//! Small text comparisons the findings share: type equality up to what a description can
//! say, the `LIKE` sources of a `CREATE TABLE`, and the column a server message names.

/// Type equality up to what the description can say: a description without modifiers matches
/// any modifiers (`varchar` ~ `varchar(64)`), `serial` is `integer`, and mermaid's generic
/// `string` is any character type.
pub(super) fn types_agree(doc_raw: &str, doc_type: &str, sql: &str) -> bool {
    let base = |t: &str| -> String {
        let no_array = t.trim_end_matches("[]");
        match no_array.find('(') {
            Some(open) => {
                let close = no_array[open..]
                    .find(')')
                    .map_or(no_array.len(), |c| open + c + 1);
                format!("{}{}", &no_array[..open], &no_array[close..])
            }
            None => no_array.to_string(),
        }
    };
    let doc_type = match doc_type {
        "serial" => "integer",
        "bigserial" => "bigint",
        "smallserial" => "smallint",
        other => other,
    };
    // The catalog names a type outside pg_catalog with its schema (`public.citext`); a
    // description that names none means the type wherever it lives.
    let sql = match sql.split_once('.') {
        Some((schema, name)) if !doc_type.contains('.') && !schema.contains(['(', ' ', '"']) => {
            name
        }
        _ => sql,
    };
    if doc_type == sql {
        return true;
    }
    let arrays = |t: &str| t.matches("[]").count();
    if arrays(doc_type) != arrays(sql) {
        return false;
    }
    let generic_string = matches!(
        doc_raw.trim().to_lowercase().trim_end_matches("[]"),
        "string" | "str"
    );
    let character = |t: &str| {
        let b = base(t);
        b == "text" || b.starts_with("character") || b == "citext"
    };
    if generic_string && character(sql) {
        return true;
    }
    !doc_type.contains('(') && base(doc_type) == base(sql)
}
/// `LIKE other` sources of a `CREATE TABLE` (their columns are the other table's).
pub(super) fn like_sources(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("like ") {
        let after = &rest[at + 5..];
        let word: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            out.push(word);
        }
        rest = after;
    }
    out
}

/// The column an undefined-column message names: `column "x" does not exist`,
/// `column t.x does not exist`, `column "x" named in partition key does not exist`.
#[cfg(test)]
pub(super) fn missing_column(message: &str) -> Option<String> {
    missing_column_of(message).map(|(_, name)| name)
}

/// [`missing_column`] with the qualifier the message gives it (`column v.score …` → `v`, a
/// table or an alias), lowercased.
pub(super) fn missing_column_of(message: &str) -> Option<(Option<String>, String)> {
    let rest = message.strip_prefix("column ")?;
    let written = if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next()?.to_string()
    } else {
        rest.split_whitespace().next()?.to_string()
    };
    let (qualifier, name) = match written.rsplit_once('.') {
        Some((q, n)) => (Some(q.trim_matches('"').to_lowercase()), n),
        None => (None, written.as_str()),
    };
    let name = name.trim_matches('"');
    (!name.is_empty()).then(|| (qualifier, name.to_lowercase()))
}
