//! Statements and commands bounded in time: cancel, terminate, `--timeout`, a killed pgspec, an interrupted run.

use super::*;

/// A loop that swallows every cancel request: only pg_terminate_backend ends it. The blocks
/// nest because a cancel that lands while the inner handler runs (outside the inner block; a
/// loaded server can take the session's own timeout and pgspec's cancel close together) would
/// otherwise end the statement as a plain cancel: CI saw that once in 2026-12.
pub(super) const STUBBORN_LOOP: &str = "DO $$ BEGIN LOOP BEGIN \
     LOOP BEGIN PERFORM pg_sleep(1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; \
     EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$";

/// [`STUBBORN_LOOP`] in a trigger function that also lifts its own timeout.
pub(super) const STUBBORN_TRIGGER: &str =
    "CREATE FUNCTION spin() RETURNS trigger LANGUAGE plpgsql AS $$ \
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
pub(super) fn url_server_as(user: &str) -> Server {
    let url = shared_cluster().url("postgres");
    Server::Url(url.replacen("postgres@", &format!("{user}@"), 1))
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
