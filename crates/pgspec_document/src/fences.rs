//! Fenced code blocks, found by a line-based scanner.
//!
//! The scanner follows CommonMark for what it needs (fences of ``` or ~~~ of length ≥ 3, indented
//! up to 3 columns beyond their container; blockquote and list-item containers; the info
//! string's first word as language) and is more forgiving where design documents written by hand
//! or by a model go wrong:
//!
//! * Inside an open block, a line that opens a fence *with an info string* (same fence character,
//!   at least as long) ends the open block: a closing fence cannot carry an info string, so the
//!   author forgot to close the previous block. CommonMark would swallow the rest of the
//!   document into the first block; we emit DOC001 and start a new block.
//! * A closing fence indented less than its list item's content still closes the block, and
//!   content lines indented less than the item are kept (CommonMark would end the item).
//!
//! Line-based scanning keeps the source map exact: every content line becomes one segment.

use pgspec_diagnostics::text::TextRange;
use pgspec_diagnostics::{Category, Code, Diagnostic, Label};

use super::classify;
use super::{offset, CodeBlock, SourceMap};

/// Scan `text` for fenced code blocks, in document order, with DOC001 for unclosed fences.
pub(crate) fn scan(text: &str) -> (Vec<CodeBlock>, Vec<Diagnostic>) {
    let mut scanner = Scanner::default();
    let mut start = 0usize;
    let mut line_no = 0u32;
    let mut in_comment = false;
    // The empty "line" after a final newline holds nothing, so it is not scanned (a block left
    // open at the end would otherwise gain an empty last line).
    while start < text.len() {
        line_no = line_no.saturating_add(1);
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let next_start = if end < text.len() { end + 1 } else { end };
        // An HTML comment (CommonMark's HTML block from `<!--` to the line holding `-->`)
        // hides what it holds, fences included: commented-out SQL is not the design.
        if in_comment {
            in_comment = !line.contains("-->");
            start = end + 1;
            continue;
        }
        if scanner.open.is_none()
            && opens_comment(line)
            && text
                .get(next_start..)
                .is_some_and(|rest| rest.contains("-->"))
        {
            in_comment = true;
            start = end + 1;
            continue;
        }
        scanner.line(Line {
            no: line_no,
            start,
            text: line,
            next_start,
        });
        start = end + 1;
    }
    scanner.finish_at_eof();
    (scanner.blocks, scanner.diagnostics)
}

/// Whether `line` starts an HTML comment that does not end on it (up to three spaces of
/// indentation, as CommonMark allows an HTML block).
fn opens_comment(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    line.len() - trimmed.len() <= 3
        && trimmed
            .strip_prefix("<!--")
            .is_some_and(|rest| !rest.contains("-->"))
}

/// One line of the document, without its line terminator.
#[derive(Clone, Copy)]
struct Line<'a> {
    /// 1-based line number.
    no: u32,
    /// Byte offset of the line in the document.
    start: usize,
    text: &'a str,
    /// Byte offset of the following line (the document's end for the last line).
    next_start: usize,
}

impl Line<'_> {
    fn range(&self) -> TextRange {
        TextRange::new(offset(self.start), offset(self.start + self.text.len()))
    }
}

/// A fenced block being collected.
struct Open {
    /// Blockquote nesting of the opening fence; content lines must carry as many `>`.
    quote_depth: usize,
    fence_char: u8,
    fence_len: usize,
    /// Column of the fence (relative to the blockquote content): up to this many columns of
    /// indentation are removed from content lines.
    fence_col: usize,
    /// Content column of the enclosing list item (0 outside lists).
    container_col: usize,
    lang: String,
    fence: TextRange,
    line_no: u32,
    /// Where an empty block's zero-length segment points: the start of the line after the fence.
    anchor: usize,
    code: String,
    segments: Vec<(u32, u32, u32)>,
}

impl Open {
    fn fence_text(&self) -> String {
        char::from(self.fence_char)
            .to_string()
            .repeat(self.fence_len)
    }

    fn push_content(&mut self, line: &Line<'_>, from: usize) {
        if !self.segments.is_empty() {
            self.code.push('\n');
        }
        let content = &line.text[from..];
        self.segments.push((
            offset(self.code.len()),
            offset(line.start + from),
            offset(content.len()),
        ));
        self.code.push_str(content);
    }

    fn into_block(mut self, closed: bool) -> CodeBlock {
        if self.segments.is_empty() {
            self.segments.push((0, offset(self.anchor), 0));
        }
        CodeBlock {
            is_sql: classify::is_sql(&self.lang, &self.code),
            lang: self.lang,
            fence: self.fence,
            code: self.code,
            source_map: SourceMap {
                segments: self.segments,
            },
            closed,
            transcript: false,
        }
    }
}

/// A fence run at the start of a line's content.
struct FenceRun<'a> {
    char: u8,
    len: usize,
    info: &'a str,
}

#[derive(Default)]
struct Scanner {
    open: Option<Open>,
    /// Content columns of the enclosing list items, innermost last.
    lists: Vec<usize>,
    /// Blockquote depth the list items belong to.
    list_quote_depth: usize,
    /// Whether the previous line continues a paragraph (so an unindented line may be a lazy
    /// continuation that keeps its list item open).
    in_paragraph: bool,
    blocks: Vec<CodeBlock>,
    diagnostics: Vec<Diagnostic>,
}

impl Scanner {
    fn line(&mut self, line: Line<'_>) {
        match self.open.take() {
            Some(open) => self.inside(open, line),
            None => self.outside(line),
        }
    }

    /// A line inside an open block: closing fence, a new opener (recovery), or content.
    fn inside(&mut self, mut open: Open, line: Line<'_>) {
        let s = line.text;
        let (mut p, mut col) = (0usize, 0usize);
        for _ in 0..open.quote_depth {
            match strip_quote(s, p, col) {
                Some((np, ncol)) => (p, col) = (np, ncol),
                None => {
                    // The blockquote ended, and the block with it, without a closing fence.
                    self.unclosed_by_container(open, &line);
                    self.outside(line);
                    return;
                }
            }
        }
        let base = col;
        let (q, qcol) = skip_ws(s, p, col);
        // Forgiving: any indentation below the container's code-block threshold counts.
        if qcol - base < open.container_col + 4 && s.as_bytes().get(q) == Some(&open.fence_char) {
            if let Some(run) = fence_at(s, q) {
                if run.char == open.fence_char && run.len >= open.fence_len {
                    if run.info.is_empty() {
                        self.blocks.push(open.into_block(true));
                        return;
                    }
                    // An opener with an info string: the open block was never closed.
                    let next = new_open(
                        &line,
                        open.quote_depth,
                        run,
                        qcol - base,
                        open.container_col,
                    );
                    self.unclosed_by_next(open, &next);
                    self.open = Some(next);
                    return;
                }
            }
        }
        // Content: remove up to `fence_col` columns of indentation, never splitting a tab.
        let (mut from, mut c) = (p, col);
        while let Some(&b) = s.as_bytes().get(from) {
            let width = match b {
                b' ' => 1,
                b'\t' => tab_width(c),
                _ => break,
            };
            if c + width - base > open.fence_col {
                break;
            }
            from += 1;
            c += width;
        }
        open.push_content(&line, from);
        self.open = Some(open);
    }

    /// A line outside any block: track list containers and look for an opening fence.
    fn outside(&mut self, line: Line<'_>) {
        let s = line.text;
        let (mut p, mut col, mut depth) = (0usize, 0usize, 0usize);
        while let Some((np, ncol)) = strip_quote(s, p, col) {
            (p, col) = (np, ncol);
            depth += 1;
        }
        if depth != self.list_quote_depth {
            self.lists.clear();
            self.list_quote_depth = depth;
        }
        let base = col;
        let (mut q, mut qcol) = skip_ws(s, p, col);
        let Some(&first) = s.as_bytes().get(q) else {
            self.in_paragraph = false;
            return;
        };
        // Only these bytes can start a fence, a list item, a thematic break or a heading; any
        // other line is paragraph text (the common case, kept cheap).
        let may_start_block = matches!(
            first,
            b'`' | b'~' | b'-' | b'*' | b'+' | b'_' | b'#' | b'0'..=b'9'
        );
        let starts_block = may_start_block
            && (first == b'#'
                || fence_at(s, q).is_some()
                || list_marker(s, q, qcol, base).is_some());
        let lazy = self.in_paragraph && !starts_block;
        if !lazy {
            while self
                .lists
                .last()
                .is_some_and(|&content| qcol - base < content)
            {
                self.lists.pop();
            }
        }
        let mut container = self.lists.last().copied().unwrap_or(0);
        if qcol - base >= container + 4 {
            // An indented code block, or a paragraph's continuation: no fence can open here.
            return;
        }
        if !may_start_block {
            self.in_paragraph = true;
            return;
        }
        loop {
            if let Some(run) = fence_at(s, q) {
                self.in_paragraph = false;
                self.open = Some(new_open(&line, depth, run, qcol - base, container));
                return;
            }
            if is_thematic_break(&s[q..]) {
                self.in_paragraph = false;
                return;
            }
            let Some(marker) = list_marker(s, q, qcol, base) else {
                self.in_paragraph = !s[q..].starts_with('#');
                return;
            };
            self.lists.push(marker.content_col);
            container = marker.content_col;
            match marker.content {
                Some((np, ncol)) => (q, qcol) = (np, ncol),
                None => {
                    // An empty item, or one whose content is an indented code block.
                    self.in_paragraph = false;
                    return;
                }
            }
        }
    }

    fn finish_at_eof(&mut self) {
        if let Some(open) = self.open.take() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::UnclosedCodeFence,
                    Category::Document,
                    format!("code block opened at line {} is never closed", open.line_no),
                    open.fence,
                )
                .label("this block is never closed")
                .help(format!(
                    "close the block with {} after its last line",
                    open.fence_text()
                ))
                .note("the block runs to the end of the document"),
            );
            self.blocks.push(open.into_block(false));
        }
    }

    fn unclosed_by_next(&mut self, open: Open, next: &Open) {
        let n = next.line_no;
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnclosedCodeFence,
                Category::Document,
                format!("code block opened at line {} is never closed", open.line_no),
                open.fence,
            )
            .label("this block is never closed")
            .secondary(Label::with_message(next.fence, format!("line {n} opens the next block")))
            .help(format!("close the block with {} before line {n}", open.fence_text()))
            .note(format!(
                "a closing fence cannot carry an info string, so Markdown reads line {n} as part of this block; \
                 pgspec ends the block before line {n} instead"
            )),
        );
        self.blocks.push(open.into_block(false));
    }

    fn unclosed_by_container(&mut self, open: Open, line: &Line<'_>) {
        let n = line.no;
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnclosedCodeFence,
                Category::Document,
                format!("code block opened at line {} is never closed", open.line_no),
                open.fence,
            )
            .label("this block is never closed")
            .help(format!(
                "close the block with {} before line {n}",
                open.fence_text()
            ))
            .note(format!(
                "the blockquote holding the block ends at line {n}, and the block with it"
            )),
        );
        self.blocks.push(open.into_block(false));
    }
}

fn new_open(
    line: &Line<'_>,
    quote_depth: usize,
    run: FenceRun<'_>,
    fence_col: usize,
    container_col: usize,
) -> Open {
    Open {
        quote_depth,
        fence_char: run.char,
        fence_len: run.len,
        fence_col,
        container_col,
        lang: lang_of(run.info),
        fence: line.range(),
        line_no: line.no,
        anchor: line.next_start,
        code: String::new(),
        segments: Vec::new(),
    }
}

/// The info string's first word, lowercased; `{.sql}` and `sql{...}` style attributes stripped.
fn lang_of(info: &str) -> String {
    let word = info.split_whitespace().next().unwrap_or("");
    let word = word.trim_start_matches(['{', '.']);
    let end = word
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '+' | '#' | '.')))
        .unwrap_or(word.len());
    word[..end].to_lowercase()
}

fn tab_width(col: usize) -> usize {
    4 - col % 4
}

/// Skip spaces and tabs from byte `p` at column `col`.
fn skip_ws(s: &str, mut p: usize, mut col: usize) -> (usize, usize) {
    while let Some(&b) = s.as_bytes().get(p) {
        match b {
            b' ' => col += 1,
            b'\t' => col += tab_width(col),
            _ => break,
        }
        p += 1;
    }
    (p, col)
}

/// One blockquote marker (`>` after up to 3 columns, then one optional space) at byte `p`.
fn strip_quote(s: &str, p: usize, col: usize) -> Option<(usize, usize)> {
    let (q, qcol) = skip_ws(s, p, col);
    if qcol - col > 3 || s.as_bytes().get(q) != Some(&b'>') {
        return None;
    }
    let (q, qcol) = (q + 1, qcol + 1);
    Some(match s.as_bytes().get(q) {
        Some(b' ') => (q + 1, qcol + 1),
        Some(b'\t') => (q + 1, qcol + tab_width(qcol)),
        _ => (q, qcol),
    })
}

/// A fence run (```` ``` ```` or `~~~`, at least 3) at byte `p`. A backtick fence's info string
/// cannot contain a backtick (that is inline code, not a fence).
fn fence_at(s: &str, p: usize) -> Option<FenceRun<'_>> {
    let rest = s.get(p..)?;
    let c = *rest.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == c).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if c == b'`' && info.contains('`') {
        return None;
    }
    Some(FenceRun { char: c, len, info })
}

/// `***`, `---`, `___` (spaces allowed between): a thematic break, not a list item.
fn is_thematic_break(rest: &str) -> bool {
    let mut chars = rest.chars().filter(|c| !matches!(c, ' ' | '\t'));
    let Some(first) = chars.next() else {
        return false;
    };
    matches!(first, '*' | '-' | '_') && {
        let n = 1 + chars.clone().count();
        n >= 3 && chars.all(|c| c == first)
    }
}

struct ListMarker {
    /// Content column of the item, relative to the blockquote content.
    content_col: usize,
    /// Byte and absolute column where the item's content starts, if it can hold a fence.
    content: Option<(usize, usize)>,
}

/// A list item marker (`-`, `*`, `+`, or up to 9 digits and `.`/`)`) at byte `p` (column `col`).
fn list_marker(s: &str, p: usize, col: usize, base: usize) -> Option<ListMarker> {
    let bytes = s.as_bytes();
    let marker_len = match *bytes.get(p)? {
        b'-' | b'*' | b'+' => 1,
        b'0'..=b'9' => {
            let digits = bytes[p..].iter().take_while(|b| b.is_ascii_digit()).count();
            if digits > 9 || !matches!(bytes.get(p + digits), Some(b'.' | b')')) {
                return None;
            }
            digits + 1
        }
        _ => return None,
    };
    let after = p + marker_len;
    let after_col = col + marker_len;
    match bytes.get(after) {
        None => {
            return Some(ListMarker {
                content_col: after_col + 1 - base,
                content: None,
            })
        }
        Some(b' ' | b'\t') => {}
        Some(_) => return None,
    }
    if is_thematic_break(&s[p..]) {
        return None;
    }
    let (q, qcol) = skip_ws(s, after, after_col);
    let spaces = qcol - after_col;
    if q >= s.len() || spaces > 4 {
        // Blank after the marker, or indented code: content starts one column after the marker.
        return Some(ListMarker {
            content_col: after_col + 1 - base,
            content: None,
        });
    }
    Some(ListMarker {
        content_col: qcol - base,
        content: Some((q, qcol)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> (Vec<CodeBlock>, Vec<Diagnostic>) {
        let (blocks, diagnostics) = scan(text);
        for b in &blocks {
            assert_source_map_exact(text, b);
        }
        (blocks, diagnostics)
    }

    /// Every non-newline byte of the code maps to the same byte of the document.
    fn assert_source_map_exact(text: &str, b: &CodeBlock) {
        for (i, byte) in b.code.bytes().enumerate() {
            if byte == b'\n' {
                continue;
            }
            let at = b.source_map.to_document(offset(i)) as usize;
            assert_eq!(
                text.as_bytes()[at],
                byte,
                "code byte {i} of {:?} maps to {at}",
                b.code
            );
        }
        for &(_, doc, len) in &b.source_map.segments {
            assert!((doc + len) as usize <= text.len());
        }
        assert!(b.fence.end as usize <= text.len());
    }

    fn line_of(text: &str, offset: u32) -> usize {
        text[..offset as usize].matches('\n').count() + 1
    }

    #[test]
    fn top_level_fences_with_language_and_exact_map() {
        let text = "# T\n\n```SQL title=x\nCREATE TABLE a (id int);\n\nSELECT 1;\n```\n\n~~~python\nprint(1)\n~~~\n";
        let (b, d) = blocks(text);
        assert!(d.is_empty());
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].lang, "sql");
        assert!(b[0].is_sql && b[0].closed);
        assert_eq!(b[0].code, "CREATE TABLE a (id int);\n\nSELECT 1;");
        assert_eq!(&text[b[0].fence.as_usize()], "```SQL title=x");
        assert_eq!(b[1].lang, "python");
        assert!(!b[1].is_sql);
        assert_eq!(b[1].code, "print(1)");
    }

    #[test]
    fn crlf_lines_are_stripped_of_carriage_returns() {
        let text = "```sql\r\nSELECT 1;\r\nSELECT 2;\r\n```\r\n";
        let (b, d) = blocks(text);
        assert!(d.is_empty());
        assert_eq!(b[0].code, "SELECT 1;\nSELECT 2;");
        assert_eq!(&text[b[0].fence.as_usize()], "```sql");
    }

    #[test]
    fn fences_inside_list_items() {
        let text = "1. Create the table:\n\n   ```sql\n   CREATE TABLE a (\n     id int\n   );\n   ```\n\n- ```sql\n  SELECT 1;\n  ```\n  - nested\n\n    ```sql\n    SELECT 2;\n    ```\n";
        let (b, d) = blocks(text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].code, "CREATE TABLE a (\n  id int\n);");
        assert_eq!(b[1].code, "SELECT 1;");
        assert_eq!(b[2].code, "SELECT 2;");
        assert!(b.iter().all(|b| b.closed && b.is_sql));
    }

    #[test]
    fn fence_on_an_ordered_item_line_strips_the_item_indent() {
        let text = "10. ```sql\n    SELECT 1;\n    ```\n";
        let (b, _) = blocks(text);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].code, "SELECT 1;");
        assert!(b[0].closed);
    }

    #[test]
    fn fence_indented_four_at_top_level_is_indented_code() {
        let text = "Para\n\n    ```sql\n    SELECT 1;\n    ```\n";
        let (b, _) = blocks(text);
        assert!(b.is_empty());
    }

    #[test]
    fn fences_inside_blockquotes() {
        let text = "> Note:\n>\n> ```sql\n> SELECT 1;\n>   -- indented\n>\n> ```\n\n> > ~~~\n> > nested\n> > ~~~\n";
        let (b, d) = blocks(text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].code, "SELECT 1;\n  -- indented\n");
        assert_eq!(b[1].code, "nested");
        assert_eq!(b[1].lang, "");
    }

    #[test]
    fn blockquote_ending_ends_its_block() {
        let text = "> ```sql\n> SELECT 1;\n\nafter\n```sql\nSELECT 2;\n```\n";
        let (b, d) = blocks(text);
        assert_eq!(b.len(), 2);
        assert!(!b[0].closed);
        assert_eq!(b[0].code, "SELECT 1;");
        assert!(b[1].closed);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::UnclosedCodeFence);
    }

    #[test]
    fn tilde_and_long_fences_close_only_with_their_own_kind() {
        let text =
            "~~~~\n```\nnot a close\n~~~\n~~~~~\nafter\n````md\n```sql\nSELECT 1;\n```\n````\n";
        let (b, d) = blocks(text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].code, "```\nnot a close\n~~~");
        assert_eq!(b[1].lang, "md");
        assert_eq!(b[1].code, "```sql\nSELECT 1;\n```");
    }

    #[test]
    fn inline_code_is_not_a_fence() {
        let (b, _) = blocks("use ```sql``` blocks\n``` a`b\n");
        assert!(b.is_empty());
    }

    #[test]
    fn opener_with_info_string_recovers_an_unclosed_block() {
        let text = "# Doc\n\n```typescript\nconst a = 1;\n\n### SQL\n```sql\nSELECT 1;\n```\n\n```sql\nSELECT 2;\n```\n";
        let (b, d) = blocks(text);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].lang, "typescript");
        assert!(!b[0].closed);
        assert_eq!(b[0].code, "const a = 1;\n\n### SQL");
        assert_eq!(b[1].code, "SELECT 1;");
        assert!(b[1].closed && b[2].closed);
        assert_eq!(d.len(), 1);
        let diag = &d[0];
        assert_eq!(diag.code, Code::UnclosedCodeFence);
        assert_eq!(line_of(text, diag.primary.range.start), 3);
        assert_eq!(line_of(text, diag.secondary[0].range.start), 7);
        assert_eq!(
            diag.help.as_deref(),
            Some("close the block with ``` before line 7")
        );
    }

    #[test]
    fn block_open_at_eof_is_unclosed() {
        let text = "```sql\nSELECT 1;\nSELECT 2;";
        let (b, d) = blocks(text);
        assert_eq!(b.len(), 1);
        assert!(!b[0].closed);
        assert_eq!(b[0].code, "SELECT 1;\nSELECT 2;");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].primary.range, TextRange::new(0, 6));
    }

    #[test]
    fn empty_blocks_have_an_anchor_segment() {
        for text in ["```sql\n```\n", "```sql", "```sql\n"] {
            let (b, _) = blocks(text);
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].code, "");
            assert_eq!(b[0].source_map.segments.len(), 1);
        }
    }

    #[test]
    fn language_is_the_first_word_lowercased() {
        assert_eq!(lang_of("SQL"), "sql");
        assert_eq!(lang_of("sql title=\"x\""), "sql");
        assert_eq!(lang_of("{.postgresql}"), "postgresql");
        assert_eq!(lang_of("sql{linenos}"), "sql");
        assert_eq!(lang_of(""), "");
    }

    #[test]
    fn thematic_breaks_are_not_list_items() {
        assert!(is_thematic_break("---"));
        assert!(is_thematic_break("* * *"));
        assert!(!is_thematic_break("- a"));
        assert!(!is_thematic_break("--"));
    }

    #[test]
    fn fences_inside_an_html_comment_are_not_blocks() {
        let text = "# T\n\n<!--\n```sql\nCREATE TABLE old (id int);\n```\n-->\n\n<!-- one line -->\n```sql\nCREATE TABLE kept (id int);\n```\n\n<!-- never closed\n```sql\nCREATE TABLE also_kept (id int);\n```\n";
        let (blocks, diagnostics) = blocks(text);
        let codes: Vec<&str> = blocks.iter().map(|b| b.code.trim()).collect();
        assert_eq!(
            codes,
            [
                "CREATE TABLE kept (id int);",
                "CREATE TABLE also_kept (id int);"
            ]
        );
        assert!(diagnostics.is_empty());
    }
}
