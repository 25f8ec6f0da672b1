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
        let mentions = |text: &str| {
            new_relations.iter().any(|r| {
                text == r
                    || text.starts_with(&format!("{r}["))
                    || text.contains(&format!("SETOF {r}"))
            })
        };
        f.argument_types.iter().any(|t| mentions(t))
            || f.result.as_deref().is_some_and(mentions)
            || f.definition
                .as_deref()
                .is_some_and(|d| d.contains("BEGIN ATOMIC"))
    };
    let mut forgotten = Vec::new();
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
        p.push(phase, definition.trim_end().to_string());
    }
    for f in &p.from.functions {
        if !to.functions.iter().any(|t| same_routine(f, t)) {
            forgotten.push(f.oid);
            p.statements
                .entry(Phase::DropFunctions)
                .or_default()
                .push(crate::Statement {
                    sql: drop_sql(f),
                    hazards: Vec::new(),
                    transactional: true,
                });
        }
    }
    p.from.functions.retain(|f| !forgotten.contains(&f.oid));
}
