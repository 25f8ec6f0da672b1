use super::*;

fn err(code: &str, message: &str) -> PgDetails {
    PgDetails {
        sqlstate: code.into(),
        message: message.into(),
        ..PgDetails::default()
    }
}

#[test]
fn a_role_the_document_cannot_create_is_explained_as_a_role() {
    let (_, s) = super::super::rewrites::tests::stmt(
        "DO $$ BEGIN CREATE ROLE app LOGIN PASSWORD 'x'; END $$",
    );
    let v = categorize(&s, &err("42501", "permission denied to create role"));
    assert_eq!(v.category, Category::Permission);
    assert!(v.help.contains("roles are shared"), "{}", v.help);
    let v = categorize(&s, &err("42501", "permission denied for schema x"));
    assert!(v.help.contains("unprivileged role"), "{}", v.help);
}

#[test]
fn a_serial_type_outside_a_column_definition_is_explained() {
    let (_, s) =
        super::super::rewrites::tests::stmt("ALTER TABLE rooms ALTER COLUMN floor TYPE bigserial");
    let v = categorize(&s, &err("42704", "type \"bigserial\" does not exist"));
    assert_eq!(v.category, Category::UndefinedObject);
    assert!(v.help.contains("write `bigint` here"), "{}", v.help);
    let v = categorize(&s, &err("42704", "type \"serials\" does not exist"));
    assert_eq!(v.help, "no statement of the document creates this object");
}

#[test]
fn inline_index_is_found_but_not_primary_key_or_columns_named_like_keys() {
    let t = "CREATE TABLE s (\n  id int,\n  key_name text,\n  INDEX idx_s (id DESC)\n)";
    assert_eq!(inline_index_offset(t), t.find("INDEX"));
    let t = "CREATE TABLE s (\n  id int, -- 세션\n  -- 인덱스\n  INDEX idx_s (id DESC)\n)";
    assert_eq!(inline_index_offset(t), t.find("INDEX"));
    assert_eq!(
        inline_index_offset("CREATE TABLE s (id int, PRIMARY KEY (id))"),
        None
    );
    assert_eq!(
        inline_index_offset("CREATE TABLE s (id int, key text)"),
        None
    );
    assert_eq!(
        inline_index_offset("CREATE TABLE s (id int, key varchar(20))"),
        None
    );
    assert_eq!(
        inline_index_offset("CREATE TABLE s (id int, KEY k_id (id))"),
        Some(24)
    );
}

#[test]
fn missing_names_reads_quoted_and_function_names() {
    assert_eq!(
        missing_names(&err("42P01", "relation \"public.orders\" does not exist")),
        vec![(Some("public".into()), "orders".into())]
    );
    assert_eq!(
        missing_names(&err(
            "42883",
            "function cron.schedule(unknown, unknown, unknown) does not exist"
        )),
        vec![(Some("cron".into()), "schedule".into())]
    );
    assert!(missing_names(&err("42601", "syntax error at or near \"x\"")).is_empty());
}

#[test]
fn a_missing_extension_names_the_debian_package_that_installs_it() {
    let (_, s) = super::super::rewrites::tests::stmt("CREATE EXTENSION pg_repack");
    let v = categorize(
        &s,
        &err("58P01", "extension \"pg_repack\" is not available"),
    );
    assert_eq!(v.category, Category::MissingExtension);
    assert!(v.help.contains("`postgresql-15-repack`"), "{}", v.help);
    assert_eq!(debian_package("pg_partman"), "postgresql-15-partman");
    assert_eq!(
        debian_package("pg_stat_kcache"),
        "postgresql-15-pg_stat_kcache"
    );
}

#[test]
fn a_concurrent_first_refresh_of_an_empty_materialized_view_is_explained() {
    let (_, s) = super::super::rewrites::tests::stmt(
        "REFRESH MATERIALIZED VIEW CONCURRENTLY reporting.daily",
    );
    let v = categorize(
        &s,
        &err(
            "0A000",
            "CONCURRENTLY cannot be used when the materialized view is not populated",
        ),
    );
    assert!(v.help.contains("WITH NO DATA"), "{}", v.help);
}

#[test]
fn a_generated_column_that_reads_the_clock_is_explained_as_such() {
    let e = err("42P17", "generation expression is not immutable");
    for clock in [
        "EXTRACT(DAY FROM now() - created_at)",
        "CURRENT_DATE - created_at::date",
        "age(created_at)",
    ] {
        let (_, s) = super::super::rewrites::tests::stmt(&format!(
            "CREATE TABLE notes (created_at timestamptz, age_days int GENERATED ALWAYS AS ({clock}) STORED)"
        ));
        let v = categorize(&s, &e);
        assert_eq!(v.category, Category::GeneratedColumn);
        assert!(v.help.contains("reads the clock"), "{clock}: {}", v.help);
        assert!(decision(&v, &e).contains("reads the clock"), "{clock}");
    }
    // The time zone, not the clock: `date(timestamptz)`, and `age(a, b)` of two columns.
    for zone in ["date(created_at)", "age(created_at, created_at)"] {
        let (_, s) = super::super::rewrites::tests::stmt(&format!(
            "CREATE TABLE notes (created_at timestamptz, day date GENERATED ALWAYS AS ({zone}) STORED)"
        ));
        let v = categorize(&s, &e);
        assert!(v.help.contains("time zone"), "{zone}: {}", v.help);
        assert!(decision(&v, &e).contains("time zone"), "{zone}");
    }
}

#[test]
fn another_systems_upsert_is_explained_as_on_conflict() {
    for (sql, near) in [
        ("REPLACE INTO products (id, sku) VALUES (3, 'A-3');", "REPLACE"),
        (
            "INSERT INTO products (id, stock) VALUES (1, 5) ON DUPLICATE KEY UPDATE stock = VALUES(stock);",
            "DUPLICATE",
        ),
        ("INSERT OR REPLACE INTO products (id) VALUES (3);", "OR"),
    ] {
        let (_, s) = super::super::rewrites::tests::stmt(sql);
        let position = sql.find(near).expect("token") + 1;
        let e = PgDetails {
            position: Some(u32::try_from(position).expect("small")),
            ..err("42601", &format!("syntax error at or near \"{near}\""))
        };
        let v = categorize(&s, &e);
        assert!(v.help.contains("ON CONFLICT"), "{sql}: {}", v.help);
    }
}

#[test]
fn a_missing_extension_is_named_as_sql_quotes_it() {
    let (_, s) = super::super::rewrites::tests::stmt(
        "CREATE TABLE m (id uuid PRIMARY KEY DEFAULT uuid_generate_v4())",
    );
    let v = categorize(
        &s,
        &err("42883", "function uuid_generate_v4() does not exist"),
    );
    assert_eq!(v.category, Category::MissingExtension);
    assert!(
        v.help
            .contains("`CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";`"),
        "{}",
        v.help
    );
}

#[test]
fn a_generated_search_vector_without_its_configuration_is_explained() {
    let e = err("42P17", "generation expression is not immutable");
    let (_, s) = super::super::rewrites::tests::stmt(
        "CREATE TABLE a (title text, search tsvector GENERATED ALWAYS AS (to_tsvector(title)) STORED)",
    );
    let v = categorize(&s, &e);
    assert!(v.help.contains("default_text_search_config"), "{}", v.help);
    let (_, s) = super::super::rewrites::tests::stmt(
        "CREATE TABLE a (title text, search tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED)",
    );
    assert!(!categorize(&s, &e)
        .help
        .contains("default_text_search_config"));
    let v = categorize(&s, &err("42P18", "cannot determine type of empty array"));
    assert!(v.help.contains("'{}'"), "{}", v.help);
}

#[test]
fn mysqls_column_changes_are_explained_as_postgresqls() {
    for (sql, near) in [
        (
            "ALTER TABLE posts MODIFY COLUMN title varchar(300) NOT NULL;",
            "MODIFY",
        ),
        ("ALTER TABLE posts CHANGE body content text;", "CHANGE"),
    ] {
        let (_, s) = super::super::rewrites::tests::stmt(sql);
        let position = sql.find(near).expect("token") + 1;
        let e = PgDetails {
            position: Some(u32::try_from(position).expect("small")),
            ..err("42601", &format!("syntax error at or near \"{near}\""))
        };
        let v = categorize(&s, &e);
        assert!(v.help.contains("ALTER COLUMN"), "{sql}: {}", v.help);
    }
}
