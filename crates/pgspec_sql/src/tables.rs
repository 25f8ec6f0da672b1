//! The tables a `CREATE TABLE` statement defines, read from pg_query's tree: columns with their
//! types, nullability, keys and foreign keys. What the document's SQL *says*, before any server
//! runs it (the schema stage compares it with the ERD and column tables when the catalog is not
//! available, and synthesis uses it to tell a complete definition from a fragment).

use crate::ast::pb::{self as protobuf, ConstrType};
use crate::ast::NodeEnum;
use serde::Serialize;

/// A table as one `CREATE TABLE` statement defines it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlTable {
    /// Unqualified, lowercased unless quoted (PostgreSQL's folding, done by the parser).
    pub name: String,
    pub schema: Option<String>,
    pub columns: Vec<SqlColumn>,
    /// Columns of the primary key (column or table constraint), in key order.
    pub primary_key: Vec<String>,
    /// Column lists of UNIQUE constraints (column or table constraint).
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<SqlForeignKey>,
    /// `LIKE other` or `PARTITION OF` / `INHERITS`: columns come from elsewhere, so the column
    /// list here is not the whole table.
    pub copies_columns: bool,
    /// `PARTITION OF parent`: a partition, not a table of its own in the schema's design.
    pub partition_of: bool,
    pub partitioned: bool,
}

/// A column of a [`SqlTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlColumn {
    pub name: String,
    /// The type in PostgreSQL's spelling where it is a built-in one
    /// (`timestamp with time zone`), else the written name (`order_status`, `vector(1536)`).
    pub pg_type: String,
    pub not_null: bool,
    pub has_default: bool,
    /// Byte offset of the column name in the statement text.
    pub offset: usize,
}

/// A foreign key of a [`SqlTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SqlForeignKey {
    pub columns: Vec<String>,
    /// Referenced table, unqualified and lowercased.
    pub target: String,
    /// Referenced columns (empty: the target's primary key).
    pub target_columns: Vec<String>,
}

/// The table `sql` creates, if it is a `CREATE TABLE` with a column list that parses. For
/// text that is not a statement of the document (those keep their tree: use
/// [`crate::Statement::created_table`]).
pub fn created_table(sql: &str) -> Option<SqlTable> {
    created_table_in(&*crate::ast::parse(sql)?)
}

/// The name of the table a `CREATE TABLE` that does not parse names (MySQL's `` `orders` ``,
/// SQL Server's `[dbo].[Orders]`), read from its first words: unqualified and lowercased as
/// the dialect rewrite spells it (a `"Quoted"` name keeps its case). `None` for any other text.
pub fn written_table_name(sql: &str) -> Option<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut words = code.split_whitespace();
    if !words.next()?.eq_ignore_ascii_case("create") {
        return None;
    }
    let mut word = words.next()?;
    while ["temporary", "temp", "unlogged", "or", "replace"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
    {
        word = words.next()?;
    }
    if !word.eq_ignore_ascii_case("table") {
        return None;
    }
    let mut name = words.next()?;
    if name.eq_ignore_ascii_case("if") {
        let not = words.next()?;
        let exists = words.next()?;
        if !not.eq_ignore_ascii_case("not") || !exists.eq_ignore_ascii_case("exists") {
            return None;
        }
        name = words.next()?;
    }
    let name = name.split('(').next()?;
    let last = name.rsplit('.').next()?;
    let quoted = last.starts_with('"') && last.ends_with('"') && last.len() > 1;
    let bare = last.trim_matches(|c| matches!(c, '`' | '"' | '[' | ']'));
    if bare.is_empty() {
        return None;
    }
    Some(if quoted {
        bare.to_owned()
    } else {
        bare.to_lowercase()
    })
}

/// The table the (first) statement of a tree creates, if it is a `CREATE TABLE`.
pub fn created_table_in(tree: &crate::ast::ParseTree) -> Option<SqlTable> {
    let Some(NodeEnum::CreateStmt(create)) = crate::ast::first(tree) else {
        return None;
    };
    let relation = create.relation.as_ref()?;
    let mut table = SqlTable {
        name: relation.relname.clone(),
        schema: (!relation.schemaname.is_empty()).then(|| relation.schemaname.clone()),
        copies_columns: !create.inh_relations.is_empty() || create.partbound.is_some(),
        partition_of: create.partbound.is_some(),
        partitioned: create.partspec.is_some(),
        ..SqlTable::default()
    };
    for elt in &create.table_elts {
        match &elt.node {
            Some(NodeEnum::ColumnDef(def)) => column(&mut table, def),
            Some(NodeEnum::Constraint(c)) => constraint(&mut table, c, None),
            Some(NodeEnum::TableLikeClause(_)) => table.copies_columns = true,
            _ => {}
        }
    }
    Some(table)
}

/// The foreign keys `sql` declares, with the table that holds each: those of a `CREATE TABLE`
/// and those an `ALTER TABLE … ADD [CONSTRAINT …] FOREIGN KEY` adds.
pub fn declared_foreign_keys(tree: &crate::ast::ParseTree) -> Vec<(String, SqlForeignKey)> {
    if let Some(table) = created_table_in(tree) {
        return table
            .foreign_keys
            .into_iter()
            .map(|fk| (table.name.clone(), fk))
            .collect();
    }
    let mut out = Vec::new();
    for node in crate::ast::top_nodes(tree) {
        let NodeEnum::AlterTableStmt(alter) = node else {
            continue;
        };
        let Some(relation) = alter.relation.as_ref() else {
            continue;
        };
        let mut table = SqlTable {
            name: relation.relname.clone(),
            ..SqlTable::default()
        };
        for cmd in &alter.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                continue;
            };
            if let Some(NodeEnum::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                constraint(&mut table, c, None);
            }
        }
        out.extend(
            table
                .foreign_keys
                .into_iter()
                .map(|fk| (table.name.clone(), fk)),
        );
    }
    out
}

fn column(table: &mut SqlTable, def: &protobuf::ColumnDef) {
    let mut col = SqlColumn {
        name: def.colname.clone(),
        pg_type: def.type_name.as_ref().map(type_name).unwrap_or_default(),
        not_null: def.is_not_null,
        has_default: def.raw_default.is_some(),
        offset: usize::try_from(def.location).unwrap_or(0),
    };
    for c in &def.constraints {
        if let Some(NodeEnum::Constraint(c)) = &c.node {
            match ConstrType::try_from(c.contype) {
                Ok(ConstrType::ConstrNotnull | ConstrType::ConstrPrimary) => col.not_null = true,
                Ok(ConstrType::ConstrDefault | ConstrType::ConstrIdentity) => {
                    col.has_default = true;
                }
                _ => {}
            }
            constraint(table, c, Some(&def.colname));
        }
    }
    if is_serial(&col.pg_type) {
        col.has_default = true;
        col.not_null = true;
    }
    table.columns.push(col);
}

fn is_serial(ty: &str) -> bool {
    matches!(ty, "serial" | "bigserial" | "smallserial")
}

fn constraint(table: &mut SqlTable, c: &protobuf::Constraint, column: Option<&str>) {
    let keys = |nodes: &[protobuf::Node]| -> Vec<String> {
        let named = names(nodes);
        if named.is_empty() {
            column.map(str::to_string).into_iter().collect()
        } else {
            named
        }
    };
    match ConstrType::try_from(c.contype) {
        Ok(ConstrType::ConstrPrimary) => table.primary_key = keys(&c.keys),
        Ok(ConstrType::ConstrUnique) => table.unique.push(keys(&c.keys)),
        Ok(ConstrType::ConstrForeign) => {
            if let Some(target) = &c.pktable {
                table.foreign_keys.push(SqlForeignKey {
                    columns: keys(&c.fk_attrs),
                    target: target.relname.clone(),
                    target_columns: names(&c.pk_attrs),
                });
            }
        }
        _ => {}
    }
}

fn names(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// A type name in PostgreSQL's spelling (`pg_catalog.int4` → `integer`, `varchar(64)` →
/// `character varying(64)`), or as written for types pgspec does not know.
fn type_name(t: &protobuf::TypeName) -> String {
    let parts = names(&t.names);
    let base = match parts.as_slice() {
        [catalog, name] if catalog == "pg_catalog" => name.clone(),
        _ => parts.join("."),
    };
    let mods: Vec<String> = t
        .typmods
        .iter()
        .filter_map(|m| match &m.node {
            Some(NodeEnum::AConst(c)) => match &c.val {
                Some(protobuf::a_const::Val::Ival(i)) => Some(i.ival.to_string()),
                Some(protobuf::a_const::Val::Sval(s)) => Some(s.sval.clone()),
                _ => None,
            },
            Some(NodeEnum::ColumnRef(r)) => names(&r.fields).first().cloned(),
            _ => None,
        })
        .collect();
    let written = if mods.is_empty() {
        base
    } else {
        format!("{base}({})", mods.join(","))
    };
    let arrays = "[]".repeat(t.array_bounds.len());
    // `timestamptz(3)` arrives as `timestamptz` with a modifier; `interval` modifiers are
    // field masks, not precisions, and are left as written.
    let spelled = super::types::normalize_type(&written).unwrap_or(written);
    format!("{spelled}{arrays}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_name_of_a_table_in_another_dialect() {
        for (sql, name) in [
            ("CREATE TABLE `Clientes` (\n `id` int)", Some("clientes")),
            (
                "create table if not exists `loja`.`pedidos`(id int)",
                Some("pedidos"),
            ),
            ("CREATE TABLE [dbo].[Orders] ([Id] INT)", Some("orders")),
            ("CREATE UNLOGGED TABLE \"Mixed\" (id int)", Some("Mixed")),
            ("-- people\nCREATE TABLE people(id int)", Some("people")),
            ("CREATE INDEX i ON t (a)", None),
            ("INSERT INTO `t` VALUES (1)", None),
        ] {
            assert_eq!(written_table_name(sql).as_deref(), name, "{sql}");
        }
    }

    #[test]
    fn foreign_keys_of_create_and_alter_table() {
        let fks = |sql| -> Vec<(String, String)> {
            declared_foreign_keys(&crate::ast::parse(sql).expect("parses"))
                .into_iter()
                .map(|(t, fk)| (t, fk.target))
                .collect()
        };
        assert_eq!(
            fks("CREATE TABLE items (id int, order_id uuid REFERENCES orders (id))"),
            [("items".to_owned(), "orders".to_owned())]
        );
        assert_eq!(
            fks("ALTER TABLE items ADD CONSTRAINT f FOREIGN KEY (order_id) REFERENCES public.orders"),
            [("items".to_owned(), "orders".to_owned())]
        );
        assert!(fks("ALTER TABLE items ADD COLUMN x int").is_empty());
        assert!(fks("CREATE TABLE p PARTITION OF orders FOR VALUES IN (1)").is_empty());
    }

    #[test]
    fn create_table_columns_keys_and_foreign_keys() {
        let t = created_table(
            "CREATE TABLE app.orders (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                no varchar(30) UNIQUE NOT NULL,
                user_id integer REFERENCES users(id),
                tags text[],
                n serial,
                created_at timestamptz NOT NULL,
                amount numeric(10,2),
                UNIQUE (user_id, created_at),
                FOREIGN KEY (no) REFERENCES numbers
            )",
        )
        .expect("a table");
        assert_eq!(t.name, "orders");
        assert_eq!(t.schema.as_deref(), Some("app"));
        let cols: Vec<(&str, &str, bool, bool)> = t
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.pg_type.as_str(),
                    c.not_null,
                    c.has_default,
                )
            })
            .collect();
        assert_eq!(
            cols,
            [
                ("id", "uuid", true, true),
                ("no", "character varying(30)", true, false),
                ("user_id", "integer", false, false),
                ("tags", "text[]", false, false),
                ("n", "serial", true, true),
                ("created_at", "timestamp with time zone", true, false),
                ("amount", "numeric(10,2)", false, false),
            ]
        );
        assert_eq!(t.primary_key, ["id"]);
        assert_eq!(t.unique, [vec!["no"], vec!["user_id", "created_at"]]);
        assert_eq!(t.foreign_keys.len(), 2);
        assert_eq!(t.foreign_keys[0].target, "users");
        assert_eq!(t.foreign_keys[0].columns, ["user_id"]);
        assert_eq!(t.foreign_keys[1].target_columns, Vec::<String>::new());
        assert!(!t.copies_columns && !t.partitioned);
    }

    #[test]
    fn like_and_partitions_copy_columns_and_non_tables_are_none() {
        let t = created_table("CREATE TABLE p (LIKE v INCLUDING ALL) PARTITION BY RANGE (d)")
            .expect("table");
        assert!(t.copies_columns && t.partitioned);
        assert!(
            created_table("CREATE TABLE o_1 PARTITION OF o FOR VALUES IN (1)")
                .is_some_and(|t| t.copies_columns)
        );
        assert!(created_table("CREATE INDEX i ON t (a)").is_none());
        assert!(created_table("CREATE TABLE (").is_none());
        assert!(created_table("").is_none());
    }
}

/// What a statement does to tables a migration log renamed or dropped on the way: the table
/// renamed (`ALTER TABLE a RENAME TO b`), a column renamed (`ALTER TABLE t RENAME COLUMN a TO
/// b`), or the tables dropped. Names unqualified, as the parser folds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableChange {
    Renamed {
        from: String,
        to: String,
    },
    ColumnRenamed {
        table: String,
        from: String,
        to: String,
    },
    Dropped(Vec<String>),
}

/// The [`TableChange`] of one top-level statement node.
pub fn table_change_in(tree: &crate::ast::ParseTree) -> Option<TableChange> {
    let node = crate::ast::first(tree)?;
    match node {
        NodeEnum::RenameStmt(r) => {
            let table = r.relation.as_ref()?.relname.clone();
            match protobuf::ObjectType::try_from(r.rename_type).ok()? {
                protobuf::ObjectType::ObjectTable if r.subname.is_empty() => {
                    Some(TableChange::Renamed {
                        from: table,
                        to: r.newname.clone(),
                    })
                }
                protobuf::ObjectType::ObjectColumn => Some(TableChange::ColumnRenamed {
                    table,
                    from: r.subname.clone(),
                    to: r.newname.clone(),
                }),
                _ => None,
            }
        }
        NodeEnum::DropStmt(d) if d.remove_type == protobuf::ObjectType::ObjectTable as i32 => {
            let names = d
                .objects
                .iter()
                .filter_map(|o| match o.node.as_ref()? {
                    NodeEnum::List(l) => {
                        l.items
                            .last()
                            .and_then(crate::ast::node)
                            .and_then(|n| match n {
                                NodeEnum::String(s) => Some(s.sval.clone()),
                                _ => None,
                            })
                    }
                    _ => None,
                })
                .collect();
            Some(TableChange::Dropped(names))
        }
        _ => None,
    }
}

/// The table and the columns an `ALTER TABLE t ADD [COLUMN] c type, …` adds, each with the
/// byte offset of its definition in the statement text. Table unqualified, as the parser folds
/// it.
pub fn added_columns_in(tree: &crate::ast::ParseTree) -> Option<(String, Vec<(String, usize)>)> {
    let NodeEnum::AlterTableStmt(alter) = crate::ast::first(tree)? else {
        return None;
    };
    let table = alter.relation.as_ref()?.relname.clone();
    let columns: Vec<(String, usize)> = alter
        .cmds
        .iter()
        .filter_map(|cmd| match crate::ast::node(cmd)? {
            NodeEnum::AlterTableCmd(cmd)
                if cmd.subtype == protobuf::AlterTableType::AtAddColumn as i32 =>
            {
                match cmd.def.as_deref().and_then(crate::ast::node)? {
                    NodeEnum::ColumnDef(c) => {
                        Some((c.colname.clone(), usize::try_from(c.location).ok()?))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    (!columns.is_empty()).then_some((table, columns))
}

/// The table and the columns of each `CHECK` an `ALTER TABLE t ADD [CONSTRAINT n] CHECK (…)`
/// adds: `("students", ["gender"])` for `ALTER TABLE students ADD CHECK (gender IN ('M',
/// 'F'))`. Table unqualified, as the parser folds it; columns in the order the checks name them.
pub fn added_check_columns(tree: &crate::ast::ParseTree) -> Option<(String, Vec<String>)> {
    let (table, constraints) = added_constraints(tree)?;
    let mut columns: Vec<String> = Vec::new();
    for c in constraints {
        if c.contype != ConstrType::ConstrCheck as i32 {
            continue;
        }
        let Some(expr) = c.raw_expr.as_deref().and_then(crate::ast::node) else {
            continue;
        };
        for n in crate::visit::walk(expr.to_ref()) {
            if let crate::visit::NodeRef::ColumnRef(r) = n {
                if let Some(name) = crate::ast::last_name(&r.fields) {
                    if !columns.iter().any(|c| c == name) {
                        columns.push(name.to_owned());
                    }
                }
            }
        }
    }
    (!columns.is_empty()).then_some((table, columns))
}

/// The table and the constraints an `ALTER TABLE t ADD [CONSTRAINT n] …` adds, in order.
fn added_constraints(tree: &crate::ast::ParseTree) -> Option<(String, Vec<&protobuf::Constraint>)> {
    let NodeEnum::AlterTableStmt(alter) = crate::ast::first(tree)? else {
        return None;
    };
    let table = alter.relation.as_ref()?.relname.clone();
    let constraints = alter
        .cmds
        .iter()
        .filter_map(|cmd| match crate::ast::node(cmd) {
            Some(NodeEnum::AlterTableCmd(cmd))
                if cmd.subtype == protobuf::AlterTableType::AtAddConstraint as i32 =>
            {
                match cmd.def.as_deref().and_then(crate::ast::node) {
                    Some(NodeEnum::Constraint(c)) => Some(&**c),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    Some((table, constraints))
}

/// The table and the column lists of the PRIMARY KEY / UNIQUE constraints an `ALTER TABLE t ADD
/// [CONSTRAINT n] UNIQUE (…)` adds. Table unqualified, as the parser folds it.
pub fn added_unique_keys(tree: &crate::ast::ParseTree) -> Option<(String, Vec<Vec<String>>)> {
    let (table, constraints) = added_constraints(tree)?;
    let found: Vec<Vec<String>> = constraints
        .into_iter()
        .filter(|c| {
            c.contype == ConstrType::ConstrUnique as i32
                || c.contype == ConstrType::ConstrPrimary as i32
        })
        .map(|c| {
            crate::ast::names(&c.keys)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    (!found.is_empty()).then_some((table, found))
}

#[cfg(test)]
mod change_tests {
    use super::*;

    #[test]
    fn renames_and_drops_of_tables_are_read() {
        let change = |sql: &str| crate::ast::parse(sql).and_then(|t| table_change_in(&t));
        assert_eq!(
            change("ALTER TABLE musteri RENAME TO musteriler"),
            Some(TableChange::Renamed {
                from: "musteri".into(),
                to: "musteriler".into()
            })
        );
        assert_eq!(
            change("ALTER TABLE public.gonderi RENAME COLUMN agirlik_kg TO agirlik"),
            Some(TableChange::ColumnRenamed {
                table: "gonderi".into(),
                from: "agirlik_kg".into(),
                to: "agirlik".into()
            })
        );
        assert_eq!(
            change("DROP TABLE IF EXISTS a, s.b CASCADE"),
            Some(TableChange::Dropped(vec!["a".into(), "b".into()]))
        );
        assert_eq!(change("ALTER INDEX i RENAME TO j"), None);
        let checks = |sql: &str| crate::ast::parse(sql).and_then(|t| added_check_columns(&t));
        assert_eq!(
            checks("ALTER TABLE s.students ADD CONSTRAINT g CHECK (gender IN ('M', 'F')), ADD CHECK (born < died AND gender <> 'X')"),
            Some(("students".into(), vec!["gender".into(), "born".into(), "died".into()]))
        );
        assert_eq!(checks("ALTER TABLE t ADD UNIQUE (a)"), None);
        let added = |sql: &str| crate::ast::parse(sql).and_then(|t| added_columns_in(&t));
        assert_eq!(
            added("ALTER TABLE o ADD COLUMN a int, ADD b text NOT NULL, ADD CHECK (a > 0)"),
            Some(("o".into(), vec![("a".into(), 25), ("b".into(), 36)]))
        );
        assert_eq!(added("ALTER TABLE o DROP COLUMN a"), None);
        assert_eq!(checks("ALTER TABLE t ADD COLUMN a int CHECK (a > 0)"), None);
        assert_eq!(change("DROP VIEW v"), None);
    }
}
