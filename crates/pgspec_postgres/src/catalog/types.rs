//! Types: the user's enums, domains, composite and range types ([`Type`]), and the
//! resolution graph of every type a column uses ([`ColumnType`]).

use serde::Serialize;

/// A type the user created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Type {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub kind: TypeKind,
    pub comment: Option<String>,
}

/// What kind of type, with what defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    /// Labels in sort order.
    Enum {
        labels: Vec<String>,
    },
    Domain {
        /// `format_type` of the base type with its typmod.
        base: String,
        not_null: bool,
        default: Option<String>,
        checks: Vec<DomainCheck>,
    },
    /// Attributes as `(name, format_type)`, in order.
    Composite {
        attributes: Vec<(String, String)>,
    },
    Range {
        subtype: String,
    },
}

/// A CHECK constraint of a domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainCheck {
    pub name: String,
    /// `CHECK (…)` as pg_get_constraintdef prints it.
    pub definition: String,
}

/// A type some column uses (or that one goes through), built-in or not: what a generator
/// needs to resolve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnType {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    /// `typtype`: `b` base, `c` composite, `d` domain, `e` enum, `p` pseudo, `r` range, `m`
    /// multirange.
    pub typtype: char,
    /// `typcategory` (`A` array, `S` string, …).
    pub category: char,
    /// Element type of an array (0: none).
    pub element: u32,
    /// Base type of a domain (0: none) and its typmod.
    pub base: u32,
    pub base_typmod: i32,
    /// Subtype of a range (0: none).
    pub range_subtype: u32,
    /// `format_type(oid, NULL)`.
    pub sql: String,
    pub enum_labels: Vec<String>,
    /// CHECK definitions of a domain.
    pub domain_checks: Vec<String>,
    /// Their constraint names (the name the server reports when one rejects a value), in the
    /// same order.
    pub domain_check_names: Vec<String>,
    /// The types of a composite type's attributes, in order (empty for other types).
    pub attributes: Vec<u32>,
    /// Their typmods (`char(5)`, `numeric(6,2)`; -1: none), in the same order.
    pub attribute_typmods: Vec<i32>,
    /// A domain declared NOT NULL (`typnotnull`).
    pub not_null: bool,
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Type>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/types.sql"))?
        .iter()
        .map(|r| {
            let typtype: String = r.get(3);
            let kind = match typtype.as_str() {
                "e" => TypeKind::Enum { labels: r.get(4) },
                "d" => {
                    let names: Vec<String> = r.get(8);
                    let definitions: Vec<String> = r.get(9);
                    TypeKind::Domain {
                        base: r.get::<_, Option<String>>(5).unwrap_or_default(),
                        not_null: r.get(6),
                        default: r.get(7),
                        checks: names
                            .into_iter()
                            .zip(definitions)
                            .map(|(name, definition)| DomainCheck { name, definition })
                            .collect(),
                    }
                }
                "r" => TypeKind::Range {
                    subtype: r.get::<_, Option<String>>(12).unwrap_or_default(),
                },
                _ => {
                    let names: Vec<String> = r.get(10);
                    let types: Vec<String> = r.get(11);
                    TypeKind::Composite {
                        attributes: names.into_iter().zip(types).collect(),
                    }
                }
            };
            Type {
                oid: r.get(0),
                schema: r.get(1),
                name: r.get(2),
                kind,
                comment: r.get(13),
            }
        })
        .collect())
}

pub(super) fn load_column_types(
    client: &mut impl super::Query,
) -> Result<std::collections::BTreeMap<u32, ColumnType>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/column_types.sql"))?
        .iter()
        .map(|r| {
            let oid: u32 = r.get(0);
            let typtype: String = r.get(3);
            let category: String = r.get(4);
            (
                oid,
                ColumnType {
                    oid,
                    name: r.get(1),
                    schema: r.get(2),
                    typtype: super::letter(&typtype),
                    category: super::letter(&category),
                    element: r.get(5),
                    base: r.get(6),
                    base_typmod: r.get(7),
                    range_subtype: r.get(8),
                    sql: r.get(9),
                    enum_labels: r.get(10),
                    domain_checks: r.get(11),
                    domain_check_names: r.get(12),
                    attributes: r.get(13),
                    attribute_typmods: r.get(14),
                    not_null: r.get(15),
                },
            )
        })
        .collect())
}
