//! What the seeder needs to know about the database, read from its catalog: tables, columns
//! with resolved types, constraints, unique indexes and partitions.

use std::collections::HashMap;

use crate::postgres::client::Client;

use super::expr::{self, Expr};
use super::SeedError;

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
}

/// A foreign key of a table to fill.
#[derive(Clone, Debug)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<usize>,
    pub ref_table: i64,
    pub ref_attnums: Vec<i16>,
}

/// A CHECK constraint (table or domain).
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
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

/// Everything the seeder reads from the catalog.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub tables: Vec<Table>,
}

struct TypeInfo {
    name: String,
    typtype: String,
    elem: u32,
    base: u32,
    base_typmod: i32,
    range_sub: u32,
    category: String,
    sql: String,
    labels: Vec<String>,
    checks: Vec<String>,
}

fn oid(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn db(e: &crate::postgres::client::Error) -> SeedError {
    SeedError::Server(crate::postgres::cluster::error_text(e))
}

struct Types<'a> {
    client: &'a mut Client,
    cache: HashMap<u32, (ColType, Vec<String>)>,
}

impl Types<'_> {
    fn info(&mut self, type_oid: u32) -> Result<Option<TypeInfo>, SeedError> {
        let rows = self
            .client
            .query(
                "SELECT t.typname::text, t.typtype::text, t.typelem::int8, t.typbasetype::int8, t.typtypmod, \
                 COALESCE(r.rngsubtype, 0)::int8, t.typcategory::text, format_type(t.oid, NULL), \
                 COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '{}'), \
                 COALESCE((SELECT array_agg(pg_get_constraintdef(c.oid)) FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'), '{}') \
                 FROM pg_type t LEFT JOIN pg_range r ON r.rngtypid = t.oid WHERE t.oid = $1::int8::oid",
                &[&i64::from(type_oid)],
            )
            .map_err(|e| db(&e))?;
        Ok(rows.first().map(|r| TypeInfo {
            name: r.get(0),
            typtype: r.get(1),
            elem: oid(r.get(2)),
            base: oid(r.get(3)),
            base_typmod: r.get(4),
            range_sub: oid(r.get(5)),
            category: r.get(6),
            sql: r.get(7),
            labels: r.get(8),
            checks: r.get(9),
        }))
    }

    /// The generatable type of `type_oid` with `typmod`, plus the CHECK definitions of the
    /// domains it goes through.
    fn resolve(&mut self, type_oid: u32, typmod: i32) -> Result<(ColType, Vec<String>), SeedError> {
        let key = type_oid;
        if typmod < 0 {
            if let Some(hit) = self.cache.get(&key) {
                return Ok(hit.clone());
            }
        }
        let resolved = self.resolve_uncached(type_oid, typmod, 0)?;
        if typmod < 0 {
            self.cache.insert(key, resolved.clone());
        }
        Ok(resolved)
    }

    fn resolve_uncached(
        &mut self,
        type_oid: u32,
        typmod: i32,
        depth: u32,
    ) -> Result<(ColType, Vec<String>), SeedError> {
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
            return Ok((t, Vec::new()));
        }
        let Some(info) = self.info(type_oid)? else {
            return Ok((ColType::Other(format!("oid {type_oid}")), Vec::new()));
        };
        if depth > 8 {
            return Ok((ColType::Other(info.sql), Vec::new()));
        }
        Ok(match info.typtype.as_str() {
            "e" => (ColType::Enum(info.labels), Vec::new()),
            "d" => {
                let (t, mut checks) =
                    self.resolve_uncached(info.base, info.base_typmod, depth + 1)?;
                checks.extend(info.checks);
                (t, checks)
            }
            "r" => {
                let (elem, _) = self.resolve_uncached(info.range_sub, -1, depth + 1)?;
                (
                    ColType::Range {
                        elem: Box::new(elem),
                        elem_oid: info.range_sub,
                    },
                    Vec::new(),
                )
            }
            _ if info.category == "A" && info.elem != 0 => {
                let (elem, _) = self.resolve_uncached(info.elem, typmod, depth + 1)?;
                (
                    ColType::Array {
                        elem: Box::new(elem),
                        elem_oid: info.elem,
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
            _ => (ColType::Other(info.sql), Vec::new()),
        })
    }
}

/// Read the catalog of the database `client` is connected to.
pub fn load(client: &mut Client) -> Result<Catalog, SeedError> {
    let rows = client
        .query(include_str!("catalog.sql"), &[])
        .map_err(|e| db(&e))?;
    let mut tables: Vec<Table> = Vec::new();
    let mut domain_checks: Vec<(i64, usize, Vec<String>)> = Vec::new();
    let mut partitioned = Vec::new();
    let mut raw_cols = Vec::new();
    for r in &rows {
        let table_oid: i64 = r.get(0);
        if tables.last().is_none_or(|t| t.oid != table_oid) {
            let relkind: String = r.get(3);
            if relkind == "p" {
                partitioned.push(table_oid);
            }
            tables.push(Table {
                oid: table_oid,
                schema: r.get(1),
                name: r.get(2),
                columns: Vec::new(),
                checks: Vec::new(),
                uniques: Vec::new(),
                fks: Vec::new(),
                disjoint: Vec::new(),
                partition_key: None,
                partitions: Vec::new(),
                force_rls: r.get(4),
                owner: r.get(15),
            });
        }
        let attnum: i32 = r.get(5);
        let type_oid: i64 = r.get(7);
        let typmod: i32 = r.get(8);
        let identity: String = r.get(11);
        let generated: String = r.get(12);
        raw_cols.push((table_oid, oid(type_oid), typmod));
        if let Some(t) = tables.last_mut() {
            t.columns.push(Column {
                attnum: i16::try_from(attnum).unwrap_or(0),
                name: r.get(6),
                ty: ColType::Bool,
                type_sql: String::new(),
                not_null: r.get(9),
                has_default: r.get(10),
                identity: !identity.is_empty(),
                generated: !generated.is_empty(),
                sequence: r.get(13),
                default_expr: r.get(14),
            });
        }
    }
    let mut types = Types {
        client,
        cache: HashMap::new(),
    };
    let mut i = 0;
    for t in &mut tables {
        for (ci, c) in t.columns.iter_mut().enumerate() {
            let (_, type_oid, typmod) = raw_cols[i];
            i += 1;
            let (ty, checks) = types.resolve(type_oid, typmod)?;
            c.ty = ty;
            if !checks.is_empty() {
                domain_checks.push((t.oid, ci, checks));
            }
        }
    }
    let client = types.client;
    // format_type with the typmod, for casts.
    let spelled = client
        .query(
            "SELECT a.attrelid::int8, a.attnum::int4, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&tables.iter().map(|t| t.oid).collect::<Vec<_>>()],
        )
        .map_err(|e| db(&e))?;
    let by_oid: HashMap<i64, usize> = tables.iter().enumerate().map(|(i, t)| (t.oid, i)).collect();
    for r in &spelled {
        let (rel, attnum, sql): (i64, i32, String) = (r.get(0), r.get(1), r.get(2));
        if let Some(&ti) = by_oid.get(&rel) {
            if let Some(c) = tables[ti]
                .columns
                .iter_mut()
                .find(|c| i32::from(c.attnum) == attnum)
            {
                c.type_sql = sql;
            }
        }
    }
    for (table_oid, ci, checks) in domain_checks {
        if let Some(&ti) = by_oid.get(&table_oid) {
            let t = &mut tables[ti];
            let col_name = t.columns[ci].name.clone();
            for def in checks {
                let expr = expr::parse_check(&def, &|name| {
                    (name == "value")
                        .then_some(ci)
                        .or_else(|| (name == col_name).then_some(ci))
                });
                t.checks.push(Check {
                    name: format!("domain check on {col_name}"),
                    definition: def,
                    expr,
                });
            }
        }
    }
    load_constraints(client, &mut tables, &by_oid)?;
    load_partitions(client, &mut tables, &by_oid, &partitioned)?;
    Ok(Catalog { tables })
}

fn load_constraints(
    client: &mut Client,
    tables: &mut [Table],
    by_oid: &HashMap<i64, usize>,
) -> Result<(), SeedError> {
    let oids: Vec<i64> = tables.iter().map(|t| t.oid).collect();
    let sql = include_str!("constraints.sql").replace("ANY($1)", "ANY($1::int8[]::oid[])");
    let rows = client.query(&sql, &[&oids]).map_err(|e| db(&e))?;
    for r in &rows {
        let rel: i64 = r.get(0);
        let Some(&ti) = by_oid.get(&rel) else {
            continue;
        };
        let t = &mut tables[ti];
        let name: String = r.get(1);
        let kind: String = r.get(2);
        let def: String = r.get(3);
        let key: Option<Vec<i16>> = r.get(4);
        let key = key.unwrap_or_default();
        let cols: Vec<usize> = key.iter().filter_map(|a| t.column_index(*a)).collect();
        let lookup = |n: &str| t.column_named(n);
        match kind.as_str() {
            "c" => {
                let expr = expr::parse_check(&def, &lookup);
                t.checks.push(Check {
                    name,
                    definition: def,
                    expr,
                });
            }
            "u" | "p" => t.uniques.push(UniqueSet {
                name,
                columns: cols,
                predicate: None,
                primary: kind == "p",
            }),
            "f" => {
                let confkey: Option<Vec<i16>> = r.get(6);
                t.fks.push(ForeignKey {
                    name,
                    columns: cols,
                    ref_table: r.get(5),
                    ref_attnums: confkey.unwrap_or_default(),
                });
            }
            "x" => {
                let (eq_cols, overlap_cols, predicate) = expr::parse_exclusion(&def, &lookup);
                if !overlap_cols.is_empty() {
                    t.disjoint.extend(overlap_cols);
                } else if !eq_cols.is_empty() {
                    t.uniques.push(UniqueSet {
                        name,
                        columns: eq_cols,
                        predicate,
                        primary: false,
                    });
                }
            }
            "i" => {
                let predicate: Option<String> = r.get(8);
                let mut cols = cols;
                if key.contains(&0) {
                    // Expression keys: uniqueness of the raw columns they use is stronger.
                    cols.extend(expr::index_expression_columns(&def, &lookup));
                }
                cols.sort_unstable();
                cols.dedup();
                if cols.is_empty() {
                    continue;
                }
                t.uniques.push(UniqueSet {
                    name,
                    columns: cols,
                    predicate: predicate.and_then(|p| expr::parse_expr(&p, &lookup)),
                    primary: false,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn load_partitions(
    client: &mut Client,
    tables: &mut [Table],
    by_oid: &HashMap<i64, usize>,
    partitioned: &[i64],
) -> Result<(), SeedError> {
    if partitioned.is_empty() {
        return Ok(());
    }
    let rows = client
        .query(
            "SELECT i.inhparent::int8, c.relname::text, pg_get_expr(c.relpartbound, c.oid)::text, \
             pg_get_partkeydef(i.inhparent)::text \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = ANY($1::int8[]::oid[]) ORDER BY 1, 2",
            &[&partitioned],
        )
        .map_err(|e| db(&e))?;
    for r in &rows {
        let parent: i64 = r.get(0);
        let Some(&ti) = by_oid.get(&parent) else {
            continue;
        };
        let t = &mut tables[ti];
        let bound: Option<String> = r.get(2);
        let keydef: Option<String> = r.get(3);
        if t.partition_key.is_none() {
            t.partition_key = keydef.as_deref().and_then(|k| {
                let inner = k.split_once('(')?.1.strip_suffix(')')?;
                let name = inner.trim().trim_matches('"');
                t.column_named(name)
            });
        }
        if let Some(b) = bound {
            t.partitions.push((r.get(1), parse_bound(&b)));
        }
    }
    Ok(())
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
