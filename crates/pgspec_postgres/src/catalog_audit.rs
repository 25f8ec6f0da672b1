//! pgspec's catalog SQL names the schema of every relation and function it reads or calls
//! (`pg_catalog.pg_class`, `pg_catalog.format_type(…)`), so no object a document created can
//! stand in for them, whatever the connection's search_path. Checked on the parse tree.

#[cfg(test)]
mod tests {
    /// Every SQL file of pgspec's own that runs on a privileged connection.
    const FILES: &[(&str, &str)] = &[
        (
            "drift_columns.sql",
            include_str!("catalog/drift_columns.sql"),
        ),
        (
            "drift_foreign_keys.sql",
            include_str!("catalog/drift_foreign_keys.sql"),
        ),
        ("drift_keys.sql", include_str!("catalog/drift_keys.sql")),
        ("lint_columns.sql", include_str!("catalog/lint_columns.sql")),
        (
            "lint_constraints.sql",
            include_str!("catalog/lint_constraints.sql"),
        ),
        (
            "lint_functions.sql",
            include_str!("catalog/lint_functions.sql"),
        ),
        ("lint_grants.sql", include_str!("catalog/lint_grants.sql")),
        ("lint_indexes.sql", include_str!("catalog/lint_indexes.sql")),
        (
            "lint_partitions.sql",
            include_str!("catalog/lint_partitions.sql"),
        ),
        (
            "lint_policies.sql",
            include_str!("catalog/lint_policies.sql"),
        ),
        (
            "lint_triggers.sql",
            include_str!("catalog/lint_triggers.sql"),
        ),
        (
            "object_counts.sql",
            include_str!("catalog/object_counts.sql"),
        ),
        (
            "roles_granted_to.sql",
            include_str!("catalog/roles_granted_to.sql"),
        ),
        (
            "seed/catalog.sql",
            include_str!("../../pgspec_seed/src/catalog.sql"),
        ),
        (
            "seed/constraints.sql",
            include_str!("../../pgspec_seed/src/constraints.sql"),
        ),
        (
            "provision/partitions.sql",
            include_str!("../../pgspec_provision/src/partitions.sql"),
        ),
    ];

    /// Relations and functions `sql` names without a schema (CTE names aside).
    pub(super) fn unqualified(sql: &str) -> Vec<String> {
        let parsed = pg_query::parse(sql, 0).unwrap_or_else(|e| panic!("parses: {e}\n{sql}"));
        let ctes = &parsed.cte_names;
        let mut found: Vec<String> = parsed
            .tables()
            .into_iter()
            .filter(|t| !t.contains('.') && !ctes.contains(t))
            .map(|t| format!("relation {t}"))
            .chain(
                parsed
                    .functions()
                    .into_iter()
                    .filter(|f| !f.contains('.'))
                    .map(|f| format!("function {f}")),
            )
            .collect();
        found.sort();
        found
    }

    #[test]
    fn catalog_sql_names_the_schema_of_every_relation_and_function() {
        let mut problems = Vec::new();
        for (file, sql) in FILES {
            let names = unqualified(sql);
            if !names.is_empty() {
                problems.push(format!("{file}: {}", names.join(", ")));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_audit_sees_unqualified_names() {
        assert_eq!(
            unqualified("SELECT format_type(a.atttypid, NULL) FROM pg_attribute a"),
            vec!["function format_type", "relation pg_attribute"]
        );
        assert!(unqualified(
            "WITH x AS (SELECT 1) SELECT pg_catalog.count(*) FROM x, pg_catalog.pg_class"
        )
        .is_empty());
    }
}
