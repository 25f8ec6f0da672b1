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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn texts(code: &str) -> Vec<&str> {
        split(code)
            .statements
            .iter()
            .map(|s| &code[s.start..s.end])
            .collect()
    }

    fn shapes(code: &str) -> Vec<Shape> {
        split(code).statements.iter().map(|s| s.shape).collect()
    }

    #[test]
    fn a_go_line_ends_a_sql_server_batch() {
        let code = "CREATE TABLE [dbo].[T] (\n  [Id] INT\n)\nGO\nCREATE INDEX i ON t (id)\ngo 2\nSELECT 1 AS go\n";
        assert_eq!(
            texts(code),
            vec![
                "CREATE TABLE [dbo].[T] (\n  [Id] INT\n)",
                "GO",
                "CREATE INDEX i ON t (id)",
                "go 2",
                "SELECT 1 AS go"
            ]
        );
        assert_eq!(shapes(code)[1], Shape::Foreign);
    }

    #[test]
    fn forgotten_semicolons_are_found_where_every_piece_parses() {
        let parses = |sql: &str| crate::ast::parse_tree(sql).is_ok();
        let pieces = |text: &str| {
            missing_semicolons(text, &parses).map(|b| {
                let mut out = Vec::new();
                let mut start = 0;
                for (end, next) in b {
                    out.push(text[start..end].to_owned());
                    start = next;
                }
                out.push(text[start..].to_owned());
                out
            })
        };
        assert_eq!(
            pieces("CREATE INDEX a ON t (x) -- gin\nCREATE INDEX b ON t (y)\n  ALTER TABLE t ADD z int"),
            Some(vec![
                "CREATE INDEX a ON t (x)".to_owned(),
                "CREATE INDEX b ON t (y)".to_owned(),
                "ALTER TABLE t ADD z int".to_owned(),
            ])
        );
        // A statement that parses, or that has another error, stays whole.
        assert_eq!(pieces("CREATE VIEW v AS\nSELECT 1"), None);
        assert_eq!(pieces("INSERT INTO t (a)\nSELECT 1"), None);
        assert_eq!(
            pieces("CREATE TABLE t (a int)\nCREATE TABLE u (b intt int)"),
            None
        );
        assert_eq!(
            pieces("CREATE TABLE t (a int) CREATE TABLE u (b int)"),
            None
        );
        // Inside parentheses and quotes a keyword starts nothing.
        assert_eq!(pieces("SELECT (1\nSELECT 2"), None);
        assert_eq!(pieces("SELECT 'a\nSELECT 2' x y"), None);
    }

    #[test]
    fn splits_at_semicolons_and_skips_leading_comments() {
        let code = "-- header\n/* block */ CREATE TABLE a (id int); -- trailing\n\n  SELECT 1 /* in */ ;\n-- only a comment\n";
        assert_eq!(
            texts(code),
            vec!["CREATE TABLE a (id int);", "SELECT 1 /* in */ ;"]
        );
    }

    #[test]
    fn comment_only_and_empty_chunks_are_not_statements() {
        assert!(texts("-- nothing\n/* here */\n;;\n").is_empty());
        assert!(texts("").is_empty());
        assert_eq!(texts(";;SELECT 1;;"), vec!["SELECT 1;"]);
    }

    #[test]
    fn last_statement_without_semicolon_ends_at_its_last_token() {
        let code = "SELECT 1;\nSELECT 2 -- no semicolon\n";
        assert_eq!(texts(code), vec!["SELECT 1;", "SELECT 2"]);
        let s = &split(code).statements[1];
        assert!(!s.terminated);
    }

    #[test]
    fn dollar_quotes_with_tags_hide_semicolons() {
        let code = "CREATE FUNCTION f() RETURNS void AS $fn$ BEGIN PERFORM 1; $x$ ; $x$ END; $fn$ LANGUAGE plpgsql;\nSELECT 2;";
        let t = texts(code);
        assert_eq!(t.len(), 2);
        assert!(t[0].ends_with("LANGUAGE plpgsql;"));
        let cron = "SELECT cron.schedule('j', '0 0 * * *', $$ DELETE FROM t; VACUUM t; $$);";
        assert_eq!(texts(cron), vec![cron]);
    }

    #[test]
    fn params_are_not_dollar_quotes() {
        let code = "SELECT * FROM t WHERE a = $1 AND b = $2; SELECT $3;";
        let s = split(code).statements;
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].max_param, 2);
        assert_eq!(s[1].max_param, 3);
    }

    #[test]
    fn nested_comments_hide_semicolons() {
        let code = "SELECT 1 /* outer /* inner; */ still; */ + 1; SELECT 2;";
        assert_eq!(
            texts(code),
            vec!["SELECT 1 /* outer /* inner; */ still; */ + 1;", "SELECT 2;"]
        );
    }

    #[test]
    fn e_strings_and_quoted_identifiers_hide_semicolons() {
        let code = "INSERT INTO \"odd;name\" VALUES (E'it\\'s; fine', 'a''; b', U&'x;');\nSELECT \"a\"\"; b\";";
        assert_eq!(
            texts(code),
            vec![
                "INSERT INTO \"odd;name\" VALUES (E'it\\'s; fine', 'a''; b', U&'x;');",
                "SELECT \"a\"\"; b\";"
            ]
        );
    }

    #[test]
    fn begin_atomic_body_is_one_statement() {
        let code = "CREATE OR REPLACE FUNCTION grade(s int) RETURNS text LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN s > 90 THEN 'A' ELSE 'B' END;\n  SELECT 'x';\nEND;\nCREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\nSELECT 1;";
        let t = texts(code);
        assert_eq!(t.len(), 3, "{t:#?}");
        assert!(t[0].starts_with("CREATE OR REPLACE FUNCTION") && t[0].ends_with("END;"));
        assert_eq!(
            t[1],
            "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;"
        );
        // BEGIN outside a function is transaction control, not a body.
        assert_eq!(texts("BEGIN; SELECT 1; END;").len(), 3);
    }

    #[test]
    fn rule_actions_in_parentheses_stay_together() {
        let code = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1;";
        assert_eq!(texts(code).len(), 2);
        // Elsewhere, a `;` inside unbalanced parentheses still ends the statement.
        assert_eq!(texts("CREATE TABLE t (id int;\nSELECT 1;").len(), 2);
    }

    #[test]
    fn psql_meta_commands_are_their_own_statements() {
        let code = "\\c mydb\nCREATE TABLE t (id int);\n\\i other.sql  \nSELECT 1\n\\gset\n";
        // In shell text a backslash continues the line.
        assert_eq!(
            texts("pg_dump -h db \\\n  -t x > y.sql"),
            vec!["pg_dump -h db \\\n  -t x > y.sql"]
        );
        assert_eq!(
            texts(code),
            vec![
                "\\c mydb",
                "CREATE TABLE t (id int);",
                "\\i other.sql",
                "SELECT 1",
                "\\gset"
            ]
        );
        assert_eq!(
            shapes(code),
            vec![
                Shape::Meta,
                Shape::Sql,
                Shape::Meta,
                Shape::Sql,
                Shape::Meta
            ]
        );
    }

    #[test]
    fn foreign_lines_end_before_the_next_sql_line() {
        let code =
            "pg_dump -t orders > backup.sql\n-- then\nALTER TABLE orders DETACH PARTITION p;\n";
        assert_eq!(
            texts(code),
            vec![
                "pg_dump -t orders > backup.sql",
                "ALTER TABLE orders DETACH PARTITION p;"
            ]
        );
        assert_eq!(shapes(code), vec![Shape::Foreign, Shape::Sql]);
        // An apostrophe in prose does not open a string across lines, and capitalised prose
        // lines do not start statements.
        assert_eq!(
            texts("Create the users table first\nCREATE TABLE users (id int);"),
            vec![
                "Create the users table first",
                "CREATE TABLE users (id int);"
            ]
        );
        let prose = "이건 don't\nUpdate the docs\nSELECT 1;";
        assert_eq!(
            texts(prose),
            vec!["이건 don't\nUpdate the docs", "SELECT 1;"]
        );
        assert!(split(prose).unterminated.is_empty());
        // `/*` in shell text is a glob, not a comment running to the end of the block.
        assert_eq!(
            texts(
                "rm -rf /backup/*
SELECT 1;"
            ),
            vec!["rm -rf /backup/*", "SELECT 1;"]
        );
    }

    #[test]
    fn copy_from_stdin_keeps_its_data() {
        let code = "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\.\nSELECT 1;";
        let s = split(code).statements;
        assert_eq!(s.len(), 2);
        assert_eq!(
            &code[s[0].start..s[0].end],
            "COPY t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\."
        );
        assert_eq!(&code[s[0].start..s[0].sql_end], "COPY t (a, b) FROM stdin;");
        // Without a `\.` line nothing is taken as data.
        assert_eq!(texts("COPY t FROM STDIN;\nSELECT 1;").len(), 2);
    }

    #[test]
    fn unterminated_constructs_keep_the_statement() {
        for (code, construct, at) in [
            ("SELECT 1;\nSELECT 'abc;\nSELECT 2;", Construct::String, 17),
            ("SELECT \"abc; x", Construct::QuotedIdent, 7),
            ("SELECT $$abc; x", Construct::DollarQuote, 7),
            ("SELECT $t$abc $$; x", Construct::DollarQuote, 7),
            ("SELECT 1 /* a /* b */ ; x", Construct::BlockComment, 9),
            ("SELECT E'a\\'; x", Construct::String, 7),
        ] {
            let sp = split(code);
            let last = sp.statements.last().expect("statement");
            assert_eq!(last.end, code.len(), "{code}");
            assert_eq!(sp.unterminated.len(), 1, "{code}");
            assert_eq!(sp.unterminated[0].construct, construct, "{code}");
            assert_eq!(sp.unterminated[0].start, at, "{code}");
        }
        // A comment left open after the last statement is reported but makes no statement.
        let sp = split("SELECT 1; /* oops");
        assert_eq!(sp.statements.len(), 1);
        assert_eq!(sp.unterminated.len(), 1);
    }

    /// Independent check of the gaps between statements: only whitespace, `;` and comments.
    fn gap_is_trivia(gap: &str) -> bool {
        let b = gap.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_whitespace() || b[i] == b';' || b[i] == b'\x0b' {
                i += 1;
            } else if b[i..].starts_with(b"--") {
                i = gap[i..].find('\n').map_or(b.len(), |n| i + n);
            } else if b[i..].starts_with(b"/*") {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else {
                return false;
            }
        }
        true
    }

    fn check_invariants(code: &str) {
        let sp = split(code);
        let mut prev_end = 0;
        for s in &sp.statements {
            assert!(s.start < s.end, "empty statement {s:?} in {code:?}");
            assert!(prev_end <= s.start, "overlap {s:?} in {code:?}");
            assert!(s.end <= code.len());
            assert!(s.sql_end <= s.end && s.start < s.sql_end);
            assert!(code.is_char_boundary(s.start) && code.is_char_boundary(s.end));
            assert!(code.is_char_boundary(s.sql_end));
            let text = &code[s.start..s.end];
            // PostgreSQL's whitespace is ASCII only (U+0085 or U+00A0 would be identifier bytes).
            assert!(
                !text.starts_with([' ', '\t', '\n', '\r', '\x0b', '\x0c']),
                "{text:?}"
            );
            assert!(
                !text.starts_with("--") && !text.starts_with("/*"),
                "{text:?}"
            );
            let gap = &code[prev_end..s.start];
            assert!(
                gap_is_trivia(gap),
                "gap {gap:?} before {text:?} in {code:?}"
            );
            prev_end = s.end;
        }
        let tail = &code[prev_end..];
        assert!(gap_is_trivia(tail), "tail {tail:?} in {code:?}");
        for u in &sp.unterminated {
            assert!(code.is_char_boundary(u.start) && u.start + u.open_len <= code.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn split_invariants_on_arbitrary_text(code in "(?s).{0,300}") {
            check_invariants(&code);
        }

        #[test]
        fn split_invariants_on_sql_like_text(
            code in proptest::collection::vec(
                prop_oneof![
                    Just("'"), Just("''"), Just("\""), Just("$$"), Just("$a$"), Just("$1"),
                    Just("--"), Just("/*"), Just("*/"), Just(";"), Just("\n"), Just(" "),
                    Just("E'"), Just("\\"), Just("\\."), Just("("), Just(")"), Just("BEGIN"),
                    Just("END"), Just("CASE"), Just("CREATE FUNCTION f() "), Just("CREATE RULE "),
                    Just("COPY t FROM stdin"), Just("SELECT 1"), Just("pg_dump x"), Just("한글"),
                    Just("U&'"), Just("x"),
                ],
                0..40,
            ).prop_map(|parts| parts.concat())
        ) {
            check_invariants(&code);
        }
    }

    #[test]
    fn splitting_is_linear() {
        // Pathological inputs complete quickly (a quadratic splitter would take seconds).
        let many_dollars = "$a".repeat(200_000);
        let many_parens = "(".repeat(200_000);
        let many_lines = "x\n".repeat(200_000);
        let many_comments = "/*".repeat(100_000);
        let start = std::time::Instant::now();
        for code in [&many_dollars, &many_parens, &many_lines, &many_comments] {
            check_invariants(code);
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }
}
