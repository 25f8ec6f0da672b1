//! The platform a document expects (issue 13): pg_cron jobs that really run, role attributes
//! that are harmless on the private cluster, settings the document's code reads, Supabase's own
//! objects provided only where the document does not define them.

use std::time::{Duration, Instant};

use pgspec::postgres::Server;
use pgspec::{pipeline, up};

use crate::postgres::shared_cluster;

fn server() -> Server {
    Server::Url(shared_cluster().url("postgres"))
}

fn bring_up(doc: &str, database: &str) -> up::UpReport {
    up::up(
        pipeline::extract(doc.as_bytes()),
        doc.as_bytes(),
        &server(),
        database,
        true,
    )
    .unwrap_or_else(|e| panic!("up {database}: {e}"))
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client
        .query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// A job `up` schedules runs: pg_cron's launcher reaches the private cluster over its unix
/// socket (`cron.host`), runs the command in the document's database as its owner, and the
/// row it inserts appears within a minute and a bit (pg_cron 1.4 runs at most once a minute).
#[test]
fn a_job_up_schedules_really_runs() {
    if !shared_cluster()
        .bins
        .preload_libraries()
        .contains(&"pg_cron")
    {
        return; // pg_cron not installed here
    }
    let database = "pgspec_platform_cron";
    let doc = "# Ticks\n\n```sql\nCREATE EXTENSION IF NOT EXISTS pg_cron;\n\
               CREATE TABLE ticks (id serial PRIMARY KEY, by_role text DEFAULT current_user);\n\
               SELECT cron.schedule('tick', '* * * * *', $$INSERT INTO ticks DEFAULT VALUES$$);\n```\n";
    bring_up(doc, database);
    let mut db = crate::data_client(&server(), database);
    let deadline = Instant::now() + Duration::from_secs(75);
    let mut runs = 0;
    while Instant::now() < deadline {
        runs = count(&mut db, "SELECT count(*) FROM ticks");
        if runs > 0 {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let mut cron_db = crate::data_client(&server(), "postgres");
    let details: Vec<String> = cron_db
        .query(
            "SELECT d.status || ': ' || coalesce(d.return_message, '') FROM cron.job_run_details d \
             JOIN cron.job j USING (jobid) WHERE j.database = $1",
            &[&database],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    pgspec::provision::cron::unschedule_jobs(&server(), database).expect("unschedule");
    assert!(runs > 0, "the job never ran: {details:?}");
    let by: String = db
        .query_one("SELECT by_role FROM ticks LIMIT 1", &[])
        .expect("by_role")
        .get(0);
    assert_eq!(by, up::owner_role_for(database), "runs as the database's owner");
}
