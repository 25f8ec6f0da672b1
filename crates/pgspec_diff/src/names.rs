//! Names and literals as the plan writes them.

use pgspec_sql::quote::{quote_ident, quote_literal_any_mode};

/// `schema.name`, each part quoted as needed.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// At most this many names are remembered by [`ident`] (per thread).
const REMEMBERED: usize = 10_000;

/// A name, quoted as needed. Remembered: whether a name is a keyword takes the SQL scanner,
/// and a plan writes the same few names many times (a third of planning 300 tables).
pub(crate) fn ident(name: &str) -> String {
    thread_local! {
        static QUOTED: std::cell::RefCell<std::collections::HashMap<String, String>> =
            std::cell::RefCell::default();
    }
    QUOTED.with_borrow_mut(|quoted| {
        if let Some(q) = quoted.get(name) {
            return q.clone();
        }
        if quoted.len() >= REMEMBERED {
            quoted.clear();
        }
        let q = quote_ident(name);
        quoted.insert(name.to_string(), q.clone());
        q
    })
}

/// A string literal for a printed script.
pub(crate) fn literal(text: &str) -> String {
    quote_literal_any_mode(text)
}

/// `'text'` or `NULL`, for COMMENT ON.
pub(crate) fn comment_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".to_string(), literal)
}
