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
    assert_eq!(
        by,
        up::owner_role_for(database),
        "runs as the database's owner"
    );
}

/// Settings the document's code reads and never sets get a stated placeholder, typed by the
/// cast the code applies, so its triggers run; a setting the document sets, or reads with
/// `missing_ok`, gets none.
#[test]
fn settings_read_and_never_set_get_a_stated_placeholder() {
    let database = "pgspec_platform_settings";
    let doc = "# Trends\n\n```sql\n\
        CREATE TABLE trends (id serial PRIMARY KEY, keyword text NOT NULL, tenant int);\n\
        CREATE TABLE notices (id serial PRIMARY KEY, header text, who text);\n\
        CREATE FUNCTION notify_trend() RETURNS trigger LANGUAGE plpgsql AS $$\n\
        BEGIN\n\
          INSERT INTO notices (header, who) VALUES (current_setting('app.api_key'), current_setting('jwt.claims.role', true));\n\
          NEW.tenant := current_setting('app.tenant_id')::int;\n\
          PERFORM set_config('app.mode', 'trigger', true);\n\
          RETURN NEW;\n\
        END;\n$$;\n\
        CREATE TRIGGER trends_notify BEFORE INSERT ON trends FOR EACH ROW EXECUTE FUNCTION notify_trend();\n\
        SELECT current_setting('app.mode');\n```\n";
    let report = bring_up(doc, database);
    let placeholders: Vec<(String, String)> = report
        .provisioned
        .iter()
        .filter(|a| a.kind == pgspec::provision::ActionKind::SettingPlaceholder)
        .map(|a| (a.object.clone(), a.note.clone()))
        .collect();
    let names: Vec<&str> = placeholders.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["app.api_key", "app.tenant_id"], "{placeholders:?}");
    assert!(placeholders[1].1.contains("read as int4") && placeholders[1].1.contains("'0'"));
    let mut db = crate::data_client(&server(), database);
    db.batch_execute("INSERT INTO trends (keyword) VALUES ('rust')")
        .expect("the trigger runs with the placeholders");
    let row = db
        .query_one("SELECT t.tenant, n.header FROM trends t, notices n", &[])
        .expect("one row each");
    assert_eq!(row.get::<_, Option<i32>>(0), Some(0));
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        Some("pgspec-placeholder")
    );
    // The application's own SET still decides.
    db.batch_execute("SET app.tenant_id = '7'; INSERT INTO trends (keyword) VALUES ('go')")
        .expect("insert with the application's setting");
    let tenant: Option<i32> = db
        .query_one("SELECT tenant FROM trends WHERE keyword = 'go'", &[])
        .expect("row")
        .get(0);
    assert_eq!(tenant, Some(7));
}

fn check(doc: &str) -> pgspec::check::CheckReport {
    crate::check::check_bytes(doc.as_bytes()).1
}

fn statuses(report: &pgspec::check::CheckReport) -> Vec<(u32, pgspec::check::StatementStatus)> {
    report
        .statements
        .iter()
        .map(|s| (s.line, s.status))
        .collect()
}

fn up_statuses(report: &up::UpReport) -> Vec<(u32, pgspec::check::StatementStatus)> {
    statuses(&report.check.as_ref().expect("up checked the document").1)
}

fn provided(report: &up::UpReport) -> Vec<String> {
    report
        .provisioned
        .iter()
        .filter(|a| a.kind == pgspec::provision::ActionKind::ShimCreated)
        .map(|a| a.object.clone())
        .collect()
}

/// A Supabase document: Supabase's own objects it uses (auth.users, auth.uid(), the roles,
/// supabase_realtime) are provided for `check` as for `up` — no error, one note that says
/// what was provided — and nothing it does not use (no `net`, no `storage`).
#[test]
fn supabase_objects_the_document_uses_are_provided_for_check_and_up_alike() {
    let doc = "# Notes\n\n```sql\n\
        CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), display_name text);\n\
        ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n\
        CREATE POLICY own_profile ON profiles FOR SELECT TO authenticated USING (id = auth.uid());\n\
        GRANT SELECT ON profiles TO anon;\n\
        ALTER PUBLICATION supabase_realtime ADD TABLE profiles;\n```\n";
    let checked = check(doc);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == pgspec::diagnostics::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let notes: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == pgspec::diagnostics::Code::PlatformProvided)
        .collect();
    assert_eq!(notes.len(), 1, "{:#?}", checked.diagnostics);
    for object in [
        "auth.users",
        "auth.uid()",
        "supabase_realtime",
        "authenticated",
    ] {
        assert!(notes[0].message.contains(object), "{}", notes[0].message);
    }
    assert!(!notes[0].message.contains("net") && !notes[0].message.contains("storage"));
    let report = {
        let _roles = crate::check::seed_lock();
        bring_up(doc, "pgspec_platform_supabase")
    };
    assert_eq!(up_statuses(&report), statuses(&checked));
    let provided = provided(&report);
    assert!(provided.contains(&"auth.users".to_string()), "{provided:?}");
    assert!(
        !provided
            .iter()
            .any(|p| p.contains("net") || p.contains("storage")),
        "{provided:?}"
    );
}

/// A document with its own `auth` schema keeps it: nothing of Supabase's is put in it, every
/// statement applies in `check` and in `up` (which used to replace it and fail four of them),
/// and the table `up` built is the document's.
#[test]
fn a_documents_own_auth_schema_is_not_replaced() {
    let doc = "# Own auth\n\n```sql\n\
        CREATE SCHEMA auth;\n\
        CREATE TABLE auth.users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE, password_hash text NOT NULL);\n\
        CREATE TABLE auth.sessions (id bigserial PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), token text NOT NULL);\n\
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE\n  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;\n\
        CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users (id), display_name text);\n\
        ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;\n\
        CREATE POLICY own_profile ON profiles FOR SELECT TO authenticated USING (id = auth.uid());\n```\n";
    let checked = check(doc);
    assert!(
        checked
            .statements
            .iter()
            .all(|s| s.status == pgspec::check::StatementStatus::Applied),
        "{:#?}",
        checked.statements
    );
    let report = {
        let _roles = crate::check::seed_lock();
        bring_up(doc, "pgspec_platform_own_auth")
    };
    assert_eq!(up_statuses(&report), statuses(&checked));
    let provided = provided(&report);
    assert!(
        !provided
            .iter()
            .any(|p| p == "schema auth" || p.starts_with("auth.")),
        "{provided:?}"
    );
    let mut db = crate::data_client(&server(), "pgspec_platform_own_auth");
    let columns: i64 = db
        .query_one(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'password_hash'",
            &[],
        )
        .expect("columns")
        .get(0);
    assert_eq!(columns, 1, "auth.users is the document's table");
}

/// Statements PostgreSQL refuses inside a transaction block get its real error when the
/// document wraps them in its own `BEGIN … COMMIT` (psql would fail there; pgspec applies each
/// statement in its own transaction and used to pass them), and on a partitioned parent the
/// server's own refusal; outside a block the same statement applies.
#[test]
fn statements_refused_in_a_transaction_block_get_postgresqls_error() {
    let doc = "# Tx\n\n```sql\n\
        BEGIN;\n\
        CREATE TABLE plain (id int PRIMARY KEY, at date);\n\
        CREATE INDEX CONCURRENTLY plain_at_idx ON plain (at);\n\
        COMMIT;\n\
        CREATE INDEX CONCURRENTLY plain_at_idx2 ON plain (at);\n\
        CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
        CREATE INDEX CONCURRENTLY events_at_idx ON events (at);\n```\n";
    let (document, report) = crate::check::check_bytes(doc.as_bytes());
    let status = |line: u32| {
        report
            .statements
            .iter()
            .find(|s| s.line == line)
            .map(|s| s.status)
            .unwrap_or_else(|| panic!("no statement at {line}: {:#?}", report.statements))
    };
    let error_at = |line: u32| {
        report
            .diagnostics
            .iter()
            .find(|d| {
                d.code == pgspec::diagnostics::Code::StatementRejected
                    && document.line_index.line(d.primary.range.start) == line
            })
            .map(|d| d.message.clone())
    };
    use pgspec::check::StatementStatus::{Applied, Failed};
    assert_eq!(status(6), Failed);
    assert_eq!(
        error_at(6).as_deref(),
        Some("CREATE INDEX CONCURRENTLY cannot run inside a transaction block")
    );
    assert_eq!(status(5), Applied);
    assert_eq!(status(8), Applied, "outside the block it applies");
    assert_eq!(status(10), Failed);
    assert!(
        error_at(10).is_some_and(|m| m.contains("cannot create index on partitioned table")),
        "{:#?}",
        report.diagnostics
    );
}

/// A role attribute only a superuser may give (BYPASSRLS, CREATEDB) is left out with a
/// warning instead of failing the statement, so everything granted to the role applies; the
/// role never gets the attribute.
#[test]
fn superuser_only_role_attributes_do_not_fail_the_statement() {
    let doc = "# Roles\n\n```sql\n\
        CREATE TABLE notes (id int PRIMARY KEY, body text);\n\
        CREATE ROLE pgspec_platform_admin WITH NOLOGIN BYPASSRLS CREATEDB;\n\
        GRANT SELECT ON notes TO pgspec_platform_admin;\n```\n";
    let (_, report) = crate::check::check_bytes(doc.as_bytes());
    assert!(
        report
            .statements
            .iter()
            .all(|s| s.status == pgspec::check::StatementStatus::Applied),
        "{:#?}",
        report.statements
    );
    let warning = report
        .diagnostics
        .iter()
        .find(|d| d.code == pgspec::diagnostics::Code::UnsafeStatement)
        .expect("a warning says what was left out");
    assert!(warning.message.contains("BYPASSRLS"), "{}", warning.message);
    let report = {
        let _roles = crate::check::seed_lock();
        bring_up(doc, "pgspec_platform_roles")
    };
    let mut db = crate::data_client(&server(), "pgspec_platform_roles");
    let row = db
        .query_one(
            "SELECT rolbypassrls, rolcreatedb, has_table_privilege('pgspec_platform_admin', 'notes', 'SELECT') \
             FROM pg_roles WHERE rolname = 'pgspec_platform_admin'",
            &[],
        )
        .expect("the role exists");
    assert_eq!(
        (
            row.get::<_, bool>(0),
            row.get::<_, bool>(1),
            row.get::<_, bool>(2)
        ),
        (false, false, true),
        "{:?}",
        report.roles
    );
    pgspec::up::down(&server(), "pgspec_platform_roles").expect("down");
}

/// `verify` calls the document's functions after `seed` and reports a failure at the failing
/// line inside the body (from the server's PL/pgSQL context), not at the CREATE FUNCTION.
#[test]
fn verify_reports_a_failing_function_at_the_failing_line_of_its_body() {
    let database = "pgspec_platform_verify";
    let doc = "# Points\n\n```sql\n\
        CREATE TABLE accounts (id bigint PRIMARY KEY, points int NOT NULL DEFAULT 0);\n\
        CREATE FUNCTION average_points(p_id bigint) RETURNS int LANGUAGE plpgsql AS $$\n\
        DECLARE total int;\n\
        BEGIN\n\
          SELECT points INTO total FROM accounts WHERE id = p_id;\n\
          RETURN total / (SELECT count(*) - count(*) FROM accounts);\n\
        END;\n$$;\n```\n";
    {
        let _roles = crate::check::seed_lock();
        bring_up(doc, database);
    }
    let extracted = pipeline::extract(doc.as_bytes());
    let options = pgspec::seed::SeedOptions {
        rows: 20,
        ..pgspec::seed::SeedOptions::default()
    };
    pgspec::seed::seed(
        &extracted.document,
        &extracted.statements,
        &server(),
        database,
        &options,
        &mut pgspec::seed::NoProgress,
    )
    .expect("seed runs");
    let report = pgspec::verify::verify(
        &extracted.document,
        &extracted.statements,
        &server(),
        database,
    )
    .expect("verify runs");
    let claim = report
        .claims
        .iter()
        .find(|c| c.title.contains("average_points"))
        .unwrap_or_else(|| panic!("{:#?}", report.claims));
    assert_eq!(claim.status, pgspec::verify::Status::Fail, "{claim:#?}");
    let failing_line = doc
        .lines()
        .position(|l| l.contains("RETURN total /"))
        .and_then(|i| u32::try_from(i + 1).ok())
        .expect("the failing line");
    assert_eq!(claim.line, failing_line, "{claim:#?}");
    assert!(
        claim.reason.as_deref().is_some_and(
            |r| r.contains("division by zero") && r.contains("line 5 of the function's body")
        ),
        "{claim:#?}"
    );
    pgspec::up::down(&server(), database).expect("down");
}
