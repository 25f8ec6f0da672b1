//! Facts in a column's free-text notes: `PK`, `FK → users.id`, `unique`, `default true`,
//! `nullable` / `NOT NULL`, enumerated values (`` `ko` or `en` ``, `OPEN / LOCKED`,
//! `'A', 'B', 'C'`), in the languages [`words`] lists.
//!
//! Notes are prose, so the reader looks for fixed markers and takes only what follows them in a
//! recognisable shape; anything else is left alone rather than guessed.

mod unspaced;
pub(crate) mod words;

use unspaced::cjk_markers;

/// What a note says about its column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoteFacts {
    pub primary_key: bool,
    pub unique: bool,
    pub foreign_key: bool,
    pub references: Option<(String, Option<String>)>,
    pub not_null: Option<bool>,
    pub default: Option<String>,
    pub enum_values: Vec<String>,
    /// Numbered by the database (`auto_increment`, `identity`): a serial type.
    pub auto_increment: bool,
    /// The expressions of `CHECK (…)` written in the note, each one SQL expression.
    pub checks: Vec<String>,
    /// `on delete cascade` / `set null` / … : the reference's delete action, in SQL.
    pub on_delete: Option<String>,
}

impl NoteFacts {
    /// Combine with facts from another cell of the same row (first one wins per fact).
    pub fn merge(&mut self, other: NoteFacts) {
        self.primary_key |= other.primary_key;
        self.unique |= other.unique;
        self.foreign_key |= other.foreign_key;
        if self.references.is_none() {
            self.references = other.references;
        }
        if self.not_null.is_none() {
            self.not_null = other.not_null;
        }
        if self.default.is_none() {
            self.default = other.default;
        }
        if self.on_delete.is_none() {
            self.on_delete = other.on_delete;
        }
        if self.enum_values.is_empty() {
            self.enum_values = other.enum_values;
        }
        self.auto_increment |= other.auto_increment;
        for check in other.checks {
            if !self.checks.contains(&check) {
                self.checks.push(check);
            }
        }
    }
}

/// A token of a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// `` `code` `` (content).
    Code(&'a str),
    /// `'quoted'` or `"quoted"` (content).
    Quoted(&'a str),
    /// Letters, digits, `_`, `$`, and `.` / `-` between word characters (`users.id`, `non-null`).
    Word(&'a str),
    /// Any other non-space character (`->` is two tokens).
    Punct(char),
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || is_inner_mark(c)
}

/// A combining sign inside a word that is not a letter to Unicode: the Devanagari virama and
/// nukta (`प्राथमिक`, `डिफ़ॉल्ट`) and the other Indic signs, Thai and Lao tone marks (`ห้าม`),
/// combining diacritics. Without it such words split in the middle.
fn is_inner_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0900}'..='\u{0963}'
        | '\u{0966}'..='\u{0DFF}'
        | '\u{0E31}'..='\u{0E3A}'
        | '\u{0E47}'..='\u{0E4E}'
        | '\u{0EB1}'..='\u{0EBC}'
        | '\u{0EC8}'..='\u{0ECD}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}')
}

/// Split a note into tokens.
pub(crate) fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // `\|` in a Markdown table cell is an escaped pipe: the pipe is what is meant.
        if c.is_whitespace() || (c == '\\' && chars.peek().is_some_and(|&(_, n)| n == '|')) {
            continue;
        }
        if c == '`' || c == '\'' || c == '"' {
            let rest = &text[i + 1..];
            match rest.find(c) {
                Some(len) => {
                    let inner = &rest[..len];
                    out.push(if c == '`' {
                        Tok::Code(inner)
                    } else {
                        Tok::Quoted(inner)
                    });
                    // Skip the content and the closing quote.
                    let end = i + 1 + len + 1;
                    while chars.peek().is_some_and(|&(j, _)| j < end) {
                        chars.next();
                    }
                }
                // An apostrophe in prose (`user's`) or an unclosed quote: punctuation.
                None => out.push(Tok::Punct(c)),
            }
            continue;
        }
        if is_word_char(c) {
            let mut end = i + c.len_utf8();
            loop {
                let rest = &text[end..];
                let mut it = rest.chars();
                match (it.next(), it.next()) {
                    (Some(d), _) if is_word_char(d) => end += d.len_utf8(),
                    (Some(d @ ('.' | '-')), Some(e)) if is_word_char(e) => {
                        end += d.len_utf8();
                    }
                    _ => break,
                }
            }
            while chars.peek().is_some_and(|&(j, _)| j < end) {
                chars.next();
            }
            out.push(Tok::Word(&text[i..end]));
            continue;
        }
        out.push(Tok::Punct(c));
    }
    out
}

fn word_lower(t: &Tok<'_>) -> Option<String> {
    match t {
        Tok::Word(w) => Some(w.to_lowercase()),
        _ => None,
    }
}

/// Whether the tokens at `i..` are the words of `phrase` (case-insensitive).
fn phrase_at(toks: &[Tok<'_>], i: usize, phrase: &[&str]) -> bool {
    phrase.iter().enumerate().all(|(k, p)| {
        toks.get(i + k)
            .and_then(word_lower)
            .is_some_and(|w| w == *p)
    })
}

fn any_phrase(toks: &[Tok<'_>], phrases: &[&[&str]]) -> bool {
    (0..toks.len()).any(|i| phrases.iter().any(|p| phrase_at(toks, i, p)))
}

/// Words that follow a marker but are not a table name (`FK nullable`, `FK, unique`).
const NOT_A_TARGET: &[&str] = &[
    "nullable",
    "not",
    "null",
    "unique",
    "optional",
    "index",
    "indexed",
    "on",
    "cascade",
    "default",
    "pk",
    "fk",
    "uk",
    "key",
    "required",
    "the",
    "a",
    "an",
    "to",
    "참조",
    "테이블",
    "table",
    "delete",
    "update",
    "set",
    "no",
    "yes",
    "and",
    "or",
];

/// Schemas whose name before a dot means `schema.table` rather than `table.column`.
const KNOWN_SCHEMAS: &[&str] = &["public", "auth", "storage", "extensions", "private"];

/// Read the facts of one note.
pub(crate) fn parse_notes(text: &str) -> NoteFacts {
    // A note is a sentence or two; a pathological cell is read only in part, which keeps the
    // (quadratic in places) list search cheap.
    let checks = check_expressions(prefix(text, 4096));
    let text = &space_scripts(prefix(text, 4096));
    let toks = tokens(text);
    let mut facts = NoteFacts {
        primary_key: any_phrase(&toks, words::PRIMARY_KEY),
        unique: has_unique(&toks),
        ..NoteFacts::default()
    };
    let (fk, target) = references(&toks);
    facts.foreign_key = fk;
    facts.references = target;
    let cjk = cjk_markers(text);
    facts.primary_key |= cjk.primary_key;
    facts.unique |= cjk.unique;
    facts.foreign_key |= cjk.foreign_key;
    facts.not_null = cjk.not_null.or_else(|| nullability(&toks));
    facts.default = default_value(text);
    facts.enum_values = enum_values(&toks);
    facts.auto_increment = any_phrase(&toks, words::AUTO_INCREMENT);
    facts.checks = checks;
    facts.on_delete = on_delete(text);
    facts
}

/// The expressions of every `CHECK (…)` in `text` (any case, the parentheses balanced) that
/// parse as one SQL expression: `CHECK (price >= 0)` is kept, `CHECK (0 이상)` is prose.
fn check_expressions(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("check") {
        let start = from + at;
        from = start + "check".len();
        let word_before = lower[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let rest = &text[from..];
        let open = rest.len() - rest.trim_start().len();
        if word_before || !rest[open..].starts_with('(') {
            continue;
        }
        let body_start = from + open + 1;
        let mut depth = 1usize;
        let mut end = None;
        for (i, c) in text[body_start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(body_start + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let expression = text[body_start..end].trim().trim_matches('`').trim();
        if !expression.is_empty() && crate::sql::expr::is_expression(expression) {
            out.push(expression.to_string());
        }
        from = end + 1;
    }
    out
}

/// The action of `ON DELETE …` in a note (`FK → users.id, on delete cascade`), in SQL.
fn on_delete(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let at = words.windows(2).position(|w| w == ["on", "delete"])? + 2;
    let action = match (words.get(at).copied(), words.get(at + 1).copied()) {
        (Some("cascade"), _) => "CASCADE",
        (Some("restrict"), _) => "RESTRICT",
        (Some("set"), Some("null")) => "SET NULL",
        (Some("set"), Some("default")) => "SET DEFAULT",
        (Some("no"), Some("action")) => "NO ACTION",
        _ => return None,
    };
    Some(action.to_owned())
}

/// `text` with a space between a run of alphabetic-script word characters and a run of other
/// letters (`users.idを参照` → `users.id を 参照`, `NULL不可` → `NULL 不可`): Japanese and Chinese
/// write markers and names without spaces, and the tokens need them apart. Accented Latin,
/// Greek and Cyrillic letters belong to the first kind: `clé` and `Primärschlüssel` are one word.
fn space_scripts(text: &str) -> String {
    let alphabetic_script = |c: char| c < '\u{0530}' || ('\u{1E00}'..='\u{1EFF}').contains(&c);
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<bool> = None;
    for c in text.chars() {
        let kind = is_word_char(c).then(|| alphabetic_script(c));
        if let (Some(a), Some(b)) = (prev, kind) {
            if a != b {
                out.push(' ');
            }
        }
        prev = kind;
        out.push(c);
    }
    out
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn has_unique(toks: &[Tok<'_>]) -> bool {
    (0..toks.len()).any(|i| {
        let Some(w) = toks.get(i).and_then(word_lower) else {
            return false;
        };
        let negated = i > 0
            && toks
                .get(i - 1)
                .and_then(word_lower)
                .is_some_and(|p| words::NEGATION.contains(&p.as_str()));
        match w.as_str() {
            "non-unique" => false,
            "중복" => phrase_at(toks, i + 1, &["불가"]),
            w => words::UNIQUE.contains(&w) && !negated,
        }
    })
}

fn nullability(toks: &[Tok<'_>]) -> Option<bool> {
    let not_null = any_phrase(toks, words::NOT_NULL);
    if not_null {
        return Some(true);
    }
    let nullable = (0..toks.len()).any(|i| {
        let Some(w) = toks.get(i).and_then(word_lower) else {
            return false;
        };
        // A bare NULL ("NULL for OAuth users", "null 허용"); `not null` was handled above.
        w == "null" || words::NULLABLE.contains(&w.as_str())
    });
    nullable.then_some(false)
}

/// The `FK` marker and the referenced table/column, if named.
fn references(toks: &[Tok<'_>]) -> (bool, Option<(String, Option<String>)>) {
    let mut fk = false;
    for i in 0..toks.len() {
        // Japanese binds the particle to the marker: `を参照`, `の外部キー`.
        let w = toks.get(i).and_then(word_lower).map(|w| {
            ["参照", "外部キー", "อ้างอิง", "คีย์นอก"]
                .into_iter()
                .find(|m| w.ends_with(m))
                .map_or(w, str::to_owned)
        });
        let (marker, next) = match (w.as_deref(), toks.get(i)) {
            (
                Some(
                    "fk"
                    | "references"
                    | "refs"
                    | "ref"
                    | "외래키"
                    | "참조키"
                    | "外部キー"
                    | "外键"
                    | "外鍵"
                    | "关联"
                    | "關聯"
                    | "引用"
                    | "อ้างอิง"
                    | "คีย์นอก"
                    | "مرجع"
                    | "संदर्भ",
                ),
                _,
            ) => (true, i + 1),
            (Some("참조" | "参照" | "参考"), _) => (true, i + 1),
            _ if words::FOREIGN_KEY.iter().any(|p| phrase_at(toks, i, p)) => {
                let len = words::FOREIGN_KEY
                    .iter()
                    .filter(|p| phrase_at(toks, i, p))
                    .map(|p| p.len())
                    .max()
                    .unwrap_or(1);
                (true, i + len)
            }
            (_, Some(Tok::Punct('→' | '⇒' | '➜'))) => (false, i + 1),
            (_, Some(Tok::Punct('-' | '='))) if toks.get(i + 1) == Some(&Tok::Punct('>')) => {
                (false, i + 2)
            }
            _ => continue,
        };
        fk |= marker;
        if let Some((table, column)) = target_at(toks, next) {
            // A bare arrow is a reference only in `table.column` / `table(column)` shape.
            if marker || column.is_some() {
                return (true, Some((table, column)));
            }
        }
        // Korean and Japanese put the target first: `users.id 참조`, `users.id を参照`.
        if matches!(w.as_deref(), Some("참조" | "参照")) {
            let mut j = i;
            while j > 0
                && toks.get(j - 1).and_then(word_lower).is_some_and(|p| {
                    matches!(
                        p.as_str(),
                        "테이블" | "table" | "의" | "を" | "の" | "テーブル"
                    )
                })
            {
                j -= 1;
            }
            if j > 0 {
                if let Some(target) = target_at(toks, j - 1) {
                    return (true, Some(target));
                }
            }
        }
    }
    (fk, None)
}

/// A `table`, `table.column`, `schema.table.column` or `table(column)` target at `i`, after
/// separators (`→`, `->`, `:`, `(`, `to`).
fn target_at(toks: &[Tok<'_>], mut i: usize) -> Option<(String, Option<String>)> {
    let mut opened = false;
    loop {
        match toks.get(i)? {
            // `←` after a marker: right-to-left text draws the arrow towards the target.
            Tok::Punct('→' | '⇒' | '➜' | '←' | '-' | '>' | '=' | ':') => {}
            Tok::Punct('(' | '（') => opened = true,
            Tok::Punct('：') => {}
            Tok::Word(w) if words::BEFORE_TARGET.contains(&w.to_lowercase().as_str()) => {}
            _ => break,
        }
        i += 1;
    }
    let name = match toks.get(i)? {
        Tok::Word(w) | Tok::Code(w) => *w,
        _ => return None,
    };
    let name = name.trim_matches('"');
    let first = name.chars().next()?;
    if !(first.is_alphabetic() || first == '_')
        || NOT_A_TARGET.contains(&name.to_lowercase().as_str())
    {
        return None;
    }
    if !name
        .chars()
        .all(|c| is_word_char(c) || c == '.' || c == '-')
    {
        return None;
    }
    let parts: Vec<&str> = name.split('.').collect();
    let (table, column) = match parts.as_slice() {
        [t] => (t.to_string(), None),
        // `auth.users`: a schema and a table, not a table and a column.
        [s, t] if KNOWN_SCHEMAS.contains(&s.to_lowercase().as_str()) => (format!("{s}.{t}"), None),
        [t, c] => (t.to_string(), Some(c.to_string())),
        [s, t, c] => (format!("{s}.{t}"), Some(c.to_string())),
        _ => return None,
    };
    // `table(column)`, unless the parenthesis was the marker's own: `FK(users)`.
    let column = column.or_else(|| {
        if opened {
            return None;
        }
        match (toks.get(i + 1), toks.get(i + 2), toks.get(i + 3)) {
            (Some(Tok::Punct('(')), Some(Tok::Word(c) | Tok::Code(c)), Some(Tok::Punct(')'))) => {
                Some(c.to_string())
            }
            _ => None,
        }
    });
    Some((table.to_lowercase(), column.map(|c| c.to_lowercase())))
}

/// The value after `default` / `defaults to` / `기본값`, as written.
fn default_value(text: &str) -> Option<String> {
    let lower = fold_case(text);
    let mut from = None;
    let markers = words::DEFAULT
        .iter()
        .map(|m| (*m, false))
        .chain(words::DEFAULT_LABEL.iter().map(|m| (*m, true)));
    for (marker, label) in markers {
        let mut search = 0;
        while let Some(pos) = lower[search..].find(marker) {
            let start = search + pos;
            let end = start + marker.len();
            let before_ok = lower[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !is_word_char(c));
            let after_ok = lower[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
                && (!label || lower[end..].trim_start().starts_with([':', '=', '：']));
            if before_ok && after_ok {
                from = Some(end);
                break;
            }
            search = end;
        }
        if from.is_some() {
            break;
        }
    }
    let mut rest = &text[from?..];
    // Skip `:`, `=`, `is`, `value`, `값`, `은`, `는` between the marker and the value.
    loop {
        let trimmed = rest.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '=' | '：' | 'は' | '为' | '為')
        });
        let lower = trimmed.to_ascii_lowercase();
        let skip = ["value ", "is ", "값", "은 ", "는 ", "to "]
            .iter()
            .find(|w| lower.starts_with(**w))
            .map(|w| w.len());
        match skip {
            Some(n) if trimmed.is_char_boundary(n) => rest = &trimmed[n..],
            _ => {
                rest = trimmed;
                break;
            }
        }
    }
    let value = read_value(rest)?;
    let lowered = value.to_lowercase();
    if value.is_empty() || matches!(lowered.as_str(), "none" | "없음" | "-" | "n/a") {
        return None;
    }
    Some(value)
}

/// `text` lowercased where that keeps every character's byte length (`По` → `по`, `É` → `é`),
/// so offsets in the result are offsets in `text`.
fn fold_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        })
        .collect()
}

/// One value: a quoted string, a code span's content, or a run up to a space or comma with
/// parentheses kept balanced (`now()`, `gen_random_uuid()`); a sentence's final `.` dropped.
fn read_value(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    if first == '`' {
        let inner = &s[1..];
        return inner.find('`').map(|n| inner[..n].trim().to_string());
    }
    if first == '\'' {
        // Through the closing quote; `''` is an escaped quote.
        let bytes = s.as_bytes();
        let mut i = 1;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(s[..=i].to_string());
            }
            i += 1;
        }
        return None;
    }
    let mut depth = 0i32;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            ')' => {
                end = i;
                break;
            }
            c if depth == 0 && (c.is_whitespace() || matches!(c, ',' | ';' | '|')) => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let value = s[..end].trim_end_matches(['.', ':']);
    Some(value.to_string())
}

/// The values of a note that is nothing but a list of words (`admin | member`, `draft, sent`,
/// `` `a` / `b` ``): read when the column's type says it is an enumeration (`ENUM`), where
/// lower-case words are values too.
pub(crate) fn listed_values(text: &str) -> Vec<String> {
    let text = text.replace("\\|", "|");
    let pieces: Vec<&str> = text
        .split(['|', '/', ',', '、', '，'])
        .map(|p| {
            p.trim()
                .trim_end_matches('.')
                .trim_matches(['`', '\'', '"'])
                .trim()
        })
        .collect();
    let word = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
            && p.split_whitespace().count() == 1
    };
    if pieces.len() >= 2 && pieces.iter().all(word) {
        pieces.into_iter().map(str::to_string).collect()
    } else {
        Vec::new()
    }
}

/// Words before a list that make it examples rather than the allowed values.
const EXAMPLE_MARKERS: &[&str] = &[
    "e.g", "eg", "ex", "example", "examples", "such", "like", "예", "예시", "예를",
];

/// Words that are keys or constraints, never enum values.
const NOT_VALUES: &[&str] = &["PK", "FK", "UK", "NOT", "NULL", "UNIQUE", "DEFAULT", "ID"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemKind {
    /// Backticked or quoted.
    Literal,
    /// An upper-case word (`OPEN`, `HQ_ADMIN`).
    Upper,
    /// Any word, only after an explicit marker (`one of`, `enum:`).
    Any,
}

fn item(tok: &Tok<'_>, kind: ItemKind) -> Option<String> {
    match (tok, kind) {
        (Tok::Code(s) | Tok::Quoted(s), ItemKind::Literal | ItemKind::Any) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        (Tok::Word(w), ItemKind::Upper) => {
            let upper = w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !NOT_VALUES.contains(w);
            upper.then(|| w.to_string())
        }
        (Tok::Word(w), ItemKind::Any) => Some(w.to_string()),
        _ => None,
    }
}

/// Separator tokens between list items; `true` for a comma.
fn separator(tok: &Tok<'_>) -> Option<bool> {
    match tok {
        Tok::Punct(',' | '、') => Some(true),
        Tok::Punct('/' | '|') => Some(false),
        Tok::Word(w) => words::LIST_JOINERS
            .contains(&w.to_lowercase().as_str())
            .then_some(false),
        _ => None,
    }
}

/// A list of at least two `kind` items from `start`: the values, the index after the list, and
/// whether a comma separated any of them.
fn list_at(toks: &[Tok<'_>], start: usize, kind: ItemKind) -> Option<(Vec<String>, usize, bool)> {
    let mut values = vec![item(toks.get(start)?, kind)?];
    let mut i = start + 1;
    let mut comma = false;
    loop {
        let mut j = i;
        let mut saw_sep = false;
        while let Some(c) = toks.get(j).and_then(separator) {
            comma |= c;
            saw_sep = true;
            j += 1;
        }
        match toks.get(j).and_then(|t| item(t, kind)) {
            Some(v) if saw_sep => {
                values.push(v);
                i = j + 1;
            }
            _ => break,
        }
    }
    (values.len() >= 2).then_some((values, i, comma))
}

/// The first enumeration of allowed values in a note.
fn enum_values(toks: &[Tok<'_>]) -> Vec<String> {
    // Lists after "e.g." are examples, not the allowed values.
    let stop = toks
        .iter()
        .position(|t| word_lower(t).is_some_and(|w| EXAMPLE_MARKERS.contains(&w.as_str())))
        .unwrap_or(toks.len());
    let toks = &toks[..stop];
    for start in 0..toks.len() {
        // After an explicit marker any word counts: `one of a, b`, `enum: a | b`, `값: a, b`.
        let marker_end = {
            let w = toks.get(start).and_then(word_lower);
            match w.as_deref() {
                Some("enum" | "values" | "값" | "허용값" | "가능값") => Some(start + 1),
                Some("one") if phrase_at(toks, start + 1, &["of"]) => Some(start + 2),
                _ => None,
            }
        };
        if let Some(mut j) = marker_end {
            while matches!(toks.get(j), Some(Tok::Punct(':' | '(' | '='))) {
                j += 1;
            }
            if let Some((values, _, _)) = list_at(toks, j, ItemKind::Any) {
                return values;
            }
        }
        if let Some((values, _, _)) = list_at(toks, start, ItemKind::Literal) {
            return values;
        }
        if let Some((values, end, comma)) = list_at(toks, start, ItemKind::Upper) {
            // Comma lists of capitals are taken only in parentheses or as the whole note:
            // `(HQ_ADMIN, BRANCH_MANAGER)`; `/` and `|` lists anywhere (`OPEN / LOCKED`).
            let parenthesized = start > 0
                && toks.get(start - 1) == Some(&Tok::Punct('('))
                && toks.get(end) == Some(&Tok::Punct(')'));
            let whole = start == 0
                && toks[end..]
                    .iter()
                    .all(|t| matches!(t, Tok::Punct('.' | ';')));
            if !comma || parenthesized || whole {
                return values;
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
