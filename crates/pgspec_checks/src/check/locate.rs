//! Where a diagnostic points in the document: a statement's first line, the token at the
//! server's error position, or the name the error mentions.

use crate::diagnostics::PgDetails;
use crate::postgres::char_position_to_byte;
use crate::sql::Statement;
use crate::text::TextRange;

use super::categorize;
use super::state::Engine;

impl Engine<'_> {
    /// The first line of a statement, for diagnostics without a server position.
    pub(super) fn first_line(&self, stmt: &Statement) -> TextRange {
        let text = &self.doc.text;
        let start = stmt.range.start as usize;
        let line_end = text[start..]
            .find('\n')
            .map_or(stmt.range.end as usize, |n| start + n)
            .min(stmt.range.end as usize)
            .max(start);
        TextRange::new(
            stmt.range.start,
            u32::try_from(line_end).unwrap_or(stmt.range.end),
        )
    }

    /// Document range of the server's error position, widened to the token there.
    /// `focus` (a byte offset from the verdict) wins over the server's position: the parser
    /// may stop later than the real culprit.
    pub(super) fn error_range(
        &self,
        stmt: &Statement,
        err: &PgDetails,
        focus: Option<usize>,
    ) -> TextRange {
        let position = focus.and_then(|f| focus_position(stmt, f)).or(err.position);
        // A statement pgspec generated has no code block: its errors point at the source of the
        // part they are in (a column's ERD attribute or column-table row), else at its source.
        if !stmt.is_written() {
            let at = position.map(|p| char_position_to_byte(&stmt.text, p) as usize);
            return at
                .map(|at| stmt.document_range(self.doc, at, 0))
                .or_else(|| self.name_range(stmt, err))
                .filter(|r| *r != stmt.range)
                .unwrap_or_else(|| self.first_line(stmt));
        }
        let Some(position) = position else {
            return self
                .failing_row_range(stmt, err)
                .or_else(|| self.name_range(stmt, err))
                .unwrap_or_else(|| self.first_line(stmt));
        };
        let byte = char_position_to_byte(&stmt.text, position);
        let Some(start) = stmt.document_offset(self.doc, byte as usize) else {
            return self.first_line(stmt);
        };
        let text = &self.doc.text;
        let token_len = text
            .get(start as usize..)
            .map_or(0, |rest| {
                rest.char_indices()
                    .find(|(_, c)| {
                        !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '"' || *c == '$')
                    })
                    .map_or(rest.len(), |(n, _)| n)
            })
            .max(
                text.get(start as usize..)
                    .and_then(|r| r.chars().next())
                    .map_or(0, char::len_utf8),
            );
        TextRange::new(start, start + u32::try_from(token_len).unwrap_or(0))
    }

    /// Where in the statement the object the error names appears (for errors without a position).
    /// For a generated statement, the names in the server's detail count too (`Key columns
    /// "user_id" and "id" are of incompatible types`): the range is then the row of the column
    /// the text names.
    pub(super) fn name_range(&self, stmt: &Statement, err: &PgDetails) -> Option<TextRange> {
        let mut names: Vec<String> = categorize::quoted_names(&err.message);
        names.extend(err.constraint.clone());
        names.extend(err.column.clone());
        if stmt.generated().is_some() {
            names.extend(err.detail.iter().flat_map(|d| categorize::quoted_names(d)));
        }
        let lower = stmt.text.to_lowercase();
        for name in names {
            let needle = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
            if needle.len() < 2 {
                continue;
            }
            let Some(at) = find_word(&lower, &needle) else {
                continue;
            };
            let range = stmt.document_range(self.doc, at, needle.len());
            if stmt.generated().is_some() && range == stmt.range {
                // Not inside a column's part (the table name in the head): try the next name.
                continue;
            }
            return Some(range);
        }
        None
    }

    /// The row of a multi-row `INSERT … VALUES` the server's `Failing row contains (…)` names:
    /// the one row whose constants all appear in the failing row, from its first value to the
    /// end of its line.
    fn failing_row_range(&self, stmt: &Statement, err: &PgDetails) -> Option<TextRange> {
        let detail = err.detail.as_deref()?;
        let at = failing_row(stmt, detail).or_else(|| keyed_row(stmt, detail))?;
        let line_end = stmt.text[at..]
            .find('\n')
            .map_or(stmt.text.len(), |n| at + n);
        let row = stmt.text[at..line_end].trim_end();
        Some(stmt.document_range(self.doc, at, row.len()))
    }

    pub(super) fn line_of(&self, stmt: &Statement) -> u32 {
        self.doc.line_index.line(stmt.range.start)
    }
}

/// The byte offset (in the statement's text) of the first value of the `VALUES` row that the
/// server's detail `Failing row contains (3, 2, Colosseo, 8, {lavagna,wifi}, 30.00, null).`
/// shows: the only row of several whose string and number constants are all values of the
/// failing row.
fn failing_row(stmt: &Statement, detail: &str) -> Option<usize> {
    use crate::sql::ast::{self, NodeEnum};
    let tuple = detail
        .strip_prefix("Failing row contains (")?
        .trim_end_matches('.')
        .strip_suffix(')')?;
    let values: Vec<&str> = tuple
        .split(',')
        .map(|v| v.trim().trim_matches('"'))
        .collect();
    let same = |constant: &str| {
        values.iter().any(|v| {
            *v == constant
                || matches!((v.parse::<f64>(), constant.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
        })
    };
    let NodeEnum::InsertStmt(insert) = stmt.first_node()? else {
        return None;
    };
    let NodeEnum::SelectStmt(select) = insert.select_stmt.as_deref().and_then(ast::node)? else {
        return None;
    };
    if select.values_lists.len() < 2 {
        return None;
    }
    let mut matching = select.values_lists.iter().filter_map(|row| {
        let NodeEnum::List(list) = ast::node(row)? else {
            return None;
        };
        let constants: Vec<(String, usize)> = list
            .items
            .iter()
            .filter_map(ast::node)
            .filter_map(ast::constant)
            .collect();
        let first = constants.first()?.1;
        constants.iter().all(|(c, _)| same(c)).then_some(first)
    });
    let row = matching.next()?;
    matching.next().is_none().then_some(row)
}

/// The byte offset (in the statement's text) of the first value of the `VALUES` row a key
/// violation's detail names, by the INSERT's column list: `Key (email)=(a@b.pl) already
/// exists.` is the second row with that key (the first went in), or the only one (the row it
/// collides with came from another statement); `Key (klient_id)=(5) is not present in table
/// "klienci".` is the first row with it.
fn keyed_row(stmt: &Statement, detail: &str) -> Option<usize> {
    use crate::sql::ast::{self, NodeEnum};
    let rest = detail.strip_prefix("Key (")?;
    let (columns, rest) = rest.split_once(")=(")?;
    let (values, duplicate) = if let Some((v, _)) = rest.split_once(") already exists") {
        (v, true)
    } else {
        (rest.split_once(") is not present in table")?.0, false)
    };
    let columns: Vec<&str> = columns.split(", ").map(|c| c.trim_matches('"')).collect();
    let values: Vec<&str> = values.split(", ").collect();
    if columns.len() != values.len() {
        return None;
    }
    let NodeEnum::InsertStmt(insert) = stmt.first_node()? else {
        return None;
    };
    let names: Vec<&str> = insert
        .cols
        .iter()
        .filter_map(|c| match ast::node(c)? {
            NodeEnum::ResTarget(t) => Some(t.name.as_str()),
            _ => None,
        })
        .collect();
    let positions: Vec<usize> = columns
        .iter()
        .map(|c| names.iter().position(|n| n.eq_ignore_ascii_case(c)))
        .collect::<Option<_>>()?;
    let NodeEnum::SelectStmt(select) = insert.select_stmt.as_deref().and_then(ast::node)? else {
        return None;
    };
    if select.values_lists.len() < 2 {
        return None;
    }
    let same = |a: &str, b: &str| {
        a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
    };
    let rows: Vec<usize> = select
        .values_lists
        .iter()
        .filter_map(|row| {
            let NodeEnum::List(list) = ast::node(row)? else {
                return None;
            };
            let items: Vec<&NodeEnum> = list.items.iter().filter_map(ast::node).collect();
            let keyed = positions.iter().zip(&values).all(|(p, v)| {
                items
                    .get(*p)
                    .and_then(|n| ast::constant(n))
                    .is_some_and(|(c, _)| same(&c, v))
            });
            let first = items.iter().find_map(|n| ast::constant(n))?.1;
            keyed.then_some(first)
        })
        .collect();
    match (duplicate, rows.as_slice()) {
        (true, [only]) => Some(*only),
        (true, [_, second, ..]) => Some(*second),
        (false, [first, ..]) => Some(*first),
        _ => None,
    }
}

/// A byte offset in the statement as a 1-based character position, like the server's.
fn focus_position(stmt: &Statement, focus: usize) -> Option<u32> {
    let chars = stmt.text.get(..focus)?.chars().count();
    u32::try_from(chars + 1).ok()
}

fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(pos) = haystack[from..].find(needle) {
        let at = from + pos;
        let before_ok = at == 0 || !is_ident_byte(bytes[at - 1]);
        let after = at + needle.len();
        let after_ok = after >= bytes.len() || !is_ident_byte(bytes[after]);
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + needle.len().max(1);
        if from >= haystack.len() {
            break;
        }
    }
    None
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
