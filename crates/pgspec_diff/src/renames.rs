//! Renames by evidence: a table or column that goes while an identical one appears (same
//! schema, same table) is a rename candidate, offered by name rather than silently planned as
//! a drop and an add. A candidate is taken only when the match is one to one; the statements
//! that take it also rename what is named after it (`users_pkey` → `people_pkey`, the sequence
//! of a serial column), when TO has that name and FROM does not.

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Catalog, Column, Table, TableKind};
use serde::Serialize;

use crate::names::{ident, qualified};
use crate::{hazard, Options, Statement};

/// What is renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameKind {
    Table,
    Column,
}

/// One rename candidate: FROM's object, TO's name, and the statements that take it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rename {
    pub kind: RenameKind,
    pub schema: String,
    /// The table (for a column: its name in TO).
    pub table: String,
    /// FROM's name of the table or column.
    pub from: String,
    /// TO's name.
    pub to: String,
    pub statements: Vec<Statement>,
    /// `false` when FROM's object matches several of TO's, or TO's several of FROM's: the
    /// evidence does not say which one it became.
    pub unique: bool,
}

impl Rename {
    /// `table public.users → public.people`, `column public.users.name → full_name`.
    pub fn describe(&self) -> String {
        match self.kind {
            RenameKind::Table => format!(
                "table {} → {}",
                qualified(&self.schema, &self.from),
                qualified(&self.schema, &self.to)
            ),
            RenameKind::Column => format!(
                "column {}.{} → {}",
                qualified(&self.schema, &self.table),
                ident(&self.from),
                ident(&self.to)
            ),
        }
    }
}

/// The rename candidates between `from` and `to`: tables first, then columns.
pub fn renames(from: &Catalog, to: &Catalog, options: &Options) -> Vec<Rename> {
    let mut out = table_renames(from, to, options);
    out.extend(column_renames(from, to, options));
    out
}

/// Tables that can be renamed as a whole: ordinary, outside any partition or inheritance tree.
fn plain(t: &Table) -> bool {
    t.kind == TableKind::Ordinary
        && t.partition_of.is_none()
        && t.partitioning.is_none()
        && t.inherits.is_empty()
        && !t.columns.is_empty()
}

/// Two columns alike but for their names; `renamed` is `(old, new)` of the name that changes
/// (a serial's default names its sequence, which is named after its table and column).
fn same_column(f: &Column, t: &Column, renamed: (&str, &str)) -> bool {
    let default = f.default.as_ref().map(|d| d.replace(renamed.0, renamed.1));
    f.type_name == t.type_name
        && f.not_null == t.not_null
        && default == t.default
        && f.generated == t.generated
        && f.identity == t.identity
        && f.collation == t.collation
        && f.local == t.local
}

fn same_table(f: &Table, t: &Table) -> bool {
    f.schema == t.schema
        && f.columns.len() == t.columns.len()
        && f.columns
            .iter()
            .zip(&t.columns)
            .all(|(a, b)| a.name == b.name && same_column(a, b, (&f.name, &t.name)))
}

/// The pairs `(i, j)` where `gone[i]` matches `new[j]`, each with whether neither matches
/// anything else.
fn matching<A, B>(
    gone: &[A],
    new: &[B],
    matches: impl Fn(&A, &B) -> bool,
) -> Vec<(usize, usize, bool)> {
    let mut pairs = Vec::new();
    for (i, g) in gone.iter().enumerate() {
        let hits: Vec<usize> = (0..new.len()).filter(|&j| matches(g, &new[j])).collect();
        for &j in &hits {
            let unique =
                hits.len() == 1 && gone.iter().filter(|x| matches(x, &new[j])).count() == 1;
            pairs.push((i, j, unique));
        }
    }
    pairs
}

fn table_renames(from: &Catalog, to: &Catalog, options: &Options) -> Vec<Rename> {
    let gone: Vec<&Table> = from
        .tables
        .iter()
        .filter(|t| options.includes(&t.schema) && plain(t))
        .filter(|t| to.table(&t.schema, &t.name).is_none())
        .collect();
    let new: Vec<&Table> = to
        .tables
        .iter()
        .filter(|t| options.includes(&t.schema) && plain(t))
        .filter(|t| from.table(&t.schema, &t.name).is_none())
        .collect();
    matching(&gone, &new, |f, t| same_table(f, t))
        .into_iter()
        .map(|(i, j, unique)| {
            let (f, t) = (gone[i], new[j]);
            let mut statements = vec![Statement {
                sql: format!(
                    "ALTER TABLE {} RENAME TO {}",
                    qualified(&f.schema, &f.name),
                    ident(&t.name)
                ),
                hazards: vec![untracked(&qualified(&f.schema, &f.name))],
                transactional: true,
            }];
            statements.extend(named_after(from, to, f, t, (&f.name, &t.name)));
            Rename {
                kind: RenameKind::Table,
                schema: t.schema.clone(),
                table: t.name.clone(),
                from: f.name.clone(),
                to: t.name.clone(),
                statements,
                unique,
            }
        })
        .collect()
}

fn column_renames(from: &Catalog, to: &Catalog, options: &Options) -> Vec<Rename> {
    let mut out = Vec::new();
    for t in to.tables.iter().filter(|t| options.includes(&t.schema)) {
        let Some(f) = from.table(&t.schema, &t.name) else {
            continue;
        };
        if t.is_partition() || t.kind == TableKind::Foreign || f.kind != t.kind {
            continue;
        }
        let gone: Vec<&Column> = f
            .columns
            .iter()
            .filter(|c| c.local && t.column(&c.name).is_none())
            .collect();
        let new: Vec<&Column> = t
            .columns
            .iter()
            .filter(|c| c.local && f.column(&c.name).is_none())
            .collect();
        for (i, j, unique) in matching(&gone, &new, |a, b| same_column(a, b, (&a.name, &b.name))) {
            let (a, b) = (gone[i], new[j]);
            let table = qualified(&t.schema, &t.name);
            let mut statements = vec![Statement {
                sql: format!(
                    "ALTER TABLE {table} RENAME COLUMN {} TO {}",
                    ident(&a.name),
                    ident(&b.name)
                ),
                hazards: vec![untracked(&format!("{table}.{}", ident(&a.name)))],
                transactional: true,
            }];
            statements.extend(named_after(from, to, f, t, (&a.name, &b.name)));
            out.push(Rename {
                kind: RenameKind::Column,
                schema: t.schema.clone(),
                table: t.name.clone(),
                from: a.name.clone(),
                to: b.name.clone(),
                statements,
                unique,
            });
        }
    }
    out
}

fn untracked(object: &str) -> crate::Hazard {
    hazard(
        Rule::MigrationUntrackedChange,
        format!(
            "{object} is renamed: views, keys and indexes follow it, but function bodies and queries that name it by its old name do not"
        ),
    )
}

/// Every way of replacing one occurrence of `old` in `name` by `new`.
fn substitutions(name: &str, old: &str, new: &str) -> Vec<String> {
    if old.is_empty() {
        return Vec::new();
    }
    name.match_indices(old)
        .map(|(at, _)| format!("{}{new}{}", &name[..at], &name[at + old.len()..]))
        .collect()
}

/// The name `name` becomes when `renamed` is applied to it, if TO has it (`in_to`) and FROM
/// does not (`in_from`).
fn follow(
    name: &str,
    renamed: (&str, &str),
    in_to: impl Fn(&str) -> bool,
    in_from: impl Fn(&str) -> bool,
) -> Option<String> {
    if in_to(name) {
        return None;
    }
    substitutions(name, renamed.0, renamed.1)
        .into_iter()
        .find(|n| in_to(n) && !in_from(n))
}

/// Renames of the constraints, indexes and owned sequences of FROM's table `f` whose names
/// carry the renamed name, to the names TO gives them on `t`.
fn named_after(
    from: &Catalog,
    to: &Catalog,
    f: &Table,
    t: &Table,
    renamed: (&str, &str),
) -> Vec<Statement> {
    let schema = &f.schema;
    let table = qualified(&t.schema, &t.name);
    // Indexes, sequences and tables share one namespace per schema.
    let relation_in_from = |n: &str| {
        from.indexes
            .iter()
            .any(|i| &i.schema == schema && i.name == n)
            || from
                .sequences
                .iter()
                .any(|s| &s.schema == schema && s.name == n)
            || from
                .tables
                .iter()
                .any(|x| &x.schema == schema && x.name == n)
            || from
                .views
                .iter()
                .any(|x| &x.schema == schema && x.name == n)
    };
    let mut out = Vec::new();
    let mut index_renamed = Vec::new();
    for c in from
        .constraints_of(f.oid)
        .filter(|c| c.local && !c.inherited)
    {
        let in_to = |n: &str| to.constraints_of(t.oid).any(|x| x.name == n);
        let in_from = |n: &str| {
            from.constraints_of(f.oid).any(|x| x.name == n)
                || (c.index.is_some() && relation_in_from(n))
        };
        if let Some(n) = follow(&c.name, renamed, in_to, in_from) {
            out.push(plain_statement(format!(
                "ALTER TABLE {table} RENAME CONSTRAINT {} TO {}",
                ident(&c.name),
                ident(&n)
            )));
            if let Some(i) = &c.index {
                index_renamed.push(i.clone());
            }
        }
    }
    for i in from.indexes_of(f.oid) {
        if i.constraint.is_some() || index_renamed.contains(&i.name) {
            continue;
        }
        let in_to = |n: &str| to.indexes_of(t.oid).any(|x| x.name == n);
        if let Some(n) = follow(&i.name, renamed, in_to, relation_in_from) {
            out.push(plain_statement(format!(
                "ALTER INDEX {} RENAME TO {}",
                qualified(schema, &i.name),
                ident(&n)
            )));
        }
    }
    for s in from.sequences.iter().filter(|s| {
        s.owned_by
            .as_ref()
            .is_some_and(|o| &o.schema == schema && o.table == f.name)
    }) {
        let in_to = |n: &str| {
            to.sequences
                .iter()
                .any(|x| &x.schema == schema && x.name == n)
        };
        if let Some(n) = follow(&s.name, renamed, in_to, relation_in_from) {
            out.push(plain_statement(format!(
                "ALTER SEQUENCE {} RENAME TO {}",
                qualified(schema, &s.name),
                ident(&n)
            )));
        }
    }
    out
}

fn plain_statement(sql: String) -> Statement {
    Statement {
        sql,
        hazards: Vec::new(),
        transactional: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_a_candidate() {
        assert_eq!(
            substitutions("id_users_id_seq", "id", "uid"),
            vec!["uid_users_id_seq", "id_users_uid_seq"]
        );
        assert!(substitutions("x", "", "y").is_empty());
    }

    #[test]
    fn only_one_to_one_matches_are_unique() {
        // 1 matches both 1s; 2 matches only 2: only (2, 2) is unambiguous.
        let gone = [1, 2, 3];
        let new = [2, 1, 1];
        assert_eq!(
            matching(&gone, &new, |a, b| a == b),
            vec![(0, 1, false), (0, 2, false), (1, 0, true)]
        );
    }
}
