//! The one walker over the tree: [`walk`] visits every node, typed, through the child table
//! generated from pg_query's own types (`children.rs`), so no node type is missed; and on it,
//! the relations, functions and types a parsed statement uses, anywhere in its tree.

use std::collections::HashSet;

use super::ast::NodeEnum;
use super::{ObjectKind, ObjectName};

pub use pg_query::NodeRef;

/// The nodes directly below `node`, in field order (for walks that keep context on the way
/// down; [`walk`] for all of them).
pub fn children(node: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    let mut out = Vec::new();
    super::children::children(node, &mut out);
    out
}

/// Every node at and below `root`, pre-order, in field order.
pub fn walk<'a>(root: NodeRef<'a>) -> Vec<NodeRef<'a>> {
    walk_except(root, |_| false)
}

/// [`walk`], leaving out each node for which `skip` holds and everything below it.
pub fn walk_except<'a>(root: NodeRef<'a>, skip: impl Fn(&NodeRef<'a>) -> bool) -> Vec<NodeRef<'a>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    let mut children = Vec::new();
    while let Some(node) = stack.pop() {
        if skip(&node) {
            continue;
        }
        found.push(node);
        children.clear();
        super::children::children(node, &mut children);
        stack.extend(children.drain(..).rev());
    }
    found
}

/// The unqualified names of the functions called at and below `root`, in tree order
/// (`partman.create_parent(…)` gives `create_parent`).
pub fn called_functions(root: NodeRef<'_>) -> Vec<String> {
    walk(root)
        .into_iter()
        .filter_map(|node| match node {
            NodeRef::FuncCall(call) => super::ast::last_name(&call.funcname).map(str::to_owned),
            _ => None,
        })
        .collect()
}

/// References found in `node`, in source order, without common-table-expression names.
pub(crate) fn references(node: &NodeEnum) -> Vec<ObjectName> {
    found(node, false)
}

/// Every function call in `node`, those spelled `pg_catalog.f` included (safety decisions
/// must see them; dependency tracking ignores them).
pub(crate) fn function_calls(node: &NodeEnum) -> Vec<ObjectName> {
    found(node, true)
        .into_iter()
        .filter(|o| o.kind == ObjectKind::Function)
        .collect()
}

/// Relations (`RangeVar`), function calls (`FuncCall`) and types (`TypeName`) below `node`,
/// ordered by their position in the text; relations named like one of the statement's
/// common table expressions are left out.
fn found(node: &NodeEnum, keep_catalog_functions: bool) -> Vec<ObjectName> {
    let mut found: Vec<(i32, ObjectName)> = Vec::new();
    let mut ctes: HashSet<&str> = HashSet::new();
    let names = |nodes: &[super::ast::pb::Node]| -> Vec<String> {
        super::ast::names(nodes)
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    for n in walk(node.to_ref()) {
        match n {
            NodeRef::RangeVar(rv) if !rv.relname.is_empty() => found.push((
                rv.location,
                ObjectName {
                    kind: ObjectKind::Relation,
                    schema: (!rv.schemaname.is_empty()).then(|| rv.schemaname.clone()),
                    name: rv.relname.clone(),
                },
            )),
            NodeRef::FuncCall(call) => {
                let parts = names(&call.funcname);
                // Functions the grammar qualifies itself (EXTRACT, OVERLAY, …) are built in.
                let builtin = parts.len() >= 2 && parts[parts.len() - 2] == "pg_catalog";
                if keep_catalog_functions || !builtin {
                    found.extend(
                        qualified(ObjectKind::Function, &parts).map(|o| (call.location, o)),
                    );
                }
            }
            NodeRef::TypeName(t) if !t.pct_type => {
                let parts = names(&t.names);
                if !is_builtin_type(&parts) {
                    found.extend(qualified(ObjectKind::Type, &parts).map(|o| (t.location, o)));
                }
            }
            NodeRef::CommonTableExpr(cte) => {
                ctes.insert(cte.ctename.as_str());
            }
            _ => {}
        }
    }
    found.sort_by_key(|(location, _)| *location);
    found
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| {
            !(o.kind == ObjectKind::Relation
                && o.schema.is_none()
                && ctes.contains(o.name.as_str()))
        })
        .collect()
}

fn qualified(kind: ObjectKind, parts: &[String]) -> Option<ObjectName> {
    let (name, rest) = parts.split_last()?;
    Some(ObjectName {
        kind,
        schema: rest.last().filter(|s| !s.is_empty()).cloned(),
        name: name.clone(),
    })
}

/// Types that every database has: qualified with `pg_catalog` (how the grammar spells `int`,
/// `varchar`, `timestamptz`, …) or one of the core types written plainly.
fn is_builtin_type(parts: &[String]) -> bool {
    match parts {
        [schema, _] => schema == "pg_catalog",
        [name] => BUILTIN_TYPES.contains(&name.as_str()),
        _ => false,
    }
}

const BUILTIN_TYPES: &[&str] = &[
    "aclitem",
    "any",
    "anyarray",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblemultirange",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bigint",
    "bigserial",
    "bit",
    "bool",
    "boolean",
    "box",
    "bpchar",
    "bytea",
    "char",
    "character",
    "cid",
    "cidr",
    "circle",
    "cstring",
    "date",
    "datemultirange",
    "daterange",
    "decimal",
    "double",
    "event_trigger",
    "fdw_handler",
    "float",
    "float4",
    "float8",
    "gtsvector",
    "index_am_handler",
    "inet",
    "int",
    "int2",
    "int4",
    "int4multirange",
    "int4range",
    "int8",
    "int8multirange",
    "int8range",
    "integer",
    "internal",
    "interval",
    "json",
    "jsonb",
    "jsonpath",
    "language_handler",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numeric",
    "nummultirange",
    "numrange",
    "oid",
    "path",
    "pg_lsn",
    "pg_snapshot",
    "point",
    "polygon",
    "real",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallint",
    "smallserial",
    "table_am_handler",
    "text",
    "tid",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "trigger",
    "tsm_handler",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "uuid",
    "varbit",
    "varchar",
    "void",
    "xid",
    "xid8",
    "xml",
];
