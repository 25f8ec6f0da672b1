//! The body rows of a column table: a column's name, type (with inline `enum(…)` values), and
//! what the other cells say about it (keys, nullability, default, references).

use super::{yes_no, Cell, Role};
use crate::document::offset;
use crate::model::{normalize_type, DocColumn};
use crate::notes::{self, NoteFacts};
use crate::text::TextRange;

pub(super) enum RowResult {
    Column(Box<DocColumn>),
    /// An empty row or an elision (`...`).
    Skip,
    /// The name cell's range.
    Unreadable(TextRange),
}

/// One body row of a column table.
pub(super) fn row_column(
    cells: &[Cell<'_>],
    roles: &[Role],
    name_col: usize,
    type_col: usize,
) -> RowResult {
    let Some(name_cell) = cells.get(name_col).copied() else {
        return RowResult::Skip;
    };
    let elision = name_cell
        .text
        .trim_matches(|c: char| c == '*' || c == '`' || c.is_whitespace());
    if elision.is_empty()
        || elision.chars().all(|c| matches!(c, '.' | '…' | '-' | '⋮'))
        || matches!(
            elision.to_lowercase().as_str(),
            "etc" | "etc." | "(생략)" | "생략"
        )
    {
        return RowResult::Skip;
    }
    let Some((name, span, name_rest)) = column_name(name_cell) else {
        return RowResult::Unreadable(name_cell.range);
    };
    let mut facts = NoteFacts::default();
    if !name_rest.is_empty() {
        facts.merge(notes::parse_notes(name_rest));
    }
    let (raw_type, type_span, type_rest) = match cells.get(type_col).copied() {
        Some(cell) => {
            split_type(cell).unwrap_or((String::new(), TextRange::empty(cell.range.start), ""))
        }
        None => (String::new(), TextRange::empty(span.end), ""),
    };
    if !type_rest.is_empty() {
        facts.merge(notes::parse_notes(type_rest));
    }
    let mut comments = Vec::new();
    let mut explicit = NoteFacts::default();
    let mut length: Option<String> = None;
    let mut scale: Option<String> = None;
    for (k, role) in roles.iter().enumerate() {
        let Some(cell) = cells.get(k) else { continue };
        let text = cell.text.trim();
        if text.is_empty() || k == name_col || k == type_col {
            continue;
        }
        match role {
            Role::Notes => {
                comments.push(text.to_string());
                facts.merge(notes::parse_notes(text));
            }
            // MySQL's `DESCRIBE`: PRI, UNI, MUL (a plain index).
            Role::Key => match text.to_ascii_lowercase().as_str() {
                "pri" => explicit.primary_key = true,
                "uni" => explicit.unique = true,
                "mul" => {}
                _ => facts.merge(notes::parse_notes(text)),
            },
            Role::PrimaryKey => match yes_no(text) {
                Some(yes) => explicit.primary_key = yes,
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::Length => length = Some(text.trim_matches('`').to_string()),
            Role::Scale => scale = Some(text.trim_matches('`').to_string()),
            Role::Nullable => match yes_no(text) {
                Some(yes) => explicit.not_null = Some(!yes),
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::NotNull => match yes_no(text) {
                Some(yes) => explicit.not_null = Some(yes),
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::Unique => match yes_no(text) {
                Some(yes) => explicit.unique = yes,
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::Default => {
                let v = text.trim_matches('`').trim();
                if !matches!(
                    v.to_lowercase().as_str(),
                    "-" | "none" | "없음" | "n/a" | ""
                ) {
                    explicit.default = Some(v.to_string());
                }
            }
            Role::References => {
                let facts_ref = notes::parse_notes(&format!("FK {text}"));
                if facts_ref.references.is_some() {
                    explicit.foreign_key = true;
                    explicit.references = facts_ref.references;
                }
            }
            Role::Name(_)
            | Role::Type
            | Role::Table
            | Role::IndexName
            | Role::ConstraintName
            | Role::Value
            | Role::Other => {}
        }
    }
    // A dedicated column states the fact more plainly than a note does.
    explicit.merge(facts);
    let facts = explicit;
    let mut enum_values = facts.enum_values;
    if enum_values.is_empty() {
        enum_values = inline_enum(&raw_type);
    }
    if enum_values.is_empty() && raw_type.trim().eq_ignore_ascii_case("enum") {
        enum_values = comments
            .iter()
            .map(|c| notes::listed_values(c))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
    }
    let pg_type = normalize_type(&with_length(&raw_type, length.as_deref(), scale.as_deref()));
    let mut column = DocColumn {
        name,
        raw_type,
        pg_type,
        primary_key: facts.primary_key,
        unique: facts.unique,
        foreign_key: facts.foreign_key || facts.references.is_some(),
        not_null: facts.not_null,
        default: facts.default,
        references: facts.references,
        references_inferred: false,
        on_delete: facts.on_delete,
        enum_values,
        checks: facts.checks,
        comment: (!comments.is_empty()).then(|| comments.join("; ")),
        span,
        type_span,
    };
    // A sequence's `nextval('users_id_seq'::regclass)` (what psql and pg_dump print for a
    // serial column): the sequence is the serial type's own, not one the document creates.
    let sequence = column
        .default
        .as_deref()
        .is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("nextval("));
    if facts.auto_increment || sequence {
        column.make_serial();
        if sequence {
            column.default = None;
        }
    }
    RowResult::Column(Box::new(column))
}

/// The type with the length (and scale) a separate cell gives (`varchar` + `50` →
/// `varchar(50)`, `numeric` + `10` + `2` → `numeric(10,2)`); as written when the type already
/// has its modifiers or the cells hold no numbers (`-`, empty).
fn with_length(raw_type: &str, length: Option<&str>, scale: Option<&str>) -> String {
    let numbers = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' '))
    };
    let Some(length) = length.filter(|l| numbers(l)) else {
        return raw_type.to_string();
    };
    if raw_type.contains('(') || raw_type.trim().is_empty() {
        return raw_type.to_string();
    }
    let takes_modifier = normalize_type(&format!("{raw_type}(1)")).is_some();
    if !takes_modifier {
        return raw_type.to_string();
    }
    let modifiers = match scale.filter(|s| numbers(s) && !length.contains(',')) {
        Some(scale) => format!("{},{}", length.trim(), scale.trim()),
        None => length.trim().to_string(),
    };
    let sized = format!("{raw_type}({modifiers})");
    // `DATETIME` + `19` (a display width) means no modifier PostgreSQL has.
    if normalize_type(&sized).is_some() {
        sized
    } else {
        raw_type.to_string()
    }
}

/// `enum('a','b')` / `ENUM(a, b)` written as the type.
pub(super) fn inline_enum(raw_type: &str) -> Vec<String> {
    let lower = raw_type.to_ascii_lowercase();
    let Some(inner) = lower
        .strip_prefix("enum")
        .map(str::trim_start)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Vec::new();
    };
    // Take the values from the original text (case kept): same byte positions.
    let start = raw_type.len() - inner.len() - 1;
    let inner = raw_type.get(start..start + inner.len()).unwrap_or("");
    inner
        .split(',')
        .map(|v| v.trim().trim_matches(['\'', '"', '`']).to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The column name in a name cell: the identifier (backticks, bold, quotes removed), its
/// range, and what follows it (`(PK)`, `🔑`) for the notes. `None` when the cell holds
/// anything else (several words, a sentence).
pub(super) fn column_name(cell: Cell<'_>) -> Option<(String, TextRange, &str)> {
    let text = cell.text;
    let mut p = 0usize;
    while let Some(c) = text[p..].chars().next() {
        if matches!(c, '*' | '`' | '~') || c.is_whitespace() {
            p += c.len_utf8();
        } else {
            break;
        }
    }
    let rest = &text[p..];
    let (start, len, after) = if let Some(inner) = rest.strip_prefix('"') {
        let close = inner.find('"')?;
        (p + 1, close, p + 1 + close + 1)
    } else {
        let first = rest.chars().next()?;
        if !(first.is_alphabetic() || first == '_') {
            return None;
        }
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .map_or(rest.len(), |(i, _)| i);
        (p, len, p + len)
    };
    if len == 0 {
        return None;
    }
    let tail = text[after..]
        .trim_start_matches(['*', '`', '"', '~'])
        .trim();
    // What may follow a name: a parenthetical, key markers, a dash description.
    let tail_ok = tail.is_empty()
        || tail.starts_with(['(', '-', '–', '—', ':', '🔑', '🗝', '★', '⭐', '*', '['])
        || tail
            .split([' ', ',', '/'])
            .filter(|w| !w.is_empty())
            .all(|w| {
                matches!(
                    w.to_ascii_uppercase().as_str(),
                    "PK" | "FK" | "UK" | "(PK)" | "(FK)"
                )
            });
    if !tail_ok {
        return None;
    }
    let name = text[start..start + len].to_lowercase();
    let s = cell.range.start as usize + start;
    Some((name, TextRange::new(offset(s), offset(s + len)), tail))
}

/// Split a type cell into the type (as written), its range, and the rest (constraints,
/// `PK`, `FK -> users`, `default true`). The type is the longest run of up to five words that
/// [`normalize_type`] knows (`timestamp with time zone`), else the first word
/// (`order_status`, a user-defined type). `None` for an empty cell.
pub(super) fn split_type(cell: Cell<'_>) -> Option<(String, TextRange, &str)> {
    let text = cell.text;
    // Words, with parentheses and brackets kept whole (`numeric(8, 2)`); backticks and `*`
    // separate words.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() || b == b'`' || b == b'*' {
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 0i32;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                _ => {}
            }
            i += 1;
            if depth <= 0
                && bytes
                    .get(i)
                    .is_none_or(|n| n.is_ascii_whitespace() || *n == b'`' || *n == b'*')
            {
                break;
            }
        }
        words.push((start, i));
        if words.len() >= 5 {
            break;
        }
    }
    let first = *words.first()?;
    let joined = |k: usize| {
        words[..k]
            .iter()
            .map(|&(a, b)| text.get(a..b).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let k = (1..=words.len())
        .rev()
        .find(|&k| normalize_type(&joined(k)).is_some());
    let (raw, end) = match k {
        Some(k) => (joined(k), words[k - 1].1),
        None => {
            let w = text.get(first.0..first.1).unwrap_or("");
            let looks_like_type = w
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if !looks_like_type {
                return Some((String::new(), TextRange::empty(cell.range.start), text));
            }
            (w.to_string(), first.1)
        }
    };
    let s = cell.range.start as usize;
    let range = TextRange::new(offset(s + first.0), offset(s + end));
    let rest = text
        .get(end..)
        .unwrap_or("")
        .trim_start_matches(['`', '*'])
        .trim();
    Some((raw, range, rest))
}
