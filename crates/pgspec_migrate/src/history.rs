//! What the target database remembers: the `pgspec_migrate.pgspec_migrations` table (one row
//! per applied file: version, file name, checksum, applied time, duration) and the advisory
//! lock that lets one `migrate apply` or `migrate down` at a time change a database.

use std::time::{Duration, Instant};

use pgspec_postgres::client::{Client, GenericClient};

use crate::Error;

/// The schema of pgspec's own table; never part of a plan (diff leaves it out).
pub const SCHEMA: &str = "pgspec_migrate";
pub const TABLE: &str = "pgspec_migrations";
/// How far an unfinished file got: one row per file (and direction) whose steps outside a
/// transaction let it stop part-way, removed with the file's record.
pub const PROGRESS: &str = "pgspec_migration_progress";

/// The advisory lock's key (the bytes of "pgspecmi"): advisory locks are per database, so one
/// key serves every database.
const LOCK_KEY: i64 = 0x7067_7370_6563_6d69;

/// One row of the history.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AppliedRow {
    pub version: u32,
    pub file_name: String,
    pub checksum: String,
    /// `applied_at` as the server prints it.
    pub applied_at: String,
    pub duration_ms: i64,
    /// Recorded without running: the database already had that schema.
    pub baseline: bool,
}

fn server_error(doing: &str, e: &pgspec_postgres::client::Error) -> Error {
    Error::new(format!(
        "{doing}: {}",
        pgspec_postgres::cluster::error_text(e)
    ))
}

/// The applied rows, oldest version first; none when the table does not exist yet.
pub fn read(client: &mut impl GenericClient) -> Result<Vec<AppliedRow>, Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{SCHEMA}.{TABLE}")],
        )
        .map_err(|e| server_error("reading the migration history", &e))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!(
                "SELECT version, file_name, checksum, applied_at::text, duration_ms, baseline \
                 FROM {SCHEMA}.{TABLE} ORDER BY version"
            ),
            &[],
        )
        .map_err(|e| server_error("reading the migration history", &e))?;
    Ok(rows
        .iter()
        .map(|r| AppliedRow {
            version: u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
            file_name: r.get(1),
            checksum: r.get(2),
            applied_at: r.get(3),
            duration_ms: r.get(4),
            baseline: r.get(5),
        })
        .collect())
}

/// Create the history table if it is missing (under the lock: two first runs do not race).
pub fn ensure(client: &mut Client) -> Result<(), Error> {
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {SCHEMA};
             CREATE TABLE IF NOT EXISTS {SCHEMA}.{TABLE} (
                 version integer PRIMARY KEY,
                 file_name text NOT NULL,
                 checksum text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now(),
                 duration_ms bigint NOT NULL,
                 baseline boolean NOT NULL DEFAULT false
             );
             CREATE TABLE IF NOT EXISTS {SCHEMA}.{PROGRESS} (
                 version integer NOT NULL,
                 direction text NOT NULL,
                 checksum text NOT NULL,
                 steps_done integer NOT NULL,
                 PRIMARY KEY (version, direction)
             );"
        ))
        .map_err(|e| server_error("creating the migration history table", &e))
}

pub fn record(
    client: &mut impl GenericClient,
    version: u32,
    file_name: &str,
    checksum: &str,
    duration: Duration,
    baseline: bool,
) -> Result<(), Error> {
    let version = i32::try_from(version).map_err(|_| Error::new("version out of range"))?;
    let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    client
        .execute(
            &format!(
                "INSERT INTO {SCHEMA}.{TABLE} (version, file_name, checksum, duration_ms, baseline) \
                 VALUES ($1, $2, $3, $4, $5)"
            ),
            &[&version, &file_name, &checksum, &ms, &baseline],
        )
        .map_err(|e| server_error(&format!("recording {file_name}"), &e))?;
    Ok(())
}

pub fn forget(client: &mut impl GenericClient, version: u32) -> Result<(), Error> {
    let version = i32::try_from(version).map_err(|_| Error::new("version out of range"))?;
    client
        .execute(
            &format!("DELETE FROM {SCHEMA}.{TABLE} WHERE version = $1"),
            &[&version],
        )
        .map_err(|e| server_error("removing a version from the history", &e))?;
    Ok(())
}

/// Which way a file runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// The steps of `version` (run `direction`, the file's bytes `checksum`) an earlier run
/// finished before it stopped; 0 when none (or the file changed since).
pub fn steps_done(
    client: &mut impl GenericClient,
    version: u32,
    direction: Direction,
    checksum: &str,
) -> Result<usize, Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{SCHEMA}.{PROGRESS}")],
        )
        .map_err(|e| server_error("reading the migration progress", &e))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version = i32::try_from(version).map_err(|_| Error::new("version out of range"))?;
    let row = client
        .query_opt(
            &format!(
                "SELECT steps_done FROM {SCHEMA}.{PROGRESS} \
                 WHERE version = $1 AND direction = $2 AND checksum = $3"
            ),
            &[&version, &direction.as_str(), &checksum],
        )
        .map_err(|e| server_error("reading the migration progress", &e))?;
    Ok(row.map_or(0, |r| usize::try_from(r.get::<_, i32>(0)).unwrap_or(0)))
}

/// Record that the first `done` steps of `version` ran (`None`: the file is finished, the row
/// goes).
pub fn set_steps_done(
    client: &mut impl GenericClient,
    version: u32,
    direction: Direction,
    checksum: &str,
    done: Option<usize>,
) -> Result<(), Error> {
    let version = i32::try_from(version).map_err(|_| Error::new("version out of range"))?;
    let result = match done {
        Some(n) => {
            let n = i32::try_from(n).map_err(|_| Error::new("step out of range"))?;
            client.execute(
                &format!(
                    "INSERT INTO {SCHEMA}.{PROGRESS} (version, direction, checksum, steps_done) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (version, direction) \
                     DO UPDATE SET checksum = EXCLUDED.checksum, steps_done = EXCLUDED.steps_done"
                ),
                &[&version, &direction.as_str(), &checksum, &n],
            )
        }
        None => client.execute(
            &format!("DELETE FROM {SCHEMA}.{PROGRESS} WHERE version = $1 AND direction = $2"),
            &[&version, &direction.as_str()],
        ),
    };
    result
        .map(|_| ())
        .map_err(|e| server_error("recording the migration progress", &e))
}

/// Take the advisory lock, waiting at most `timeout`; `waiting` is called once with the pid of
/// the holder when the lock is busy.
pub fn lock(
    client: &mut Client,
    timeout: Duration,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut told = false;
    loop {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .map_err(|e| server_error("taking the migration lock", &e))?
            .get(0);
        if got {
            return Ok(());
        }
        if !told {
            let holder = pgspec_postgres::catalog::probes::advisory_lock_holder(client, LOCK_KEY)
                .ok()
                .flatten();
            waiting(holder);
            told = true;
        }
        if start.elapsed() >= timeout {
            return Err(Error::new(format!(
                "another `pgspec migrate` holds this database's migration lock; gave up after {} s (--lock-timeout)",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn unlock(client: &mut Client) {
    let _ = client.query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
}
