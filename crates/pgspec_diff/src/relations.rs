//! Schemas, extensions, tables (created, recreated, attached, altered, dropped), triggers,
//! policies, row level security and comments.

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{PolicyCommand, Table, TableKind};

use crate::names::{comment_literal, ident, literal, qualified};
use crate::{hazard, Phase, Planner};

fn table_name(t: &Table) -> String {
    qualified(&t.schema, &t.name)
}

impl Planner<'_> {
    pub(crate) fn table_before(&self, schema: &str, name: &str) -> Option<&Table> {
        self.from.table(schema, name)
    }

    /// Remove the relation with this oid from the working FROM, with what goes when it is
    /// dropped: its partitions, constraints, indexes, triggers, policies, privileges and the
    /// sequences its columns own. Foreign keys of other tables that reference it are dropped
    /// explicitly first.
    pub(crate) fn forget_relation(&mut self, oid: u32) {
        let partitions: Vec<u32> = self.from.partitions_of(oid).map(|t| t.oid).collect();
        for child in partitions {
            self.forget_relation(child);
        }
        let (schema, name) = match self.from.table_by_oid(oid) {
            Some(t) => (t.schema.clone(), t.name.clone()),
            None => match self.from.views.iter().find(|v| v.oid == oid) {
                Some(v) => (v.schema.clone(), v.name.clone()),
                None => return,
            },
        };
        let referencing: Vec<(String, String, String)> = self
            .from
            .constraints
            .iter()
            .filter(|c| c.table_oid != oid && !c.inherited)
            .filter(|c| c.references.as_ref().is_some_and(|r| r.table_oid == oid))
            .map(|c| (c.schema.clone(), c.table.clone(), c.name.clone()))
            .collect();
        for (s, t, c) in &referencing {
            self.push(
                Phase::DropForeignKeys,
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT {}",
                    qualified(s, t),
                    ident(c)
                ),
            );
        }
        self.from.constraints.retain(|c| {
            c.table_oid != oid && c.references.as_ref().is_none_or(|r| r.table_oid != oid)
        });
        self.from.indexes.retain(|i| i.table_oid != oid);
        self.from.triggers.retain(|t| t.table_oid != oid);
        self.from.policies.retain(|p| p.table_oid != oid);
        self.from.privileges.retain(|p| p.relation_oid != oid);
        self.from.sequences.retain(|s| {
            !s.owned_by
                .as_ref()
                .is_some_and(|o| o.schema == schema && o.table == name)
        });
        self.from.tables.retain(|t| t.oid != oid);
        self.from.views.retain(|v| v.oid != oid);
    }
}

/// Tables that must be dropped and created again (their kind or partition key changes).
pub(crate) fn recreations(p: &mut Planner<'_>) {
    let mut drops = Vec::new();
    for to in &p.to.tables {
        let Some(from) = p.table_before(&to.schema, &to.name) else {
            continue;
        };
        if to.kind == TableKind::Foreign || from.kind == TableKind::Foreign {
            if to.kind != from.kind {
                p.refusals.push(crate::Refusal {
                    object: table_name(to),
                    message: "changing a table to or from a foreign table is not supported".into(),
                });
            }
            continue;
        }
        let key_of = |t: &Table| t.partitioning.as_ref().map(|k| k.key.clone());
        if to.kind != from.kind || key_of(to) != key_of(from) {
            drops.push((from.oid, table_name(to)));
        }
    }
    for (oid, name) in drops {
        p.forget_relation(oid);
        p.push_hazard(
            Phase::DropRecreatedTables,
            format!("DROP TABLE {name}"),
            vec![hazard(
                Rule::MigrationDropsData,
                format!("{name} is dropped and created again (its kind or partition key changes): its rows are lost"),
            )],
        );
        p.recreated.insert(name);
    }
}

pub(crate) fn schemas_and_extensions(p: &mut Planner<'_>) {
    let to = p.to;
    for s in &to.schemas {
        if !p.from.schemas.iter().any(|f| f.name == s.name) {
            p.push(
                Phase::CreateSchemas,
                format!("CREATE SCHEMA {}", ident(&s.name)),
            );
        }
    }
    let dropped: Vec<String> = p
        .from
        .schemas
        .iter()
        .filter(|f| !to.schemas.iter().any(|s| s.name == f.name))
        .map(|f| f.name.clone())
        .collect();
    for s in dropped {
        p.push(Phase::DropSchemas, format!("DROP SCHEMA {}", ident(&s)));
    }
    for e in &to.extensions {
        match p.from.extensions.iter().find(|f| f.name == e.name).cloned() {
            None => p.push(
                Phase::CreateExtensions,
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {}",
                    ident(&e.name),
                    ident(&e.schema),
                    literal(&e.version)
                ),
            ),
            Some(f) => {
                if f.schema != e.schema {
                    p.push(
                        Phase::CreateExtensions,
                        format!(
                            "ALTER EXTENSION {} SET SCHEMA {}",
                            ident(&e.name),
                            ident(&e.schema)
                        ),
                    );
                }
                if f.version != e.version {
                    p.push_hazard(
                        Phase::CreateExtensions,
                        format!(
                            "ALTER EXTENSION {} UPDATE TO {}",
                            ident(&e.name),
                            literal(&e.version)
                        ),
                        vec![hazard(
                            Rule::MigrationUntrackedChange,
                            format!(
                                "extension {} is updated from {} to {}: what the update script changes is not checked",
                                e.name, f.version, e.version
                            ),
                        )],
                    );
                }
            }
        }
    }
    for c in &to.collations {
        match p
            .from
            .collations
            .iter()
            .find(|f| f.schema == c.schema && f.name == c.name)
        {
            None => {
                let mut options = match c.provider {
                    'i' => vec![
                        "provider = icu".to_string(),
                        format!("locale = {}", literal(&c.locale)),
                    ],
                    _ => vec![
                        "provider = libc".to_string(),
                        format!("lc_collate = {}", literal(&c.locale)),
                        format!("lc_ctype = {}", literal(&c.ctype)),
                    ],
                };
                if !c.deterministic {
                    options.push("deterministic = false".into());
                }
                p.push(
                    Phase::CreateExtensions,
                    format!(
                        "CREATE COLLATION {} ({})",
                        qualified(&c.schema, &c.name),
                        options.join(", ")
                    ),
                );
            }
            Some(f) if f != c => p.refuse(
                qualified(&c.schema, &c.name),
                "changing a collation's definition is not supported yet",
            ),
            Some(_) => {}
        }
    }
    let gone: Vec<String> = p
        .from
        .collations
        .iter()
        .filter(|f| {
            !to.collations
                .iter()
                .any(|c| c.schema == f.schema && c.name == f.name)
        })
        .map(|f| qualified(&f.schema, &f.name))
        .collect();
    for c in gone {
        p.push(Phase::DropTypes, format!("DROP COLLATION {c}"));
    }
    let dropped: Vec<String> = p
        .from
        .extensions
        .iter()
        .filter(|f| !to.extensions.iter().any(|e| e.name == f.name))
        .map(|f| f.name.clone())
        .collect();
    for e in dropped {
        p.push_hazard(
            Phase::DropExtensions,
            format!("DROP EXTENSION {}", ident(&e)),
            vec![hazard(
                Rule::MigrationDropsData,
                format!("extension {e} is dropped with every object it created"),
            )],
        );
    }
}

/// Depth of a table under its partition and inheritance parents (0: none).
fn depth(catalog: &pgspec_postgres::catalog::Catalog, t: &Table) -> usize {
    fn go(catalog: &pgspec_postgres::catalog::Catalog, t: &Table, level: usize) -> usize {
        if level > 32 {
            return level;
        }
        let mut parents: Vec<&Table> = Vec::new();
        if let Some(po) = &t.partition_of {
            parents.extend(catalog.table(&po.parent_schema, &po.parent_name));
        }
        for name in &t.inherits {
            parents.extend(
                catalog
                    .tables
                    .iter()
                    .find(|x| qualified(&x.schema, &x.name) == *name),
            );
        }
        parents
            .iter()
            .map(|pt| 1 + go(catalog, pt, level + 1))
            .max()
            .unwrap_or(0)
    }
    go(catalog, t, 0)
}

/// Tables: created, attached or detached, altered column by column, dropped.
pub(crate) fn tables(p: &mut Planner<'_>) {
    let to = p.to;
    let mut new: Vec<&Table> = to
        .tables
        .iter()
        .filter(|t| p.table_before(&t.schema, &t.name).is_none())
        .collect();
    new.sort_by_key(|t| depth(to, t));
    for t in new {
        if t.kind == TableKind::Foreign {
            p.refuse(
                table_name(t),
                "creating a foreign table is not supported (its server and options are not read)",
            );
            continue;
        }
        let sql = create_table(p, t);
        p.push(Phase::Tables, sql);
        p.created.insert(table_name(t));
        table_settings(p, None, t);
    }
    let mut existing: Vec<&Table> = to.tables.iter().collect();
    // Parents first: their ALTERs recurse to the partitions.
    existing.sort_by_key(|t| depth(to, t));
    for t in existing {
        let Some(from) = p.table_before(&t.schema, &t.name).cloned() else {
            continue;
        };
        partition_membership(p, &from, t);
        crate::columns::alter(p, &from, t);
        table_settings(p, Some(&from), t);
    }
    let mut removed: Vec<Table> = p
        .from
        .tables
        .iter()
        .filter(|f| to.table(&f.schema, &f.name).is_none())
        .cloned()
        .collect();
    // Inheritance children before their parents (a parent with children does not drop).
    removed.sort_by_key(|t| std::cmp::Reverse(depth(&p.from, t)));
    for f in &removed {
        // A partition goes with its parent.
        let parent_goes = f.partition_of.as_ref().is_some_and(|po| {
            removed
                .iter()
                .any(|r| r.schema == po.parent_schema && r.name == po.parent_name)
        });
        if parent_goes {
            continue;
        }
        let name = table_name(f);
        p.push_hazard(
            Phase::DropTables,
            format!("DROP TABLE {name}"),
            vec![hazard(
                Rule::MigrationDropsData,
                format!("table {name} is dropped with its rows"),
            )],
        );
    }
    let oids: Vec<u32> = removed.iter().map(|t| t.oid).collect();
    for oid in oids {
        p.forget_relation(oid);
    }
}

fn create_table(p: &Planner<'_>, t: &Table) -> String {
    let name = table_name(t);
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut sql = format!("CREATE {unlogged}TABLE {name}");
    if let Some(po) = &t.partition_of {
        // The partition's own NOT NULL and defaults, where they differ from its parent's.
        let parent = p.to.table(&po.parent_schema, &po.parent_name);
        let options: Vec<String> = t
            .columns
            .iter()
            .filter_map(|c| {
                let pc = parent.and_then(|x| x.column(&c.name));
                let mut o = Vec::new();
                if c.not_null && !pc.is_some_and(|x| x.not_null) {
                    o.push("NOT NULL".to_string());
                }
                if c.default.is_some() && c.default != pc.and_then(|x| x.default.clone()) {
                    o.push(format!("DEFAULT {}", c.default.clone().unwrap_or_default()));
                }
                (!o.is_empty())
                    .then(|| format!("    {} WITH OPTIONS {}", ident(&c.name), o.join(" ")))
            })
            .collect();
        sql.push_str(&format!(
            " PARTITION OF {}",
            qualified(&po.parent_schema, &po.parent_name)
        ));
        if !options.is_empty() {
            sql.push_str(&format!(" (\n{}\n)", options.join(",\n")));
        }
        sql.push_str(&format!(" {}", po.bound));
    } else {
        // Inherited columns come from the parents.
        let columns: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.local || t.inherits.is_empty())
            .map(|c| format!("    {}", crate::columns::definition(p.to, t, c)))
            .collect();
        if columns.is_empty() {
            sql.push_str(" ()");
        } else {
            sql.push_str(&format!(" (\n{}\n)", columns.join(",\n")));
        }
    }
    if !t.inherits.is_empty() {
        sql.push_str(&format!(" INHERITS ({})", t.inherits.join(", ")));
    }
    if let Some(k) = &t.partitioning {
        sql.push_str(&format!(" PARTITION BY {}", k.key));
    }
    if !t.options.is_empty() {
        sql.push_str(&format!(" WITH ({})", t.options.join(", ")));
    }
    sql
}

/// ATTACH and DETACH PARTITION when a table joins, leaves or moves in a partition tree.
fn partition_membership(p: &mut Planner<'_>, from: &Table, to: &Table) {
    let name = table_name(to);
    let same = match (&from.partition_of, &to.partition_of) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.parent_schema == b.parent_schema
                && a.parent_name == b.parent_name
                && a.bound == b.bound
        }
        _ => false,
    };
    if same {
        return;
    }
    if let Some(a) = &from.partition_of {
        // Early: its old parent may be dropped, and would take it along.
        p.push(
            Phase::DropIndexes,
            format!(
                "ALTER TABLE {} DETACH PARTITION {name}",
                qualified(&a.parent_schema, &a.parent_name)
            ),
        );
    }
    if let Some(b) = &to.partition_of {
        let parent = qualified(&b.parent_schema, &b.parent_name);
        // After the columns the parent drops: a partition has exactly its parent's columns.
        p.push_hazard(
            Phase::ReAddedColumns,
            format!("ALTER TABLE {parent} ATTACH PARTITION {name} {}", b.bound),
            vec![hazard(
                Rule::MigrationValidationScan,
                format!("attaching {name} to {parent} scans its rows to check the bound"),
            )],
        );
    }
}

/// Row level security, replica identity and storage options (`from`: `None` for a new table).
fn table_settings(p: &mut Planner<'_>, from: Option<&Table>, t: &Table) {
    let name = table_name(t);
    let (rls, forced, replica, options) = from.map_or((false, false, 'd', Vec::new()), |f| {
        (
            f.rls_enabled,
            f.rls_forced,
            f.replica_identity,
            f.options.clone(),
        )
    });
    if let Some(f) = from {
        if f.unlogged != t.unlogged {
            let how = if t.unlogged { "UNLOGGED" } else { "LOGGED" };
            p.push_hazard(
                Phase::Columns,
                format!("ALTER TABLE {name} SET {how}"),
                vec![hazard(
                    Rule::MigrationRewritesTable,
                    format!("SET {how} rewrites {name} under an ACCESS EXCLUSIVE lock"),
                )],
            );
        }
        if f.inherits != t.inherits {
            p.refuse(
                &name,
                "changing the tables a table INHERITS from is not supported yet",
            );
        }
    }
    if rls != t.rls_enabled {
        let verb = if t.rls_enabled { "ENABLE" } else { "DISABLE" };
        p.push(
            Phase::RowSecurity,
            format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY"),
        );
    }
    if forced != t.rls_forced {
        let verb = if t.rls_forced { "FORCE" } else { "NO FORCE" };
        p.push(
            Phase::RowSecurity,
            format!("ALTER TABLE {name} {verb} ROW LEVEL SECURITY"),
        );
    }
    if replica != t.replica_identity {
        let what = match t.replica_identity {
            'f' => Some("FULL".to_string()),
            'n' => Some("NOTHING".to_string()),
            'd' => Some("DEFAULT".to_string()),
            _ => {
                p.to.indexes_of(t.oid)
                    .find(|i| i.replica_identity)
                    .map(|i| format!("USING INDEX {}", ident(&i.name)))
            }
        };
        match what {
            Some(what) => p.push(
                Phase::RowSecurity,
                format!("ALTER TABLE {name} REPLICA IDENTITY {what}"),
            ),
            None => p.refuse(&name, "its replica identity index was not found"),
        }
    }
    if from.is_some() && options != t.options {
        let keys = |o: &[String]| -> Vec<String> {
            o.iter()
                .map(|x| x.split('=').next().unwrap_or(x).to_string())
                .collect()
        };
        let gone: Vec<String> = keys(&options)
            .into_iter()
            .filter(|k| !keys(&t.options).contains(k))
            .collect();
        if !gone.is_empty() {
            p.push(
                Phase::Columns,
                format!("ALTER TABLE {name} RESET ({})", gone.join(", ")),
            );
        }
        if !t.options.is_empty() {
            p.push(
                Phase::Columns,
                format!("ALTER TABLE {name} SET ({})", t.options.join(", ")),
            );
        }
    }
}

pub(crate) fn triggers_and_policies_drops(p: &mut Planner<'_>) {
    let to = p.to;
    let mut dropped = Vec::new();
    for f in &p.from.triggers {
        let same = to
            .triggers
            .iter()
            .find(|t| t.schema == f.schema && t.table == f.table && t.name == f.name)
            .is_some_and(|t| t.definition == f.definition);
        if !same {
            dropped.push(f.oid);
            crate::push_plain(
                &mut p.statements,
                Phase::DropTriggers,
                format!(
                    "DROP TRIGGER {} ON {}",
                    ident(&f.name),
                    qualified(&f.schema, &f.table)
                ),
            );
        }
    }
    p.from.triggers.retain(|t| !dropped.contains(&t.oid));
    let mut dropped = Vec::new();
    for f in &p.from.policies {
        let same = to
            .policies
            .iter()
            .find(|t| t.schema == f.schema && t.table == f.table && t.name == f.name)
            .is_some_and(|t| {
                t.command == f.command
                    && t.permissive == f.permissive
                    && t.roles == f.roles
                    && t.using == f.using
                    && t.with_check == f.with_check
            });
        if !same {
            dropped.push(f.oid);
            crate::push_plain(
                &mut p.statements,
                Phase::DropPolicies,
                format!(
                    "DROP POLICY {} ON {}",
                    ident(&f.name),
                    qualified(&f.schema, &f.table)
                ),
            );
        }
    }
    p.from.policies.retain(|t| !dropped.contains(&t.oid));
}

pub(crate) fn triggers_and_policies_adds(p: &mut Planner<'_>) {
    let to = p.to;
    for t in &to.triggers {
        let existing = p
            .from
            .triggers
            .iter()
            .find(|f| f.schema == t.schema && f.table == t.table && f.name == t.name)
            .map(|f| f.enabled);
        let table = qualified(&t.schema, &t.table);
        if existing.is_none() {
            p.push(Phase::Triggers, t.definition.clone());
        }
        if existing.unwrap_or('O') != t.enabled {
            let how = match t.enabled {
                'D' => "DISABLE TRIGGER",
                'R' => "ENABLE REPLICA TRIGGER",
                'A' => "ENABLE ALWAYS TRIGGER",
                _ => "ENABLE TRIGGER",
            };
            p.push(
                Phase::Triggers,
                format!("ALTER TABLE {table} {how} {}", ident(&t.name)),
            );
        }
    }
    for pol in &to.policies {
        let exists = p
            .from
            .policies
            .iter()
            .any(|f| f.schema == pol.schema && f.table == pol.table && f.name == pol.name);
        if exists {
            continue;
        }
        let command = match pol.command {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        };
        let roles: Vec<String> = pol
            .roles
            .iter()
            .map(|r| {
                if r == "public" {
                    "PUBLIC".to_string()
                } else {
                    ident(r)
                }
            })
            .collect();
        let mut sql = format!(
            "CREATE POLICY {} ON {} AS {} FOR {command} TO {}",
            ident(&pol.name),
            qualified(&pol.schema, &pol.table),
            if pol.permissive {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            roles.join(", ")
        );
        if let Some(u) = &pol.using {
            sql.push_str(&format!(" USING ({u})"));
        }
        if let Some(c) = &pol.with_check {
            sql.push_str(&format!(" WITH CHECK ({c})"));
        }
        p.push(Phase::Policies, sql);
    }
}

/// COMMENT ON for every object whose comment differs (objects the plan creates start
/// without one).
pub(crate) fn comments(p: &mut Planner<'_>) {
    let to = p.to;
    let mut out = Vec::new();
    for s in &to.schemas {
        let before = p
            .from
            .schemas
            .iter()
            .find(|f| f.name == s.name)
            .and_then(|f| f.comment.clone());
        if before != s.comment {
            out.push(format!(
                "COMMENT ON SCHEMA {} IS {}",
                ident(&s.name),
                comment_literal(s.comment.as_deref())
            ));
        }
    }
    for t in &to.tables {
        let before = p.from.table(&t.schema, &t.name);
        let name = table_name(t);
        if before.and_then(|f| f.comment.clone()) != t.comment {
            out.push(format!(
                "COMMENT ON TABLE {name} IS {}",
                comment_literal(t.comment.as_deref())
            ));
        }
        for c in &t.columns {
            let was = before
                .and_then(|f| f.column(&c.name))
                .and_then(|f| f.comment.clone());
            if was != c.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {name}.{} IS {}",
                    ident(&c.name),
                    comment_literal(c.comment.as_deref())
                ));
            }
        }
    }
    for v in &to.views {
        let before = p
            .from
            .views
            .iter()
            .find(|f| f.schema == v.schema && f.name == v.name);
        let name = qualified(&v.schema, &v.name);
        let kind = if v.materialized {
            "MATERIALIZED VIEW"
        } else {
            "VIEW"
        };
        if before.and_then(|f| f.comment.clone()) != v.comment {
            out.push(format!(
                "COMMENT ON {kind} {name} IS {}",
                comment_literal(v.comment.as_deref())
            ));
        }
        for c in &v.columns {
            let was = before
                .and_then(|f| f.columns.iter().find(|x| x.name == c.name))
                .and_then(|f| f.comment.clone());
            if was != c.comment {
                out.push(format!(
                    "COMMENT ON COLUMN {name}.{} IS {}",
                    ident(&c.name),
                    comment_literal(c.comment.as_deref())
                ));
            }
        }
    }
    for f in &to.functions {
        let before = p
            .from
            .functions
            .iter()
            .find(|x| x.schema == f.schema && x.name == f.name && x.arguments == f.arguments)
            .and_then(|x| x.comment.clone());
        if before != f.comment {
            let kind = if f.kind == pgspec_postgres::catalog::FunctionKind::Procedure {
                "PROCEDURE"
            } else {
                "FUNCTION"
            };
            out.push(format!(
                "COMMENT ON {kind} {}({}) IS {}",
                qualified(&f.schema, &f.name),
                f.arguments,
                comment_literal(f.comment.as_deref())
            ));
        }
    }
    for t in &to.types {
        let before = p
            .from
            .types
            .iter()
            .find(|x| x.schema == t.schema && x.name == t.name)
            .and_then(|x| x.comment.clone());
        if before != t.comment {
            out.push(format!(
                "COMMENT ON TYPE {} IS {}",
                qualified(&t.schema, &t.name),
                comment_literal(t.comment.as_deref())
            ));
        }
    }
    for sql in out {
        p.push(Phase::Comments, sql);
    }
}
