//! Assumptions: where a person must decide how to repair a statement, the least surprising
//! choice. `up` applies it and lists it (status `assumed`, with the alternatives); `check`
//! checks what depends on the statement under it; `fix --assume` writes it into the document.
//! Each is a [`FixPlan`] of applicability `assumption` whose edit says the same as what runs.

use std::collections::HashMap;

use crate::diagnostics::{Applicability, Category, Edit, PgDetails};
use crate::postgres::catalog::Catalog;
use crate::postgres::ClusterError;
use crate::sql::ast::NodeEnum;
use crate::sql::ast::NodeRef;
use crate::sql::quote::quote_ident;
use crate::sql::{ObjectKind, Statement};
use crate::text::TextRange;

use super::categorize::{quoted_names, Verdict};
use super::plan::{mask_quotes_and_comments, matching_paren, FixPlan};
use super::rewrites;
use super::standins;
use super::state::Engine;

impl Engine<'_> {
    /// The assumption for `stmt` failing with `err`, where pgspec knows one.
    pub(super) fn plan_assumption(
        &mut self,
        i: usize,
        stmt: &Statement,
        err: &PgDetails,
        verdict: &Verdict,
    ) -> Result<Option<FixPlan>, ClusterError> {
        let plan = match verdict.category {
            Category::UndefinedColumn => self.assume_missing_column(i, stmt, err)?,
            Category::GeneratedColumn if err.message.contains("partition key") => {
                let named = err.detail.as_deref().map(quoted_names).unwrap_or_default();
                rewrites::generated_to_plain(self.doc, stmt, &named)
            }
            Category::GeneratedColumn => rewrites::generated_at_utc(self.doc, stmt),
            Category::PartitionKey => self.copied_key_with_partition_key(stmt)?,
            _ if err
                .message
                .contains("ORDER BY expressions must appear in argument list") =>
            {
                rewrites::aggregate_without_distinct(self.doc, stmt)
            }
            Category::UndefinedFunction if err.message.contains("text ->>") => {
                rewrites::json_path_as_json(self.doc, stmt)
            }
            Category::InvalidDefinition if err.message.contains("multiple primary keys") => {
                rewrites::second_primary_key_unique(self.doc, stmt)
            }
            _ if err.message == "exclusion constraints are not supported on partitioned tables" => {
                rewrites::exclusion_left_out(self.doc, stmt)
            }
            _ if err.message == "cannot use subquery in check constraint" => {
                rewrites::check_with_subquery_left_out(self.doc, stmt)
            }
            Category::NotPartitioned => rewrites::partition_as_plain_table(self.doc, stmt),
            Category::MissingExtension if verdict.extension.as_deref() == Some("vector") => {
                standins::pgvector(self.doc, stmt)
            }
            Category::MissingExtension => verdict
                .extension
                .as_deref()
                .and_then(|extension| standins::distribution(stmt, extension)),
            _ => None,
        };
        Ok(plan.map(|mut plan| {
            // An edit pgspec cannot place exactly (a generated statement, text that is not a
            // verbatim slice of the document) is not written: the assumption still holds.
            if plan.fix.applicability == Applicability::DisplayOnly || stmt.generated().is_some() {
                plan.fix.edits.clear();
            }
            plan.fix.applicability = Applicability::Assumption;
            plan
        }))
    }

    /// The new name of `column` when a document statement before `i` renamed it (in the table
    /// `qualifier` names, through its alias, or in a table `stmt` reads), and the statement with
    /// the new name.
    fn renamed_earlier(
        &self,
        i: usize,
        stmt: &Statement,
        qualifier: Option<&str>,
        column: &str,
    ) -> Option<FixPlan> {
        let table = qualifier.map(|q| alias_target(stmt, q).unwrap_or_else(|| q.to_owned()));
        let reads = |t: &str| {
            table.as_deref().map_or_else(
                || {
                    stmt.facts
                        .references
                        .iter()
                        .any(|r| r.kind == ObjectKind::Relation && r.name == t)
                },
                |named| named == t,
            )
        };
        let (at, to) = self.statements[..i.min(self.statements.len())]
            .iter()
            .rev()
            .find_map(|s| match s.table_change()? {
                crate::sql::tables::TableChange::ColumnRenamed { table, from, to }
                    if from == column && reads(&table) =>
                {
                    Some((s.range.start, to))
                }
                _ => None,
            })?;
        let line = self.doc.line_index.line(at);
        rewrites::renamed_column(
            self.doc,
            stmt,
            column,
            &to,
            &format!("the name the document gave it at line {line}"),
        )
    }

    /// A column that a statement uses but no schema source declares: add it to its table, its
    /// type taken from a column of the same name elsewhere in the database, else from its name.
    fn assume_missing_column(
        &mut self,
        i: usize,
        stmt: &Statement,
        err: &PgDetails,
    ) -> Result<Option<FixPlan>, ClusterError> {
        let Some((qualifier, column)) = missing_column(&err.message) else {
            return Ok(None);
        };
        // A column an earlier statement renamed (`ALTER TABLE t RENAME COLUMN a TO b`): the
        // statement still uses the old name.
        if let Some(plan) = self.renamed_earlier(i, stmt, qualifier.as_deref(), &column) {
            return Ok(Some(plan));
        }
        // A name PostgreSQL knows a near match for is a typo of it, not a new column.
        if let Some(plan) = err
            .hint
            .as_deref()
            .and_then(|hint| rewrites::hinted_column(self.doc, stmt, &column, hint))
        {
            return Ok(Some(plan));
        }
        let Some(table) = qualifier
            .map(|q| alias_target(stmt, &q).unwrap_or(q))
            .or_else(|| quoted_relation(&err.message))
            .or_else(|| sole_table(stmt))
        else {
            return Ok(None);
        };
        let catalog = self.session.catalog()?;
        // The statement's own table (a partition key naming a column the table lacks).
        if stmt
            .facts
            .creates
            .iter()
            .any(|o| o.kind == ObjectKind::Relation && o.name == table)
        {
            let pg_type = inferred_type(&column, &catalog);
            let Some((at, text)) =
                column_insertion(&stmt.text, &[(column.clone(), pg_type.clone())])
            else {
                return Ok(None);
            };
            return Ok(Some(rewrites::edit_plan(
                self.doc,
                stmt,
                missing_columns_title(&table, &[(column, pg_type)]),
                Applicability::Assumption,
                vec![(at..at, text)],
            )));
        }
        let Some(found) = catalog.find_table(&table) else {
            return Ok(None);
        };
        // A near twin of a column the table has is a typo of it.
        let twins: Vec<&str> = found
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| column.len() >= 4 && edit_distance(c, &column) == 1)
            .collect();
        if let [twin] = twins.as_slice() {
            let why = format!("the column of `{}` it is one letter away from", found.name);
            if let Some(plan) = rewrites::renamed_column(self.doc, stmt, &column, twin, &why) {
                return Ok(Some(plan));
            }
        }
        // An index names all its columns: every one the table lacks is added at once.
        let mut columns = vec![column];
        if let Some(NodeEnum::IndexStmt(_)) = stmt.first_node() {
            let have: Vec<&str> = found.columns.iter().map(|c| c.name.as_str()).collect();
            for name in index_columns(stmt) {
                if !have.contains(&name.as_str()) && !columns.contains(&name) {
                    columns.push(name);
                }
            }
        }
        let typed: Vec<(String, String)> = columns
            .into_iter()
            .map(|c| {
                let ty = inferred_type(&c, &catalog);
                (c, ty)
            })
            .collect();
        let title = missing_columns_title(&found.name, &typed);
        let qualified = format!(
            "{}.{}",
            quote_ident(&found.schema),
            quote_ident(&found.name)
        );
        // The edit goes where the document creates the table.
        let edits = self
            .creators
            .get(&found.name)
            .into_iter()
            .flatten()
            .map(|&j| &self.statements[j])
            .find(|s| {
                s.index != i
                    && matches!(s.first_node(), Some(NodeEnum::CreateStmt(_)))
                    && s.generated().is_none()
                    && self.doc.text.get(s.range.as_usize()) == Some(s.text.as_str())
            })
            .and_then(|creator| {
                let (at, text) = column_insertion(&creator.text, &typed)?;
                Some(vec![Edit {
                    range: TextRange::empty(creator.range.start + u32::try_from(at).ok()?),
                    replacement: text,
                }])
            })
            .unwrap_or_default();
        let before = typed
            .iter()
            .map(|(c, ty)| {
                format!(
                    "ALTER TABLE {qualified} ADD COLUMN IF NOT EXISTS {} {ty}",
                    quote_ident(c)
                )
            })
            .collect();
        Ok(Some(FixPlan {
            fix: crate::diagnostics::Fix {
                title,
                applicability: Applicability::Assumption,
                edits,
            },
            superuser_before: Vec::new(),
            before,
            replacement: None,
            after: Vec::new(),
            chained: 0,
            assumed: false,
        }))
    }
}

impl Engine<'_> {
    /// A partitioned table made `LIKE` another: the copied primary key lacks the partition
    /// key. Assumed: the copy takes no indexes, and its primary key is the source's plus the
    /// partition key.
    fn copied_key_with_partition_key(
        &mut self,
        stmt: &Statement,
    ) -> Result<Option<FixPlan>, ClusterError> {
        let Some(NodeEnum::CreateStmt(create)) = stmt.first_node() else {
            return Ok(None);
        };
        let Some(source) = create.table_elts.iter().find_map(|e| match &e.node {
            Some(NodeEnum::TableLikeClause(like)) => like.relation.as_ref(),
            _ => None,
        }) else {
            return Ok(None);
        };
        let key: Vec<String> = create
            .partspec
            .as_ref()
            .map(|spec| {
                spec.part_params
                    .iter()
                    .filter_map(|p| match &p.node {
                        Some(NodeEnum::PartitionElem(e)) if !e.name.is_empty() => {
                            Some(e.name.clone())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if key.is_empty() {
            return Ok(None);
        }
        let catalog = self.session.catalog()?;
        let Some(table) = catalog.find_table(&source.relname) else {
            return Ok(None);
        };
        let Some(primary) = catalog
            .constraints_of(table.oid)
            .find(|c| c.kind == crate::postgres::catalog::ConstraintKind::PrimaryKey)
        else {
            return Ok(None);
        };
        let mut columns = primary.columns.clone();
        columns.extend(key.iter().filter(|k| !primary.columns.contains(k)).cloned());
        let masked = mask_quotes_and_comments(&stmt.text);
        let lower = masked.to_ascii_lowercase();
        let Some(open) = lower.find('(') else {
            return Ok(None);
        };
        let Some(close) = matching_paren(&masked, open) else {
            return Ok(None);
        };
        let Some(like_at) = lower[open..close].find("like").map(|p| open + p) else {
            return Ok(None);
        };
        // The LIKE element ends at the next comma of the column list, or at its end.
        let mut depth = 0i32;
        let mut like_end = close;
        for (k, c) in masked[like_at..close].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    like_end = like_at + k;
                    break;
                }
                _ => {}
            }
        }
        let like_end = masked[..like_end].trim_end().len();
        let end = masked[..close].trim_end().len();
        let quoted: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let mut edits = vec![(like_end..like_end, " EXCLUDING INDEXES".to_string())];
        edits.push((end..end, format!(", PRIMARY KEY ({})", quoted.join(", "))));
        Ok(Some(rewrites::edit_plan(
            self.doc,
            stmt,
            format!(
                "assume the copy of `{}` takes none of its indexes and has the primary key ({}) — its own key plus the partition key, so uniqueness holds only per {} value",
                source.relname,
                columns.join(", "),
                key.join(", ")
            ),
            Applicability::Assumption,
            edits,
        )))
    }
}

/// The column a "does not exist" message names, with the qualifier it was written with
/// (`column tk.valid_from does not exist`, `column "status" does not exist`,
/// `column "created_at" named in partition key does not exist`).
fn missing_column(message: &str) -> Option<(Option<String>, String)> {
    let rest = message.strip_prefix("column ")?;
    if !message.ends_with("does not exist") {
        return None;
    }
    if rest.starts_with('"') {
        let name = quoted_names(message).into_iter().next()?;
        return Some((None, name));
    }
    let written = rest.split_whitespace().next()?;
    match written.rsplit_once('.') {
        Some((qualifier, name)) => Some((
            Some(qualifier.rsplit('.').next()?.to_string()),
            name.to_string(),
        )),
        None => Some((None, written.to_string())),
    }
}

/// `column "x" of relation "t" does not exist`: the relation.
fn quoted_relation(message: &str) -> Option<String> {
    message
        .contains(" of relation ")
        .then(|| quoted_names(message).into_iter().nth(1))
        .flatten()
}

/// The table an alias stands for in the statement's FROM clauses.
fn alias_target(stmt: &Statement, alias: &str) -> Option<String> {
    let tree = stmt.ast()?;
    crate::sql::ast::all_nodes(tree).find_map(|n| match n {
        NodeRef::RangeVar(rv) if rv.alias.as_ref().is_some_and(|a| a.aliasname == alias) => {
            Some(rv.relname.clone())
        }
        _ => None,
    })
}

/// The one table a statement is about: an index's, a policy's, a table's being altered, the
/// table a CREATE TABLE makes, or the only relation it reads.
fn sole_table(stmt: &Statement) -> Option<String> {
    match stmt.first_node()? {
        NodeEnum::IndexStmt(s) => s.relation.as_ref().map(|r| r.relname.clone()),
        NodeEnum::CreatePolicyStmt(s) => s.table.as_ref().map(|r| r.relname.clone()),
        NodeEnum::AlterTableStmt(s) => s.relation.as_ref().map(|r| r.relname.clone()),
        NodeEnum::CreateStmt(s) => s.relation.as_ref().map(|r| r.relname.clone()),
        _ => {
            let relations: Vec<&str> = stmt
                .facts
                .references
                .iter()
                .filter(|o| o.kind == ObjectKind::Relation)
                .map(|o| o.name.as_str())
                .collect();
            match relations.as_slice() {
                [one] => Some((*one).to_string()),
                _ => None,
            }
        }
    }
}

/// What the assumption of missing columns says.
fn missing_columns_title(table: &str, columns: &[(String, String)]) -> String {
    let listed: Vec<String> = columns
        .iter()
        .map(|(c, ty)| format!("`{table}.{c}` {ty}"))
        .collect();
    format!(
        "assume the column{} {} (no schema source of the document declares {}; the type is inferred from the name and use)",
        if columns.len() == 1 { "" } else { "s" },
        listed.join(", "),
        if columns.len() == 1 { "it" } else { "them" }
    )
}

/// The columns an index names: its keys, INCLUDE columns and the columns of its expressions
/// and predicate.
fn index_columns(stmt: &Statement) -> Vec<String> {
    let Some(tree) = stmt.ast() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for node in crate::sql::ast::all_nodes(tree) {
        let name = match node {
            NodeRef::IndexElem(e) if !e.name.is_empty() => Some(e.name.clone()),
            NodeRef::ColumnRef(c) => match c.fields.last().and_then(|f| f.node.as_ref()) {
                Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = name {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Where to add `column type, …` to a CREATE TABLE's text (after its last element) and what.
fn column_insertion(text: &str, columns: &[(String, String)]) -> Option<(usize, String)> {
    let masked = mask_quotes_and_comments(text);
    let open = masked.find('(')?;
    let close = matching_paren(&masked, open)?;
    let at = masked[..close].trim_end().len();
    let before = &masked[open + 1..at];
    let line_start = before.rfind('\n').map(|n| open + 1 + n + 1);
    let indent = match line_start {
        Some(start) => {
            let width = text[start..at].len() - text[start..at].trim_start().len();
            format!("\n{}", &text[start..start + width])
        }
        None => " ".to_string(),
    };
    let mut add = String::new();
    for (n, (column, pg_type)) in columns.iter().enumerate() {
        if n > 0 || !before.trim().is_empty() {
            add.push(',');
        }
        add.push_str(&format!("{indent}{} {pg_type}", quote_ident(column)));
    }
    Some((at, add))
}

/// The type of `column`: the one the same-named columns of the database have most often, else
/// what its name says (`…_at` a point in time, `is_…` a flag, `…_id` a key).
fn inferred_type(column: &str, catalog: &Catalog) -> String {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for c in catalog
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .filter(|c| c.name == column)
    {
        *seen.entry(c.type_name.as_str()).or_default() += 1;
    }
    if let Some((ty, _)) = seen
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
    {
        return ty.to_string();
    }
    let name = column.to_lowercase();
    let ends = |s: &[&str]| s.iter().any(|e| name.ends_with(e));
    let starts = |s: &[&str]| s.iter().any(|e| name.starts_with(e));
    if starts(&["is_", "has_", "can_", "should_"]) || ends(&["_flag", "_enabled"]) {
        "boolean".into()
    } else if ends(&[
        "_at",
        "_from",
        "_until",
        "_to",
        "_time",
        "_timestamp",
        "_end",
        "_start",
    ]) {
        "timestamptz".into()
    } else if name == "date" || ends(&["_date", "_on", "_day"]) {
        "date".into()
    } else if name == "id" || ends(&["_id"]) {
        "bigint".into()
    } else if ends(&[
        "_count", "_num", "_number", "_seconds", "_minutes", "_rank", "_order",
    ]) {
        "integer".into()
    } else if ends(&["_score", "_rate", "_ratio", "_amount", "_price", "_total"]) {
        "numeric".into()
    } else if ends(&["_data", "_metadata", "_json", "_payload"]) || name == "metadata" {
        "jsonb".into()
    } else {
        "text".into()
    }
}

/// Insertions, deletions and substitutions that turn `a` into `b` (characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance_counts_single_letter_typos() {
        assert_eq!(super::edit_distance("account_id", "acount_id"), 1);
        assert_eq!(super::edit_distance("created_at", "created_att"), 1);
        assert_eq!(super::edit_distance("is_read", "is_bot"), 4);
    }

    use super::*;

    #[test]
    fn missing_column_messages_give_the_column_and_its_qualifier() {
        assert_eq!(
            missing_column("column tk.valid_from does not exist"),
            Some((Some("tk".into()), "valid_from".into()))
        );
        assert_eq!(
            missing_column("column \"status\" does not exist"),
            Some((None, "status".into()))
        );
        assert_eq!(
            missing_column("column \"created_at\" named in partition key does not exist"),
            Some((None, "created_at".into()))
        );
        assert_eq!(missing_column("relation \"t\" does not exist"), None);
    }

    #[test]
    fn a_column_is_added_after_the_last_element_with_its_indent() {
        let text = "CREATE TABLE t (\n  id int,\n  name text\n);";
        let (at, add) =
            column_insertion(text, &[("is_read".into(), "boolean".into())]).expect("insertion");
        let mut out = text.to_string();
        out.insert_str(at, &add);
        assert_eq!(
            out,
            "CREATE TABLE t (\n  id int,\n  name text,\n  is_read boolean\n);"
        );
        let text = "CREATE TABLE t (LIKE u INCLUDING ALL) PARTITION BY RANGE (created_at);";
        let (at, add) = column_insertion(text, &[("created_at".into(), "timestamptz".into())])
            .expect("insertion");
        let mut out = text.to_string();
        out.insert_str(at, &add);
        assert_eq!(
            out,
            "CREATE TABLE t (LIKE u INCLUDING ALL, created_at timestamptz) PARTITION BY RANGE (created_at);"
        );
    }
}
