//! The seeder's generation plan, derived from the one catalog
//! ([`crate::postgres::catalog::Catalog`], which the seeder loads once): tables, columns with
//! types resolved to something pgspec can generate, constraints, unique indexes and
//! partitions. No SQL and no loading here.

use std::collections::{BTreeMap, HashMap};

use super::expr::{self, Expr};
use crate::postgres::catalog::{self as db, Catalog, ColumnType, ConstraintKind, TableKind};

/// A column type, resolved through domains to something pgspec can generate.
#[derive(Clone, Debug, PartialEq)]
pub enum ColType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `numeric(precision, scale)`; unconstrained numeric has neither.
    Numeric {
        precision: Option<u16>,
        scale: u16,
    },
    /// text, varchar(n), char(n), citext, name.
    Text {
        max_len: Option<usize>,
        fixed: bool,
    },
    Uuid,
    Timestamptz,
    Timestamp,
    Date,
    Time,
    Interval,
    Json,
    Jsonb,
    Bytea,
    Inet,
    Cidr,
    Enum(Vec<String>),
    Array {
        elem: Box<ColType>,
        elem_oid: u32,
    },
    Range {
        elem: Box<ColType>,
        elem_oid: u32,
    },
    /// A composite type (`CREATE TYPE geo_point AS (lat float8, lon float8)`): its attributes'
    /// types, in order, written as a row literal `("1.5","2")`.
    Composite(Vec<ColType>),
    /// Anything else (tsvector, vector, money, geometric types, …), by its SQL name.
    Other(String),
}

/// One column of a table to fill.
#[derive(Clone, Debug)]
pub struct Column {
    pub attnum: i16,
    pub name: String,
    pub ty: ColType,
    /// `format_type` spelling, for casts.
    pub type_sql: String,
    pub not_null: bool,
    pub has_default: bool,
    pub identity: bool,
    pub generated: bool,
    /// Sequence owned by the column (serial or identity), schema-qualified.
    pub sequence: Option<String>,
    pub default_expr: Option<String>,
}

/// A uniqueness rule over columns (PRIMARY KEY, UNIQUE, unique index, equality-only EXCLUDE).
#[derive(Clone, Debug)]
pub struct UniqueSet {
    pub name: String,
    /// Indexes into `Table::columns`.
    pub columns: Vec<usize>,
    /// Only rows satisfying this must be unique (partial index, EXCLUDE … WHERE).
    pub predicate: Option<Expr>,
    pub primary: bool,
    /// A unique index over expressions: its keys in order (plain columns as `Col`), which
    /// rows are compared on. `(parent_id IS NULL)` and `coalesce(deleted_at, 'infinity')` are
    /// set when their columns are NULL. Empty for other unique sets.
    pub keys: Vec<Expr>,
}

/// A foreign key of a table to fill.
#[derive(Clone, Debug)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<usize>,
    pub ref_table: i64,
    pub ref_attnums: Vec<i16>,
    /// DEFERRABLE: checked at COMMIT when deferred.
    pub deferrable: bool,
}

/// How the plan names the CHECK of a column's domain (`domain check on odometer`): the
/// server reports the domain's own constraint name for it, on the type, not the table.
pub const DOMAIN_CHECK_PREFIX: &str = "domain check on ";

/// A CHECK constraint (table or domain).
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    /// The name the server gives when it rejects a value: `name` for a table's CHECK, the
    /// domain's constraint name for a domain's.
    pub reported_as: String,
    pub definition: String,
    /// None when pgspec could not read the expression (the server still enforces it).
    pub expr: Option<Expr>,
}

/// How a partitioned table routes rows.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionBound {
    /// `FROM (lo) TO (hi)`, as text literals (`None`: MINVALUE / MAXVALUE).
    Range(Option<String>, Option<String>),
    List(Vec<String>),
    Hash,
    Default,
}

/// A table (or partitioned table) to fill.
#[derive(Clone, Debug)]
pub struct Table {
    pub oid: i64,
    pub schema: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub checks: Vec<Check>,
    pub uniques: Vec<UniqueSet>,
    pub fks: Vec<ForeignKey>,
    /// Columns that must differ pairwise as ranges (EXCLUDE … WITH &&).
    pub disjoint: Vec<usize>,
    /// Partition key column (single-column keys only) and the partitions' bounds.
    pub partition_key: Option<usize>,
    pub partitions: Vec<(String, PartitionBound)>,
    pub force_rls: bool,
    /// The owning role.
    pub owner: String,
}

impl Table {
    /// `"schema"."name"`, quoted.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// `schema.name`, for messages and `--table` matching (`public.` omitted).
    pub fn display_name(&self) -> String {
        if self.schema == "public" {
            self.name.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        }
    }

    /// Index of the column with this attnum.
    pub fn column_index(&self, attnum: i16) -> Option<usize> {
        self.columns.iter().position(|c| c.attnum == attnum)
    }

    /// Index of the column with this name.
    pub fn column_named(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

pub use crate::sql::quote::quote_ident;

/// The seeder's generation plan: every table to fill (ordinary and partitioned, not
/// partitions), derived from the one [`crate::postgres::catalog::Catalog`].
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub tables: Vec<Table>,
}

/// Resolves column types to something pgspec can generate, through the catalog's type graph.
struct Types<'a> {
    graph: &'a BTreeMap<u32, ColumnType>,
    cache: HashMap<u32, (ColType, Vec<(String, String)>)>,
}

impl Types<'_> {
    /// The generatable type of `type_oid` with `typmod`, plus the CHECKs (name, definition) of
    /// the domains it goes through.
    fn resolve(&mut self, type_oid: u32, typmod: i32) -> (ColType, Vec<(String, String)>) {
        if typmod < 0 {
            if let Some(hit) = self.cache.get(&type_oid) {
                return hit.clone();
            }
        }
        let resolved = self.resolve_uncached(type_oid, typmod, 0);
        if typmod < 0 {
            self.cache.insert(type_oid, resolved.clone());
        }
        resolved
    }

    /// Whether the type is a domain declared NOT NULL (or over one): its column takes no NULL
    /// whatever the column says.
    fn domain_not_null(&self, type_oid: u32) -> bool {
        let mut oid = type_oid;
        for _ in 0..8 {
            match self.graph.get(&oid) {
                Some(info) if info.typtype == 'd' => {
                    if info.not_null {
                        return true;
                    }
                    oid = info.base;
                }
                _ => return false,
            }
        }
        false
    }

    fn resolve_uncached(
        &self,
        type_oid: u32,
        typmod: i32,
        depth: u32,
    ) -> (ColType, Vec<(String, String)>) {
        let builtin = match type_oid {
            16 => Some(ColType::Bool),
            21 => Some(ColType::Int2),
            23 | 26 => Some(ColType::Int4),
            20 => Some(ColType::Int8),
            700 => Some(ColType::Float4),
            701 => Some(ColType::Float8),
            1700 => Some(if typmod >= 4 {
                let m = typmod - 4;
                ColType::Numeric {
                    precision: u16::try_from((m >> 16) & 0xffff).ok(),
                    scale: u16::try_from(m & 0xffff).unwrap_or(0),
                }
            } else {
                ColType::Numeric {
                    precision: None,
                    scale: 2,
                }
            }),
            25 | 19 => Some(ColType::Text {
                max_len: (type_oid == 19).then_some(63),
                fixed: false,
            }),
            1043 | 1042 => Some(ColType::Text {
                max_len: usize::try_from(typmod - 4)
                    .ok()
                    .filter(|n| *n > 0)
                    .or(if type_oid == 1042 { Some(1) } else { None }),
                fixed: type_oid == 1042,
            }),
            2950 => Some(ColType::Uuid),
            1184 => Some(ColType::Timestamptz),
            1114 => Some(ColType::Timestamp),
            1082 => Some(ColType::Date),
            1083 => Some(ColType::Time),
            1186 => Some(ColType::Interval),
            114 => Some(ColType::Json),
            3802 => Some(ColType::Jsonb),
            17 => Some(ColType::Bytea),
            869 => Some(ColType::Inet),
            650 => Some(ColType::Cidr),
            _ => None,
        };
        if let Some(t) = builtin {
            return (t, Vec::new());
        }
        let Some(info) = self.graph.get(&type_oid) else {
            return (ColType::Other(format!("oid {type_oid}")), Vec::new());
        };
        if depth > 8 {
            return (ColType::Other(info.sql.clone()), Vec::new());
        }
        match info.typtype {
            'e' => (ColType::Enum(info.enum_labels.clone()), Vec::new()),
            'd' => {
                let (t, mut checks) = self.resolve_uncached(info.base, info.base_typmod, depth + 1);
                checks.extend(
                    info.domain_check_names
                        .iter()
                        .cloned()
                        .zip(info.domain_checks.iter().cloned()),
                );
                (t, checks)
            }
            'r' => {
                let (elem, _) = self.resolve_uncached(info.range_subtype, -1, depth + 1);
                (
                    ColType::Range {
                        elem: Box::new(elem),
                        elem_oid: info.range_subtype,
                    },
                    Vec::new(),
                )
            }
            'c' if !info.attributes.is_empty() => {
                let fields = info
                    .attributes
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| {
                        let typmod = info.attribute_typmods.get(i).copied().unwrap_or(-1);
                        self.resolve_uncached(a, typmod, depth + 1).0
                    })
                    .collect();
                (ColType::Composite(fields), Vec::new())
            }
            _ if info.category == 'A' && info.element != 0 => {
                let (elem, _) = self.resolve_uncached(info.element, typmod, depth + 1);
                (
                    ColType::Array {
                        elem: Box::new(elem),
                        elem_oid: info.element,
                    },
                    Vec::new(),
                )
            }
            _ if info.name == "citext" => (
                ColType::Text {
                    max_len: None,
                    fixed: false,
                },
                Vec::new(),
            ),
            _ => (ColType::Other(info.sql.clone()), Vec::new()),
        }
    }
}

/// One uniqueness or constraint entry of a table, in the order the seeder reads them (by
/// name, constraints and unique indexes together).
enum Entry<'a> {
    Constraint(&'a db::Constraint),
    UniqueIndex(&'a db::Index),
}

impl Plan {
    /// The tables of `catalog` to fill, in oid order, with their columns resolved to
    /// generatable types, their constraints, unique indexes and partitions.
    pub fn from_catalog(catalog: &Catalog) -> Plan {
        let mut types = Types {
            graph: &catalog.column_types,
            cache: HashMap::new(),
        };
        let mut sources: Vec<&db::Table> = catalog
            .tables
            .iter()
            .filter(|t| t.kind != TableKind::Foreign && !t.is_partition())
            .collect();
        sources.sort_by_key(|t| t.oid);
        let tables = sources
            .into_iter()
            .map(|source| table(catalog, source, &mut types))
            .collect();
        Plan { tables }
    }
}

fn table(catalog: &Catalog, source: &db::Table, types: &mut Types<'_>) -> Table {
    let mut t = Table {
        oid: i64::from(source.oid),
        schema: source.schema.clone(),
        name: source.name.clone(),
        columns: Vec::new(),
        checks: Vec::new(),
        uniques: Vec::new(),
        fks: Vec::new(),
        disjoint: Vec::new(),
        partition_key: None,
        partitions: Vec::new(),
        force_rls: source.rls_forced,
        owner: source.owner.clone(),
    };
    let mut domain_checks = Vec::new();
    for (ci, c) in source.columns.iter().enumerate() {
        let (ty, checks) = types.resolve(c.type_oid, c.typmod);
        if !checks.is_empty() {
            domain_checks.push((ci, checks));
        }
        t.columns.push(Column {
            attnum: c.attnum,
            name: c.name.clone(),
            ty,
            type_sql: c.type_name.clone(),
            not_null: c.not_null || types.domain_not_null(c.type_oid),
            has_default: c.default.is_some() || c.generated.is_some(),
            identity: c.identity.is_some(),
            generated: c.generated.is_some(),
            sequence: c.sequence.clone(),
            default_expr: c.default.clone().or_else(|| c.generated.clone()),
        });
    }
    for (ci, checks) in domain_checks {
        let col_name = t.columns[ci].name.clone();
        for (reported_as, def) in checks {
            let expr = expr::parse_check(&def, &|name| {
                (name == "value")
                    .then_some(ci)
                    .or_else(|| (name == col_name).then_some(ci))
            });
            t.checks.push(Check {
                name: format!("{DOMAIN_CHECK_PREFIX}{col_name}"),
                reported_as,
                definition: def,
                expr,
            });
        }
    }
    constraints(catalog, source, &mut t);
    partitions(catalog, source, &mut t);
    t
}

fn constraints(catalog: &Catalog, source: &db::Table, t: &mut Table) {
    let mut entries: Vec<(&str, Entry<'_>)> = catalog
        .constraints_of(source.oid)
        .filter(|k| k.kind != ConstraintKind::Trigger)
        // A foreign key to a partitioned table has a clone per referenced partition; the
        // parent's constraint covers them (the clones' partitions are not filled on their own).
        .filter(|k| !(k.kind == ConstraintKind::ForeignKey && k.inherited))
        .map(|k| (k.name.as_str(), Entry::Constraint(k)))
        .chain(
            catalog
                .indexes_of(source.oid)
                .filter(|i| i.unique && i.constraint.is_none())
                .map(|i| (i.name.as_str(), Entry::UniqueIndex(i))),
        )
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (_, entry) in entries {
        match entry {
            Entry::Constraint(k) => {
                let cols: Vec<usize> = k
                    .attnums
                    .iter()
                    .filter_map(|a| t.column_index(*a))
                    .collect();
                let lookup = |n: &str| t.column_named(n);
                match k.kind {
                    ConstraintKind::Check => {
                        let is_date = |i: usize| t.columns[i].ty == ColType::Date;
                        let expr = expr::parse_check(&k.definition, &lookup)
                            .map(|e| expr::date_days(e, &is_date));
                        t.checks.push(Check {
                            name: k.name.clone(),
                            reported_as: k.name.clone(),
                            definition: k.definition.clone(),
                            expr,
                        });
                    }
                    ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
                        t.uniques.push(UniqueSet {
                            name: k.name.clone(),
                            columns: cols,
                            predicate: None,
                            primary: k.kind == ConstraintKind::PrimaryKey,
                            keys: Vec::new(),
                        });
                    }
                    ConstraintKind::ForeignKey => {
                        let (ref_table, ref_attnums) = k
                            .references
                            .as_ref()
                            .map(|r| (i64::from(r.table_oid), r.attnums.clone()))
                            .unwrap_or_default();
                        t.fks.push(ForeignKey {
                            name: k.name.clone(),
                            columns: cols,
                            ref_table,
                            ref_attnums,
                            deferrable: k.deferrable,
                        });
                    }
                    ConstraintKind::Exclusion => {
                        let (eq_cols, overlap_cols, predicate) =
                            expr::parse_exclusion(&k.definition, &lookup);
                        if !overlap_cols.is_empty() {
                            // Also a set no two rows may repeat (a copy of a row overlaps it):
                            // what `verify` proves the constraint rejects.
                            let mut all = eq_cols.clone();
                            all.extend(overlap_cols.iter().copied());
                            t.disjoint.extend(overlap_cols);
                            t.uniques.push(UniqueSet {
                                name: k.name.clone(),
                                columns: all,
                                predicate,
                                primary: false,
                                keys: Vec::new(),
                            });
                        } else if !eq_cols.is_empty() {
                            t.uniques.push(UniqueSet {
                                name: k.name.clone(),
                                columns: eq_cols,
                                predicate,
                                primary: false,
                                keys: Vec::new(),
                            });
                        }
                    }
                    ConstraintKind::Trigger => {}
                }
            }
            Entry::UniqueIndex(i) => {
                let lookup = |n: &str| t.column_named(n);
                let mut cols: Vec<usize> = i
                    .attnums
                    .iter()
                    .filter_map(|a| t.column_index(*a))
                    .collect();
                let mut keys = Vec::new();
                if i.attnums.contains(&0) {
                    // Expression keys: uniqueness of the raw columns they use is stronger.
                    cols.extend(expr::index_expression_columns(&i.definition, &lookup));
                    let mut exprs = expr::index_expressions(&i.definition, &lookup).into_iter();
                    keys = i
                        .attnums
                        .iter()
                        .map(|a| match a {
                            0 => exprs.next(),
                            a => t.column_index(*a).map(Expr::Col),
                        })
                        .collect::<Option<Vec<_>>>()
                        .unwrap_or_default();
                }
                cols.sort_unstable();
                cols.dedup();
                if cols.is_empty() {
                    continue;
                }
                let predicate = i
                    .predicate
                    .as_deref()
                    .and_then(|p| expr::parse_expr(p, &lookup));
                t.uniques.push(UniqueSet {
                    name: i.name.clone(),
                    columns: cols,
                    predicate,
                    primary: false,
                    keys,
                });
            }
        }
    }
}

fn partitions(catalog: &Catalog, source: &db::Table, t: &mut Table) {
    let Some(partitioning) = &source.partitioning else {
        return;
    };
    // Single-column keys only.
    if let [key] = partitioning.columns.as_slice() {
        if !partitioning.key.contains(',') {
            t.partition_key = t.column_named(key);
        }
    }
    let mut children: Vec<(String, PartitionBound)> = catalog
        .partitions_of(source.oid)
        .filter_map(|p| {
            let bound = &p.partition_of.as_ref()?.bound;
            Some((p.name.clone(), parse_bound(bound)))
        })
        .collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    t.partitions = children;
}

/// Parse `FOR VALUES FROM (…) TO (…)`, `FOR VALUES IN (…)`, `DEFAULT`, `FOR VALUES WITH (…)`
/// (first key column only).
pub fn parse_bound(text: &str) -> PartitionBound {
    let t = text.trim();
    if t.eq_ignore_ascii_case("default") {
        return PartitionBound::Default;
    }
    let upper = t.to_ascii_uppercase();
    if upper.starts_with("FOR VALUES WITH") {
        return PartitionBound::Hash;
    }
    if let Some(rest) = upper
        .strip_prefix("FOR VALUES IN")
        .map(|_| &t["FOR VALUES IN".len()..])
    {
        return PartitionBound::List(literals(rest));
    }
    if upper.starts_with("FOR VALUES FROM") {
        let rest = &t["FOR VALUES FROM".len()..];
        let (lo, hi) = match rest.to_ascii_uppercase().find(") TO (") {
            Some(at) => (&rest[..=at], &rest[at + 5..]),
            None => (rest, ""),
        };
        let first = |s: &str| {
            let lits = literals(s);
            let v = lits.into_iter().next()?;
            (!v.eq_ignore_ascii_case("minvalue") && !v.eq_ignore_ascii_case("maxvalue"))
                .then_some(v)
        };
        return PartitionBound::Range(first(lo), first(hi));
    }
    PartitionBound::Default
}

/// The comma-separated literals inside the first parenthesised list of `s`, unquoted.
fn literals(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut depth = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    cur.push('\'');
                    chars.next();
                } else {
                    in_str = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '\'' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ if depth >= 1 => cur.push(c),
            _ => {}
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_bounds_parse() {
        assert_eq!(
            parse_bound("FOR VALUES FROM ('2026-11-01 00:00:00+00') TO ('2026-12-01 00:00:00+00')"),
            PartitionBound::Range(
                Some("2026-11-01 00:00:00+00".into()),
                Some("2026-12-01 00:00:00+00".into())
            )
        );
        assert_eq!(
            parse_bound("FOR VALUES FROM (MINVALUE) TO (100)"),
            PartitionBound::Range(None, Some("100".into()))
        );
        assert_eq!(
            parse_bound("FOR VALUES IN ('a', 'b''c')"),
            PartitionBound::List(vec!["a".into(), "b'c".into()])
        );
        assert_eq!(parse_bound("DEFAULT"), PartitionBound::Default);
    }
}
