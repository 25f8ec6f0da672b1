//! Safe fixes for root causes: the document edit a user would make, and how `check` applies it
//! on the scratch database so the errors behind it are found too.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::{Applicability, Category, Edit, Fix, PgDetails};
use crate::document::Document;
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

use super::categorize::{blank_comments, inline_index_offset, quoted_names, Verdict};
pub use super::plan::FixPlan;
use super::plan::{mask_quotes_and_comments, matching_paren};
use super::rewrites;

/// What the fixes may need to know about the database they are planned for.
#[derive(Clone, Debug, Default)]
pub struct FixContext {
    pub available_extensions: HashSet<String>,
    /// Names (unqualified) of the partitioned tables that exist now; filled before planning
    /// fixes of the categories [`needs_partitioned_tables`] names.
    pub partitioned_tables: HashSet<String>,
    /// The database the document is applied to.
    pub database: String,
    /// For a duplicate definition: the statement that defined the object first.
    pub earlier_definition: Option<Statement>,
    /// Tables (unqualified) that a foreign key of the document (written or generated)
    /// references → the first table whose foreign key does.
    pub referenced_by: HashMap<String, String>,
    /// The document's plain (non-partial) indexes: where the statement is, table, key columns.
    pub plain_indexes: Vec<(TextRange, String, Vec<String>)>,
    /// For a view that cannot be replaced as written: whether an earlier statement (not one
    /// that defines it) uses it.
    pub view_used_before: bool,
    /// The boolean columns the document declares, by unqualified table name (lowercased);
    /// filled before planning the fix of a 42804 (an integer given to a boolean).
    pub boolean_columns: HashMap<String, HashSet<String>>,
}

impl FixContext {
    /// The plain indexes of `statements` (see [`FixContext::plain_indexes`]), and the indexes
    /// of the keys their CREATE TABLEs declare (a primary key, a UNIQUE constraint).
    pub fn plain_indexes(statements: &[Statement]) -> Vec<(TextRange, String, Vec<String>)> {
        let mut out: Vec<(TextRange, String, Vec<String>)> = statements
            .iter()
            .filter(|s| {
                matches!(s.first_node(), Some(crate::sql::ast::NodeEnum::IndexStmt(i)) if i.where_clause.is_none())
            })
            .filter_map(|s| rewrites::index_key(s).map(|(t, k)| (s.range, t, k)))
            .collect();
        for s in statements {
            let Some(table) = s.created_table() else {
                continue;
            };
            let keys = std::iter::once(table.primary_key.clone())
                .chain(table.unique.iter().cloned())
                .filter(|k| !k.is_empty());
            out.extend(keys.map(|k| (s.range, table.name.clone(), k)));
        }
        out
    }

    /// Which table of `statements` references which (see [`FixContext::referenced_by`]).
    pub fn foreign_key_targets(statements: &[Statement]) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for (table, fk) in statements
            .iter()
            .filter_map(Statement::ast)
            .flat_map(crate::sql::tables::declared_foreign_keys)
        {
            if fk.target != table {
                out.entry(fk.target).or_insert(table);
            }
        }
        out
    }
}

/// Whether planning a fix for `category` needs [`FixContext::partitioned_tables`].
pub fn needs_partitioned_tables(category: Category) -> bool {
    matches!(category, Category::ForeignKeyTarget | Category::Syntax)
}

/// A fix for the failure of `stmt`, if pgspec knows one.
pub fn plan(
    doc: &Document,
    stmt: &Statement,
    err: &PgDetails,
    verdict: &Verdict,
    context: &FixContext,
) -> Option<FixPlan> {
    // `cannot insert a non-DEFAULT value into column "id"`: ids given for an identity that is
    // GENERATED ALWAYS.
    if err.sqlstate == "428C9" {
        return rewrites::identity_override(doc, stmt, err);
    }
    // Fixes chosen by the error itself; where none applies, by the verdict's category below.
    let by_error = match err.sqlstate.as_str() {
        // MySQL's strings in double quotes, where PostgreSQL can only mean a value.
        "0A000" | "42703" | "42601" => rewrites::double_quoted_strings(doc, stmt, err),
        "42P18" => rewrites::empty_array_literals(doc, stmt, err),
        "22P02" => rewrites::parenthesize_json_key_casts(doc, stmt, err),
        "42804" => rewrites::boolean_default_from_integer(doc, stmt, err).or_else(|| {
            rewrites::boolean_values_from_integers(doc, stmt, err, &context.boolean_columns)
        }),
        // `cannot drop columns from view`, `cannot change name of view column`, … of a
        // `CREATE OR REPLACE VIEW` that redefines a view.
        "42P16" => rewrites::drop_view_to_redefine(doc, stmt, err, context.view_used_before),
        "42P01" => missing_sequence(stmt, err),
        _ => None,
    };
    if by_error.is_some() {
        return by_error;
    }
    match verdict.category {
        Category::MissingExtension => {
            let ext = verdict.extension.as_deref()?;
            if !context.available_extensions.contains(ext) {
                return None;
            }
            let sql = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(ext));
            Some(FixPlan {
                fix: insert_before(stmt, format!("create extension `{ext}` first"), &sql),
                superuser_before: vec![sql],
                before: Vec::new(),
                replacement: None,
                after: Vec::new(),
                chained: 0,
                assumed: false,
            })
        }
        Category::MissingRole => {
            let role = quoted_names(&err.message).into_iter().next()?;
            if role.starts_with("pg_") || role.is_empty() {
                return None;
            }
            let sql = format!("CREATE ROLE {} NOLOGIN", quote_ident(&role));
            Some(FixPlan {
                fix: insert_before(
                    stmt,
                    format!("create the role `{role}` (NOLOGIN) first"),
                    &sql,
                ),
                superuser_before: vec![sql],
                before: Vec::new(),
                replacement: None,
                after: Vec::new(),
                chained: 0,
                assumed: false,
            })
        }
        Category::InlineIndex => {
            rewrites::dialect::other_dialect(doc, stmt).or_else(|| inline_index_plan(doc, stmt))
        }
        Category::PartitionKey => partition_key_plan(doc, stmt, &context.referenced_by),
        Category::ForeignKeyTarget => {
            rewrites::drop_partitioned_reference(doc, stmt, err, &context.partitioned_tables)
        }
        Category::MissingTsConfig => rewrites::simple_ts_config(doc, stmt, err),
        Category::NonImmutable => {
            rewrites::drop_index_predicate(doc, stmt, err, &context.plain_indexes)
        }
        Category::MissingDatabase => {
            rewrites::grant_on_this_database(doc, stmt, err, &context.database)
        }
        Category::SystemViewColumn => rewrites::stat_view_columns(doc, stmt, err),
        Category::DuplicateObject => context
            .earlier_definition
            .as_ref()
            .and_then(|earlier| rewrites::drop_identical_duplicate(doc, stmt, earlier)),
        Category::Syntax if err.message.contains("WITH CHECK cannot be applied") => {
            rewrites::drop_meaningless_with_check(doc, stmt)
        }
        Category::Syntax
            if err
                .message
                .contains("only WITH CHECK expression allowed for INSERT") =>
        {
            rewrites::insert_policy_using(doc, stmt)
        }
        Category::Syntax if err.message.contains("\"LIMIT\"") => rewrites::update_limit(doc, stmt),
        Category::Syntax => rewrites::unsupported_if_not_exists(doc, stmt, err)
            .or_else(|| rewrites::unique_expression_as_index(doc, stmt))
            .or_else(|| rewrites::unique_elements_as_indexes(doc, stmt))
            .or_else(|| rewrites::detach_partition_syntax(doc, stmt, &context.partitioned_tables))
            .or_else(|| rewrites::dialect::other_dialect(doc, stmt)),
        // `DATETIME`, `NUMBER(10)`, `VARCHAR2(60)`: another system's type parses, and then
        // does not exist.
        Category::UndefinedObject => rewrites::dialect::other_dialect(doc, stmt),
        // `NVL(a, b)`, `IFNULL(a, b)`, `GETDATE()`: another system's function.
        Category::UndefinedFunction => rewrites::dialect::other_functions(doc, stmt, err),
        _ => None,
    }
}

/// `relation "s.t_id_seq" does not exist` for a `nextval('s.t_id_seq'::regclass)` the
/// statement calls (the column DEFAULT of a serial column, as pgAdmin and DBeaver export it
/// without its `CREATE SEQUENCE`): create the sequence first.
fn missing_sequence(stmt: &Statement, err: &PgDetails) -> Option<FixPlan> {
    use crate::sql::ast;
    let missing = super::verdict::missing_nextval_sequence(stmt, err)?;
    // The name as the regclass literal spells it; it must read as one sequence name.
    let sql = format!("CREATE SEQUENCE IF NOT EXISTS {missing}");
    let tree = ast::parse(&sql)?;
    let mut nodes = ast::top_nodes(&tree);
    if !matches!(
        (nodes.next(), nodes.next()),
        (Some(crate::sql::ast::NodeEnum::CreateSeqStmt(_)), None)
    ) {
        return None;
    }
    Some(FixPlan {
        fix: insert_before(stmt, format!("create the sequence `{missing}` first"), &sql),
        superuser_before: Vec::new(),
        before: vec![sql],
        replacement: None,
        after: Vec::new(),
        chained: 0,
        assumed: false,
    })
}

fn insert_before(stmt: &Statement, title: String, sql: &str) -> Fix {
    Fix {
        title,
        applicability: Applicability::Safe,
        edits: vec![Edit {
            range: TextRange::empty(stmt.range.start),
            replacement: format!("{sql};\n"),
        }],
    }
}

pub use crate::sql::quote::quote_ident;

/// One inline index element of a CREATE TABLE: `[UNIQUE] INDEX|KEY [name] (cols)`.
struct InlineIndex {
    /// Byte range in the statement text to delete (including the comma before it).
    delete: std::ops::Range<usize>,
    unique: bool,
    name: Option<String>,
    columns: String,
}

fn inline_index_plan(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    // The statement does not parse (that is the bug), so pg_query facts may be empty.
    let qualified = match stmt
        .facts
        .creates
        .iter()
        .find(|o| o.kind == ObjectKind::Relation)
    {
        Some(table) => match &table.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&table.name)),
            None => quote_ident(&table.name),
        },
        None => created_table_name(&stmt.text)?,
    };
    let mut text = stmt.text.clone();
    let mut elements = Vec::new();
    // Remove elements one at a time from the working copy, recording each against the original.
    let mut removed = 0usize;
    while let Some(element) = next_inline_index(&text) {
        let original = element.delete.start + removed..element.delete.end + removed;
        removed += element.delete.len();
        text.replace_range(element.delete.clone(), "");
        elements.push(InlineIndex {
            delete: original,
            ..element
        });
        if elements.len() > 64 {
            return None;
        }
    }
    if elements.is_empty() {
        return None;
    }
    let creates: Vec<String> = elements
        .iter()
        .map(|e| {
            format!(
                "CREATE {}INDEX {}ON {qualified} ({})",
                if e.unique { "UNIQUE " } else { "" },
                e.name
                    .as_deref()
                    .map(|n| format!("{n} "))
                    .unwrap_or_default(),
                e.columns
            )
        })
        .collect();
    // Edits are document ranges; they are exact only where the statement is a verbatim slice of
    // the document (not inside a list or quote whose prefixes were stripped).
    let verbatim = doc.text.get(stmt.range.as_usize()) == Some(stmt.text.as_str());
    let mut edits: Vec<Edit> = elements
        .iter()
        .map(|e| Edit {
            range: TextRange::new(
                stmt.range.start + u32::try_from(e.delete.start).unwrap_or(0),
                stmt.range.start + u32::try_from(e.delete.end).unwrap_or(0),
            ),
            replacement: String::new(),
        })
        .collect();
    edits.push(statements_after(stmt, &creates));
    Some(FixPlan {
        fix: Fix {
            title: format!(
                "move {} inline index{} out of CREATE TABLE as CREATE INDEX",
                elements.len(),
                if elements.len() == 1 { "" } else { "es" }
            ),
            applicability: if verbatim {
                Applicability::Safe
            } else {
                Applicability::DisplayOnly
            },
            edits,
        },
        superuser_before: Vec::new(),
        before: Vec::new(),
        replacement: Some(text),
        after: creates,
        chained: 0,
        assumed: false,
    })
}

/// The document edit that writes `statements` (each with its `;`) on lines of their own after
/// `stmt` (ending it with `;` first when it has none).
pub(super) fn statements_after(stmt: &Statement, statements: &[String]) -> Edit {
    let terminator = if stmt.text.trim_end().ends_with(';') {
        ""
    } else {
        ";"
    };
    Edit {
        range: TextRange::empty(stmt.range.end),
        replacement: format!(
            "{terminator}\n{}",
            statements
                .iter()
                .map(|c| format!("{c};"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The table name of a `CREATE [UNLOGGED|TEMP] TABLE [IF NOT EXISTS] name` text, as written.
pub(super) fn created_table_name(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let mut saw_table = false;
    for word in words.by_ref() {
        if word.eq_ignore_ascii_case("table") {
            saw_table = true;
            break;
        }
    }
    if !saw_table {
        return None;
    }
    let mut name = words.next()?;
    if name.eq_ignore_ascii_case("if") {
        words.next();
        words.next();
        name = words.next()?;
    }
    let name = name.split('(').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

fn next_inline_index(text: &str) -> Option<InlineIndex> {
    let at = inline_index_offset(text)?;
    let lower = blank_comments(&text.to_ascii_lowercase());
    // Include a preceding `UNIQUE` and the comma before the element.
    let before = lower[..at].trim_end();
    let (unique, element_start) = if before.ends_with("unique") {
        (true, before.len() - "unique".len())
    } else {
        (false, at)
    };
    let comma = lower[..element_start]
        .rfind(|c: char| !c.is_whitespace())
        .filter(|&i| lower.as_bytes()[i] == b',');
    let open = at + lower[at..].find('(')?;
    let keyword_end = at + lower[at..].find(|c: char| c.is_whitespace() || c == '(')?;
    let name = text[keyword_end..open].trim();
    let close = matching_paren(text, open)?;
    let columns = text[open + 1..close].trim().to_string();
    let delete = match comma {
        Some(c) => c..close + 1,
        // First element: delete it and the comma after it instead.
        None => {
            let after = text[close + 1..]
                .find(|c: char| !c.is_whitespace())
                .map(|i| close + 1 + i)
                .filter(|&i| text.as_bytes()[i] == b',')
                .map_or(close + 1, |i| i + 1);
            element_start..after
        }
    };
    Some(InlineIndex {
        delete,
        unique,
        name: (!name.is_empty()).then(|| name.to_string()),
        columns,
    })
}

/// Add the partition key to every PRIMARY KEY / UNIQUE constraint of a partitioned CREATE TABLE
/// that lacks it. Behaviour-changing: uniqueness is then only enforced per partition-key value.
/// The partition key added to the table's PRIMARY KEY / UNIQUE constraints. When a foreign key
/// of the document references the table, that key changes under the reference (which then
/// fails, and the next fix would drop it): the fix is shown, not applied.
fn partition_key_plan(
    doc: &Document,
    stmt: &Statement,
    referenced_by: &HashMap<String, String>,
) -> Option<FixPlan> {
    let text = &stmt.text;
    let masked = mask_quotes_and_comments(text);
    let lower = masked.to_ascii_lowercase();
    let by = lower.rfind("partition by")?;
    let key_open = by + lower[by..].find('(')?;
    let key_close = matching_paren(&masked, key_open)?;
    let key: Vec<String> = masked[key_open + 1..key_close]
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    // Only plain column keys: an expression key has no column to add.
    if key
        .iter()
        .any(|c| c.is_empty() || !c.chars().all(|ch| ch.is_alphanumeric() || ch == '_'))
    {
        return None;
    }
    let body_open = lower.find('(')?;
    if body_open > by {
        return None;
    }
    let body_close = matching_paren(&masked, body_open)?;
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut added_constraints = Vec::new();
    for element in split_top_level(&masked, body_open + 1, body_close) {
        let el = lower[element.clone()].trim_start();
        let el_start = element.start + (lower[element.clone()].len() - el.len());
        let constraint_head = el.strip_prefix("constraint").map_or(0, |rest| {
            let rest_trim = rest.trim_start();
            let name_len = rest_trim
                .find(char::is_whitespace)
                .unwrap_or(rest_trim.len());
            el.len() - rest_trim.len() + name_len
        });
        let after_name = el[constraint_head..].trim_start();
        let kw_at = el_start + (el.len() - after_name.len());
        if after_name.starts_with("primary key") || after_name.starts_with("unique") {
            // Table constraint: extend its column list.
            let open = kw_at + lower[kw_at..element.end].find('(')?;
            let close = matching_paren(&masked, open)?;
            let cols: Vec<String> = lower[open + 1..close]
                .split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect();
            let missing: Vec<&String> = key
                .iter()
                .filter(|k| !cols.contains(&k.to_lowercase()))
                .collect();
            if !missing.is_empty() {
                let add: String = missing.iter().map(|k| format!(", {k}")).collect();
                edits.push((close..close, add));
            }
            continue;
        }
        if ["check", "exclude", "foreign", "like"]
            .iter()
            .any(|k| after_name.starts_with(k))
        {
            continue;
        }
        // Column definition: move a column-level PRIMARY KEY / UNIQUE to a table constraint.
        let column = el
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        if key.iter().any(|k| k.eq_ignore_ascii_case(&column)) {
            continue;
        }
        for (word, constraint) in [("primary key", "PRIMARY KEY"), ("unique", "UNIQUE")] {
            if let Some(at) = find_keyword(&lower[element.clone()], word) {
                let start = element.start + at;
                // Take one preceding space along, so `id uuid PRIMARY KEY,` becomes `id uuid,`.
                let from = if start > 0 && masked.as_bytes()[start - 1] == b' ' {
                    start - 1
                } else {
                    start
                };
                edits.push((from..start + word.len(), String::new()));
                added_constraints.push(format!("{constraint} ({column}, {})", key.join(", ")));
            }
        }
    }
    if edits.is_empty() && added_constraints.is_empty() {
        return None;
    }
    if !added_constraints.is_empty() {
        // Indent like the table's last element.
        let before_close = masked[..body_close].trim_end();
        let line_start = before_close.rfind('\n').map_or(0, |n| n + 1);
        let width =
            before_close[line_start..].len() - before_close[line_start..].trim_start().len();
        let indent = if line_start == 0 {
            " ".to_string()
        } else {
            format!("\n{}", &before_close[line_start..line_start + width])
        };
        let indent = indent.as_str();
        let add: String = added_constraints
            .iter()
            .map(|c| format!(",{indent}{c}"))
            .collect();
        let insert_at = masked[..body_close].trim_end().len();
        edits.push((insert_at..insert_at, add));
    }
    let referencing = stmt
        .created_table()
        .and_then(|t| referenced_by.get(&t.name).cloned());
    let mut plan = rewrites::edit_plan(
        doc,
        stmt,
        format!(
            "add the partition key ({}) to the table's PRIMARY KEY / UNIQUE constraints — uniqueness then holds only per {} value",
            key.join(", "),
            key.join(", ")
        ),
        Applicability::Unsafe,
        edits,
    );
    if let Some(from) = referencing {
        // The references to it then fail: whether to add the key to them, drop them, or not
        // partition the table is for a person to decide; this is what pgspec assumes meanwhile.
        if plan.fix.applicability == Applicability::Unsafe {
            plan.fix.applicability = Applicability::Assumption;
        }
        plan.fix.title.push_str(&format!(
            "; `{from}` references this table by a foreign key, which would then need the partition key too"
        ));
    }
    Some(plan)
}

fn split_top_level(masked: &str, start: usize, end: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut from = start;
    for (i, c) in masked[start..end].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(from..start + i);
                from = start + i + 1;
            }
            _ => {}
        }
    }
    out.push(from..end);
    out
}

/// Offset of `word` in `text` at depth 0 and on word boundaries.
fn find_keyword(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 && text[i..].starts_with(word) => {
                let before =
                    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                let after = bytes
                    .get(i + word.len())
                    .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
                if before && after {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_indexes_are_cut_out_with_their_commas() {
        let text = "CREATE TABLE s (\n  id int,\n  t timestamptz,\n  -- 인덱스\n  INDEX idx_s_t (id, t DESC),\n  UNIQUE KEY uk (t)\n);";
        let first = next_inline_index(text).expect("found");
        assert_eq!(first.name.as_deref(), Some("idx_s_t"));
        assert_eq!(first.columns, "id, t DESC");
        assert!(!first.unique);
        let mut rest = text.to_string();
        rest.replace_range(first.delete, "");
        let second = next_inline_index(&rest).expect("second");
        assert!(second.unique);
        assert_eq!(second.name.as_deref(), Some("uk"));
        rest.replace_range(second.delete, "");
        assert_eq!(rest, "CREATE TABLE s (\n  id int,\n  t timestamptz\n);");
        assert!(next_inline_index(&rest).is_none());
    }

    #[test]
    fn created_table_name_reads_the_written_name() {
        assert_eq!(
            created_table_name("CREATE TABLE IF NOT EXISTS app.t(id int)").as_deref(),
            Some("app.t")
        );
        assert_eq!(
            created_table_name("create unlogged table s (x int)").as_deref(),
            Some("s")
        );
        assert_eq!(created_table_name("CREATE INDEX x ON t (a)"), None);
    }

    fn partition_fix(sql: &str) -> String {
        let (doc, stmt) = super::rewrites::tests::stmt(sql);
        partition_key_plan(&doc, &stmt, &HashMap::new())
            .expect("plan")
            .replacement
            .expect("text")
    }

    #[test]
    fn partition_key_is_added_to_primary_key_and_unique() {
        assert_eq!(
            partition_fix("CREATE TABLE o (\n    id uuid PRIMARY KEY,\n    no text UNIQUE NOT NULL,\n    created_at timestamptz NOT NULL\n) PARTITION BY RANGE (created_at);"),
            "CREATE TABLE o (\n    id uuid,\n    no text NOT NULL,\n    created_at timestamptz NOT NULL,\n    PRIMARY KEY (id, created_at),\n    UNIQUE (no, created_at)\n) PARTITION BY RANGE (created_at);"
        );
        assert_eq!(
            partition_fix("CREATE TABLE o (id int, d date, note text DEFAULT 'unique', CONSTRAINT pk PRIMARY KEY (id)) PARTITION BY RANGE (d)"),
            "CREATE TABLE o (id int, d date, note text DEFAULT 'unique', CONSTRAINT pk PRIMARY KEY (id, d)) PARTITION BY RANGE (d)"
        );
    }

    #[test]
    fn quote_ident_quotes_only_when_needed() {
        assert_eq!(quote_ident("btree_gist"), "btree_gist");
        assert_eq!(quote_ident("uuid-ossp"), "\"uuid-ossp\"");
        assert_eq!(quote_ident("App"), "\"App\"");
    }
}
