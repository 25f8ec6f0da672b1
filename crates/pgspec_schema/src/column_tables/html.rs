//! Column tables written as HTML (`<table>` with `<tr>`, `<th>`, `<td>`), as wiki and
//! Confluence exports write them: read into the same header and rows of cells as a Markdown
//! table, each cell at its place in the document.
//!
//! A cell is the text between its opening and closing tag on one line (inner markup kept; a
//! cell that is only `<code>x</code>` or `<b>x</b>` is `x`); a cell spread over lines is its
//! first line of text. A cell or row whose closing tag is left out ends at the next one, as
//! HTML allows. The table ends at `</table>`; without one, nothing is read.

use super::{Cell, Line};
use crate::document::offset;
use crate::text::TextRange;

/// At most this many lines make one HTML table.
const MAX_LINES: usize = 5000;

/// An HTML table: its first row (the header) and the rows after it; `end` is the line after
/// `</table>`.
pub(super) struct HtmlTable<'a> {
    pub(super) header: Vec<Cell<'a>>,
    pub(super) rows: Vec<Vec<Cell<'a>>>,
    pub(super) end: usize,
}

/// Whether a line starts an HTML table.
pub(super) fn starts_table(text: &str) -> bool {
    text.trim_start()
        .get(..6)
        .is_some_and(|t| t.eq_ignore_ascii_case("<table"))
        && text
            .trim_start()
            .as_bytes()
            .get(6)
            .is_none_or(|b| *b == b'>' || b.is_ascii_whitespace())
}

/// The HTML table whose `<table` is on line `start`, reading Markdown lines only.
pub(super) fn table<'a>(
    lines: &[Line<'a>],
    markdown: &[bool],
    start: usize,
) -> Option<HtmlTable<'a>> {
    let mut rows: Vec<Vec<Cell<'a>>> = Vec::new();
    let mut row: Option<Vec<Cell<'a>>> = None;
    // The open cell: its text so far (one line's).
    let mut cell: Option<Option<Cell<'a>>> = None;
    let close_cell = |row: &mut Option<Vec<Cell<'a>>>, cell: &mut Option<Option<Cell<'a>>>| {
        if let Some(c) = cell.take() {
            let at = TextRange::empty(0);
            row.get_or_insert_with(Vec::new).push(c.unwrap_or(Cell {
                text: "",
                range: at,
            }));
        }
    };
    for (i, line) in lines
        .iter()
        .enumerate()
        .skip(start)
        .take(MAX_LINES)
        .take_while(|&(i, _)| markdown.get(i) == Some(&true))
    {
        let text = line.text;
        let mut pos = 0;
        loop {
            if let Some(open) = cell.as_mut() {
                // Text of the open cell, up to the tag that ends it on this line.
                let close = find_close(text, pos);
                let piece = &text[pos..close.unwrap_or(text.len())];
                let content = piece.trim();
                if open.is_none() && !content.is_empty() {
                    let lead = piece.len() - piece.trim_start().len();
                    let begin = line.start + pos + lead;
                    *open = Some(unwrap_markup(Cell {
                        text: content,
                        range: TextRange::new(offset(begin), offset(begin + content.len())),
                    }));
                }
                match close {
                    Some(close) => pos = close,
                    None => break,
                }
            }
            let Some(tag_start) = text[pos..].find('<').map(|t| pos + t) else {
                break;
            };
            let Some(tag_len) = text[tag_start..].find('>') else {
                break;
            };
            let tag = &text[tag_start + 1..tag_start + tag_len];
            pos = tag_start + tag_len + 1;
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            match (name.as_str(), closing) {
                ("td" | "th", false) => {
                    close_cell(&mut row, &mut cell);
                    cell = Some(None);
                }
                ("td" | "th", true) => close_cell(&mut row, &mut cell),
                ("tr", false) => {
                    close_cell(&mut row, &mut cell);
                    if let Some(r) = row.take() {
                        rows.push(r);
                    }
                    row = Some(Vec::new());
                }
                ("tr", true) => {
                    close_cell(&mut row, &mut cell);
                    if let Some(r) = row.take() {
                        rows.push(r);
                    }
                }
                ("table", true) => {
                    close_cell(&mut row, &mut cell);
                    if let Some(r) = row.take() {
                        rows.push(r);
                    }
                    rows.retain(|r| !r.is_empty());
                    let mut rows = rows.into_iter();
                    let header = rows.next()?;
                    return Some(HtmlTable {
                        header,
                        rows: rows.collect(),
                        end: i + 1,
                    });
                }
                _ => {}
            }
        }
    }
    None
}

/// Where the open cell's text ends on this line: the `</td>`, `</th>`, `<td`, `<th`, `<tr` or
/// `</tr>` after `from` (inner markup such as `<code>` is part of the text).
fn find_close(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = text[at..].find('<') {
        let tag_at = at + i;
        let rest = text[tag_at + 1..].trim_start_matches('/');
        let name: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(name.as_str(), "td" | "th" | "tr" | "table") {
            return Some(tag_at);
        }
        at = tag_at + 1;
    }
    None
}

/// A cell that is only one element (`<code>id</code>`, `<b>id</b>`) is its text.
fn unwrap_markup(cell: Cell<'_>) -> Cell<'_> {
    let t = cell.text;
    if !t.starts_with('<') || !t.ends_with('>') {
        return cell;
    }
    let Some(open_end) = t.find('>') else {
        return cell;
    };
    let Some(close_start) = t.rfind("</") else {
        return cell;
    };
    if close_start <= open_end {
        return cell;
    }
    let inner = &t[open_end + 1..close_start];
    if inner.contains('<') || inner.trim().is_empty() {
        return cell;
    }
    let lead = inner.len() - inner.trim_start().len();
    let inner = inner.trim();
    let start = cell.range.start + offset(open_end + 1 + lead);
    Cell {
        text: inner,
        range: TextRange::new(start, start + offset(inner.len())),
    }
}
