//! Indexes that no constraint owns: dropped, renamed, created (CONCURRENTLY on tables that
//! exist and can take it).

use std::collections::{HashMap, HashSet};

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Catalog, ConstraintKind, Index, TableKind};

use crate::names::{ident, qualified};
use crate::{hazard, Phase, Planner};

/// Indexes a diff looks at: not a constraint's, not a partition's copy of its parent's.
fn own(i: &Index) -> bool {
    i.constraint.is_none() && i.parent.is_none()
}

/// The definition without the index's own name.
fn shape(i: &Index) -> String {
    i.definition
        .replacen(&format!("INDEX {} ON ", ident(&i.name)), "INDEX ON ", 1)
}

fn relation_goes(p: &Planner<'_>, i: &Index) -> bool {
    p.to.table(&i.schema, &i.table).is_none()
        && !p
            .to
            .views
            .iter()
            .any(|v| v.schema == i.schema && v.name == i.table)
}

/// TO's own indexes by schema and name (in catalog order).
fn own_by_name(indexes: &[Index]) -> HashMap<(&str, &str), Vec<&Index>> {
    let mut by_name: HashMap<(&str, &str), Vec<&Index>> = HashMap::new();
    for i in indexes.iter().filter(|i| own(i)) {
        by_name
            .entry((i.schema.as_str(), i.name.as_str()))
            .or_default()
            .push(i);
    }
    by_name
}

/// The plain indexes of FROM the plan drops (they go, or change), as `(schema, name)`.
pub(crate) fn changing(p: &Planner<'_>) -> HashSet<(String, String)> {
    let in_to = own_by_name(&p.to.indexes);
    let mut seen = HashSet::new();
    let mut changing = HashSet::new();
    for f in p.from.indexes.iter().filter(|i| own(i)) {
        // The first of a name decides, as a search by name finds it.
        if !seen.insert((f.schema.as_str(), f.name.as_str())) {
            continue;
        }
        let kept = in_to
            .get(&(f.schema.as_str(), f.name.as_str()))
            .is_some_and(|ts| ts.iter().any(|t| shape(t) == shape(f)));
        if !kept {
            changing.insert((f.schema.clone(), f.name.clone()));
        }
    }
    changing
}

pub(crate) fn drops(p: &mut Planner<'_>) {
    let to = p.to;
    let mut renames = Vec::new();
    let mut dropped = Vec::new();
    let mut attaches = Vec::new();
    let in_to = own_by_name(&to.indexes);
    for f in p.from.indexes.iter().filter(|i| own(i)) {
        if relation_goes(p, f) {
            continue;
        }
        let same = in_to
            .get(&(f.schema.as_str(), f.name.as_str()))
            .is_some_and(|ts| ts.iter().any(|t| shape(t) == shape(f)));
        if same {
            continue;
        }
        // A partition's own index that TO attaches to the partitioned table's index.
        let attached = to.indexes.iter().find(|t| {
            t.parent.is_some() && t.schema == f.schema && t.name == f.name && shape(t) == shape(f)
        });
        if let Some(t) = attached {
            // A partitioned index the plan creates attaches it itself (`adds`).
            let parent_exists = p
                .from
                .indexes
                .iter()
                .any(|x| t.parent.as_deref() == Some(qualified(&x.schema, &x.name).as_str()));
            if !parent_exists && t.constraint.is_none() {
                continue;
            }
            // An index that backs a key of the parent must back the partition's own key
            // before it can be attached.
            let key = t.constraint.as_ref().and_then(|name| {
                let c = to
                    .constraints
                    .iter()
                    .find(|c| c.schema == t.schema && c.table == t.table && &c.name == name)?;
                let kind = match c.kind {
                    ConstraintKind::PrimaryKey => "PRIMARY KEY",
                    ConstraintKind::Unique => "UNIQUE",
                    _ => return None,
                };
                let exists = p
                    .from
                    .constraints
                    .iter()
                    .any(|x| x.schema == c.schema && x.table == c.table && x.name == c.name);
                (!exists).then(|| {
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} {kind} USING INDEX {}",
                        qualified(&t.schema, &t.table),
                        ident(&c.name),
                        ident(&t.name)
                    )
                })
            });
            attaches.push((
                t.parent.clone().unwrap_or_default(),
                qualified(&t.schema, &t.name),
                key,
            ));
            continue;
        }
        let renamed = to.indexes.iter().find(|t| {
            own(t)
                && t.schema == f.schema
                && t.table == f.table
                && shape(t) == shape(f)
                && !p
                    .from
                    .indexes
                    .iter()
                    .any(|x| x.schema == t.schema && x.name == t.name)
                && !renames.iter().any(|(_, n): &(u32, String)| *n == t.name)
        });
        match renamed {
            Some(t) => renames.push((f.oid, t.name.clone())),
            None => dropped.push(f.oid),
        }
    }
    for (oid, name) in renames {
        if let Some(i) = p.from.indexes.iter_mut().find(|i| i.oid == oid) {
            let sql = format!(
                "ALTER INDEX {} RENAME TO {}",
                qualified(&i.schema, &i.name),
                ident(&name)
            );
            i.definition = i.definition.replacen(
                &format!("INDEX {} ON ", ident(&i.name)),
                &format!("INDEX {} ON ", ident(&name)),
                1,
            );
            i.name = name;
            p.push(Phase::DropIndexes, sql);
        }
    }
    for (parent, child, key) in attaches {
        if let Some(key) = key {
            p.push(Phase::Indexes, key);
        }
        p.push(
            Phase::Indexes,
            format!("ALTER INDEX {parent} ATTACH PARTITION {child}"),
        );
    }
    for oid in &dropped {
        if let Some(i) = p.from.indexes.iter().find(|i| i.oid == *oid) {
            let sql = format!("DROP INDEX {}", qualified(&i.schema, &i.name));
            let h = hazard(
                Rule::MigrationDropsIndex,
                format!(
                    "index {} on {} is dropped: queries that used it slow down",
                    i.name,
                    i.display_table()
                ),
            );
            p.push_hazard(Phase::DropIndexes, sql, vec![h]);
        }
    }
    // A partitioned index takes its partitions' copies with it.
    let dropped: HashSet<u32> = dropped.into_iter().collect();
    let parents: HashSet<String> = p
        .from
        .indexes
        .iter()
        .filter(|i| dropped.contains(&i.oid))
        .map(|i| qualified(&i.schema, &i.name))
        .collect();
    p.from.indexes.retain(|i| {
        !dropped.contains(&i.oid) && !i.parent.as_ref().is_some_and(|x| parents.contains(x))
    });
}

pub(crate) fn adds(p: &mut Planner<'_>) {
    let to = p.to;
    let in_from: HashSet<(String, String)> = p
        .from
        .indexes
        .iter()
        .map(|f| (f.schema.clone(), f.name.clone()))
        .collect();
    for t in to.indexes.iter().filter(|i| own(i)) {
        if in_from.contains(&(t.schema.clone(), t.name.clone())) {
            continue;
        }
        let relation = qualified(&t.schema, &t.table);
        let on_view = to
            .views
            .iter()
            .any(|v| v.schema == t.schema && v.name == t.table);
        // On a partitioned table the index is created on every partition too, unless TO's is
        // still invalid (created ON ONLY, not every partition's index attached yet).
        let definition = if t.valid {
            t.definition.replacen(" ON ONLY ", " ON ", 1)
        } else {
            t.definition.clone()
        };
        if on_view {
            let new_view = p.created.contains(&relation);
            let hazards = if new_view {
                Vec::new()
            } else {
                vec![build(t, "while writes wait")]
            };
            p.push_hazard(Phase::ViewIndexes, definition, hazards);
            continue;
        }
        let new_table = p.created.contains(&relation);
        let partitioned = to
            .table(&t.schema, &t.table)
            .is_some_and(|x| x.kind == TableKind::Partitioned);
        let mut attach = Vec::new();
        if partitioned {
            // TO's partitions' own copies first, under TO's names: creating the partitioned
            // index then attaches them instead of building copies with generated names. An
            // index created ON ONLY attaches none: each is attached by name after it.
            let parent = qualified(&t.schema, &t.name);
            for child in to
                .indexes
                .iter()
                .filter(|c| c.parent.as_deref() == Some(parent.as_str()) && c.constraint.is_none())
            {
                let exists = p
                    .from
                    .indexes
                    .iter()
                    .any(|f| f.schema == child.schema && f.name == child.name);
                if !exists {
                    p.push(Phase::Indexes, child.definition.clone());
                }
                if !t.valid {
                    attach.push(format!(
                        "ALTER INDEX {parent} ATTACH PARTITION {}",
                        qualified(&child.schema, &child.name)
                    ));
                }
            }
        }
        if new_table {
            p.push(Phase::Indexes, definition);
        } else if partitioned {
            p.push_hazard(
                Phase::Indexes,
                definition,
                vec![build(t, "on every partition while writes wait (SHARE lock; a partitioned table cannot build CONCURRENTLY)")],
            );
        } else {
            p.push_with(
                Phase::Indexes,
                definition.replacen("INDEX ", "INDEX CONCURRENTLY ", 1),
                vec![build(
                    t,
                    "CONCURRENTLY: writes go on, but it reads the table twice and leaves an invalid index if it fails",
                )],
                false,
            );
        }
        for sql in attach {
            p.push(Phase::Indexes, sql);
        }
    }
}

fn build(i: &Index, how: &str) -> crate::Hazard {
    hazard(
        Rule::MigrationBuildsIndex,
        format!("index {} is built on {} {how}", i.name, i.display_table()),
    )
}

/// The partitions' copies of partitioned indexes, as `(partition, copy, parent index, shape)`:
/// which index of a partition is attached to which parent index, which pg_dump prints and the
/// plan does not otherwise compare.
fn partition_copies(
    catalog: &Catalog,
    options: &crate::Options,
) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = catalog
        .indexes
        .iter()
        .filter(|i| options.includes(&i.schema))
        .filter_map(|i| {
            i.parent.as_ref().map(|parent| {
                (
                    qualified(&i.schema, &i.table),
                    qualified(&i.schema, &i.name),
                    parent.clone(),
                    shape(i),
                )
            })
        })
        .collect();
    out.sort();
    out
}

/// Where two catalogs differ in the partitions' index copies (their names, and which parent
/// index each is attached to): for the validation, after a plan ran on a copy of FROM.
pub fn partition_copies_differ(
    after: &Catalog,
    to: &Catalog,
    options: &crate::Options,
) -> Vec<String> {
    let (a, b) = (
        partition_copies(after, options),
        partition_copies(to, options),
    );
    let mut out = Vec::new();
    for (table, name, parent, _) in a.iter().filter(|x| !b.contains(x)) {
        out.push(format!(
            "index {name} of partition {table} is attached to {parent}, which TO does not have"
        ));
    }
    for (table, name, parent, _) in b.iter().filter(|x| !a.contains(x)) {
        out.push(format!(
            "TO attaches index {name} of partition {table} to {parent}; the plan does not"
        ));
    }
    out
}
