//! The postgres module against a real server: one temporary cluster per test binary, each
//! test in its own scratch database.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use pgspec::postgres::{
    char_position_to_byte, AppIdentity, Cluster, ClusterError, ClusterStatus, Outcome, PgBinaries,
    ScratchDatabase, Server,
};

fn binaries() -> PgBinaries {
    PgBinaries::locate(None)
        .unwrap_or_else(|e| panic!("PostgreSQL server binaries are required for these tests: {e}"))
}

/// The most temporary clusters the tests start (one per test thread, up to this).
const MAX_CLUSTERS: usize = 4;

/// Temporary clusters for this test binary (each stopped and removed by its watcher process when
/// the binary exits). Roles are cluster-wide, so two tests applying documents that create the
/// same role must not share a cluster at the same time ([`role_lock`]); with one cluster per
/// test thread such tests run side by side instead of one after the other.
struct ClusterPool {
    size: usize,
    clusters: [OnceLock<Cluster>; MAX_CLUSTERS],
    role_locks: [Mutex<()>; MAX_CLUSTERS],
    /// How many live test threads use each cluster.
    users: Mutex<[usize; MAX_CLUSTERS]>,
}

fn pool() -> &'static ClusterPool {
    static POOL: OnceLock<ClusterPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|n| n.parse().ok())
            .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
            .unwrap_or(1);
        ClusterPool {
            size: threads.clamp(1, MAX_CLUSTERS),
            clusters: Default::default(),
            role_locks: Default::default(),
            users: Mutex::new([0; MAX_CLUSTERS]),
        }
    })
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cluster a test thread uses, chosen once per thread (the least used one), so every
/// helper a test calls reaches the same cluster; released when the thread ends.
struct Assignment(usize);

impl Assignment {
    fn choose() -> Self {
        let pool = pool();
        let mut users = lock_ignoring_poison(&pool.users);
        let index = (0..pool.size).min_by_key(|&i| users[i]).unwrap_or_default();
        users[index] += 1;
        Assignment(index)
    }
}

impl Drop for Assignment {
    fn drop(&mut self) {
        lock_ignoring_poison(&pool().users)[self.0] -= 1;
    }
}

thread_local! {
    static ASSIGNED: Assignment = Assignment::choose();
}

/// The temporary cluster of this test (shared with whatever other test runs on it).
pub fn shared_cluster() -> &'static Cluster {
    let index = ASSIGNED.with(|a| a.0);
    pool().clusters[index].get_or_init(|| {
        Cluster::temporary(&binaries())
            .unwrap_or_else(|e| panic!("cannot start a temporary cluster: {e}"))
    })
}

/// Held by tests whose documents create roles: no other such test uses this test's cluster
/// meanwhile.
pub fn role_lock() -> MutexGuard<'static, ()> {
    let index = ASSIGNED.with(|a| a.0);
    lock_ignoring_poison(&pool().role_locks[index])
}

/// The shared cluster as a URL server (how other test files use it).
fn url_server() -> Server {
    Server::Url(shared_cluster().url("postgres"))
}

/// The shared cluster as pgspec's embedded server: `ensure` finds it running and reuses it
/// (the returned handle is not temporary, so dropping it leaves the server alone).
fn embedded_server() -> Server {
    let cluster = Cluster::ensure(&shared_cluster().root, &shared_cluster().bins)
        .unwrap_or_else(|e| panic!("ensure on the running shared cluster: {e}"));
    assert!(!cluster.temporary);
    Server::Embedded(cluster)
}

fn scratch(server: &Server) -> ScratchDatabase {
    ScratchDatabase::create(server, "pgspec_test")
        .unwrap_or_else(|e| panic!("scratch database: {e}"))
}

fn applied(outcome: Outcome) -> Vec<pgspec::postgres::Notice> {
    match outcome {
        Outcome::Applied { notices } => notices,
        Outcome::Failed { error, .. } => panic!("expected the statement to apply, got {error:?}"),
    }
}

fn failed(outcome: Outcome) -> pgspec::diagnostics::PgDetails {
    match outcome {
        Outcome::Failed { error, .. } => error,
        Outcome::Applied { .. } => panic!("expected the statement to fail"),
    }
}

fn admin_strings(sql: &str) -> Vec<Vec<Option<String>>> {
    let mut client = url_server()
        .admin_client("postgres")
        .expect("admin connection");
    client
        .simple_query(sql)
        .expect("admin query")
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn database_exists(name: &str) -> bool {
    !admin_strings(&format!(
        "SELECT 1 FROM pg_database WHERE datname = '{name}'"
    ))
    .is_empty()
}

fn role_exists(name: &str) -> bool {
    !admin_strings(&format!("SELECT 1 FROM pg_roles WHERE rolname = '{name}'")).is_empty()
}

fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[test]
fn applies_statements_as_the_unprivileged_role() {
    let db = scratch(&url_server());
    let owner = db.owner_role().to_string();
    assert!(owner.starts_with("pgspec_run_"), "{owner}");
    assert_eq!(db.app_identity, AppIdentity::Role(owner.clone()));
    let mut s = db.session().expect("session");
    assert_eq!(s.owner_role(), owner);
    assert!(applied(
        s.apply("CREATE TABLE t (id int PRIMARY KEY, name text)")
            .expect("apply")
    )
    .is_empty());
    applied(s.apply("INSERT INTO t VALUES (1, 'a')").expect("apply"));
    let rows = s
        .query_strings("SELECT tableowner FROM pg_tables WHERE tablename = 't'")
        .expect("query");
    assert_eq!(rows, vec![vec![Some(owner.clone())]]);
    let rows = s
        .query_strings(&format!(
            "SELECT rolsuper::text, rolcreaterole::text, rolcreatedb::text, rolcanlogin::text \
             FROM pg_roles WHERE rolname = '{owner}'"
        ))
        .expect("query");
    let f = || Some("false".to_string());
    assert_eq!(rows, vec![vec![f(), f(), f(), Some("true".to_string())]]);
    drop(s);
    db.drop_now().expect("drop");
    // The run's owner goes with its database.
    assert!(!role_exists(&owner));
}

#[test]
fn each_scratch_database_has_its_own_owner_and_one_cannot_drop_another() {
    let server = url_server();
    let victim = scratch(&server);
    let attacker = scratch(&server);
    assert_ne!(victim.owner_role(), attacker.owner_role());
    let mut s = attacker.session().expect("session");
    let error = failed(
        s.apply(&format!("DROP DATABASE {}", victim.name))
            .expect("apply"),
    );
    assert_eq!(error.sqlstate, "42501", "{error:?}");
    let error = failed(
        s.apply(&format!("ALTER DATABASE {} RENAME TO stolen", victim.name))
            .expect("apply"),
    );
    assert_eq!(error.sqlstate, "42501", "{error:?}");
    assert!(database_exists(&victim.name));
}

#[test]
fn cleanup_drops_the_roles_it_created_by_oid_not_by_name() {
    let db = scratch(&url_server());
    let made = unique("pgspec_test_made");
    let renamed = unique("pgspec_test_renamed");
    // A role the run did not create, which takes the created role's old name.
    let bystander = unique("pgspec_test_bystander");
    admin_strings(&format!("CREATE ROLE {bystander} NOLOGIN"));
    let mut s = db.session().expect("session");
    applied(
        s.apply_as_superuser(&format!("CREATE ROLE {made} NOLOGIN"))
            .expect("apply"),
    );
    applied(
        s.apply_as_superuser(&format!("ALTER ROLE {made} RENAME TO {renamed}"))
            .expect("apply"),
    );
    admin_strings(&format!("ALTER ROLE {bystander} RENAME TO {made}"));
    drop(s);
    db.drop_now().expect("drop");
    assert!(
        !role_exists(&renamed),
        "the created role (renamed) is dropped"
    );
    assert!(role_exists(&made), "the role that took its name is kept");
    admin_strings(&format!("DROP ROLE {made}"));
}

#[test]
fn error_position_maps_to_the_byte_after_hangul() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");

    let sql = "CREATE TABLE 사용자 (이름 text, x nosuchtype)";
    let error = failed(s.apply(sql).expect("apply"));
    assert_eq!(error.sqlstate, "42704");
    assert_eq!(error.message, "type \"nosuchtype\" does not exist");
    let byte = char_position_to_byte(sql, error.position.expect("position")) as usize;
    assert_eq!(byte, sql.find("nosuchtype").expect("present"));
    assert_eq!(&sql[byte..byte + "nosuchtype".len()], "nosuchtype");

    let sql = "SELECT '한글', 1 FROM FROM t";
    let error = failed(s.apply(sql).expect("apply"));
    assert_eq!(error.sqlstate, "42601");
    let byte = char_position_to_byte(sql, error.position.expect("position")) as usize;
    assert_eq!(byte, sql.rfind("FROM").expect("present"));

    let sql = "SELECT '한글', nosuchcol FROM (SELECT 1) t";
    let error = failed(s.apply(sql).expect("apply"));
    assert_eq!(error.sqlstate, "42703");
    let byte = char_position_to_byte(sql, error.position.expect("position")) as usize;
    assert_eq!(byte, sql.find("nosuchcol").expect("present"));
}

#[test]
fn error_fields_are_filled() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(
        s.apply("CREATE TABLE p (id int PRIMARY KEY)")
            .expect("apply"),
    );
    applied(s.apply("INSERT INTO p VALUES (1)").expect("apply"));
    let error = failed(s.apply("INSERT INTO p VALUES (1)").expect("apply"));
    assert_eq!(error.sqlstate, "23505");
    assert_eq!(
        error.detail.as_deref(),
        Some("Key (id)=(1) already exists.")
    );
    assert_eq!(error.schema.as_deref(), Some("public"));
    assert_eq!(error.table.as_deref(), Some("p"));
    assert_eq!(error.constraint.as_deref(), Some("p_pkey"));

    let error = failed(s.apply("SELECT lower(1, 2)").expect("apply"));
    assert_eq!(error.sqlstate, "42883");
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("explicit type casts")),
        "{error:?}"
    );

    // An error inside a function body: CONTEXT and the internal query are kept aside.
    applied(
        s.apply("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT nosuch FROM p); END $$")
            .expect("apply"),
    );
    let error = failed(s.apply("SELECT f()").expect("apply"));
    assert_eq!(error.sqlstate, "42703");
    assert_eq!(error.position, None);
    let context = s.last_error_context().expect("context");
    assert!(
        context
            .context
            .as_deref()
            .is_some_and(|c| c.contains("PL/pgSQL function f()")),
        "{context:?}"
    );
    assert_eq!(
        context.internal_query.as_deref(),
        Some("(SELECT nosuch FROM p)")
    );
    assert!(context.internal_position.is_some());
}

#[test]
fn session_stays_usable_after_failures_and_open_transactions() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    failed(s.apply("SELECT 1/0").expect("apply"));
    applied(s.apply("CREATE TABLE a (x int)").expect("apply"));

    // A failure inside an explicit transaction block: rolled back, next statement fine.
    failed(
        s.apply("BEGIN; INSERT INTO a VALUES (1); SELECT 1/0")
            .expect("apply"),
    );
    applied(s.apply("INSERT INTO a VALUES (2)").expect("apply"));

    // A statement that opens a block: committed right away, so later failures don't poison it.
    applied(s.apply("BEGIN").expect("apply"));
    applied(s.apply("CREATE TABLE b (x int)").expect("apply"));
    failed(s.apply("CREATE TABLE b (x int)").expect("apply"));
    applied(s.apply("INSERT INTO b VALUES (3)").expect("apply"));
    let notices = applied(s.apply("COMMIT").expect("apply"));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].sqlstate, "25P01"); // there is no transaction in progress

    let rows = s.query_as_document(
        "SELECT (SELECT string_agg(x::text, ',') FROM a), (SELECT count(*) FROM b)",
    );
    assert_eq!(
        rows.expect("query"),
        vec![vec![Some("2".to_string()), Some("1".to_string())]]
    );
}

#[test]
fn notices_are_captured_per_statement() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    // 25 Hangul syllables = 75 bytes > NAMEDATALEN - 1.
    let long = "가".repeat(25);
    let notices = applied(
        s.apply(&format!("CREATE TABLE {long} (id int)"))
            .expect("apply"),
    );
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].severity, "NOTICE");
    assert_eq!(notices[0].sqlstate, "42622");
    assert!(
        notices[0].message.contains("will be truncated"),
        "{notices:?}"
    );

    let notices = applied(s.apply("DROP TABLE IF EXISTS nosuch").expect("apply"));
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].message,
        "table \"nosuch\" does not exist, skipping"
    );

    let outcome = s
        .apply("DO $$ BEGIN RAISE WARNING 'w' USING HINT = 'h'; RAISE EXCEPTION 'boom'; END $$")
        .expect("apply");
    assert_eq!(outcome.notices().len(), 1);
    assert_eq!(outcome.notices()[0].severity, "WARNING");
    assert_eq!(outcome.notices()[0].hint.as_deref(), Some("h"));
    assert_eq!(outcome.error().expect("failed").message, "boom");

    // Nothing left over for the next statement.
    assert!(applied(s.apply("SELECT 1").expect("apply")).is_empty());
}

#[test]
fn the_app_role_cannot_reach_the_server_host() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x text)").expect("apply"));
    for sql in [
        "COPY t FROM PROGRAM 'true'",
        "COPY t TO PROGRAM 'cat'",
        "COPY t FROM '/etc/passwd'",
        "SELECT pg_read_file('/etc/passwd')",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "CREATE ROLE sneaky SUPERUSER",
        "SET SESSION AUTHORIZATION postgres",
    ] {
        let error = failed(s.apply(sql).unwrap_or_else(|e| panic!("{sql}: {e}")));
        assert_eq!(error.sqlstate, "42501", "{sql}: {error:?}");
    }
    let error = failed(s.apply("SET ROLE postgres").expect("apply"));
    assert_eq!(error.sqlstate, "42501", "{error:?}");
    let error = failed(s.apply("CREATE DATABASE other").expect("apply"));
    assert_eq!(error.sqlstate, "42501");
    let error = failed(s.apply("CREATE EXTENSION plpgsql_check").expect("apply"));
    assert!(
        matches!(error.sqlstate.as_str(), "42501" | "0A000"),
        "untrusted or missing extension: {error:?}"
    );
}

#[test]
fn prepare_infers_parameters_without_executing() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(
        s.apply("CREATE TABLE t (id int PRIMARY KEY, name text)")
            .expect("apply"),
    );
    applied(s.apply("INSERT INTO t VALUES (1, '한')").expect("apply"));
    applied(s.prepare("DELETE FROM t WHERE id = $1").expect("prepare"));
    applied(
        s.prepare("UPDATE t SET name = $2 WHERE id = $1")
            .expect("prepare"),
    );
    assert_eq!(
        s.query_as_document("SELECT count(*), min(name) FROM t")
            .expect("query"),
        vec![vec![Some("1".to_string()), Some("한".to_string())]]
    );
    let sql = "SELECT '한글' FROM t WHERE nosuch = $1";
    let error = failed(s.prepare(sql).expect("prepare"));
    assert_eq!(error.sqlstate, "42703");
    let byte = char_position_to_byte(sql, error.position.expect("position")) as usize;
    assert_eq!(byte, sql.find("nosuch").expect("present"));
    // Prepared statements are deallocated (pg_prepared_statements is per session: ask the
    // app session itself, through a notice).
    let notices = applied(
        s.apply(
            "DO $$ BEGIN RAISE NOTICE '%', (SELECT count(*) FROM pg_prepared_statements); END $$",
        )
        .expect("apply"),
    );
    assert_eq!(notices[0].message, "0");
}

#[test]
fn scratch_database_is_dropped_on_drop() {
    let db = scratch(&url_server());
    let name = db.name.clone();
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    assert!(database_exists(&name));
    // Dropped even while a session is still connected.
    drop(db);
    assert!(!database_exists(&name));
    drop(s);
}

#[test]
fn roles_created_as_superuser_are_dropped_with_the_scratch_database() {
    let db = scratch(&url_server());
    let role = unique("pgspec_test_role");
    let mut s = db.session().expect("session");
    applied(
        s.apply_as_superuser(&format!("CREATE ROLE {role} NOLOGIN"))
            .expect("apply"),
    );
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    applied(
        s.apply(&format!("GRANT SELECT ON t TO {role}"))
            .expect("apply"),
    );
    assert_eq!(db.created_roles(), vec![role.clone()]);
    assert!(role_exists(&role));
    // A role that already existed is not recorded.
    failed(
        s.apply_as_superuser(&format!("CREATE ROLE {role}"))
            .expect("apply"),
    );
    assert_eq!(db.created_roles(), vec![role.clone()]);
    drop(s);
    db.drop_now().expect("drop");
    assert!(!role_exists(&role));
}

#[test]
fn extensions_are_listed_and_created_as_superuser() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let available = s.available_extensions().expect("available");
    assert!(available.iter().any(|e| e == "plpgsql"), "{available:?}");
    assert_eq!(
        s.installed_extensions().expect("installed"),
        vec!["plpgsql".to_string()]
    );
    if available.iter().any(|e| e == "pgcrypto") {
        applied(
            s.apply_as_superuser("CREATE EXTENSION pgcrypto SCHEMA public")
                .expect("apply"),
        );
        assert!(s
            .installed_extensions()
            .expect("installed")
            .contains(&"pgcrypto".to_string()));
        applied(
            s.apply("SELECT gen_random_uuid(), crypt('x', gen_salt('bf', 4))")
                .expect("apply"),
        );
    }
}

#[test]
fn pg_cron_is_preloaded_but_lives_in_the_postgres_database() {
    if !shared_cluster()
        .bins
        .preload_libraries()
        .contains(&"pg_cron")
    {
        return; // pg_cron not installed here
    }
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    assert!(s
        .available_extensions()
        .expect("available")
        .contains(&"pg_cron".to_string()));
    let error = failed(
        s.apply_as_superuser("CREATE EXTENSION pg_cron")
            .expect("apply"),
    );
    assert!(
        error
            .message
            .contains("can only create extension in database postgres"),
        "{error:?}"
    );
}

#[test]
fn server_settings_are_private_and_fast() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let rows = s
        .query_strings(
            "SELECT current_setting('listen_addresses'), current_setting('fsync'), current_setting('shared_preload_libraries'), current_setting('server_encoding'), current_setting('lc_ctype')",
        )
        .expect("query");
    let row = &rows[0];
    assert_eq!(row[0].as_deref(), Some(""));
    assert_eq!(row[1].as_deref(), Some("off"));
    let preload = row[2].clone().unwrap_or_default();
    for lib in shared_cluster().bins.preload_libraries() {
        assert!(preload.contains(lib), "{lib} not preloaded: {preload}");
    }
    assert_eq!(row[3].as_deref(), Some("UTF8"));
    assert!(
        matches!(row[4].as_deref(), Some("C.UTF-8" | "C")),
        "{row:?}"
    );
    let rows =
        s.query_strings("SELECT datcollate FROM pg_database WHERE datname = current_database()");
    assert!(rows.is_ok());
}

#[test]
fn runaway_statements_are_cancelled() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(500);
    let mut s = db.session().expect("session");
    let started = Instant::now();
    let error = failed(s.apply("SELECT pg_sleep(30)").expect("apply"));
    assert_eq!(error.sqlstate, "57014");
    assert_eq!(
        error.message,
        "canceling statement due to statement timeout"
    );
    // pg_dump output starts with `SET statement_timeout = 0`: the watchdog still cancels.
    applied(s.apply("SET statement_timeout = 0").expect("apply"));
    let error = failed(s.apply("SELECT pg_sleep(30)").expect("apply"));
    assert_eq!(error.sqlstate, "57014");
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("pgspec cancelled")),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    applied(s.apply("SELECT 1").expect("apply"));
}

#[test]
fn a_statement_that_ends_its_own_backend_leaves_the_session_usable() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    // The server ends the connection (FATAL 57P01): a tool error, but the session reconnects.
    match s.apply("SELECT pg_terminate_backend(pg_backend_pid())") {
        Err(ClusterError::ConnectionLost { database, .. }) => assert_eq!(database, db.name),
        other => panic!("expected ConnectionLost, got {other:?}"),
    }
    applied(s.apply("INSERT INTO t VALUES (1)").expect("apply"));
    // Session state can be reset explicitly.
    applied(s.apply("SET search_path = nowhere").expect("apply"));
    failed(s.apply("SELECT * FROM t").expect("apply"));
    s.reset_app_session().expect("reset");
    applied(s.apply("SELECT * FROM t").expect("apply"));
}

#[test]
fn document_statements_never_leave_a_transaction_block_open() {
    let server = embedded_server();
    let db = scratch(&server);
    let mut s = db.session().expect("session");
    let (doc, _) = pgspec::document::read(
        b"```sql\nCREATE TABLE t (id int);\nSTART TRANSACTION;\nINSERT INTO t VALUES (1);\nSELECT 1/0;\n```\n",
    );
    let (statements, _) = pgspec::sql::extract(&doc);
    assert_eq!(statements.len(), 4);
    for stmt in &statements[..3] {
        applied(s.apply_statement(stmt).expect("apply"));
    }
    // The block START TRANSACTION opened was committed after that statement, so the row is
    // there whatever the next statement does (were the block still open, the division by
    // zero would abort it and take the row along).
    failed(s.apply_statement(&statements[3]).expect("apply"));
    s.reset_app_session().expect("reset");
    assert_eq!(
        s.query_strings("SELECT count(*)::text FROM public.t")
            .expect("count"),
        [[Some("1".to_string())]]
    );
}

#[test]
fn embedded_server_cleans_up_after_dead_runs() {
    let server = embedded_server();
    // A scratch database and role of a run whose process is gone (pid beyond pid_max).
    let dead_db = unique("pgspec_dead");
    let dead_role = unique("pgspec_dead_role");
    let dead_owner = unique("pgspec_run_dead");
    let mut admin = server.admin_client("postgres").expect("admin");
    let ns = std::fs::read_link("/proc/self/ns/pid").expect("pid namespace");
    for sql in [
        format!("CREATE ROLE {dead_owner} LOGIN"),
        format!(
            "COMMENT ON ROLE {dead_owner} IS 'pgspec run owner (pid 999999999, {})'",
            ns.display()
        ),
        format!("CREATE DATABASE {dead_db} OWNER {dead_owner}"),
        format!(
            "COMMENT ON DATABASE {dead_db} IS 'pgspec scratch database (pid 999999999, {})'",
            ns.display()
        ),
        format!("CREATE ROLE {dead_role}"),
        format!("COMMENT ON ROLE {dead_role} IS 'pgspec scratch role (database {dead_db})'"),
    ] {
        admin.batch_execute(&sql).expect("set up a dead run");
    }
    let mut db = scratch(&server);
    // Removed in the background while the run works; waited for here.
    db.wait_for_housekeeping();
    assert!(!database_exists(&dead_db));
    assert!(!role_exists(&dead_role));
    assert!(
        !role_exists(&dead_owner),
        "the dead run's owner role is dropped"
    );
    // Live runs are left alone.
    assert!(database_exists(&db.name));
    assert!(db.url().contains(&db.name));
    let mut s = db.session().expect("session");
    applied(s.apply("SELECT 1").expect("apply"));
}

/// Backends of pgspec process `pid` (application_name `pgspec/<pid>/…`) that run `needle`.
fn backends_of(pid: u32, needle: &str) -> usize {
    admin_strings(&format!(
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'pgspec/{pid}/%' \
         AND state <> 'idle' AND query LIKE '%{needle}%'"
    ))
    .len()
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// A document whose only statement runs for ten minutes, and turns off the server's check
/// that its client is still there when `stubborn`.
fn sleeping_doc(dir: &tempfile::TempDir, marker: &str, stubborn: bool) -> String {
    let path = dir.path().join("sleep.md");
    let check = if stubborn {
        "PERFORM set_config('client_connection_check_interval', '0', true); "
    } else {
        ""
    };
    std::fs::write(
        &path,
        format!(
            "# Doc\n\n```sql\nDO $$ BEGIN {check}PERFORM pg_sleep(600); PERFORM '{marker}'; END $$;\n```\n"
        ),
    )
    .expect("write doc");
    path.display().to_string()
}

fn spawn_check(doc: &str, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(extra)
        .args(["check", "--db", &shared_cluster().url("postgres"), doc])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn pgspec")
}

mod batch;
mod bounds;
mod cluster;
mod plpgsql;
mod security;

use bounds::*;
use security::*;
