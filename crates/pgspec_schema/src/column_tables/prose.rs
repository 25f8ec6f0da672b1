//! Prose column lists, the weakest source: "Columns: `id`, `order_id`, …" (or `컬럼:`), or a run
//! of backticked names, in a line or a list.

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
                if let Some(pg) = normalize_type(paren) {
                    column.raw_type = paren.trim().to_string();
                    column.pg_type = Some(pg);
                    let ps = line.start + at;
                    column.type_span = TextRange::new(offset(ps), offset(ps + paren.len()));
                } else {
                    let facts = notes::parse_notes(paren);
                    column.primary_key = facts.primary_key;
                    column.unique = facts.unique;
                    column.foreign_key = facts.foreign_key;
                    column.references = facts.references;
                    column.not_null = facts.not_null;
                    column.default = facts.default;
                    column.enum_values = facts.enum_values;
                    column.comment = Some(paren.to_string());
                }
            }
            column
        })
        .collect()
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
