//! A reader for Prisma schemas in ```prisma blocks, read as Prisma's PostgreSQL connector builds
//! them: `model Name { field Type? @attributes … @@attributes }` and `enum Name { … }`.
//!
//! - Scalar types take the connector's columns (`String` → `text`, `DateTime` → `timestamp(3)`,
//!   `Decimal` → `numeric(65,30)`, `Json` → `jsonb`), or the native type of `@db.VarChar(200)`,
//!   `@db.Uuid`, `@db.Timestamptz(6)`; `Type?` is nullable, `Type[]` an array.
//! - Names are kept as written (Prisma quotes them), or taken from `@map("…")`/`@@map("…")`.
//! - `@id`, `@unique`, `@@id([a, b])`, `@@unique([a, b])`; `@default(autoincrement())` is a
//!   serial type, `now()` and `dbgenerated("…")` database defaults; `uuid()`, `cuid()` and
//!   `@updatedAt` are filled in by Prisma's client, so the column has no default (noted).
//! - A relation field (`author User @relation(fields: [authorId], references: [id])`) is no
//!   column: it makes `authorId` a foreign key to the model's table and column, with its
//!   `onDelete:` action.
//! - An `enum`'s values make its columns `text` with a CHECK, as DBML's do.
//!
//! Implicit many-to-many relations (a list on both sides, no `fields`) are Prisma's own join
//! tables and are not read. A line the reader cannot use is skipped; it never panics.

use std::collections::HashMap;

use crate::document::CodeBlock;
use crate::erd::range;
use crate::sql::quote::quote_literal;

use super::model::{normalize_type, DocColumn, DocTable, SourceKind, StatedKey};

/// Whether a block is a Prisma schema.
pub fn is_prisma_block(block: &CodeBlock) -> bool {
    block.lang == "prisma"
}

/// A field of a model as written, before names and relations are resolved.
struct Field {
    name: String,
    /// The type's name without `?` or `[]`.
    type_name: String,
    optional: bool,
    list: bool,
    /// `@…` attributes in order, each as its name and argument text (`("default", "now()")`).
    attributes: Vec<(String, String)>,
    /// Offsets in the block: the field's name, its type.
    name_at: usize,
    type_at: usize,
}

/// A model as written.
struct Model {
    name: String,
    name_at: usize,
    fields: Vec<Field>,
    /// `@@…` attributes, as fields' are, with their offset in the block.
    attributes: Vec<(String, String, usize)>,
}

/// The tables of one Prisma schema, with ranges in the text.
pub fn parse(code: &str) -> Vec<DocTable> {
    let (models, enums) = declarations(code);
    let table_name = |m: &Model| -> String {
        let mapped = attribute(&m.attributes, "map").and_then(first_string);
        let name = mapped.unwrap_or_else(|| m.name.clone());
        match attribute(&m.attributes, "schema").and_then(first_string) {
            Some(schema) => format!("{schema}.{name}"),
            None => name,
        }
    };
    let column_name = |f: &Field| -> String {
        f.attributes
            .iter()
            .find(|(a, _)| a == "map")
            .and_then(|(_, args)| first_string(args))
            .unwrap_or_else(|| f.name.clone())
    };
    let by_name: HashMap<&str, &Model> = models.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut tables = Vec::new();
    for model in &models {
        let mut table = DocTable {
            name: table_name(model),
            source: SourceKind::Prisma,
            span: range(model.name_at, model.name_at + model.name.len()),
            alias: None,
            defined: true,
            columns: Vec::new(),
            inferred: false,
            keys: Vec::new(),
        };
        // Relation fields first: they say which scalar fields are foreign keys.
        let mut references: HashMap<String, (String, Option<String>)> = HashMap::new();
        let mut on_delete: HashMap<String, String> = HashMap::new();
        for field in &model.fields {
            let Some(target) = by_name.get(field.type_name.as_str()) else {
                continue;
            };
            let Some((_, args)) = field.attributes.iter().find(|(a, _)| a == "relation") else {
                continue;
            };
            let (from, to) = (
                list_argument(args, "fields"),
                list_argument(args, "references"),
            );
            // One column to one column; a composite key's relation has no single target.
            if let ([from], [to]) = (from.as_slice(), to.as_slice()) {
                let to_column = target
                    .fields
                    .iter()
                    .find(|f| &f.name == to)
                    .map_or_else(|| to.clone(), column_name);
                references.insert(from.clone(), (table_name(target), Some(to_column)));
                if let Some(action) = referential_action(args, "onDelete") {
                    on_delete.insert(from.clone(), action.to_owned());
                }
            }
        }
        for field in &model.fields {
            if by_name.contains_key(field.type_name.as_str())
                || field.attributes.iter().any(|(a, _)| a == "ignore")
            {
                continue;
            }
            let mut column = scalar_column(field, enums.get(&field.type_name));
            column.name = column_name(field);
            if let Some(target) = references.remove(&field.name) {
                column.foreign_key = true;
                column.references = Some(target);
                column.on_delete = on_delete.remove(&field.name);
            }
            table.columns.push(column);
        }
        for (attribute, args, at) in &model.attributes {
            let primary = attribute == "id";
            let index = attribute == "index";
            if !primary && !index && attribute != "unique" {
                continue;
            }
            let columns: Vec<String> = list_argument(args, "fields")
                .iter()
                .map(|f| {
                    model
                        .fields
                        .iter()
                        .find(|x| &x.name == f)
                        .map_or_else(|| f.clone(), column_name)
                })
                .collect();
            if !columns.is_empty() {
                table.keys.push(StatedKey {
                    primary,
                    index,
                    columns,
                    name: None,
                    span: range(*at, *at + attribute.len() + 2),
                });
            }
        }
        tables.push(table);
    }
    tables
}

/// The column a scalar field is (its name is set by the caller).
fn scalar_column(field: &Field, enum_values: Option<&Vec<String>>) -> DocColumn {
    let native = field
        .attributes
        .iter()
        .find_map(|(a, args)| a.strip_prefix("db.").map(|t| native_type(t, args)));
    let base = match native {
        Some(t) => t,
        None => connector_type(&field.type_name),
    };
    let pg_type =
        base.as_deref()
            .and_then(normalize_type)
            .map(|t| if field.list { format!("{t}[]") } else { t });
    let mut column = DocColumn {
        name: field.name.clone(),
        raw_type: format!("{}{}", field.type_name, if field.list { "[]" } else { "" }),
        pg_type,
        not_null: Some(!field.optional),
        span: range(field.name_at, field.name_at + field.name.len()),
        type_span: range(field.type_at, field.type_at + field.type_name.len()),
        ..DocColumn::default()
    };
    if let Some(values) = enum_values {
        // Generated as `text` with a CHECK; the type's name is kept in the note.
        column.enum_values = values.clone();
        column.comment = Some(format!("enum {}", field.type_name));
        column.raw_type = "enum".into();
        column.pg_type = None;
    }
    let mut notes = Vec::new();
    for (attribute, args) in &field.attributes {
        match attribute.as_str() {
            "id" => column.primary_key = true,
            "unique" => column.unique = true,
            "updatedAt" => notes.push("set by Prisma's client on every update".to_string()),
            "default" => match default_sql(args, enum_values.is_some()) {
                Default::Sql(sql) => column.default = Some(sql),
                Default::Serial => column.make_serial(),
                Default::Client(function) => {
                    notes.push(format!("{function} is generated by Prisma's client"))
                }
            },
            _ => {}
        }
    }
    if !notes.is_empty() {
        let note = notes.join("; ");
        column.comment = Some(match column.comment.take() {
            Some(c) => format!("{c}; {note}"),
            None => note,
        });
    }
    column
}

/// What a `@default(…)` is in the database.
enum Default {
    Sql(String),
    /// `autoincrement()`: the column is a serial type.
    Serial,
    /// `uuid()`, `cuid()`, `nanoid()`: the client fills it in; nothing in the database.
    Client(String),
}

fn default_sql(args: &str, enum_column: bool) -> Default {
    let value = args.trim();
    let call = value.split('(').next().unwrap_or("").trim();
    match call {
        "autoincrement" => Default::Serial,
        "now" => Default::Sql("CURRENT_TIMESTAMP".into()),
        "dbgenerated" => match first_string(value) {
            Some(sql) => Default::Sql(sql),
            None => Default::Client(value.to_string()),
        },
        "uuid" | "cuid" | "nanoid" | "ulid" => Default::Client(format!("{call}()")),
        _ if value.starts_with('"') => {
            Default::Sql(quote_literal(&first_string(value).unwrap_or_default()))
        }
        // An enum's value (`USER`) is a string in the database.
        _ if enum_column => Default::Sql(quote_literal(value)),
        // A list default (`[]`, `["a"]`): an array literal.
        _ if value.starts_with('[') => {
            let items: Vec<String> = value
                .trim_matches(['[', ']'])
                .split(',')
                .map(|v| v.trim().trim_matches('"').replace('"', "\\\""))
                .filter(|v| !v.is_empty())
                .map(|v| format!("\"{v}\""))
                .collect();
            Default::Sql(quote_literal(&format!("{{{}}}", items.join(","))))
        }
        _ => Default::Sql(value.to_string()),
    }
}

/// The column type Prisma's PostgreSQL connector gives a scalar type.
fn connector_type(name: &str) -> Option<String> {
    Some(
        match name {
            "String" => "text",
            "Boolean" => "boolean",
            "Int" => "integer",
            "BigInt" => "bigint",
            "Float" => "double precision",
            "Decimal" => "numeric(65,30)",
            "DateTime" => "timestamp(3)",
            "Json" => "jsonb",
            "Bytes" => "bytea",
            _ => return None,
        }
        .to_string(),
    )
}

/// `@db.VarChar(200)` → `varchar(200)`; `@db.DoublePrecision` → `double precision`.
fn native_type(name: &str, args: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let base = match lower.as_str() {
        "doubleprecision" => "double precision",
        "bytea" => "bytea",
        other => other,
    };
    let args = args.trim();
    Some(if args.is_empty() {
        base.to_string()
    } else {
        format!("{base}({args})")
    })
}

/// The first attribute `name` among `attributes`, its arguments.
fn attribute<'a>(attributes: &'a [(String, String, usize)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(a, _, _)| a == name)
        .map(|(_, args, _)| args.as_str())
}

/// The SQL of a referential action argument (`onDelete: Cascade` → `CASCADE`).
fn referential_action(args: &str, name: &str) -> Option<&'static str> {
    let at = args.find(&format!("{name}:"))? + name.len() + 1;
    let word: String = args[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    match word.as_str() {
        "Cascade" => Some("CASCADE"),
        "SetNull" => Some("SET NULL"),
        "SetDefault" => Some("SET DEFAULT"),
        "Restrict" => Some("RESTRICT"),
        "NoAction" => Some("NO ACTION"),
        _ => None,
    }
}

/// The first `"string"` of an argument list.
fn first_string(args: &str) -> Option<String> {
    let open = args.find('"')?;
    let close = open + 1 + args[open + 1..].find('"')?;
    Some(args[open + 1..close].to_string())
}

/// The names of a list argument: `fields: [a, b]` (or the first, unnamed list: `[a, b]`).
fn list_argument(args: &str, name: &str) -> Vec<String> {
    let start = match args.find(&format!("{name}:")) {
        Some(at) => at,
        None if args.trim_start().starts_with('[') => 0,
        None => return Vec::new(),
    };
    let Some(open) = args[start..].find('[').map(|i| start + i) else {
        return Vec::new();
    };
    let Some(close) = args[open..].find(']').map(|i| open + i) else {
        return Vec::new();
    };
    args[open + 1..close]
        .split(',')
        // `name(sort: Desc)`, `name(length: 10)`: the field's name.
        .map(|f| f.split('(').next().unwrap_or("").trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// The models and enums of the text, in order.
fn declarations(code: &str) -> (Vec<Model>, HashMap<String, Vec<String>>) {
    let mut models = Vec::new();
    let mut enums: HashMap<String, Vec<String>> = HashMap::new();
    let mut current: Option<(&str, String, usize)> = None;
    let mut offset = 0;
    for raw in code.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let body = strip_comment(raw.trim_end_matches(['\n', '\r']));
        let trimmed = body.trim();
        let at = line_start + (body.len() - body.trim_start().len());
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('}') {
            current = None;
            continue;
        }
        let mut words = trimmed.split_whitespace();
        let first = words.next().unwrap_or("");
        match &current {
            None => {
                if !trimmed.ends_with('{') {
                    continue;
                }
                let name = words.next().unwrap_or("").trim_end_matches('{');
                let name_at = at + trimmed.find(name).unwrap_or(0);
                current = Some(match first {
                    "model" if is_name(name) => {
                        models.push(Model {
                            name: name.to_string(),
                            name_at,
                            fields: Vec::new(),
                            attributes: Vec::new(),
                        });
                        ("model", name.to_string(), name_at)
                    }
                    "enum" if is_name(name) => {
                        enums.insert(name.to_string(), Vec::new());
                        ("enum", name.to_string(), name_at)
                    }
                    // `datasource`, `generator`, `type`, `view`: read past.
                    _ => ("other", String::new(), at),
                });
            }
            Some(("enum", name, _)) => {
                if is_name(first) {
                    if let Some(values) = enums.get_mut(name) {
                        values.push(first.to_string());
                    }
                }
            }
            Some(("model", _, _)) => {
                let Some(model) = models.last_mut() else {
                    continue;
                };
                if let Some(rest) = trimmed.strip_prefix("@@") {
                    for (name, args) in attributes(&format!("@{rest}")) {
                        model.attributes.push((name, args, at));
                    }
                } else if let Some(field) = field(body, line_start) {
                    model.fields.push(field);
                }
            }
            Some(_) => {}
        }
    }
    (models, enums)
}

/// `name Type? @a @b(…)` at `line_start` in the block.
fn field(line: &str, line_start: usize) -> Option<Field> {
    let lead = line.len() - line.trim_start().len();
    let text = line.trim_start();
    let name_len = text.find(char::is_whitespace)?;
    let name = &text[..name_len];
    if !is_name(name) {
        return None;
    }
    let after = &text[name_len..];
    let type_offset = name_len + (after.len() - after.trim_start().len());
    let rest = &text[type_offset..];
    let type_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let written = &rest[..type_len];
    let list = written.ends_with("[]");
    let optional = written.ends_with('?');
    let type_name = written.trim_end_matches("[]").trim_end_matches('?');
    // `Unsupported("vector(3)")`: a type Prisma has no name for.
    let type_name = if let Some(inner) = type_name.strip_prefix("Unsupported(") {
        first_string(inner).unwrap_or_default()
    } else {
        type_name.to_string()
    };
    if type_name.is_empty() {
        return None;
    }
    Some(Field {
        name: name.to_string(),
        type_name,
        optional,
        list,
        attributes: attributes(&rest[type_len..]),
        name_at: line_start + lead,
        type_at: line_start + lead + type_offset,
    })
}

/// `@id @default(now()) @db.VarChar(40)` → `[("id", ""), ("default", "now()"), ("db.VarChar",
/// "40")]`.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        let name = after[..name_len].to_string();
        let mut consumed = at + 1 + name_len;
        let mut args = String::new();
        if after[name_len..].starts_with('(') {
            if let Some(close) = closing_paren(&after[name_len..]) {
                args = after[name_len + 1..name_len + close].to_string();
                consumed += close + 1;
            }
        }
        if !name.is_empty() {
            out.push((name, args));
        }
        rest = &rest[consumed.min(rest.len())..];
    }
    out
}

/// The offset of the `)` that closes the `(` at 0, outside strings.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `line` without a `//` comment (outside strings).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '/' if !in_string && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = c;
    }
    line
}

fn is_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOG: &str = r#"generator client {
  provider = "prisma-client-js"
}

/// People who write.
model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique @db.VarChar(320)
  name      String?
  role      Role     @default(USER)
  posts     Post[]
  createdAt DateTime @default(now()) @map("created_at") // when
  @@map("users")
}

model Post {
  id        String   @id @default(uuid()) @db.Uuid
  title     String
  tags      String[] @default([])
  author    User     @relation(fields: [authorId], references: [id], onDelete: Cascade)
  authorId  Int      @map("author_id")
  score     Decimal  @db.Decimal(10, 2)
  updatedAt DateTime @updatedAt

  @@unique([title, authorId])
  @@index([authorId])
}

enum Role {
  USER
  ADMIN // can do anything
}
"#;

    #[test]
    fn models_fields_attributes_relations_and_enums_are_read() {
        let tables = parse(BLOG);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "Post"]);
        let users = &tables[0];
        assert_eq!(&BLOG[users.span.as_usize()], "User");
        let columns: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "email", "name", "role", "created_at"]);
        let id = &users.columns[0];
        assert!(id.primary_key);
        assert_eq!(id.pg_type.as_deref(), Some("serial"));
        assert_eq!(&BLOG[id.type_span.as_usize()], "Int");
        let email = &users.columns[1];
        assert!(email.unique);
        assert_eq!(email.not_null, Some(true));
        assert_eq!(email.pg_type.as_deref(), Some("character varying(320)"));
        assert_eq!(users.columns[2].not_null, Some(false));
        assert_eq!(users.columns[3].enum_values, ["USER", "ADMIN"]);
        assert_eq!(users.columns[3].default.as_deref(), Some("'USER'"));
        let created = &users.columns[4];
        assert_eq!(&BLOG[created.span.as_usize()], "createdAt");
        assert_eq!(created.default.as_deref(), Some("CURRENT_TIMESTAMP"));
        assert_eq!(
            created.pg_type.as_deref(),
            Some("timestamp(3) without time zone")
        );

        let post = &tables[1];
        let columns: Vec<&str> = post.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            columns,
            ["id", "title", "tags", "author_id", "score", "updatedAt"]
        );
        assert_eq!(post.columns[0].pg_type.as_deref(), Some("uuid"));
        assert_eq!(post.columns[0].default, None);
        assert!(post.columns[0]
            .comment
            .as_deref()
            .is_some_and(|c| c.contains("uuid() is generated by Prisma's client")));
        assert_eq!(post.columns[2].pg_type.as_deref(), Some("text[]"));
        assert_eq!(post.columns[2].default.as_deref(), Some("'{}'"));
        assert_eq!(
            post.columns[3].references,
            Some(("users".into(), Some("id".into())))
        );
        assert_eq!(post.columns[3].on_delete.as_deref(), Some("CASCADE"));
        assert_eq!(post.columns[4].pg_type.as_deref(), Some("numeric(10,2)"));
        assert_eq!(post.keys.len(), 2);
        assert_eq!(post.keys[0].columns, ["title", "author_id"]);
        assert!(!post.keys[0].primary && !post.keys[0].index);
        // `@@index([authorId])`: an index over the mapped column.
        assert_eq!(post.keys[1].columns, ["author_id"]);
        assert!(post.keys[1].index);
    }

    #[test]
    fn composite_ids_schemas_and_database_defaults() {
        let tables = parse(
            "model Member {\n  orgId Int\n  userId Int\n  since DateTime @default(dbgenerated(\"now() - interval '1 day'\")) @db.Timestamptz(6)\n  @@id([orgId, userId])\n  @@schema(\"crm\")\n}\n",
        );
        assert_eq!(tables[0].name, "crm.Member");
        assert!(tables[0].keys[0].primary);
        assert_eq!(tables[0].keys[0].columns, ["orgId", "userId"]);
        let since = &tables[0].columns[2];
        assert_eq!(since.default.as_deref(), Some("now() - interval '1 day'"));
        assert_eq!(
            since.pg_type.as_deref(),
            Some("timestamp(6) with time zone")
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "model {",
            "model X {\n  id\n",
            "model X {\n  id Int @default(\n  a B @relation(fields: [\n}",
            "}}}\nenum {\n}\nmodel Y {\n @@id([\n @@map(\"\n}",
            "model Z {\n  v Unsupported(\"vector(3)\")?\n  w Unsupported(\n}",
            "model é {\n  ß String @map(\"straße\") @db.\n}",
        ] {
            let _ = parse(text);
        }
    }
}
