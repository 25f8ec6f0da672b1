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
        ("extensions.sql", include_str!("catalog/queries/extensions.sql")),
        ("types.sql", include_str!("catalog/queries/types.sql")),
        ("column_types.sql", include_str!("catalog/queries/column_types.sql")),
        ("sequences.sql", include_str!("catalog/queries/sequences.sql")),
        ("tables.sql", include_str!("catalog/queries/tables.sql")),
        ("views.sql", include_str!("catalog/queries/views.sql")),
        ("columns.sql", include_str!("catalog/queries/columns.sql")),
        ("constraints.sql", include_str!("catalog/queries/constraints.sql")),
        ("indexes.sql", include_str!("catalog/queries/indexes.sql")),
        ("functions.sql", include_str!("catalog/queries/functions.sql")),
        ("routine_names.sql", include_str!("catalog/queries/routine_names.sql")),
        ("triggers.sql", include_str!("catalog/queries/triggers.sql")),
        ("policies.sql", include_str!("catalog/queries/policies.sql")),
        ("privileges.sql", include_str!("catalog/queries/privileges.sql")),
        ("object_counts.sql", include_str!("catalog/queries/object_counts.sql")),
        ("roles_granted_to.sql", include_str!("catalog/queries/roles_granted_to.sql")),
        ("provision/partitions.sql", include_str!("../provision/partitions.sql")),
    ];

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
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
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
