//! Quoting for SQL that pgspec writes itself (privileged operations, fixes, seed statements,
//! printed scripts): the one place that decides how a name or a value becomes SQL text.

use pg_query::protobuf::KeywordKind;

/// A name as SQL: bare when PostgreSQL would read it back unchanged (lowercase, not a
/// keyword other than an unreserved one), double-quoted otherwise — as the server's own
/// `quote_ident` does. A column named `order` becomes `"order"`.
pub fn quote_ident(name: &str) -> String {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple && !is_keyword(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A string literal. Standard-conforming: backslashes are ordinary characters.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// String literals of `texts`, comma-separated: the inside of `IN (…)` or `ARRAY[…]`.
pub fn quote_literals(texts: &[String]) -> String {
    texts
        .iter()
        .map(|t| quote_literal(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string literal read the same whatever `standard_conforming_strings` says (for scripts
/// pgspec prints, which may run with any server and client setting).
pub fn quote_literal_any_mode(text: &str) -> String {
    if text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        quote_literal(text)
    }
}

/// Text that is safe inside a one-line `--` comment of a printed script: line breaks and
/// other control characters are escaped, so document text can never end the comment (and
/// start a psql meta-command on the next line).
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `word` is a keyword PostgreSQL does not accept bare as a name everywhere.
fn is_keyword(word: &str) -> bool {
    let Ok(result) = pg_query::scan(word) else {
        return true;
    };
    match result.tokens.as_slice() {
        [token] => !matches!(
            KeywordKind::try_from(token.keyword_kind),
            Ok(KeywordKind::NoKeyword | KeywordKind::UnreservedKeyword)
        ),
        _ => true,
    }
}

/// The end (exclusive) of the single-quoted string literal starting at `start` (`'…'`, a
/// doubled quote inside); None when `start` is not a quote or the literal does not end.
pub fn string_literal_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'\'') {
        return None;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_lists_quote_each_text() {
        let texts = ["a".to_string(), "it's".to_string()];
        assert_eq!(quote_literals(&texts), "'a', 'it''s'");
        assert_eq!(quote_literals(&[]), "");
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        // Unreserved keywords are plain names.
        assert_eq!(quote_ident("name"), "name");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
    }

    #[test]
    fn literals_for_printed_scripts_read_the_same_in_any_mode() {
        assert_eq!(quote_literal_any_mode("a\\b'"), "E'a\\\\b'''");
        assert_eq!(quote_literal_any_mode("ab"), "'ab'");
    }

    #[test]
    fn comments_cannot_be_ended_by_document_text() {
        let text = comment_text("t\n\\! touch /tmp/x\r\u{2028}");
        assert!(!text.contains('\n') && !text.contains('\r'), "{text}");
        assert_eq!(text, "t\\n\\! touch /tmp/x\\r\\u{2028}");
        assert_eq!(comment_text("a\tb\u{7}"), "a b\\u{0007}");
    }
}
