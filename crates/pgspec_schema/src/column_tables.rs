//! Tables a document specifies in Markdown rather than SQL: column tables
//! (`| Column | Type | Notes |`, in English or Korean, or an HTML `<table>`) under a heading or
//! bold line that names the table, and prose column lists ("Columns: `id`, `order_id`, …") as a weaker source.
//!
//! The reader is line-based, like the fence scanner, so that it agrees with
//! [`Document::blocks`] about what is code: lines of a closed code block are never Markdown.
//! Lines of a block that is never closed are read as Markdown, because the author forgot the
//! closing fence and meant what follows as text (DOC001 reports the fence itself).

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::{offset, Document};
use crate::text::TextRange;

use super::model::{normalize_type, DocColumn, DocEnum, DocIndex, DocTable, SourceKind, StatedKey};

mod prose;
use prose::{bullet_column, definition_column, prose_columns, sentence_columns};

mod rows;
use rows::{row_column, split_type, RowResult};

mod names;
use names::{bold_table_name, heading_table_name};

mod keys;
use keys::{stated_key, stated_reference};

mod infer;
use infer::infer_roles;

mod cells;
use cells::*;

mod html;

mod indexes;
pub(crate) use indexes::create_index;

mod lists;

mod stated_indexes;

/// Column tables and prose column lists of the document, in document order, with ERD002 for
/// column tables or rows that could not be read.
/// What [`from_document`] reads.
pub struct Reading {
    pub tables: Vec<DocTable>,
    /// Rows of index lists.
    pub indexes: Vec<DocIndex>,
    /// Lists of values under a title that names them.
    pub enums: Vec<DocEnum>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn from_document(doc: &Document) -> Reading {
    let lines = split_lines(&doc.text);
    let markdown = markdown_lines(doc, lines.len());
    let mut reader = Reader {
        lines: &lines,
        markdown: &markdown,
        tables: Vec::new(),
        indexes: Vec::new(),
        enums: Vec::new(),
        diagnostics: Vec::new(),
        section: Section::default(),
        bold: None,
        last_column_table: None,
        sentences: Vec::new(),
    };
    reader.run();
    let Reader {
        mut tables,
        mut indexes,
        enums,
        diagnostics,
        ..
    } = reader;
    tables.sort_by_key(|t| t.span.start);
    indexes.extend(stated_indexes::in_paragraphs(&lines, &markdown));
    Reading {
        tables,
        indexes,
        enums,
        diagnostics,
    }
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

/// The current heading's section.
#[derive(Default)]
struct Section {
    /// The table the heading names, with the name token's range.
    name: Option<(String, TextRange)>,
    /// Names of the column tables read in this section.
    column_tables: Vec<String>,
    /// The prose table being collected for the heading's name (or the bold line's).
    prose: Option<DocTable>,
    /// A bold line naming a table inside the section: lists after it describe that table.
    bold_owner: Option<(String, TextRange)>,
    /// The first line (index) of a sentence naming the table's columns.
    sentence: Option<usize>,
    /// Keys stated before the section's list or prose table was complete.
    keys: Vec<StatedKey>,
    /// References stated apart from the rows, likewise: column and target.
    references: Vec<(String, (String, Option<String>))>,
}

/// A reference stated apart from the rows, given to the table's column of that name.
fn refer(table: &mut DocTable, column: &str, target: (String, Option<String>)) {
    if let Some(c) = table.columns.iter_mut().find(|c| c.name == column) {
        c.foreign_key = true;
        if c.references.is_none() || c.references_inferred {
            c.references = Some(target);
            c.references_inferred = false;
        }
    }
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
    indexes: Vec<DocIndex>,
    enums: Vec<DocEnum>,
    diagnostics: Vec<Diagnostic>,
    section: Section,
    /// A bold line naming a table (`**orders**`) and its line index.
    bold: Option<(String, TextRange, usize)>,
    last_column_table: Option<LastTable>,
    /// Sections described only by a sentence naming columns: the table and the line.
    sentences: Vec<(String, TextRange, usize)>,
}

/// A key stated in a line that also names the table's columns by their types is a column
/// bullet (`` - `email` (text) unique ``), not a key.
fn names_a_type(key: &StatedKey) -> bool {
    key.columns.iter().any(|c| normalize_type(c).is_some())
}

impl<'d> Reader<'d> {
    /// A line stating a key of the section's table: kept with the table (the last column
    /// table of the section, else its list or prose table, once read). Whether it was one.
    fn key_line(&mut self, line: Line<'_>) -> bool {
        if let Some((column, target)) = stated_reference(line) {
            let in_section = self
                .last_column_table
                .filter(|_| !self.section.column_tables.is_empty());
            match in_section {
                Some(last) => refer(&mut self.tables[last.index], &column, target),
                None => self.section.references.push((column, target)),
            }
            return true;
        }
        let Some(key) = stated_key(line).filter(|k| !names_a_type(k)) else {
            return false;
        };
        // `Primary key of `lines`: (a, b)`: a table the label names in backticks, read
        // already (a data dictionary's tables have no heading of their own).
        let label = line.text.split(['(', '（']).next().unwrap_or("");
        let named: Vec<&str> = label.split('`').skip(1).step_by(2).collect();
        if let [name] = named.as_slice() {
            let name = name.to_lowercase();
            if let Some(t) = self.tables.iter_mut().rev().find(|t| t.name == name) {
                t.keys.push(key);
                return true;
            }
        }
        let in_section = self
            .last_column_table
            .filter(|_| !self.section.column_tables.is_empty());
        match in_section {
            Some(last) => self.tables[last.index].keys.push(key),
            None => self.section.keys.push(key),
        }
        true
    }

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
            // A definition-list term (`**id**` then `: bigint, primary key`) before a bold
            // line could take it for a table's name.
            let definition = self
                .lines
                .get(i + 1)
                .filter(|_| self.markdown.get(i + 1) == Some(&true))
                .and_then(|d| definition_column(line, *d));
            if let Some(column) = definition {
                self.add_prose_columns(vec![column]);
                i += 2;
                continue;
            }
            if self.key_line(line) {
                i += 1;
                continue;
            }
            if let Some((name, range)) = bold_table_name(line) {
                self.flush_prose();
                self.section.bold_owner = Some((name.clone(), range));
                self.bold = Some((name, range, i));
                i += 1;
                continue;
            }
            if has_pipe(t) {
                i = self.table_or_rows(i);
                continue;
            }
            if indent <= 3 && html::starts_table(t) {
                if let Some(table) = html::table(self.lines, self.markdown, i) {
                    self.column_table(i, &table.header, table.rows);
                    i = table.end;
                    continue;
                }
            }
            self.prose(line);
            i += 1;
        }
        self.finish_section();
        self.inferred_tables();
    }

    /// Tables of sections described only by a sentence naming their columns, `…_id` columns
    /// typed like the document's other keys.
    fn inferred_tables(&mut self) {
        let mut key_types: Vec<String> = self
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|c| c.primary_key)
            .filter_map(|c| c.pg_type.clone())
            .map(|t| match t.as_str() {
                "serial" => "integer".to_string(),
                "bigserial" => "bigint".to_string(),
                _ => t,
            })
            .collect();
        key_types.sort();
        let key_type = key_types
            .chunk_by(|a, b| a == b)
            .max_by_key(|run| run.len())
            .map_or_else(|| "bigint".to_string(), |run| run[0].clone());
        for (name, span, at) in std::mem::take(&mut self.sentences) {
            let Some(columns) = sentence_columns(self.lines[at], &key_type) else {
                continue;
            };
            self.tables.push(DocTable {
                name,
                source: SourceKind::Prose,
                span,
                alias: None,
                defined: true,
                columns,
                inferred: true,
                keys: Vec::new(),
            });
        }
    }

    /// The section ends: its prose list becomes a table unless a column table of the same
    /// name says more.
    fn finish_section(&mut self) {
        let said_more = self.section.prose.is_some() || !self.section.column_tables.is_empty();
        if let (Some(at), Some((name, span)), false) =
            (self.section.sentence, self.section.name.clone(), said_more)
        {
            self.sentences.push((name, span, at));
        }
        self.flush_prose();
        self.section = Section::default();
    }

    /// The prose table collected so far becomes a table, unless a column table of the same
    /// name says more.
    fn flush_prose(&mut self) {
        if let Some(mut prose) = self.section.prose.take() {
            prose.keys.append(&mut self.section.keys);
            for (column, target) in std::mem::take(&mut self.section.references) {
                refer(&mut prose, &column, target);
            }
            if !self.section.column_tables.contains(&prose.name) {
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
        let rows: Vec<Vec<Cell<'_>>> = (body..end).map(|l| split_row(self.lines[l])).collect();
        self.column_table(header_line, header, rows);
    }

    /// A table's header and rows (Markdown or HTML; `header_line` is where it starts) read as
    /// a column table when its header names columns and types.
    fn column_table(&mut self, header_line: usize, header: &[Cell<'_>], rows: Vec<Vec<Cell<'_>>>) {
        let mut roles: Vec<Role> = header.iter().map(|c| header_role(c.text)).collect();
        if roles.contains(&Role::IndexName) {
            self.index_table(&rows, &roles, header_line);
            return;
        }
        // A list of constraints (`| Constraint name | Table | Column | Type |`) is not a data
        // dictionary of columns.
        if roles.contains(&Role::ConstraintName) {
            return;
        }
        // `| Value | Description |`: the labels of the type the title names.
        if roles.first() == Some(&Role::Value) && !roles.contains(&Role::Type) {
            self.value_list(&rows, header_line);
            return;
        }
        infer_roles(&mut roles, &rows);
        let Some(name_col) = roles.iter().position(|r| matches!(r, Role::Name(_))) else {
            return;
        };
        let Some(type_col) = roles.iter().position(|r| *r == Role::Type) else {
            return;
        };
        let explicit = roles[name_col] == Role::Name(true);
        let header_range = self.line_range(header_line);
        // A dictionary names the table first; a `Table` header after the column names is
        // something else (the table a key refers to).
        if let Some(table_col) = roles
            .iter()
            .position(|r| *r == Role::Table)
            .filter(|&k| k < name_col)
        {
            self.dictionary(&rows, &roles, (name_col, type_col, table_col));
            return;
        }
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
            inferred: false,
            keys: Vec::new(),
        });
    }

    /// A data dictionary: one table listing the columns of several tables, each row naming its
    /// table in `table_col` (an empty cell: the row above's table). Each table is read as a
    /// column table of its own, named and located at its first row's cell.
    fn dictionary(
        &mut self,
        rows: &[Vec<Cell<'_>>],
        roles: &[Role],
        (name_col, type_col, table_col): (usize, usize, usize),
    ) {
        let mut tables: Vec<DocTable> = Vec::new();
        let mut current: Option<usize> = None;
        for cells in rows {
            let named = cells.get(table_col).and_then(|c| {
                let t = c.text.trim();
                let lead = c.text.len() - c.text.trim_start().len();
                let inner = t.trim_matches(['`', '*', '"']);
                let at = t.find(inner).unwrap_or(0);
                let len = names::ascii_ident_len(inner);
                (len > 0 && len == inner.len()).then(|| {
                    let start = c.range.start as usize + lead + at;
                    (
                        inner.to_lowercase(),
                        TextRange::new(offset(start), offset(start + len)),
                    )
                })
            });
            let index = match named {
                Some((name, span)) => {
                    if let Some(i) = tables.iter().position(|t| t.name == name) {
                        i
                    } else {
                        tables.push(DocTable {
                            name,
                            source: SourceKind::ColumnTable,
                            span,
                            alias: None,
                            defined: true,
                            columns: Vec::new(),
                            inferred: false,
                            keys: Vec::new(),
                        });
                        tables.len() - 1
                    }
                }
                None => match current {
                    Some(i) => i,
                    None => continue,
                },
            };
            current = Some(index);
            match row_column(cells, roles, name_col, type_col) {
                RowResult::Column(c) => tables[index].columns.push(*c),
                RowResult::Skip => {}
                RowResult::Unreadable(range) => self.diagnostics.push(
                    Diagnostic::new(
                        Code::ColumnTableUnreadable,
                        Category::Document,
                        "column table row without a readable column name",
                        range,
                    )
                    .label("not a column name")
                    .help("put one column name (`order_id`) in the column cell; descriptions go in the notes column"),
                ),
            }
        }
        self.last_column_table = None;
        for table in tables.into_iter().filter(|t| !t.columns.is_empty()) {
            self.section.column_tables.push(table.name.clone());
            self.tables.push(table);
        }
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
        if self.owner().is_none() {
            return;
        }
        let items = match bullet_column(line) {
            Some(column) => vec![column],
            None => prose_columns(line),
        };
        if items.is_empty()
            && self.section.sentence.is_none()
            && self.section.bold_owner.is_none()
            && sentence_columns(line, "bigint").is_some()
        {
            self.section.sentence = self.lines.iter().position(|l| l.start == line.start);
        }
        self.add_prose_columns(items);
    }

    /// The table lists and prose in this part of the section describe: the bold line's, else
    /// the heading's.
    fn owner(&self) -> Option<(String, TextRange)> {
        self.section
            .bold_owner
            .clone()
            .or_else(|| self.section.name.clone())
    }

    /// Columns of the section's list or prose table (a name already there is kept).
    fn add_prose_columns(&mut self, items: Vec<DocColumn>) {
        if items.is_empty() {
            return;
        }
        let Some((name, span)) = self.owner() else {
            return;
        };
        let table = self.section.prose.get_or_insert_with(|| DocTable {
            name,
            source: SourceKind::Prose,
            span,
            alias: None,
            defined: true,
            columns: Vec::new(),
            inferred: false,
            keys: Vec::new(),
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_psql;
#[cfg(test)]
mod tests_scripts;
