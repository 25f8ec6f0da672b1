//! The user's types: enums (labels added in place), domains, composite and range types.

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Function, Type, TypeKind};

use crate::names::{ident, literal, qualified};
use crate::{hazard, Phase, Planner};

fn rank(t: &Type) -> u8 {
    match t.kind {
        TypeKind::Enum { .. } => 0,
        TypeKind::Range { .. } => 1,
        TypeKind::Domain { .. } => 2,
        TypeKind::Composite { .. } => 3,
    }
}

fn create(t: &Type) -> String {
    let name = qualified(&t.schema, &t.name);
    match &t.kind {
        TypeKind::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", "))
        }
        TypeKind::Range { subtype } => {
            format!("CREATE TYPE {name} AS RANGE (SUBTYPE = {subtype})")
        }
        TypeKind::Domain {
            base,
            not_null,
            default,
            checks,
        } => {
            let mut sql = format!("CREATE DOMAIN {name} AS {base}");
            if let Some(d) = default {
                sql.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
                sql.push_str(" NOT NULL");
            }
            for c in checks {
                sql.push_str(&format!(" CONSTRAINT {} {}", ident(&c.name), c.definition));
            }
            sql
        }
        TypeKind::Composite { attributes } => {
            let attributes: Vec<String> = attributes
                .iter()
                .map(|(n, t)| format!("{} {t}", ident(n)))
                .collect();
            format!("CREATE TYPE {name} AS ({})", attributes.join(", "))
        }
    }
}

/// The type names `t` is built on (a domain's base, a composite's attributes, a range's
/// subtype), as format_type prints them.
fn built_on(t: &Type) -> Vec<&str> {
    match &t.kind {
        TypeKind::Enum { .. } => Vec::new(),
        TypeKind::Range { subtype } => vec![subtype.as_str()],
        TypeKind::Domain { base, .. } => vec![base.as_str()],
        TypeKind::Composite { attributes } => attributes.iter().map(|(_, t)| t.as_str()).collect(),
    }
}

/// Whether `written` (format_type's text) names `u`, or an array of it, or it with a typmod.
fn names_type(written: &str, u: &Type) -> bool {
    let name = qualified(&u.schema, &u.name);
    written
        .strip_prefix(name.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('[') || rest.starts_with('('))
}

/// `types` so that each comes after the types among them it is built on (a domain over a
/// domain or an enum, a composite of them); otherwise in the order given.
fn in_dependency_order(mut left: Vec<&Type>) -> Vec<&Type> {
    let mut placed = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|t| {
                !left
                    .iter()
                    .any(|u| !std::ptr::eq(*t, *u) && built_on(t).iter().any(|w| names_type(w, u)))
            })
            .unwrap_or(0);
        placed.push(left.remove(ready));
    }
    placed
}

/// Whether a domain's checks or default call one of `functions`: it is created after them and
/// dropped before them.
fn calls_a_function(t: &Type, functions: &[Function]) -> bool {
    let TypeKind::Domain {
        default, checks, ..
    } = &t.kind
    else {
        return false;
    };
    let texts: Vec<&str> = checks
        .iter()
        .map(|c| c.definition.as_str())
        .chain(default.as_deref())
        .collect();
    functions.iter().any(|f| {
        let call = format!("{}(", qualified(&f.schema, &f.name));
        texts.iter().any(|text| text.contains(&call))
    })
}

pub(crate) fn diff(p: &mut Planner<'_>) {
    let to = p.to;
    let mut new: Vec<&Type> = to
        .types
        .iter()
        .filter(|t| {
            !p.from
                .types
                .iter()
                .any(|f| f.schema == t.schema && f.name == t.name)
        })
        .collect();
    new.sort_by_key(|t| rank(t));
    for t in in_dependency_order(new) {
        let phase = if calls_a_function(t, &to.functions) {
            Phase::FunctionDomains
        } else {
            Phase::Types
        };
        p.push(phase, create(t));
    }
    for t in &to.types {
        let Some(f) = p
            .from
            .types
            .iter()
            .find(|f| f.schema == t.schema && f.name == t.name)
            .cloned()
        else {
            continue;
        };
        if f.kind != t.kind {
            alter(p, &f, t);
        }
    }
    let removed: Vec<&Type> = p
        .from
        .types
        .iter()
        .filter(|f| {
            !to.types
                .iter()
                .any(|t| f.schema == t.schema && f.name == t.name)
        })
        .collect();
    // Dependants first.
    let removed: Vec<Type> = in_dependency_order(removed)
        .into_iter()
        .rev()
        .cloned()
        .collect();
    for f in removed {
        let kind = if matches!(f.kind, TypeKind::Domain { .. }) {
            "DOMAIN"
        } else {
            "TYPE"
        };
        let phase = if calls_a_function(&f, &p.from.functions) {
            Phase::DropFunctionDomains
        } else {
            Phase::DropTypes
        };
        p.push(
            phase,
            format!("DROP {kind} {}", qualified(&f.schema, &f.name)),
        );
    }
}

/// Whether `new` keeps every label of `old` in the same order (so ADD VALUE gets there).
pub(crate) fn labels_only_added(old: &[String], new: &[String]) -> bool {
    let mut kept = new.iter().filter(|l| old.contains(l));
    !old.iter().any(|l| !new.contains(l)) && old.iter().all(|l| kept.next() == Some(l))
}

fn alter(p: &mut Planner<'_>, f: &Type, t: &Type) {
    let name = qualified(&t.schema, &t.name);
    match (&f.kind, &t.kind) {
        (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new })
            if p.rebuilt_enums.contains(&name) =>
        {
            // Labels removed or reordered: the old type is renamed aside, the new one created,
            // the columns converted through text (columns.rs), the old type dropped.
            let aside = format!("{}__pgspec_old", t.name);
            p.push(
                Phase::Types,
                format!("ALTER TYPE {name} RENAME TO {}", ident(&aside)),
            );
            let removed: Vec<String> = old
                .iter()
                .filter(|l| !new.contains(l))
                .map(|l| literal(l))
                .collect();
            let hazards = if removed.is_empty() {
                Vec::new()
            } else {
                vec![hazard(
                    Rule::MigrationNarrowsType,
                    format!(
                        "{name} loses the labels {}: converting a column that holds one fails",
                        removed.join(", ")
                    ),
                )]
            };
            p.push_hazard(Phase::Types, create(t), hazards);
            p.push(
                Phase::DropTypes,
                format!("DROP TYPE {}", qualified(&t.schema, &aside)),
            );
        }
        (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) => {
            for (i, label) in new.iter().enumerate() {
                if old.contains(label) {
                    continue;
                }
                let place = match i.checked_sub(1).and_then(|j| new.get(j)) {
                    Some(prev) => format!(" AFTER {}", literal(prev)),
                    None => match new.iter().find(|l| old.contains(l)) {
                        Some(next) => format!(" BEFORE {}", literal(next)),
                        None => String::new(),
                    },
                };
                // IF NOT EXISTS: a step outside a transaction may run again after an interruption.
                let sql = format!(
                    "ALTER TYPE {name} ADD VALUE IF NOT EXISTS {}{place}",
                    literal(label)
                );
                p.added_labels.push(crate::AddedLabel {
                    sql: sql.clone(),
                    type_name: name.clone(),
                    literal: literal(label),
                });
                p.push_with(Phase::Types, sql, Vec::new(), false);
            }
        }
        (
            TypeKind::Domain {
                base: b1,
                not_null: n1,
                default: d1,
                checks: c1,
            },
            TypeKind::Domain {
                base: b2,
                not_null: n2,
                default: d2,
                checks: c2,
            },
        ) => {
            if b1 != b2 {
                p.refuse(
                    &name,
                    "changing the base type of a domain is not supported yet",
                );
                return;
            }
            if d1 != d2 {
                match d2 {
                    Some(d) => p.push(Phase::Types, format!("ALTER DOMAIN {name} SET DEFAULT {d}")),
                    None => p.push(Phase::Types, format!("ALTER DOMAIN {name} DROP DEFAULT")),
                }
            }
            for c in c1 {
                if !c2.contains(c) {
                    p.push(
                        Phase::Types,
                        format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", ident(&c.name)),
                    );
                }
            }
            for c in c2 {
                if !c1.contains(c) {
                    p.push_hazard(
                        Phase::Types,
                        format!(
                            "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                            ident(&c.name),
                            c.definition
                        ),
                        vec![hazard(
                            Rule::MigrationValidationScan,
                            format!(
                                "the new check {} of domain {name} scans every column that uses it",
                                c.name
                            ),
                        )],
                    );
                }
            }
            if n1 != n2 {
                let verb = if *n2 { "SET" } else { "DROP" };
                p.push(Phase::Types, format!("ALTER DOMAIN {name} {verb} NOT NULL"));
            }
        }
        (TypeKind::Composite { attributes: a1 }, TypeKind::Composite { attributes: a2 }) => {
            for (n, ty) in a2 {
                match a1.iter().find(|(m, _)| m == n) {
                    None => p.push(
                        Phase::Types,
                        format!("ALTER TYPE {name} ADD ATTRIBUTE {} {ty}", ident(n)),
                    ),
                    Some((_, old)) if old != ty => p.push(
                        Phase::Types,
                        format!("ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {ty}", ident(n)),
                    ),
                    Some(_) => {}
                }
            }
            for (n, _) in a1 {
                if !a2.iter().any(|(m, _)| m == n) {
                    p.push_hazard(
                        Phase::Types,
                        format!("ALTER TYPE {name} DROP ATTRIBUTE {}", ident(n)),
                        vec![hazard(
                            Rule::MigrationDropsData,
                            format!("attribute {n} of {name} is dropped with its values"),
                        )],
                    );
                }
            }
        }
        _ => p.refuse(
            &name,
            "changing the kind of a type (or a range type's definition) is not supported yet",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::labels_only_added;

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn labels_added_anywhere_keep_the_type() {
        assert!(labels_only_added(
            &labels(&["a", "c"]),
            &labels(&["a", "b", "c"])
        ));
        assert!(labels_only_added(
            &labels(&["b"]),
            &labels(&["a", "b", "c"])
        ));
    }

    #[test]
    fn labels_removed_or_reordered_rebuild_it() {
        assert!(!labels_only_added(&labels(&["a", "b"]), &labels(&["a"])));
        assert!(!labels_only_added(
            &labels(&["a", "b"]),
            &labels(&["b", "a"])
        ));
    }
}
