//! Tables a document specifies in Markdown rather than SQL: column tables
//! (`| Column | Type | Notes |`, in English or Korean) under a heading or bold line that names
//! the table, and prose column lists ("Columns: `id`, `order_id`, …") as a weaker source.
//!
//! The reader is line-based, like the fence scanner, so that it agrees with
//! [`Document::blocks`] about what is code: lines of a closed code block are never Markdown.
//! Lines of a block that is never closed are read as Markdown, because the author forgot the
//! closing fence and meant what follows as text (DOC001 reports the fence itself).

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::{offset, Document};
use crate::text::TextRange;

use super::model::{normalize_type, DocColumn, DocTable, SourceKind};
use super::notes::{self, NoteFacts};

/// Column tables and prose column lists of the document, in document order, with ERD002 for
/// column tables or rows that could not be read.
pub fn from_document(doc: &Document) -> (Vec<DocTable>, Vec<Diagnostic>) {
    let lines = split_lines(&doc.text);
    let markdown = markdown_lines(doc, lines.len());
    let mut reader = Reader {
        lines: &lines,
        markdown: &markdown,
        tables: Vec::new(),
        diagnostics: Vec::new(),
        section: Section::default(),
        bold: None,
        last_column_table: None,
    };
    reader.run();
    let Reader {
        mut tables,
        diagnostics,
        ..
    } = reader;
    tables.sort_by_key(|t| t.span.start);
    (tables, diagnostics)
}

/// One line of the document: start offset and text without the line terminator.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    start: usize,
    text: &'a str,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0usize;
    while start < text.len() {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = &text[start..end];
        out.push(Line {
            start,
            text: line.strip_suffix('\r').unwrap_or(line),
        });
        start = end + 1;
    }
    out
}

/// Whether each line (0-based) is Markdown: not the fence or content of a closed code block,
/// not the opening fence of an unclosed one.
fn markdown_lines(doc: &Document, count: usize) -> Vec<bool> {
    let mut markdown = vec![true; count];
    // 0-based line of a document offset.
    let line_of = |off: u32| (doc.line_index.line(off) as usize).saturating_sub(1);
    for block in &doc.blocks {
        let first = line_of(block.fence.start);
        let last = if block.closed {
            match block.source_map.segments.last() {
                // An empty block's only segment points at the line after the fence, which is
                // the closing fence unless the block holds one blank line.
                Some(&(_, doc_off, _)) if block.code.is_empty() => {
                    let anchor = line_of(doc_off);
                    let is_fence = doc
                        .text
                        .get(doc_off as usize..)
                        .and_then(|s| s.lines().next())
                        .is_some_and(|l| {
                            let t = l.trim_start_matches([' ', '\t', '>']);
                            t.starts_with("```") || t.starts_with("~~~")
                        });
                    if is_fence {
                        anchor
                    } else {
                        anchor + 1
                    }
                }
                Some(&(_, doc_off, _)) => line_of(doc_off) + 1,
                None => first,
            }
        } else {
            first
        };
        for m in markdown.iter_mut().take(last.saturating_add(1)).skip(first) {
            *m = false;
        }
    }
    markdown
}

/// A table cell: trimmed text and its document range.
#[derive(Clone, Copy, Debug)]
struct Cell<'a> {
    text: &'a str,
    range: TextRange,
}

/// Split a table row into cells (GFM: outer pipes optional, `\|` escapes a pipe).
fn split_row(line: Line<'_>) -> Vec<Cell<'_>> {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut bounds = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'|' => {
                bounds.push(i);
                i += 1;
            }
            _ => i += 1,
        }
    }
    let trimmed_start = text.len() - text.trim_start().len();
    let trimmed_end = text.trim_end().len();
    let mut pieces = Vec::new();
    let mut from = trimmed_start;
    for &b in &bounds {
        pieces.push((from, b));
        from = b + 1;
    }
    pieces.push((from, trimmed_end.max(from)));
    // Outer pipes make an empty first and last piece.
    if bounds.first() == Some(&trimmed_start) && !pieces.is_empty() {
        pieces.remove(0);
    }
    if bounds.last().is_some_and(|&b| b + 1 == trimmed_end) && !pieces.is_empty() {
        pieces.pop();
    }
    pieces
        .into_iter()
        .map(|(a, b)| {
            let raw = &text[a..b];
            let lead = raw.len() - raw.trim_start().len();
            let content = raw.trim();
            let start = line.start + a + lead;
            Cell {
                text: content,
                range: TextRange::new(offset(start), offset(start + content.len())),
            }
        })
        .collect()
}

fn has_pipe(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'|' => return true,
            _ => i += 1,
        }
    }
    false
}

/// A delimiter row: every cell `:?-+:?`.
fn is_delimiter_row(cells: &[Cell<'_>]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim_start_matches(':').trim_end_matches(':');
            !t.is_empty() && t.bytes().all(|b| b == b'-')
        })
}

/// What a header cell says its column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The column name; `true` for a header that can only mean a column name (`Column`,
    /// `컬럼명`), `false` for a generic one (`Name`, `Field`).
    Name(bool),
    Type,
    Notes,
    Key,
    Nullable,
    NotNull,
    Default,
    References,
    Unique,
    Other,
}

fn header_role(cell: &str) -> Role {
    let norm: String = cell
        .chars()
        .filter(|c| !matches!(c, '*' | '`'))
        .collect::<String>()
        .trim()
        .trim_end_matches([':', '?'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    match norm.as_str() {
        "column" | "columns" | "column name" | "column_name" | "col" | "컬럼" | "컬럼명"
        | "칼럼" | "칼럼명" | "컬럼 이름" | "필드명" | "열" | "열 이름" | "물리명"
        | "컬럼 (물리명)" | "컬럼(물리명)" | "속성명" => Role::Name(true),
        "name" | "field" | "field name" | "fields" | "attribute" | "이름" | "필드" | "속성" => {
            Role::Name(false)
        }
        "type" | "data type" | "datatype" | "data_type" | "sql type" | "pg type"
        | "postgres type" | "postgresql type" | "column type" | "type (length)" | "타입"
        | "자료형" | "데이터 타입" | "데이터타입" | "데이터 형식" | "데이터형" | "형식"
        | "유형" | "타입(길이)" | "자료형(길이)" => Role::Type,
        "notes" | "note" | "description" | "desc" | "constraints" | "constraint" | "comment"
        | "comments" | "remarks" | "remark" | "details" | "detail" | "options" | "modifiers"
        | "properties" | "extra" | "설명" | "비고" | "제약" | "제약조건" | "제약 조건" | "참고"
        | "메모" | "내용" | "의미" | "용도" | "논리명" | "한글명" | "설명/제약" => {
            Role::Notes
        }
        "key" | "keys" | "pk" | "pk/fk" | "key type" | "키" | "pk/fk/uk" => Role::Key,
        "nullable" | "null" | "null 허용" | "null여부" | "null 여부" | "null 허용 여부"
        | "허용" => Role::Nullable,
        "not null" | "required" | "필수" | "nn" | "필수 여부" | "필수여부" => {
            Role::NotNull
        }
        "default" | "default value" | "기본값" | "디폴트" => Role::Default,
        "references" | "reference" | "fk" | "foreign key" | "참조" | "ref" | "fk 참조" => {
            Role::References
        }
        "unique" | "uk" | "유니크" | "고유" => Role::Unique,
        _ => Role::Other,
    }
}

/// A yes/no cell: `Some(true)` for yes-like marks, `Some(false)` for no-like, else `None`.
fn yes_no(cell: &str) -> Option<bool> {
    let t = cell.trim().trim_matches(['*', '`']).to_lowercase();
    match t.as_str() {
        "y" | "yes" | "o" | "✓" | "✔" | "✅" | "true" | "1" | "예" | "v" | "○" | "◯" | "●" => {
            Some(true)
        }
        "n" | "no" | "x" | "✗" | "✘" | "❌" | "false" | "0" | "아니오" | "아니요" => {
            Some(false)
        }
        _ => None,
    }
}

/// The current heading's section.
#[derive(Default)]
struct Section {
    /// The table the heading names, with the name token's range.
    name: Option<(String, TextRange)>,
    /// Names of the column tables read in this section.
    column_tables: Vec<String>,
    /// The prose table being collected for the heading's name.
    prose: Option<DocTable>,
}

/// The last column table read: its index in `tables`, header cell count and header range.
#[derive(Clone, Copy)]
struct LastTable {
    index: usize,
    cells: usize,
    header: TextRange,
}

struct Reader<'d> {
    lines: &'d [Line<'d>],
    markdown: &'d [bool],
    tables: Vec<DocTable>,
    diagnostics: Vec<Diagnostic>,
    section: Section,
    /// A bold line naming a table (`**orders**`) and its line index.
    bold: Option<(String, TextRange, usize)>,
    last_column_table: Option<LastTable>,
}

impl<'d> Reader<'d> {
    fn run(&mut self) {
        let mut i = 0;
        while i < self.lines.len() {
            if !self.markdown[i] {
                i += 1;
                continue;
            }
            let line = self.lines[i];
            let t = line.text.trim_start();
            let indent = line.text.len() - t.len();
            if indent <= 3 && is_atx_heading(t) {
                self.finish_section();
                self.section.name = heading_table_name(line);
                self.bold = None;
                i += 1;
                continue;
            }
            if let Some((name, range)) = bold_table_name(line) {
                self.bold = Some((name, range, i));
                i += 1;
                continue;
            }
            if has_pipe(t) {
                i = self.table_or_rows(i);
                continue;
            }
            self.prose(line);
            i += 1;
        }
        self.finish_section();
    }

    /// The section ends: its prose list becomes a table unless a column table of the same
    /// name says more.
    fn finish_section(&mut self) {
        let section = std::mem::take(&mut self.section);
        if let Some(prose) = section.prose {
            if !section.column_tables.contains(&prose.name) {
                self.tables.push(prose);
            }
        }
    }

    /// A table starting at line `i` (header + delimiter row), or rows without a header.
    /// Returns the line after them.
    fn table_or_rows(&mut self, i: usize) -> usize {
        let header = split_row(self.lines[i]);
        let delimiter = self
            .lines
            .get(i + 1)
            .filter(|_| self.markdown.get(i + 1) == Some(&true))
            .map(|l| split_row(*l));
        let is_table = delimiter
            .as_ref()
            .is_some_and(|d| is_delimiter_row(d) && d.len() == header.len());
        let body_start = if is_table { i + 2 } else { i };
        let mut end = body_start;
        while end < self.lines.len()
            && self.markdown[end]
            && !self.lines[end].text.trim().is_empty()
            && has_pipe(self.lines[end].text)
            && !is_atx_heading(self.lines[end].text.trim_start())
        {
            end += 1;
        }
        if is_table {
            self.table(i, &header, body_start, end);
        } else {
            // A line with a pipe that starts no table: rows cut off from their header, or prose.
            let end = end.max(i + 1);
            if self.lines[i].text.trim_start().starts_with('|') {
                self.orphan_rows(i, end);
            } else {
                self.prose(self.lines[i]);
            }
            return end;
        }
        end
    }

    fn table(&mut self, header_line: usize, header: &[Cell<'_>], body: usize, end: usize) {
        let roles: Vec<Role> = header.iter().map(|c| header_role(c.text)).collect();
        let Some(name_col) = roles.iter().position(|r| matches!(r, Role::Name(_))) else {
            return;
        };
        let Some(type_col) = roles.iter().position(|r| *r == Role::Type) else {
            return;
        };
        let explicit = roles[name_col] == Role::Name(true);
        let header_range = self.line_range(header_line);
        let rows: Vec<Vec<Cell<'_>>> = (body..end).map(|l| split_row(self.lines[l])).collect();
        let mut columns = Vec::new();
        let mut unreadable = Vec::new();
        for cells in &rows {
            match row_column(cells, &roles, name_col, type_col) {
                RowResult::Column(c) => columns.push(*c),
                RowResult::Skip => {}
                RowResult::Unreadable(range) => unreadable.push(range),
            }
        }
        // `| Name | Type | Columns |` lists indexes or constraints, not columns: a generic name
        // header counts only when some row has a real type.
        if !explicit && !columns.iter().any(|c: &DocColumn| c.pg_type.is_some()) {
            return;
        }
        let name = self.table_name(header_line);
        for range in &unreadable {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ColumnTableUnreadable,
                    Category::Document,
                    "column table row without a readable column name",
                    *range,
                )
                .label("not a column name")
                .help("put one column name (`order_id`) in the first cell; descriptions go in the notes column"),
            );
        }
        let Some((name, span)) = name else {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ColumnTableUnreadable,
                    Category::Document,
                    "column table without a table name",
                    header_range,
                )
                .label("no heading or bold line names this table")
                .help("put the table's name in the heading above it (`### orders`) or in a bold line (`**orders**`) just before it"),
            );
            self.last_column_table = None;
            return;
        };
        self.section.column_tables.push(name.clone());
        self.last_column_table = Some(LastTable {
            index: self.tables.len(),
            cells: header.len(),
            header: header_range,
        });
        self.tables.push(DocTable {
            name,
            source: SourceKind::ColumnTable,
            span,
            alias: None,
            defined: true,
            columns,
        });
    }

    /// The name for a table whose header is at `header_line`: a bold line just before it
    /// (at most two lines up, no heading between), else the section's heading.
    fn table_name(&mut self, header_line: usize) -> Option<(String, TextRange)> {
        if let Some((name, range, at)) = self.bold.take() {
            if header_line.saturating_sub(at) <= 3 {
                return Some((name, range));
            }
        }
        self.section.name.clone()
    }

    fn line_range(&self, i: usize) -> TextRange {
        let l = self.lines[i];
        let lead = l.text.len() - l.text.trim_start().len();
        let t = l.text.trim();
        TextRange::new(offset(l.start + lead), offset(l.start + lead + t.len()))
    }

    /// Rows without a header. When they have the shape of the last column table's rows, they
    /// are its rows cut off by something pasted in between (seed 002: a code block never
    /// closed); read them as its columns and say so.
    fn orphan_rows(&mut self, start: usize, end: usize) {
        let rows: Vec<Vec<Cell<'_>>> = (start..end).map(|l| split_row(self.lines[l])).collect();
        let run = self.line_range(start).cover(self.line_range(end - 1));
        let looks_like_columns = rows.iter().any(|cells| {
            cells.len() >= 2
                && split_type(cells[1]).is_some_and(|(raw, _, _)| normalize_type(&raw).is_some())
        });
        let Some(last) = self.last_column_table else {
            if looks_like_columns {
                self.orphan_diagnostic(run, None);
            }
            return;
        };
        if !rows.iter().all(|r| r.len() == last.cells) {
            if looks_like_columns {
                self.orphan_diagnostic(run, None);
            }
            return;
        }
        // The last table's layout decides which cell is which.
        let roles: Vec<Role> = {
            let header = self.header_cells(last.header);
            header.iter().map(|c| header_role(c)).collect()
        };
        let name_col = roles.iter().position(|r| matches!(r, Role::Name(_)));
        let type_col = roles.iter().position(|r| *r == Role::Type);
        let (Some(name_col), Some(type_col)) = (name_col, type_col) else {
            return;
        };
        let mut columns = Vec::new();
        for cells in &rows {
            match row_column(cells, &roles, name_col, type_col) {
                RowResult::Column(c) => columns.push(*c),
                RowResult::Skip => {}
                RowResult::Unreadable(_) => return,
            }
        }
        if columns.is_empty() {
            return;
        }
        let table_name = self.tables[last.index].name.clone();
        self.tables[last.index].columns.extend(columns);
        self.orphan_diagnostic(run, Some((table_name, last.header)));
    }

    fn header_cells(&self, header: TextRange) -> Vec<String> {
        let Some(i) = self.lines.iter().position(|l| {
            l.start <= header.start as usize && header.start as usize <= l.start + l.text.len()
        }) else {
            return Vec::new();
        };
        split_row(self.lines[i])
            .iter()
            .map(|c| c.text.to_string())
            .collect()
    }

    fn orphan_diagnostic(&mut self, run: TextRange, table: Option<(String, TextRange)>) {
        let d = match table {
            Some((name, header)) => Diagnostic::new(
                Code::ColumnTableUnreadable,
                Category::Document,
                format!("table rows separated from their header; read as more columns of `{name}`"),
                run,
            )
            .label("these rows have no header row")
            .secondary(Label::with_message(header, format!("the header of `{name}`")))
            .help("move the rows back under their table (something, often a code block that is never closed, was pasted in between)"),
            None => Diagnostic::new(
                Code::ColumnTableUnreadable,
                Category::Document,
                "table rows without a header row; not read",
                run,
            )
            .label("no `| Column | Type |` header and `|---|` row above")
            .help("give the rows a header row and a delimiter row, under a heading that names the table"),
        };
        self.diagnostics.push(d);
    }

    /// A prose column list in a section whose heading names a table.
    fn prose(&mut self, line: Line<'_>) {
        let Some((name, span)) = self.section.name.clone() else {
            return;
        };
        let items = prose_columns(line);
        if items.is_empty() {
            return;
        }
        let table = self.section.prose.get_or_insert_with(|| DocTable {
            name,
            source: SourceKind::Prose,
            span,
            alias: None,
            defined: true,
            columns: Vec::new(),
        });
        for c in items {
            if !table.columns.iter().any(|x| x.name == c.name) {
                table.columns.push(c);
            }
        }
    }
}

fn is_atx_heading(t: &str) -> bool {
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && t[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
}

/// An ASCII identifier (optionally schema-qualified) at the start of `s`: its length.
fn ascii_ident_len(s: &str) -> usize {
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

/// Words that name a heading's or bold line's topic, not a table.
const NOT_TABLE_NAMES: &[&str] = &[
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
fn heading_table_name(line: Line<'_>) -> Option<(String, TextRange)> {
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
fn bold_table_name(line: Line<'_>) -> Option<(String, TextRange)> {
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
    let lower = t.to_ascii_lowercase();
    for prefix in ["table:", "테이블:"] {
        if lower.starts_with(prefix) {
            return name_in_title(t, base, false);
        }
    }
    None
}

/// The table name in a heading's or bold line's text that starts at document offset `base`.
fn name_in_title(text: &str, base: usize, heading: bool) -> Option<(String, TextRange)> {
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
    let lower = text[p..].to_ascii_lowercase();
    for prefix in ["table:", "테이블:"] {
        if lower.starts_with(prefix) {
            p += prefix.len();
            skip_ws(&mut p);
        }
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
                return None;
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
    let tail = text[after..].trim_start_matches(['*', '`', '"']).trim();
    let tail_lower = tail.to_lowercase();
    let tail_ok = tail.is_empty()
        || tail.starts_with(['(', '-', '–', '—', ':', '（'])
        || tail_lower == "table"
        || tail_lower.starts_with("table ")
        || tail_lower.starts_with("table(")
        || tail_lower.starts_with("tables")
        || tail_lower.starts_with("테이블");
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
fn parenthesized_name(text: &str, base: usize) -> Option<(String, TextRange)> {
    let t = text.trim_end();
    let inner_end = t.len().checked_sub(1).filter(|_| t.ends_with(')'))?;
    let open = t[..inner_end].rfind('(')?;
    let before = &t[..open];
    if before
        .split_whitespace()
        .any(|w| w.bytes().any(|b| b.is_ascii_alphabetic()) && !w.eq_ignore_ascii_case("table"))
    {
        return None;
    }
    let inner = &t[open + 1..inner_end];
    let lead = inner.len() - inner.trim_start().len();
    let candidate = inner.trim().trim_matches('`');
    let len = ascii_ident_len(candidate);
    if len == 0 || len != candidate.len() {
        return None;
    }
    let tick = usize::from(inner.trim().starts_with('`'));
    let start = base + open + 1 + lead + tick;
    let lower = candidate.to_lowercase();
    if NOT_TABLE_NAMES.contains(&lower.as_str()) {
        return None;
    }
    Some((lower, TextRange::new(offset(start), offset(start + len))))
}

enum RowResult {
    Column(Box<DocColumn>),
    /// An empty row or an elision (`...`).
    Skip,
    /// The name cell's range.
    Unreadable(TextRange),
}

/// One body row of a column table.
fn row_column(cells: &[Cell<'_>], roles: &[Role], name_col: usize, type_col: usize) -> RowResult {
    let Some(name_cell) = cells.get(name_col).copied() else {
        return RowResult::Skip;
    };
    let elision = name_cell
        .text
        .trim_matches(|c: char| c == '*' || c == '`' || c.is_whitespace());
    if elision.is_empty()
        || elision.chars().all(|c| matches!(c, '.' | '…' | '-' | '⋮'))
        || matches!(
            elision.to_lowercase().as_str(),
            "etc" | "etc." | "(생략)" | "생략"
        )
    {
        return RowResult::Skip;
    }
    let Some((name, span, name_rest)) = column_name(name_cell) else {
        return RowResult::Unreadable(name_cell.range);
    };
    let mut facts = NoteFacts::default();
    if !name_rest.is_empty() {
        facts.merge(notes::parse_notes(name_rest));
    }
    let (raw_type, type_span, type_rest) = match cells.get(type_col).copied() {
        Some(cell) => {
            split_type(cell).unwrap_or((String::new(), TextRange::empty(cell.range.start), ""))
        }
        None => (String::new(), TextRange::empty(span.end), ""),
    };
    if !type_rest.is_empty() {
        facts.merge(notes::parse_notes(type_rest));
    }
    let mut comments = Vec::new();
    let mut explicit = NoteFacts::default();
    for (k, role) in roles.iter().enumerate() {
        let Some(cell) = cells.get(k) else { continue };
        let text = cell.text.trim();
        if text.is_empty() || k == name_col || k == type_col {
            continue;
        }
        match role {
            Role::Notes => {
                comments.push(text.to_string());
                facts.merge(notes::parse_notes(text));
            }
            Role::Key => facts.merge(notes::parse_notes(text)),
            Role::Nullable => match yes_no(text) {
                Some(yes) => explicit.not_null = Some(!yes),
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::NotNull => match yes_no(text) {
                Some(yes) => explicit.not_null = Some(yes),
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::Unique => match yes_no(text) {
                Some(yes) => explicit.unique = yes,
                None => facts.merge(notes::parse_notes(text)),
            },
            Role::Default => {
                let v = text.trim_matches('`').trim();
                if !matches!(
                    v.to_lowercase().as_str(),
                    "-" | "none" | "없음" | "n/a" | ""
                ) {
                    explicit.default = Some(v.to_string());
                }
            }
            Role::References => {
                let facts_ref = notes::parse_notes(&format!("FK {text}"));
                if facts_ref.references.is_some() {
                    explicit.foreign_key = true;
                    explicit.references = facts_ref.references;
                }
            }
            Role::Name(_) | Role::Type | Role::Other => {}
        }
    }
    // A dedicated column states the fact more plainly than a note does.
    explicit.merge(facts);
    let facts = explicit;
    let mut enum_values = facts.enum_values;
    if enum_values.is_empty() {
        enum_values = inline_enum(&raw_type);
    }
    let pg_type = normalize_type(&raw_type);
    RowResult::Column(Box::new(DocColumn {
        name,
        raw_type,
        pg_type,
        primary_key: facts.primary_key,
        unique: facts.unique,
        foreign_key: facts.foreign_key || facts.references.is_some(),
        not_null: facts.not_null,
        default: facts.default,
        references: facts.references,
        references_inferred: false,
        enum_values,
        comment: (!comments.is_empty()).then(|| comments.join("; ")),
        span,
        type_span,
    }))
}

/// `enum('a','b')` / `ENUM(a, b)` written as the type.
fn inline_enum(raw_type: &str) -> Vec<String> {
    let lower = raw_type.to_ascii_lowercase();
    let Some(inner) = lower
        .strip_prefix("enum")
        .map(str::trim_start)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Vec::new();
    };
    // Take the values from the original text (case kept): same byte positions.
    let start = raw_type.len() - inner.len() - 1;
    let inner = raw_type.get(start..start + inner.len()).unwrap_or("");
    inner
        .split(',')
        .map(|v| v.trim().trim_matches(['\'', '"', '`']).to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The column name in a name cell: the identifier (backticks, bold, quotes removed), its
/// range, and what follows it (`(PK)`, `🔑`) for the notes. `None` when the cell holds
/// anything else (several words, a sentence).
fn column_name(cell: Cell<'_>) -> Option<(String, TextRange, &str)> {
    let text = cell.text;
    let mut p = 0usize;
    while let Some(c) = text[p..].chars().next() {
        if matches!(c, '*' | '`' | '~') || c.is_whitespace() {
            p += c.len_utf8();
        } else {
            break;
        }
    }
    let rest = &text[p..];
    let (start, len, after) = if let Some(inner) = rest.strip_prefix('"') {
        let close = inner.find('"')?;
        (p + 1, close, p + 1 + close + 1)
    } else {
        let first = rest.chars().next()?;
        if !(first.is_alphabetic() || first == '_') {
            return None;
        }
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .map_or(rest.len(), |(i, _)| i);
        (p, len, p + len)
    };
    if len == 0 {
        return None;
    }
    let tail = text[after..]
        .trim_start_matches(['*', '`', '"', '~'])
        .trim();
    // What may follow a name: a parenthetical, key markers, a dash description.
    let tail_ok = tail.is_empty()
        || tail.starts_with(['(', '-', '–', '—', ':', '🔑', '🗝', '★', '⭐', '*', '['])
        || tail
            .split([' ', ',', '/'])
            .filter(|w| !w.is_empty())
            .all(|w| {
                matches!(
                    w.to_ascii_uppercase().as_str(),
                    "PK" | "FK" | "UK" | "(PK)" | "(FK)"
                )
            });
    if !tail_ok {
        return None;
    }
    let name = text[start..start + len].to_lowercase();
    let s = cell.range.start as usize + start;
    Some((name, TextRange::new(offset(s), offset(s + len)), tail))
}

/// Split a type cell into the type (as written), its range, and the rest (constraints,
/// `PK`, `FK -> users`, `default true`). The type is the longest run of up to five words that
/// [`normalize_type`] knows (`timestamp with time zone`), else the first word
/// (`order_status`, a user-defined type). `None` for an empty cell.
fn split_type(cell: Cell<'_>) -> Option<(String, TextRange, &str)> {
    let text = cell.text;
    // Words, with parentheses and brackets kept whole (`numeric(8, 2)`); backticks and `*`
    // separate words.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() || b == b'`' || b == b'*' {
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 0i32;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                _ => {}
            }
            i += 1;
            if depth <= 0
                && bytes
                    .get(i)
                    .is_none_or(|n| n.is_ascii_whitespace() || *n == b'`' || *n == b'*')
            {
                break;
            }
        }
        words.push((start, i));
        if words.len() >= 5 {
            break;
        }
    }
    let first = *words.first()?;
    let joined = |k: usize| {
        words[..k]
            .iter()
            .map(|&(a, b)| text.get(a..b).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let k = (1..=words.len())
        .rev()
        .find(|&k| normalize_type(&joined(k)).is_some());
    let (raw, end) = match k {
        Some(k) => (joined(k), words[k - 1].1),
        None => {
            let w = text.get(first.0..first.1).unwrap_or("");
            let looks_like_type = w
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if !looks_like_type {
                return Some((String::new(), TextRange::empty(cell.range.start), text));
            }
            (w.to_string(), first.1)
        }
    };
    let s = cell.range.start as usize;
    let range = TextRange::new(offset(s + first.0), offset(s + end));
    let rest = text
        .get(end..)
        .unwrap_or("")
        .trim_start_matches(['`', '*'])
        .trim();
    Some((raw, range, rest))
}

/// Columns a prose line lists: after `Columns:` / `컬럼:` (backticked or bare names), or a run
/// of at least three backticked names separated by commas.
fn prose_columns(line: Line<'_>) -> Vec<DocColumn> {
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
struct ListItem<'a> {
    name: &'a str,
    start: usize,
    paren: Option<(&'a str, usize)>,
    backticked: bool,
}

/// Items of a comma list starting at byte `from`; stops at the end of the sentence or at an
/// item that is not a name.
fn list_items(text: &str, from: usize, marked: bool) -> Vec<ListItem<'_>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::read;

    fn read_tables(text: &str) -> (Vec<DocTable>, Vec<Diagnostic>, String) {
        let (doc, _) = read(text.as_bytes());
        let (tables, diagnostics) = from_document(&doc);
        (tables, diagnostics, doc.text)
    }

    fn at(text: &str, r: TextRange) -> &str {
        &text[r.as_usize()]
    }

    const ENGLISH: &str = "# Schema

### users
| Column | Type | Notes |
| --- | --- | --- |
| id | uuid PK | |
| username | varchar(64) unique | VPN-synchronized. |
| `locale` | varchar(5) | `ko` or `en`. |
| branch_id | uuid FK -> branches | nullable for HQ users. |
| is_active | boolean default true | |
| status | varchar(10) | OPEN / LOCKED. |
| kind | text | 'A', 'B', 'C' |
| owner_id | uuid | FK → users.id, NOT NULL |
| group_id | uuid | references groups(id) |
| created_at | timestamp with time zone | default now() |
| ... | | |
| the user's score | int | |

#### `waste_pickups` table
| Field | Data Type | Description |
|-------|-----------|-------------|
| id | bigint | PK |

**order_lines**
| Name | Type | Constraints |
|:-----|:----:|------------:|
| qty | int | NOT NULL |

### Indexes
| Name | Type | Columns |
| --- | --- | --- |
| idx_a | btree | a |
";

    #[test]
    fn english_column_tables_with_notes() {
        let (tables, diagnostics, text) = read_tables(ENGLISH);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "waste_pickups", "order_lines"]);
        assert!(tables.iter().all(|t| t.source == SourceKind::ColumnTable));
        assert_eq!(at(&text, tables[0].span), "users");
        assert_eq!(at(&text, tables[1].span), "waste_pickups");
        assert_eq!(at(&text, tables[2].span), "order_lines");
        let u = &tables[0].columns;
        let col = |n: &str| {
            u.iter()
                .find(|c| c.name == n)
                .unwrap_or_else(|| panic!("{n}"))
        };
        assert!(col("id").primary_key);
        assert_eq!(col("id").pg_type.as_deref(), Some("uuid"));
        assert_eq!(at(&text, col("id").type_span), "uuid");
        assert!(col("username").unique);
        assert_eq!(
            col("username").pg_type.as_deref(),
            Some("character varying(64)")
        );
        assert_eq!(
            col("username").comment.as_deref(),
            Some("VPN-synchronized.")
        );
        assert_eq!(col("locale").enum_values, ["ko", "en"]);
        assert_eq!(at(&text, col("locale").span), "locale");
        let b = col("branch_id");
        assert!(b.foreign_key);
        assert_eq!(b.references, Some(("branches".into(), None)));
        assert_eq!(b.not_null, Some(false));
        assert_eq!(col("is_active").default.as_deref(), Some("true"));
        assert_eq!(col("status").enum_values, ["OPEN", "LOCKED"]);
        assert_eq!(col("kind").enum_values, ["A", "B", "C"]);
        let o = col("owner_id");
        assert_eq!(o.references, Some(("users".into(), Some("id".into()))));
        assert_eq!(o.not_null, Some(true));
        assert_eq!(
            col("group_id").references,
            Some(("groups".into(), Some("id".into())))
        );
        let c = col("created_at");
        assert_eq!(c.pg_type.as_deref(), Some("timestamp with time zone"));
        assert_eq!(at(&text, c.type_span), "timestamp with time zone");
        assert_eq!(c.default.as_deref(), Some("now()"));
        assert_eq!(u.len(), 10);
        // The elision row is skipped; the sentence row is reported.
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].code, Code::ColumnTableUnreadable);
        assert_eq!(at(&text, diagnostics[0].primary.range), "the user's score");
        assert_eq!(tables[1].columns[0].pg_type.as_deref(), Some("bigint"));
        assert!(tables[1].columns[0].primary_key);
        assert_eq!(tables[2].columns[0].not_null, Some(true));
    }

    const KOREAN: &str = "## 테이블 정의

### 1. orders (주문)
| 컬럼명 | 데이터 타입 | 제약조건 | 설명 |
|---|---|---|---|
| id | BIGSERIAL | PK | 주문 ID |
| user_id | BIGINT | FK(users), NOT NULL | 사용자 |
| status | VARCHAR(20) | 기본값 'pending' | 'pending', 'paid', 'shipped' 중 하나 |

### 2.1 사용자 테이블 (users)
| 필드 | 타입 | NULL 허용 | 기본값 | 비고 |
|---|---|---|---|---|
| email | TEXT | N | - | 중복 불가 |
| nickname | varchar(30) | Y | `'anon'` | |

### 3. 결제
컬럼: `id`, `order_id` (uuid), `method` (CARD/BANK), `paid_at`

```sql
-- | Column | Type |
```

```markdown
### not_a_table
| Column | Type |
| --- | --- |
| x | int |
```
";

    #[test]
    fn korean_column_tables() {
        let (tables, diagnostics, text) = read_tables(KOREAN);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["orders", "users"]);
        assert_eq!(at(&text, tables[0].span), "orders");
        assert_eq!(at(&text, tables[1].span), "users");
        let o = &tables[0].columns;
        assert_eq!(o[0].pg_type.as_deref(), Some("bigserial"));
        assert!(o[0].primary_key);
        assert_eq!(o[0].comment.as_deref(), Some("PK; 주문 ID"));
        assert_eq!(o[1].references, Some(("users".into(), None)));
        assert_eq!(o[1].not_null, Some(true));
        assert_eq!(o[2].default.as_deref(), Some("'pending'"));
        assert_eq!(o[2].enum_values, ["pending", "paid", "shipped"]);
        let u = &tables[1].columns;
        assert_eq!(u[0].not_null, Some(true));
        assert!(u[0].unique);
        assert_eq!(u[0].default, None);
        assert_eq!(u[1].not_null, Some(false));
        assert_eq!(u[1].default.as_deref(), Some("'anon'"));
    }

    #[test]
    fn prose_lists_under_table_headings() {
        let text = "### appointments
Track changes. Columns: `id`, `order_id`, `old_date`, `changed_by`.

### notifications
Stores alerts with `id`, `user_id`, `payload` (jsonb), `status` (UNREAD/READ), timestamps.

### exports
Columns: id, type, created_by

### roles & user_roles
Columns: `a`, `b`, `c`

### reports
Mentions `a` and `b` only.

### 주문 (orders)
컬럼: `id`, `total`
";
        let (tables, diagnostics, doc) = read_tables(text);
        assert!(diagnostics.is_empty());
        let summary: Vec<(&str, Vec<&str>)> = tables
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.columns.iter().map(|c| c.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "appointments",
                    vec!["id", "order_id", "old_date", "changed_by"]
                ),
                ("notifications", vec!["id", "user_id", "payload", "status"]),
                ("exports", vec!["id", "type", "created_by"]),
                ("orders", vec!["id", "total"]),
            ]
        );
        assert!(tables.iter().all(|t| t.source == SourceKind::Prose));
        let n = &tables[1].columns;
        assert_eq!(n[2].pg_type.as_deref(), Some("jsonb"));
        assert_eq!(at(&doc, n[2].type_span), "jsonb");
        assert_eq!(n[3].enum_values, ["UNREAD", "READ"]);
        assert_eq!(at(&doc, n[1].span), "user_id");
        assert_eq!(at(&doc, tables[3].span), "orders");
    }

    #[test]
    fn a_column_table_wins_over_prose_and_unnamed_tables_are_reported() {
        let text = "### users
Columns: `id`, `email`, `name`.
| Column | Type |
| --- | --- |
| id | uuid |

Some text.

| Column | Type |
| --- | --- |
| x | int |
";
        let (tables, diagnostics, _) = read_tables(text);
        // The second table sits in the same section: it takes the heading's name too.
        assert_eq!(tables.len(), 2);
        assert!(tables.iter().all(|t| t.source == SourceKind::ColumnTable));
        assert!(diagnostics.is_empty());

        let text = "Intro.

| Column | Type |
| --- | --- |
| x | int |
";
        let (tables, diagnostics, _) = read_tables(text);
        assert!(tables.is_empty());
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("without a table name"));
    }

    #[test]
    fn rows_cut_off_from_their_table_are_reattached() {
        let text = "### history
| Column | Type | Notes |
| --- | --- | --- |
| id | uuid PK | |

```ts
let x = 1;
| previous_status | varchar(20) | |
| changed_by | uuid FK -> users | |

### next
| a | b |
";
        let (tables, diagnostics, doc) = read_tables(text);
        let names: Vec<&str> = tables[0].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "previous_status", "changed_by"]);
        assert_eq!(
            tables[0].columns[2].references,
            Some(("users".into(), None))
        );
        let orphan = diagnostics
            .iter()
            .find(|d| d.message.contains("separated from their header"))
            .expect("orphan diagnostic");
        assert!(at(&doc, orphan.primary.range).starts_with("| previous_status"));
        assert_eq!(orphan.secondary.len(), 1);
    }

    #[test]
    fn heading_names() {
        let name = |t: &str| {
            heading_table_name(Line { start: 0, text: t }).map(|(n, r)| (n, at(t, r).to_string()))
        };
        let some = |n: &str, s: &str| Some((n.to_string(), s.to_string()));
        assert_eq!(name("### orders"), some("orders", "orders"));
        assert_eq!(name("### 1. orders (주문)"), some("orders", "orders"));
        assert_eq!(
            name("#### `waste_pickups` table"),
            some("waste_pickups", "waste_pickups")
        );
        assert_eq!(name("### 2. Sessions Table"), some("sessions", "Sessions"));
        assert_eq!(
            name("### Table: public.users"),
            some("public.users", "public.users")
        );
        assert_eq!(
            name("### 4.1.2 사용자 테이블 (users)"),
            some("users", "users")
        );
        assert_eq!(name("### 📦 **orders**"), some("orders", "orders"));
        assert_eq!(name("### users 테이블"), some("users", "users"));
        assert_eq!(name("### Table Definitions"), None);
        assert_eq!(name("### roles & user_roles"), None);
        assert_eq!(name("### Backup Schedule"), None);
        assert_eq!(name("### Indexes"), None);
        assert_eq!(name("### Covering Index (복합 인덱스)"), None);
        assert_eq!(name("### B. 네이밍 컨벤션"), None);
        let bold = |t: &str| bold_table_name(Line { start: 0, text: t }).map(|(n, _)| n);
        assert_eq!(bold("**orders**"), Some("orders".into()));
        assert_eq!(bold("**`orders`** (주문)"), Some("orders".into()));
        assert_eq!(bold("**Table: orders**"), Some("orders".into()));
        assert_eq!(bold("Table: `orders`"), Some("orders".into()));
        assert_eq!(bold("**Columns**"), None);
        assert_eq!(bold("**목적**: 대량 데이터"), None);
        assert_eq!(bold("**orders** are stored here"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// Table-shaped noise: never panics, every span is inside the text on boundaries.
        #[test]
        fn never_panics_and_spans_are_in_bounds(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "### users", "### 1. 주문 (orders)", "**orders**", "| Column | Type | Notes |",
                    "| 컬럼명 | 타입 | 비고 |", "|---|---|---|", "| --- | :-: |", "| id | uuid PK | |",
                    "| `x` | varchar(1 | FK → |", "| é | 한 | `a` or `b` |", "|", "||", "```", "```sql",
                    "~~~", "Columns: `a`, `b` (", "컬럼: `가`, `b`", "", "> | a | b |", "| \\| | x |",
                    "- `a`, `b`, `c`", "| ... | | |", "| a | int default | default |",
                ]),
                0..24,
            ),
        ) {
            let text = lines.join("\n");
            let (tables, diagnostics, doc) = read_tables(&text);
            let ok = |r: TextRange| {
                r.start <= r.end
                    && (r.end as usize) <= doc.len()
                    && doc.is_char_boundary(r.start as usize)
                    && doc.is_char_boundary(r.end as usize)
            };
            for t in &tables {
                proptest::prop_assert!(ok(t.span));
                for c in &t.columns {
                    proptest::prop_assert!(ok(c.span) && ok(c.type_span));
                }
            }
            for d in &diagnostics {
                proptest::prop_assert!(ok(d.primary.range));
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "|",
            "||",
            "|-|",
            "| a |\n|---|",
            "### x\n| Column | Type |\n|---|---|\n| `x | y |",
            "### x\n| Column | Type |\n|---|---|\n|",
            "### 한\n컬럼: `",
            "### x\nColumns: `a` (",
            "**",
            "**x",
            "### `",
            "### (",
            "### x\n| Column | Type |\n|---|---|\n| \\| | \\",
            "| x | int |\n| y | text |",
        ] {
            let _ = read_tables(text);
        }
    }
}
