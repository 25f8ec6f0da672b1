//! Markdown tables that list something other than columns: indexes (`| Index | Table |
//! Columns | Type |`, read row by row in [`super::indexes`]) and values (`| Value |
//! Description |` under a title naming an enum type).

use super::indexes::{index_row, IndexRow};
use super::{Cell, Reader, Role, SourceKind};
use crate::diagnostics::{Category, Code, Diagnostic};
use crate::model::DocEnum;

impl Reader<'_> {
    /// A list of values under a heading or bold line that names it: an enum's labels, the
    /// first cell of each row (code marks and quotes taken off).
    pub(super) fn value_list(&mut self, rows: &[Vec<Cell<'_>>], header_line: usize) {
        let title = self.title_text(header_line);
        let Some((name, span)) = self.table_name(header_line) else {
            return;
        };
        let values: Vec<String> = rows
            .iter()
            .filter_map(|cells| cells.first())
            .map(|c| {
                c.text
                    .trim()
                    .trim_matches(['`', '*', '\'', '"'])
                    .trim()
                    .to_string()
            })
            .filter(|v| !v.is_empty() && !v.chars().all(|c| matches!(c, '.' | '…' | '-')))
            .collect();
        if values.is_empty() {
            return;
        }
        let lower = title.to_lowercase();
        let declared = ["enum", "열거", "列挙", "枚举", "列舉", "énum", "перечисл"]
            .iter()
            .any(|w| lower.contains(w));
        self.enums.push(DocEnum {
            name,
            values,
            declared,
            span,
        });
        self.last_column_table = None;
    }

    /// The text of the heading or bold line that names the table at `header_line` (the
    /// nearest one above it).
    fn title_text(&self, header_line: usize) -> String {
        (0..header_line)
            .rev()
            .map(|i| self.lines[i].text.trim())
            .find(|t| t.starts_with('#') || t.starts_with("**") || t.starts_with("__"))
            .unwrap_or_default()
            .to_string()
    }

    /// An index table: each readable row an index; a row that names no table or whose key
    /// parts are not SQL is reported (ERD002).
    pub(super) fn index_table(
        &mut self,
        rows: &[Vec<Cell<'_>>],
        roles: &[Role],
        header_line: usize,
    ) {
        // Without a table column: the table the heading names, else the column table read
        // last (an `#### Indexes` list under the table's own section).
        let default_table = if roles.contains(&Role::Table) {
            None
        } else {
            self.table_name(header_line)
                .map(|(name, _)| name)
                .or_else(|| {
                    self.tables
                        .iter()
                        .rev()
                        .find(|t| t.source == SourceKind::ColumnTable)
                        .map(|t| t.name.clone())
                })
        };
        for cells in rows {
            match index_row(cells, roles, default_table.as_deref()) {
                IndexRow::Index(index) => self.indexes.push(index),
                IndexRow::Skip => {}
                IndexRow::Unreadable(range) => self.diagnostics.push(
                    Diagnostic::new(
                        Code::ColumnTableUnreadable,
                        Category::Document,
                        "index table row that pgspec cannot turn into an index",
                        range,
                    )
                    .label("no table, or key parts that are not SQL")
                    .help("name the table in its cell and the key parts as SQL (`status, created_at DESC`, `lower(email)`)"),
                ),
            }
        }
        self.last_column_table = None;
    }
}
