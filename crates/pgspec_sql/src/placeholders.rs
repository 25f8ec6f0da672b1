//! Named placeholders in example queries, as parameters PostgreSQL can prepare.
//!
//! Documents write a query's inputs the way their client does: psql variables (`:user_id`,
//! `:'email'`), named binds (`@tenant`), templates (`{status}`, `{{day}}`, `${from}`, `#{id}`)
//! or angle brackets (`<order_id>`). None is SQL, but each stands where a `$n` parameter would:
//! numbered, the query prepares and PostgreSQL infers each parameter's type. The same name gets
//! the same number; numbers start after the query's own `$n`. A placeholder is replaced by
//! `$n` padded to its own width, so positions in the server's messages still point into the
//! document's text (a one-letter name past `$9` shifts what follows by a character).

use std::borrow::Cow;

use crate::lexer::{is_ident_start, tokenize, Token, TokenKind};

/// `sql` with its named placeholders as `$n` parameters (borrowed when it has none).
pub fn numbered_placeholders(sql: &str) -> Cow<'_, str> {
    numbered(sql).map_or(Cow::Borrowed(sql), |(text, _)| Cow::Owned(text))
}

/// [`numbered_placeholders`] when `sql` has named placeholders: the text and its highest
/// parameter number.
pub(crate) fn numbered(sql: &str) -> Option<(String, u32)> {
    let tokens = tokenize(sql);
    let found = placeholders(sql, &tokens);
    if found.is_empty() {
        return None;
    }
    let mut next = tokens
        .iter()
        .filter_map(|t| match t.kind {
            TokenKind::Param(n) => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let mut numbers: Vec<(String, u32)> = Vec::new();
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for (start, end, name) in found {
        let n = match numbers.iter().find(|(seen, _)| *seen == name) {
            Some((_, n)) => *n,
            None => {
                next += 1;
                numbers.push((name, next));
                next
            }
        };
        out.push_str(&sql[at..start]);
        let param = format!("${n}");
        let width = sql[start..end].chars().count();
        out.push_str(&param);
        out.extend(std::iter::repeat_n(' ', width.saturating_sub(param.len())));
        at = end;
    }
    out.push_str(&sql[at..]);
    Some((out, next))
}

/// The named placeholders of a tokenized text: byte range and name (lowercase), in order.
fn placeholders(sql: &str, tokens: &[Token]) -> Vec<(usize, usize, String)> {
    let text = |t: &Token| &sql[t.start..t.end];
    let other =
        |t: Option<&Token>, c: &str| t.is_some_and(|t| t.kind == TokenKind::Other && text(t) == c);
    // Adjacent tokens only: `: id` or `< id >` with spaces is not a placeholder.
    let touching = |a: &Token, b: Option<&Token>| b.is_some_and(|b| b.start == a.end);
    fn word<'t>(sql: &str, t: Option<&'t Token>) -> Option<&'t Token> {
        t.filter(|t| t.kind == TokenKind::Word).filter(|t| {
            sql.as_bytes()
                .get(t.start)
                .copied()
                .is_some_and(is_ident_start)
        })
    }
    let mut found = Vec::new();
    let mut brackets = 0i32;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let prev = i.checked_sub(1).map(|p| &tokens[p]);
        let next = tokens.get(i + 1);
        match (t.kind, text(t)) {
            (TokenKind::Other, "[") => brackets += 1,
            (TokenKind::Other, "]") => brackets -= 1,
            // `:name`, `:'name'`, `:"name"` (psql), not `::type`, `:=` or an array slice `[a:b]`.
            (TokenKind::Other, ":")
                if brackets <= 0
                    && !(other(prev, ":") && touching(prev.unwrap_or(t), Some(t)))
                    && touching(t, next) =>
            {
                let name = next.filter(|n| {
                    matches!(n.kind, TokenKind::String | TokenKind::QuotedIdent)
                        || word(sql, Some(n)).is_some()
                });
                if let Some(n) = name {
                    let bare = text(n).trim_matches(['\'', '"']).to_lowercase();
                    found.push((t.start, n.end, bare));
                    i += 2;
                    continue;
                }
            }
            // `@name`, not the operators `@@`, `@>`, `@-@` or `@ x`.
            (TokenKind::Other, "@") if !other(prev, "@") && touching(t, next) => {
                if let Some(n) = word(sql, next) {
                    found.push((t.start, n.end, text(n).to_lowercase()));
                    i += 2;
                    continue;
                }
            }
            // `{name}`, `{{name}}`, `${name}`, `#{name}`.
            (TokenKind::Other, "{") => {
                let double = other(next, "{") && touching(t, next);
                let w = if double { i + 2 } else { i + 1 };
                let closes = if double { 2 } else { 1 };
                let name = word(sql, tokens.get(w))
                    .filter(|n| touching(&tokens[w - 1], Some(n)))
                    .filter(|_| {
                        (0..closes).all(|k| {
                            other(tokens.get(w + 1 + k), "}")
                                && touching(&tokens[w + k], tokens.get(w + 1 + k))
                        })
                    });
                if let Some(n) = name {
                    let start = match prev {
                        Some(p)
                            if (other(Some(p), "$") || other(Some(p), "#")) && p.end == t.start =>
                        {
                            p.start
                        }
                        _ => t.start,
                    };
                    let end = tokens[w + closes].end;
                    found.push((start, end, text(n).to_lowercase()));
                    i = w + closes + 1;
                    continue;
                }
            }
            // `<name>` written as one piece (`a < b > c` has spaces, and compares a boolean).
            (TokenKind::Other, "<") if touching(t, next) => {
                let closing = tokens.get(i + 2);
                if let Some(n) =
                    word(sql, next).filter(|n| other(closing, ">") && touching(n, closing))
                {
                    found.push((t.start, tokens[i + 2].end, text(n).to_lowercase()));
                    i += 3;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders as numbered;

    #[test]
    fn named_placeholders_become_parameters_of_the_same_width() {
        assert_eq!(
            numbered("SELECT * FROM t WHERE a BETWEEN :debut AND :fin AND b = :debut"),
            "SELECT * FROM t WHERE a BETWEEN $1     AND $2   AND b = $1    "
        );
        assert_eq!(
            numbered("SELECT 1 FROM t WHERE id = $1 AND u = :'email' AND v = @tenant"),
            "SELECT 1 FROM t WHERE id = $1 AND u = $2       AND v = $3     "
        );
        assert_eq!(
            numbered("SELECT * FROM t WHERE s = {status} AND d = {{day}} AND f = ${from} AND i = #{id} AND o = <order_id>"),
            "SELECT * FROM t WHERE s = $1       AND d = $2      AND f = $3      AND i = $4    AND o = $5        "
        );
    }

    #[test]
    fn casts_slices_operators_strings_and_bodies_are_left_alone() {
        for sql in [
            "SELECT a::text, b[1:2], c[lo:hi] FROM t",
            "SELECT tsv @@ q, j @> '{}', @ -5, a < b FROM t",
            "SELECT ':x', '@y', '{z}' FROM t -- :w",
            "DO $$ BEGIN x := :y; END $$",
            "SELECT a <b FROM t",
            "SELECT '{\"a\": 1}'::jsonb, ARRAY[1,2] FROM t",
        ] {
            assert_eq!(numbered(sql), sql, "{sql}");
        }
    }
}
