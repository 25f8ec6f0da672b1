//! Indexes and unique keys a sentence states: "Composite index on `orders (branch_id, status,
//! appointment_date)`", "Unique constraint on `(order_id, code)` in `waste_pickups`",
//! "`users.email` est unique", "`kb (tags)` に GIN インデックス". A design document lists them
//! beside (or instead of) the SQL; what it states is compared with what the SQL builds.
//!
//! Only a backticked key is read (`t (a, b)`, `(a, b)` with one backticked table, or a lone
//! `t.a`), beside an index or uniqueness word of [`INDEX_WORDS`] / [`UNIQUE_WORDS`] that no
//! negation precedes; anything else in prose is left alone rather than guessed.

use super::Line;
use crate::document::offset;
use crate::model::DocIndex;
use crate::text::TextRange;

/// Words that say "index" (lowercase; ASCII ones match at a word start).
const INDEX_WORDS: &[&str] = &[
    "index",
    "indexes",
    "indices",
    "índice",
    "indice",
    "indeks",
    "индекс",
    "dizin",
    "chỉ mục",
    "인덱스",
    "索引",
    "インデックス",
];

/// Words that say "unique" (lowercase; ASCII ones match at a word start).
const UNIQUE_WORDS: &[&str] = &[
    "unique",
    "único",
    "única",
    "unico",
    "unica",
    "eindeutig",
    "uniek",
    "unik",
    "уникальн",
    "benzersiz",
    "duy nhất",
    "유니크",
    "고유",
    "유일",
    "ユニーク",
    "一意",
    "唯一",
];

/// Words that, just before a marker, deny it ("not unique", "no index", "non-unique").
const NEGATIONS: &[&str] = &[
    "not ", "no ", "non-", "non ", "without ", "n't ", "nicht ", "kein", "sin ", "sem ", "pas ",
    "без ", "не ", "không ", "非", "不", "無", "없",
];

/// Access methods a sentence may name beside the key.
const METHODS: &[&str] = &["gin", "gist", "brin", "hash", "btree", "spgist"];

/// The indexes and unique keys the document's paragraphs and list items state, sentence by
/// sentence (a sentence may wrap over lines; its words speak for its own keys only).
pub(super) fn in_paragraphs(lines: &[Line<'_>], markdown: &[bool]) -> Vec<DocIndex> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !markdown[i] || lines[i].text.trim().is_empty() || structural(lines[i].text) {
            i += 1;
            continue;
        }
        // The paragraph or list item: this line and the plain lines that continue it, joined
        // with spaces in place of the line breaks (byte offsets stay the document's).
        let first = lines[i];
        let mut text = first.text.to_string();
        let mut j = i + 1;
        while j < lines.len()
            && markdown[j]
            && !lines[j].text.trim().is_empty()
            && !structural(lines[j].text)
            && !list_item(lines[j].text)
        {
            let gap = lines[j].start - (lines[j - 1].start + lines[j - 1].text.len());
            text.extend(std::iter::repeat_n(' ', gap));
            text.push_str(lines[j].text);
            j += 1;
        }
        for (start, sentence) in sentences(&text) {
            out.extend(stated_indexes(Line {
                start: first.start + start,
                text: sentence,
            }));
        }
        i = j;
    }
    out
}

/// A heading, table row, fence or HTML line: not prose.
fn structural(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with('|') || t.starts_with("```") || t.starts_with('<')
}

/// A line that starts a list item (`- `, `* `, `+ `, `1. `).
fn list_item(line: &str) -> bool {
    let t = line.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("+ ")
        || (digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") ")))
}

/// The sentences of a paragraph with their byte offsets: split after `. `, `! `, `? `, `; `
/// and `。` outside backticks.
fn sentences(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if c == '`' {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let end = match c {
            '。' => Some(i + c.len_utf8()),
            '.' | '!' | '?' | ';' if bytes.get(i + 1).is_some_and(|b| *b == b' ') => Some(i + 1),
            _ => None,
        };
        if let Some(end) = end {
            out.push((start, &text[start..end]));
            start = end;
        }
    }
    if start < text.len() {
        out.push((start, &text[start..]));
    }
    out
}

/// The indexes and unique keys one sentence states (none when it states none this reader can
/// read).
fn stated_indexes(line: Line<'_>) -> Vec<DocIndex> {
    let text = line.text;
    let lower = text.to_lowercase();
    // `to_lowercase` can change byte lengths outside ASCII; positions are then unreliable.
    if lower.len() != text.len() {
        return Vec::new();
    }
    let unique = marker(&lower, UNIQUE_WORDS);
    let index = marker(&lower, INDEX_WORDS);
    if !unique && !index {
        return Vec::new();
    }
    let spans = backticked(text);
    let method = words(&lower).find_map(|w| METHODS.iter().find(|m| **m == w).copied());
    let make = |table: &str, columns: Vec<String>, span: (usize, usize)| DocIndex {
        name: None,
        table: table.to_lowercase(),
        columns,
        method: method.map(str::to_string),
        unique,
        span: TextRange::new(offset(line.start + span.0), offset(line.start + span.1)),
        sentence: true,
    };
    // `t (a, b)`: each such span is a key of its own.
    let mut out: Vec<DocIndex> = spans
        .iter()
        .filter_map(|&(s, e)| {
            let (table, columns) = table_and_columns(&text[s..e])?;
            Some(make(table, columns, (s - 1, e + 1)))
        })
        .collect();
    if !out.is_empty() {
        return out;
    }
    // `(a, b)` in `t`: the one plain backticked name is the table.
    let lists: Vec<(usize, usize, Vec<String>)> = spans
        .iter()
        .filter_map(|&(s, e)| Some((s, e, columns(text[s..e].trim())?)))
        .collect();
    let names: Vec<&str> = spans
        .iter()
        .map(|&(s, e)| text[s..e].trim())
        .filter(|t| qualified_name(t))
        .collect();
    match (lists.as_slice(), names.as_slice()) {
        ([(s, e, columns)], [table]) => out.push(make(table, columns.clone(), (s - 1, e + 1))),
        // A lone `t.a`, the only code of the line: a one-column key.
        ([], [dotted]) if spans.len() == 1 => {
            if let Some((table, column)) = dotted.rsplit_once('.') {
                let (s, e) = spans[0];
                out.push(make(table, vec![column.to_string()], (s - 1, e + 1)));
            }
        }
        _ => {}
    }
    out
}

/// Whether a marker word occurs at a word start with no negation right before it.
fn marker(lower: &str, markers: &[&str]) -> bool {
    markers.iter().any(|m| {
        lower.match_indices(m).any(|(at, _)| {
            let before = &lower[..at];
            let word_start = !m.is_ascii()
                || before
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric());
            // The 12 characters before the marker.
            let from = before.char_indices().rev().nth(11).map_or(0, |(i, _)| i);
            let near = &before[from..];
            word_start && !NEGATIONS.iter().any(|n| near.contains(n))
        })
    })
}

/// Lowercase ASCII words of a line.
fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The byte ranges inside single backticks (`code`), outside double ones.
fn backticked(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('`').map(|i| rest + i) {
        let Some(close) = text[open + 1..].find('`').map(|i| open + 1 + i) else {
            break;
        };
        if close > open + 1 {
            out.push((open + 1, close));
        }
        rest = close + 1;
    }
    out
}

/// `t (a, b)` / `s.t(a DESC, b)`: the table and its key columns.
fn table_and_columns(code: &str) -> Option<(&str, Vec<String>)> {
    let open = code.find('(')?;
    let table = code[..open].trim();
    if !qualified_name(table) {
        return None;
    }
    Some((table, columns(code[open..].trim())?))
}

/// `(a, b DESC)`: plain column names (with an order), lowercased.
fn columns(list: &str) -> Option<Vec<String>> {
    let inner = list.strip_prefix('(')?.strip_suffix(')')?;
    let mut out = Vec::new();
    for part in inner.split(',') {
        let mut words = part.split_whitespace();
        let name = words.next()?;
        let order: Vec<&str> = words.collect();
        let ordered = match order.as_slice() {
            [] => String::new(),
            [o] if o.eq_ignore_ascii_case("asc") || o.eq_ignore_ascii_case("desc") => {
                format!(" {}", o.to_ascii_uppercase())
            }
            _ => return None,
        };
        if !plain_name(name) {
            return None;
        }
        out.push(format!("{}{ordered}", name.to_lowercase()));
    }
    (!out.is_empty()).then_some(out)
}

fn plain_name(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// `t` or `s.t`.
fn qualified_name(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| plain_name(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, Vec<String>, bool, Option<String>)> {
        stated_indexes(Line { start: 0, text })
            .into_iter()
            .map(|i| (i.table, i.columns, i.unique, i.method))
            .collect()
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn keys_stated_in_sentences() {
        assert_eq!(
            read("- Composite index on `orders (branch_id, status, appointment_date)` for fast filters."),
            [("orders".into(), v(&["branch_id", "status", "appointment_date"]), false, None)]
        );
        assert_eq!(
            read("- Unique constraint on `(order_id, code)` in `waste_pickups` to avoid duplicate entries per code."),
            [("waste_pickups".into(), v(&["order_id", "code"]), true, None)]
        );
        assert_eq!(
            read("`users.email` est unique."),
            [("users".into(), v(&["email"]), true, None)]
        );
        assert_eq!(
            read("A GIN index on `kb.articles(tags)` and one on `kb.articles(created_at DESC)`."),
            [
                (
                    "kb.articles".into(),
                    v(&["tags"]),
                    false,
                    Some("gin".into())
                ),
                (
                    "kb.articles".into(),
                    v(&["created_at DESC"]),
                    false,
                    Some("gin".into())
                )
            ]
        );
        assert_eq!(
            read("`users (email)` 는 고유합니다."),
            [("users".into(), v(&["email"]), true, None)]
        );
    }

    #[test]
    fn a_sentence_wraps_over_lines_and_speaks_for_its_own_keys() {
        let text = "Each code is recorded once: a unique constraint on `(order_id, code)` in\n`pickups`. Lookups use the index on `pickups (order_id)`.\n\n- Index on `a (x)`\n- unique `b.y`\n";
        let lines: Vec<Line<'_>> = {
            let mut start = 0;
            text.split_inclusive('\n')
                .map(|l| {
                    let line = Line {
                        start,
                        text: l.trim_end_matches('\n'),
                    };
                    start += l.len();
                    line
                })
                .collect()
        };
        let markdown = vec![true; lines.len()];
        let found: Vec<(String, Vec<String>, bool, &str)> = in_paragraphs(&lines, &markdown)
            .into_iter()
            .map(|i| {
                let at = &text[i.span.start as usize..i.span.end as usize];
                (i.table, i.columns, i.unique, at)
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "pickups".into(),
                    v(&["order_id", "code"]),
                    true,
                    "`(order_id, code)`"
                ),
                (
                    "pickups".into(),
                    v(&["order_id"]),
                    false,
                    "`pickups (order_id)`"
                ),
                ("a".into(), v(&["x"]), false, "`a (x)`"),
                ("b".into(), v(&["y"]), true, "`b.y`"),
            ]
        );
    }

    #[test]
    fn no_key_no_marker_or_a_denial_reads_nothing() {
        for line in [
            "`orders (branch_id, status)` is scanned nightly.",
            "`users.email` is not unique: people share addresses.",
            "There is no index on `events (payload)` on purpose.",
            "A unique index on lower(email) keeps logins apart.",
            "- `user_id` references `users.id`, unique per order.",
            "A non-unique index on `(a, b)` in `t` and `u`.",
        ] {
            assert!(read(line).is_empty(), "{line}: {:?}", read(line));
        }
    }
}
