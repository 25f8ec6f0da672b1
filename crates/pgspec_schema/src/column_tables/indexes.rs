//! Index tables: a Markdown table that lists indexes rather than columns
//! (`| Index | Table | Columns | Type |`, `| 인덱스명 | 테이블 | 컬럼 | 유형 |`). Each row becomes a
//! [`DocIndex`] when it names a table, its key parts parse as SQL, and its words name a known
//! access method or none; rows for the primary key are the table's own index and are skipped.

use super::{Cell, Role};
use crate::document::offset;
use crate::model::DocIndex;
use crate::text::TextRange;

/// What one row of an index table says.
pub(super) enum IndexRow {
    Index(DocIndex),
    /// The primary key's index, an empty row or an elision.
    Skip,
    /// The row's range: no table, or key parts that are not SQL.
    Unreadable(TextRange),
}

/// One body row. `default_table` is the table the section names, for a list without a table
/// column.
pub(super) fn index_row(
    cells: &[Cell<'_>],
    roles: &[Role],
    default_table: Option<&str>,
) -> IndexRow {
    let cell = |role: fn(&Role) -> bool| -> Option<&Cell<'_>> {
        roles
            .iter()
            .position(role)
            .and_then(|k| cells.get(k))
            .filter(|c| !plain(c.text).is_empty())
    };
    let Some(first) = cells.first() else {
        return IndexRow::Skip;
    };
    let row = TextRange::new(
        first.range.start,
        cells.last().map_or(first.range.end, |c| c.range.end),
    );
    if cells.iter().all(|c| {
        let t = plain(c.text);
        t.is_empty() || t.chars().all(|ch| matches!(ch, '.' | '…' | '-'))
    }) {
        return IndexRow::Skip;
    }
    let name = cell(|r| *r == Role::IndexName)
        .map(|c| plain(c.text))
        .filter(|n| identifier(n))
        .map(str::to_lowercase);
    let table = cell(|r| *r == Role::Table)
        .map(|c| plain(c.text).to_lowercase())
        .or_else(|| default_table.map(str::to_owned))
        .filter(|t| identifier(t));
    let Some(table) = table else {
        return IndexRow::Unreadable(row);
    };
    let Some(columns) = cell(|r| matches!(r, Role::Name(_))).map(|c| key_parts(plain(c.text)))
    else {
        return IndexRow::Unreadable(row);
    };
    // The method and uniqueness are said in a type, unique, key or unnamed cell (not in
    // notes, whose prose may use the words otherwise: "the password hash").
    let words: Vec<String> = roles
        .iter()
        .zip(cells)
        .filter(|(r, _)| matches!(r, Role::Type | Role::Unique | Role::Key | Role::Other))
        .flat_map(|(_, c)| words(c.text))
        .collect();
    if words.iter().any(|w| PRIMARY.contains(&w.as_str())) {
        return IndexRow::Skip;
    }
    let method = words.iter().find_map(|w| {
        METHODS
            .iter()
            .find(|(word, _)| word == w)
            .map(|(_, m)| (*m).to_string())
    });
    let unique = words.iter().any(|w| UNIQUE.contains(&w.as_str()));
    let index = DocIndex {
        name,
        table,
        columns,
        method,
        unique,
        span: TextRange::new(offset(row.start as usize), offset(row.end as usize)),
        sentence: false,
    };
    if index.columns.is_empty()
        || crate::sql::ast::parse(&create_index(&index, "pgspec_probe")).is_none()
    {
        return IndexRow::Unreadable(row);
    }
    IndexRow::Index(index)
}

/// The statement that builds `index`, on `table` as written there (quoted by the caller).
pub(crate) fn create_index(index: &DocIndex, table: &str) -> String {
    let unique = if index.unique { "UNIQUE " } else { "" };
    let name = index
        .name
        .as_deref()
        .map(|n| format!("{} ", crate::sql::quote::quote_ident(n)))
        .unwrap_or_default();
    let method = index
        .method
        .as_deref()
        .map(|m| format!(" USING {m}"))
        .unwrap_or_default();
    format!(
        "CREATE {unique}INDEX {name}ON {table}{method} ({});",
        index.columns.join(", ")
    )
}

/// Access-method words (lowercase, `-` and spaces removed) and the method.
const METHODS: &[(&str, &str)] = &[
    ("btree", "btree"),
    ("gin", "gin"),
    ("gist", "gist"),
    ("spgist", "spgist"),
    ("brin", "brin"),
    ("hash", "hash"),
];

/// Words that make the index unique.
const UNIQUE: &[&str] = &[
    "unique",
    "uk",
    "uq",
    "유니크",
    "고유",
    "ユニーク",
    "一意",
    "唯一",
    "único",
    "unico",
    "eindeutig",
    "univoco",
    "уникальный",
    "uniek",
    "benzersiz",
];

/// Words of a row for the primary key's index (the table's own).
const PRIMARY: &[&str] = &["pk", "primary", "기본키", "主キー", "主键", "主鍵"];

/// The cell's text without Markdown emphasis and code marks.
fn plain(text: &str) -> &str {
    text.trim().trim_matches(['`', '*', '_']).trim()
}

/// A name, maybe schema-qualified: letters, digits, `_`, `$`, one `.` between parts.
fn identifier(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').count() <= 2
        && text.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

/// The key parts of a columns cell: split at commas and `+` outside parentheses, each trimmed
/// of code marks (`` `a`, `b` ``, `a + b`, `lower(email)`, `created_at DESC`).
fn key_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && matches!(c, ',' | '+' | '、' | '，') {
            parts.push(std::mem::take(&mut current));
            continue;
        }
        if c != '`' {
            current.push(c);
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The lowercase words of a cell, `-` and `_` inside a word dropped (`B-Tree` → `btree`).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .map(|w| w.replace(['-', '_'], "").to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index list beside a column table: its rows are indexes (a table named in the
    /// section when the list has no table column), never columns; the primary key's row is
    /// the table's own index; a row whose key parts are prose is reported.
    #[test]
    fn an_index_list_is_read_as_indexes_not_columns() {
        let text = "# Shop\n\n### orders\n\n| Column | Type | Notes |\n|---|---|---|\n| id | bigint | PK |\n| status | text | NOT NULL |\n\n| Index name | Columns | Type |\n|---|---|---|\n| orders_status_idx | `status` | GIN |\n| orders_pkey | id | Primary key |\n| orders_any | every column we filter on | B-Tree |\n";
        let (doc, _) = crate::document::read(text.as_bytes());
        let super::super::Reading {
            tables,
            indexes,
            diagnostics,
            ..
        } = super::super::from_document(&doc);
        assert_eq!(tables.len(), 1);
        let columns: Vec<&str> = tables[0].columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "status"]);
        assert_eq!(indexes.len(), 1, "{indexes:?}");
        assert_eq!(indexes[0].name.as_deref(), Some("orders_status_idx"));
        assert_eq!(indexes[0].table, "orders");
        assert_eq!(indexes[0].columns, ["status"]);
        assert_eq!(indexes[0].method.as_deref(), Some("gin"));
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        let row = &text[diagnostics[0].primary.range.as_usize()];
        assert!(row.contains("orders_any"), "{row}");
    }

    /// An index list under a subheading of its own (`#### インデックス`) belongs to the column
    /// table read last.
    #[test]
    fn an_index_list_under_its_own_subheading_belongs_to_the_table_above() {
        let text = "# 設計書\n\n### members テーブル\n\n| 物理名 | データ型 | 備考 |\n|---|---|---|\n| id | bigint | 主キー |\n| email | text | |\n\n#### インデックス\n\n| インデックス名 | カラム | 種別 |\n|---|---|---|\n| idx_members_email | email | UNIQUE |\n";
        let (doc, _) = crate::document::read(text.as_bytes());
        let reading = super::super::from_document(&doc);
        assert_eq!(reading.indexes.len(), 1, "{:?}", reading.diagnostics);
        assert_eq!(reading.indexes[0].table, "members");
        assert!(reading.indexes[0].unique);
        assert_eq!(reading.tables.len(), 1);
    }

    #[test]
    fn key_parts_split_outside_parentheses() {
        assert_eq!(
            key_parts("`status`, ordered_at DESC"),
            ["status", "ordered_at DESC"]
        );
        assert_eq!(key_parts("lower(email)"), ["lower(email)"]);
        assert_eq!(key_parts("a + coalesce(b, c)"), ["a", "coalesce(b, c)"]);
    }

    #[test]
    fn method_words_read_as_one() {
        assert_eq!(words("B-Tree (unique)"), ["btree", "unique"]);
        assert_eq!(words("GIN"), ["gin"]);
    }

    #[test]
    fn the_statement_names_method_and_uniqueness() {
        let index = DocIndex {
            name: Some("uq_users_email_lower".into()),
            table: "users".into(),
            columns: vec!["lower(email)".into()],
            method: None,
            unique: true,
            span: TextRange::default(),
            sentence: false,
        };
        assert_eq!(
            create_index(&index, "users"),
            "CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email));"
        );
    }
}
