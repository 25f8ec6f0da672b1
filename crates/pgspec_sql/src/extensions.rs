//! What the extensions pgspec knows provide (names of their types, functions, operator classes
//! and schemas), and which of them cannot be installed on this machine: one table for the
//! apply's verdicts (a statement that failed for a missing name) and for `verify` (a claim
//! that cannot run without one).

/// `(needle in the error message or statement, extension that provides it)`.
/// Needles are matched against the lowercased names the error reports.
pub const EXTENSION_PROVIDERS: &[(&str, &str)] = &[
    ("cron", "pg_cron"),
    ("pg_stat_statements", "pg_stat_statements"),
    ("pg_stat_statements_reset", "pg_stat_statements"),
    ("uuid_generate_v4", "uuid-ossp"),
    ("uuid_generate_v1", "uuid-ossp"),
    ("gen_salt", "pgcrypto"),
    ("crypt", "pgcrypto"),
    ("pgp_sym_encrypt", "pgcrypto"),
    ("pgp_sym_decrypt", "pgcrypto"),
    ("pgp_pub_encrypt", "pgcrypto"),
    ("pgp_pub_decrypt", "pgcrypto"),
    ("digest", "pgcrypto"),
    ("hmac", "pgcrypto"),
    ("encrypt", "pgcrypto"),
    ("decrypt", "pgcrypto"),
    ("gen_random_bytes", "pgcrypto"),
    ("armor", "pgcrypto"),
    ("citext", "citext"),
    ("hstore", "hstore"),
    ("ltree", "ltree"),
    ("vector", "vector"),
    ("halfvec", "vector"),
    ("sparsevec", "vector"),
    ("hnsw", "vector"),
    ("ivfflat", "vector"),
    ("gin_trgm_ops", "pg_trgm"),
    ("gist_trgm_ops", "pg_trgm"),
    ("similarity", "pg_trgm"),
    ("word_similarity", "pg_trgm"),
    ("partman", "pg_partman"),
    ("create_parent", "pg_partman"),
    ("run_maintenance", "pg_partman"),
    ("hypopg", "hypopg"),
    ("hypopg_create_index", "hypopg"),
    ("plpgsql_check_function", "plpgsql_check"),
    ("earth", "earthdistance"),
    ("ll_to_earth", "earthdistance"),
    ("unaccent", "unaccent"),
    ("geometry", "postgis"),
    ("geography", "postgis"),
    ("dblink", "dblink"),
    ("create_hypertable", "timescaledb"),
    ("add_retention_policy", "timescaledb"),
    ("remove_retention_policy", "timescaledb"),
    ("add_compression_policy", "timescaledb"),
    ("remove_compression_policy", "timescaledb"),
    ("add_continuous_aggregate_policy", "timescaledb"),
    ("add_reorder_policy", "timescaledb"),
    ("set_chunk_time_interval", "timescaledb"),
    ("show_chunks", "timescaledb"),
    ("drop_chunks", "timescaledb"),
    ("time_bucket", "timescaledb"),
    ("create_distributed_table", "citus"),
    ("create_reference_table", "citus"),
    ("create_distributed_function", "citus"),
    ("undistribute_table", "citus"),
    ("alter_distributed_table", "citus"),
    ("citus_add_node", "citus"),
    ("master_add_node", "citus"),
];

/// Extensions that no Debian package provides here; say so instead of suggesting CREATE EXTENSION.
pub const UNAVAILABLE_EXTENSION_NOTES: &[(&str, &str)] = &[
    (
        "vector",
        "pgvector is not installable on this machine; store embeddings as `real[]` (or `bytea`) until it is",
    ),
    (
        "postgis",
        "PostGIS is not installed; `apt-get install postgresql-15-postgis-3` provides it",
    ),
    (
        "citus",
        "Citus is not installable here; distributed tables behave as plain tables",
    ),
    (
        "timescaledb",
        "TimescaleDB is not installable here; a hypertable behaves as a plain table (PARTITION BY RANGE on its time column is PostgreSQL's own way to split it by time)",
    ),
];

/// The extension that provides `name` (lowercase, unqualified) or the schema `schema`.
pub fn providing(schema: Option<&str>, name: &str) -> Option<&'static str> {
    EXTENSION_PROVIDERS
        .iter()
        .find(|(needle, _)| schema == Some(*needle) || name == *needle)
        .map(|(_, extension)| *extension)
}

/// Why `extension` is missing, when it is one that cannot be installed on this machine.
pub fn unavailable(extension: &str) -> Option<&'static str> {
    UNAVAILABLE_EXTENSION_NOTES
        .iter()
        .find(|(e, _)| *e == extension)
        .map(|(_, note)| *note)
}

/// The name a "does not exist" error of the server is about: `function f(integer) does not
/// exist`, `type "vector" does not exist`, `type vector does not exist`, with its schema
/// when written. None for other messages.
pub fn missing_name(message: &str) -> Option<(Option<String>, String)> {
    let rest = message.strip_suffix(" does not exist")?;
    let name = if let Some(signature) = rest
        .strip_prefix("function ")
        .or_else(|| rest.strip_prefix("procedure "))
    {
        signature.split('(').next()?
    } else {
        let (_, quoted) = rest.split_once(' ')?;
        quoted
    };
    let name = name.trim().trim_matches('"');
    let (schema, name) = match name.rsplit_once('.') {
        Some((schema, name)) => (Some(schema.trim_matches('"').to_lowercase()), name),
        None => (None, name),
    };
    let name = name.trim_matches('"').to_lowercase();
    (!name.is_empty()).then_some((schema, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_name_is_read_from_the_server_message() {
        assert_eq!(
            missing_name("function create_hypertable(unknown, unknown) does not exist"),
            Some((None, "create_hypertable".to_string()))
        );
        assert_eq!(
            missing_name("type \"vector\" does not exist"),
            Some((None, "vector".to_string()))
        );
        assert_eq!(
            missing_name(
                "function public.time_bucket(unknown, timestamp with time zone) does not exist"
            ),
            Some((Some("public".to_string()), "time_bucket".to_string()))
        );
        assert_eq!(missing_name("syntax error at or near \"x\""), None);
    }

    #[test]
    fn names_lead_to_their_extension_and_why_it_is_missing() {
        assert_eq!(providing(None, "create_distributed_table"), Some("citus"));
        assert_eq!(providing(Some("cron"), "schedule"), Some("pg_cron"));
        assert_eq!(providing(None, "no_such_function"), None);
        assert!(unavailable("timescaledb").is_some_and(|n| n.contains("TimescaleDB")));
        assert_eq!(unavailable("pg_trgm"), None);
    }
}
