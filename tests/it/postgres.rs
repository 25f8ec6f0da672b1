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

#[test]
fn cluster_url_works_with_psql() {
    let cluster = shared_cluster();
    let url = cluster.url("postgres");
    let Ok(out) = std::process::Command::new("psql")
        .args([url.as_str(), "-XAtc", "SELECT current_user"])
        .output()
    else {
        return; // no psql client installed
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "postgres");
}

/// Removes a cluster root on drop, even if the test panics.
struct Destroy(PathBuf, PgBinaries);

impl Drop for Destroy {
    fn drop(&mut self) {
        let _ = Cluster::destroy_at(&self.0, &self.1);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn ensure_initializes_reuses_stops_and_destroys() {
    let bins = binaries();
    let root = PathBuf::from(format!("/tmp/{}", unique("pgspec-e")));
    let _guard = Destroy(root.clone(), bins.clone());
    assert!(matches!(
        Cluster::status(&root, &bins),
        ClusterStatus::NotInitialized { .. }
    ));

    // Concurrent first calls: one initializes and starts, the others wait and reuse.
    let started = Instant::now();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (root, bins) = (root.clone(), bins.clone());
            std::thread::spawn(move || Cluster::ensure(&root, &bins).map(|c| c.url("postgres")))
        })
        .collect();
    let urls: Vec<String> = handles
        .into_iter()
        .map(|h| {
            h.join()
                .expect("thread")
                .unwrap_or_else(|e| panic!("ensure: {e}"))
        })
        .collect();
    let first = started.elapsed();
    assert!(urls.iter().all(|u| *u == urls[0]));

    let started = Instant::now();
    let cluster = Cluster::ensure(&root, &bins).expect("reuse");
    let reuse = started.elapsed();
    assert!(matches!(
        Cluster::status(&root, &bins),
        ClusterStatus::Running { .. }
    ));
    let server = Server::Embedded(cluster);
    let started = Instant::now();
    let db = scratch(&server);
    let create = started.elapsed();
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    drop(s);
    let started = Instant::now();
    db.drop_now().expect("drop");
    let drop_time = started.elapsed();
    drop(server); // not temporary: keeps running
    assert!(matches!(
        Cluster::status(&root, &bins),
        ClusterStatus::Running { .. }
    ));

    Cluster::stop_at(&root, &bins).expect("stop");
    assert!(matches!(
        Cluster::status(&root, &bins),
        ClusterStatus::Stopped { .. }
    ));
    Cluster::stop_at(&root, &bins).expect("stopping a stopped cluster is fine");
    let started = Instant::now();
    let cluster = Cluster::ensure(&root, &bins).expect("restart");
    let restart = started.elapsed();
    cluster.stop().expect("stop");

    // A server that cannot start: the error carries the end of the server log.
    let conf = root.join(format!("pg{}/data/postgresql.conf", bins.major()));
    let original = std::fs::read_to_string(&conf).expect("read conf");
    std::fs::write(&conf, format!("{original}\nbogus_setting_for_pgspec = 1\n"))
        .expect("write conf");
    let error = Cluster::ensure(&root, &bins)
        .expect_err("start must fail")
        .to_string();
    assert!(error.contains("last lines of"), "{error}");
    assert!(error.contains("bogus_setting_for_pgspec"), "{error}");
    std::fs::write(&conf, original).expect("restore conf");
    let cluster = Cluster::ensure(&root, &bins).expect("starts again");
    cluster.destroy().expect("destroy");
    assert!(matches!(
        Cluster::status(&root, &bins),
        ClusterStatus::NotInitialized { .. }
    ));
    assert!(!root.exists());
    eprintln!(
        "timings: initdb+start {first:?}, reuse {reuse:?}, restart {restart:?}, scratch create {create:?}, scratch drop {drop_time:?}"
    );
}

#[test]
fn temporary_clusters_are_removed_on_drop() {
    let bins = binaries();
    let cluster = Cluster::temporary(&bins).expect("temporary");
    let root = cluster.root.clone();
    assert!(cluster.data_dir.join("PG_VERSION").is_file());
    assert!(cluster.socket_dir.join(".s.PGSQL.5432").exists());
    drop(cluster);
    assert!(!root.exists());
}

/// The first column of `sql`'s rows in the server's `postgres` database, as text.
fn text_rows(server: &Server, sql: &str) -> Vec<String> {
    let mut admin = server.admin_client("postgres").expect("admin");
    admin
        .query(sql, &[])
        .expect("query")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

#[test]
fn a_run_takes_the_spare_database_an_earlier_run_made_and_never_an_open_one() {
    // A cluster of its own: no other test takes its spares meanwhile.
    let cluster = Cluster::temporary(&binaries()).expect("temporary");
    let server = Server::Embedded(cluster);
    let rows = |sql: &str| text_rows(&server, sql);
    let closed_spares = || {
        rows(
            "SELECT oid::text FROM pg_database WHERE datname LIKE 'pgspec\\_spare\\_%' \
              AND NOT datallowconn AND datdba = 'postgres'::regrole",
        )
    };
    assert!(closed_spares().is_empty());
    // The first run creates its database and, meanwhile, a spare for the next one.
    ScratchDatabase::create(&server, "pgspec_test")
        .expect("scratch")
        .drop_now()
        .expect("drop");
    let spares = closed_spares();
    assert_eq!(spares.len(), 1, "one closed spare owned by the superuser");
    // Something named like a spare but open to connections: never taken, dropped as stale.
    let decoy = unique("pgspec_spare_decoy");
    server
        .admin_client("postgres")
        .expect("admin")
        .batch_execute(&format!("CREATE DATABASE {decoy}"))
        .expect("decoy");
    let mut db = ScratchDatabase::create(&server, "pgspec_test").expect("scratch");
    db.wait_for_housekeeping();
    let taken = rows(&format!(
        "SELECT concat_ws(',', oid, datallowconn::text, pg_get_userbyid(datdba)) FROM pg_database \
         WHERE datname = '{}'",
        db.name
    ));
    assert_eq!(
        taken,
        [format!("{},true,{}", spares[0], db.owner_role())],
        "the spare, renamed, open, owned by the run's role"
    );
    assert!(rows(&format!(
        "SELECT datname::text FROM pg_database WHERE datname = '{decoy}'"
    ))
    .is_empty());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (id int)").expect("apply"));
    drop(s);
    db.drop_now().expect("drop");
    assert_eq!(closed_spares().len(), 1, "the next spare is made");
}

#[test]
fn runs_that_do_not_wait_for_their_spare_leave_only_whole_closed_spares() {
    // A cluster of its own: its databases and roles are this test's to count.
    let cluster = Cluster::temporary(&binaries()).expect("temporary");
    let root = cluster.root.display().to_string();
    let url = cluster.url("postgres");
    let server = Server::Embedded(cluster);
    let rows = |sql: &str| text_rows(&server, sql);
    let databases = || {
        rows(
            "SELECT concat_ws(',', datname, datallowconn, datconnlimit, pg_get_userbyid(datdba)) \
             FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1",
        )
    };
    let roles =
        || rows("SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'pgspec%' ORDER BY 1");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Doc\n\n```sql\nCREATE ROLE reader NOLOGIN;\nCREATE TABLE t (id int PRIMARY KEY);\nGRANT SELECT ON t TO reader;\n```\n",
    )
    .expect("write");
    let check = |target: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .arg("check")
            .args(target)
            .arg(&doc)
            .output()
            .expect("run pgspec");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // With --db the server is the user's: nothing of pgspec's is left, at once.
    check(&["--db", &url]);
    assert_eq!(databases(), Vec::<String>::new(), "--db: nothing left");
    assert_eq!(roles(), Vec::<String>::new(), "--db: no role left");
    // On the private cluster each run makes the next one's spare and exits without waiting;
    // the server finishes it. Its own database and roles are gone when it exits.
    for _ in 0..4 {
        check(&["--cluster-dir", &root]);
        assert!(
            !databases().iter().any(|d| d.starts_with("pgspec_check")),
            "{:?}",
            databases()
        );
        assert_eq!(roles(), Vec::<String>::new());
    }
    // What is left: at most two spares, each whole (not an interrupted copy, -2), closed to
    // connections and the superuser's.
    assert!(
        wait_until(Duration::from_secs(10), || {
            let left = databases();
            !left.is_empty()
                && left.len() <= 2
                && left
                    .iter()
                    .all(|d| d.starts_with("pgspec_spare_") && d.ends_with(",f,-1,postgres"))
        }),
        "{:?}",
        databases()
    );
}

/// `cargo test --test it postgres::timings -- --ignored --nocapture`
#[test]
#[ignore = "prints timings"]
#[allow(clippy::print_stderr)]
fn timings() {
    let bins = binaries();
    let t = Instant::now();
    let cluster = Cluster::temporary(&bins).expect("temporary");
    eprintln!("temporary cluster (initdb + start): {:?}", t.elapsed());
    let server = Server::Url(cluster.url("postgres"));
    for i in 0..3 {
        let t = Instant::now();
        let db = scratch(&server);
        let create = t.elapsed();
        let t = Instant::now();
        let mut s = db.session().expect("session");
        let session = t.elapsed();
        let t = Instant::now();
        for n in 0..100 {
            applied(
                s.apply(&format!("CREATE TABLE t{n} (id int PRIMARY KEY, v text)"))
                    .expect("apply"),
            );
        }
        let applies = t.elapsed() / 100;
        let t = Instant::now();
        for _ in 0..100 {
            failed(s.apply("SELECT nosuch FROM t1").expect("apply"));
        }
        let failures = t.elapsed() / 100;
        let t = Instant::now();
        for _ in 0..100 {
            applied(
                s.prepare("SELECT * FROM t1 WHERE id = $1")
                    .expect("prepare"),
            );
        }
        let prepares = t.elapsed() / 100;
        drop(s);
        let t = Instant::now();
        db.drop_now().expect("drop");
        eprintln!(
            "run {i}: scratch create {create:?}, session open {session:?}, apply {applies:?}/stmt, failed apply {failures:?}/stmt, prepare {prepares:?}/stmt, scratch drop {:?}",
            t.elapsed()
        );
    }
    let t = Instant::now();
    drop(cluster);
    eprintln!("temporary cluster stop + remove: {:?}", t.elapsed());
}

/// A loop that swallows every cancel request: only pg_terminate_backend ends it. The blocks
/// nest because a cancel that lands while the inner handler runs (outside the inner block; a
/// loaded server can take the session's own timeout and pgspec's cancel close together) would
/// otherwise end the statement as a plain cancel: CI saw that once in 2026-12.
const STUBBORN_LOOP: &str = "DO $$ BEGIN LOOP BEGIN \
     LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; \
     EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$";

/// [`STUBBORN_LOOP`] in a trigger function that also lifts its own timeout.
const STUBBORN_TRIGGER: &str = "CREATE FUNCTION spin() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN SET LOCAL statement_timeout = 0; LOOP BEGIN \
     LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; \
     EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$";

#[test]
fn a_deadline_terminates_a_statement_that_ignores_cancel() {
    use pgspec::postgres::{Deadline, Stop, TERMINATE_GRACE};
    let server = url_server();
    let deadline = Deadline::for_server(&server).expect("deadline");
    let mut client = server.admin_client("postgres").expect("client");
    client
        .batch_execute("SET statement_timeout = 0")
        .expect("set");
    let started = Instant::now();
    let bounded = deadline.run(&mut client, Duration::from_millis(300), |c| {
        c.batch_execute(STUBBORN_LOOP)
    });
    let took = started.elapsed();
    assert!(bounded.value.is_err(), "the loop cannot succeed");
    assert!(
        matches!(bounded.stopped, Some(Stop::Terminated { .. })),
        "{:?}",
        bounded.stopped
    );
    assert!(
        took < Duration::from_millis(300) + TERMINATE_GRACE + Duration::from_secs(3),
        "{took:?}"
    );
    assert!(client.is_closed() || client.batch_execute("SELECT 1").is_err());

    // A statement that ends in time is left alone, and a cancel that works is just a cancel.
    let mut client = server.admin_client("postgres").expect("client");
    let quick = deadline.run(&mut client, Duration::from_secs(5), |c| {
        c.batch_execute("SELECT pg_sleep(0.1)")
    });
    assert!(quick.value.is_ok() && quick.stopped.is_none(), "{quick:?}");
    let slow = deadline.run(&mut client, Duration::from_millis(200), |c| {
        c.batch_execute("SELECT pg_sleep(30)")
    });
    assert!(
        matches!(slow.stopped, Some(Stop::Cancelled { .. })),
        "{:?}",
        slow.stopped
    );
    assert_eq!(
        slow.value.expect_err("cancelled").code().map(|c| c.code()),
        Some("57014")
    );
    client.batch_execute("SELECT 1").expect("still usable");
}

#[test]
fn the_session_terminates_a_statement_that_ignores_cancel() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(300);
    let mut s = db.session().expect("session");
    let started = Instant::now();
    let error = failed(s.apply(STUBBORN_LOOP).expect("apply"));
    assert_eq!(error.sqlstate, "57014");
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("terminated")),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // A trigger that lifts its own timeout and spins: same end.
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    applied(s.apply(STUBBORN_TRIGGER).expect("apply"));
    applied(
        s.apply("CREATE TRIGGER spin BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION spin()")
            .expect("apply"),
    );
    let started = Instant::now();
    let error = failed(s.apply("INSERT INTO t VALUES (1)").expect("apply"));
    assert_eq!(error.sqlstate, "57014", "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    applied(s.apply("SELECT count(*) FROM t").expect("apply"));
}

/// A document's trap for pgspec's catalog queries: a schema first on the database's
/// search_path with views named like catalogs, a function and an `=` operator for `oid`, all
/// recording every call in `evil.calls`.
const SEARCH_PATH_TRAP: &[&str] = &[
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

fn trap_calls(server: &Server, database: &str) -> Vec<String> {
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
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/schemas.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/extensions.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/types.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/column_types.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/sequences.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/tables.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/views.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/columns.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/constraints.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/indexes.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/functions.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/routine_names.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/triggers.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/policies.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/privileges.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/object_counts.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/roles_granted_to.sql"),
        include_str!("../../crates/pgspec_postgres/src/catalog/queries/partitions.sql"),
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
fn the_sandboxed_server_writes_nothing_outside_its_directory_and_has_no_network() {
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

#[test]
fn the_backends_of_a_killed_pgspec_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Killed: the server notices the closed connection within a second or two.
    let doc = sleeping_doc(&dir, "killed-plain", false);
    let mut child = spawn_check(&doc, &["--statement-timeout", "0"]);
    let pid = child.id();
    assert!(
        wait_until(Duration::from_secs(30), || backends_of(pid, "killed-plain")
            == 1),
        "the statement runs"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(
        wait_until(Duration::from_secs(5), || backends_of(pid, "killed-plain")
            == 0),
        "the backend of a killed pgspec keeps running"
    );

    // A statement that turned the check off outlives its pgspec, until the next run.
    let doc = sleeping_doc(&dir, "killed-stubborn", true);
    let mut child = spawn_check(&doc, &["--statement-timeout", "0"]);
    let pid = child.id();
    assert!(wait_until(Duration::from_secs(30), || {
        backends_of(pid, "killed-stubborn") == 1
    }));
    child.kill().expect("kill");
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(backends_of(pid, "killed-stubborn"), 1, "still running");
    assert!(url_server().terminate_orphans() >= 1);
    assert!(wait_until(Duration::from_secs(5), || {
        backends_of(pid, "killed-stubborn") == 0
    }));
}

#[test]
fn the_timeout_option_bounds_a_whole_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = sleeping_doc(&dir, "timeout-bound", true);
    let started = Instant::now();
    let child = spawn_check(&doc, &["--timeout", "3", "--statement-timeout", "0"]);
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2));
    assert!(took < Duration::from_secs(15), "{took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--timeout 3 s"), "{stderr}");
    // It ended its own statement on the way out (that one turned the client check off).
    assert!(
        wait_until(Duration::from_secs(3), || backends_of(pid, "timeout-bound")
            == 0),
        "the statement outlived pgspec"
    );
    // And removed its scratch database and run role.
    assert!(stderr.contains("removed the scratch database"), "{stderr}");
    assert_eq!(scratch_of("pgspec_check", pid), (vec![], vec![]));
}

/// The shared cluster as a URL server logging in as `user`.
fn url_server_as(user: &str) -> Server {
    let url = shared_cluster().url("postgres");
    Server::Url(url.replacen("postgres@", &format!("{user}@"), 1))
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
fn scratch_of(prefix: &str, pid: u32) -> (Vec<String>, Vec<String>) {
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

#[test]
fn an_interrupted_check_or_up_removes_its_scratch_database_and_says_so() {
    let name = format!("pgspec_interrupted_up_{}", std::process::id());
    for (command, prefix, signal, code) in [
        ("check", "pgspec_check", "INT", 130),
        ("check", "pgspec_check", "TERM", 143),
        ("up", "pgspec_up", "INT", 130),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = sleeping_doc(&dir, &format!("interrupted-{command}-{signal}"), false);
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args(["--statement-timeout", "0"])
            .args([command, "--db", &shared_cluster().url("postgres")])
            .args(if command == "up" {
                vec!["--name", name.as_str()]
            } else {
                vec![]
            })
            .arg(&doc)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn pgspec");
        let pid = child.id();
        assert!(
            wait_until(Duration::from_secs(30), || backends_of(
                pid,
                &format!("interrupted-{command}-{signal}")
            ) == 1),
            "the statement runs"
        );
        let (databases, roles) = scratch_of(prefix, pid);
        // `up`'s database is owned by the persistent owner role of the database it builds.
        let run_roles = usize::from(command == "check");
        assert_eq!(
            (databases.len(), roles.len()),
            (1, run_roles),
            "{command}: a scratch database and its run role"
        );
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains("pgspec: interrupted"), "{stderr}");
        assert!(
            stderr.contains(&format!("removed the scratch database {}", databases[0])),
            "{stderr}"
        );
        assert_eq!(
            scratch_of(prefix, pid),
            (vec![], vec![]),
            "{command}: nothing is left behind"
        );
        if command == "up" {
            assert!(stderr.contains("run `pgspec up` again"), "{stderr}");
            let made = admin_strings(&format!(
                "SELECT datname FROM pg_database WHERE datname = '{name}'"
            ));
            assert!(made.is_empty(), "no database {name} was made");
        }
    }
}

/// The statements of a document made of one SQL block.
fn statements_of(sql: &str) -> Vec<pgspec::sql::Statement> {
    let (doc, _) = pgspec::document::read(format!("```sql\n{sql}\n```\n").as_bytes());
    pgspec::sql::extract(&doc).0
}

#[test]
fn only_statements_that_behave_the_same_in_a_block_are_batched() {
    let statements = statements_of(
        "CREATE TABLE t (id int PRIMARY KEY);\n\
         CREATE INDEX t_id ON t (id);\n\
         INSERT INTO t VALUES (1);\n\
         SET search_path = public;\n\
         SET LOCAL search_path = public;\n\
         SET client_min_messages = error;\n\
         CREATE INDEX CONCURRENTLY t_id2 ON t (id);\n\
         VACUUM t;\n\
         BEGIN;\n\
         DO $$ BEGIN COMMIT; END $$;\n\
         SELECT set_config('search_path', '', true);\n\
         COPY t FROM STDIN;\n\
         INSERT INTO t VALUES (2) -- a comment at the end\n;\n\
         COMMENT ON TABLE t IS 'a\\b';\n\
         CREATE TABLE a_name_of_more_than_sixty_three_bytes_that_postgres_truncates_xyz (x int);\n\
         CREATE TEMPORARY TABLE tmp (x int);",
    );
    let batchable: Vec<bool> = statements.iter().map(pgspec::postgres::batchable).collect();
    assert_eq!(
        batchable,
        [
            true, true, true, true, false, false, false, false, false, false, false, false, true,
            false, false, false
        ],
        "{:?}",
        statements.iter().map(|s| &s.text).collect::<Vec<_>>()
    );
}

#[test]
fn a_batch_applies_a_run_and_gives_each_statement_its_own_notices() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE a (x int);\n\
         DROP TABLE IF EXISTS nosuch;\n\
         INSERT INTO a VALUES (1) -- ends in a comment\n;\n\
         CREATE INDEX a_x ON a (x);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    let notices: Vec<Vec<pgspec::postgres::Notice>> = outcomes.into_iter().map(applied).collect();
    assert!(notices[0].is_empty() && notices[2].is_empty() && notices[3].is_empty());
    assert_eq!(notices[1].len(), 1, "{notices:?}");
    assert_eq!(
        notices[1][0].message,
        "table \"nosuch\" does not exist, skipping"
    );
    // Committed: another connection sees the row.
    let rows = s
        .query_strings("SELECT count(*)::text FROM public.a")
        .expect("query");
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
}

#[test]
fn a_batch_keeps_what_applied_before_a_failure_and_judges_a_failure_about_the_statement() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE a (x int);\n\
         INSERT INTO a VALUES (1);\n\
         INSERT INTO a VALUES ('not a number');\n\
         CREATE TABLE b (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    // The failure reports its own position, in its own text.
    let error = failed(outcomes.pop().expect("third"));
    assert_eq!(error.sqlstate, "22P02");
    assert_eq!(error.position, Some(23), "{error:?}");
    outcomes.into_iter().for_each(|o| drop(applied(o)));
    let tables = |s: &mut pgspec::postgres::ApplySession| {
        s.query_strings(
            "SELECT string_agg(relname::text, ',' ORDER BY relname) FROM pg_class \
             WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'",
        )
        .expect("query")
    };
    assert_eq!(tables(&mut s), vec![vec![Some("a".to_string())]]);
    // Run alone, it reports the same.
    let alone = failed(s.apply_statement(&statements[2]).expect("apply"));
    assert_eq!(alone, error);
    let rest = s.apply_batch(&statements[3..]).expect("batch");
    assert!(rest.is_empty(), "one statement goes alone: {rest:?}");
    applied(s.apply_statement(&statements[3]).expect("apply"));
    assert_eq!(tables(&mut s), vec![vec![Some("a,b".to_string())]]);
}

#[test]
fn a_batch_leaves_a_failure_that_may_depend_on_its_block_to_run_alone() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    // A function's own error may depend on the transaction it runs in.
    applied(
        s.apply(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'refused'; END $$",
        )
        .expect("apply"),
    );
    applied(
        s.apply("CREATE TRIGGER refuse BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION refuse()")
            .expect("apply"),
    );
    let statements = statements_of(
        "CREATE TABLE before_it (x int);\n\
         INSERT INTO t VALUES (1);\n\
         CREATE TABLE after_it (x int);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    applied(outcomes.into_iter().next().expect("first"));
    let error = failed(s.apply_statement(&statements[1]).expect("apply"));
    assert_eq!(error.sqlstate, "P0001", "{error:?}");
}

#[test]
fn a_batch_whose_markers_do_not_add_up_keeps_nothing_and_batching_stops() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE a (x int)").expect("apply"));
    // A trigger that sends what looks like a batch marker.
    applied(
        s.apply(
            "CREATE FUNCTION fake() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE WARNING USING ERRCODE = '25001', \
             MESSAGE = 'there is already a transaction in progress'; RETURN NEW; END $$",
        )
        .expect("apply"),
    );
    applied(
        s.apply("CREATE TRIGGER fake BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION fake()")
            .expect("apply"),
    );
    // One marker too many before a failure: the savepoint named by the count does not exist.
    let statements = statements_of(
        "INSERT INTO a VALUES (1);\n\
         CREATE TABLE b (x int);\n\
         INSERT INTO nosuch VALUES (1);\n\
         CREATE TABLE c (x int);",
    );
    let outcomes = s.apply_batch(&statements).expect("batch");
    assert!(outcomes.is_empty(), "{outcomes:?}");
    let rows = s
        .query_strings(
            "SELECT (SELECT count(*) FROM public.a)::text, to_regclass('public.b') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![Some("0".to_string()), Some("t".to_string())]]
    );
    // From now on every statement goes alone, even a run that would have added up.
    let plain = statements_of("CREATE TABLE d (x int);\nCREATE TABLE e (x int);");
    assert!(s.apply_batch(&plain).expect("batch").is_empty());
}

#[test]
fn a_batch_keeps_the_verdict_of_a_statement_stopped_for_time() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(300);
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE n (x bigint);\n\
         INSERT INTO n SELECT g FROM generate_series(1, 1000000000000) AS g;\n\
         CREATE TABLE m (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("second"));
    assert_eq!(error.sqlstate, "57014");
    assert_eq!(
        error.message,
        "canceling statement due to statement timeout"
    );
    applied(outcomes.pop().expect("first"));
    let rows = s
        .query_strings(
            "SELECT to_regclass('public.n') IS NOT NULL, to_regclass('public.m') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![Some("t".to_string()), Some("t".to_string())]]
    );
}

#[test]
fn a_batch_checks_deferred_constraints_with_the_statement_that_broke_them() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let statements = statements_of(
        "CREATE TABLE p (id int PRIMARY KEY);\n\
         CREATE TABLE c (p int REFERENCES p DEFERRABLE INITIALLY DEFERRED);\n\
         INSERT INTO c VALUES (1);\n\
         CREATE TABLE z (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("third"));
    assert_eq!(error.sqlstate, "23503", "{error:?}");
    // Alone, the row is refused at the statement's own commit, as in the batch.
    let alone = failed(s.apply_statement(&statements[2]).expect("apply"));
    assert_eq!(alone, error);
    // The session still batches.
    let outcomes = s.apply_batch(&statements_of(
        "INSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1);",
    ));
    assert_eq!(outcomes.expect("batch").len(), 2);
}

/// Waits out one short statement bound and the terminate grace (about 2.5 s), like
/// `the_session_terminates_a_statement_that_ignores_cancel`.
#[test]
fn a_batch_statement_that_ignores_cancel_ends_like_one_run_alone() {
    let mut db = scratch(&url_server());
    db.statement_timeout = Duration::from_millis(300);
    let mut s = db.session().expect("session");
    applied(s.apply("CREATE TABLE t (x int)").expect("apply"));
    applied(s.apply(STUBBORN_TRIGGER).expect("apply"));
    applied(
        s.apply("CREATE TRIGGER spin BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION spin()")
            .expect("apply"),
    );
    applied(s.apply("SET search_path = nowhere, public").expect("apply"));
    let statements = statements_of(
        "CREATE TABLE before_it (x int);\n\
         INSERT INTO t VALUES (1);\n\
         CREATE TABLE after_it (x int);",
    );
    let mut outcomes = s.apply_batch(&statements).expect("batch");
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    let error = failed(outcomes.pop().expect("second"));
    assert_eq!(error.sqlstate, "57014");
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("terminated")),
        "{error:?}"
    );
    applied(outcomes.pop().expect("first"));
    // The statement before it is there (its batch's transaction died with the backend, so it
    // ran again); the one after it never ran; the session is a fresh one, as after a
    // statement terminated alone (the search_path set before is gone).
    let rows = s
        .query_as_document(
            "SELECT pg_catalog.current_setting('search_path'), \
             to_regclass('public.before_it') IS NOT NULL, to_regclass('public.after_it') IS NULL",
        )
        .expect("query");
    assert_eq!(
        rows,
        vec![vec![
            Some("\"$user\", public".to_string()),
            Some("t".to_string()),
            Some("t".to_string())
        ]]
    );
}
