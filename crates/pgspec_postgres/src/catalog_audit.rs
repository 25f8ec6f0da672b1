//! pgspec's catalog SQL names the schema of every relation and function it reads or calls
//! (`pg_catalog.pg_class`, `pg_catalog.format_type(…)`), so no object a document created can
//! stand in for them, whatever the connection's search_path. Checked on the parse tree (by
//! pgspec_sql, the one owner of the parser).

#[cfg(test)]
mod tests {
    use crate::sql::catalog_text::unqualified_names;

    /// Every SQL file of pgspec's own that runs on a privileged connection.
    const FILES: &[(&str, &str)] = &[
        ("schemas.sql", include_str!("catalog/queries/schemas.sql")),
        (
            "extensions.sql",
            include_str!("catalog/queries/extensions.sql"),
        ),
        ("types.sql", include_str!("catalog/queries/types.sql")),
        (
            "unmodelled.sql",
            include_str!("catalog/queries/unmodelled.sql"),
        ),
        (
            "collations.sql",
            include_str!("catalog/queries/collations.sql"),
        ),
        (
            "column_types.sql",
            include_str!("catalog/queries/column_types.sql"),
        ),
        (
            "sequences.sql",
            include_str!("catalog/queries/sequences.sql"),
        ),
        ("tables.sql", include_str!("catalog/queries/tables.sql")),
        ("views.sql", include_str!("catalog/queries/views.sql")),
        ("columns.sql", include_str!("catalog/queries/columns.sql")),
        (
            "constraints.sql",
            include_str!("catalog/queries/constraints.sql"),
        ),
        ("indexes.sql", include_str!("catalog/queries/indexes.sql")),
        (
            "functions.sql",
            include_str!("catalog/queries/functions.sql"),
        ),
        (
            "routine_names.sql",
            include_str!("catalog/queries/routine_names.sql"),
        ),
        ("triggers.sql", include_str!("catalog/queries/triggers.sql")),
        ("policies.sql", include_str!("catalog/queries/policies.sql")),
        (
            "privileges.sql",
            include_str!("catalog/queries/privileges.sql"),
        ),
        (
            "object_counts.sql",
            include_str!("catalog/queries/object_counts.sql"),
        ),
        (
            "roles_granted_to.sql",
            include_str!("catalog/queries/roles_granted_to.sql"),
        ),
        (
            "partitions.sql",
            include_str!("catalog/queries/partitions.sql"),
        ),
    ];

    /// Rust files whose string literals starting with `SELECT` are pgspec's catalog SQL.
    const RUST_FILES: &[(&str, &str)] = &[
        ("catalog/mod.rs", include_str!("catalog/mod.rs")),
        ("catalog/probes.rs", include_str!("catalog/probes.rs")),
        ("catalog/server.rs", include_str!("catalog/server.rs")),
        ("plpgsql_check.rs", include_str!("plpgsql_check.rs")),
    ];

    /// The `"SELECT …"` literals of Rust source `text`, line continuations joined and
    /// `format!` placeholders replaced by a literal.
    fn select_literals(text: &str) -> Vec<String> {
        text.split("\"SELECT ")
            .skip(1)
            .map(|rest| {
                let body = rest.split_once("\",").map_or(rest, |(b, _)| b);
                let body = body.split_once("\")").map_or(body, |(b, _)| b);
                let mut sql = String::from("SELECT ");
                let mut lines = body.split('\n');
                if let Some(first) = lines.next() {
                    sql.push_str(first.trim_end_matches('\\'));
                }
                for line in lines {
                    sql.push(' ');
                    sql.push_str(line.trim().trim_end_matches('\\'));
                }
                let sql = sql.replace("'{}'", "'\u{1}'");
                let mut out = String::new();
                let mut in_placeholder = false;
                for c in sql.chars() {
                    match c {
                        '{' => in_placeholder = true,
                        '}' if in_placeholder => {
                            in_placeholder = false;
                            out.push_str("pgspec_placeholder");
                        }
                        _ if in_placeholder => {}
                        _ => out.push(c),
                    }
                }
                out.replace('\u{1}', "{}")
            })
            .collect()
    }

    #[test]
    fn inline_catalog_sql_names_the_schema_of_every_relation_and_function() {
        let mut problems = Vec::new();
        let mut seen = 0;
        for (file, text) in RUST_FILES {
            for sql in select_literals(text) {
                seen += 1;
                let names =
                    unqualified_names(&sql).unwrap_or_else(|e| panic!("{file}: {e}\n{sql}"));
                if !names.is_empty() {
                    problems.push(format!("{file}: {}: {sql}", names.join(", ")));
                }
            }
        }
        assert!(seen >= 15, "the audit sees the inline queries ({seen})");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Every `.sql` file under `catalog/queries/` is in [`FILES`] (a new query is audited).
    #[test]
    fn every_catalog_query_file_is_audited() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let queries = ["src/postgres/catalog/queries", "src/catalog/queries"]
            .iter()
            .map(|d| dir.join(d))
            .find(|d| d.is_dir())
            .expect("the catalog's queries directory");
        for entry in std::fs::read_dir(queries).expect("readable") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            assert!(
                FILES.iter().any(|(f, _)| *f == name),
                "{name} is not in the audit's list"
            );
        }
    }

    #[test]
    fn catalog_sql_names_the_schema_of_every_relation_and_function() {
        let mut problems = Vec::new();
        for (file, sql) in FILES {
            let names = unqualified_names(sql).unwrap_or_else(|e| panic!("{file} parses: {e}"));
            if !names.is_empty() {
                problems.push(format!("{file}: {}", names.join(", ")));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
