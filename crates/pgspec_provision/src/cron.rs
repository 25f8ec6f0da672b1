//! pg_cron jobs for `up`: the document's `cron.schedule(...)` calls, scheduled for real in the
//! server's cron database with `cron.schedule_in_database`, running in the document's database
//! as its owner (never as a superuser). Job names carry the database name, so `down` and a
//! later `up` find exactly this document's jobs.

use crate::postgres::{ClusterError, Server};
use crate::sql::cron::CronSchedule;

use super::{ActionKind, ProvisionAction};

/// The prefix of every job name `up` gives the jobs of `database`.
pub fn job_prefix(database: &str) -> String {
    format!("{database}:")
}

fn server_error(e: crate::postgres::client::Error) -> ClusterError {
    // The server's own message, not the driver's "db error".
    match e.as_db_error() {
        Some(db) => ClusterError::Server(db.message().to_string()),
        None => ClusterError::Server(e.to_string()),
    }
}

/// The cron database of the server, when pg_cron is loaded there.
fn cron_database(server: &Server, database: &str) -> Result<Option<String>, ClusterError> {
    let mut client = server.admin_client(database)?;
    let loaded = client
        .query_one(
            "SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_cron($|[ ,])'",
            &[],
        )
        .map_err(server_error)?
        .get::<_, bool>(0);
    if !loaded {
        return Ok(None);
    }
    let name = client
        .query_one("SELECT current_setting('cron.database_name', true)", &[])
        .map_err(server_error)?
        .get::<_, Option<String>>(0);
    Ok(Some(name.unwrap_or_else(|| "postgres".into())))
}

/// Schedule `jobs` (document line, schedule) to run in `database`, replacing the jobs an
/// earlier `up` of the same database scheduled.
pub fn schedule_jobs(
    server: &Server,
    database: &str,
    jobs: &[(u32, CronSchedule)],
) -> Result<Vec<ProvisionAction>, ClusterError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let Some(cron_db) = cron_database(server, database)? else {
        return Ok(jobs
            .iter()
            .map(|(line, job)| {
                ProvisionAction::skipped(
                    job_label(*line, job),
                    "not scheduled: pg_cron is not in this server's shared_preload_libraries",
                )
            })
            .collect());
    };
    let mut client = server.admin_client(&cron_db)?;
    client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        .map_err(server_error)?;
    unschedule_jobs_with(&mut client, database)?;
    let owner = crate::postgres::catalog::probes::database_owner(&mut client, database)
        .map_err(server_error)?;
    let mut out = Vec::new();
    for (line, job) in jobs {
        let name = format!(
            "{}{}",
            job_prefix(database),
            job.name.clone().unwrap_or_else(|| format!("line-{line}"))
        );
        let sql = "SELECT cron.schedule_in_database($1, $2, $3, $4, $5, true)";
        match client.query_one(
            sql,
            &[&name, &job.schedule, &job.command, &database, &owner],
        ) {
            Ok(_) => out.push(ProvisionAction::new(
                ActionKind::CronJobScheduled,
                name,
                format!(
                    "SELECT cron.schedule_in_database('{}', '{}', …, '{database}')",
                    job.name.as_deref().unwrap_or(""),
                    job.schedule
                ),
                format!("line {line}: runs `{}` as {owner}", one_line(&job.command)),
            )),
            Err(e) => out.push(ProvisionAction::skipped(
                name,
                format!("line {line}: pg_cron refused the job: {e}"),
            )),
        }
    }
    Ok(out)
}

/// Remove the jobs `up` scheduled for `database` (on `down`, or before scheduling again).
pub fn unschedule_jobs(server: &Server, database: &str) -> Result<usize, ClusterError> {
    let Some(cron_db) = cron_database(server, &server.maintenance_dbname())? else {
        return Ok(0);
    };
    let mut client = server.admin_client(&cron_db)?;
    let installed = crate::postgres::catalog::probes::extension_installed(&mut client, "pg_cron")
        .map_err(server_error)?;
    if !installed {
        return Ok(0);
    }
    unschedule_jobs_with(&mut client, database)
}

fn unschedule_jobs_with(
    client: &mut crate::postgres::client::Client,
    database: &str,
) -> Result<usize, ClusterError> {
    let pattern = format!("{}%", like_escape(&job_prefix(database)));
    let rows = client
        .query(
            "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE $1 AND database = $2",
            &[&pattern, &database],
        )
        .map_err(server_error)?;
    Ok(rows.len())
}

/// How many jobs `up` scheduled for `database` exist now.
pub fn count_jobs(server: &Server, database: &str) -> Result<Option<u64>, ClusterError> {
    let Some(cron_db) = cron_database(server, &server.maintenance_dbname())? else {
        return Ok(None);
    };
    let mut client = server.admin_client(&cron_db)?;
    let installed: bool = client
        .query_one("SELECT to_regclass('cron.job') IS NOT NULL", &[])
        .map_err(server_error)?
        .get(0);
    if !installed {
        return Ok(Some(0));
    }
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM cron.job WHERE database = $1",
            &[&database],
        )
        .map_err(server_error)?
        .get(0);
    Ok(Some(u64::try_from(count).unwrap_or(0)))
}

fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn job_label(line: u32, job: &CronSchedule) -> String {
    job.name
        .clone()
        .unwrap_or_else(|| format!("cron job at line {line}"))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
