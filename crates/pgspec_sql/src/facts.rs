//! Facts from PostgreSQL's own parser (pg_query): whether a statement parses, what it creates,
//! and which relations, functions and types it uses.
//!
//! Creations come from the statement's top-level node, matched by type. References come from a
//! walk over the whole tree ([`super::visit`]), plus the few the walk cannot see (trigger
//! functions, `COMMENT ON` targets).

use std::collections::HashSet;
use std::sync::Arc;

use crate::ast::pb::{self as protobuf, ObjectType};
use crate::ast::{self, NodeEnum, ParseTree};

use super::{Facts, ObjectKind, ObjectName};

/// The outcome of parsing one statement.
pub(crate) struct Parsed {
    pub facts: Facts,
    /// The tree, when the text parsed (kept on the statement).
    pub tree: Option<Arc<ParseTree>>,
}

impl Parsed {
    /// The first top-level statement node, when the text parsed.
    pub fn first(&self) -> Option<&NodeEnum> {
        self.tree.as_deref().and_then(ast::first)
    }
}

/// Parse `sql` and gather its facts. `param_count` comes from the lexer.
pub(crate) fn analyze(sql: &str, param_count: u32) -> Parsed {
    let mut facts = Facts {
        param_count,
        ..Facts::default()
    };
    match ast::parse_tree(sql) {
        Ok(tree) => {
            let tree = Arc::new(tree);
            facts_of(&tree, &mut facts);
            Parsed {
                facts,
                tree: Some(tree),
            }
        }
        Err(message) => {
            // An example query with named placeholders (`:user_id`, `@tenant`) is read as
            // the query it stands for, with `$n` parameters in their place.
            if let Some((numbered, highest)) = crate::placeholders::numbered(sql) {
                if let Ok(tree) = ast::parse_tree(&numbered) {
                    let tree = Arc::new(tree);
                    facts_of(&tree, &mut facts);
                    facts.param_count = highest.max(param_count);
                    return Parsed {
                        facts,
                        tree: Some(tree),
                    };
                }
            }
            facts.parse_error = Some(message);
            // A CREATE TABLE in another system's dialect (MySQL's backticks, SQL Server's
            // brackets, Oracle's options) does not parse, but it names the table that pgspec's
            // rewrite creates: what uses the table depends on this statement.
            if let Some(name) = crate::tables::written_table_name(sql) {
                facts.creates.push(ObjectName {
                    kind: ObjectKind::Relation,
                    schema: None,
                    name,
                });
            }
            Parsed { facts, tree: None }
        }
    }
}

/// The facts of a parsed text.
fn facts_of(tree: &ParseTree, facts: &mut Facts) {
    facts.parses = true;
    let mut creates = Vec::new();
    let mut references = Vec::new();
    for stmt in ast::top_nodes(tree) {
        created_by(stmt, None, &mut creates);
        references.extend(super::visit::references(stmt));
        typed_references(stmt, &mut references);
    }
    facts.references = dedup(
        references
            .into_iter()
            .filter(|r| !creates.iter().any(|c| same_object(c, r)))
            .collect(),
    );
    facts.creates = dedup(creates);
    if let Some(first) = ast::first(tree) {
        facts.top = top_kind(first);
        facts.partitioned = matches!(first, NodeEnum::CreateStmt(s) if s.partspec.is_some());
    }
}

fn top_kind(stmt: &NodeEnum) -> super::TopKind {
    use super::TopKind;
    match stmt {
        NodeEnum::SelectStmt(_)
        | NodeEnum::InsertStmt(_)
        | NodeEnum::UpdateStmt(_)
        | NodeEnum::DeleteStmt(_)
        | NodeEnum::MergeStmt(_) => TopKind::Query,
        NodeEnum::VacuumStmt(_)
        | NodeEnum::RefreshMatViewStmt(_)
        | NodeEnum::ReindexStmt(_)
        | NodeEnum::ClusterStmt(_) => TopKind::Maintenance,
        NodeEnum::CallStmt(_) => TopKind::Call,
        _ => TopKind::Other,
    }
}

fn obj(kind: ObjectKind, schema: &str, name: &str) -> ObjectName {
    ObjectName {
        kind,
        schema: (!schema.is_empty()).then(|| schema.to_owned()),
        name: name.to_owned(),
    }
}

fn range_var(kind: ObjectKind, rv: Option<&protobuf::RangeVar>) -> Option<ObjectName> {
    rv.filter(|rv| !rv.relname.is_empty())
        .map(|rv| obj(kind, &rv.schemaname, &rv.relname))
}

/// The `sval`s of a list of `String` nodes (a qualified name).
fn strings(nodes: &[protobuf::Node]) -> Vec<&str> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
            _ => None,
        })
        .collect()
}

/// A qualified name (`[catalog.][schema.]name`) as an object name.
fn qualified(kind: ObjectKind, parts: &[&str]) -> Option<ObjectName> {
    let (name, rest) = parts.split_last()?;
    Some(obj(kind, rest.last().copied().unwrap_or(""), name))
}

fn qualified_nodes(kind: ObjectKind, nodes: &[protobuf::Node]) -> Option<ObjectName> {
    qualified(kind, &strings(nodes))
}

/// What a top-level statement creates. `schema` is the enclosing `CREATE SCHEMA`, if any.
fn created_by(node: &NodeEnum, schema: Option<&str>, out: &mut Vec<ObjectName>) {
    use ObjectKind as K;
    let found = match node {
        NodeEnum::CreateStmt(s) => range_var(K::Relation, s.relation.as_ref()),
        NodeEnum::CreateForeignTableStmt(s) => s
            .base_stmt
            .as_ref()
            .and_then(|b| range_var(K::Relation, b.relation.as_ref())),
        NodeEnum::CreateTableAsStmt(s) => s
            .into
            .as_ref()
            .and_then(|i| range_var(K::Relation, i.rel.as_ref())),
        NodeEnum::SelectStmt(s) => s
            .into_clause
            .as_ref()
            .and_then(|i| range_var(K::Relation, i.rel.as_ref())),
        NodeEnum::ViewStmt(s) => range_var(K::Relation, s.view.as_ref()),
        NodeEnum::CreateSeqStmt(s) => range_var(K::Relation, s.sequence.as_ref()),
        NodeEnum::IndexStmt(s) if !s.idxname.is_empty() => {
            // An index lives in its table's schema.
            let schema = s.relation.as_ref().map_or("", |r| r.schemaname.as_str());
            Some(obj(K::Index, schema, &s.idxname))
        }
        NodeEnum::CreateFunctionStmt(s) => qualified_nodes(K::Function, &s.funcname),
        NodeEnum::CompositeTypeStmt(s) => range_var(K::Type, s.typevar.as_ref()),
        NodeEnum::CreateEnumStmt(s) => qualified_nodes(K::Type, &s.type_name),
        NodeEnum::CreateRangeStmt(s) => qualified_nodes(K::Type, &s.type_name),
        NodeEnum::CreateDomainStmt(s) => qualified_nodes(K::Type, &s.domainname),
        NodeEnum::DefineStmt(s) => {
            let kind = match ObjectType::try_from(s.kind) {
                Ok(ObjectType::ObjectType) => K::Type,
                Ok(ObjectType::ObjectAggregate) => K::Function,
                _ => K::Other,
            };
            qualified_nodes(kind, &s.defnames)
        }
        NodeEnum::CreateSchemaStmt(s) => {
            let name = if s.schemaname.is_empty() {
                s.authrole.as_ref().map_or("", |r| r.rolename.as_str())
            } else {
                s.schemaname.as_str()
            };
            for elt in s.schema_elts.iter().filter_map(|e| e.node.as_ref()) {
                created_by(elt, Some(name), out);
            }
            (!name.is_empty()).then(|| obj(K::Schema, "", name))
        }
        NodeEnum::CreateExtensionStmt(s) => Some(obj(K::Extension, "", &s.extname)),
        NodeEnum::CreateTrigStmt(s) => {
            let schema = s.relation.as_ref().map_or("", |r| r.schemaname.as_str());
            Some(obj(K::Trigger, schema, &s.trigname))
        }
        NodeEnum::CreateEventTrigStmt(s) => Some(obj(K::Trigger, "", &s.trigname)),
        NodeEnum::CreatePolicyStmt(s) => {
            let schema = s.table.as_ref().map_or("", |r| r.schemaname.as_str());
            Some(obj(K::Policy, schema, &s.policy_name))
        }
        NodeEnum::CreateRoleStmt(s) => Some(obj(K::Role, "", &s.role)),
        NodeEnum::RuleStmt(s) => {
            let schema = s.relation.as_ref().map_or("", |r| r.schemaname.as_str());
            Some(obj(K::Other, schema, &s.rulename))
        }
        NodeEnum::CreatedbStmt(s) => Some(obj(K::Other, "", &s.dbname)),
        NodeEnum::CreateStatsStmt(s) => qualified_nodes(K::Other, &s.defnames),
        NodeEnum::CreatePublicationStmt(s) => Some(obj(K::Other, "", &s.pubname)),
        NodeEnum::CreateTableSpaceStmt(s) => Some(obj(K::Other, "", &s.tablespacename)),
        NodeEnum::CreateForeignServerStmt(s) => Some(obj(K::Other, "", &s.servername)),
        NodeEnum::CreateFdwStmt(s) => Some(obj(K::Other, "", &s.fdwname)),
        NodeEnum::RenameStmt(s) => renamed(s),
        _ => None,
    };
    if let Some(mut o) = found.filter(|o| !o.name.is_empty()) {
        if o.schema.is_none() && o.kind != K::Schema {
            o.schema = schema.filter(|s| !s.is_empty()).map(str::to_owned);
        }
        out.push(o);
    }
}

/// `ALTER … RENAME TO new`: the new name is, for dependency purposes, created here.
fn renamed(s: &protobuf::RenameStmt) -> Option<ObjectName> {
    use ObjectKind as K;
    if !s.subname.is_empty() {
        // Renaming a column, constraint, trigger, policy…: no new top-level object.
        return None;
    }
    let schema = s.relation.as_ref().map_or("", |r| r.schemaname.as_str());
    let kind = match ObjectType::try_from(s.rename_type).ok()? {
        ObjectType::ObjectTable
        | ObjectType::ObjectView
        | ObjectType::ObjectMatview
        | ObjectType::ObjectSequence
        | ObjectType::ObjectForeignTable => K::Relation,
        ObjectType::ObjectIndex => K::Index,
        ObjectType::ObjectType | ObjectType::ObjectDomain => K::Type,
        ObjectType::ObjectFunction | ObjectType::ObjectProcedure => K::Function,
        ObjectType::ObjectSchema => return Some(obj(K::Schema, "", &s.newname)),
        _ => return None,
    };
    Some(obj(kind, schema, &s.newname))
}

/// References that the generic walk cannot see: trigger functions (a bare name list, not a
/// call) and the objects of `COMMENT ON`.
fn typed_references(node: &NodeEnum, out: &mut Vec<ObjectName>) {
    use ObjectKind as K;
    match node {
        NodeEnum::CreateTrigStmt(s) => out.extend(qualified_nodes(K::Function, &s.funcname)),
        NodeEnum::CreateEventTrigStmt(s) => out.extend(qualified_nodes(K::Function, &s.funcname)),
        NodeEnum::CommentStmt(s) => {
            let Some(object) = s.object.as_ref().and_then(|o| o.node.as_ref()) else {
                return;
            };
            let list = match object {
                NodeEnum::List(l) => strings(&l.items),
                _ => Vec::new(),
            };
            match ObjectType::try_from(s.objtype) {
                Ok(
                    ObjectType::ObjectTable
                    | ObjectType::ObjectView
                    | ObjectType::ObjectMatview
                    | ObjectType::ObjectForeignTable
                    | ObjectType::ObjectSequence,
                ) => out.extend(qualified(K::Relation, &list)),
                Ok(ObjectType::ObjectColumn) => {
                    if let Some((_, table)) = list.split_last() {
                        out.extend(qualified(K::Relation, table));
                    }
                }
                Ok(ObjectType::ObjectIndex) => out.extend(qualified(K::Index, &list)),
                Ok(ObjectType::ObjectFunction | ObjectType::ObjectProcedure) => {
                    if let NodeEnum::ObjectWithArgs(o) = object {
                        out.extend(qualified_nodes(K::Function, &o.objname));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// Whether reference `r` is the object `created` (an unqualified name matches any schema; a
/// composite type's name is also a relation name).
fn same_object(created: &ObjectName, r: &ObjectName) -> bool {
    let kinds = created.kind == r.kind
        || matches!(
            (created.kind, r.kind),
            (ObjectKind::Type, ObjectKind::Relation) | (ObjectKind::Relation, ObjectKind::Type)
        );
    let schemas = created.schema.is_none() || r.schema.is_none() || created.schema == r.schema;
    kinds && schemas && created.name == r.name
}

fn dedup(items: Vec<ObjectName>) -> Vec<ObjectName> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|o| seen.insert(o.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(kind: ObjectKind, schema: Option<&str>, name: &str) -> ObjectName {
        ObjectName {
            kind,
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    fn facts(sql: &str) -> Facts {
        let f = analyze(sql, 0).facts;
        assert!(f.parses, "{sql}: {:?}", f.parse_error);
        f
    }

    use ObjectKind::*;

    #[test]
    fn create_table_with_foreign_keys_and_custom_types() {
        let f = facts(
            "CREATE TABLE app.Orders (id uuid PRIMARY KEY, user_id bigint REFERENCES users(id), \
             parent uuid REFERENCES app.orders(id), status order_status NOT NULL, \
             total numeric(10,2) DEFAULT calc_default(), tags text[], \"Mixed\" int, \
             CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES billing.accounts(id))",
        );
        assert_eq!(f.creates, vec![o(Relation, Some("app"), "orders")]);
        let refs: HashSet<_> = f.references.iter().cloned().collect();
        let expected: HashSet<_> = [
            o(Relation, None, "users"),
            o(Relation, Some("billing"), "accounts"),
            o(Type, None, "order_status"),
            o(Function, None, "calc_default"),
        ]
        .into_iter()
        .collect();
        assert_eq!(refs, expected, "{:#?}", f.references);
    }

    #[test]
    fn create_index_names_index_and_references_table_and_functions() {
        let f = facts("CREATE UNIQUE INDEX CONCURRENTLY idx_users_email ON public.users (lower(email)) WHERE deleted_at IS NULL");
        assert_eq!(f.creates, vec![o(Index, Some("public"), "idx_users_email")]);
        assert_eq!(
            f.references,
            vec![
                o(Relation, Some("public"), "users"),
                o(Function, None, "lower")
            ]
        );
    }

    #[test]
    fn create_policy_references_its_table_and_functions() {
        let f = facts("CREATE POLICY tenant_isolation ON orders USING (tenant_id = current_tenant_id()) WITH CHECK (EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = auth.uid()))");
        assert_eq!(f.creates, vec![o(Policy, None, "tenant_isolation")]);
        let refs: HashSet<_> = f.references.iter().cloned().collect();
        let expected: HashSet<_> = [
            o(Relation, None, "orders"),
            o(Relation, None, "memberships"),
            o(Function, None, "current_tenant_id"),
            o(Function, Some("auth"), "uid"),
        ]
        .into_iter()
        .collect();
        assert_eq!(refs, expected);
    }

    #[test]
    fn create_trigger_references_table_and_trigger_function() {
        let f = facts("CREATE TRIGGER trg_orders_updated BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION set_updated_at()");
        assert_eq!(f.creates, vec![o(Trigger, None, "trg_orders_updated")]);
        assert_eq!(
            f.references,
            vec![
                o(Relation, None, "orders"),
                o(Function, None, "set_updated_at")
            ]
        );
        // A trigger named like its function still references the function.
        let f =
            facts("CREATE TRIGGER audit AFTER INSERT ON t FOR EACH ROW EXECUTE PROCEDURE audit()");
        assert!(f.references.contains(&o(Function, None, "audit")));
    }

    #[test]
    fn partition_of_references_its_parent() {
        let f = facts("CREATE TABLE orders_2025_01 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')");
        assert_eq!(f.creates, vec![o(Relation, None, "orders_2025_01")]);
        assert_eq!(f.references, vec![o(Relation, None, "orders")]);
    }

    #[test]
    fn functions_types_schemas_extensions_roles() {
        let f = facts("CREATE OR REPLACE FUNCTION app.touch(t my_type) RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$");
        assert_eq!(f.creates, vec![o(Function, Some("app"), "touch")]);
        assert_eq!(f.references, vec![o(Type, None, "my_type")]);
        assert_eq!(
            facts("CREATE TYPE mood AS ENUM ('a', 'b')").creates,
            vec![o(Type, None, "mood")]
        );
        let f = facts("CREATE TYPE addr AS (street text, city text)");
        assert_eq!(f.creates, vec![o(Type, None, "addr")]);
        assert!(f.references.is_empty(), "{:?}", f.references);
        assert_eq!(
            facts("CREATE DOMAIN email AS citext CHECK (VALUE ~ '@')").creates,
            vec![o(Type, None, "email")]
        );
        assert_eq!(
            facts("CREATE SCHEMA IF NOT EXISTS billing").creates,
            vec![o(Schema, None, "billing")]
        );
        assert_eq!(
            facts("CREATE EXTENSION IF NOT EXISTS pgcrypto").creates,
            vec![o(Extension, None, "pgcrypto")]
        );
        assert_eq!(
            facts("CREATE ROLE app_user LOGIN").creates,
            vec![o(Role, None, "app_user")]
        );
        assert_eq!(facts("CREATE USER bob").creates, vec![o(Role, None, "bob")]);
        assert_eq!(
            facts("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END")
                .references,
            vec![o(Relation, None, "t")]
        );
    }

    #[test]
    fn views_matviews_sequences_and_select_queries() {
        let f = facts("CREATE MATERIALIZED VIEW daily AS WITH x AS (SELECT * FROM orders) SELECT count(*) FROM x JOIN users u ON true");
        assert_eq!(f.creates, vec![o(Relation, None, "daily")]);
        let refs: HashSet<_> = f.references.iter().cloned().collect();
        assert_eq!(
            refs,
            [
                o(Relation, None, "orders"),
                o(Relation, None, "users"),
                o(Function, None, "count")
            ]
            .into_iter()
            .collect()
        );
        assert_eq!(
            facts("CREATE SEQUENCE s").creates,
            vec![o(Relation, None, "s")]
        );
        assert_eq!(
            facts("CREATE VIEW v AS SELECT 1").creates,
            vec![o(Relation, None, "v")]
        );
        let f = facts("UPDATE accounts SET n = n + 1 FROM ledger WHERE ledger.id = accounts.id");
        assert!(f.creates.is_empty());
        assert_eq!(
            f.references,
            vec![o(Relation, None, "accounts"), o(Relation, None, "ledger")]
        );
    }

    #[test]
    fn alter_comment_and_casts() {
        let f = facts("ALTER TABLE orders ADD COLUMN state order_state, ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users(id)");
        let refs: HashSet<_> = f.references.iter().cloned().collect();
        assert_eq!(
            refs,
            [
                o(Relation, None, "orders"),
                o(Relation, None, "users"),
                o(Type, None, "order_state")
            ]
            .into_iter()
            .collect()
        );
        assert_eq!(
            facts("COMMENT ON COLUMN app.users.email IS 'x'").references,
            vec![o(Relation, Some("app"), "users")]
        );
        assert_eq!(
            facts("COMMENT ON TABLE users IS 'x'").references,
            vec![o(Relation, None, "users")]
        );
        assert_eq!(
            facts("SELECT 'a'::mood, now()::timestamptz").references,
            vec![o(Type, None, "mood"), o(Function, None, "now")]
        );
        assert_eq!(
            facts("ALTER TABLE a RENAME TO b").creates,
            vec![o(Relation, None, "b")]
        );
    }

    #[test]
    fn parse_errors_are_reported() {
        let p = analyze("CREATE TABLE t (id int, ...)", 0);
        assert!(!p.facts.parses);
        assert!(
            p.facts
                .parse_error
                .as_deref()
                .is_some_and(|e| e.contains("syntax error")),
            "{:?}",
            p.facts.parse_error
        );
        assert!(p.tree.is_none());
        // A NUL byte is not a crash.
        assert!(!analyze("SELECT '\0'", 0).facts.parses);
    }
}
