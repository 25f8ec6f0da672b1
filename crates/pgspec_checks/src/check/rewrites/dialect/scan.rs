//! Reading another dialect's text: backticks, MySQL intervals, tablespaces, table options, top-level commas, string ends.

use super::*;

/// How many commas `inner` has outside parentheses.
pub(super) fn top_level_commas(inner: &str) -> usize {
    let mut depth = 0usize;
    let mut commas = 0;
    for b in inner.bytes() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => commas += 1,
            _ => {}
        }
    }
    commas
}

/// `[USING INDEX] TABLESPACE name` (Oracle's and PostgreSQL's storage placement): the
/// document's tablespaces are the production server's, never the scratch database's, and
/// where a table is stored does not change what it holds.
pub(super) fn tablespaces(lower: &str, rw: &mut Rewrite) {
    for at in word_positions(lower, "tablespace") {
        let name = skip_ws(lower, at + "tablespace".len());
        let len = lower[name..]
            .bytes()
            .position(|b| !(is_ident_byte(b) || b == b'"'))
            .unwrap_or(lower.len() - name);
        if len == 0 {
            continue;
        }
        let mut start = at;
        let before = lower[..at].trim_end();
        // A column named `tablespace` starts an element.
        if before.ends_with(['(', ',']) {
            continue;
        }
        if before.ends_with("using index") {
            start = before.len() - "using index".len();
        }
        let start = lower[..start].trim_end().len();
        rw.edit(start..name + len, "", "tablespaces");
    }
}

/// MySQL's `INTERVAL 7 DAY` (a bare number and a unit) as PostgreSQL's `INTERVAL '7 day'`.
/// PostgreSQL's own `INTERVAL '7' DAY` has a string there and is left alone.
pub(super) fn mysql_intervals(text: &str, lower: &str, rw: &mut Rewrite) {
    const UNITS: &[&str] = &[
        "microsecond",
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
    ];
    for at in word_positions(lower, "interval") {
        let n = skip_ws(lower, at + "interval".len());
        let sign = usize::from(lower[n..].starts_with('-'));
        let digits = lower[n + sign..]
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if digits == 0 {
            continue;
        }
        let number_end = n + sign + digits;
        let u = skip_ws(lower, number_end);
        if u == number_end {
            continue;
        }
        let Some(unit) = UNITS.iter().find(|w| word_at(lower, u, w)) else {
            continue;
        };
        rw.edit(
            at..u + unit.len(),
            format!("INTERVAL '{} {unit}'", &text[n..number_end]),
            "INTERVAL n UNIT as an interval literal",
        );
    }
}

/// The other systems' spellings that may stand anywhere in a statement, whatever it is:
/// backtick names, `INTERVAL 7 DAY`, `CURRENT_TIMESTAMP()`, `DEFAULT ARRAY[]`, generated
/// columns without `STORED`.
pub(super) fn spellings_anywhere(text: &str, masked: &str, lower: &str, rw: &mut Rewrite) {
    backticks(text, masked, rw);
    mysql_intervals(text, lower, rw);
    empty_parens_after_clock_keywords(lower, rw);
    empty_arrays(lower, rw);
    generated_columns_stored(masked, lower, rw);
}

/// `CURRENT_TIMESTAMP()`, `CURRENT_DATE()`, `LOCALTIMESTAMP()`, …: MySQL's functions of the
/// clock called with empty parentheses, which are keywords in PostgreSQL (written without them,
/// or with a precision: `CURRENT_TIMESTAMP(3)` is left alone).
pub(super) fn empty_parens_after_clock_keywords(lower: &str, rw: &mut Rewrite) {
    const KEYWORDS: &[&str] = &[
        "current_timestamp",
        "current_date",
        "current_time",
        "localtimestamp",
        "localtime",
    ];
    for keyword in KEYWORDS {
        for at in word_positions(lower, keyword) {
            let open = skip_ws(lower, at + keyword.len());
            if !lower[open..].starts_with('(') {
                continue;
            }
            let close = skip_ws(lower, open + 1);
            if lower[close..].starts_with(')') {
                rw.edit(
                    at + keyword.len()..close + 1,
                    "",
                    "CURRENT_TIMESTAMP() without parentheses",
                );
            }
        }
    }
}

/// `GENERATED ALWAYS AS (expr) VIRTUAL`, or without a kind (MySQL's default, and PostgreSQL
/// 18's): PostgreSQL 15 computes a generated column only `STORED`. The values are the same; only
/// where they are kept differs.
pub(super) fn generated_columns_stored(masked: &str, lower: &str, rw: &mut Rewrite) {
    for at in word_positions(lower, "generated") {
        let mut p = skip_ws(lower, at + "generated".len());
        for w in ["always", "as"] {
            if !word_at(lower, p, w) {
                p = usize::MAX;
                break;
            }
            p = skip_ws(lower, p + w.len());
        }
        if p == usize::MAX || !lower[p..].starts_with('(') {
            continue;
        }
        let Some(close) = matching_paren(masked, p) else {
            continue;
        };
        let next = skip_ws(lower, close + 1);
        if word_at(lower, next, "virtual") {
            rw.edit(
                next..next + "virtual".len(),
                "STORED",
                "generated columns STORED",
            );
        } else if !word_at(lower, next, "stored") {
            rw.edit(close + 1..close + 1, " STORED", "generated columns STORED");
        }
    }
}

/// `DEFAULT ARRAY[]` beside another dialect's spellings (alone, the fix on the tree does it):
/// an empty array constructor has no element type, the literal `'{}'` gets its column's.
pub(super) fn empty_arrays(lower: &str, rw: &mut Rewrite) {
    for at in word_positions(lower, "array") {
        let open = skip_ws(lower, at + "array".len());
        if !lower[open..].starts_with('[') {
            continue;
        }
        let close = skip_ws(lower, open + 1);
        if !lower[close..].starts_with(']') || lower[close + 1..].trim_start().starts_with("::") {
            continue;
        }
        // Only a default: elsewhere nothing may give the literal a type.
        if !lower[..at].trim_end().ends_with("default") {
            continue;
        }
        rw.edit(at..close + 1, "'{}'", "empty ARRAY[] defaults as '{}'");
    }
}

/// `` `Name` `` → `name` (quoted only where PostgreSQL needs it). MySQL compares column names
/// without case, so the lowercase name is the one every other statement's plain name meets.
pub(super) fn backticks(text: &str, masked: &str, rw: &mut Rewrite) {
    let mut from = 0;
    while let Some(open) = masked[from..].find('`').map(|i| from + i) {
        let Some(close) = masked[open + 1..].find('`').map(|i| open + 1 + i) else {
            return;
        };
        let name = &text[open + 1..close];
        if !name.is_empty() {
            rw.edit(
                open..close + 1,
                quote_ident(&name.to_lowercase()),
                "names in backticks",
            );
        }
        from = close + 1;
    }
}

pub(super) fn unquote_backticks(text: &str) -> String {
    let text = &unquote_brackets(text);
    let mut out = String::with_capacity(text.len());
    let mut parts = text.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            out.push_str(&quote_ident(&part.to_lowercase()));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// SQLite's `WITHOUT ROWID` and `STRICT` after the list (PostgreSQL's tables have no rowid
/// and always check their types).
pub(super) fn sqlite_table_options(lower: &str, from: usize, rw: &mut Rewrite) {
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut p = skip_ws(lower, from);
    let start = p;
    loop {
        if word_at(lower, p, "without") {
            let q = skip_ws(lower, p + "without".len());
            if !word_at(lower, q, "rowid") {
                break;
            }
            p = skip_ws(lower, q + "rowid".len());
        } else if word_at(lower, p, "strict") {
            p = skip_ws(lower, p + "strict".len());
        } else {
            break;
        }
        if lower[p..].starts_with(',') {
            p = skip_ws(lower, p + 1);
        }
    }
    if p > start {
        rw.edit(start..p.min(end), "", "SQLite's table options");
    }
}

pub(super) fn is_mysql_charset(name: &str) -> bool {
    [
        "utf8", "latin1", "ascii", "binary", "ucs2", "utf16", "utf32", "big5", "gbk", "sjis",
        "euckr",
    ]
    .iter()
    .any(|c| name.starts_with(c))
}

/// The end (exclusive) of the single-quoted string starting at `start`.
pub(super) fn string_end(text: &str, start: usize) -> Option<usize> {
    crate::sql::quote::string_literal_end(text, start)
}

/// `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='…'` after the closing parenthesis.
pub(super) fn table_options(text: &str, lower: &str, close: usize, table: &str, rw: &mut Rewrite) {
    let end = lower.trim_end().trim_end_matches(';').trim_end().len();
    let mut p = skip_ws(lower, close + 1);
    let start = p;
    let mut comment: Option<String> = None;
    while p < end {
        let Some(option) = TABLE_OPTIONS.iter().find(|o| word_at(lower, p, o)) else {
            break;
        };
        let mut q = skip_ws(lower, p + option.len());
        if *option == "default" || *option == "character" {
            // `DEFAULT CHARSET=…`, `DEFAULT COLLATE=…`, `CHARACTER SET=…`
            let len = lower[q..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(lower.len() - q);
            if len == 0 {
                break;
            }
            q = skip_ws(lower, q + len);
        }
        if lower[q..].starts_with('=') {
            q = skip_ws(lower, q + 1);
        }
        let value_end = if text[q..].starts_with('\'') {
            let e = string_end(text, q).unwrap_or(end);
            if *option == "comment" {
                comment = Some(text[q..e].to_string());
            }
            e
        } else {
            q + lower[q..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(end - q)
        };
        if value_end == q {
            break;
        }
        p = skip_ws(lower, value_end);
        if lower[p..].starts_with(',') {
            p = skip_ws(lower, p + 1);
        }
    }
    if p > start {
        rw.edit(
            close + 1..p.min(end),
            if p >= end { "" } else { " " },
            "table options",
        );
        if let Some(c) = comment {
            rw.after.push(format!("COMMENT ON TABLE {table} IS {c}"));
        }
    }
}
