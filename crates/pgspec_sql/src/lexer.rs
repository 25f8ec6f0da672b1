//! A hand-written PostgreSQL lexer, just precise enough to find statement boundaries.
//!
//! It knows every construct that can hide a `;`: standard, `E''`, `U&''` strings, dollar quotes,
//! quoted identifiers, `--` and nested `/* */` comments. It never fails: an unterminated
//! construct becomes a token running to the end of the input, flagged `unterminated`.
//! Every token starts and ends on a UTF-8 character boundary because all delimiters are ASCII
//! and non-ASCII bytes only ever occur inside words, strings and comments.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Spaces, tabs, newlines (`newline` tells whether it contains a `\n`).
    Whitespace { newline: bool },
    /// `-- …` up to (not including) the newline.
    LineComment,
    /// `/* … */`, nesting like PostgreSQL's.
    BlockComment,
    /// A keyword or unquoted identifier (may contain non-ASCII letters and `$`).
    Word,
    /// `"…"` or `U&"…"`.
    QuotedIdent,
    /// `'…'`, `E'…'`, `U&'…'`, `B'…'`, `X'…'`, `N'…'` (the prefix is part of the token).
    String,
    /// `$$…$$` or `$tag$…$tag$`.
    DollarString,
    /// `$n`, with its number (saturating).
    Param(u32),
    /// A numeric literal (loosely: digits followed by letters, digits, `_`, `.`).
    Number,
    /// `;`
    Semicolon,
    /// `(`
    OpenParen,
    /// `)`
    CloseParen,
    /// `\`, which starts a psql meta-command outside quotes.
    Backslash,
    /// Any other character (operators, punctuation, control characters).
    Other,
}

/// Which construct a token is, for messages about unterminated ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Construct {
    String,
    QuotedIdent,
    DollarQuote,
    BlockComment,
}

impl Construct {
    /// PostgreSQL's own wording for the unterminated construct.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Construct::String => "unterminated quoted string",
            Construct::QuotedIdent => "unterminated quoted identifier",
            Construct::DollarQuote => "unterminated dollar-quoted string",
            Construct::BlockComment => "unterminated /* comment",
        }
    }
}

/// A token: kind and byte range in the lexed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// Length of the opening delimiter (`'`, `E'`, `$tag$`, `/*`), for pointing at it.
    pub open_len: usize,
    /// Set when a string, quoted identifier, dollar quote or block comment is never closed.
    pub unterminated: Option<Construct>,
}

impl Token {
    /// Whether the token is whitespace or a comment.
    pub(crate) fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace { .. } | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

/// Whether `b` can continue an unquoted identifier (PostgreSQL: letters, digits, `_`, `$`,
/// and any byte ≥ 0x80).
pub(crate) fn is_ident_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether `b` can start an unquoted identifier.
pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Whether `b` can appear in a dollar-quote tag (identifier characters except `$`).
fn is_tag_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// The lexer. `line_mode` bounds every quoted construct and block comment to the current line;
/// the splitter turns it on for text that is not SQL (shell commands, prose), where a stray
/// apostrophe must not swallow the rest of the block.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    pub line_mode: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over `text`, starting at offset 0.
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            src: text.as_bytes(),
            pos: 0,
            line_mode: false,
        }
    }

    /// Move to `pos` (must be a character boundary the caller got from this lexer).
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.src.len());
    }

    /// Offset of the next `\n` at or after `from`, or the end of input.
    pub(crate) fn line_end(&self, from: usize) -> usize {
        self.src
            .get(from..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.src.len(), |i| from + i)
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos + offset).copied()
    }

    /// Where a quoted construct may end at the latest: the end of input, or in line mode the
    /// end of the current line.
    fn limit(&self) -> usize {
        if self.line_mode {
            self.line_end(self.pos)
        } else {
            self.src.len()
        }
    }

    /// The next token, or `None` at the end of input.
    pub(crate) fn next_token(&mut self) -> Option<Token> {
        let start = self.pos;
        let b = *self.src.get(start)?;
        let mut open_len = 1;
        let mut unterminated = None;
        let kind = match b {
            _ if is_space(b) => {
                let mut newline = false;
                while let Some(c) = self.peek(0).filter(|&c| is_space(c)) {
                    newline |= c == b'\n';
                    self.pos += 1;
                }
                TokenKind::Whitespace { newline }
            }
            b'-' if self.peek(1) == Some(b'-') => {
                self.pos = self.line_end(start);
                TokenKind::LineComment
            }
            b'/' if self.peek(1) == Some(b'*') => {
                open_len = 2;
                if !self.block_comment() {
                    unterminated = Some(Construct::BlockComment);
                }
                TokenKind::BlockComment
            }
            b'\'' => {
                self.pos += 1;
                if !self.quoted(b'\'', false) {
                    unterminated = Some(Construct::String);
                }
                TokenKind::String
            }
            b'"' => {
                self.pos += 1;
                if !self.quoted(b'"', false) {
                    unterminated = Some(Construct::QuotedIdent);
                }
                TokenKind::QuotedIdent
            }
            b'$' => self.dollar(&mut open_len, &mut unterminated),
            b'0'..=b'9' => {
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                {
                    self.pos += 1;
                }
                TokenKind::Number
            }
            _ if is_ident_start(b) => self.word(&mut open_len, &mut unterminated),
            b';' => {
                self.pos += 1;
                TokenKind::Semicolon
            }
            b'(' => {
                self.pos += 1;
                TokenKind::OpenParen
            }
            b')' => {
                self.pos += 1;
                TokenKind::CloseParen
            }
            b'\\' => {
                self.pos += 1;
                TokenKind::Backslash
            }
            _ => {
                // Only ASCII reaches here (bytes ≥ 0x80 start words), so one byte is one char.
                self.pos += 1;
                TokenKind::Other
            }
        };
        debug_assert!(self.pos > start, "lexer must advance");
        Some(Token {
            kind,
            start,
            end: self.pos,
            open_len,
            unterminated,
        })
    }

    /// A word, or a prefixed string / identifier (`E'…'`, `U&'…'`, `U&"…"`, `B'…'`, …).
    fn word(&mut self, open_len: &mut usize, unterminated: &mut Option<Construct>) -> TokenKind {
        let start = self.pos;
        while self.peek(0).is_some_and(is_ident_cont) {
            self.pos += 1;
        }
        let word = &self.src[start..self.pos];
        if word.len() == 1 {
            let prefix = word[0].to_ascii_lowercase();
            match (prefix, self.peek(0), self.peek(1)) {
                (b'e', Some(b'\''), _) => {
                    self.pos += 1;
                    *open_len = 2;
                    if !self.quoted(b'\'', true) {
                        *unterminated = Some(Construct::String);
                    }
                    return TokenKind::String;
                }
                (b'b' | b'x' | b'n', Some(b'\''), _) => {
                    self.pos += 1;
                    *open_len = 2;
                    if !self.quoted(b'\'', false) {
                        *unterminated = Some(Construct::String);
                    }
                    return TokenKind::String;
                }
                (b'u', Some(b'&'), Some(q @ (b'\'' | b'"'))) => {
                    self.pos += 2;
                    *open_len = 3;
                    if !self.quoted(q, false) {
                        *unterminated = Some(if q == b'\'' {
                            Construct::String
                        } else {
                            Construct::QuotedIdent
                        });
                    }
                    return if q == b'\'' {
                        TokenKind::String
                    } else {
                        TokenKind::QuotedIdent
                    };
                }
                _ => {}
            }
        }
        TokenKind::Word
    }

    /// Body of a quoted construct after its opening `quote`; doubled quotes escape, and in
    /// E-strings so does a backslash. Returns whether the closing quote was found.
    fn quoted(&mut self, quote: u8, backslash_escapes: bool) -> bool {
        let limit = self.limit();
        while self.pos < limit {
            let c = self.src[self.pos];
            if backslash_escapes && c == b'\\' {
                // Skip the escaped byte; if it is the first byte of a multi-byte character the
                // rest are continuation bytes (≥ 0x80), which never match a delimiter.
                self.pos = (self.pos + 2).min(limit);
            } else if c == quote {
                if self.src.get(self.pos + 1) == Some(&quote) && self.pos + 1 < limit {
                    self.pos += 2;
                } else {
                    self.pos += 1;
                    return true;
                }
            } else {
                self.pos += 1;
            }
        }
        self.pos = limit;
        // In line mode the construct is closed by the end of the line, which is not an error.
        self.line_mode
    }

    /// A nested block comment starting at `/*`. Returns whether it was closed.
    fn block_comment(&mut self) -> bool {
        let limit = self.limit();
        let mut depth = 0usize;
        while self.pos < limit {
            match (self.src[self.pos], self.src.get(self.pos + 1).copied()) {
                (b'/', Some(b'*')) if self.pos + 1 < limit => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) if self.pos + 1 < limit => {
                    depth -= 1;
                    self.pos += 2;
                    if depth == 0 {
                        return true;
                    }
                }
                _ => self.pos += 1,
            }
        }
        self.pos = limit;
        self.line_mode
    }

    /// `$n` parameter, `$tag$` dollar quote, or a lone `$`.
    fn dollar(&mut self, open_len: &mut usize, unterminated: &mut Option<Construct>) -> TokenKind {
        let start = self.pos;
        if self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            let mut n: u32 = 0;
            while let Some(d) = self.peek(0).filter(u8::is_ascii_digit) {
                n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
                self.pos += 1;
            }
            return TokenKind::Param(n);
        }
        // A tag is empty or starts like an identifier (not a digit) and has no `$`.
        let mut end = start + 1;
        if self.src.get(end).is_some_and(|&c| is_ident_start(c)) {
            while self.src.get(end).is_some_and(|&c| is_tag_char(c)) {
                end += 1;
            }
        }
        if self.src.get(end) != Some(&b'$') {
            self.pos += 1;
            return TokenKind::Other;
        }
        let delim = &self.src[start..=end];
        *open_len = delim.len();
        self.pos = end + 1;
        let limit = self.limit();
        let body = &self.src[self.pos..limit];
        match find(body, delim) {
            Some(i) => self.pos += i + delim.len(),
            None => {
                self.pos = limit;
                if !self.line_mode {
                    *unterminated = Some(Construct::DollarQuote);
                }
            }
        }
        TokenKind::DollarString
    }
}

/// First occurrence of `needle` in `haystack` (linear in practice: needles are short tags).
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|&b| b == first) {
            Some(j) => {
                i += j;
                if haystack.get(i..i + needle.len()) == Some(needle) {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}

/// All tokens of `text` in normal (not line) mode.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut lexer = Lexer::new(text);
    std::iter::from_fn(|| lexer.next_token()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokenize(text)
            .into_iter()
            .filter(|t| !matches!(t.kind, TokenKind::Whitespace { .. }))
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds("'a''b' E'\\'' e'x\\\\' U&'d\\0061' b'01'"),
            vec![
                (TokenKind::String, "'a''b'"),
                (TokenKind::String, "E'\\''"),
                (TokenKind::String, "e'x\\\\'"),
                (TokenKind::String, "U&'d\\0061'"),
                (TokenKind::String, "b'01'"),
            ]
        );
        // A word ending in e is not an E-string prefix.
        assert_eq!(
            kinds("name'x'"),
            vec![(TokenKind::Word, "name"), (TokenKind::String, "'x'")]
        );
    }

    #[test]
    fn dollar_quotes_params_and_identifiers() {
        assert_eq!(
            kinds("$1 $body$ ; $$ $body$ $$x$$ a$$b $ 1"),
            vec![
                (TokenKind::Param(1), "$1"),
                (TokenKind::DollarString, "$body$ ; $$ $body$"),
                (TokenKind::DollarString, "$$x$$"),
                (TokenKind::Word, "a$$b"),
                (TokenKind::Other, "$"),
                (TokenKind::Number, "1"),
            ]
        );
        assert_eq!(kinds("$99999999999")[0].0, TokenKind::Param(u32::MAX));
    }

    #[test]
    fn comments_nest() {
        assert_eq!(
            kinds("/* a /* b */ c */ x -- y ; z\nw"),
            vec![
                (TokenKind::BlockComment, "/* a /* b */ c */"),
                (TokenKind::Word, "x"),
                (TokenKind::LineComment, "-- y ; z"),
                (TokenKind::Word, "w"),
            ]
        );
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        for (text, construct) in [
            ("'abc", Construct::String),
            ("E'abc\\'", Construct::String),
            ("\"abc", Construct::QuotedIdent),
            ("$$abc", Construct::DollarQuote),
            ("$q$abc$$", Construct::DollarQuote),
            ("/* /* */", Construct::BlockComment),
        ] {
            let toks = tokenize(text);
            assert_eq!(toks.len(), 1, "{text}");
            assert_eq!(toks[0].end, text.len());
            assert_eq!(toks[0].unterminated, Some(construct), "{text}");
        }
    }

    #[test]
    fn line_mode_closes_constructs_at_newline() {
        let text = "it's here\nnext 'line'";
        let mut lx = Lexer::new(text);
        lx.line_mode = true;
        let toks: Vec<Token> = std::iter::from_fn(|| lx.next_token()).collect();
        let s = toks
            .iter()
            .find(|t| t.kind == TokenKind::String)
            .expect("string");
        assert_eq!(&text[s.start..s.end], "'s here");
        assert_eq!(s.unterminated, None);
        assert!(toks.iter().any(|t| &text[t.start..t.end] == "next"));
    }
}
