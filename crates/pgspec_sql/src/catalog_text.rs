//! Reading pgspec's own catalog SQL (not a document's): which relations and functions a query
//! names without a schema. The postgres stage's audit uses it to hold every catalog query to
//! `pg_catalog.`-qualified names, so nothing a document created can stand in for them.

/// Relations (`relation x`) and functions (`function f`) that `sql` names without a schema,
/// CTE names aside, sorted; an error when `sql` does not parse.
pub fn unqualified_names(sql: &str) -> Result<Vec<String>, String> {
    let parsed = std::panic::catch_unwind(|| pg_query::parse(sql, 0))
        .map_err(|_| "the parser panicked".to_owned())?
        .map_err(|e| e.to_string())?;
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
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::unqualified_names;

    #[test]
    fn unqualified_relations_and_functions_are_named() {
        assert_eq!(
            unqualified_names("SELECT format_type(a.atttypid, NULL) FROM pg_attribute a"),
            Ok(vec![
                "function format_type".to_owned(),
                "relation pg_attribute".to_owned()
            ])
        );
        assert_eq!(
            unqualified_names(
                "WITH x AS (SELECT 1) SELECT pg_catalog.count(*) FROM x, pg_catalog.pg_class"
            ),
            Ok(Vec::new())
        );
        assert!(unqualified_names("SELEC nothing").is_err());
    }
}
