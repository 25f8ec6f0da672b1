//! Why did PostgreSQL reject a statement? Map a server error (SQLSTATE + message) and the
//! statement to a [`Category`], a help text, and the objects the error says are missing.

use crate::diagnostics::{Category, PgDetails};
use crate::sql::ast::{pb, NodeEnum};
use crate::sql::{Statement, StatementKind};

pub use super::verdict::{quoted_names, Verdict};

/// Schemas that only a hosted platform (Supabase) provides.
const PLATFORM_SCHEMAS: &[&str] = &[
    "auth",
    "net",
    "storage",
    "realtime",
    "supabase_functions",
    "extensions",
    "vault",
    "graphql",
    "graphql_public",
    "pgsodium",
];

/// Object names (lowercase) that only a platform provides.
const PLATFORM_OBJECTS: &[&str] = &["supabase_realtime", "authenticated", "anon", "service_role"];

use crate::sql::extensions::{EXTENSION_PROVIDERS, UNAVAILABLE_EXTENSION_NOTES};

/// Names (lowercase, unqualified) that a "does not exist" style error reports missing, with the
/// schema when the message gave one. Used for cascades and forward references.
pub fn missing_names(err: &PgDetails) -> Vec<(Option<String>, String)> {
    let code = err.sqlstate.as_str();
    let relevant = matches!(
        code,
        "42P01" | "42883" | "3F000" | "42704" | "42703" | "42P02" | "2BP01" | "42809"
    ) || err.message.contains("does not exist");
    if !relevant {
        return Vec::new();
    }
    let mut out = Vec::new();
    for quoted in quoted_names(&err.message) {
        // `function foo(integer) does not exist` quotes nothing; handled below.
        let (schema, name) = split_qualified(&quoted);
        out.push((schema, name));
    }
    if code == "42883" {
        if let Some(sig) = err
            .message
            .strip_prefix("function ")
            .or_else(|| err.message.strip_prefix("procedure "))
        {
            let name = sig.split('(').next().unwrap_or(sig).trim();
            out.push(split_qualified(name));
        }
    }
    if code == "42704" {
        // A function's argument type: `type vector does not exist` quotes nothing.
        if let Some(name) = err
            .message
            .strip_prefix("type ")
            .and_then(|rest| rest.strip_suffix(" does not exist"))
            .filter(|name| !name.starts_with('"'))
        {
            out.push(split_qualified(name));
        }
    }
    if let Some(table) = &err.table {
        out.push((err.schema.clone(), table.to_lowercase()));
    }
    out.retain(|(_, n)| !n.is_empty());
    out.dedup();
    out
}

fn split_qualified(name: &str) -> (Option<String>, String) {
    let name = name.trim().trim_matches('"');
    match name.rsplit_once('.') {
        Some((schema, n)) => (
            Some(schema.trim_matches('"').to_lowercase()),
            n.trim_matches('"').to_lowercase(),
        ),
        None => (None, name.to_lowercase()),
    }
}

/// The extension that provides the object a statement uses (as [`extension_for`] matches the
/// names in an error): a fix creates it when the statement fails for want of the object.
pub(super) fn extension_providing(object: &crate::sql::ObjectName) -> Option<&'static str> {
    EXTENSION_PROVIDERS
        .iter()
        .find(|(needle, _)| object.schema.as_deref() == Some(needle) || object.name == *needle)
        .map(|(_, ext)| *ext)
}

fn extension_for(names: &[(Option<String>, String)], message: &str) -> Option<&'static str> {
    let lower = message.to_lowercase();
    if lower.contains("no default operator class for access method \"gist\"") {
        return Some("btree_gist");
    }
    if lower.contains("no default operator class for access method \"gin\"") {
        return Some("btree_gin");
    }
    for (schema, name) in names {
        for (needle, ext) in EXTENSION_PROVIDERS {
            if schema.as_deref() == Some(needle) || name == needle {
                return Some(ext);
            }
        }
    }
    None
}

fn is_system_view(name: &str) -> bool {
    name.starts_with("pg_stat")
        || name.starts_with("pg_statio")
        || name.starts_with("pg_catalog")
        || name.starts_with("information_schema")
        || matches!(
            name,
            "pg_class"
                | "pg_index"
                | "pg_indexes"
                | "pg_tables"
                | "pg_locks"
                | "pg_settings"
                | "pg_roles"
                | "pg_namespace"
                | "pg_attribute"
                | "pg_constraint"
                | "pg_proc"
        )
}

/// Categorize a rejected statement (that is neither a cascade nor a forward reference).
pub fn categorize(stmt: &Statement, err: &PgDetails) -> Verdict {
    let names = missing_names(err);
    let msg = err.message.as_str();
    let lower_msg = msg.to_lowercase();
    let stmt_lower = stmt.text.to_lowercase();
    let verdict = |category: Category, help: String| Verdict {
        category,
        help,
        extension: None,
        focus: None,
    };

    if let Some(v) = super::sample_rows::verdict(stmt, err) {
        return v;
    }
    // A `cron.schedule(...)` is validated, never run: what fails is its timing, pg_cron itself
    // or its command (a command naming what does not exist is categorized by those names).
    if stmt.cron_schedule().is_some() && names.is_empty() {
        return verdict(
            Category::CronJob,
            "pg_cron runs the job's command in the database on this schedule; fix the schedule or the command so that it runs on the document's schema".into(),
        );
    }

    // An inline `INDEX name (cols)` parses as a column of type `name`, so the server may report
    // a syntax error at a later token or a missing type: either way it is the inline index.
    let creates_table = match stmt.first_node() {
        Some(node) => matches!(node, NodeEnum::CreateStmt(_)),
        // Without a tree (the usual case: the inline index is what does not parse), words.
        None => {
            let head = stmt_lower.trim_start();
            head.starts_with("create table") || head.starts_with("create unlogged table")
        }
    };
    if creates_table {
        if let Some(offset) = inline_index_offset(&stmt.text) {
            return Verdict {
                category: Category::InlineIndex,
                help: "PostgreSQL has no inline `INDEX name (cols)` in CREATE TABLE; move it out as `CREATE INDEX name ON table (cols);` after the table".into(),
                extension: None,
                focus: Some(offset),
            };
        }
    }

    // Missing extension objects come first: the same SQLSTATEs mean other things otherwise.
    let platform_schema = names
        .iter()
        .filter_map(|(s, n)| {
            s.as_deref()
                .filter(|s| PLATFORM_SCHEMAS.contains(s))
                .or_else(|| {
                    (err.sqlstate == "3F000" && PLATFORM_SCHEMAS.contains(&n.as_str()))
                        .then_some(n.as_str())
                })
        })
        .next();
    if let Some(schema) = platform_schema {
        return verdict(
            Category::PlatformObject,
            format!(
                "`{schema}` is provided by Supabase, not by PostgreSQL; `pgspec up` provides a compatibility shim where one exists, otherwise create it yourself"
            ),
        );
    }
    if names
        .iter()
        .any(|(_, n)| PLATFORM_OBJECTS.contains(&n.as_str()))
    {
        return verdict(
            Category::PlatformObject,
            "this object is created by Supabase, not by PostgreSQL; create it (e.g. `CREATE PUBLICATION supabase_realtime;`) or drop the statement outside Supabase".into(),
        );
    }
    if let Some(ext) = extension_for(&names, msg) {
        let unavailable = UNAVAILABLE_EXTENSION_NOTES.iter().find(|(e, _)| *e == ext);
        let help = match unavailable {
            Some((_, note)) => (*note).to_string(),
            None => format!(
                "add `CREATE EXTENSION IF NOT EXISTS {};` before this statement",
                crate::sql::quote::quote_ident(ext)
            ),
        };
        return Verdict {
            category: Category::MissingExtension,
            help,
            extension: Some(ext.to_string()),
            focus: None,
        };
    }
    if err.sqlstate == "58P01"
        || lower_msg.contains("extension control file")
        || lower_msg.contains("is not available") && about_extension(stmt, &stmt_lower)
    {
        let created = created_extension(stmt);
        let known = created
            .as_deref()
            .and_then(|name| UNAVAILABLE_EXTENSION_NOTES.iter().find(|(e, _)| *e == name));
        let help = match (known, &created) {
            (Some((_, note)), _) => (*note).to_string(),
            (None, Some(name)) => format!(
                "the extension `{name}` is not installed on this server; install its package (on Debian `{}`) or remove the dependency",
                debian_package(name)
            ),
            (None, None) => "the extension is not installed on this server; install its package or remove the dependency".into(),
        };
        return Verdict {
            category: Category::MissingExtension,
            help,
            extension: created,
            focus: None,
        };
    }

    if lower_msg.contains("must include all partitioning columns") {
        return verdict(
            Category::PartitionKey,
            "add the partition key column to the PRIMARY KEY / UNIQUE constraint (e.g. `PRIMARY KEY (id, created_at)`); note that uniqueness is then only enforced per partition key value".into(),
        );
    }
    if lower_msg.contains("is not partitioned") {
        return verdict(
            Category::NotPartitioned,
            "declare the parent with `PARTITION BY RANGE (...)` (or drop the `PARTITION OF` clause)".into(),
        );
    }
    if lower_msg.contains("generation expression is not immutable")
        || lower_msg.contains("generated column")
    {
        let help = generated::Cause::of(stmt).help();
        return verdict(Category::GeneratedColumn, help.into());
    }
    if lower_msg.contains("must be marked immutable") {
        let unique = matches!(
            stmt.first_node(),
            Some(crate::sql::ast::NodeEnum::IndexStmt(i)) if i.unique
        );
        let help = if unique && lower_msg.contains("predicate") {
            "index predicates must be IMMUTABLE: `now()`/`current_date` change over time, so a row would leave the index without being written; a unique index cannot hold a rule that depends on the time"
        } else {
            "index predicates and expressions must be IMMUTABLE: `now()`/`current_date` change over time; drop the time condition from the index predicate and keep it in the query"
        };
        return verdict(Category::NonImmutable, help.into());
    }
    if lower_msg.contains("text search configuration") {
        return verdict(
            Category::MissingTsConfig,
            "PostgreSQL ships no 'korean' text search configuration; use 'simple' (or install a Korean parser such as textsearch_ko)".into(),
        );
    }
    if err.sqlstate == "42704" && lower_msg.starts_with("role ") {
        return verdict(
            Category::MissingRole,
            "create the role first, e.g. `CREATE ROLE name NOLOGIN;`".into(),
        );
    }
    if err.sqlstate == "3D000"
        || lower_msg.starts_with("database ") && lower_msg.contains("does not exist")
    {
        return verdict(
            Category::MissingDatabase,
            "the document names a database that pgspec does not apply to; write database-level settings without a database name (they belong in deployment), or name the database with `--db`".into(),
        );
    }
    if matches!(
        err.sqlstate.as_str(),
        "42P07" | "42710" | "42723" | "42P06" | "42712" | "42P04"
    ) || lower_msg.contains("already exists")
    {
        return verdict(
            Category::DuplicateObject,
            "the document defines this object twice; remove one definition (or use `IF NOT EXISTS` / `CREATE OR REPLACE`)".into(),
        );
    }
    if err.sqlstate == "42703" {
        let system = names.iter().any(|(_, n)| is_system_view(n))
            || stmt
                .facts
                .references
                .iter()
                .any(|r| is_system_view(&r.name) || r.schema.as_deref() == Some("pg_catalog"))
            // The references above come from the tree; words only for text without one.
            || (!stmt.facts.parses && stmt_lower.contains("pg_stat_"));
        if system {
            return verdict(
                Category::SystemViewColumn,
                "pg_stat_* views name their columns `relname` / `indexrelname` / `schemaname` (not `tablename` / `indexname`); see the PostgreSQL 15 docs for the view".into(),
            );
        }
        if stmt.kind == StatementKind::Example && stmt.facts.param_count > 0 {
            return verdict(
                Category::UndefinedColumn,
                "the example query uses a column the schema does not have".into(),
            );
        }
        return verdict(
            Category::UndefinedColumn,
            "add the column to the table definition, or fix the column name".into(),
        );
    }
    if err.sqlstate == "42601" {
        return syntax_verdict(stmt, err);
    }
    if err.sqlstate == "42830" {
        return verdict(
            Category::ForeignKeyTarget,
            "the referenced columns are not a PRIMARY KEY or UNIQUE constraint; if the target is partitioned, its key includes the partition column: reference both columns (composite FK) or enforce the reference in the application — a human decision".into(),
        );
    }
    if err.sqlstate == "42P01" {
        if names.iter().any(|(_, n)| is_system_view(n)) {
            return verdict(
                Category::SystemViewColumn,
                "this system view does not exist in PostgreSQL 15".into(),
            );
        }
        let help = super::verdict::missing_sequence_help(stmt, err).unwrap_or_else(|| "no statement of the document creates this table; add its CREATE TABLE (it may exist only in an ERD or a column table)".into());
        return verdict(Category::UndefinedTable, help);
    }
    if err.sqlstate == "42883" {
        return verdict(
            Category::UndefinedFunction,
            "no function with this name and argument types exists; define it before use or cast the arguments".into(),
        );
    }
    if err.message == "cannot determine type of empty array" {
        return verdict(
            Category::DatatypeMismatch,
            "an empty `ARRAY[]` has no element type to infer: write `'{}'` (typed by its column) or `ARRAY[]::text[]`".into(),
        );
    }
    if matches!(err.sqlstate.as_str(), "42P02" | "42P18" | "08P01")
        || lower_msg.contains("parameter $")
    {
        return verdict(
            Category::ExampleQuery,
            "this statement uses bind parameters (`$1`); it is an example query, not schema — bind values or move it to an example block".into(),
        );
    }
    if matches!(
        err.sqlstate.as_str(),
        "22P02" | "22007" | "22008" | "42804" | "42846" | "22023"
    ) {
        if stmt.kind == StatementKind::Example {
            return verdict(
                Category::ExampleQuery,
                "the example uses a placeholder where a typed value is needed; use a real literal or a `$n` parameter".into(),
            );
        }
        if !refused_json_key_casts(stmt, err).is_empty() {
            return verdict(
                Category::DatatypeMismatch,
                "`::` binds tighter than `->>`: the cast applies to the JSON key, not to the value under it; put the path in parentheses, `(data->>'key')::type`".into(),
            );
        }
        return verdict(
            Category::DatatypeMismatch,
            "the value does not match the column's type".into(),
        );
    }
    if err.sqlstate == "42501" && lower_msg.contains("to create role") {
        // Roles belong to the whole server, not to the document's database.
        return verdict(
            Category::Permission,
            "roles are shared by every database of the server, so a document may not create them; create the role outside the document (pgspec stands in a NOLOGIN role for one the document only grants to)".into(),
        );
    }
    if err.sqlstate == "42501"
        || lower_msg.contains("permission denied")
        || lower_msg.contains("must be superuser")
        || lower_msg.contains("must be owner")
    {
        return verdict(
            Category::Permission,
            "pgspec applies document SQL as an unprivileged role; superuser-only statements (event triggers, ALTER SYSTEM, untrusted languages) cannot be checked".into(),
        );
    }
    // `ALTER COLUMN c TYPE serial`, `CAST(x AS bigserial)`: the serial types exist only as
    // CREATE TABLE's shorthand, where a column is made.
    if let Some(serial) = [
        "serial",
        "bigserial",
        "smallserial",
        "serial2",
        "serial4",
        "serial8",
    ]
    .iter()
    .find(|s| lower_msg == format!("type \"{s}\" does not exist"))
    {
        let integer = match *serial {
            "bigserial" | "serial8" => "bigint",
            "smallserial" | "serial2" => "smallint",
            _ => "integer",
        };
        return verdict(
            Category::UndefinedObject,
            format!(
                "`{serial}` is not a type: it is the shorthand CREATE TABLE and ADD COLUMN take for an `{integer}` column with a sequence of its own; write `{integer}` here, and number the column with `ALTER COLUMN … SET NOT NULL` and `ALTER COLUMN … ADD GENERATED BY DEFAULT AS IDENTITY`"
            ),
        );
    }
    if matches!(err.sqlstate.as_str(), "3F000" | "42704") {
        return verdict(
            Category::UndefinedObject,
            "no statement of the document creates this object".into(),
        );
    }
    if err.message == "exclusion constraints are not supported on partitioned tables" {
        return verdict(
            Category::InvalidDefinition,
            "PostgreSQL 15 cannot enforce an exclusion constraint across partitions: add it to each partition (`ALTER TABLE partition ADD EXCLUDE …`, which holds inside that partition only; choose the partition key so that rows that may conflict share a partition), or leave the table unpartitioned".into(),
        );
    }
    if err.message == "cannot use subquery in check constraint" {
        return verdict(
            Category::InvalidDefinition,
            "a CHECK sees only its own row: enforce a rule over other rows with a trigger (BEFORE INSERT OR UPDATE) that looks them up, or with a foreign key".into(),
        );
    }
    if err.sqlstate == "42P16" && err.message.contains("view column")
        || err.message == "cannot drop columns from view"
    {
        return verdict(
            Category::InvalidDefinition,
            "`CREATE OR REPLACE VIEW` may only add columns after the existing ones: to drop, rename, reorder or retype one, drop the view first (`DROP VIEW`) and create it again".into(),
        );
    }
    if err.sqlstate == "23502" && err.message.contains("contains null values") {
        return verdict(
            Category::InvalidDefinition,
            "the table already holds rows (inserted earlier in the document), in which the new NOT NULL column would be NULL: give the column a DEFAULT, or add it without NOT NULL, fill it (`UPDATE`), then `SET NOT NULL`".into(),
        );
    }
    if err.sqlstate == "428C9" {
        return verdict(
            Category::InvalidDefinition,
            "the column is GENERATED ALWAYS AS IDENTITY: give its values with OVERRIDING SYSTEM VALUE (and move the identity past them with setval), or declare it GENERATED BY DEFAULT".into(),
        );
    }
    if err.message == "CONCURRENTLY cannot be used when the materialized view is not populated" {
        return verdict(
            Category::InvalidDefinition,
            "the materialized view was created `WITH NO DATA`, and its first refresh cannot be `CONCURRENTLY`: refresh it once without `CONCURRENTLY` after creating it (or create it `WITH DATA`)".into(),
        );
    }
    verdict(
        Category::InvalidDefinition,
        "PostgreSQL rejects this definition; see its message".into(),
    )
}

/// Whether the statement is about an extension (CREATE / ALTER / DROP EXTENSION, or COMMENT
/// ON EXTENSION): from its tree; words only for text without one.
/// The extension a `CREATE EXTENSION` statement creates.
/// The JSON keys `stmt` casts instead of their values (`data->>'price'::numeric`), every one of
/// them, when the value a 22P02 could not read is such a key; none otherwise.
pub(super) fn refused_json_key_casts(
    stmt: &Statement,
    err: &PgDetails,
) -> Vec<crate::sql::json_paths::CastKey> {
    let (Some(root), Some(refused)) = (
        stmt.first_node().filter(|_| err.sqlstate == "22P02"),
        quoted_names(&err.message).into_iter().last(),
    ) else {
        return Vec::new();
    };
    let found = crate::sql::json_paths::cast_keys(root, &stmt.text);
    if found.iter().any(|c| c.key == refused) {
        found
    } else {
        Vec::new()
    }
}

pub fn created_extension(stmt: &Statement) -> Option<String> {
    match stmt.first_node() {
        Some(NodeEnum::CreateExtensionStmt(create)) => Some(create.extname.clone()),
        _ => None,
    }
}

fn about_extension(stmt: &Statement, stmt_lower: &str) -> bool {
    match stmt.first_node() {
        Some(node) => match node {
            NodeEnum::CreateExtensionStmt(_)
            | NodeEnum::AlterExtensionStmt(_)
            | NodeEnum::AlterExtensionContentsStmt(_) => true,
            NodeEnum::DropStmt(d) => d.remove_type == pb::ObjectType::ObjectExtension as i32,
            NodeEnum::CommentStmt(c) => c.objtype == pb::ObjectType::ObjectExtension as i32,
            _ => false,
        },
        None => stmt_lower.contains("extension"),
    }
}

/// A syntax error's verdict. The server rejected the text's syntax, so there is usually no tree
/// (pg_query's grammar is PostgreSQL 18's, the server's may be older): its help is worded from
/// the text.
fn syntax_verdict(stmt: &Statement, err: &PgDetails) -> Verdict {
    let at = err
        .position
        .map_or(0, |p| {
            crate::postgres::char_position_to_byte(&stmt.text, p) as usize
        })
        .min(stmt.text.len());
    let mut token: String = stmt.text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(' && *c != ',')
        .collect();
    if token.is_empty() {
        // The parser stopped at punctuation (`(`, `,`): that is the token.
        token = stmt.text[at..].chars().take(1).collect();
    }
    let upper = token.to_uppercase();
    let head = stmt.text.trim_start().to_uppercase();
    let verdict = |category, help: String, focus| Verdict {
        category,
        help,
        extension: None,
        focus,
    };
    if token.starts_with("...")
        || token.starts_with('…')
        || token.chars().next().is_some_and(|c| !c.is_ascii())
        || has_elision_comment(&stmt.text)
    {
        return verdict(
            Category::NotSql,
            "this statement elides part of its text (`...`); complete it, or mark the block as an illustration (e.g. ```text)".into(),
            None,
        );
    }
    if stmt.facts.param_count > 0
        || token.starts_with('$')
        || token.starts_with(':')
        || token.starts_with('<')
        || token.starts_with('{')
    {
        return verdict(
            Category::ExampleQuery,
            "placeholders like `:id`, `<value>` or `{x}` are not SQL; use `$1` parameters or literals".into(),
            None,
        );
    }
    // The grammar took the statement and the server refused it afterwards, without a position:
    // no parser stopped anywhere, the message says what is wrong.
    if err.position.is_none() && stmt.facts.parses {
        let help = if err
            .message
            .contains("only WITH CHECK expression allowed for INSERT")
        {
            "an INSERT policy has no USING (there are no existing rows to filter): write the condition new rows must meet as `WITH CHECK (…)`".to_string()
        } else if err.message.contains("WITH CHECK cannot be applied") {
            "a SELECT or DELETE policy has no WITH CHECK (no new rows to check): keep the condition in `USING (…)`".to_string()
        } else {
            format!(
                "PostgreSQL parses the statement but refuses it as written ({}); change what the message names",
                err.message
            )
        };
        return verdict(Category::Syntax, help, None);
    }
    let help = dialects::syntax_help(&head, &upper).unwrap_or_else(|| {
        format!(
            "PostgreSQL's parser stops at `{}`; fix the clause (order, spelling or a missing comma)",
            token.chars().take(40).collect::<String>()
        )
    });
    verdict(Category::Syntax, help, None)
}

/// Byte offset of a MySQL-style `INDEX name (...)` / `KEY name (...)` table element.
pub(crate) fn inline_index_offset(text: &str) -> Option<usize> {
    let lower = blank_comments(&text.to_ascii_lowercase());
    let bytes = lower.as_bytes();
    for keyword in ["index", "key", "fulltext", "spatial"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(keyword) {
            let at = from + pos;
            from = at + keyword.len();
            // An element starts after `(` or `,` (and whitespace/comments between).
            let before = lower[..at].trim_end();
            let starts_element =
                before.ends_with(',') || before.ends_with('(') || before.ends_with("unique");
            let after_ok = bytes
                .get(at + keyword.len())
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'(');
            let before_ok =
                at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if starts_element
                && after_ok
                && before_ok
                && !before.ends_with("primary")
                && names_an_index(&lower[from..])
            {
                return Some(at);
            }
        }
    }
    None
}

/// `text` with every `--` comment replaced by spaces of the same byte length, so offsets into
/// the original stay valid. (Quotes are not tracked: good enough for locating table elements.)
pub(crate) fn blank_comments(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.find("--") {
            Some(i) => {
                let (code, comment) = line.split_at(i);
                let body = comment.trim_end_matches('\n');
                let newline = &comment[body.len()..];
                format!("{code}{}{newline}", " ".repeat(body.len()))
            }
            None => line.to_string(),
        })
        .collect()
}

/// After `INDEX`/`KEY`: an optional name, then `(` — but not a column's type with a modifier
/// (`key varchar(20)`) and not a plain column (`key text`).
fn names_an_index(rest: &str) -> bool {
    const PARAMETRIZED_TYPES: &[&str] = &[
        "varchar",
        "char",
        "character",
        "numeric",
        "decimal",
        "bit",
        "varbit",
        "timestamp",
        "timestamptz",
        "time",
        "timetz",
        "interval",
        "float",
        "double",
    ];
    let rest = rest.trim_start();
    if rest.starts_with('(') {
        return true;
    }
    let name_len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_len);
    after.trim_start().starts_with('(') && !PARAMETRIZED_TYPES.contains(&name)
}

/// Whether a `--` comment in the statement is an elision (`-- ...`, `-- 기타 컬럼들...`).
fn has_elision_comment(text: &str) -> bool {
    text.lines().any(|line| {
        line.find("--")
            .is_some_and(|i| line[i..].contains("...") || line[i..].contains('…'))
    })
}

/// Why pgspec leaves a failed schema statement to a person: the choices the document leaves
/// open, by category. Every failed schema statement without an applied fix gets one.
pub fn decision(verdict: &Verdict, err: &PgDetails) -> String {
    let mut names = quoted_names(&err.message);
    // `column tk.valid_from does not exist` quotes nothing.
    if names.is_empty() {
        if let Some(rest) = err.message.strip_prefix("column ") {
            if let Some(name) = rest.strip_suffix(" does not exist") {
                names.push(name.to_string());
            }
        }
    }
    names.extend(err.column.clone());
    let name = names.first().map_or("it", String::as_str);
    match verdict.category {
        Category::NotPartitioned => format!(
            "the document creates partitions of `{name}` but declares `{name}` without PARTITION BY: either partition the parent (its primary key then has to include the partition key) or drop these partitions — the design must say which"
        ),
        Category::DuplicateObject => format!(
            "the document defines `{name}` twice with different definitions: keep the one the design means and remove or rename the other"
        ),
        Category::InvalidDefinition if err.message.contains("multiple primary keys") => {
            "the table declares two primary keys: choose one and make the other a UNIQUE constraint".into()
        }
        Category::PartitionKey => {
            "the table is partitioned, but a PRIMARY KEY / UNIQUE constraint lacks the partition key: add the partition key to the constraint (uniqueness then holds per partition key value, and foreign keys to the table must name it too), or do not partition the table".into()
        }
        Category::GeneratedColumn => generated::Cause::of_help(&verdict.help)
            .unwrap_or(generated::Cause::TimeZone)
            .decision()
            .into(),
        Category::ForeignKeyTarget if names.is_empty() => {
            "the foreign key's columns do not match the referenced table's primary key (a partitioned table's key includes the partition column): list the referenced columns, reference a UNIQUE constraint, or enforce the reference in the application".into()
        }
        Category::ForeignKeyTarget => format!(
            "the referenced columns of `{name}` are not unique: add a UNIQUE constraint to them or reference the primary key"
        ),
        Category::UndefinedTable => format!(
            "no schema source of the document (SQL, ERD or column table) defines `{name}`: add its definition"
        ),
        Category::UndefinedColumn => format!(
            "no schema source of the document declares the column `{name}`: add it to the table's definition or correct the name"
        ),
        Category::MissingExtension | Category::ForwardReference => verdict.help.clone(),
        Category::PlatformObject => verdict.help.clone(),
        Category::NotSql => {
            "the statement is an outline, not complete SQL: write it out or mark the block as an illustration".into()
        }
        _ => format!(
            "PostgreSQL rejects the statement as written and pgspec knows no fix that keeps the design's meaning: {}",
            verdict.help
        ),
    }
}

/// The Debian package (PGDG naming, PostgreSQL 15) that installs extension `name`: most are
/// `postgresql-15-<name>`, a few are named otherwise.
fn debian_package(name: &str) -> String {
    let package = match name {
        "pg_partman" => "partman",
        "pg_cron" => "cron",
        "plpgsql_check" => "plpgsql-check",
        "postgis" | "postgis_topology" | "postgis_raster" => "postgis-3",
        "vector" => "pgvector",
        "pg_repack" => "repack",
        "pg_hint_plan" => "pg-hint-plan",
        "timescaledb" => "timescaledb",
        other => other,
    };
    format!("postgresql-15-{package}")
}

mod dialects;
mod generated;

#[cfg(test)]
mod tests;
