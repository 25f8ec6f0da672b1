//! Columns: their definition in CREATE TABLE / ADD COLUMN, and the ALTERs between two
//! versions of a table (type with a USING cast, collation, default, identity, generated
//! expression, NOT NULL), drops last.

use pgspec_diagnostics::Rule;
use pgspec_postgres::catalog::{Catalog, Column, Identity, Sequence, Table};

use crate::names::{ident, qualified};
use crate::{hazard, Hazard, Phase, Planner};

/// The sequence behind an identity column.
fn identity_sequence<'c>(catalog: &'c Catalog, t: &Table, c: &Column) -> Option<&'c Sequence> {
    catalog.sequences.iter().find(|s| {
        s.owned_by.as_ref().is_some_and(|o| {
            o.identity && o.schema == t.schema && o.table == t.name && o.column == c.name
        })
    })
}

/// `START WITH … INCREMENT BY …` of a sequence, as CREATE SEQUENCE and identity columns take
/// them.
pub(crate) fn sequence_options(s: &Sequence) -> String {
    format!(
        "START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
        s.start,
        s.increment,
        s.min,
        s.max,
        s.cache,
        if s.cycle { " CYCLE" } else { " NO CYCLE" }
    )
}

/// `name type [COLLATE …] [GENERATED …] [DEFAULT …] [NOT NULL]`.
pub(crate) fn definition(catalog: &Catalog, t: &Table, c: &Column) -> String {
    let mut sql = format!("{} {}", ident(&c.name), c.type_name);
    if let Some(coll) = &c.collation {
        sql.push_str(&format!(" COLLATE {}", ident(coll)));
    }
    if let Some(expr) = &c.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED"));
    }
    if let Some(identity) = c.identity {
        sql.push_str(&identity_clause(catalog, t, c, identity));
    }
    if let Some(d) = &c.default {
        sql.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        sql.push_str(" NOT NULL");
    }
    sql
}

fn identity_clause(catalog: &Catalog, t: &Table, c: &Column, identity: Identity) -> String {
    let how = match identity {
        Identity::Always => "ALWAYS",
        Identity::ByDefault => "BY DEFAULT",
    };
    match identity_sequence(catalog, t, c) {
        Some(s) => format!(
            " GENERATED {how} AS IDENTITY (SEQUENCE NAME {} {})",
            qualified(&s.schema, &s.name),
            sequence_options(s)
        ),
        None => format!(" GENERATED {how} AS IDENTITY"),
    }
}

/// Columns whose type or collation changes, or that are dropped: views over them must be
/// dropped and created again.
pub(crate) fn retyped_columns(p: &mut Planner<'_>) {
    for t in &p.to.types {
        let pgspec_postgres::catalog::TypeKind::Enum { labels: new } = &t.kind else {
            continue;
        };
        let Some(pgspec_postgres::catalog::TypeKind::Enum { labels: old }) = p
            .from
            .types
            .iter()
            .find(|f| f.schema == t.schema && f.name == t.name)
            .map(|f| &f.kind)
        else {
            continue;
        };
        if !crate::types::labels_only_added(old, new) {
            p.rebuilt_enums.insert(qualified(&t.schema, &t.name));
        }
    }
    let mut out = Vec::new();
    for t in &p.to.tables {
        let Some(from) = p.from.table(&t.schema, &t.name) else {
            continue;
        };
        let name = qualified(&t.schema, &t.name);
        for fc in &from.columns {
            let changed = match t.column(&fc.name) {
                None => true,
                Some(tc) => {
                    tc.type_name != fc.type_name
                        || tc.collation != fc.collation
                        || tc.generated != fc.generated
                        || p.rebuilt_enums.contains(base_type(&tc.type_name))
                }
            };
            if changed {
                out.push((name.clone(), fc.name.clone()));
            }
        }
    }
    p.retyped.extend(out);
}

/// A type name without its array brackets.
pub(crate) fn base_type(type_name: &str) -> &str {
    type_name.trim_end_matches("[]")
}

/// Whether changing a column from `from` to `to` may fail or lose values, and whether it
/// rewrites the table.
fn type_change(from: &str, to: &str) -> (bool, bool) {
    fn length(t: &str, base: &str) -> Option<Option<u32>> {
        if t == base {
            return Some(None);
        }
        t.strip_prefix(base)?
            .strip_prefix('(')?
            .strip_suffix(')')
            .map(|n| n.parse().ok())
    }
    let varchar = "character varying";
    match (length(from, varchar), length(to, varchar)) {
        (Some(_), Some(None)) => return (false, false),
        (Some(Some(a)), Some(Some(b))) => return (b < a, b < a),
        (Some(None), Some(Some(_))) => return (true, false),
        _ => {}
    }
    if to == "text" && (length(from, varchar).is_some() || from.starts_with("character(")) {
        return (false, false);
    }
    if from == "text" && length(to, varchar).is_some() {
        return (to != varchar, false);
    }
    if from.starts_with("numeric") && to == "numeric" {
        return (false, false);
    }
    let widening = [
        ("smallint", "integer"),
        ("smallint", "bigint"),
        ("integer", "bigint"),
        ("real", "double precision"),
        ("smallint", "numeric"),
        ("integer", "numeric"),
        ("bigint", "numeric"),
        ("timestamp without time zone", "timestamp with time zone"),
        ("date", "timestamp without time zone"),
        ("date", "timestamp with time zone"),
    ];
    if widening.contains(&(from, to)) {
        return (false, true);
    }
    (true, true)
}

/// Volatile defaults fill every existing row with its own value: ADD COLUMN rewrites the
/// table. (A guess on the expression's text: the catalog does not say which functions are
/// volatile.)
fn rewriting_default(expr: &str) -> bool {
    [
        "nextval(",
        "random(",
        "gen_random_uuid(",
        "uuid_generate",
        "clock_timestamp(",
    ]
    .iter()
    .any(|f| expr.contains(f))
}

/// The ALTERs that turn `from`'s columns into `to`'s (same table in both).
pub(crate) fn alter(p: &mut Planner<'_>, from: &Table, to: &Table) {
    let name = qualified(&to.schema, &to.name);
    if to.is_partition() {
        // A partition's columns are its parent's; only their defaults and NOT NULL are its own.
        partition_columns(p, &name, from, to);
        return;
    }
    let catalog = p.to;
    for c in &to.columns {
        if !c.local {
            // An inherited column follows its parent's ALTERs; one FROM declares on the table
            // itself, which a parent gains, is moved into the parent's copy.
            if let Some(f) = from.column(&c.name).filter(|f| f.local) {
                becomes_inherited(p, &name, from, to, f);
            }
            continue;
        }
        let Some(f) = from.column(&c.name) else {
            let mut hazards = Vec::new();
            if c.generated.is_some()
                || c.identity.is_some()
                || c.default.as_deref().is_some_and(rewriting_default)
            {
                hazards.push(hazard(
                    Rule::MigrationRewritesTable,
                    format!(
                        "adding {name}.{} computes a value for every row: the table is rewritten under an ACCESS EXCLUSIVE lock",
                        c.name
                    ),
                ));
            }
            if c.not_null && c.default.is_none() && c.generated.is_none() && c.identity.is_none() {
                hazards.push(hazard(
                    Rule::MigrationNeedsEmptyTable,
                    format!(
                        "{name}.{} is added NOT NULL without a default: the statement fails if {name} holds a row; give the column a DEFAULT in the document, or add it nullable, fill it, and set NOT NULL in a later migration",
                        c.name
                    ),
                ));
            }
            p.push_hazard(
                Phase::Columns,
                format!(
                    "ALTER TABLE {name} ADD COLUMN {}",
                    definition(catalog, to, c)
                ),
                hazards,
            );
            continue;
        };
        let parent_keeps = to.inherits.iter().any(|parent| {
            catalog
                .tables
                .iter()
                .any(|x| qualified(&x.schema, &x.name) == *parent && x.column(&c.name).is_some())
        });
        // (A partition's columns are never local; one that is detached gets them as its own.)
        let inherited_from_parent = !from.is_partition() && !from.inherits.is_empty();
        if inherited_from_parent && !f.local && c.local && !parent_keeps {
            // Inherited in FROM from a parent that drops it, which takes this copy along; TO
            // declares it on the table itself.
            keep_inherited_values(p, &name, to, c);
            continue;
        }
        alter_column(p, &name, from, to, f, c);
    }
    for f in from.columns.iter().filter(|f| f.local) {
        if to.column(&f.name).is_none() {
            p.push_hazard(
                Phase::DropColumns,
                format!("ALTER TABLE {name} DROP COLUMN {}", ident(&f.name)),
                vec![hazard(
                    Rule::MigrationDropsData,
                    format!("column {name}.{} is dropped with its values", f.name),
                )],
            );
        }
    }
}

/// Defaults and NOT NULL of a partition's columns. ALTER on the parent recurses to its
/// partitions, so the partition starts from the parent's new value where that changes.
fn partition_columns(p: &mut Planner<'_>, name: &str, from: &Table, to: &Table) {
    let (Some(fp), Some(tp)) = (&from.partition_of, &to.partition_of) else {
        return;
    };
    let parent_from = p.from.table(&fp.parent_schema, &fp.parent_name).cloned();
    let parent_to = p.to.table(&tp.parent_schema, &tp.parent_name);
    let (Some(parent_from), Some(parent_to)) = (parent_from, parent_to) else {
        return;
    };
    for c in &to.columns {
        let (Some(f), Some(pf), Some(pt)) = (
            from.column(&c.name),
            parent_from.column(&c.name),
            parent_to.column(&c.name),
        ) else {
            continue;
        };
        let prefix = format!("ALTER TABLE {name} ALTER COLUMN {}", ident(&c.name));
        let default = if pf.default == pt.default {
            f.default.clone()
        } else {
            pt.default.clone()
        };
        if default != c.default {
            match &c.default {
                Some(d) => p.push(Phase::Columns, format!("{prefix} SET DEFAULT {d}")),
                None => p.push(Phase::Columns, format!("{prefix} DROP DEFAULT")),
            }
        }
        let not_null = if pf.not_null == pt.not_null {
            f.not_null
        } else {
            pt.not_null
        };
        if not_null != c.not_null {
            if c.not_null {
                p.push_hazard(
                    Phase::Columns,
                    format!("{prefix} SET NOT NULL"),
                    vec![not_null_scan(name, &c.name)],
                );
            } else {
                p.push(Phase::Columns, format!("{prefix} DROP NOT NULL"));
            }
        }
    }
}

fn alter_column(
    p: &mut Planner<'_>,
    name: &str,
    from_table: &Table,
    to_table: &Table,
    f: &Column,
    c: &Column,
) {
    let col = ident(&c.name);
    let prefix = format!("ALTER TABLE {name} ALTER COLUMN {col}");
    let catalog = p.to;
    if f.generated != c.generated {
        if f.generated.is_some() && c.generated.is_none() {
            p.push(Phase::Columns, format!("{prefix} DROP EXPRESSION"));
        } else {
            // A new or changed generation expression: the column is dropped and added again.
            let loses = f.generated.is_none();
            p.push_hazard(
                Phase::Columns,
                format!("ALTER TABLE {name} DROP COLUMN {col}"),
                if loses {
                    vec![hazard(
                        Rule::MigrationDropsData,
                        format!(
                            "column {name}.{} becomes generated: its stored values are dropped",
                            c.name
                        ),
                    )]
                } else {
                    Vec::new()
                },
            );
            p.push_hazard(
                Phase::Columns,
                format!(
                    "ALTER TABLE {name} ADD COLUMN {}",
                    definition(catalog, to_table, c)
                ),
                vec![hazard(
                    Rule::MigrationRewritesTable,
                    format!("the generated column {name}.{} is computed for every row: the table is rewritten", c.name),
                )],
            );
            return;
        }
    }
    let rebuilt = p.rebuilt_enums.contains(base_type(&c.type_name));
    let retype = f.type_name != c.type_name || f.collation != c.collation || rebuilt;
    let mut default_before = f.default.clone();
    if retype && f.default.is_some() {
        p.push(Phase::Columns, format!("{prefix} DROP DEFAULT"));
        default_before = None;
    }
    if f.identity.is_none() && c.identity.is_some() && default_before.is_some() {
        p.push(Phase::Columns, format!("{prefix} DROP DEFAULT"));
        default_before = None;
    }
    if retype {
        let mut sql = format!("{prefix} TYPE {}", c.type_name);
        if let Some(coll) = &c.collation {
            sql.push_str(&format!(" COLLATE {}", ident(coll)));
        }
        let mut hazards: Vec<Hazard> = Vec::new();
        if f.type_name != c.type_name || rebuilt {
            // No cast between two enums, nor from most types to an enum: go through text.
            let is_enum = |catalog: &Catalog, type_name: &str| {
                catalog.types.iter().any(|t| {
                    matches!(t.kind, pgspec_postgres::catalog::TypeKind::Enum { .. })
                        && qualified(&t.schema, &t.name) == type_name
                })
            };
            let via_text = if is_enum(&p.from, base_type(&f.type_name))
                || is_enum(catalog, base_type(&c.type_name))
            {
                "::text"
            } else {
                ""
            };
            let epoch = epoch_conversion(&col, &f.type_name, &c.type_name);
            match &epoch {
                Some(using) => sql.push_str(&format!(" USING {using}")),
                None => sql.push_str(&format!(" USING {col}{via_text}::{}", c.type_name)),
            }
            let (narrows, rewrites) = if rebuilt {
                (true, true)
            } else {
                type_change(&f.type_name, &c.type_name)
            };
            if narrows || epoch.is_some() {
                let reading = if epoch.is_some() {
                    " (numbers are read as seconds since 1970-01-01 00:00 UTC, and times written so)"
                } else {
                    ""
                };
                hazards.push(hazard(
                    Rule::MigrationNarrowsType,
                    format!(
                        "{name}.{} changes from {} to {}{reading}: values that do not convert make it fail, or are changed",
                        c.name, f.type_name, c.type_name
                    ),
                ));
            }
            if rewrites {
                hazards.push(hazard(
                    Rule::MigrationRewritesTable,
                    format!(
                        "changing the type of {name}.{} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
                        c.name
                    ),
                ));
            }
        }
        p.push_hazard(Phase::Columns, sql, hazards);
    }
    // An identity column takes no default: the identity goes first.
    if f.identity.is_some() && c.identity.is_none() {
        p.push(Phase::Columns, format!("{prefix} DROP IDENTITY"));
    }
    if default_before != c.default {
        match &c.default {
            Some(d) => p.push(Phase::Columns, format!("{prefix} SET DEFAULT {d}")),
            None => p.push(Phase::Columns, format!("{prefix} DROP DEFAULT")),
        }
    }
    match (f.identity, c.identity) {
        (None, Some(identity)) => {
            if !f.not_null {
                // ADD GENERATED … AS IDENTITY wants the column NOT NULL already.
                p.push_hazard(
                    Phase::Columns,
                    format!("{prefix} SET NOT NULL"),
                    vec![not_null_scan(name, &c.name)],
                );
            }
            p.push(
                Phase::Columns,
                format!(
                    "{prefix} ADD{}",
                    identity_clause(catalog, to_table, c, identity)
                ),
            );
        }
        (Some(_), None) => {}
        (Some(a), Some(b)) => {
            if a != b {
                let how = if b == Identity::Always {
                    "ALWAYS"
                } else {
                    "BY DEFAULT"
                };
                p.push(Phase::Columns, format!("{prefix} SET GENERATED {how}"));
            }
            let before = identity_sequence(&p.from, from_table, f).cloned();
            let after = identity_sequence(catalog, to_table, c);
            if let (Some(x), Some(y)) = (before, after) {
                let mut sets = Vec::new();
                if x.increment != y.increment {
                    sets.push(format!("SET INCREMENT BY {}", y.increment));
                }
                if x.min != y.min {
                    sets.push(format!("SET MINVALUE {}", y.min));
                }
                if x.max != y.max {
                    sets.push(format!("SET MAXVALUE {}", y.max));
                }
                if x.start != y.start {
                    sets.push(format!("SET START WITH {}", y.start));
                }
                if x.cache != y.cache {
                    sets.push(format!("SET CACHE {}", y.cache));
                }
                if x.cycle != y.cycle {
                    sets.push(if y.cycle { "SET CYCLE" } else { "SET NO CYCLE" }.to_string());
                }
                if !sets.is_empty() {
                    p.push(Phase::Columns, format!("{prefix} {}", sets.join(" ")));
                }
            }
        }
        (None, None) => {}
    }
    if f.not_null != c.not_null {
        if !c.not_null {
            p.push(Phase::Columns, format!("{prefix} DROP NOT NULL"));
        } else if !(f.identity.is_none() && c.identity.is_some()) {
            p.push_hazard(
                Phase::Columns,
                format!("{prefix} SET NOT NULL"),
                vec![not_null_scan(name, &c.name)],
            );
        }
    }
}

fn not_null_scan(table: &str, column: &str) -> Hazard {
    hazard(
        Rule::MigrationValidationScan,
        format!(
            "SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE lock (a validated CHECK ({column} IS NOT NULL) added first avoids the scan)"
        ),
    )
}

/// PostgreSQL has no cast between numbers and timestamps: a number becomes a time, and back,
/// as seconds since the Unix epoch (UTC for a timestamp without time zone), the usual meaning
/// of a number column that turns into a timestamp. `None` for any other pair.
fn epoch_conversion(col: &str, from: &str, to: &str) -> Option<String> {
    let number = |t: &str| {
        let base = t.split('(').next().unwrap_or(t).trim();
        matches!(
            base,
            "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision"
        )
    };
    let timestamp = |t: &str| t.starts_with("timestamp");
    let zoned = |t: &str| t.ends_with("with time zone") && !t.ends_with("without time zone");
    if number(from) && timestamp(to) {
        Some(if zoned(to) {
            format!("pg_catalog.to_timestamp({col})::{to}")
        } else {
            format!("(pg_catalog.to_timestamp({col}) AT TIME ZONE 'UTC')::{to}")
        })
    } else if timestamp(from) && number(to) {
        let instant = if zoned(from) {
            col.to_string()
        } else {
            format!("({col} AT TIME ZONE 'UTC')")
        };
        Some(format!("extract(epoch FROM {instant})::{to}"))
    } else {
        None
    }
}

/// A column FROM declares on `table` itself while TO only inherits it from a parent that
/// gains it. The parent's `ADD COLUMN` would merge into the table's own column, which then
/// stays declared on the table (`attislocal`: it outlives the parent dropping it). So the
/// table's column is renamed aside first, the parent's copy takes its values, and the old
/// one goes. When a parent already has the column, PostgreSQL has no statement that makes
/// the table's own declaration go, and nothing is planned.
fn becomes_inherited(p: &mut Planner<'_>, name: &str, from: &Table, to: &Table, f: &Column) {
    let parent_gains = to.inherits.iter().any(|parent| {
        from.inherits.contains(parent)
            && p.from
                .tables
                .iter()
                .find(|x| qualified(&x.schema, &x.name) == *parent)
                .is_some_and(|x| x.column(&f.name).is_none())
            && p.to
                .tables
                .iter()
                .any(|x| qualified(&x.schema, &x.name) == *parent && x.column(&f.name).is_some())
    });
    let parent_has = to.inherits.iter().any(|parent| {
        p.from
            .tables
            .iter()
            .any(|x| qualified(&x.schema, &x.name) == *parent && x.column(&f.name).is_some())
    });
    if !parent_gains || parent_has {
        return;
    }
    let column = ident(&f.name);
    let aside = ident(&format!("{}__pgspec_own", f.name));
    p.push(
        Phase::Tables,
        format!("ALTER TABLE {name} RENAME COLUMN {column} TO {aside}"),
    );
    p.push_hazard(
        Phase::ReAddedColumns,
        format!("UPDATE {name} SET {column} = {aside}"),
        vec![hazard(
            Rule::MigrationRewritesTable,
            format!(
                "{name}.{} becomes the column its parent declares: every row is updated to move its value",
                f.name
            ),
        )],
    );
    p.push(
        Phase::ReAddedColumns,
        format!("ALTER TABLE {name} DROP COLUMN {aside}"),
    );
}

/// A column the table inherits from a parent that drops it (which takes the table's copy
/// along), declared on the table in TO: its values are copied to a column of the table's own
/// before the parent drops it, and that column takes the name. An identity or generated
/// column computes its values again, and is simply added.
fn keep_inherited_values(p: &mut Planner<'_>, name: &str, to: &Table, c: &Column) {
    if c.identity.is_some() || c.generated.is_some() {
        let sql = format!("ALTER TABLE {name} ADD COLUMN {}", definition(p.to, to, c));
        p.push(Phase::ReAddedColumns, sql);
        return;
    }
    let column = ident(&c.name);
    let keep = ident(&format!("{}__pgspec_keep", c.name));
    let mut bare = format!("{keep} {}", c.type_name);
    if let Some(coll) = &c.collation {
        bare.push_str(&format!(" COLLATE {}", ident(coll)));
    }
    p.push(
        Phase::Columns,
        format!("ALTER TABLE {name} ADD COLUMN {bare}"),
    );
    p.push_hazard(
        Phase::Columns,
        format!("UPDATE {name} SET {keep} = {column}"),
        vec![hazard(
            Rule::MigrationRewritesTable,
            format!(
                "{name}.{} is kept when its parent drops it: every row is updated to copy its value",
                c.name
            ),
        )],
    );
    p.push(
        Phase::ReAddedColumns,
        format!("ALTER TABLE {name} RENAME COLUMN {keep} TO {column}"),
    );
    if let Some(d) = &c.default {
        p.push(
            Phase::ReAddedColumns,
            format!("ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT {d}"),
        );
    }
    if c.not_null {
        p.push(
            Phase::ReAddedColumns,
            format!("ALTER TABLE {name} ALTER COLUMN {column} SET NOT NULL"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{epoch_conversion, type_change};

    #[test]
    fn widening_is_neither_narrowing_nor_always_a_rewrite() {
        assert_eq!(
            type_change("character varying(20)", "character varying(200)"),
            (false, false)
        );
        assert_eq!(type_change("character varying(20)", "text"), (false, false));
        assert_eq!(type_change("integer", "bigint"), (false, true));
        assert_eq!(type_change("numeric(10,2)", "numeric"), (false, false));
    }

    #[test]
    fn narrowing_and_unknown_changes_are_marked() {
        assert_eq!(
            type_change("character varying(200)", "character varying(20)"),
            (true, true)
        );
        assert_eq!(type_change("text", "character varying(5)"), (true, false));
        assert_eq!(type_change("bigint", "integer"), (true, true));
        assert_eq!(type_change("text", "integer"), (true, true));
    }

    #[test]
    fn numbers_and_timestamps_convert_as_epoch_seconds_and_nothing_else_does() {
        assert_eq!(
            epoch_conversion("c", "bigint", "timestamp without time zone").as_deref(),
            Some("(pg_catalog.to_timestamp(c) AT TIME ZONE 'UTC')::timestamp without time zone")
        );
        assert_eq!(
            epoch_conversion("c", "integer", "timestamp(3) with time zone").as_deref(),
            Some("pg_catalog.to_timestamp(c)::timestamp(3) with time zone")
        );
        assert_eq!(
            epoch_conversion("c", "timestamp without time zone", "bigint").as_deref(),
            Some("extract(epoch FROM (c AT TIME ZONE 'UTC'))::bigint")
        );
        assert_eq!(
            epoch_conversion("c", "text", "timestamp without time zone"),
            None
        );
        assert_eq!(epoch_conversion("c", "bigint", "date"), None);
    }
}
