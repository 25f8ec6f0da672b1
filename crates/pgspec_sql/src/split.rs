//! Split a SQL block into statements at top-level `;`, the way psql does, plus two things
//! design documents need: psql meta-commands (`\c db`) and text that is not SQL at all (shell
//! commands, prose, elisions) become statements of their own.
//!
//! Rules, in the order they matter:
//! * `;` inside strings, quoted identifiers, dollar quotes and comments is not a boundary
//!   (see [`super::lexer`]).
//! * In `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, `BEGIN … END` at parenthesis depth 0 (with
//!   `CASE … END` nested inside) is one unit, as in psql, so a SQL-standard `BEGIN ATOMIC` body
//!   keeps its semicolons.
//! * In `CREATE [OR REPLACE] RULE`, `;` inside parentheses separates rule actions, as in psql.
//!   Elsewhere a `;` ends the statement even inside parentheses: it is a syntax error there
//!   anyway, and stopping keeps one missing `)` from swallowing the rest of the block.
//! * A `\` outside quotes starts a psql meta-command running to the end of its line.
//! * A statement whose first token is not a SQL statement keyword is *foreign* (shell, prose):
//!   it is lexed line by line (an apostrophe cannot open a string across lines) and ends at
//!   `;` or before the next line that starts with a SQL statement keyword, so
//!   `pg_dump … > x.sql` followed by `ALTER TABLE …;` gives two statements.
//! * `COPY … FROM STDIN;` followed by data lines and a `\.` line: the data belongs to the
//!   statement (only when the `\.` line exists, so a lone illustrative COPY swallows nothing).

use super::lexer::{Construct, Lexer, Token, TokenKind};

/// How a statement's text was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Starts with a SQL statement keyword or `(`.
    Sql,
    /// Starts with something else: shell, prose, elision.
    Foreign,
    /// A psql meta-command line (`\c db`).
    Meta,
}

/// A statement as the splitter sees it: byte offsets into the block's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawStatement {
    pub start: usize,
    pub end: usize,
    /// End of the SQL proper: differs from `end` only for `COPY … FROM STDIN` with inline data.
    pub sql_end: usize,
    pub shape: Shape,
    /// Highest `$n` parameter number.
    pub max_param: u32,
    /// Whether it ends with `;`.
    pub terminated: bool,
}

/// An unterminated string, quoted identifier, dollar quote or block comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unterminated {
    pub construct: Construct,
    /// Offset of the opening delimiter.
    pub start: usize,
    /// Length of the opening delimiter.
    pub open_len: usize,
}

/// Result of [`split`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Split {
    pub statements: Vec<RawStatement>,
    pub unterminated: Vec<Unterminated>,
}

/// Keywords that can start a PostgreSQL statement (the SQL command list of the manual).
const STATEMENT_KEYWORDS: &[&str] = &[
    "abort",
    "alter",
    "analyse",
    "analyze",
    "begin",
    "call",
    "checkpoint",
    "close",
    "cluster",
    "comment",
    "commit",
    "copy",
    "create",
    "deallocate",
    "declare",
    "delete",
    "discard",
    "do",
    "drop",
    "end",
    "execute",
    "explain",
    "fetch",
    "grant",
    "import",
    "insert",
    "listen",
    "load",
    "lock",
    "merge",
    "move",
    "notify",
    "prepare",
    "reassign",
    "refresh",
    "reindex",
    "release",
    // MySQL's `REPLACE INTO`: SQL that PostgreSQL does not have, reported as such.
    "replace",
    "reset",
    "revoke",
    "rollback",
    "savepoint",
    "security",
    "select",
    "set",
    "show",
    "start",
    "table",
    "truncate",
    "unlisten",
    "update",
    "vacuum",
    "values",
    "with",
];

/// Whether `word` (any case) can start a SQL statement.
pub(crate) fn is_statement_keyword(word: &str) -> bool {
    STATEMENT_KEYWORDS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether a word starts SQL (at the start of a chunk, or of a line inside foreign text).
/// Capitalised words (`Create the table first`) are prose; SQL is written in upper or lower
/// case. (Prose that does parse, like `Select 1`, is still classified from its parse tree.)
fn starts_sql_line(word: &str) -> bool {
    let mut chars = word.chars();
    let title_case = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.any(|c| c.is_ascii_lowercase());
    !title_case && is_statement_keyword(word)
}

/// SQL Server's `GO [count]` on a line of its own (`rest`: the text after the word): it ends
/// the statement before it even without a `;`, and is a statement of its own (not SQL).
fn is_batch_separator(word: &str, rest: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or("");
    let line = line.split("--").next().unwrap_or("").trim();
    word.eq_ignore_ascii_case("go") && line.chars().all(|c| c.is_ascii_digit())
}

/// The statement being accumulated.
struct Current {
    start: usize,
    last_end: usize,
    shape: Shape,
    /// First four words, lowercased, to recognise CREATE FUNCTION / RULE / COPY.
    words: Vec<String>,
    word_count: usize,
    paren_depth: u32,
    begin_depth: u32,
    max_param: u32,
    prev_word_from: bool,
    copy_stdin: bool,
}

impl Current {
    fn new(start: usize, shape: Shape) -> Self {
        Self {
            start,
            last_end: start,
            shape,
            words: Vec::new(),
            word_count: 0,
            paren_depth: 0,
            begin_depth: 0,
            max_param: 0,
            prev_word_from: false,
            copy_stdin: false,
        }
    }

    fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }

    /// `CREATE [OR REPLACE] <what>`.
    fn is_create(&self, what: &[&str]) -> bool {
        self.word(0) == "create"
            && (what.contains(&self.word(1))
                || (self.word(1) == "or"
                    && self.word(2) == "replace"
                    && what.contains(&self.word(3))))
    }

    /// Whether a `;` here is inside a body or rule action list rather than a terminator.
    fn semicolon_is_inner(&self) -> bool {
        self.shape == Shape::Sql
            && (self.begin_depth > 0 || (self.paren_depth > 0 && self.is_create(&["rule"])))
    }

    fn feed(&mut self, tok: &Token, text: &str) {
        self.last_end = tok.end;
        let mut is_from = false;
        match tok.kind {
            TokenKind::Word => {
                let word = &text[tok.start..tok.end];
                if self.words.len() < 4 {
                    self.words.push(word.to_ascii_lowercase());
                }
                self.word_count += 1;
                if self.paren_depth == 0 && self.is_create(&["function", "procedure"]) {
                    // psql's heuristic (psqlscan.l): BEGIN opens a body, CASE nests inside it,
                    // END closes either.
                    let opens = word.eq_ignore_ascii_case("begin")
                        || (word.eq_ignore_ascii_case("case") && self.begin_depth > 0);
                    if opens {
                        self.begin_depth += 1;
                    } else if word.eq_ignore_ascii_case("end") {
                        self.begin_depth = self.begin_depth.saturating_sub(1);
                    }
                }
                if self.word(0) == "copy" && self.paren_depth == 0 {
                    if self.prev_word_from && word.eq_ignore_ascii_case("stdin") {
                        self.copy_stdin = true;
                    }
                    is_from = word.eq_ignore_ascii_case("from");
                }
            }
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            TokenKind::Param(n) => self.max_param = self.max_param.max(n),
            _ => {}
        }
        self.prev_word_from = is_from;
    }

    fn finish(self, end: usize, terminated: bool) -> RawStatement {
        RawStatement {
            start: self.start,
            end,
            sql_end: end,
            shape: self.shape,
            max_param: self.max_param,
            terminated,
        }
    }
}

/// Split `code` into statements. Never panics; linear in the length of `code`.
pub(crate) fn split(code: &str) -> Split {
    let mut out = Split::default();
    let mut lx = Lexer::new(code);
    let mut cur: Option<Current> = None;
    let mut at_line_start = true;

    while let Some(tok) = lx.next_token() {
        if let Some(construct) = tok.unterminated {
            out.unterminated.push(Unterminated {
                construct,
                start: tok.start,
                open_len: tok.open_len,
            });
        }
        match tok.kind {
            TokenKind::Whitespace { newline } => {
                at_line_start |= newline;
                continue;
            }
            TokenKind::LineComment | TokenKind::BlockComment => {
                // An unclosed comment inside a statement runs to the end of the block and
                // stays part of it. In foreign text `/*` is more likely a shell glob than a
                // comment, and it was lexed line by line, so it stays part of the text too.
                // Otherwise comments are never part of a statement's edges.
                if let Some(c) = cur.as_mut() {
                    let foreign_block =
                        c.shape == Shape::Foreign && tok.kind == TokenKind::BlockComment;
                    if tok.unterminated.is_some() || foreign_block {
                        c.last_end = tok.end;
                    }
                }
                continue;
            }
            _ => {}
        }
        let line_start = std::mem::replace(&mut at_line_start, false);
        let word = (tok.kind == TokenKind::Word).then(|| &code[tok.start..tok.end]);
        debug_assert!(out.statements.last().is_none_or(|s| s.end <= tok.start));

        // Boundaries that are not a `;`.
        if let Some(c) = cur.take() {
            let boundary = match c.shape {
                Shape::Foreign => {
                    line_start
                        && (tok.kind == TokenKind::Backslash || word.is_some_and(starts_sql_line))
                }
                Shape::Sql => {
                    tok.kind == TokenKind::Backslash
                        || (line_start
                            && word.is_some_and(|w| is_batch_separator(w, &code[tok.end..])))
                }
                Shape::Meta => true,
            };
            if boundary {
                let end = c.last_end;
                out.statements.push(c.finish(end, false));
                lx.line_mode = false;
            } else {
                cur = Some(c);
            }
        }

        // A backslash inside foreign text (a shell line continuation) is just a character.
        if tok.kind == TokenKind::Backslash && cur.is_none() {
            let line_end = lx.line_end(tok.start);
            // Trim ASCII whitespace only: U+0085 and friends are identifier bytes to PostgreSQL.
            let end = tok.start
                + code[tok.start..line_end]
                    .trim_end_matches([' ', '\t', '\r', '\x0b', '\x0c'])
                    .len();
            out.statements
                .push(Current::new(tok.start, Shape::Meta).finish(end, false));
            lx.set_pos(line_end);
            continue;
        }

        if tok.kind == TokenKind::Semicolon {
            match cur.take() {
                // An empty statement (`;;`) is no statement.
                None => continue,
                Some(mut c) if c.semicolon_is_inner() => {
                    c.feed(&tok, code);
                    cur = Some(c);
                    continue;
                }
                Some(c) => {
                    let copy_stdin = c.shape == Shape::Sql && c.copy_stdin;
                    let mut stmt = c.finish(tok.end, true);
                    if copy_stdin {
                        if let Some(data_end) = copy_data_end(code, tok.end) {
                            stmt.end = data_end;
                            lx.set_pos(data_end);
                        }
                    }
                    out.statements.push(stmt);
                    lx.line_mode = false;
                    continue;
                }
            }
        }

        let c = cur.get_or_insert_with(|| {
            let shape = match word {
                Some(w) if starts_sql_line(w) => Shape::Sql,
                None if tok.kind == TokenKind::OpenParen => Shape::Sql,
                _ => Shape::Foreign,
            };
            Current::new(tok.start, shape)
        });
        if c.shape == Shape::Foreign {
            lx.line_mode = true;
        }
        c.feed(&tok, code);
    }
    if let Some(c) = cur {
        let end = c.last_end;
        out.statements.push(c.finish(end, false));
    }
    out
}

/// Words that start a statement on a line of their own after a statement whose `;` was
/// forgotten. Not the ones that also continue a statement on a new line (`SET` of a function,
/// `BEGIN`/`END` of a body, `VALUES`, `TABLE`, `EXECUTE FUNCTION` of a trigger).
const NEXT_STATEMENT_KEYWORDS: &[&str] = &[
    "alter", "analyze", "call", "comment", "copy", "create", "delete", "do", "drop", "explain",
    "grant", "insert", "merge", "refresh", "reindex", "revoke", "select", "truncate", "update",
    "vacuum", "with",
];

/// At most this many places are tried in one statement (each costs a parse of what follows).
const MAX_SEMICOLON_CANDIDATES: usize = 32;

/// Where a statement that does not parse is two or more statements whose `;` was forgotten:
/// for each boundary, the end of the statement before it (after its last token, where the `;`
/// belongs) and the start of the next one (its first keyword, at the start of a line and
/// outside parentheses). Only a split in which every piece parses is returned, so a statement
/// with another syntax error stays whole. `parses` is PostgreSQL's parser.
pub(crate) fn missing_semicolons(
    text: &str,
    parses: &dyn Fn(&str) -> bool,
) -> Option<Vec<(usize, usize)>> {
    let mut candidates = Vec::new();
    let mut depth = 0usize;
    let mut line_start = false;
    let mut last_end = None;
    for tok in super::lexer::tokenize(text) {
        match tok.kind {
            TokenKind::Whitespace { newline } => {
                line_start |= newline;
                continue;
            }
            TokenKind::LineComment | TokenKind::BlockComment => continue,
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth = depth.saturating_sub(1),
            TokenKind::Word if depth == 0 && line_start => {
                let word = &text[tok.start..tok.end];
                if let Some(end) = last_end {
                    if NEXT_STATEMENT_KEYWORDS
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(word))
                    {
                        candidates.push((end, tok.start));
                    }
                }
            }
            _ => {}
        }
        if tok.unterminated.is_some() {
            return None;
        }
        line_start = false;
        last_end = Some(tok.end);
    }
    candidates.truncate(MAX_SEMICOLON_CANDIDATES);
    // From candidate `i` (the start of a piece), the boundaries after it that make every piece
    // parse; `failed` remembers the starts that cannot.
    fn from(
        text: &str,
        start: usize,
        candidates: &[(usize, usize)],
        parses: &dyn Fn(&str) -> bool,
        failed: &mut Vec<usize>,
    ) -> Option<Vec<(usize, usize)>> {
        if failed.contains(&start) {
            return None;
        }
        for (i, &(end, next)) in candidates.iter().enumerate() {
            if end <= start || !parses(&text[start..end]) {
                continue;
            }
            if parses(&text[next..]) {
                return Some(vec![(end, next)]);
            }
            if let Some(mut rest) = from(text, next, &candidates[i + 1..], parses, failed) {
                rest.insert(0, (end, next));
                return Some(rest);
            }
        }
        failed.push(start);
        None
    }
    if candidates.is_empty() || parses(text) {
        return None;
    }
    from(text, 0, &candidates, parses, &mut Vec::new())
}

/// End of the `\.` line that terminates inline COPY data starting on the line after `from`.
fn copy_data_end(code: &str, from: usize) -> Option<usize> {
    let mut line_start = code.get(from..)?.find('\n')? + from + 1;
    while line_start <= code.len() {
        let rest = &code[line_start..];
        let line = rest.find('\n').map_or(rest, |i| &rest[..i]);
        if line.trim() == "\\." {
            let dot = line.find("\\.").unwrap_or(0);
            return Some(line_start + dot + 2);
        }
        line_start += line.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests;
