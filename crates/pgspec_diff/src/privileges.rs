//! Privileges on relations and their columns (GRANT, REVOKE, WITH GRANT OPTION). What the
//! owner holds by owning is not compared: owners differ between a scratch database and a
//! live one.

use std::collections::BTreeSet;

use pgspec_postgres::catalog::{Catalog, Privilege};

use crate::names::{ident, qualified};
use crate::{Phase, Planner};

type Key = (String, String, Option<String>, String, String);

fn key(p: &Privilege) -> Key {
    (
        p.schema.clone(),
        p.relation.clone(),
        p.column.clone(),
        p.grantee.clone(),
        p.privilege.clone(),
    )
}

/// The relation's owner in `c`.
fn owner<'c>(c: &'c Catalog, schema: &str, relation: &str) -> Option<&'c str> {
    c.table(schema, relation)
        .map(|t| t.owner.as_str())
        .or_else(|| {
            c.views
                .iter()
                .find(|v| v.schema == schema && v.name == relation)
                .map(|v| v.owner.as_str())
        })
}

/// Grants in `c`, leaving out what either side's owner of the relation holds (a scratch
/// database and a live one have different owners).
fn grants(c: &Catalog, other: &Catalog, ignore: &[String]) -> Vec<(Key, bool)> {
    c.privileges
        .iter()
        .filter(|p| !p.to_owner && !ignore.contains(&p.grantee))
        .filter(|p| owner(other, &p.schema, &p.relation) != Some(p.grantee.as_str()))
        .map(|p| (key(p), p.grantable))
        .collect()
}

fn target(c: &Catalog, k: &Key) -> String {
    let (schema, relation, column, _, privilege) = k;
    let kind = if c
        .sequences
        .iter()
        .any(|s| &s.schema == schema && &s.name == relation)
    {
        "SEQUENCE"
    } else {
        "TABLE"
    };
    let column = column
        .as_ref()
        .map(|c| format!(" ({})", ident(c)))
        .unwrap_or_default();
    format!(
        "{privilege}{column} ON {kind} {}",
        qualified(schema, relation)
    )
}

fn grantee(k: &Key) -> String {
    if k.3 == "PUBLIC" {
        "PUBLIC".into()
    } else {
        ident(&k.3)
    }
}

pub(crate) fn diff(p: &mut Planner<'_>) {
    let to = p.to;
    let before = grants(&p.from, to, &p.ignore_grantees);
    let after = grants(to, &p.from, &p.ignore_grantees);
    let before_keys: BTreeSet<&Key> = before.iter().map(|(k, _)| k).collect();
    let mut out = Vec::new();
    for (k, grantable) in &after {
        let was = before.iter().find(|(b, _)| b == k).map(|(_, g)| *g);
        match was {
            Some(g) if g == *grantable => {}
            Some(true) => out.push(format!(
                "REVOKE GRANT OPTION FOR {} FROM {}",
                target(to, k),
                grantee(k)
            )),
            _ => out.push(format!(
                "GRANT {} TO {}{}",
                target(to, k),
                grantee(k),
                if *grantable { " WITH GRANT OPTION" } else { "" }
            )),
        }
    }
    for (k, _) in &before {
        let relation_stays = to.table(&k.0, &k.1).is_some()
            || to.views.iter().any(|v| v.schema == k.0 && v.name == k.1)
            || to
                .sequences
                .iter()
                .any(|s| s.schema == k.0 && s.name == k.1);
        if relation_stays && !after.iter().any(|(a, _)| a == k) && before_keys.contains(k) {
            out.push(format!("REVOKE {} FROM {}", target(to, k), grantee(k)));
        }
    }
    for sql in out {
        p.push(Phase::Privileges, sql);
    }
}
