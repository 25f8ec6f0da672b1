//! The one walker over the tree: [`walk`] visits every node (typed, through the generated
//! [`super::children`]); and the references a parsed statement uses, anywhere in its tree.
//!
//! [`walk`] is what rules and helpers use to find nodes of a type below a node. The reference
//! finder below predates it:
//!
//! pg_query's tree has ~270 node types and references hide in almost all of them, so instead
//! of a hand-written walk over every type this drives the tree's `serde::Serialize`
//! implementation with a serializer that produces nothing and only looks at structs by name:
//! `RangeVar` (a relation), `FuncCall` (a function call), `TypeName` (a type) and
//! `CommonTableExpr` (whose names are not relations). It is exact about node types, sees every
//! field, and allocates only for what it records.

use std::collections::HashSet;
use std::fmt;

use serde::ser::{self, Serialize, Serializer};
use serde_json::Value;

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
    let mut found = Vec::new();
    let mut stack = vec![root];
    let mut children = Vec::new();
    while let Some(node) = stack.pop() {
        found.push(node);
        children.clear();
        super::children::children(node, &mut children);
        stack.extend(children.drain(..).rev());
    }
    found
}

/// References found in `node`, in source order, without common-table-expression names.
pub(crate) fn references<T: Serialize>(node: &T) -> Vec<ObjectName> {
    serde_walk(node, Sink::default())
}

/// Every function call in `node`, those spelled `pg_catalog.f` included (safety decisions
/// must see them; dependency tracking ignores them).
pub(crate) fn function_calls<T: Serialize>(node: &T) -> Vec<ObjectName> {
    let sink = Sink {
        keep_catalog_functions: true,
        ..Sink::default()
    };
    serde_walk(node, sink)
        .into_iter()
        .filter(|o| o.kind == ObjectKind::Function)
        .collect()
}

fn serde_walk<T: Serialize>(node: &T, mut sink: Sink) -> Vec<ObjectName> {
    // The visitor never fails on its own; an error could only come from a foreign
    // `Serialize` impl, and then the references found so far are still right.
    let _ = node.serialize(Visit { sink: &mut sink });
    sink.found.sort_by_key(|(location, _)| *location);
    let ctes = sink.ctes;
    sink.found
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| {
            !(o.kind == ObjectKind::Relation && o.schema.is_none() && ctes.contains(&o.name))
        })
        .collect()
}

#[derive(Default)]
struct Sink {
    found: Vec<(i64, ObjectName)>,
    ctes: HashSet<String>,
    keep_catalog_functions: bool,
}

/// The visitor's error type (never produced by the visitor itself).
#[derive(Debug)]
pub(crate) struct VisitError(String);

impl fmt::Display for VisitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VisitError {}

impl ser::Error for VisitError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        VisitError(msg.to_string())
    }
}

struct Visit<'a> {
    sink: &'a mut Sink,
}

impl Visit<'_> {
    fn child<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        value.serialize(Visit {
            sink: &mut *self.sink,
        })
    }
}

/// Which struct is being visited, with the fields captured so far.
#[derive(Default)]
enum Capture {
    #[default]
    None,
    RangeVar {
        schema: String,
        name: String,
        location: i64,
    },
    FuncCall {
        names: Vec<String>,
        location: i64,
    },
    TypeName {
        names: Vec<String>,
        pct_type: bool,
        location: i64,
    },
    Cte,
}

struct StructVisit<'a> {
    sink: &'a mut Sink,
    capture: Capture,
}

/// The `sval`s of a serialised list of `String` nodes (a qualified name).
fn name_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.pointer("/node/String/sval").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn qualified(kind: ObjectKind, parts: &[String]) -> Option<ObjectName> {
    let (name, rest) = parts.split_last()?;
    Some(ObjectName {
        kind,
        schema: rest.last().filter(|s| !s.is_empty()).cloned(),
        name: name.clone(),
    })
}

impl ser::SerializeStruct for StructVisit<'_> {
    type Ok = ();
    type Error = VisitError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), VisitError> {
        // Only small leaf fields are captured, so converting them to JSON values is cheap.
        let capture = |v: &T| serde_json::to_value(v).unwrap_or(Value::Null);
        match (&mut self.capture, key) {
            (Capture::RangeVar { schema, .. }, "schemaname") => {
                *schema = capture(value).as_str().unwrap_or("").to_owned();
            }
            (Capture::RangeVar { name, .. }, "relname") => {
                *name = capture(value).as_str().unwrap_or("").to_owned();
            }
            (
                Capture::RangeVar { location, .. }
                | Capture::FuncCall { location, .. }
                | Capture::TypeName { location, .. },
                "location",
            ) => *location = capture(value).as_i64().unwrap_or(i64::MAX),
            (Capture::FuncCall { names, .. }, "funcname")
            | (Capture::TypeName { names, .. }, "names") => *names = name_list(&capture(value)),
            (Capture::TypeName { pct_type, .. }, "pct_type") => {
                *pct_type = capture(value).as_bool().unwrap_or(false);
            }
            (Capture::Cte, "ctename") => {
                if let Some(name) = capture(value).as_str() {
                    self.sink.ctes.insert(name.to_owned());
                }
            }
            _ => {}
        }
        value.serialize(Visit {
            sink: &mut *self.sink,
        })
    }

    fn end(self) -> Result<(), VisitError> {
        let found = match self.capture {
            Capture::RangeVar {
                schema,
                name,
                location,
            } if !name.is_empty() => Some((
                location,
                ObjectName {
                    kind: ObjectKind::Relation,
                    schema: (!schema.is_empty()).then_some(schema),
                    name,
                },
            )),
            // Functions the grammar qualifies itself (EXTRACT, OVERLAY, …) are built in.
            Capture::FuncCall { names, location }
                if self.sink.keep_catalog_functions
                    || names.len() < 2
                    || names[names.len() - 2] != "pg_catalog" =>
            {
                qualified(ObjectKind::Function, &names).map(|o| (location, o))
            }
            Capture::TypeName {
                names,
                pct_type: false,
                location,
            } if !is_builtin_type(&names) => {
                qualified(ObjectKind::Type, &names).map(|o| (location, o))
            }
            _ => None,
        };
        self.sink.found.extend(found);
        Ok(())
    }
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

macro_rules! ignore_primitives {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<(), VisitError> { Ok(()) })*
    };
}

impl<'a> Serializer for Visit<'a> {
    type Ok = ();
    type Error = VisitError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = StructVisit<'a>;
    type SerializeStructVariant = Self;

    ignore_primitives! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8],
    }

    fn serialize_none(self) -> Result<(), VisitError> {
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), VisitError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), VisitError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), VisitError> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), VisitError> {
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), VisitError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), VisitError> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, VisitError> {
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, VisitError> {
        Ok(self)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, VisitError> {
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, VisitError> {
        Ok(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, VisitError> {
        Ok(self)
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<StructVisit<'a>, VisitError> {
        let capture = match name {
            "RangeVar" => Capture::RangeVar {
                schema: String::new(),
                name: String::new(),
                location: i64::MAX,
            },
            "FuncCall" => Capture::FuncCall {
                names: Vec::new(),
                location: i64::MAX,
            },
            "TypeName" => Capture::TypeName {
                names: Vec::new(),
                pct_type: false,
                location: i64::MAX,
            },
            "CommonTableExpr" => Capture::Cte,
            _ => Capture::None,
        };
        Ok(StructVisit {
            sink: self.sink,
            capture,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, VisitError> {
        Ok(self)
    }
}

impl ser::SerializeSeq for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}

impl ser::SerializeTuple for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}

impl ser::SerializeMap for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, _: &T) -> Result<(), VisitError> {
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Visit<'_> {
    type Ok = ();
    type Error = VisitError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), VisitError> {
        self.child(value)
    }
    fn end(self) -> Result<(), VisitError> {
        Ok(())
    }
}
