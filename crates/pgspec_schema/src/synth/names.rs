//! Names in generated SQL: quoting, names PostgreSQL would take, the types an extension provides, elisions in a description.

use super::*;

/// Whether the column's type comes from an extension (pgvector, PostGIS, citext, ltree, hstore).
pub(super) fn extension_type(c: &DocColumn) -> bool {
    c.pg_type.as_deref().is_some_and(|t| {
        let base = t.split(['(', '[']).next().unwrap_or(t);
        matches!(
            base,
            "vector"
                | "halfvec"
                | "sparsevec"
                | "geometry"
                | "geography"
                | "citext"
                | "ltree"
                | "hstore"
        )
    })
}

/// An elision marker inside a statement: `...`, `…`, or a comment about other columns.
pub(super) fn has_elision(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("...")
        || lower.contains('…')
        || lower.lines().any(|l| {
            l.trim_start().starts_with("--")
                && (l.contains("기타")
                    || l.contains("생략")
                    || l.contains("other column")
                    || l.contains("more column")
                    || l.contains("etc"))
        })
}

pub(super) fn has_word(haystack: &str, word: &str) -> bool {
    let bytes = haystack.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut from = 0;
    while let Some(at) = haystack[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before = start == 0 || !is_ident(bytes[start - 1]);
        let after = end >= bytes.len() || !is_ident(bytes[end]);
        if before && after {
            return true;
        }
        from = end;
        if from >= haystack.len() {
            break;
        }
        while !haystack.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// An identifier as SQL: bare when PostgreSQL would read it back unchanged, quoted otherwise.
/// `schema.table` keeps its dot.
pub(crate) fn quote(name: &str) -> String {
    name.split('.')
        .map(quote_part)
        .collect::<Vec<_>>()
        .join(".")
}

/// A name pgspec can write as an identifier: not empty, no control characters.
pub(super) fn usable_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control)
}

/// One identifier, quoted when needed (a column name may contain a dot).
pub(super) fn quote_part(part: &str) -> String {
    crate::sql::quote::quote_ident(part)
}
