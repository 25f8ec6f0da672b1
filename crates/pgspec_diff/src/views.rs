//! Views and materialized views: dropped (dependants first) when they change, go away or read
//! something that changes under them; created in dependency order.

use std::collections::{BTreeMap, BTreeSet};

use pgspec_postgres::catalog::View;

use crate::names::qualified;
use crate::{Phase, Planner};

fn key(v: &View) -> String {
    qualified(&v.schema, &v.name)
}

/// `views` ordered so that every view comes after the views it reads.
fn dependency_order(views: &[View]) -> Vec<View> {
    let names: BTreeSet<String> = views.iter().map(key).collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut left: Vec<&View> = views.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|v| {
            let ready = v
                .uses_relations
                .iter()
                .all(|r| !names.contains(r) || placed.contains(r) || *r == key(v));
            if ready {
                placed.insert(key(v));
                out.push((*v).clone());
            }
            !ready
        });
        if left.len() == before {
            // A cycle cannot be created anyway; keep the catalog's order.
            out.extend(left.iter().map(|v| (*v).clone()));
            break;
        }
    }
    out
}

pub(crate) fn drop_changed(p: &mut Planner<'_>) {
    let to = p.to;
    let to_views: BTreeMap<String, &View> = to.views.iter().map(|v| (key(v), v)).collect();
    let retyped: BTreeSet<&String> = p.retyped.iter().map(|(r, _)| r).collect();
    let function_changes =
        |signature: &String| {
            let from = p.from.functions.iter().find(|f| {
                format!("{}({})", qualified(&f.schema, &f.name), f.arguments) == *signature
            });
            let to = to.functions.iter().find(|f| {
                format!("{}({})", qualified(&f.schema, &f.name), f.arguments) == *signature
            });
            match (from, to) {
                (Some(a), Some(b)) => a.definition != b.definition,
                _ => true,
            }
        };
    // Tables that go (dropped, or a view of the same name takes their place).
    let tables_go = p.going_tables();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    for v in &p.from.views {
        let same = to_views.get(&key(v)).is_some_and(|t| {
            t.materialized == v.materialized
                && t.definition == v.definition
                && t.options == v.options
        });
        let under = v
            .uses_relations
            .iter()
            .any(|r| p.recreated.contains(r) || retyped.contains(r) || tables_go.contains(r));
        if !same || under || v.uses_functions.iter().any(function_changes) {
            changed.insert(key(v));
        }
    }
    loop {
        let more: Vec<String> = p
            .from
            .views
            .iter()
            .filter(|v| !changed.contains(&key(v)))
            .filter(|v| v.uses_relations.iter().any(|r| changed.contains(r)))
            .map(key)
            .collect();
        if more.is_empty() {
            break;
        }
        changed.extend(more);
    }
    let ordered = dependency_order(&p.from.views);
    let mut oids = Vec::new();
    for v in ordered.iter().rev().filter(|v| changed.contains(&key(v))) {
        let kind = if v.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        p.push(Phase::DropViews, format!("DROP {kind} {}", key(v)));
        oids.push(v.oid);
    }
    for oid in oids {
        p.forget_relation(oid);
    }
}

pub(crate) fn creates(p: &mut Planner<'_>) {
    let to = p.to;
    for v in dependency_order(&to.views) {
        if p.from
            .views
            .iter()
            .any(|f| f.schema == v.schema && f.name == v.name)
        {
            continue;
        }
        let name = key(&v);
        let query = v.definition.trim_end().trim_end_matches(';');
        let with = if v.options.is_empty() {
            String::new()
        } else {
            format!(" WITH ({})", v.options.join(", "))
        };
        let sql = if v.materialized {
            let data = if v.populated {
                "WITH DATA"
            } else {
                "WITH NO DATA"
            };
            format!("CREATE MATERIALIZED VIEW {name}{with} AS\n{query}\n{data}")
        } else {
            format!("CREATE VIEW {name}{with} AS\n{query}")
        };
        p.push(Phase::Views, sql);
        p.created.insert(name);
    }
}
