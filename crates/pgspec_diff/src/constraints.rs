//! Table constraints: primary keys, unique, checks, exclusions and foreign keys (after the
//! keys they reference). Checks and foreign keys on existing tables are added NOT VALID and
//! validated in a second statement, which holds a weaker lock while it scans.

use std::collections::{BTreeSet, HashMap, HashSet};

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Constraint, ConstraintKind, TableKind};

use crate::names::{ident, qualified};
use crate::{hazard, Phase, Planner};

/// The definition without its NOT VALID marker (validation is compared apart).
fn shape(c: &Constraint) -> &str {
    c.definition
        .strip_suffix(" NOT VALID")
        .unwrap_or(&c.definition)
}

/// The constraints a diff looks at: the table's own (clones on partitions come with the
/// parent's; constraint triggers are triggers).
fn own(c: &Constraint) -> bool {
    !c.inherited && c.local && c.kind != ConstraintKind::Trigger
}

fn same_place(a: &Constraint, b: &Constraint) -> bool {
    a.schema == b.schema && a.table == b.table
}

/// A constraint's table and name.
fn key(c: &Constraint) -> (&str, &str, &str) {
    (&c.schema, &c.table, &c.name)
}

/// Constraints by table and name (in catalog order): one lookup where a search of every
/// constraint for each made planning 300 tables quadratic.
fn by_name(constraints: &[Constraint]) -> HashMap<(&str, &str, &str), Vec<&Constraint>> {
    let mut by_name: HashMap<_, Vec<&Constraint>> = HashMap::new();
    for c in constraints {
        by_name.entry(key(c)).or_default().push(c);
    }
    by_name
}

pub(crate) fn drops(p: &mut Planner<'_>) {
    let to = p.to;
    // Renames first: a constraint that disappears while one with the same definition appears
    // on the same table is renamed, not dropped and added.
    let in_to = by_name(&to.constraints);
    let mut renames = Vec::new();
    let in_from = by_name(&p.from.constraints);
    for f in p.from.constraints.iter().filter(|c| own(c)) {
        if in_to.contains_key(&key(f)) {
            continue;
        }
        let target = to.constraints.iter().find(|t| {
            own(t)
                && same_place(t, f)
                && shape(t) == shape(f)
                && t.validated == f.validated
                && !in_from.contains_key(&key(t))
                && !renames.iter().any(|(_, n): &(u32, String)| n == &t.name)
        });
        if let Some(t) = target {
            renames.push((f.oid, t.name.clone()));
        }
    }
    drop(in_from);
    for (oid, new_name) in renames {
        if let Some(c) = p.from.constraints.iter_mut().find(|c| c.oid == oid) {
            let sql = format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                qualified(&c.schema, &c.table),
                ident(&c.name),
                ident(&new_name)
            );
            if let Some(index) = &c.index {
                if *index == c.name {
                    let (schema, old) = (c.schema.clone(), index.clone());
                    if let Some(i) = p
                        .from
                        .indexes
                        .iter_mut()
                        .find(|i| i.schema == schema && i.name == old)
                    {
                        i.name = new_name.clone();
                    }
                }
            }
            if let Some(c) = p.from.constraints.iter_mut().find(|c| c.oid == oid) {
                if c.index.as_deref() == Some(c.name.as_str()) {
                    c.index = Some(new_name.clone());
                }
                c.name = new_name;
            }
            p.push(Phase::DropConstraints, sql);
        }
    }
    let table_goes = |c: &Constraint| to.table(&c.schema, &c.table).is_none();
    // TO has one of the same table, name and definition, validated if this one is.
    let kept = |f: &Constraint| {
        in_to.get(&key(f)).is_some_and(|ts| {
            ts.iter()
                .any(|t| shape(t) == shape(f) && (t.validated || !f.validated))
        })
    };
    let mut dropped: Vec<u32> = Vec::new();
    let mut dropped_keys: BTreeSet<(String, String)> = BTreeSet::new();
    for f in p.from.constraints.iter().filter(|c| own(c)) {
        if f.kind == ConstraintKind::ForeignKey || table_goes(f) {
            continue;
        }
        let keep = kept(f);
        if !keep {
            dropped.push(f.oid);
            if let Some(i) = &f.index {
                dropped_keys.insert((f.schema.clone(), i.clone()));
            }
        }
    }
    let mut dropped_fks = Vec::new();
    let changing_indexes = crate::indexes::changing(p);
    for f in p.from.constraints.iter().filter(|c| own(c)) {
        if f.kind != ConstraintKind::ForeignKey {
            continue;
        }
        let references_dropped = f.references.as_ref().is_some_and(|r| {
            f.index.as_ref().is_some_and(|i| {
                dropped_keys.contains(&(r.schema.clone(), i.clone()))
                    || changing_indexes.contains(&(r.schema.clone(), i.clone()))
            })
        });
        // A table that goes takes its foreign keys along, but only after the keys they
        // reference went: those are dropped first.
        if table_goes(f) && !references_dropped {
            continue;
        }
        let keep = !references_dropped && kept(f);
        if !keep {
            dropped_fks.push(f.oid);
        }
    }
    for (phase, oids) in [
        (Phase::DropForeignKeys, &dropped_fks),
        (Phase::DropConstraints, &dropped),
    ] {
        for oid in oids {
            if let Some(c) = p.from.constraints.iter().find(|c| c.oid == *oid) {
                let sql = format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    qualified(&c.schema, &c.table),
                    ident(&c.name)
                );
                let hazards = if matches!(
                    c.kind,
                    ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
                ) {
                    vec![hazard(
                        Rule::MigrationDropsIndex,
                        format!(
                            "dropping {} on {} drops its index: queries that used it slow down",
                            c.name,
                            c.display_table()
                        ),
                    )]
                } else {
                    Vec::new()
                };
                p.push_hazard(phase, sql, hazards);
            }
        }
    }
    drop(in_to);
    let dropped: HashSet<u32> = dropped.into_iter().chain(dropped_fks).collect();
    let index_names: HashSet<(String, String)> = p
        .from
        .constraints
        .iter()
        .filter(|c| dropped.contains(&c.oid) && c.kind != ConstraintKind::ForeignKey)
        .filter_map(|c| c.index.clone().map(|i| (c.schema.clone(), i)))
        .collect();
    p.from.constraints.retain(|c| !dropped.contains(&c.oid));
    p.from
        .indexes
        .retain(|i| !index_names.contains(&(i.schema.clone(), i.name.clone())));
}

pub(crate) fn adds(p: &mut Planner<'_>) {
    let to = p.to;
    // Looked up by name below (nothing here changes FROM's constraints).
    let from_constraints = std::mem::take(&mut p.from.constraints);
    let in_from = by_name(&from_constraints);
    for t in to.constraints.iter().filter(|c| own(c)) {
        let table = qualified(&t.schema, &t.table);
        let phase = if t.kind == ConstraintKind::ForeignKey {
            Phase::ForeignKeys
        } else {
            Phase::Constraints
        };
        if let Some(f) = in_from.get(&key(t)).and_then(|fs| fs.first()) {
            if !f.validated && t.validated {
                // VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on.
                p.push(
                    phase,
                    format!("ALTER TABLE {table} VALIDATE CONSTRAINT {}", ident(&t.name)),
                );
            }
            continue;
        }
        let new_table = p.created.contains(&table);
        let partitioned = to
            .table(&t.schema, &t.table)
            .is_some_and(|x| x.kind == TableKind::Partitioned);
        // A key whose index TO has on the partitioned table only (created ON ONLY, not every
        // partition's index attached: invalid) is added there only.
        let only = partitioned
            && to.indexes.iter().any(|i| {
                i.schema == t.schema
                    && i.table == t.table
                    && i.constraint.as_deref() == Some(t.name.as_str())
                    && !i.valid
            });
        let add = format!(
            "ALTER TABLE {}{table} ADD CONSTRAINT {}",
            if only { "ONLY " } else { "" },
            ident(&t.name)
        );
        let two_steps = !new_table
            && !partitioned
            && t.validated
            && matches!(t.kind, ConstraintKind::Check | ConstraintKind::ForeignKey);
        if two_steps {
            p.push(phase, format!("{add} {} NOT VALID", shape(t)));
            p.push(
                phase,
                format!("ALTER TABLE {table} VALIDATE CONSTRAINT {}", ident(&t.name)),
            );
            continue;
        }
        let mut hazards = Vec::new();
        if !new_table
            && matches!(
                t.kind,
                ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
            )
        {
            hazards.push(hazard(
                Rule::MigrationBuildsIndex,
                format!(
                    "{} builds its index on {} while writes wait (SHARE lock); a unique index built CONCURRENTLY first and added with USING INDEX avoids that",
                    t.name,
                    t.display_table()
                ),
            ));
        }
        if !new_table && t.validated && hazards.is_empty() {
            hazards.push(validation(t));
        }
        p.push_hazard(phase, format!("{add} {}", t.definition), hazards);
    }
    drop(in_from);
    p.from.constraints = from_constraints;
}

fn validation(t: &Constraint) -> crate::Hazard {
    hazard(
        Rule::MigrationValidationScan,
        format!(
            "validating {} scans every row of {}",
            t.name,
            t.display_table()
        ),
    )
}
