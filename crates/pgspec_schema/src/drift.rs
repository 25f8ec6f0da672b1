//! Drift: where the document's ERDs, column tables and prose disagree with its SQL (DRF001–
//! DRF011, category `drift`). The SQL side is what the SQL actually created: the scratch
//! database's one catalog after `check` ([`SqlSide::from_catalog`]), or, without a server, what the
//! `CREATE TABLE` statements say ([`SqlSide::from_statements`]). Tables and columns pgspec
//! generated itself ([`Synthesis`]) count as missing from the SQL. Every finding carries both
//! spans: the primary label on one side, a secondary label on the other.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::diagnostics::{Category, Code, Diagnostic, Label};
use crate::document::Document;
use crate::postgres::catalog::{Catalog as DbCatalog, ConstraintKind, TableKind};
use crate::sql::tables::SqlForeignKey;
use crate::sql::{ObjectKind, Statement, StatementKind};
use crate::text::TextRange;

use super::model::{Cardinality, DocColumn, DocSchema, SourceKind};
use super::synth::{merged_tables, Merged, Synthesis};

/// The SQL side of the comparison: tables by unqualified name, derived from the one
/// [`crate::postgres::catalog::Catalog`] ([`SqlSide::from_catalog`]) or, without a server,
/// from the statements' text ([`SqlSide::from_statements`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSide {
    pub tables: BTreeMap<String, SqlSideTable>,
    /// Whether this came from a live database (`false`: from the statements' text).
    pub live: bool,
}

/// A table of the [`SqlSide`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSideTable {
    /// Whether the table exists in the database (`false`: read from a statement's text).
    pub in_database: bool,
    pub columns: Vec<SqlSideColumn>,
    pub primary_key: Vec<String>,
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<SqlForeignKey>,
}

/// A column of a [`SqlSideTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlSideColumn {
    pub name: String,
    /// As `format_type` prints it.
    pub pg_type: String,
    pub not_null: bool,
    pub default: Option<String>,
}

impl SqlSideTable {
    fn column(&self, name: &str) -> Option<&SqlSideColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn is_unique(&self, cols: &[String]) -> bool {
        let mut want: Vec<&String> = cols.iter().collect();
        want.sort();
        std::iter::once(&self.primary_key)
            .chain(&self.unique)
            .filter(|k| !k.is_empty())
            .any(|k| {
                let mut have: Vec<&String> = k.iter().collect();
                have.sort();
                have == want
            })
    }
}

impl SqlSide {
    /// The ordinary and partitioned tables of `catalog` (partitions are not tables of the
    /// design), by unqualified name; where names repeat across schemas, `public`'s come first.
    pub fn from_catalog(catalog: &DbCatalog) -> SqlSide {
        let mut tables: BTreeMap<String, SqlSideTable> = BTreeMap::new();
        let mut in_order: Vec<&crate::postgres::catalog::Table> = catalog
            .tables
            .iter()
            .filter(|t| t.kind != TableKind::Foreign && !t.is_partition())
            .collect();
        in_order.sort_by_key(|t| (t.schema != "public", t.schema.clone(), t.name.clone()));
        let mut owner: HashMap<u32, String> = HashMap::new();
        for t in &in_order {
            owner.insert(t.oid, t.name.clone());
            let entry = tables
                .entry(t.name.clone())
                .or_insert_with(|| SqlSideTable {
                    in_database: true,
                    ..SqlSideTable::default()
                });
            for c in &t.columns {
                if entry.column(&c.name).is_some() {
                    continue;
                }
                entry.columns.push(SqlSideColumn {
                    name: c.name.clone(),
                    pg_type: c.type_name.clone(),
                    not_null: c.not_null,
                    default: c.default.clone().or_else(|| c.generated.clone()),
                });
            }
        }
        let column_names = |table_oid: u32, attnums: &[i16]| -> Option<Vec<String>> {
            let t = catalog.table_by_oid(table_oid)?;
            attnums
                .iter()
                .map(|a| {
                    t.columns
                        .iter()
                        .find(|c| c.attnum == *a)
                        .map(|c| c.name.clone())
                })
                .collect()
        };
        for i in &catalog.indexes {
            if !(i.primary || i.unique) || i.predicate.is_some() || i.attnums.contains(&0) {
                continue;
            }
            let Some(t) = owner.get(&i.table_oid).and_then(|n| tables.get_mut(n)) else {
                continue;
            };
            let Some(cols) = column_names(i.table_oid, &i.attnums) else {
                continue;
            };
            if i.primary {
                t.primary_key = cols;
            } else {
                t.unique.push(cols);
            }
        }
        let mut fks: Vec<&crate::postgres::catalog::Constraint> = catalog
            .constraints
            .iter()
            .filter(|k| k.kind == ConstraintKind::ForeignKey && !k.on_partition && !k.inherited)
            .collect();
        fks.sort_by_key(|k| k.oid);
        for k in fks {
            let (Some(t), Some(r)) = (
                owner.get(&k.table_oid).and_then(|n| tables.get_mut(n)),
                k.references.as_ref(),
            ) else {
                continue;
            };
            t.foreign_keys.push(SqlForeignKey {
                columns: k.columns.clone(),
                target: r.table.clone(),
                target_columns: r.columns.clone(),
            });
        }
        SqlSide { tables, live: true }
    }

    /// What the document's own `CREATE TABLE` statements say (generated statements excluded):
    /// the fallback when no database is at hand.
    pub fn from_statements(statements: &[Statement]) -> SqlSide {
        let mut tables = BTreeMap::new();
        for s in statements.iter().filter(|s| s.generated().is_none()) {
            if !matches!(s.kind, StatementKind::Schema) {
                continue;
            }
            let Some(t) = s.created_table() else {
                continue;
            };
            if t.copies_columns && t.columns.is_empty() {
                continue;
            }
            tables
                .entry(t.name.clone())
                .or_insert_with(|| SqlSideTable {
                    in_database: false,
                    columns: t
                        .columns
                        .iter()
                        .map(|c| SqlSideColumn {
                            name: c.name.clone(),
                            pg_type: match c.pg_type.as_str() {
                                "serial" => "integer".into(),
                                "bigserial" => "bigint".into(),
                                "smallserial" => "smallint".into(),
                                other => other.to_string(),
                            },
                            not_null: c.not_null || t.primary_key.contains(&c.name),
                            default: c.has_default.then(String::new),
                        })
                        .collect(),
                    primary_key: t.primary_key.clone(),
                    unique: t.unique.clone(),
                    foreign_keys: t.foreign_keys.clone(),
                });
        }
        SqlSide {
            tables,
            live: false,
        }
    }
}

impl SqlSide {
    /// Add the tables the document's `CREATE TABLE` statements define that the database lacks
    /// (the server refused them): still the SQL's design, compared with the description.
    #[must_use]
    pub fn with_refused_tables(mut self, statements: &[Statement]) -> SqlSide {
        for (name, table) in SqlSide::from_statements(statements).tables {
            self.tables.entry(name).or_insert(table);
        }
        self
    }
}

/// Where the SQL defines a table and its columns, for the SQL-side spans.
struct SqlSpans<'a> {
    doc: &'a Document,
    statements: &'a [Statement],
    /// Unqualified table name → index of the first document statement creating it.
    creators: HashMap<String, usize>,
}

impl<'a> SqlSpans<'a> {
    fn new(doc: &'a Document, statements: &'a [Statement]) -> Self {
        let mut creators = HashMap::new();
        for (i, s) in statements.iter().enumerate() {
            if s.generated().is_some() || !matches!(s.kind, StatementKind::Schema) {
                continue;
            }
            for o in &s.facts.creates {
                if o.kind == ObjectKind::Relation {
                    creators.entry(o.name.to_lowercase()).or_insert(i);
                }
            }
            if !s.facts.parses {
                // MySQL-isms (inline INDEX) keep the parser from reading the name; the server
                // may still have created the table after check's safe fix.
                if let Some(name) = written_table_name(&s.text) {
                    creators.entry(name).or_insert(i);
                }
            }
        }
        Self {
            doc,
            statements,
            creators,
        }
    }

    fn creator(&self, table: &str) -> Option<&'a Statement> {
        self.creators.get(table).map(|&i| &self.statements[i])
    }

    /// The first line of the statement creating `table`.
    fn table(&self, table: &str) -> Option<TextRange> {
        self.creator(table).map(|s| first_line(self.doc, s.range))
    }

    /// The column's name in the `CREATE TABLE`, else the statement's first line.
    fn column(&self, table: &str, column: &str) -> Option<TextRange> {
        let stmt = self.creator(table)?;
        let at = stmt
            .created_table()
            .and_then(|t| t.columns.into_iter().find(|c| c.name == column))
            .and_then(|c| {
                stmt.is_written().then_some(())?;
                let range = stmt.document_range(self.doc, c.offset, column.len());
                (self.doc.text.get(range.as_usize())?.to_lowercase() == column).then_some(range)
            });
        Some(at.unwrap_or_else(|| first_line(self.doc, stmt.range)))
    }
}

/// The unqualified, lowercased name of a `CREATE [UNLOGGED|TEMP] TABLE [IF NOT EXISTS] name`
/// text (comments before it skipped), for statements the parser cannot read. Quoted names are
/// lowercased too: drift compares names the way the descriptions write them.
pub(crate) fn written_table_name(text: &str) -> Option<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ");
    let lower = code.to_lowercase();
    let mut words = lower.split_whitespace();
    if words.next()? != "create" {
        return None;
    }
    let mut word = words.next()?;
    while matches!(word, "unlogged" | "temp" | "temporary" | "or" | "replace") {
        word = words.next()?;
    }
    if word != "table" {
        return None;
    }
    let mut name = words.next()?;
    if name == "if" {
        words.next()?;
        words.next()?;
        name = words.next()?;
    }
    let name = name.split('(').next()?.trim_matches('"');
    let name = name.rsplit('.').next()?.trim_matches('"');
    (!name.is_empty()).then(|| name.to_string())
}

fn first_line(doc: &Document, range: TextRange) -> TextRange {
    let start = range.start as usize;
    let end = doc
        .text
        .get(start..range.end as usize)
        .and_then(|t| t.find('\n'))
        .map_or(range.end, |n| range.start + u32::try_from(n).unwrap_or(0));
    TextRange::new(range.start, end.max(range.start))
}

fn what(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Erd => "ERD entity",
        SourceKind::ColumnTable => "column table",
        SourceKind::Prose => "column list",
    }
}

/// Type equality up to what the description can say: a description without modifiers matches
/// any modifiers (`varchar` ~ `varchar(64)`), `serial` is `integer`, and mermaid's generic
/// `string` is any character type.
fn types_agree(doc_raw: &str, doc_type: &str, sql: &str) -> bool {
    let base = |t: &str| -> String {
        let no_array = t.trim_end_matches("[]");
        match no_array.find('(') {
            Some(open) => {
                let close = no_array[open..]
                    .find(')')
                    .map_or(no_array.len(), |c| open + c + 1);
                format!("{}{}", &no_array[..open], &no_array[close..])
            }
            None => no_array.to_string(),
        }
    };
    let doc_type = match doc_type {
        "serial" => "integer",
        "bigserial" => "bigint",
        "smallserial" => "smallint",
        other => other,
    };
    if doc_type == sql {
        return true;
    }
    let arrays = |t: &str| t.matches("[]").count();
    if arrays(doc_type) != arrays(sql) {
        return false;
    }
    let generic_string = matches!(
        doc_raw.trim().to_lowercase().trim_end_matches("[]"),
        "string" | "str"
    );
    let character = |t: &str| {
        let b = base(t);
        b == "text" || b.starts_with("character") || b == "citext"
    };
    if generic_string && character(sql) {
        return true;
    }
    !doc_type.contains('(') && base(doc_type) == base(sql)
}

/// Every drift between the document's non-SQL schema and `catalog`.
///
/// `server_findings` (the check's diagnostics) supply the server's undefined-column errors on tables only the ERD or a column
/// table defines (a column the SQL uses that the description lacks).
pub fn drift(
    doc: &Document,
    schema: &DocSchema,
    synthesis: &Synthesis,
    statements: &[Statement],
    catalog: &SqlSide,
    server_findings: Option<&[Diagnostic]>,
) -> Vec<Diagnostic> {
    let merged = merged_tables(schema);
    if schema.tables.is_empty() {
        return Vec::new();
    }
    let sql = SqlSpans::new(doc, statements);
    let mut out = Vec::new();
    let generated = &synthesis.generated_tables;
    let line = |r: TextRange| doc.line_index.line(r.start);

    // DRF001: described, never created by SQL.
    for m in &merged {
        let name = bare(&m.table.name);
        if !generated.contains_key(name) {
            continue;
        }
        let mut d = Diagnostic::new(
            Code::TableNotInSql,
            Category::Drift,
            format!(
                "table `{}` is described by the {} but no SQL statement creates it",
                m.table.name,
                what(m.table.source)
            ),
            m.table.span,
        )
        .label("described here only")
        .note("pgspec generated a CREATE TABLE from this description so the statements using the table could be checked")
        .help("add its CREATE TABLE to the document's SQL (`pgspec sql` prints the generated one)");
        if let Some(user) = statements.iter().find(|s| {
            s.generated().is_none()
                && s.facts
                    .references
                    .iter()
                    .any(|r| r.kind == ObjectKind::Relation && r.name.to_lowercase() == name)
        }) {
            d = d.secondary(Label::with_message(
                first_line(doc, user.range),
                "the SQL uses it here",
            ));
        }
        out.push(d);
    }

    // DRF002: created by SQL, described nowhere.
    let described: HashSet<&str> = schema.tables.iter().map(|t| bare(&t.name)).collect();
    let anchor = description_anchor(doc, schema);
    // What the SQL created, and the tables its CREATE TABLE statements define even where the
    // server refused them (they are still part of the SQL's design).
    let mut sql_tables: Vec<String> = catalog.tables.keys().cloned().collect();
    for s in statements.iter().filter(|s| s.generated().is_none()) {
        let name = match s.created_table() {
            Some(t) if !t.partition_of => Some(t.name),
            Some(_) => None,
            None if !s.facts.parses => written_table_name(&s.text)
                .filter(|_| !s.text.to_lowercase().contains("partition of")),
            None => None,
        };
        if let Some(name) = name {
            if !sql_tables.contains(&name) {
                sql_tables.push(name);
            }
        }
    }
    for name in &sql_tables {
        if generated.contains_key(name.as_str()) || described.contains(name.as_str()) {
            continue;
        }
        let Some(at) = sql.table(name) else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::TableNotInErd,
            Category::Drift,
            format!("table `{name}` is created by the SQL but the document's ERD and column tables do not describe it"),
            at,
        )
        .label("created here")
        .help("add it to the ERD (or a column table), or say why it is left out");
        if let Some((range, message)) = &anchor {
            d = d.secondary(Label::with_message(*range, message.clone()));
        }
        out.push(d);
    }

    // Columns, types and keys of tables both sides define.
    for m in &merged {
        let name = bare(&m.table.name);
        if generated.contains_key(name) {
            continue;
        }
        let Some(table) = catalog.tables.get(name) else {
            continue;
        };
        let added: &[String] = synthesis.added_columns.get(name).map_or(&[], Vec::as_slice);
        columns_drift(doc, m, name, table, added, &sql, &mut out);
    }

    relationships_drift(doc, schema, synthesis, catalog, &sql, &mut out);

    if let Some(findings) = server_findings {
        used_columns_drift(doc, &merged, synthesis, statements, findings, &mut out);
    }
    let _ = line;
    out.sort_by_key(|d| (d.primary.range.start, d.code));
    out
}

fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Where the document describes its schema outside SQL: the first ERD block's fence, else the
/// first column table's heading.
fn description_anchor(doc: &Document, schema: &DocSchema) -> Option<(TextRange, String)> {
    if let Some(block) = doc.blocks.iter().find(|b| super::erd::is_erd_block(b)) {
        return Some((
            first_line(doc, block.fence),
            "the ERD does not draw it".into(),
        ));
    }
    schema
        .tables
        .iter()
        .find(|t| t.source != SourceKind::Erd)
        .map(|t| (t.span, "the column tables do not list it".into()))
}

fn columns_drift(
    doc: &Document,
    m: &Merged,
    name: &str,
    table: &SqlSideTable,
    added: &[String],
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let source = what(m.table.source);
    let source_line = doc.line_index.line(m.table.span.start);
    let table_span = sql.table(name);
    for c in &m.columns {
        if added.contains(&c.name) {
            continue; // DRF010 reported the fragment.
        }
        let Some(col) = table.column(&c.name) else {
            let mut d = Diagnostic::new(
                Code::ColumnNotInSql,
                Category::Drift,
                format!(
                    "column `{}.{}` is declared by the {source} but the SQL table has no such column",
                    m.table.name, c.name
                ),
                c.span,
            )
            .label("declared here")
            .help("add the column to the CREATE TABLE, or remove it from the description");
            if let Some(at) = table_span {
                d = d.secondary(Label::with_message(
                    at,
                    format!("`{name}` is created here without it"),
                ));
            }
            out.push(d);
            continue;
        };
        if let Some(doc_type) = &c.pg_type {
            if !types_agree(&c.raw_type, doc_type, &col.pg_type) {
                let mut d = Diagnostic::new(
                    Code::TypeMismatch,
                    Category::Drift,
                    format!(
                        "the {source} gives `{}.{}` the type `{}` but the SQL makes it `{}`",
                        m.table.name, c.name, c.raw_type, col.pg_type
                    ),
                    if c.type_span.is_empty() {
                        c.span
                    } else {
                        c.type_span
                    },
                )
                .label(format!("`{doc_type}` here"))
                .help(format!(
                    "make both say `{}` (the SQL is what the database gets)",
                    col.pg_type
                ));
                if let Some(at) = sql.column(name, &c.name) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("`{}` in the SQL", col.pg_type),
                    ));
                }
                out.push(d);
            }
        }
        key_drift(doc, m, c, table, name, sql, out);
    }
    // SQL columns the description lacks.
    for col in &table.columns {
        if added.contains(&col.name) || m.columns.iter().any(|c| c.name == col.name) {
            continue;
        }
        let Some(at) = sql.column(name, &col.name) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                Code::ColumnNotInErd,
                Category::Drift,
                format!(
                    "column `{name}.{}` is created by the SQL but the {source} at line {source_line} does not declare it",
                    col.name
                ),
                at,
            )
            .label("created here")
            .secondary(Label::with_message(
                m.table.span,
                format!("the {source} has no `{}`", col.name),
            ))
            .help(format!("add `{}` to the {source}", col.name)),
        );
    }
    // PK marked on the SQL side only (the description marks another one, or none while it
    // marks other keys).
    let doc_pk: Vec<String> = m
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.clone())
        .collect();
    let mut sql_pk = table.primary_key.clone();
    sql_pk.sort();
    let mut doc_pk_sorted = doc_pk.clone();
    doc_pk_sorted.sort();
    if !doc_pk.is_empty() && !sql_pk.is_empty() && sql_pk != doc_pk_sorted {
        let first = m
            .columns
            .iter()
            .find(|c| c.primary_key)
            .map_or(m.table.span, |c| c.span);
        let mut d = Diagnostic::new(
            Code::KeyMismatch,
            Category::Drift,
            format!(
                "the {source} makes ({}) the primary key of `{name}` but the SQL's is ({})",
                doc_pk.join(", "),
                table.primary_key.join(", ")
            ),
            first,
        )
        .label("PK here")
        .help("make the PK markers match the SQL's PRIMARY KEY");
        if let Some(at) = sql.column(name, &table.primary_key[0]) {
            d = d.secondary(Label::with_message(at, "the SQL's primary key"));
        }
        out.push(d);
    }
}

fn key_drift(
    _doc: &Document,
    m: &Merged,
    c: &DocColumn,
    table: &SqlSideTable,
    name: &str,
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let source = what(m.table.source);
    let one = [c.name.clone()];
    let problem = if c.primary_key && table.primary_key.is_empty() {
        Some(format!(
            "the {source} marks `{name}.{}` as the primary key but the SQL table has none",
            c.name
        ))
    } else if c.unique && !c.primary_key && !table.is_unique(&one) {
        Some(format!(
            "the {source} marks `{name}.{}` unique but the SQL has no unique constraint on it",
            c.name
        ))
    } else {
        None
    };
    if let Some(message) = problem {
        let mut d = Diagnostic::new(Code::KeyMismatch, Category::Drift, message, c.span)
            .label("key marked here")
            .help("add the constraint to the SQL, or remove the marker");
        if let Some(at) = sql.column(name, &c.name) {
            d = d.secondary(Label::with_message(at, "no such key in the SQL"));
        }
        out.push(d);
    }
}

fn relationships_drift(
    doc: &Document,
    schema: &DocSchema,
    synthesis: &Synthesis,
    catalog: &SqlSide,
    sql: &SqlSpans,
    out: &mut Vec<Diagnostic>,
) {
    let generated = &synthesis.generated_tables;
    let defined = |name: &str| {
        catalog.tables.contains_key(name)
            || sql.creators.contains_key(name)
            || schema
                .tables
                .iter()
                .any(|t| bare(&t.name) == name && t.defined)
    };
    let erd_span = |name: &str| {
        schema
            .tables
            .iter()
            .find(|t| bare(&t.name) == name && t.source == SourceKind::Erd)
            .map(|t| t.span)
    };
    for r in &schema.relationships {
        let (left, right) = (bare(&r.left), bare(&r.right));
        let missing: Vec<&str> = [left, right].into_iter().filter(|n| !defined(n)).collect();
        if !missing.is_empty() {
            for name in &missing {
                let other = if *name == left { right } else { left };
                let mut d = Diagnostic::new(
                    Code::RelationshipToUndefinedEntity,
                    Category::Drift,
                    format!(
                        "the ERD relates `{other}` to `{name}`, which neither the ERD, a column table nor the SQL defines"
                    ),
                    r.span,
                )
                .label(format!("`{name}` exists nowhere"))
                .help(format!("define `{name}` (ERD attributes or SQL), or remove the relationship"));
                if let Some(at) = sql.table(other).or_else(|| erd_span(other)) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("`{other}` has no key to `{name}`"),
                    ));
                }
                out.push(d);
            }
            continue;
        }
        if generated.contains_key(left) || generated.contains_key(right) {
            continue; // DRF001 covers tables only the description defines.
        }
        let (Some(lt), Some(rt)) = (catalog.tables.get(left), catalog.tables.get(right)) else {
            continue;
        };
        // The foreign key: right → left (left is the parent) or left → right.
        let fk_rl = rt.foreign_keys.iter().find(|f| f.target == left);
        let fk_lr = lt.foreign_keys.iter().find(|f| f.target == right);
        let (child, child_table, fk, parent_card, child_card) = match (fk_rl, fk_lr) {
            (Some(f), _) => (right, rt, f, r.left_card, r.right_card),
            (None, Some(f)) => (left, lt, f, r.right_card, r.left_card),
            (None, None) => {
                // The side that should hold the key: the "many" one.
                let child = if matches!(
                    r.right_card,
                    Cardinality::ZeroOrMore | Cardinality::OneOrMore
                ) {
                    right
                } else {
                    left
                };
                let parent = if child == right { left } else { right };
                let mut d = Diagnostic::new(
                    Code::RelationshipWithoutForeignKey,
                    Category::Drift,
                    format!(
                        "the ERD relates `{}` to `{}` but the SQL has no foreign key between them",
                        r.left, r.right
                    ),
                    r.span,
                )
                .label("drawn here")
                .help(format!(
                    "add a REFERENCES {parent} column to `{child}`, or remove the relationship"
                ));
                if let Some(at) = sql.table(child) {
                    d = d.secondary(Label::with_message(
                        at,
                        format!("no key to `{parent}` here"),
                    ));
                }
                out.push(d);
                continue;
            }
        };
        let parent = if child == right { left } else { right };
        let nullable = fk
            .columns
            .iter()
            .any(|c| child_table.column(c).is_some_and(|c| !c.not_null));
        let unique = child_table.is_unique(&fk.columns);
        let cols = fk.columns.join(", ");
        let problem = match (parent_card, child_card) {
            (Cardinality::ExactlyOne, _) if nullable => Some(format!(
                "the ERD says every `{child}` has exactly one `{parent}` but `{child}.{cols}` is nullable"
            )),
            (Cardinality::ZeroOrOne, _) if !nullable => Some(format!(
                "the ERD says a `{child}` may have no `{parent}` but `{child}.{cols}` is NOT NULL"
            )),
            (_, Cardinality::ZeroOrOne | Cardinality::ExactlyOne) if !unique => Some(format!(
                "the ERD says one-to-one but `{child}.{cols}` is not unique, so a `{parent}` can have many"
            )),
            (_, Cardinality::ZeroOrMore | Cardinality::OneOrMore) if unique => Some(format!(
                "the ERD says one-to-many but `{child}.{cols}` is unique, so a `{parent}` has at most one"
            )),
            _ => None,
        };
        if let Some(message) = problem {
            let mut d =
                Diagnostic::new(Code::CardinalityMismatch, Category::Drift, message, r.span)
                    .label("cardinality drawn here")
                    .help("make the crow's feet match the key's nullability and uniqueness");
            if let Some(at) = fk.columns.first().and_then(|c| sql.column(child, c)) {
                d = d.secondary(Label::with_message(at, "the foreign key column"));
            }
            out.push(d);
        }
    }

    // DRF007: foreign keys between ERD entities that the ERD does not draw.
    if schema.relationships.is_empty() {
        return;
    }
    let in_erd: HashSet<&str> = schema
        .tables
        .iter()
        .filter(|t| t.source == SourceKind::Erd)
        .map(|t| bare(&t.name))
        .collect();
    let added = &synthesis.added_columns;
    for (name, table) in &catalog.tables {
        if generated.contains_key(name.as_str()) || !in_erd.contains(name.as_str()) {
            continue;
        }
        for fk in &table.foreign_keys {
            if fk.target == *name || !in_erd.contains(fk.target.as_str()) {
                continue;
            }
            if added
                .get(name)
                .is_some_and(|a| fk.columns.iter().any(|c| a.contains(c)))
            {
                continue;
            }
            let drawn = schema.relationships.iter().any(|r| {
                (bare(&r.left) == name && bare(&r.right) == fk.target)
                    || (bare(&r.right) == name && bare(&r.left) == fk.target)
            });
            if drawn {
                continue;
            }
            let Some(at) = fk.columns.first().and_then(|c| sql.column(name, c)) else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::ForeignKeyWithoutRelationship,
                Category::Drift,
                format!(
                    "the SQL's foreign key `{name}.{}` → `{}` has no relationship in the ERD",
                    fk.columns.join(", "),
                    fk.target
                ),
                at,
            )
            .label("foreign key here")
            .help(format!("draw `{} ||--o{{ {name}` in the ERD", fk.target));
            if let Some(span) = erd_span(name) {
                d = d.secondary(Label::with_message(span, "the ERD entity"));
            }
            out.push(d);
        }
    }
    let _ = doc;
}

/// DRF004 for columns the SQL uses on a table only the description defines (or completes),
/// found from the server's undefined-column errors.
fn used_columns_drift(
    doc: &Document,
    merged: &[Merged],
    synthesis: &Synthesis,
    statements: &[Statement],
    server_findings: &[Diagnostic],
    out: &mut Vec<Diagnostic>,
) {
    for d in server_findings {
        if d.category != Category::UndefinedColumn || !d.code.as_str().starts_with("PG") {
            continue;
        }
        let Some(column) = d.postgres.as_ref().and_then(|p| missing_column(&p.message)) else {
            continue;
        };
        let Some(stmt) = statements.iter().find(|s| {
            s.generated().is_none()
                && s.range.start <= d.primary.range.start
                && d.primary.range.start <= s.range.end
        }) else {
            continue;
        };
        let table = stmt
            .facts
            .references
            .iter()
            .chain(&stmt.facts.creates)
            .filter(|r| r.kind == ObjectKind::Relation)
            .map(|r| r.name.to_lowercase())
            .chain(like_sources(&stmt.text))
            .find_map(|r| {
                let described = synthesis.generated_tables.contains_key(&r)
                    || synthesis.added_columns.contains_key(&r);
                described
                    .then(|| merged.iter().find(|m| bare(&m.table.name) == r))
                    .flatten()
            });
        let Some(m) = table else { continue };
        if m.columns.iter().any(|c| c.name == column) {
            continue;
        }
        let source = what(m.table.source);
        out.push(
            Diagnostic::new(
                Code::ColumnNotInErd,
                Category::Drift,
                format!(
                    "column `{}.{column}` is used by the SQL but the {source} at line {} does not declare it",
                    m.table.name,
                    doc.line_index.line(m.table.span.start)
                ),
                d.primary.range,
            )
            .label("used here")
            .secondary(Label::with_message(
                m.table.span,
                format!("the {source} has no `{column}`"),
            ))
            .help(format!("add `{column}` to the {source} (and to the table's SQL)")),
        );
    }
}

/// `LIKE other` sources of a `CREATE TABLE` (their columns are the other table's).
fn like_sources(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("like ") {
        let after = &rest[at + 5..];
        let word: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            out.push(word);
        }
        rest = after;
    }
    out
}

/// The column an undefined-column message names: `column "x" does not exist`,
/// `column t.x does not exist`, `column "x" named in partition key does not exist`.
fn missing_column(message: &str) -> Option<String> {
    let rest = message.strip_prefix("column ")?;
    let name = if let Some(q) = rest.strip_prefix('"') {
        q.split('"').next()?.to_string()
    } else {
        rest.split_whitespace().next()?.to_string()
    };
    let name = name.rsplit('.').next().unwrap_or(&name).trim_matches('"');
    (!name.is_empty()).then(|| name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_agree_up_to_what_the_description_says() {
        let agree = |raw: &str, sql: &str| {
            let doc = super::super::normalize_type(raw).expect("a type");
            types_agree(raw, &doc, sql)
        };
        assert!(agree("timestamptz", "timestamp with time zone"));
        assert!(!agree("timestamp", "timestamp with time zone"));
        assert!(agree("varchar", "character varying(64)"));
        assert!(!agree("varchar(32)", "character varying(64)"));
        assert!(agree("string", "character varying(50)"));
        assert!(agree("string", "text"));
        assert!(!agree("text", "integer"));
        assert!(agree("decimal", "numeric(10,2)"));
        assert!(agree("serial", "integer"));
        assert!(agree("vector", "vector(1536)"));
        assert!(!agree("text[]", "text"));
        assert!(agree("string[]", "text[]"));
        assert!(!agree("int", "bigint"));
    }

    #[test]
    fn without_a_server_the_create_table_texts_are_the_sql_side() {
        let text = "```mermaid
erDiagram
    A ||--o{ B : has
    A {
        int id PK
        timestamp at
    }
    B {
        int id PK
        int a_id FK
    }
```

```sql
CREATE TABLE a (id int PRIMARY KEY, at timestamptz, extra text);
CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a);
CREATE TABLE c (id int);
```
";
        let (doc, _) = crate::document::read(text.as_bytes());
        let (statements, _) = crate::sql::extract(&doc);
        let (schema, _) = super::super::from_document(&doc);
        let catalog = SqlSide::from_statements(&statements);
        assert!(!catalog.live);
        assert_eq!(catalog.tables["b"].foreign_keys[0].target, "a");
        let found: Vec<(Code, String, String)> = drift(
            &doc,
            &schema,
            &Synthesis::default(),
            &statements,
            &catalog,
            None,
        )
        .iter()
        .map(|d| {
            (
                d.code,
                doc.text[d.primary.range.as_usize()].to_string(),
                doc.text[d.secondary[0].range.as_usize()].to_string(),
            )
        })
        .collect();
        assert_eq!(
            found,
            [
                (Code::TypeMismatch, "timestamp".into(), "at".into()),
                (Code::ColumnNotInErd, "extra".into(), "A".into()),
                (
                    Code::TableNotInErd,
                    "CREATE TABLE c (id int);".into(),
                    "```mermaid".into()
                ),
            ]
        );
    }

    #[test]
    fn written_table_name_reads_unparsable_statements() {
        assert_eq!(
            written_table_name("-- c\nCREATE TABLE IF NOT EXISTS app.\"T\"(id int, INDEX i (id))")
                .as_deref(),
            Some("t")
        );
        assert_eq!(
            written_table_name("create unlogged table s (x int").as_deref(),
            Some("s")
        );
        assert_eq!(written_table_name("CREATE INDEX x ON t (a)"), None);
        assert_eq!(written_table_name(""), None);
    }

    #[test]
    fn missing_column_reads_server_messages() {
        assert_eq!(
            missing_column("column \"created_at\" does not exist").as_deref(),
            Some("created_at")
        );
        assert_eq!(
            missing_column("column v.score does not exist").as_deref(),
            Some("score")
        );
        assert_eq!(
            missing_column("column \"created_at\" named in partition key does not exist")
                .as_deref(),
            Some("created_at")
        );
        assert_eq!(missing_column("relation \"x\" does not exist"), None);
    }
}
