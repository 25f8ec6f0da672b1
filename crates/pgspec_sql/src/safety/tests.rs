use super::*;

fn refused_in(sql: &str, database: &str) -> String {
    match assess_in(sql, Some(database)) {
        Safety::Refused(reason) => reason,
        other => panic!("{sql}: expected a refusal, got {other:?}"),
    }
}

fn refused(sql: &str) -> String {
    match assess(sql) {
        Safety::Refused(reason) => reason,
        other => panic!("{sql}: expected a refusal, got {other:?}"),
    }
}

fn privileged_op(sql: &str) -> (PrivilegedOp, Vec<String>) {
    match assess(sql) {
        Safety::Privileged { op, dropped } => (op, dropped),
        other => panic!("{sql}: expected a privileged operation, got {other:?}"),
    }
}

#[test]
fn copy_to_programs_and_files_is_refused_in_any_spelling() {
    refused("COPY t TO PROGRAM 'touch /tmp/x'");
    refused("copy (select 1) to program $$touch /tmp/x$$");
    refused("COPY t FROM '/etc/passwd'");
    refused("COPY t TO E'/tmp/\\x41'");
    assert_eq!(assess("COPY t FROM STDIN"), Safety::Document);
    assert_eq!(assess("COPY t TO STDOUT"), Safety::Document);
}

#[test]
fn server_functions_are_refused_wherever_they_are_called() {
    refused("SELECT pg_read_file('/etc/passwd')");
    refused("SELECT * FROM (SELECT lo_export(1, '/tmp/x')) s");
    refused("INSERT INTO t SELECT pg_catalog.pg_ls_dir('.')");
    refused("CREATE TABLE x AS SELECT pg_read_file('/etc/passwd')");
    refused("SELECT net.http_post('http://x')");
    // A definition does not run what it names; the role's rights decide when it runs.
    assert_eq!(
        assess("CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('x') $$"),
        Safety::Document
    );
}

#[test]
fn server_configuration_and_other_databases_are_refused() {
    refused("ALTER SYSTEM SET fsync = off");
    refused("LOAD 'auto_explain'");
    refused("DROP DATABASE other");
    refused("ALTER DATABASE other RENAME TO x");
    refused("ALTER DATABASE other OWNER TO me");
    refused("COMMENT ON DATABASE mine IS 'pgspec up: document 0'");
    assert_eq!(assess("COMMENT ON TABLE t IS 'x'"), Safety::Document);
    refused("ALTER DATABASE mine SET default_transaction_read_only = on");
    assert_eq!(
        assess_in("ALTER DATABASE mine SET timezone = 'UTC'", Some("mine")),
        Safety::Document
    );
    refused_in("ALTER DATABASE postgres SET search_path = evil", "mine");
}

#[test]
fn unicode_escaped_predefined_roles_are_refused() {
    let reason = refused(r#"GRANT U&"\0070g_execute_server_program" TO pgspec_apply"#);
    assert!(reason.contains("pg_execute_server_program"), "{reason}");
    refused("GRANT pg_read_server_files TO current_user WITH ADMIN OPTION");
    refused("CREATE ROLE x IN ROLE pg_write_server_files");
    refused("CREATE ROLE pg_mine");
}

#[test]
fn current_user_all_and_public_are_refused() {
    refused("ALTER ROLE current_user NOLOGIN");
    refused("ALTER USER CURRENT_ROLE SUPERUSER");
    refused("ALTER ROLE session_user SET search_path = evil");
    refused("ALTER ROLE ALL SET default_transaction_read_only = on");
    refused("ALTER ROLE app SET session_preload_libraries = 'x'");
}

#[test]
fn superuser_attributes_are_left_out_and_reported() {
    let (op, dropped) = privileged_op("CREATE ROLE admin SUPERUSER BYPASSRLS LOGIN PASSWORD 'x'");
    assert_eq!(
        dropped,
        vec!["SUPERUSER".to_string(), "BYPASSRLS".to_string()]
    );
    let sql = op.to_sql("db");
    assert_eq!(
            sql,
            "CREATE ROLE admin NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS LOGIN PASSWORD 'x'"
        );
    let (op, _) = op_of("CREATE USER u");
    assert!(op.to_sql("db").contains(" LOGIN"));
    let (op, dropped) = op_of("ALTER ROLE app CREATEROLE CONNECTION LIMIT 3");
    assert_eq!(dropped, vec!["CREATEROLE".to_string()]);
    assert_eq!(op.to_sql("db"), "ALTER ROLE app CONNECTION LIMIT 3");
    assert_eq!(op.roles_from_run(), vec!["app"]);
}

fn op_of(sql: &str) -> (PrivilegedOp, Vec<String>) {
    privileged_op(sql)
}

#[test]
fn names_are_rebuilt_quoted_never_copied() {
    let (op, _) = privileged_op("CREATE ROLE \"a\"\"; DROP ROLE postgres; --\"");
    assert_eq!(
            op.to_sql("db"),
            "CREATE ROLE \"a\"\"; DROP ROLE postgres; --\" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOLOGIN"
        );
    let (op, _) =
        privileged_op("ALTER ROLE app IN DATABASE whatever SET search_path TO app, public");
    assert_eq!(
        op.to_sql("scratch"),
        "ALTER ROLE app IN DATABASE scratch SET search_path TO 'app', 'public'"
    );
}

#[test]
fn memberships_name_every_role_they_touch() {
    let (op, _) = privileged_op("GRANT reader, writer TO app WITH ADMIN OPTION");
    assert_eq!(op.roles_from_run(), vec!["reader", "writer", "app"]);
    assert_eq!(
        op.to_sql("db"),
        "GRANT reader, writer TO app WITH ADMIN OPTION"
    );
    let (op, _) = privileged_op("REVOKE reader FROM app");
    assert_eq!(op.to_sql("db"), "REVOKE reader FROM app");
    let (op, _) = privileged_op("DROP ROLE IF EXISTS a, b");
    assert_eq!(op.to_sql("db"), "DROP ROLE IF EXISTS a, b");
    let (op, _) = privileged_op("ALTER ROLE a RENAME TO b");
    assert_eq!(op.roles_from_run(), vec!["a"]);
    assert_eq!(op.created_role(), Some("b"));
}

#[test]
fn extensions_are_rebuilt_and_risky_ones_refused() {
    let (op, _) =
        privileged_op("create extension if not exists \"pg_cron\" with schema cron cascade");
    assert_eq!(
        op.to_sql("db"),
        "CREATE EXTENSION IF NOT EXISTS pg_cron SCHEMA cron CASCADE"
    );
    refused("CREATE EXTENSION plpython3u");
    refused("CREATE EXTENSION file_fdw");
    refused("CREATE LANGUAGE plperlu");
}

#[test]
fn several_statements_in_one_text_are_never_privileged() {
    refused("CREATE ROLE a; GRANT pg_read_server_files TO a");
    refused("SELECT 1; COPY t TO PROGRAM 'x'");
    assert_eq!(assess("SELECT 1; SELECT 2"), Safety::Document);
}

#[test]
fn ordinary_statements_run_as_the_document() {
    for sql in [
        "CREATE TABLE t (id int)",
        "DO $$ BEGIN EXECUTE 'COPY t TO PROGRAM ''x'''; END $$",
        "GRANT SELECT ON t TO app",
        "SET ROLE app",
        "not sql at all",
    ] {
        assert_eq!(assess(sql), Safety::Document, "{sql}");
    }
    assert_eq!(assess("BEGIN"), Safety::TransactionControl);
    assert_eq!(assess("COMMIT"), Safety::TransactionControl);
}
