//! The private cluster: psql on its socket, temporary clusters, spare databases and their template, the extensions it offers.

use super::*;

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
pub(super) struct Destroy(PathBuf, PgBinaries);

impl Drop for Destroy {
    fn drop(&mut self) {
        let _ = Cluster::destroy_at(&self.0, &self.1);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
#[allow(clippy::print_stderr)]
pub(super) fn ensure_initializes_reuses_stops_and_destroys() {
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

    // What a server killed with its files in place leaves: a pid file that says `ready` for a
    // process that is gone, and its socket file. pgspec does not take it for a running server
    // (it reads the pid file instead of connecting when it can): it starts the server again.
    let data = root.join(format!("pg{}/data", bins.major()));
    let mut ended = std::process::Command::new("true").spawn().expect("spawn");
    let gone = ended.id();
    ended.wait().expect("wait");
    let socket_dir = root.join(format!("pg{}/run", bins.major()));
    std::fs::write(
        data.join("postmaster.pid"),
        format!(
            "{gone}\n{}\n1\n5432\n{}\n\n  0  0\nready   \n",
            data.display(),
            socket_dir.display()
        ),
    )
    .expect("stale pid file");
    std::fs::write(socket_dir.join(".s.PGSQL.5432"), "").expect("stale socket file");
    let cluster = Cluster::ensure(&root, &bins).expect("starts over the stale files");
    let server = Server::Embedded(cluster);
    scratch(&server)
        .drop_now()
        .expect("a database on the started server");
    let Server::Embedded(cluster) = server else {
        unreachable!()
    };
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
pub(super) fn text_rows(server: &Server, sql: &str) -> Vec<String> {
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
    // Copied from pgspec's template: closed, no role but the superuser may connect, and the
    // copy starts with the relation cache file the template was given.
    let template = || {
        rows(
            "SELECT concat_ws(',', datallowconn, has_database_privilege('public', oid, 'CONNECT'), \
             pg_get_userbyid(datdba)) FROM pg_database WHERE datname = 'pgspec_template'",
        )
    };
    assert_eq!(template(), ["f,f,postgres"]);
    let cache_file = |oid: &str| {
        rows(&format!(
            "SELECT ((pg_stat_file('base/{oid}/pg_internal.init', true)).size IS NOT NULL)::text"
        ))
    };
    assert_eq!(
        cache_file(&spares[0]),
        ["true"],
        "the spare has its cache file"
    );
    // Left open to everyone (by hand): the next run closes it again before copying it.
    server
        .admin_client("postgres")
        .expect("admin")
        .batch_execute(
            "ALTER DATABASE pgspec_template ALLOW_CONNECTIONS true; \
             GRANT CONNECT ON DATABASE pgspec_template TO PUBLIC",
        )
        .expect("open the template");
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
    assert_eq!(template(), ["f,f,postgres"], "closed again");
}

/// A database named like pgspec's template that the superuser does not own is never copied:
/// spares then come from template0, without what its owner put in it.
#[test]
fn a_template_someone_else_owns_is_not_copied() {
    let cluster = Cluster::temporary(&binaries()).expect("temporary");
    let server = Server::Embedded(cluster);
    let mut admin = server.admin_client("postgres").expect("admin");
    let maker = unique("maker");
    admin
        .batch_execute(&format!("CREATE ROLE {maker} LOGIN CREATEDB"))
        .expect("role");
    admin
        .batch_execute(&format!("CREATE DATABASE pgspec_template OWNER {maker}"))
        .expect("a foreign template");
    let mut foreign = server.admin_client("pgspec_template").expect("connect");
    foreign
        .batch_execute("CREATE TABLE public.planted (x int)")
        .expect("plant");
    drop(foreign);
    ScratchDatabase::create(&server, "pgspec_test")
        .expect("scratch")
        .drop_now()
        .expect("drop");
    let spares = text_rows(
        &server,
        "SELECT count(*)::text FROM pg_database WHERE datname LIKE 'pgspec\\_spare\\_%'",
    );
    assert_eq!(spares, ["1"], "the next run takes a spare");
    let mut db = ScratchDatabase::create(&server, "pgspec_test").expect("scratch");
    let mut s = db.session().expect("session");
    let planted = s
        .query_strings("SELECT count(*) FROM pg_class WHERE relname = 'planted'")
        .expect("query");
    assert_eq!(
        planted,
        [vec![Some("0".to_string())]],
        "nothing of it in the run's database"
    );
    drop(s);
    db.wait_for_housekeeping();
    db.drop_now().expect("drop");
    let owner = text_rows(
        &server,
        "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = 'pgspec_template'",
    );
    assert_eq!(owner, [maker], "left alone");
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
             FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') \
             AND NOT (datname = 'pgspec_template' AND datdba = 'postgres'::regrole \
             AND NOT (datallowconn AND has_database_privilege('public', oid, 'CONNECT'))) \
             ORDER BY 1",
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
    // the server finishes it. Its own database and roles are gone when it exits. A run that
    // exits before its background connection sent the copy leaves it to the next run (by
    // design): under a loaded machine several runs in a row can, so runs go on (at most 12)
    // until a spare is there.
    for run in 0..12 {
        check(&["--cluster-dir", &root]);
        assert!(
            !databases().iter().any(|d| d.starts_with("pgspec_check")),
            "{:?}",
            databases()
        );
        assert_eq!(roles(), Vec::<String>::new());
        if run >= 3 && databases().iter().any(|d| d.starts_with("pgspec_spare_")) {
            break;
        }
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
pub(super) fn timings() {
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

/// The control-file reader behind `CREATE EXTENSION`'s checks says what the
/// `pg_available_extension_versions` view says, for every extension the server offers.
#[test]
fn extension_control_files_answer_as_the_view_does() {
    let db = scratch(&url_server());
    let mut s = db.session().expect("session");
    let rows = s
        .query_strings(
            "SELECT v.name, v.trusted::text, (v.schema IS NOT NULL)::text \
             FROM pg_available_extension_versions v JOIN pg_available_extensions a \
             ON a.name = v.name AND a.default_version = v.version ORDER BY 1",
        )
        .expect("the view");
    assert!(rows.len() > 10, "{rows:?}");
    let flag = |v: &Option<String>| v.as_deref() == Some("true");
    for row in &rows {
        let name = row[0].clone().expect("name");
        let expected = (flag(&row[1]), flag(&row[2]));
        assert_eq!(
            s.extension_control(&name).expect("control"),
            expected,
            "{name}"
        );
    }
    assert_eq!(
        s.extension_control("no_such_extension").expect("control"),
        (false, false)
    );
    drop(s);
    db.drop_now().expect("drop");
}
