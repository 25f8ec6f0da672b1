//! DDL synthesis: a `CREATE TABLE` for every table the document describes only outside SQL (an
//! ERD entity, a column table, a prose column list), so that the statements that use it can be
//! checked, and the missing columns of a table whose only SQL definition is a fragment.
//!
//! Generated statements are ordinary [`Statement`]s of kind schema with
//! [`Statement::generated`] set and a range pointing at their source. They are placed before
//! the first statement that uses the table (or where the source sits, if earlier), foreign-key
//! targets first. A foreign key to a table the SQL creates is a separate `ALTER TABLE` after
//! that table's `CREATE`, so that a key PostgreSQL refuses (a composite primary key on the
//! target) costs that key only, not the table. Keys to tables that exist nowhere are left out
//! (drift reports them).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::document::Document;
use crate::sql::{generated_statement, GeneratedFrom, ObjectKind, Statement, StatementKind};
use crate::text::TextRange;

use super::model::{DocColumn, DocSchema, DocTable, SourceKind, StatedKey};

mod columns;
mod enums;
mod findings;
mod indexes;
mod names;
mod references;

use columns::{column_definition, sql_checked_columns};
use findings::{fragment_note, inferred_note, type_finding, untyped_finding};
use names::*;
use references::*;

/// What synthesis did, for drift and the model command.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Synthesis {
    /// Tables created from a non-SQL source: name → the source's kind and name span.
    pub generated_tables: BTreeMap<String, (SourceKind, TextRange)>,
    /// Columns added to a SQL fragment: table → column names.
    pub added_columns: BTreeMap<String, Vec<String>>,
}

/// A table's merged description: the richest source first, columns of the other sources
/// appended when the richest one lacks them.
#[derive(Clone, Debug)]
pub(crate) struct Merged<'a> {
    pub table: &'a DocTable,
    /// Each column once, from the richest source that has it, with the facts that source
    /// leaves unstated taken from the others (an ERD attribute's nullability from a list's
    /// `obligatorio`).
    pub columns: Vec<DocColumn>,
    /// The keys every source states apart from its columns, each once.
    pub keys: Vec<&'a StatedKey>,
}

/// One merged description per defined table name, in document order of the chosen source.
pub(crate) fn merged_tables(schema: &DocSchema) -> Vec<Merged<'_>> {
    let mut by_name: Vec<(&str, Vec<&DocTable>)> = Vec::new();
    for t in schema
        .tables
        .iter()
        .filter(|t| t.defined && t.name.split('.').all(usable_name))
    {
        if !t.columns.iter().any(|c| usable_name(&c.name)) {
            continue;
        }
        match by_name.iter_mut().find(|(n, _)| *n == t.name) {
            Some((_, v)) => v.push(t),
            None => by_name.push((&t.name, vec![t])),
        }
    }
    by_name
        .into_iter()
        .filter_map(|(_, mut sources)| {
            // Richest source (column table > ERD > prose), then the one with most columns;
            // stable, so the first in document order wins ties.
            sources.sort_by(|a, b| {
                b.source
                    .cmp(&a.source)
                    .then(b.columns.len().cmp(&a.columns.len()))
            });
            let table = *sources.first()?;
            let mut columns: Vec<DocColumn> = Vec::new();
            for s in &sources {
                for c in &s.columns {
                    if !usable_name(&c.name) {
                        continue;
                    }
                    match columns.iter_mut().find(|k| k.name == c.name) {
                        Some(k) => fill_unstated(k, c),
                        None => columns.push(c.clone()),
                    }
                }
            }
            let mut keys: Vec<&StatedKey> = Vec::new();
            for s in &sources {
                for k in &s.keys {
                    if !keys.iter().any(|x| {
                        x.columns == k.columns && x.primary == k.primary && x.index == k.index
                    }) {
                        keys.push(k);
                    }
                }
            }
            Some(Merged {
                table,
                columns,
                keys,
            })
        })
        .collect()
}

/// The facts `column` (from a richer source) does not state, as `other` (another source's
/// description of the same column) states them. What `column` states stays.
fn fill_unstated(column: &mut DocColumn, other: &DocColumn) {
    if column.pg_type.is_none() && column.raw_type.is_empty() {
        column.raw_type.clone_from(&other.raw_type);
        column.pg_type.clone_from(&other.pg_type);
    }
    column.primary_key |= other.primary_key;
    column.unique |= other.unique;
    column.foreign_key |= other.foreign_key;
    if column.not_null.is_none() {
        column.not_null = other.not_null;
    }
    if column.default.is_none() {
        column.default.clone_from(&other.default);
    }
    if other.references.is_some()
        && (column.references.is_none()
            || (column.references_inferred && !other.references_inferred))
    {
        column.references.clone_from(&other.references);
        column.references_inferred = other.references_inferred;
    }
    if column.enum_values.is_empty() {
        column.enum_values.clone_from(&other.enum_values);
    }
}

/// Unqualified, lowercase.
fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn source_kind_name(kind: SourceKind) -> &'static str {
    kind.kebab()
}

/// Statements that define relations, by unqualified name: the first creator's index.
fn relation_creators(statements: &[Statement]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (i, s) in statements.iter().enumerate() {
        if !matches!(s.kind, StatementKind::Schema | StatementKind::Data) {
            continue;
        }
        for o in &s.facts.creates {
            if o.kind == ObjectKind::Relation {
                out.entry(o.name.to_lowercase()).or_insert(i);
            }
        }
    }
    out
}

/// Relations the SQL creates in a named schema (`CREATE TABLE shop.orders`), by unqualified
/// name: the name generated DDL must use for them (`shop.orders`).
fn relation_sql_names(statements: &[Statement]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for s in statements {
        if !matches!(s.kind, StatementKind::Schema | StatementKind::Data) {
            continue;
        }
        for o in &s.facts.creates {
            if o.kind == ObjectKind::Relation {
                out.entry(o.name.to_lowercase())
                    .or_insert_with(|| match &o.schema {
                        Some(schema) if !schema.is_empty() => format!("{schema}.{}", o.name),
                        _ => o.name.clone(),
                    });
            }
        }
    }
    out
}

fn type_creators(statements: &[Statement]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (i, s) in statements.iter().enumerate() {
        for o in &s.facts.creates {
            if o.kind == ObjectKind::Type {
                out.entry(o.name.to_lowercase()).or_insert(i);
            }
        }
    }
    out
}

/// `statements` with each of `inserts` (`at`, order, statement) placed before original
/// statement `at` (at the end when `at` is past the last), in (`at`, order) order, renumbered.
fn with_inserted(
    statements: Vec<Statement>,
    mut inserts: Vec<(usize, usize, Statement)>,
) -> Vec<Statement> {
    inserts.sort_by_key(|(at, order, _)| (*at, *order));
    let mut out = Vec::with_capacity(statements.len() + inserts.len());
    let mut inserts = inserts.into_iter().peekable();
    for (i, s) in statements.into_iter().enumerate() {
        while let Some((_, _, stmt)) = inserts.next_if(|(at, _, _)| *at <= i) {
            out.push(stmt);
        }
        out.push(s);
    }
    out.extend(inserts.map(|(_, _, stmt)| stmt));
    for (i, s) in out.iter_mut().enumerate() {
        s.index = i;
    }
    out
}

/// A statement to insert: before original statement `at`, in `phase` order, then creation
/// order.
struct Pending {
    at: usize,
    phase: u8,
    seq: usize,
    stmt: Statement,
}

/// Add generated statements to `statements` (see the module docs) and return the new list,
/// renumbered, with a note (DRF010, info) for each fragment merged with its ERD entity or
/// column table.
pub fn synthesize(
    doc: &Document,
    schema: &DocSchema,
    statements: Vec<Statement>,
) -> (Vec<Statement>, Synthesis, Vec<Diagnostic>) {
    let statements = enums::with_listed_enums(doc, schema, statements);
    let (statements, synthesis, mut diagnostics) = synthesize_tables(doc, schema, statements);
    let (statements, stated) = indexes::with_listed_indexes(doc, &schema.indexes, statements);
    diagnostics.extend(stated);
    (statements, synthesis, diagnostics)
}

/// The tables and missing columns of [`synthesize`].
fn synthesize_tables(
    doc: &Document,
    schema: &DocSchema,
    statements: Vec<Statement>,
) -> (Vec<Statement>, Synthesis, Vec<Diagnostic>) {
    let mut synthesis = Synthesis::default();
    let mut diagnostics = Vec::new();
    let merged = merged_tables(schema);
    if merged.is_empty() {
        return (statements, synthesis, diagnostics);
    }
    let creators = relation_creators(&statements);
    let sql_names = relation_sql_names(&statements);
    let types = type_creators(&statements);
    let sql_checked = sql_checked_columns(&statements);
    let n = statements.len();
    let line = |r: TextRange| doc.line_index.line(r.start);

    // Which described tables to generate, and where each must go at the latest.
    let to_generate: Vec<&Merged> = merged
        .iter()
        .filter(|m| !creators.contains_key(bare(&m.table.name)))
        .collect();
    let gen_names: HashSet<&str> = to_generate.iter().map(|m| bare(&m.table.name)).collect();
    let mut pos: HashMap<&str, usize> = HashMap::new();
    for m in &to_generate {
        let name = bare(&m.table.name);
        let first_use = statements
            .iter()
            .position(|s| {
                s.facts
                    .references
                    .iter()
                    .any(|r| r.kind == ObjectKind::Relation && r.name.to_lowercase() == name)
            })
            .unwrap_or(n);
        let in_document = statements
            .iter()
            .position(|s| s.range.start > m.table.span.start)
            .unwrap_or(n);
        // A user-defined type the SQL creates must come first.
        let after_types = m
            .columns
            .iter()
            .filter_map(|c| types.get(&c.raw_type.trim().to_lowercase()))
            .map(|&k| k + 1)
            .max()
            .unwrap_or(0);
        pos.insert(name, first_use.min(in_document).max(after_types));
    }
    // A described table the SQL only uses as `schema.table` (in an index, a view, a foreign
    // key) is generated in that schema, after the statement that creates the schema.
    let mut generated_names: HashMap<&str, String> = HashMap::new();
    for m in &to_generate {
        let name = bare(&m.table.name);
        if m.table.name.contains('.') {
            continue;
        }
        let used_in = statements.iter().find_map(|s| {
            s.facts.references.iter().find_map(|r| {
                (r.kind == ObjectKind::Relation && r.name.to_lowercase() == name)
                    .then(|| r.schema.clone())
                    .flatten()
                    .filter(|schema| !schema.is_empty() && schema != "public")
            })
        });
        let Some(schema) = used_in else { continue };
        let schema_creator = statements.iter().position(|s| {
            s.facts
                .creates
                .iter()
                .any(|o| o.kind == ObjectKind::Schema && o.name == schema)
        });
        if let Some(k) = schema_creator {
            generated_names.insert(name, format!("{schema}.{name}"));
            if let Some(p) = pos.get_mut(name) {
                *p = (*p).max(k + 1);
            }
        }
    }
    let generated_name = |m: &Merged| -> String {
        generated_names
            .get(bare(&m.table.name))
            .cloned()
            .unwrap_or_else(|| m.table.name.clone())
    };

    // Foreign keys between generated tables: inline when the target can come first, in an
    // order found by depth-first search; an edge that closes a cycle becomes an ALTER.
    let by_name: HashMap<&str, &Merged> = to_generate
        .iter()
        .map(|m| (bare(&m.table.name), *m))
        .collect();
    let mut order: Vec<&str> = Vec::new();
    let mut state: HashMap<&str, u8> = HashMap::new(); // 1 visiting, 2 done
    let mut deferred_edges: HashSet<(String, String)> = HashSet::new();
    fn visit<'a>(
        name: &'a str,
        by_name: &HashMap<&'a str, &'a Merged<'a>>,
        state: &mut HashMap<&'a str, u8>,
        order: &mut Vec<&'a str>,
        deferred: &mut HashSet<(String, String)>,
    ) {
        state.insert(name, 1);
        if let Some(m) = by_name.get(name) {
            for c in &m.columns {
                let Some((target, _)) = &c.references else {
                    continue;
                };
                let Some((&t, _)) = by_name.get_key_value(bare(target)) else {
                    continue;
                };
                if t == name {
                    continue; // self-reference: inline is fine
                }
                match state.get(t) {
                    None => visit(t, by_name, state, order, deferred),
                    Some(1) => {
                        deferred.insert((name.to_string(), c.name.clone()));
                    }
                    _ => {}
                }
            }
        }
        state.insert(name, 2);
        order.push(name);
    }
    for m in &to_generate {
        let name = bare(&m.table.name);
        if !state.contains_key(name) {
            visit(name, &by_name, &mut state, &mut order, &mut deferred_edges);
        }
    }
    // Targets no later than what refers to them: propagate from dependents (later in `order`)
    // back to their targets.
    for &name in order.iter().rev() {
        let p = pos[name];
        for c in &by_name[name].columns {
            if let Some((target, _)) = &c.references {
                let t = bare(target);
                if gen_names.contains(t)
                    && t != name
                    && !deferred_edges.contains(&(name.to_string(), c.name.clone()))
                {
                    if let Some(tp) = pos.get_mut(t) {
                        *tp = (*tp).min(p);
                    }
                }
            }
        }
    }

    let mut pending: Vec<Pending> = Vec::new();
    let mut seq = 0usize;
    let mut push = |at: usize, phase: u8, stmt: Statement, pending: &mut Vec<Pending>| {
        pending.push(Pending {
            at,
            phase,
            seq,
            stmt,
        });
        seq += 1;
    };
    for &name in &order {
        let m = by_name[name];
        let p = pos[name];
        let from = GeneratedFrom {
            source_kind: source_kind_name(m.table.source).to_string(),
            table: m.table.name.clone(),
            column: None,
            line: line(m.table.span),
            parts: Vec::new(),
        };
        let mut lines = Vec::new();
        // The row each line of `lines` comes from.
        let mut line_sources = Vec::new();
        let mut alters = Vec::new();
        let mut own_statements = Vec::new();
        let mut untyped = Vec::new();
        for c in &m.columns {
            let inherited = referenced_type(c, &merged, &statements, &creators);
            if c.raw_type.trim().is_empty() && c.pg_type.is_none() && inherited.is_none() {
                untyped.push(c);
            }
            diagnostics.extend(type_finding(c, m.table.source, &types));
            let checked = sql_checked.contains(&(bare(&m.table.name).to_string(), c.name.clone()));
            let mut def = column_definition(c, &types, inherited, checked);
            if extension_type(c) && !c.primary_key {
                // A type from an extension the server may lack: its own statement, so that
                // only this column fails.
                own_statements.push((c, def));
                continue;
            }
            let pk_count = m.columns.iter().filter(|c| c.primary_key).count();
            if c.primary_key && pk_count == 1 {
                def.push_str(" PRIMARY KEY");
            }
            match fk_target(c, m, &by_name, &creators, &sql_names) {
                Ok(Target::Generated(t, col))
                    if !deferred_edges.contains(&(name.to_string(), c.name.clone())) =>
                {
                    let t = generated_names.get(t.as_str()).cloned().unwrap_or(t);
                    def.push_str(&format!(" REFERENCES {}", quote(&t)));
                    if let Some(col) = col {
                        def.push_str(&format!(" ({})", quote_part(&col)));
                    }
                    def.push_str(&references::on_delete_clause(c));
                }
                Ok(Target::Generated(t, col)) => {
                    let at = p.max(pos.get(t.as_str()).copied().unwrap_or(p));
                    let t = generated_names.get(t.as_str()).cloned().unwrap_or(t);
                    alters.push((at, c, t, col));
                }
                Ok(Target::Sql(t, col, k)) => alters.push((p.max(k + 1), c, t, col)),
                Err(why) => diagnostics.extend(unbuilt_reference(c, name, why)),
            }
            lines.push(def);
            line_sources.push(c.span);
        }
        let pks: Vec<String> = m
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| quote_part(&c.name))
            .collect();
        if pks.len() > 1 {
            lines.push(format!("PRIMARY KEY ({})", pks.join(", ")));
            line_sources.push(m.table.span);
        }
        // Keys stated apart from the columns, over columns the table has; a stated primary
        // key only when no column is marked as one.
        for key in &m.keys {
            let known = key
                .columns
                .iter()
                .all(|k| m.columns.iter().any(|c| c.name == *k));
            if !known || key.index || (key.primary && !pks.is_empty()) {
                continue;
            }
            let columns: Vec<String> = key.columns.iter().map(|c| quote_part(c)).collect();
            let kind = if key.primary { "PRIMARY KEY" } else { "UNIQUE" };
            let named = key.name.as_deref().map_or_else(String::new, |n| {
                format!("CONSTRAINT {} ", crate::sql::quote::quote_ident(n))
            });
            lines.push(format!("{named}{kind} ({})", columns.join(", ")));
            line_sources.push(key.span);
        }
        diagnostics.extend(untyped_finding(m, &untyped));
        if m.table.inferred {
            diagnostics.push(inferred_note(m));
        }
        let head = format!("CREATE TABLE {} (\n    ", quote(&generated_name(m)));
        let text = format!("{head}{}\n);", lines.join(",\n    "));
        let mut at = head.len();
        let mut parts = Vec::new();
        for (def, source) in lines.iter().zip(&line_sources) {
            let start = u32::try_from(at).unwrap_or(u32::MAX);
            let end = u32::try_from(at + def.len()).unwrap_or(u32::MAX);
            parts.push((TextRange::new(start, end), *source));
            at += def.len() + ",\n    ".len();
        }
        let from = GeneratedFrom { parts, ..from };
        synthesis
            .generated_tables
            .insert(name.to_string(), (m.table.source, m.table.span));
        push(
            p,
            0,
            generated_statement(text, m.table.span, from.clone()),
            &mut pending,
        );
        for (c, def) in own_statements {
            let from = GeneratedFrom {
                line: line(c.span),
                column: Some(c.name.clone()),
                parts: Vec::new(),
                ..from.clone()
            };
            let text = format!(
                "ALTER TABLE {} ADD COLUMN {def};",
                quote(&generated_name(m))
            );
            push(p, 1, generated_statement(text, c.span, from), &mut pending);
        }
        // Indexes the source asks for, after the table.
        for key in m.keys.iter().filter(|k| k.index) {
            if !key
                .columns
                .iter()
                .all(|k| m.columns.iter().any(|c| c.name == *k))
            {
                continue;
            }
            let columns: Vec<String> = key.columns.iter().map(|c| quote_part(c)).collect();
            let named = key.name.as_deref().map_or_else(String::new, |n| {
                format!("{} ", crate::sql::quote::quote_ident(n))
            });
            let text = format!(
                "CREATE INDEX {named}ON {} ({});",
                quote(&generated_name(m)),
                columns.join(", ")
            );
            let from = GeneratedFrom {
                line: line(key.span),
                parts: Vec::new(),
                ..from.clone()
            };
            push(
                p,
                1,
                generated_statement(text, key.span, from),
                &mut pending,
            );
        }
        for (at, c, t, col) in alters {
            push(
                at,
                2,
                foreign_key_alter(&generated_name(m), c, &t, col, &from, doc),
                &mut pending,
            );
        }
    }

    // Fragments: a SQL table whose description has columns the statement lacks, when the
    // statement elides columns or other statements use the missing ones.
    for m in merged.iter().filter(|m| !m.table.inferred) {
        let name = bare(&m.table.name);
        let Some(&c_idx) = creators.get(name) else {
            continue;
        };
        let creator = &statements[c_idx];
        // The table as the SQL names it (`shop.orders`), not as the ERD does.
        let table = sql_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| m.table.name.clone());
        let Some(sql) = creator.created_table() else {
            continue;
        };
        if sql.copies_columns {
            continue;
        }
        let missing: Vec<&DocColumn> = m
            .columns
            .iter()
            .filter(|c| !sql.columns.iter().any(|s| s.name == c.name))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let elided = has_elision(&creator.text);
        // Columns of the other tables a statement uses: a name one of them has (`id` in a
        // join) says nothing about this table.
        let other_columns = |s: &Statement| -> HashSet<String> {
            s.facts
                .references
                .iter()
                .filter(|r| r.kind == ObjectKind::Relation && r.name.to_lowercase() != name)
                .filter_map(|r| creators.get(&r.name.to_lowercase()))
                .filter_map(|&k| statements[k].created_table())
                .flat_map(|t| t.columns.into_iter().map(|c| c.name))
                .collect()
        };
        let used_elsewhere: Vec<&str> = missing
            .iter()
            .filter(|c| {
                statements.iter().enumerate().any(|(i, s)| {
                    i != c_idx
                        && s.facts.references.iter().any(|r| {
                            r.kind == ObjectKind::Relation && r.name.to_lowercase() == name
                        })
                        && has_word(&s.text.to_lowercase(), &c.name)
                        && !other_columns(s).contains(&c.name)
                })
            })
            .map(|c| c.name.as_str())
            .collect();
        if !elided && used_elsewhere.is_empty() {
            continue;
        }
        let from = GeneratedFrom {
            source_kind: source_kind_name(m.table.source).to_string(),
            table: m.table.name.clone(),
            column: None,
            line: line(m.table.span),
            parts: Vec::new(),
        };
        let mut adds = Vec::new();
        let mut alters = Vec::new();
        let mut own_statements = Vec::new();
        for c in &missing {
            let inherited = referenced_type(c, &merged, &statements, &creators);
            let checked = sql_checked.contains(&(bare(&m.table.name).to_string(), c.name.clone()));
            let mut def = column_definition(c, &types, inherited, checked);
            if extension_type(c) {
                own_statements.push((*c, def));
                continue;
            }
            if c.primary_key && sql.primary_key.is_empty() && !sql.partitioned {
                def.push_str(" PRIMARY KEY");
            }
            adds.push(format!("ADD COLUMN IF NOT EXISTS {def}"));
            match fk_target(c, m, &by_name, &creators, &sql_names) {
                Ok(Target::Generated(t, col)) => {
                    let at = (c_idx + 1).max(pos.get(t.as_str()).copied().unwrap_or(0));
                    let t = generated_names.get(t.as_str()).cloned().unwrap_or(t);
                    alters.push((at, *c, t, col));
                }
                Ok(Target::Sql(t, col, k)) => {
                    alters.push(((c_idx + 1).max(k + 1), *c, t, col));
                }
                Err(why) => diagnostics.extend(unbuilt_reference(c, name, why)),
            }
        }
        let text = format!(
            "ALTER TABLE {}\n    {};",
            quote(&table),
            adds.join(",\n    ")
        );
        synthesis.added_columns.insert(
            name.to_string(),
            missing.iter().map(|c| c.name.clone()).collect(),
        );
        diagnostics.push(fragment_note(
            doc,
            creator,
            m,
            &missing,
            elided,
            &used_elsewhere,
        ));
        if !adds.is_empty() {
            push(
                c_idx + 1,
                1,
                generated_statement(text, m.table.span, from.clone()),
                &mut pending,
            );
        }
        for (c, def) in own_statements {
            let from = GeneratedFrom {
                line: line(c.span),
                column: Some(c.name.clone()),
                parts: Vec::new(),
                ..from.clone()
            };
            let text = format!(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {def};",
                quote(&table)
            );
            push(
                c_idx + 1,
                1,
                generated_statement(text, c.span, from),
                &mut pending,
            );
        }
        for (at, c, t, col) in alters {
            push(
                at,
                2,
                foreign_key_alter(&table, c, &t, col, &from, doc),
                &mut pending,
            );
        }
    }

    pending.sort_by_key(|p| (p.at, p.phase, p.seq));
    let mut out = Vec::with_capacity(n + pending.len());
    let mut pending = pending.into_iter().peekable();
    for (i, s) in statements.into_iter().enumerate() {
        while let Some(p) = pending.next_if(|p| p.at <= i) {
            out.push(p.stmt);
        }
        out.push(s);
    }
    out.extend(pending.map(|p| p.stmt));
    for (i, s) in out.iter_mut().enumerate() {
        s.index = i;
    }
    (out, synthesis, diagnostics)
}

#[cfg(test)]
mod tests;
