//! Prose column lists, the weakest source: "Columns: `id`, `order_id`, …" (or `컬럼:`), a run
//! of backticked names, in a line or a list, and bullets that describe one column each
//! (`` - `user_id` (uuid, FK -> users.id) ``).

use super::names::ascii_ident_len;
use super::Line;
use crate::document::offset;
use crate::model::{normalize_type, DocColumn};
use crate::notes;
use crate::text::TextRange;

/// Columns a prose line lists: after `Columns:` / `컬럼:` (backticked or bare names), or a run
/// of at least three backticked names separated by commas.
pub(super) fn prose_columns(line: Line<'_>) -> Vec<DocColumn> {
    let text = notes::prefix(line.text, 8192);
    let lower = text.to_ascii_lowercase();
    let marker_end = [
        "columns",
        "column list",
        "column",
        "fields",
        "컬럼 목록",
        "컬럼",
        "칼럼",
        "필드",
        "속성",
    ]
    .iter()
    .find_map(|m| {
        let mut search = 0;
        while let Some(pos) = lower[search..].find(m) {
            let at = search + pos;
            let after = &lower[at + m.len()..];
            let ws = after.len() - after.trim_start().len();
            let before_ok = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if before_ok && after[ws..].starts_with(':') {
                return Some(at + m.len() + ws + 1);
            }
            search = at + m.len();
        }
        None
    });
    let (from, marked) = match marker_end {
        Some(end) => (end, true),
        None => (0, false),
    };
    let items = list_items(text, from, marked);
    let backticked = items.iter().filter(|i| i.backticked).count();
    let keep: Vec<&ListItem> = if marked {
        if backticked > 0 {
            items.iter().filter(|i| i.backticked).collect()
        } else {
            items.iter().collect()
        }
    } else {
        // Without a marker only a comma list of three or more backticked names counts.
        let run: Vec<&ListItem> = items.iter().take_while(|i| i.backticked).collect();
        if run.len() < 3 {
            return Vec::new();
        }
        run
    };
    keep.into_iter()
        .map(|item| {
            let s = line.start + item.start;
            let span = TextRange::new(offset(s), offset(s + item.name.len()));
            let mut column = DocColumn {
                name: item.name.to_lowercase(),
                span,
                type_span: TextRange::empty(span.end),
                ..DocColumn::default()
            };
            if let Some((paren, at)) = item.paren {
                describe(&mut column, paren, line.start + at);
                if column.raw_type.is_empty() {
                    column.comment = Some(paren.to_string());
                }
            }
            column
        })
        .collect()
}

/// Words that start a column's description but are keys or constraints, not its type.
const NOT_TYPES: &[&str] = &[
    "pk",
    "fk",
    "uk",
    "primary",
    "foreign",
    "unique",
    "not",
    "null",
    "nullable",
    "required",
    "optional",
    "default",
    "references",
    "ref",
    "index",
    "indexed",
    "auto",
    "identity",
];

/// Read what a list gives about a column (`uuid, PK`, `FK -> users.id`, `text): a or b`,
/// `timestamptz default now()`), which starts at document offset `at`, into `column`: the type
/// when the text starts with one (a type PostgreSQL or a common extension knows, `enum(…)`, or
/// a single identifier followed by a comma, such as a type the SQL creates), the facts of
/// the rest as notes.
pub(super) fn describe(column: &mut DocColumn, text: &str, at: usize) {
    // The first part, up to a comma outside parentheses (`numeric(10, 2)` stays whole).
    let mut depth = 0i32;
    let cut = text
        .char_indices()
        .find(|&(_, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth <= 0 && matches!(c, ',' | '、' | ';' | '，')
        })
        .map(|(i, _)| i);
    let head = &text[..cut.unwrap_or(text.len())];
    let cell = super::Cell {
        text: head.trim_end(),
        range: TextRange::new(offset(at), offset(at + head.trim_end().len())),
    };
    let mut rest = text.to_string();
    if let Some((raw, range, after)) = super::rows::split_type(cell) {
        let first_word = raw.split_whitespace().next().unwrap_or("").to_lowercase();
        let known = normalize_type(&raw).is_some()
            || !super::rows::inline_enum(&raw).is_empty()
            || first_word == "enum";
        let named = !raw.is_empty()
            && after.is_empty()
            && cut.is_some()
            && !NOT_TYPES.contains(&first_word.as_str())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if known || named {
            column.pg_type = normalize_type(&raw);
            if column.enum_values.is_empty() {
                column.enum_values = super::rows::inline_enum(&raw);
            }
            column.raw_type = raw;
            column.type_span = range;
            rest = format!("{after}, {}", cut.map_or("", |c| &text[c..]));
        }
    }
    let facts = notes::parse_notes(&rest);
    column.primary_key |= facts.primary_key;
    column.unique |= facts.unique;
    column.foreign_key |= facts.foreign_key || facts.references.is_some();
    if column.references.is_none() {
        column.references = facts.references;
    }
    if column.not_null.is_none() {
        column.not_null = facts.not_null;
    }
    if column.default.is_none() {
        column.default = facts.default;
    }
    if column.enum_values.is_empty() {
        column.enum_values = facts.enum_values;
    }
}

/// A bullet (`-`, `*`, `+`, `1.`) that describes one column: its name (backticked, bold or
/// bare), then a parenthetical or a separator (`:`, `—`, ` - `) or a type, and the rest:
/// `` - `user_id` (uuid, FK -> users.id) ``, `- **email**: text, unique`, `* id uuid PK`.
/// `None` for other bullets (a sentence, a list of several names).
pub(super) fn bullet_column(line: Line<'_>) -> Option<DocColumn> {
    let text = notes::prefix(line.text, 4096);
    let body = text.trim_start();
    let mut p = text.len() - body.len();
    let marker = if body.starts_with(['-', '*', '+']) {
        1
    } else {
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && body[digits..].starts_with(['.', ')']) {
            digits + 1
        } else {
            return None;
        }
    };
    if !text[p + marker..].starts_with([' ', '\t']) {
        return None;
    }
    p += marker;
    let skip = |p: &mut usize| {
        while text[*p..].starts_with([' ', '\t']) {
            *p += 1;
        }
    };
    skip(&mut p);
    // The name, inside any of `**`, `__`, backticks.
    let mut wrappers = 0;
    while text[p..].starts_with(['*', '_', '`']) && wrappers < 4 {
        // `_` may start a name (`_internal`); only a doubled `__` is emphasis.
        if text[p..].starts_with('_') && !text[p..].starts_with("__") {
            break;
        }
        p += 1;
        wrappers += 1;
    }
    let name_start = p;
    let name_len = ascii_ident_len(&text[p..]);
    if name_len == 0 || text[p..p + name_len].contains('.') {
        return None;
    }
    p += name_len;
    let name = &text[name_start..name_start + name_len];
    while text[p..].starts_with(['*', '_', '`']) {
        p += 1;
    }
    let after_name = p;
    skip(&mut p);
    let tail = &text[p..];
    let (described, at) =
        if let Some(inner) = tail.strip_prefix('(').or_else(|| tail.strip_prefix('（')) {
            let open = tail.len() - inner.len();
            let mut depth = 0i32;
            let close = inner
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' | '（' => depth += 1,
                        ')' | '）' => depth -= 1,
                        _ => {}
                    }
                    depth < 0
                })?
                .0;
            let after = inner[close..].chars().next().map_or(1, char::len_utf8);
            // What follows the parenthetical (`: a | b`, `— the owner`) is more notes.
            let more = inner[close + after..].trim_start_matches([':', '：', ' ']);
            (format!("{}, {more}", &inner[..close]), p + open)
        } else if let Some(rest) = tail
            .strip_prefix(':')
            .or_else(|| tail.strip_prefix('：'))
            .or_else(|| tail.strip_prefix('—'))
            .or_else(|| tail.strip_prefix('–'))
            .or_else(|| tail.strip_prefix("- "))
        {
            let lead = rest.len() - rest.trim_start().len();
            (
                rest.trim_start().to_string(),
                p + (tail.len() - rest.len()) + lead,
            )
        } else if p > after_name
            && tail
                .split_whitespace()
                .next()
                .is_some_and(|w| normalize_type(w.trim_end_matches(',')).is_some())
        {
            (tail.to_string(), p)
        } else {
            return None;
        };
    // A list of several names is prose (`- `a`, `b`, `c``), handled elsewhere.
    if described.trim_start().starts_with('`') && described.matches('`').count() >= 4 {
        return None;
    }
    let s = line.start + name_start;
    let span = TextRange::new(offset(s), offset(s + name_len));
    let mut column = DocColumn {
        name: name.to_lowercase(),
        span,
        type_span: TextRange::empty(span.end),
        comment: Some(described.trim().trim_end_matches([',', ' ']).to_string()),
        ..DocColumn::default()
    };
    // Offsets into `described` match the document only up to the parenthesis' end.
    describe(&mut column, &described, line.start + at);
    if !text.is_char_boundary(at) || column.type_span.end as usize > line.start + text.len() {
        column.type_span = TextRange::empty(span.end);
    }
    Some(column)
}

/// An item of a prose list: the name, where it starts in the line, a following
/// parenthetical (`(jsonb)`) with its offset, and whether the name was backticked.
pub(super) struct ListItem<'a> {
    pub(super) name: &'a str,
    pub(super) start: usize,
    pub(super) paren: Option<(&'a str, usize)>,
    pub(super) backticked: bool,
}

/// Items of a comma list starting at byte `from`; stops at the end of the sentence or at an
/// item that is not a name.
pub(super) fn list_items(text: &str, from: usize, marked: bool) -> Vec<ListItem<'_>> {
    let mut items = Vec::new();
    let mut p = from;
    let skip = |p: &mut usize| {
        while text[*p..].starts_with([' ', '\t']) {
            *p += 1;
        }
    };
    if !marked {
        // Find the first backticked name that starts a list.
        match text.find('`') {
            Some(i) => p = i,
            None => return items,
        }
    }
    loop {
        skip(&mut p);
        // Connectives between items.
        for word in ["and ", "or ", "및 ", "그리고 "] {
            if text[p..].starts_with(word) {
                p += word.len();
                skip(&mut p);
            }
        }
        let rest = &text[p..];
        let (name, start, backticked, after) = if let Some(inner) = rest.strip_prefix('`') {
            let Some(close) = inner.find('`') else { break };
            let name = &inner[..close];
            (name, p + 1, true, p + 1 + close + 1)
        } else {
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(rest.len(), |(i, _)| i);
            (&rest[..len], p, false, p + len)
        };
        if name.is_empty() || ascii_ident_len(name) != name.len() || name.contains('.') {
            break;
        }
        p = after;
        skip(&mut p);
        let mut paren = None;
        if text[p..].starts_with('(') {
            if let Some(close) = text[p..].find(')') {
                let inner = &text[p + 1..p + close];
                let lead = inner.len() - inner.trim_start().len();
                paren = Some((inner.trim(), p + 1 + lead));
                p += close + 1;
                skip(&mut p);
            }
        }
        items.push(ListItem {
            name,
            start,
            paren,
            backticked,
        });
        if text[p..].starts_with([',', ';', '、']) {
            p += text[p..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        // `a and b`: the connective is read at the loop's start.
        let next = text[p..].trim_start();
        if next.starts_with("and ") || next.starts_with("or ") || next.starts_with("및 ") {
            continue;
        }
        break;
    }
    items
}
