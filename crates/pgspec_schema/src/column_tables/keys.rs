//! Keys a line states over several columns, apart from the column rows:
//! `**Unique Constraint:** (org_id, user_id)`, `- UNIQUE (team_id, email)`,
//! `Primary key: (order_id, line_no)`, `복합 유니크: (a, b)`, `ユニーク制約：(a, b)`,
//! `联合主键 (a, b)`, `제약: (slug) 유니크`.

use super::names::ascii_ident_len;
use super::Line;
use crate::document::offset;
use crate::model::StatedKey;
use crate::text::TextRange;

/// Words that make the line a unique key.
const UNIQUE_WORDS: &[&str] = &[
    "unique",
    "uk",
    "uq",
    "유니크",
    "고유",
    "중복불가",
    "ユニーク",
    "一意",
    "唯一",
    "eindeutig",
    "único",
    "única",
    "unico",
    "univoco",
    "uniek",
    "unikalny",
    "уникальный",
    "уникальность",
];

/// Words that make it a primary key (checked first: "primary key" over "key").
const PRIMARY_WORDS: &[&str] = &[
    "primary key",
    "primary-key",
    "pk",
    "기본키",
    "기본 키",
    "주키",
    "主キー",
    "主键",
    "主鍵",
    "primärschlüssel",
    "clé primaire",
    "cle primaire",
    "clave primaria",
    "chave primária",
    "chave primaria",
    "chiave primaria",
    "primaire sleutel",
    "klucz główny",
    "первичный ключ",
];

/// The key a line states, if it is a short line with a marker and one parenthesized list of
/// column names (at least one; a single column may be a key stated apart too).
pub(super) fn stated_key(line: Line<'_>) -> Option<StatedKey> {
    let text = line.text.trim();
    if text.len() > 200 || text.starts_with('|') {
        return None;
    }
    let lower = text.to_lowercase();
    let open = lower.find(['(', '（'])?;
    let open_len = lower[open..].chars().next().map_or(1, char::len_utf8);
    let close = open + lower[open..].find([')', '）'])?;
    let outside = format!("{} {}", &lower[..open], &lower[close..]);
    let has_word = |words: &[&str]| {
        words.iter().any(|w| {
            outside.match_indices(w).any(|(at, _)| {
                let ascii = w.is_ascii();
                let before = outside[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !ascii || !c.is_ascii_alphanumeric());
                let after = outside[at + w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !ascii || !c.is_ascii_alphanumeric());
                before && after
            })
        })
    };
    let primary = has_word(PRIMARY_WORDS);
    if !primary && !has_word(UNIQUE_WORDS) {
        return None;
    }
    // Text before the list is a label (`Unique Constraint:`), not a sentence.
    let close_len = lower[close..].chars().next().map_or(1, char::len_utf8);
    if lower[..open].split_whitespace().count() > 5
        || lower[close + close_len..].split_whitespace().count() > 2
    {
        return None;
    }
    let inner = &text[open + open_len..close];
    let mut columns = Vec::new();
    for part in inner.split([',', '、', '，']) {
        let name = part.trim().trim_matches(['`', '"', '*']);
        if name.is_empty() || ascii_ident_len(name) != name.len() || name.contains('.') {
            return None;
        }
        columns.push(name.to_lowercase());
    }
    if columns.is_empty() {
        return None;
    }
    let lead = line.text.len() - line.text.trim_start().len();
    let start = line.start + lead;
    Some(StatedKey {
        index: false,
        primary,
        columns,
        name: None,
        span: TextRange::new(offset(start), offset(start + text.len())),
    })
}

/// A reference a line states apart from the rows: `FOREIGN KEY (org_id) REFERENCES orgs(id)`,
/// `**Foreign key:** author_id → users.id`, `外部キー：user_id → users.id`,
/// `외래키: member_id → members.id`. The column and its target.
pub(super) fn stated_reference(line: Line<'_>) -> Option<(String, (String, Option<String>))> {
    let text = line.text.trim().trim_start_matches(['-', '*', '+']).trim();
    if text.len() > 200 || text.starts_with('|') {
        return None;
    }
    let lower = text.to_lowercase();
    let markers = [
        "foreign key",
        "fk",
        "外部キー",
        "外键",
        "外鍵",
        "외래키",
        "references",
    ];
    let marker_at = markers.iter().filter_map(|m| lower.find(m)).min()?;
    // The column: in parentheses after the marker (`FOREIGN KEY (org_id)`), or the first name
    // after a `:` label (`Foreign key: author_id → …`).
    let after_marker = &text[marker_at..];
    let (column, rest) = if let Some(open) = after_marker.find(['(', '（']) {
        let inner_start = open
            + after_marker[open..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        let close = after_marker[inner_start..].find([')', '）'])? + inner_start;
        let name = after_marker[inner_start..close].trim().trim_matches('`');
        (name, &after_marker[close..])
    } else {
        let colon = after_marker.find([':', '：'])?;
        let rest = after_marker[colon..]
            .trim_start_matches([':', '：', '*', ' '])
            .trim_start_matches('`');
        let len = ascii_ident_len(rest);
        (&rest[..len], &rest[len..])
    };
    if column.is_empty() || ascii_ident_len(column) != column.len() || column.contains('.') {
        return None;
    }
    let facts =
        crate::notes::parse_notes(&format!("FK {}", rest.trim_start_matches([')', '）', '`'])));
    let target = facts.references?;
    Some((column.to_lowercase(), target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Option<(bool, Vec<String>)> {
        stated_key(Line { start: 0, text }).map(|k| (k.primary, k.columns))
    }

    #[test]
    fn keys_stated_in_four_languages() {
        let u = |c: &[&str]| Some((false, c.iter().map(|s| s.to_string()).collect()));
        let p = |c: &[&str]| Some((true, c.iter().map(|s| s.to_string()).collect()));
        assert_eq!(
            key("**Unique Constraint:** (org_id, user_id)"),
            u(&["org_id", "user_id"])
        );
        assert_eq!(
            key("- UNIQUE (`team_id`, `email`)"),
            u(&["team_id", "email"])
        );
        assert_eq!(
            key("Primary key: (order_id, line_no)"),
            p(&["order_id", "line_no"])
        );
        assert_eq!(key("복합 유니크: (a, b)"), u(&["a", "b"]));
        assert_eq!(
            key("Clé primaire composite : (cours_id, apprenant_courriel)"),
            p(&["cours_id", "apprenant_courriel"])
        );
        assert_eq!(key("Составной первичный ключ: (a, b)"), p(&["a", "b"]));
        assert_eq!(key("제약: (slug) 유니크"), u(&["slug"]));
        assert_eq!(key("ユニーク制約：（a、b）"), u(&["a", "b"]));
        assert_eq!(key("联合主键 (a, b)"), p(&["a", "b"]));
        assert_eq!(key("Unique per user (see the app for details)"), None);
        assert_eq!(
            key("The unique index (idx_users_email) is created by the migration tool later on"),
            None
        );
        assert_eq!(key("- `email` (text, unique)"), None);
    }

    #[test]
    fn references_stated_apart_from_the_rows() {
        let r = |text: &str| stated_reference(Line { start: 0, text });
        let to = |c: &str, t: &str, k: Option<&str>| {
            Some((c.to_string(), (t.to_string(), k.map(str::to_string))))
        };
        assert_eq!(
            r("- FOREIGN KEY (org_id) REFERENCES orgs(id)"),
            to("org_id", "orgs", Some("id"))
        );
        assert_eq!(
            r("**Foreign key:** author_id → users.id"),
            to("author_id", "users", Some("id"))
        );
        assert_eq!(
            r("外部キー：user_id → users.id"),
            to("user_id", "users", Some("id"))
        );
        assert_eq!(r("The FK index is created later."), None);
    }
}
