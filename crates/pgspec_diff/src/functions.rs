//! Functions and procedures: created or replaced from their catalog definition
//! (pg_get_functiondef), dropped and created again when CREATE OR REPLACE cannot change them
//! (result type, kind, argument names).

use std::collections::BTreeSet;

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Function, FunctionKind};

use crate::names::qualified;
use crate::{hazard, Phase, Planner};

fn signature(f: &Function) -> String {
    format!("{}({})", qualified(&f.schema, &f.name), f.arguments)
}

fn same_routine(a: &Function, b: &Function) -> bool {
    a.schema == b.schema && a.name == b.name && a.arguments == b.arguments
}

fn drop_sql(f: &Function) -> String {
    let kind = match f.kind {
        FunctionKind::Procedure => "PROCEDURE",
        FunctionKind::Aggregate => "AGGREGATE",
        _ => "FUNCTION",
    };
    format!("DROP {kind} {}", signature(f))
}

pub(crate) fn diff(p: &mut Planner<'_>) {
    let to = p.to;
    // Relations this plan creates: a function whose signature uses their row type, or whose
    // body PostgreSQL parses at creation (BEGIN ATOMIC), comes after them.
    let new_relations: BTreeSet<String> = to
        .tables
        .iter()
        .filter(|t| p.from.table(&t.schema, &t.name).is_none())
        .map(|t| qualified(&t.schema, &t.name))
        .chain(
            to.views
                .iter()
                .filter(|v| {
                    !p.from
                        .views
                        .iter()
                        .any(|f| f.schema == v.schema && f.name == v.name)
                })
                .map(|v| qualified(&v.schema, &v.name)),
        )
        .collect();
    let late = |f: &Function| {
        let mentions = |text: &str| mentions_relation(&new_relations, text);
        // A SQL-standard body is parsed at creation: the tables it reads must exist.
        f.uses_relations.iter().any(|r| new_relations.contains(r))
            || f.argument_types.iter().any(|t| mentions(t))
            || f.result.as_deref().is_some_and(mentions)
    };
    let mut forgotten = Vec::new();
    let mut creates: Vec<(Phase, String, Vec<String>, crate::Statement)> = Vec::new();
    for t in &to.functions {
        let phase = if late(t) {
            Phase::LateFunctions
        } else {
            Phase::Functions
        };
        let existing = p
            .from
            .functions
            .iter()
            .find(|f| same_routine(f, t))
            .cloned();
        if existing
            .as_ref()
            .is_some_and(|f| f.definition == t.definition && f.kind == t.kind)
        {
            continue;
        }
        let Some(definition) = &t.definition else {
            p.refuse(
                signature(t),
                "creating or changing an aggregate is not supported yet",
            );
            continue;
        };
        if let Some(f) = &existing {
            let replaceable =
                f.kind == t.kind && f.result == t.result && f.argument_names == t.argument_names;
            if !replaceable {
                p.push_hazard(
                    phase,
                    drop_sql(f),
                    vec![hazard(
                        Rule::MigrationUntrackedChange,
                        format!(
                            "{} is dropped and created again (its result, kind or argument names change): what calls it by name is not checked",
                            signature(t)
                        ),
                    )],
                );
                forgotten.push(f.oid);
            }
        }
        creates.push((
            phase,
            signature(t),
            t.uses_functions.clone(),
            crate::Statement {
                sql: definition.trim_end().to_string(),
                hazards: Vec::new(),
                transactional: true,
            },
        ));
    }
    // Callees first: PostgreSQL resolves the calls of a SQL-standard body when it is created.
    let names: BTreeSet<String> = creates.iter().map(|c| c.1.clone()).collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while !creates.is_empty() {
        let before = creates.len();
        let mut i = 0;
        while i < creates.len() {
            let ready = creates[i]
                .2
                .iter()
                .all(|d| !names.contains(d) || placed.contains(d));
            if ready {
                let (phase, name, _, statement) = creates.remove(i);
                placed.insert(name);
                p.statements.entry(phase).or_default().push(statement);
            } else {
                i += 1;
            }
        }
        if creates.len() == before {
            for (phase, _, _, statement) in creates.drain(..) {
                p.statements.entry(phase).or_default().push(statement);
            }
        }
    }
    let mut removed: Vec<Function> = p
        .from
        .functions
        .iter()
        .filter(|f| !to.functions.iter().any(|t| same_routine(f, t)))
        .cloned()
        .collect();
    // A function whose signature uses the row type of a table that goes depends on it: it
    // goes before the table (`RETURNS SETOF orders`), and so do the removed functions whose
    // SQL-standard bodies call it.
    let going_tables = p.going_tables();
    let mut early: BTreeSet<String> = removed
        .iter()
        .filter(|f| {
            f.argument_types
                .iter()
                .any(|t| mentions_relation(&going_tables, t))
                || f.result
                    .as_deref()
                    .is_some_and(|r| mentions_relation(&going_tables, r))
        })
        .map(signature)
        .collect();
    loop {
        let callers: Vec<String> = removed
            .iter()
            .map(signature)
            .filter(|f| !early.contains(f) && early.iter().any(|e| uses(&p.from, f, e)))
            .collect();
        if callers.is_empty() {
            break;
        }
        early.extend(callers);
    }
    // Callers before their callees.
    let mut ordered = Vec::new();
    while !removed.is_empty() {
        let before = removed.len();
        let names: BTreeSet<String> = removed.iter().map(signature).collect();
        let (free, rest): (Vec<Function>, Vec<Function>) = removed.into_iter().partition(|f| {
            !names
                .iter()
                .any(|n| *n != signature(f) && uses(&p.from, n, &signature(f)))
        });
        removed = rest;
        if free.is_empty() {
            ordered.append(&mut removed);
        }
        ordered.extend(free);
        if removed.len() == before {
            ordered.append(&mut removed);
        }
    }
    for f in ordered {
        forgotten.push(f.oid);
        let phase = if early.contains(&signature(&f)) {
            Phase::DropRowTypeFunctions
        } else {
            Phase::DropFunctions
        };
        crate::push_plain(&mut p.statements, phase, drop_sql(&f));
    }
    p.from.functions.retain(|f| !forgotten.contains(&f.oid));
}

/// Whether a type as the catalog prints it (`public.orders`, `public.orders[]`,
/// `SETOF public.orders`) is the row type of one of `relations` (qualified names).
fn mentions_relation(relations: &BTreeSet<String>, text: &str) -> bool {
    relations.iter().any(|r| {
        text == r || text.starts_with(&format!("{r}[")) || text.contains(&format!("SETOF {r}"))
    })
}

/// Whether the function `caller` (a signature) depends on `callee`.
fn uses(catalog: &pgspec_postgres::catalog::Catalog, caller: &str, callee: &str) -> bool {
    catalog
        .functions
        .iter()
        .find(|f| signature(f) == caller)
        .is_some_and(|f| f.uses_functions.iter().any(|u| u == callee))
}
