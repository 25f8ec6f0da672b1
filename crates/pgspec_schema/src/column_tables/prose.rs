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
    if column.on_delete.is_none() {
        column.on_delete = facts.on_delete.clone();
    }
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
    if facts.auto_increment {
        column.make_serial();
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
    // A bullet that gives neither a type nor a key or constraint is a note about something
    // (`- S3: SSE-KMS`, `` - `roles` (lookup) ``), not a column.
    let says_something = !column.raw_type.is_empty()
        || column.primary_key
        || column.unique
        || column.foreign_key
        || column.not_null.is_some()
        || column.default.is_some();
    if !says_something {
        return None;
    }
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

/// Words after which a sentence lists what a table records ("log capturing table name, …").
const RECORDS: &[&str] = &[
    "capturing",
    "captures",
    "with",
    "storing",
    "stores",
    "containing",
    "contains",
    "recording",
    "records",
    "tracking",
    "tracks",
    "holding",
    "holds",
    "including",
    "includes",
    "of",
];

/// Type words that may end an item (`diff json`): the column is the words before it.
const ITEM_TYPES: &[(&str, &str)] = &[
    ("json", "jsonb"),
    ("jsonb", "jsonb"),
    ("text", "text"),
    ("uuid", "uuid"),
    ("timestamp", "timestamp with time zone"),
    ("date", "date"),
    ("flag", "boolean"),
];

/// The columns a sentence names, for a section whose heading names a table and that says
/// nothing else about its columns: "Generic change log capturing table name, record id, diff
/// json, actor, timestamp." → `table_name`, `record_id`, `diff` (jsonb), `actor`, `timestamp`.
/// A comma list of at least three items of one to three plain words, after a word like
/// "capturing" or "with", ending the sentence. Types are guessed from the names (`key_type`
/// for `…_id`); the caller reports the table as inferred.
pub(super) fn sentence_columns(line: Line<'_>, key_type: &str) -> Option<Vec<DocColumn>> {
    let text = notes::prefix(line.text, 2048);
    if text.contains(['`', '|']) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    // The last trigger word before the list's first comma.
    let first_comma = lower.find(',')?;
    let (trigger_end, _) = RECORDS
        .iter()
        .filter_map(|w| {
            let mut found = None;
            let mut from = 0;
            while let Some(i) = lower[from..first_comma].find(w) {
                let at = from + i;
                let end = at + w.len();
                let before = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| c == ' ' || c == ':');
                let after = lower[end..].starts_with(' ');
                if before && after {
                    found = Some((end, at));
                }
                from = end;
            }
            found
        })
        .max()?;
    let list = &text[trigger_end..];
    let sentence_end = list.find(['.', ';', '(']).unwrap_or(list.len());
    if !list[sentence_end..]
        .trim_start_matches(['.', ';'])
        .trim()
        .is_empty()
        && list[sentence_end..].starts_with('(')
    {
        return None;
    }
    let list_text = &list[..sentence_end];
    let mut items: Vec<(usize, &str)> = Vec::new();
    let mut from = 0;
    for piece in list_text.split(',') {
        let start = from;
        from += piece.len() + 1;
        let piece_trimmed = piece.trim_start();
        let lead = piece.len() - piece_trimmed.len();
        let piece_trimmed = piece_trimmed
            .strip_prefix("and ")
            .or_else(|| piece_trimmed.strip_prefix("or "))
            .unwrap_or(piece_trimmed);
        let lead = lead + (piece.trim_start().len() - piece_trimmed.len());
        let item = piece_trimmed.trim_end();
        // `a and b` as the last item: two items.
        match item.split_once(" and ") {
            Some((a, b)) => {
                items.push((start + lead, a));
                let b_at = start + lead + a.len() + " and ".len();
                items.push((b_at, b.trim()));
            }
            None => items.push((start + lead, item)),
        }
    }
    let plain = |s: &str| {
        let words: Vec<&str> = s.split_whitespace().collect();
        (1..=3).contains(&words.len())
            && words
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_alphabetic()) && w.len() <= 20)
    };
    if items.len() < 3 || !items.iter().all(|(_, s)| plain(s)) {
        return None;
    }
    let mut columns: Vec<DocColumn> = Vec::new();
    for (at, item) in items {
        let words: Vec<String> = item
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let (name_words, ty) = match ITEM_TYPES
            .iter()
            .find(|(w, _)| words.last().is_some_and(|l| l == w))
        {
            Some((_, ty)) if words.len() > 1 => (&words[..words.len() - 1], Some(*ty)),
            _ => (&words[..], None),
        };
        let name = name_words.join("_");
        let ty = ty.unwrap_or_else(|| guessed_type(&name, key_type));
        // The span covers the name's words, not a type word after them.
        let named = if name_words.len() < words.len() {
            item.rfind(' ').map_or(item, |i| item[..i].trim_end())
        } else {
            item
        };
        let s = line.start + trigger_end + at;
        let span = TextRange::new(offset(s), offset(s + named.len()));
        if columns.iter().any(|c| c.name == name) {
            continue;
        }
        // The type is pgspec's guess, not a word of the document: no `raw_type`.
        columns.push(DocColumn {
            name,
            pg_type: normalize_type(ty),
            span,
            type_span: TextRange::empty(span.end),
            ..DocColumn::default()
        });
    }
    Some(columns)
}

/// A column type from a column's name: `…_id` the document's key type, `…_at` / `timestamp`
/// a `timestamptz`, counts `integer`, flags `boolean`, else `text`.
fn guessed_type<'a>(name: &str, key_type: &'a str) -> &'a str {
    if name == "id" || name.ends_with("_id") {
        key_type
    } else if name.ends_with("_at") || matches!(name, "timestamp" | "created" | "updated" | "time")
    {
        "timestamp with time zone"
    } else if name.ends_with("_count") || name == "count" {
        "integer"
    } else if name.starts_with("is_") || name.starts_with("has_") {
        "boolean"
    } else if name.ends_with("_date") || name == "date" {
        "date"
    } else {
        "text"
    }
}

/// A definition-list entry (`` `email` `` on one line, `: text, unique, not null` on the next)
/// that describes one column: the name alone on its line, then a type or a key or constraint.
pub(super) fn definition_column(term: Line<'_>, definition: Line<'_>) -> Option<DocColumn> {
    let t = term.text.trim();
    let lead = term.text.len() - term.text.trim_start().len();
    let inner = t.trim_matches(['*', '`']);
    let len = ascii_ident_len(inner);
    if len == 0 || len != inner.len() || inner.contains('.') || t.len() > 80 {
        return None;
    }
    let d = definition.text.trim_start();
    let body = d.strip_prefix(':').or_else(|| d.strip_prefix('：'))?;
    if !body.starts_with([' ', '\t']) && !d.starts_with('：') {
        return None;
    }
    let described = body.trim();
    let at = definition.start
        + (definition.text.len() - d.len())
        + (d.len() - body.len())
        + (body.len() - body.trim_start().len());
    let s = term.start + lead + t.find(inner).unwrap_or(0);
    let span = TextRange::new(offset(s), offset(s + len));
    let mut column = DocColumn {
        name: inner.to_lowercase(),
        span,
        type_span: TextRange::empty(span.end),
        comment: Some(described.to_string()),
        ..DocColumn::default()
    };
    describe(&mut column, described, at);
    let says_something = !column.raw_type.is_empty()
        || column.primary_key
        || column.unique
        || column.foreign_key
        || column.not_null.is_some()
        || column.default.is_some();
    says_something.then_some(column)
}
