//! Which table a heading or a bold line names: `### orders`, `### 1. orders (주문)`,
//! `### Table: users`, `**orders**`, `Table: orders`, `### 사용자 테이블 (users)`.

use super::Line;
use crate::document::offset;
use crate::text::TextRange;

/// An ASCII identifier (optionally schema-qualified) at the start of `s`: its length.
pub(super) fn ascii_ident_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        if !bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            return if start == 0 { 0 } else { start - 1 };
        }
        while bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
        {
            i += 1;
        }
        if bytes.get(i) == Some(&b'.')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            i += 1;
            continue;
        }
        return i;
    }
}

/// What may start a title before the table's name (`Table: users`, `テーブル名：users`).
const TABLE_PREFIXES: &[&str] = &[
    "table:",
    "table name:",
    "테이블:",
    "테이블명:",
    "テーブル:",
    "テーブル名:",
    "表:",
    "表名:",
    "数据表:",
    "資料表:",
    "tabelle:",
    "tabellenname:",
    "tableau:",
    "nom de la table:",
    "tabla:",
    "nombre de la tabla:",
    "tabela:",
    "nome da tabela:",
    "tabella:",
    "tabel:",
    "tablo:",
    "bảng:",
    "таблица:",
    "tabell:",
    "جدول:",
    "तालिका:",
    "टेबल:",
    "ตาราง:",
];

/// The length of a [`TABLE_PREFIXES`] word and its colon (ASCII or full-width) at the start
/// of `text`.
fn table_prefix_len(text: &str) -> Option<usize> {
    // Lowercased where that keeps byte offsets (`Таблица` → `таблица`).
    let lower: String = text
        .chars()
        .map(|c| {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        })
        .collect();
    TABLE_PREFIXES.iter().find_map(|p| {
        let word = p.trim_end_matches(':');
        let rest = lower.strip_prefix(word)?;
        // French sets a space before the colon: `Table : users`.
        let spaces = rest.len() - rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']).len();
        let colon = [':', '：']
            .into_iter()
            .find(|c| rest[spaces..].starts_with(*c))?;
        Some(word.len() + spaces + colon.len_utf8())
    })
}

/// The word "table" in the languages whose column-table headers pgspec reads, as a title
/// writes it before the table's name in backticks or quotes (`### Tabelle \`lager\``,
/// `### Таблица \`clients\``); without them it would be a sentence (`Table of contents`).
const TABLE_WORDS_BEFORE_QUOTED_NAME: &[&str] = &[
    "table",
    "tabelle",
    "tabla",
    "tabela",
    "tabella",
    "tabel",
    "tablo",
    "bảng",
    "таблица",
    "tabell",
    "جدول",
    "तालिका",
    "टेबल",
    "ตาราง",
];

/// The length of a [`TABLE_WORDS_BEFORE_QUOTED_NAME`] word and the spaces after it, when a
/// backtick or a double quote follows them.
fn table_word_len(text: &str) -> Option<usize> {
    let word_len = text
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(text.len());
    let word = text[..word_len].to_lowercase();
    if !TABLE_WORDS_BEFORE_QUOTED_NAME.contains(&word.as_str()) {
        return None;
    }
    let rest = &text[word_len..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    (spaces > 0 && rest[spaces..].starts_with(['`', '"'])).then_some(word_len + spaces)
}

/// Words for "table" that may follow a table's name in a title (`users テーブル`, `users表`).
const TABLE_WORDS: &[&str] = &["테이블", "テーブル", "表", "数据表", "資料表", "（"];

/// Words that name a heading's or bold line's topic, not a table.
pub(super) const NOT_TABLE_NAMES: &[&str] = &[
    "columns",
    "column",
    "fields",
    "schema",
    "constraints",
    "indexes",
    "indices",
    "index",
    "notes",
    "note",
    "description",
    "example",
    "examples",
    "attributes",
    "table",
    "tables",
    "tabelle",
    "tabellen",
    "tableau",
    "tabla",
    "tablas",
    "tabela",
    "tabelas",
    "tabella",
    "tabel",
    "structure",
    "overview",
    "summary",
    "purpose",
    "relationships",
    "relations",
    "keys",
];

/// The table a heading names: `### orders`, `### 1. orders (주문)`, `` #### `waste_pickups`
/// table ``, `### Table: users`, `### 사용자 테이블 (users)`.
pub(super) fn heading_table_name(line: Line<'_>) -> Option<(String, TextRange)> {
    let t = line.text.trim_start();
    let lead = line.text.len() - t.len();
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    let body = &t[hashes..];
    // A closing sequence of `#`s is not part of the heading.
    let body = body.trim_end();
    let body = body.trim_end_matches('#');
    let base = line.start + lead + hashes;
    name_in_title(body, base, true)
}

/// The table a line names by itself in bold: `**orders**`, `` **`orders`** (주문) ``,
/// `**Table: orders**`, or a plain `Table: orders` / `테이블: orders`.
pub(super) fn bold_table_name(line: Line<'_>) -> Option<(String, TextRange)> {
    let t = line.text.trim();
    let lead = line.text.len() - line.text.trim_start().len();
    let base = line.start + lead;
    for marker in ["**", "__"] {
        if let Some(inner) = t.strip_prefix(marker) {
            let close = inner.find(marker)?;
            let after = inner[close + marker.len()..].trim();
            let tail_ok = after.is_empty()
                || after.starts_with(['(', '-', '–', '—', ':'])
                || after.starts_with('（');
            if !tail_ok {
                return None;
            }
            return name_in_title(&inner[..close], base + marker.len(), false);
        }
    }
    if table_prefix_len(t).is_some() {
        return name_in_title(t, base, false);
    }
    // `用户表(Users)`, `顧客テーブル（customers）`: a plain title line that says "table" in
    // its own language and names the table in parentheses.
    let before = t.split(['(', '（']).next().unwrap_or("");
    if ["테이블", "テーブル", "表"]
        .iter()
        .any(|w| before.contains(w))
        && t.chars().count() <= 60
    {
        return parenthesized_name(t, base);
    }
    None
}

/// The table name in a heading's or bold line's text that starts at document offset `base`.
pub(super) fn name_in_title(text: &str, base: usize, heading: bool) -> Option<(String, TextRange)> {
    let mut p = 0usize;
    let skip_ws = |p: &mut usize| {
        while text[*p..].starts_with([' ', '\t']) {
            *p += 1;
        }
    };
    skip_ws(&mut p);
    // Emoji and bold markers before the title.
    while let Some(c) = text[p..].chars().next() {
        if c.is_alphanumeric() || matches!(c, '`' | '_' | '"' | '(') {
            break;
        }
        p += c.len_utf8();
    }
    // Numbering: `1.`, `4.1.1`, `2)`, `A.`.
    let rest = &text[p..];
    let digits = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b')')
        .count();
    if digits > 0 && rest.as_bytes()[0].is_ascii_digit() && rest[digits..].starts_with([' ', '\t'])
    {
        p += digits;
    } else if rest.len() >= 3
        && rest.as_bytes()[0].is_ascii_uppercase()
        && rest.as_bytes()[1] == b'.'
        && rest.as_bytes()[2] == b' '
    {
        p += 2;
    }
    skip_ws(&mut p);
    if let Some(len) = table_prefix_len(&text[p..]).or_else(|| table_word_len(&text[p..])) {
        p += len;
        skip_ws(&mut p);
    }
    let trimmed = text[p..].trim_start_matches('*');
    p = text.len() - trimmed.len();
    // The name: backticked, quoted or bare ASCII.
    let (name_start, name_len, after) = match trimmed.chars().next() {
        Some(q @ ('`' | '"')) => {
            let inner = &trimmed[1..];
            let close = inner.find(q)?;
            let len = ascii_ident_len(&inner[..close]);
            if len == 0 || len != close {
                // `### Таблица \`клиенты\` (clients)`: the ASCII name in parentheses.
                return if heading {
                    parenthesized_name(text, base)
                } else {
                    None
                };
            }
            (p + 1, len, p + 1 + close + 1)
        }
        _ => {
            let len = ascii_ident_len(trimmed);
            if len == 0 {
                return parenthesized_name(text, base);
            }
            (p, len, p + len)
        }
    };
    let name = &text[name_start..name_start + name_len];
    // `At-Rest Encryption`: a hyphenated word, not a name and a dash.
    if text[after..].starts_with('-')
        && text[after + 1..].starts_with(|c: char| c.is_alphanumeric())
    {
        return None;
    }
    let tail = text[after..].trim_start_matches(['*', '`', '"']).trim();
    let tail_lower = tail.to_lowercase();
    let tail_ok = tail.is_empty()
        || tail.starts_with(['(', '-', '–', '—', ':', '（'])
        || tail_lower == "table"
        || tail_lower.starts_with("table ")
        || tail_lower.starts_with("table(")
        || tail_lower.starts_with("tables")
        || TABLE_WORDS.iter().any(|w| tail_lower.starts_with(w));
    if !tail_ok {
        return if heading {
            parenthesized_name(text, base)
        } else {
            None
        };
    }
    let lower = name.to_lowercase();
    if NOT_TABLE_NAMES.contains(&lower.as_str()) {
        return None;
    }
    let start = base + name_start;
    Some((
        lower,
        TextRange::new(offset(start), offset(start + name_len)),
    ))
}

/// `사용자 테이블 (users)`: a title without ASCII words, naming the table in parentheses.
pub(super) fn parenthesized_name(text: &str, base: usize) -> Option<(String, TextRange)> {
    let t = text.trim_end();
    let (inner_end, open) = if t.ends_with(')') {
        let end = t.len() - 1;
        (end, t[..end].rfind('(')?)
    } else if t.ends_with('）') {
        let end = t.len() - '）'.len_utf8();
        (end, t[..end].rfind('（')?)
    } else {
        return None;
    };
    let open_len = t[open..].chars().next().map_or(1, char::len_utf8);
    let before = &t[..open];
    if before
        .split_whitespace()
        .any(|w| w.bytes().any(|b| b.is_ascii_alphabetic()) && !w.eq_ignore_ascii_case("table"))
    {
        return None;
    }
    let inner = &t[open + open_len..inner_end];
    let lead = inner.len() - inner.trim_start().len();
    let candidate = inner.trim().trim_matches('`');
    let len = ascii_ident_len(candidate);
    if len == 0 || len != candidate.len() {
        return None;
    }
    let tick = usize::from(inner.trim().starts_with('`'));
    let start = base + open + open_len + lead + tick;
    let lower = candidate.to_lowercase();
    if NOT_TABLE_NAMES.contains(&lower.as_str()) {
        return None;
    }
    Some((lower, TextRange::new(offset(start), offset(start + len))))
}
