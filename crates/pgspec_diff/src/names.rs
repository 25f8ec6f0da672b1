//! Names and literals as the plan writes them.

use pgspec_sql::quote::{quote_ident, quote_literal_any_mode};

/// `schema.name`, each part quoted as needed.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A name, quoted as needed.
pub(crate) fn ident(name: &str) -> String {
    quote_ident(name)
}

/// A string literal for a printed script.
pub(crate) fn literal(text: &str) -> String {
    quote_literal_any_mode(text)
}

/// `'text'` or `NULL`, for COMMENT ON.
pub(crate) fn comment_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_string(), literal)
}
