//! The schema a document states outside SQL, as one model whatever the source (ERD, column
//! table, prose), and the type normalisation that puts the document's type words into
//! PostgreSQL's own spelling.

use serde::Serialize;

use crate::text::TextRange;

/// Everything the document's non-SQL parts say about the schema.
///
/// Tables are listed per occurrence, in document order: a table drawn in an ERD and specified
/// again in a column table appears twice, once per source, so that a later stage can compare
/// the sources (and report where they disagree) instead of this reader picking one silently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DocSchema {
    pub tables: Vec<DocTable>,
    pub relationships: Vec<DocRelationship>,
    /// Indexes a table of the document lists, in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<DocIndex>,
    /// Lists of values under a heading that names them (`### order_status (ENUM)` over
    /// `| Value | Description |`), in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<DocEnum>,
}

/// A list of values a Markdown table gives under a heading or bold line that names it: the
/// labels of an enum type when a column uses that name as its type (or the title says enum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocEnum {
    /// Lowercased, as the heading names it.
    pub name: String,
    /// The labels as written, in order.
    pub values: Vec<String>,
    /// The title says it is an enum (`ENUM`, `열거형`, `列挙型`, `枚举`).
    pub declared: bool,
    /// The name in the heading or bold line.
    pub span: TextRange,
}

/// An index a Markdown table of the document lists (`| Index | Table | Columns | Type |`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocIndex {
    /// Lowercased; None when the row names none.
    pub name: Option<String>,
    /// The table, lowercased (`orders`, `shop.orders`).
    pub table: String,
    /// The key parts as written: `status`, `ordered_at DESC`, `lower(email)`.
    pub columns: Vec<String>,
    /// The access method (`btree`, `gin`, …) when the row names one.
    pub method: Option<String>,
    pub unique: bool,
    /// The row (for a sentence, the backticked key).
    pub span: TextRange,
    /// Stated in a sentence ("a unique index on `t (a, b)`"), not listed in an index table:
    /// pgspec builds it only when the SQL has no index or key that serves it, and says so.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sentence: bool,
}

impl DocSchema {
    /// The tables named `name` (lowercase), in document order.
    pub fn tables_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a DocTable> + 'a {
        self.tables.iter().filter(move |t| t.name == name)
    }
}

/// Where a table's description came from. Ordered by how much the source says: a prose list
/// names columns only, a column table also gives types and constraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A "Columns: `id`, `order_id`, …" sentence under a heading naming the table.
    Prose,
    /// An entity of a mermaid `erDiagram`.
    Erd,
    /// A markdown table (`| Column | Type | Notes |`) under a heading naming the table.
    ColumnTable,
    /// A `Table` of a DBML (dbdiagram.io) block.
    Dbml,
    /// An `entity` of a PlantUML diagram.
    PlantUml,
    /// A `model` of a Prisma schema.
    Prisma,
    /// A class of a mermaid `classDiagram` drawn as an entity diagram (typed attributes, `PK`).
    ClassDiagram,
    /// psql's description of a table (`\\d users` output): what the database looks like.
    PsqlDescribe,
    /// A `create_table` of Rails' `db/schema.rb`: what the database looks like.
    RailsSchema,
}

impl SourceKind {
    /// The kind's name in the model's output and a generated statement's origin
    /// (`column-table`, `plantuml`).
    pub fn kebab(self) -> &'static str {
        match self {
            SourceKind::Erd => "erd",
            SourceKind::ColumnTable => "column-table",
            SourceKind::Dbml => "dbml",
            SourceKind::Prisma => "prisma",
            SourceKind::PlantUml => "plantuml",
            SourceKind::ClassDiagram => "class-diagram",
            SourceKind::Prose => "prose",
            SourceKind::PsqlDescribe => "psql-describe",
            SourceKind::RailsSchema => "rails-schema",
        }
    }

    /// What one table of this kind is called in a message (`ERD entity`, `column table`).
    pub fn what(self) -> &'static str {
        match self {
            SourceKind::Erd => "ERD entity",
            SourceKind::ColumnTable => "column table",
            SourceKind::Dbml => "DBML table",
            SourceKind::Prisma => "Prisma model",
            SourceKind::PlantUml => "PlantUML entity",
            SourceKind::ClassDiagram => "class diagram",
            SourceKind::Prose => "column list",
            SourceKind::PsqlDescribe => "psql description (`\\d`)",
            SourceKind::RailsSchema => "Rails schema (`db/schema.rb`)",
        }
    }

    /// Whether this kind of source draws relationships between its tables (a mermaid
    /// `erDiagram` or entity `classDiagram`, a PlantUML entity diagram): a foreign key between two of its tables that
    /// no relationship draws is drift.
    pub fn draws_relationships(self) -> bool {
        matches!(
            self,
            SourceKind::Erd | SourceKind::PlantUml | SourceKind::ClassDiagram
        )
    }
}

/// A table as one source of the document describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocTable {
    /// Lowercased, as PostgreSQL folds unquoted names (`ORDER_ITEMS` → `order_items`); a schema
    /// qualification is kept (`public.users`).
    pub name: String,
    pub source: SourceKind,
    /// The name token (ERD entity name, heading word, bold line).
    pub span: TextRange,
    /// An ERD entity's display alias (`p["Person"]`), if any.
    pub alias: Option<String>,
    /// Whether the source lists the table's columns. An ERD entity that only appears at the end
    /// of a relationship is mentioned but not defined (its `columns` are empty).
    pub defined: bool,
    pub columns: Vec<DocColumn>,
    /// Read from a sentence that names the table's columns, with types guessed from the
    /// names (ERD004): weaker than any other description of the same table.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
    /// Keys stated apart from the columns (`**Unique Constraint:** (org_id, user_id)`,
    /// `복합 기본키: (a, b)`), in document order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<StatedKey>,
}

impl DocTable {
    /// Every range of the table through `map` (a block's ranges into the document's).
    pub fn map_ranges(&mut self, map: impl Fn(TextRange) -> TextRange) {
        self.span = map(self.span);
        for c in &mut self.columns {
            c.span = map(c.span);
            c.type_span = map(c.type_span);
        }
        for k in &mut self.keys {
            k.span = map(k.span);
        }
    }
}

/// A key a line states over several columns of its table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatedKey {
    pub primary: bool,
    /// Not a key but an index the source asks for (DBML's `indexes { col }`, Prisma's
    /// `@@index([a])`): generated as `CREATE INDEX` after its table.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub index: bool,
    /// Lowercased column names, in key order.
    pub columns: Vec<String>,
    /// The name the source gives the key or index (DBML's `[name: 'orders_uq']`), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The line's text.
    pub span: TextRange,
}

/// A column as the document describes it. Facts the source does not state stay `None` / `false`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DocColumn {
    /// Lowercased like table names.
    pub name: String,
    /// The type as written (`string`, `varchar(64)`, `timestamp`); empty when none is given.
    pub raw_type: String,
    /// `raw_type` in PostgreSQL's spelling ([`normalize_type`]); `None` for unknown or
    /// user-defined types and for a bare `enum`.
    pub pg_type: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    /// Marked as a foreign key (`FK`), whether or not the target is known.
    pub foreign_key: bool,
    /// `Some(true)` for NOT NULL / required, `Some(false)` for nullable / optional.
    pub not_null: Option<bool>,
    /// The default expression as written (`true`, `now()`, `'pending'`).
    pub default: Option<String>,
    /// Referenced table (lowercase) and column, when the document names them, or the table
    /// [`infer_references`] guessed for an `FK` column that names none.
    pub references: Option<(String, Option<String>)>,
    /// Whether `references` is a guess from the column's name rather than the document's word.
    pub references_inferred: bool,
    /// What deleting the referenced row does (`CASCADE`, `SET NULL`, `RESTRICT`, …), when the
    /// document says (Prisma's `onDelete: Cascade`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<String>,
    /// Allowed values, when the document enumerates them (`` `ko` or `en` ``, `OPEN / LOCKED`).
    pub enum_values: Vec<String>,
    /// `CHECK (…)` expressions written in the row's cells (each one SQL expression).
    pub checks: Vec<String>,
    /// The note / description / ERD comment text.
    pub comment: Option<String>,
    /// The column name token.
    pub span: TextRange,
    /// The type token(s); empty (at the name's end) when no type is given.
    pub type_span: TextRange,
}

impl DocColumn {
    /// An auto-incremented integer column (DBML's `increment`, Prisma's `autoincrement()`) as
    /// the serial type of its width; a column of another type keeps it.
    pub fn make_serial(&mut self) {
        let serial = match self.pg_type.as_deref() {
            Some("bigint") => "bigserial",
            Some("smallint") => "smallserial",
            Some("integer") | None => "serial",
            _ => return,
        };
        self.pg_type = normalize_type(serial).or_else(|| Some(serial.to_string()));
    }
}

/// How many rows of one side relate to one row of the other (crow's foot notation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cardinality {
    /// `|o` / `o|`, "zero or one".
    ZeroOrOne,
    /// `||`, "only one".
    ExactlyOne,
    /// `}o` / `o{`, "zero or more".
    ZeroOrMore,
    /// `}|` / `|{`, "one or more".
    OneOrMore,
}

/// A relationship line of an ERD: `LEFT <left_card>--<right_card> RIGHT : label`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocRelationship {
    /// Lowercased entity names.
    pub left: String,
    pub right: String,
    /// The symbol next to `left`: how many `left` rows one `right` row relates to.
    pub left_card: Cardinality,
    pub right_card: Cardinality,
    /// `--` (identifying) rather than `..` (non-identifying).
    pub identifying: bool,
    pub label: Option<String>,
    /// The whole relationship statement.
    pub span: TextRange,
    /// Whether the line writes both cardinalities. A class diagram's line may write none
    /// (`Order *-- LineItem`): its cardinalities are then read from the arrow and are not
    /// compared with the keys (DRF008).
    #[serde(skip)]
    pub cardinality_written: bool,
}

/// Give described tables the name of the SQL table they describe when the names differ only in
/// number or underscores (`CUSTOMER` or `OrderItem` in an ERD, `customers` / `order_items` in
/// SQL): entity names are often singular or CamelCase while tables are plural snake_case.
/// Relationship ends and foreign-key targets follow. Only a unique match is taken; names the
/// SQL creates exactly are left alone. After this, a table's `name` is the SQL's spelling.
pub fn align_names(schema: &mut DocSchema, sql_tables: &[String]) {
    let sql: Vec<String> = sql_tables.iter().map(|t| t.to_lowercase()).collect();
    let squash = |s: &str| s.replace('_', "");
    let resolve = |name: &str| -> Option<String> {
        if sql.iter().any(|s| s == name) {
            return None;
        }
        let mine: Vec<String> = singular_forms(&squash(name));
        let mut found: Vec<&String> = sql
            .iter()
            .filter(|s| {
                let theirs = singular_forms(&squash(s));
                theirs.iter().any(|t| mine.contains(t))
            })
            .collect();
        found.sort();
        found.dedup();
        match found.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    };
    let mut renamed: Vec<(String, String)> = Vec::new();
    for t in &mut schema.tables {
        if let Some(to) = resolve(&t.name) {
            renamed.push((t.name.clone(), to.clone()));
            t.name = to;
        }
    }
    let rename = |name: &mut String| {
        if let Some((_, to)) = renamed.iter().find(|(from, _)| from == name) {
            name.clone_from(to);
        } else if let Some(to) = resolve(name) {
            *name = to;
        }
    };
    for r in &mut schema.relationships {
        rename(&mut r.left);
        rename(&mut r.right);
    }
    for t in &mut schema.tables {
        for c in &mut t.columns {
            if let Some((target, _)) = &mut c.references {
                rename(target);
            }
        }
    }
}

/// For every column marked `FK` without a target, guess the target from the column's name:
/// `<stem>_id` refers to the one table (of `schema`, or of `known_tables`, e.g. those the SQL
/// creates) whose name, or its singular, is the stem (`user_id` → `users`), else one that ends
/// the stem at an underscore (`uploaded_by_user_id` → `users`), else one the stem ends
/// (`job_id` → `generation_jobs`). Tables an ERD relates to the column's table are tried
/// first. Only a unique match is taken; the guess is marked `references_inferred`.
pub fn infer_references(schema: &mut DocSchema, known_tables: &[String]) {
    let mut all: Vec<String> = schema
        .tables
        .iter()
        .map(|t| t.name.clone())
        .chain(known_tables.iter().map(|t| t.to_lowercase()))
        .collect();
    all.sort();
    all.dedup();
    let relationships = schema.relationships.clone();
    for table in &mut schema.tables {
        let mut related: Vec<String> = relationships
            .iter()
            .filter_map(|r| {
                if r.left == table.name {
                    Some(r.right.clone())
                } else if r.right == table.name {
                    Some(r.left.clone())
                } else {
                    None
                }
            })
            .collect();
        related.sort();
        related.dedup();
        for column in &mut table.columns {
            if !column.foreign_key || column.references.is_some() {
                continue;
            }
            let Some(stem) = column.name.strip_suffix("_id") else {
                continue;
            };
            let target = [&related, &all]
                .into_iter()
                .find_map(|names| infer_among(stem, names));
            if let Some(target) = target.flatten() {
                column.references = Some((target, None));
                column.references_inferred = true;
            }
        }
    }
}

/// A relationship with one "many" side whose table has the column `<one side>_id` (not marked)
/// draws that column's foreign key: mark it, with the "one" side as its target. Names compare
/// without underscores (a class `LineItem` is `lineitem`, its key `line_item_id`). A line that
/// writes no cardinalities (a class diagram's `Order -- Invoice`) may be read either way round.
pub(crate) fn keys_from_relationships(relationships: &[DocRelationship], tables: &mut [DocTable]) {
    let many = |c: Cardinality| matches!(c, Cardinality::ZeroOrMore | Cardinality::OneOrMore);
    for r in relationships {
        let (child, parent) = match (many(r.left_card), many(r.right_card)) {
            (true, false) => (&r.left, &r.right),
            (false, true) => (&r.right, &r.left),
            _ => continue,
        };
        let mut ends = vec![(child, parent)];
        if !r.cardinality_written {
            ends.push((parent, child));
        }
        for (child, parent) in ends {
            if mark_key(tables, child, parent) {
                break;
            }
        }
    }
}

/// Mark the column of `child` that holds a key to `parent` (see [`keys_from_relationships`]);
/// whether one was marked.
fn mark_key(tables: &mut [DocTable], child: &str, parent: &str) -> bool {
    let squash = |s: &str| s.replace('_', "");
    let bare_parent = parent.rsplit('.').next().unwrap_or(parent);
    let wanted: Vec<String> = singular_forms(bare_parent)
        .iter()
        .map(|f| squash(&format!("{f}id")))
        .collect();
    // Else the one column marked FK whose stem and the table's name start alike
    // (`kunde_id` to `kunden`, `klant_id` to `klanten`: plurals the English forms miss).
    let alike = |c: &DocColumn| {
        c.foreign_key
            && c.name.strip_suffix("_id").is_some_and(|stem| {
                stem.chars().count() >= 3
                    && (bare_parent.starts_with(stem) || stem.starts_with(bare_parent))
            })
    };
    let mut marked = false;
    for table in tables.iter_mut().filter(|t| t.name == child) {
        let exact = table.columns.iter().position(|c| {
            c.name.ends_with("id") && wanted.contains(&squash(&c.name)) && c.references.is_none()
        });
        let similar: Vec<usize> = (0..table.columns.len())
            .filter(|&i| alike(&table.columns[i]) && table.columns[i].references.is_none())
            .collect();
        let Some(column) = exact
            .or(match similar.as_slice() {
                [one] => Some(*one),
                _ => None,
            })
            .and_then(|i| table.columns.get_mut(i))
            .filter(|c| c.references.is_none())
        else {
            continue;
        };
        column.foreign_key = true;
        column.references = Some((parent.to_string(), None));
        column.references_inferred = true;
        marked = true;
    }
    marked
}

/// The target for `stem` among `names`: `Some(Some(t))` for a unique match in the first tier
/// that matches at all, `Some(None)` when that tier is ambiguous, `None` when nothing matches.
fn infer_among(stem: &str, names: &[String]) -> Option<Option<String>> {
    let tiers: [&dyn Fn(&str) -> bool; 3] = [
        &|form| stem == form,
        &|form| stem.ends_with(&format!("_{form}")),
        &|form| form.ends_with(&format!("_{stem}")),
    ];
    for tier in tiers {
        let found: Vec<&String> = names
            .iter()
            .filter(|n| singular_forms(n).iter().any(|f| tier(f)))
            .collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Some(Some((*one).clone())),
            _ => return Some(None),
        }
    }
    None
}

/// A table name and its likely singulars (`categories` → `category`, `boxes` → `box`).
pub(crate) fn singular_forms(name: &str) -> Vec<String> {
    let mut forms = vec![name.to_string()];
    if let Some(s) = name.strip_suffix("ies") {
        forms.push(format!("{s}y"));
    }
    if let Some(s) = name.strip_suffix("es") {
        forms.push(s.to_string());
    }
    if let Some(s) = name.strip_suffix('s') {
        forms.push(s.to_string());
    }
    forms
}

pub use crate::sql::types::normalize_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fk_targets_are_inferred_from_names_in_tiers() {
        let column = |name: &str| DocColumn {
            name: name.into(),
            foreign_key: true,
            ..DocColumn::default()
        };
        let table = |name: &str, columns: Vec<DocColumn>| DocTable {
            name: name.into(),
            source: SourceKind::ColumnTable,
            span: TextRange::default(),
            alias: None,
            defined: true,
            columns,
            inferred: false,
            keys: Vec::new(),
        };
        let mut schema = DocSchema {
            tables: vec![
                table(
                    "items",
                    vec![
                        column("order_id"),
                        column("uploaded_by_user_id"),
                        column("job_id"),
                        column("category_id"),
                        column("partner_id"),
                        column("created_by"),
                    ],
                ),
                table("orders", vec![]),
                table("split_orders", vec![]),
                table("users", vec![]),
                table("generation_jobs", vec![]),
                table("categories", vec![]),
            ],
            relationships: vec![],
            indexes: vec![],
            enums: vec![],
        };
        infer_references(&mut schema, &[]);
        let refs: Vec<Option<&str>> = schema.tables[0]
            .columns
            .iter()
            .map(|c| c.references.as_ref().map(|r| r.0.as_str()))
            .collect();
        assert_eq!(
            refs,
            [
                Some("orders"),
                Some("users"),
                Some("generation_jobs"),
                Some("categories"),
                None,
                None
            ]
        );
        assert!(schema.tables[0].columns[0].references_inferred);
        infer_references(&mut schema, &["partners".to_string()]);
        assert_eq!(
            schema.tables[0].columns[4].references,
            Some(("partners".into(), None))
        );
    }

    #[test]
    fn described_names_take_the_sql_spelling() {
        let table = |name: &str, references: Option<&str>| DocTable {
            name: name.into(),
            source: SourceKind::Erd,
            span: TextRange::default(),
            alias: None,
            defined: true,
            inferred: false,
            keys: Vec::new(),
            columns: vec![DocColumn {
                name: "x_id".into(),
                references: references.map(|r| (r.to_string(), None)),
                ..DocColumn::default()
            }],
        };
        let mut schema = DocSchema {
            tables: vec![
                table("customer", None),
                table("orderitem", Some("customer")),
                table("category", None),
                table("users", Some("user")),
                table("audit", None),
            ],
            relationships: vec![DocRelationship {
                left: "customer".into(),
                right: "orderitem".into(),
                left_card: Cardinality::ExactlyOne,
                right_card: Cardinality::ZeroOrMore,
                identifying: true,
                label: None,
                span: TextRange::default(),
                cardinality_written: true,
            }],
            indexes: vec![],
            enums: vec![],
        };
        let sql = [
            "customers",
            "order_items",
            "categories",
            "users",
            "audits",
            "audit_logs",
        ]
        .map(String::from);
        align_names(&mut schema, &sql);
        let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["customers", "order_items", "categories", "users", "audits"]
        );
        assert_eq!(schema.relationships[0].left, "customers");
        assert_eq!(schema.relationships[0].right, "order_items");
        assert_eq!(
            schema.tables[1].columns[0].references,
            Some(("customers".into(), None))
        );
        assert_eq!(
            schema.tables[3].columns[0].references,
            Some(("users".into(), None))
        );
    }
}
