//! Ownership of tables, views and materialized views, where it matters. Each side's owners are
//! compared relative to the role that owns its database: what that role holds belongs to
//! "whoever runs the migration", whatever the role is called on each side (a document's
//! scratch database and a live database have different owners), and only other owners are
//! named. A relation FROM gives to another role, or TO gives to one, gets `ALTER … OWNER TO`.
//! Sequences and other kinds keep the owner they get; an owned sequence follows its table.

use std::collections::BTreeMap;

use pgspec_postgres::catalog::{Catalog, TableKind};

use crate::names::{ident, qualified};
use crate::{Options, Statement};

/// Who owns one database's objects, as the comparison sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owners {
    /// The role that owns the database: its objects are the migrator's.
    pub database_owner: String,
    /// Roles of a scratch database that stand in for others (stand-in → the role it is for):
    /// a scratch copy's unprivileged owner may own through them what another role owns.
    pub stand_ins: BTreeMap<String, String>,
}

impl Owners {
    pub fn new(database_owner: &str) -> Owners {
        Owners {
            database_owner: database_owner.to_string(),
            stand_ins: BTreeMap::new(),
        }
    }

    /// `role` as compared: `None` for the database's owner, else the role it is or stands for.
    pub fn relative(&self, role: &str) -> Option<String> {
        if role == self.database_owner {
            return None;
        }
        Some(
            self.stand_ins
                .get(role)
                .cloned()
                .unwrap_or_else(|| role.to_string()),
        )
    }

    /// The role of this database that holds what `relative` says.
    pub fn actual(&self, relative: Option<&str>) -> String {
        match relative {
            None => self.database_owner.clone(),
            Some(role) => self
                .stand_ins
                .iter()
                .find(|(_, stands_for)| stands_for.as_str() == role)
                .map_or_else(|| role.to_string(), |(stand_in, _)| stand_in.clone()),
        }
    }
}

/// The relations of `c` in scope: `(schema, name, the word ALTER … OWNER TO takes, owner)`.
fn relations<'c>(
    c: &'c Catalog,
    options: &Options,
) -> Vec<(&'c str, &'c str, &'static str, &'c str)> {
    let tables = c.tables.iter().map(|t| {
        let kind = if t.kind == TableKind::Foreign {
            "FOREIGN TABLE"
        } else {
            "TABLE"
        };
        (t.schema.as_str(), t.name.as_str(), kind, t.owner.as_str())
    });
    let views = c.views.iter().map(|v| {
        let kind = if v.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        (v.schema.as_str(), v.name.as_str(), kind, v.owner.as_str())
    });
    tables
        .chain(views)
        .filter(|(schema, ..)| options.includes(schema))
        .collect()
}

/// Roles other than its database's owner that own relations of `c` in scope, as compared.
pub fn foreign_owners(c: &Catalog, owners: &Owners, options: &Options) -> Vec<String> {
    let mut roles: Vec<String> = relations(c, options)
        .into_iter()
        .filter_map(|(.., owner)| owners.relative(owner))
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// `ALTER … OWNER TO` for each relation of TO whose owner, relative to its database's owner,
/// is not FROM's (a relation the plan creates is the migrator's), naming roles as `names`
/// (the database the statements run on) has them.
pub fn owner_changes(
    from: &Catalog,
    from_owners: &Owners,
    to: &Catalog,
    to_owners: &Owners,
    names: &Owners,
    options: &Options,
) -> Vec<Statement> {
    let before: BTreeMap<(&str, &str), Option<String>> = relations(from, options)
        .into_iter()
        .map(|(schema, name, _, owner)| ((schema, name), from_owners.relative(owner)))
        .collect();
    let mut out = Vec::new();
    for (schema, name, kind, owner) in relations(to, options) {
        let wanted = to_owners.relative(owner);
        let has = before.get(&(schema, name)).cloned().flatten();
        if wanted == has {
            continue;
        }
        out.push(Statement {
            sql: format!(
                "ALTER {kind} {} OWNER TO {}",
                qualified(schema, name),
                ident(&names.actual(wanted.as_deref()))
            ),
            hazards: Vec::new(),
            transactional: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_compare_relative_to_the_database_owner_and_stand_ins() {
        let mut copy = Owners::new("pgspec_run_1");
        copy.stand_ins
            .insert("pgspec_run_1_as1".into(), "app_user".into());
        assert_eq!(copy.relative("pgspec_run_1"), None);
        assert_eq!(copy.relative("pgspec_run_1_as1"), Some("app_user".into()));
        assert_eq!(copy.relative("other"), Some("other".into()));
        assert_eq!(copy.actual(None), "pgspec_run_1");
        assert_eq!(copy.actual(Some("app_user")), "pgspec_run_1_as1");
        assert_eq!(copy.actual(Some("other")), "other");
    }
}
