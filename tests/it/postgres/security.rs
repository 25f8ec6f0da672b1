//! What a document cannot reach: pgspec's privileged connections, and users that could harm something else.

use super::*;

/// A document's trap for pgspec's catalog queries: a schema first on the database's
/// search_path with views named like catalogs, a function and an `=` operator for `oid`, all
/// recording every call in `evil.calls`.
pub(super) const SEARCH_PATH_TRAP: &[&str] = &[
    "CREATE SCHEMA evil",
    "CREATE TABLE evil.calls (what text)",
    "GRANT ALL ON evil.calls TO PUBLIC",
    "CREATE FUNCTION evil.spy(what text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS \
     $$ BEGIN INSERT INTO evil.calls VALUES (what); RETURN true; END $$",
    "CREATE VIEW evil.pg_class AS SELECT c.* FROM pg_catalog.pg_class c WHERE evil.spy('pg_class')",
    "CREATE VIEW evil.pg_namespace AS SELECT n.* FROM pg_catalog.pg_namespace n WHERE evil.spy('pg_namespace')",
    "CREATE VIEW evil.pg_roles AS SELECT r.* FROM pg_catalog.pg_roles r WHERE evil.spy('pg_roles')",
    "CREATE VIEW evil.pg_database AS SELECT d.* FROM pg_catalog.pg_database d WHERE evil.spy('pg_database')",
    "CREATE FUNCTION evil.format_type(oid, integer) RETURNS text LANGUAGE sql VOLATILE AS \
     $$ SELECT CASE WHEN evil.spy('format_type') THEN pg_catalog.format_type($1, $2) END $$",
    "CREATE FUNCTION evil.oideq(oid, oid) RETURNS boolean LANGUAGE sql VOLATILE AS \
     $$ SELECT evil.spy('=') AND pg_catalog.oideq($1, $2) $$",
    "CREATE OPERATOR evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = evil.oideq)",
    "CREATE TABLE public.t (id int PRIMARY KEY, v text)",
];

pub(super) fn trap_calls(server: &Server, database: &str) -> Vec<String> {
    let mut c = server.admin_client(database).expect("admin");
    c.query("SELECT what FROM evil.calls ORDER BY 1", &[])
        .expect("calls")
        .into_iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn a_documents_search_path_never_reaches_pgspecs_privileged_connections() {
    let server = url_server();
    let db = scratch(&server);
    let mut s = db.session().expect("session");
    for sql in SEARCH_PATH_TRAP {
        applied(s.apply(sql).expect("apply"));
    }
    applied(
        s.apply(&format!(
            "ALTER DATABASE \"{}\" SET search_path = evil, pg_catalog, public",
            db.name
        ))
        .expect("apply"),
    );
    drop(s);

    // The trap works on a connection that takes the database's settings: the document's
    // own role (and every client that does not pin search_path) walks into it.
    let mut app = crate::data_client(&server, &db.name);
    let row = app
        .query_one(
            "SELECT current_setting('search_path'), count(*) FROM pg_class WHERE oid = 'public.t'::regclass",
            &[],
        )
        .expect("app query");
    assert_eq!(row.get::<_, String>(0), "evil, pg_catalog, public");
    assert!(
        !trap_calls(&server, &db.name).is_empty(),
        "the trap is armed"
    );
    app.batch_execute("TRUNCATE evil.calls").expect("reset");

    // pgspec's privileged connections pin search_path in their startup options, which win
    // over database and role settings.
    let mut admin = server.admin_client(&db.name).expect("admin");
    let path: String = admin
        .query_one("SELECT current_setting('search_path')", &[])
        .expect("show")
        .get(0);
    assert_eq!(path, "pg_catalog,pg_temp");
    // Both kinds of connection are bounded from their first statement on, and the server
    // checks that pgspec is still there while it runs one.
    let bounds =
        "SELECT current_setting('statement_timeout') || ' ' || current_setting('lock_timeout') \
                  || ' ' || current_setting('client_connection_check_interval')";
    let admin_bounds: String = admin.query_one(bounds, &[]).expect("bounds").get(0);
    assert_eq!(admin_bounds, "1min 10s 1s");
    let app_bounds: String = app.query_one(bounds, &[]).expect("bounds").get(0);
    assert_eq!(app_bounds, "15s 10s 1s");
    let app_name: String = admin
        .query_one("SELECT current_setting('application_name')", &[])
        .expect("name")
        .get(0);
    assert_eq!(app_name, pgspec::postgres::application_name());

    // Every catalog query pgspec runs, on a fresh session of the trapped database.
    let mut s = db.session().expect("session");
    let files = [
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/schemas.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/extensions.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/types.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/column_types.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/sequences.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/tables.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/views.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/columns.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/constraints.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/indexes.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/functions.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/routine_names.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/triggers.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/policies.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/privileges.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/object_counts.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/roles_granted_to.sql"),
        include_str!("../../../crates/pgspec_postgres/src/catalog/queries/partitions.sql"),
    ];
    for sql in files {
        s.query_strings(sql)
            .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    }
    s.available_extensions().expect("extensions");
    s.installed_extensions().expect("extensions");
    let catalog = s.catalog().expect("the one catalog, on the session");
    assert!(
        catalog.tables.iter().any(|t| t.name == "t"),
        "the catalog is read correctly"
    );
    let catalog = pgspec::postgres::catalog::Catalog::load(&mut admin).expect("the one catalog");
    assert!(
        catalog.tables.iter().any(|t| t.name == "t"),
        "the catalog is read correctly"
    );
    assert_eq!(trap_calls(&server, &db.name), Vec::<String>::new());
}

#[test]
#[allow(clippy::print_stderr)] // says why it is skipped
pub(super) fn the_sandboxed_server_writes_nothing_outside_its_directory_and_has_no_network() {
    use pgspec::postgres::SandboxStatus;
    let cluster = shared_cluster();
    if let SandboxStatus::Inactive(why) = cluster.sandbox() {
        eprintln!("skipped: the sandbox is not available here: {why}");
        return;
    }
    let mut admin = url_server().admin_client("postgres").expect("admin");
    // As the cluster's superuser (pgspec's own test, not a document): a server-side file
    // write to /tmp lands in the sandbox's private /tmp, not in the real one.
    let canary = format!("/tmp/pgspec-canary-{}", std::process::id());
    let _ = admin.batch_execute(&format!("COPY (SELECT 1) TO '{canary}'"));
    assert!(
        !std::path::Path::new(&canary).exists(),
        "{canary} was created outside the sandbox"
    );
    // Everywhere else outside the cluster's directory the filesystem is read-only.
    let error = admin
        .batch_execute("COPY (SELECT 1) TO '/pgspec-canary'")
        .expect_err("/ is read-only");
    assert!(
        error
            .as_db_error()
            .is_some_and(|e| e.message().contains("Read-only file system")),
        "{error}"
    );
    // Inside its own directory the server writes as usual.
    let inside = cluster
        .data_dir
        .parent()
        .expect("base directory")
        .join("canary-inside");
    admin
        .batch_execute(&format!("COPY (SELECT 1) TO '{}'", inside.display()))
        .expect("the cluster's own directory is writable");
    assert!(inside.exists());
    let _ = std::fs::remove_file(&inside);
    // No network interface but loopback.
    let rows = admin
        .simple_query(
            "CREATE TEMP TABLE net (l text); COPY net FROM PROGRAM 'cat /proc/net/dev'; \
             SELECT pg_catalog.count(*)::text FROM net WHERE l LIKE '%:%' AND l NOT LIKE '%lo:%'",
        )
        .expect("read /proc/net/dev");
    let count = rows.iter().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    assert_eq!(count.as_deref(), Some("0"), "interfaces besides lo");
}

#[test]
fn with_a_url_the_document_never_runs_as_a_user_that_could_harm_something_else() {
    // May create roles and databases: pgspec makes a role for the run and drops it again.
    let creator = unique("own_creator");
    admin_strings(&format!("CREATE ROLE {creator} LOGIN CREATEDB CREATEROLE"));
    let db = ScratchDatabase::create(&url_server_as(&creator), "pgspec_test")
        .unwrap_or_else(|e| panic!("scratch as a role creator: {e}"));
    let owner = db.owner_role().to_string();
    assert_ne!(owner, creator);
    assert_eq!(db.app_identity, AppIdentity::Role(owner.clone()));
    let mut s = db.session().expect("session");
    let rows = s.query_strings("SELECT 1").expect("query");
    assert_eq!(rows.len(), 1);
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    drop(s);
    db.drop_now().expect("drop");
    assert!(!role_exists(&owner), "the run's role is dropped");

    // May create databases only, and owns a database of its own: refused.
    let holder = unique("own_holder");
    let holders_db = unique("own_holders_db");
    admin_strings(&format!("CREATE ROLE {holder} LOGIN CREATEDB"));
    admin_strings(&format!("CREATE DATABASE {holders_db} OWNER {holder}"));
    let error = ScratchDatabase::create(&url_server_as(&holder), "pgspec_test")
        .expect_err("a user that owns a database must not run the document");
    assert!(
        error
            .to_string()
            .contains("owns objects this run did not create"),
        "{error}"
    );
    // Nothing left behind by the refusal.
    assert!(admin_strings(&format!(
        "SELECT datname FROM pg_database WHERE datdba = '{holder}'::regrole AND datname <> '{holders_db}'"
    ))
    .is_empty());

    // Owns nothing and has no privileged attribute: it runs the document itself (said so).
    let plain = unique("own_plain");
    admin_strings(&format!("CREATE ROLE {plain} LOGIN CREATEDB"));
    let db = ScratchDatabase::create(&url_server_as(&plain), "pgspec_test")
        .unwrap_or_else(|e| panic!("scratch as a plain user: {e}"));
    assert_eq!(db.app_identity, AppIdentity::User(plain.clone()));
    assert!(db.app_identity.note().is_some());
    db.drop_now().expect("drop");

    admin_strings(&format!("DROP DATABASE {holders_db}"));
    for role in [creator, holder, plain] {
        admin_strings(&format!("DROP ROLE {role}"));
    }
}

/// The scratch databases (`prefix_<pid>_…`) and run roles of pgspec process `pid`.
pub(super) fn scratch_of(prefix: &str, pid: u32) -> (Vec<String>, Vec<String>) {
    let names = |sql: String| -> Vec<String> {
        admin_strings(&sql)
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect()
    };
    (
        names(format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{}\\_{pid}\\_%'",
            prefix.replace('_', "\\_")
        )),
        names(format!(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgspec\\_run\\_{pid}\\_%'"
        )),
    )
}
