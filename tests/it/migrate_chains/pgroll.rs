use super::yaml::Yaml;
use super::{quote, Backfill};

fn text(y: &Yaml, key: &str) -> Option<String> {
    y.get(key).and_then(Yaml::text)
}

fn need(y: &Yaml, key: &str) -> Result<String, String> {
    text(y, key).ok_or_else(|| format!("no `{key}`"))
}

fn names(y: Option<&Yaml>) -> Vec<String> {
    y.map(|l| l.items().iter().filter_map(Yaml::text).collect())
        .unwrap_or_default()
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column of `create_table` or `add_column`: its definition and comment. pgroll's
/// columns are NOT NULL unless `nullable: true`.
fn column(c: &Yaml, inline_pk: bool) -> Result<(String, Option<String>), String> {
    let name = need(c, "name")?;
    let mut def = format!("{} {}", quote(&name), need(c, "type")?);
    if let Some(identity) = c.get("generated").and_then(|g| g.get("identity")) {
        let kind = text(identity, "user_specified_values").unwrap_or_else(|| "ALWAYS".into());
        def.push_str(&format!(" GENERATED {kind} AS IDENTITY"));
    }
    if let Some(d) = text(c, "default") {
        def.push_str(&format!(" DEFAULT {d}"));
    }
    let pk = c
        .get("pk")
        .and_then(Yaml::text)
        .is_some_and(|v| v == "true");
    if pk && inline_pk {
        def.push_str(" PRIMARY KEY");
    }
    let nullable = text(c, "nullable").is_some_and(|v| v == "true");
    if !nullable && !pk {
        def.push_str(" NOT NULL");
    }
    if text(c, "unique").is_some_and(|v| v == "true") {
        def.push_str(" UNIQUE");
    }
    if let Some(check) = c.get("check") {
        def.push_str(&format!(
            " CONSTRAINT {} CHECK ({})",
            quote(&need(check, "name")?),
            need(check, "constraint")?
        ));
    }
    if let Some(r) = c.get("references") {
        def.push_str(&format!(
            " CONSTRAINT {} REFERENCES {} ({})",
            quote(&need(r, "name")?),
            quote(&need(r, "table")?),
            quote(&need(r, "column")?)
        ));
        if let Some(action) = text(r, "on_delete") {
            def.push_str(&format!(" ON DELETE {action}"));
        }
    }
    Ok((def, text(c, "comment")))
}

fn comment_on_column(table: &str, column: &str, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {};",
        quote(table),
        quote(column),
        comment.map_or("NULL".to_string(), |c| format!(
            "'{}'",
            c.replace('\'', "''")
        ))
    )
}

/// A table constraint of `create_table`'s `constraints` or of `create_constraint`.
fn constraint(c: &Yaml) -> Result<String, String> {
    let name = quote(&need(c, "name")?);
    let columns = quoted_list(&names(c.get("columns")));
    let body = match need(c, "type")?.as_str() {
        "primary_key" => format!("PRIMARY KEY ({columns})"),
        "unique" => {
            let include = names(
                c.get("index_parameters")
                    .and_then(|p| p.get("include_columns")),
            );
            if include.is_empty() {
                format!("UNIQUE ({columns})")
            } else {
                format!("UNIQUE ({columns}) INCLUDE ({})", quoted_list(&include))
            }
        }
        "check" => format!("CHECK ({})", need(c, "check")?),
        "foreign_key" => {
            let r = c.get("references").ok_or("no `references`")?;
            let mut s = format!(
                "FOREIGN KEY ({columns}) REFERENCES {} ({})",
                quote(&need(r, "table")?),
                quoted_list(&names(r.get("columns")))
            );
            if let Some(m) = text(r, "match_type") {
                s.push_str(&format!(" MATCH {m}"));
            }
            for (key, clause) in [("on_delete", "ON DELETE"), ("on_update", "ON UPDATE")] {
                if let Some(a) = text(r, key) {
                    s.push_str(&format!(" {clause} {a}"));
                }
            }
            s
        }
        "exclude" => {
            let e = c.get("exclude").ok_or("no `exclude`")?;
            let mut s = format!(
                "EXCLUDE USING {} ({})",
                need(e, "index_method")?,
                need(e, "elements")?
            );
            if let Some(p) = text(e, "predicate") {
                s.push_str(&format!(" WHERE ({p})"));
            }
            s
        }
        other => return Err(format!("constraint type {other}")),
    };
    Ok(format!("CONSTRAINT {name} {body}"))
}

/// One example (a list of operations) as SQL statements, with the backfills its `up`
/// expressions give for rows already there.
pub(super) fn revision(example: &Yaml) -> Result<(String, Vec<Backfill>), String> {
    let mut sql = Vec::new();
    let mut backfills = Vec::new();
    let operations = example.get("operations").ok_or("no operations")?;
    for op in operations.items() {
        let (kind, o) = op.entries().into_iter().next().ok_or("empty operation")?;
        operation(kind, o, &mut sql, &mut backfills)?;
    }
    Ok((sql.join("\n"), backfills))
}

fn operation(
    kind: &str,
    o: &Yaml,
    sql: &mut Vec<String>,
    backfills: &mut Vec<Backfill>,
) -> Result<(), String> {
    let table = || need(o, "table").map(|t| quote(&t));
    match kind {
        "create_table" => {
            let name = need(o, "name")?;
            let columns = o.get("columns").map(Yaml::items).unwrap_or_default();
            let pks: Vec<String> = columns
                .iter()
                .filter(|c| text(c, "pk").is_some_and(|v| v == "true"))
                .filter_map(|c| text(c, "name"))
                .collect();
            let mut parts = Vec::new();
            let mut comments = Vec::new();
            for c in &columns {
                let (def, comment) = column(c, pks.len() == 1)?;
                parts.push(def);
                if let Some(comment) = comment {
                    comments.push(comment_on_column(&name, &need(c, "name")?, Some(&comment)));
                }
            }
            if pks.len() > 1 {
                parts.push(format!("PRIMARY KEY ({})", quoted_list(&pks)));
            }
            for c in o.get("constraints").map(Yaml::items).unwrap_or_default() {
                parts.push(constraint(&c)?);
            }
            sql.push(format!(
                "CREATE TABLE {} (\n    {}\n);",
                quote(&name),
                parts.join(",\n    ")
            ));
            if let Some(comment) = text(o, "comment") {
                sql.push(format!(
                    "COMMENT ON TABLE {} IS '{}';",
                    quote(&name),
                    comment.replace('\'', "''")
                ));
            }
            sql.extend(comments);
        }
        "add_column" => {
            let t = need(o, "table")?;
            let c = o.get("column").ok_or("no `column`")?;
            let (def, comment) = column(c, true)?;
            sql.push(format!("ALTER TABLE {} ADD COLUMN {def};", quote(&t)));
            let name = need(c, "name")?;
            if let Some(comment) = comment {
                sql.push(comment_on_column(&t, &name, Some(&comment)));
            }
            let not_null = text(c, "nullable").is_none_or(|v| v != "true");
            if let (true, None, Some(up)) = (not_null, text(c, "default"), text(o, "up")) {
                backfills.push(Backfill::NewColumn {
                    column: name,
                    expression: up,
                });
            }
        }
        "drop_column" => sql.push(format!(
            "ALTER TABLE {} DROP COLUMN {};",
            table()?,
            quote(&need(o, "column")?)
        )),
        "drop_table" => sql.push(format!("DROP TABLE {};", quote(&need(o, "name")?))),
        "rename_table" => sql.push(format!(
            "ALTER TABLE {} RENAME TO {};",
            quote(&need(o, "from")?),
            quote(&need(o, "to")?)
        )),
        "rename_column" | "rename_constraint" => sql.push(format!(
            "ALTER TABLE {} RENAME {} {} TO {};",
            table()?,
            if kind == "rename_column" {
                "COLUMN"
            } else {
                "CONSTRAINT"
            },
            quote(&need(o, "from")?),
            quote(&need(o, "to")?)
        )),
        "sql" => {
            let up = need(o, "up")?;
            sql.push(format!("{};", up.trim().trim_end_matches(';')));
        }
        "create_index" => {
            let mut s = String::from("CREATE ");
            if text(o, "unique").is_some_and(|v| v == "true") {
                s.push_str("UNIQUE ");
            }
            s.push_str(&format!(
                "INDEX {} ON {}",
                quote(&need(o, "name")?),
                table()?
            ));
            if let Some(m) = text(o, "method") {
                s.push_str(&format!(" USING {m}"));
            }
            let columns: Vec<String> = o
                .get("columns")
                .map(Yaml::items)
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    let mut part = quote(&text(c, "column").unwrap_or_default());
                    if let Some(opclass) = c.get("opclass").and_then(|x| text(x, "name")) {
                        part.push_str(&format!(" {opclass}"));
                    }
                    part
                })
                .collect();
            s.push_str(&format!(" ({})", columns.join(", ")));
            if let Some(p) = text(o, "storage_parameters") {
                s.push_str(&format!(" WITH ({p})"));
            }
            if let Some(p) = text(o, "predicate") {
                s.push_str(&format!(" WHERE {p}"));
            }
            sql.push(format!("{s};"));
        }
        "drop_index" => sql.push(format!("DROP INDEX {};", quote(&need(o, "name")?))),
        "drop_constraint" | "drop_multicolumn_constraint" => sql.push(format!(
            "ALTER TABLE {} DROP CONSTRAINT {};",
            table()?,
            quote(&need(o, "name")?)
        )),
        "create_constraint" => {
            sql.push(format!("ALTER TABLE {} ADD {};", table()?, constraint(o)?));
        }
        "set_replica_identity" => {
            let identity = o.get("identity").ok_or("no `identity`")?;
            let how = match need(identity, "type")?.as_str() {
                "index" => format!("USING INDEX {}", quote(&need(identity, "index")?)),
                other => other.to_uppercase(),
            };
            sql.push(format!("ALTER TABLE {} REPLICA IDENTITY {how};", table()?));
        }
        "alter_column" => alter_column(o, sql, backfills)?,
        other => return Err(format!("operation {other}")),
    }
    Ok(())
}

fn alter_column(
    o: &Yaml,
    sql: &mut Vec<String>,
    backfills: &mut Vec<Backfill>,
) -> Result<(), String> {
    let t = need(o, "table")?;
    let c = need(o, "column")?;
    let alter = format!("ALTER TABLE {} ", quote(&t));
    let mut constrains = false;
    if let Some(ty) = text(o, "type") {
        sql.push(format!(
            "{alter}ALTER COLUMN {} TYPE {ty} USING {}::{ty};",
            quote(&c),
            quote(&c)
        ));
    }
    if let Some(d) = o.get("default") {
        sql.push(match d.text() {
            Some(d) => format!("{alter}ALTER COLUMN {} SET DEFAULT {d};", quote(&c)),
            None => format!("{alter}ALTER COLUMN {} DROP DEFAULT;", quote(&c)),
        });
    }
    if let Some(n) = text(o, "nullable") {
        let set = if n == "true" { "DROP" } else { "SET" };
        constrains |= n != "true";
        sql.push(format!("{alter}ALTER COLUMN {} {set} NOT NULL;", quote(&c)));
    }
    if let Some(u) = o.get("unique") {
        constrains = true;
        sql.push(format!(
            "{alter}ADD CONSTRAINT {} UNIQUE ({});",
            quote(&need(u, "name")?),
            quote(&c)
        ));
    }
    if let Some(k) = o.get("check") {
        constrains = true;
        sql.push(format!(
            "{alter}ADD CONSTRAINT {} CHECK ({});",
            quote(&need(k, "name")?),
            need(k, "constraint")?
        ));
    }
    if let Some(r) = o.get("references") {
        constrains = true;
        let mut s = format!(
            "{alter}ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
            quote(&need(r, "name")?),
            quote(&c),
            quote(&need(r, "table")?),
            quote(&need(r, "column")?)
        );
        if let Some(a) = text(r, "on_delete") {
            s.push_str(&format!(" ON DELETE {a}"));
        }
        sql.push(format!("{s};"));
    }
    if let Some(comment) = o.get("comment") {
        sql.push(comment_on_column(&t, &c, comment.text().as_deref()));
    }
    if let (true, Some(up)) = (constrains, text(o, "up")) {
        backfills.push(Backfill::Before {
            table: t,
            column: c,
            expression: up,
        });
    }
    Ok(())
}
