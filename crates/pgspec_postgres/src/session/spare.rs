//! Spare databases on the private cluster: one made ahead of time, while the previous run was
//! busy with its document, and taken by the next run with a rename instead of a
//! `CREATE DATABASE` (which copies template0: ~30 ms, a tenth of a warm `check`).
//!
//! A spare is `pgspec_spare_…`, owned by the bootstrap superuser and closed to connections
//! (`ALLOW_CONNECTIONS false`) until it is taken, so nothing can put anything into it in the
//! meantime; a database that does not meet all three is never taken. Only on the embedded
//! cluster: pgspec leaves nothing of its own on a server it was given by URL.

use super::admin::{cleanup_stale, create_database_with};
use super::*;

/// Name prefix of spare databases.
const SPARE_PREFIX: &str = "pgspec_spare";

/// How many spares the cluster keeps at most (concurrent runs may each make one).
const MAX_SPARES: i64 = 2;

/// Spare databases that may be taken: pgspec's name, owned by the connected superuser, closed.
const TAKEABLE: &str = "SELECT d.datname FROM pg_catalog.pg_database d \
     WHERE d.datname LIKE 'pgspec\\_spare\\_%' AND NOT d.datallowconn \
     AND d.datdba OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) \
     ORDER BY d.datname";

/// Take a spare as database `name`, owned by `owner` when given: Some(whether `owner` owns
/// it now), or None when there is no spare to take (the caller creates the database).
pub(super) fn take(admin: &mut Client, name: &str, owner: Option<&str>) -> Option<bool> {
    let spares = simple_rows(admin, TAKEABLE).ok()?;
    for spare in spares
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        let mut sql = format!(
            "BEGIN; ALTER DATABASE {spare} RENAME TO {name}; ALTER DATABASE {name} ALLOW_CONNECTIONS true; ",
            spare = quote_ident(&spare),
            name = quote_ident(name)
        );
        if let Some(owner) = owner {
            sql.push_str(&format!(
                "ALTER DATABASE {} OWNER TO {}; ",
                quote_ident(name),
                quote_ident(owner)
            ));
        }
        sql.push_str("COMMIT");
        match admin.batch_execute(&sql) {
            Ok(()) => return Some(owner.is_some()),
            Err(_) => {
                // Taken by a concurrent run meanwhile (or the owner is refused): next one.
                let _ = admin.batch_execute("ROLLBACK");
            }
        }
    }
    None
}

/// The background work of a run on the private cluster, on a connection of its own: remove
/// what dead runs left ([`cleanup_stale`]) and spares that can never be taken while the run
/// works on its document, then, once the run is done with its database (the
/// [`Housekeeping::release`] of its drop or promotion), make a spare for the next run
/// (`spares`) unless the cluster has enough: the copy then does not compete with the run's
/// own statements for the cores.
///
/// The process does not wait for it at exit (that would cost a `CREATE DATABASE`, ~30 ms,
/// every run). That is safe: the server finishes a command whose client has gone (this
/// connection turns off its periodic client check, and its name is not one that
/// [`crate::orphans::terminate_orphans`] ends), and `CREATE DATABASE` is atomic, so the next
/// run finds a whole spare or none; what is left undone is the next run's to do.
pub(super) fn housekeeping(
    maintenance: postgres::Config,
    spares: bool,
    file_copy: bool,
) -> Housekeeping {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let work = std::thread::spawn(move || {
        let mut config = maintenance;
        config.application_name(&format!("pgspec-housekeeping/{}", std::process::id()));
        let Ok(mut admin) = config.connect(NoTls) else {
            return;
        };
        // Not supported before PostgreSQL 14 (the setting is then not set either).
        let _ = admin.batch_execute("SET client_connection_check_interval = 0");
        cleanup_stale(&mut admin);
        drop_unusable(&mut admin);
        if spares {
            // Returns when the run releases it (or is gone without doing so).
            let _ = released.recv();
            make_spare(&mut admin, file_copy);
        }
    });
    Housekeeping {
        work: Some(work),
        release: Some(release),
    }
}

/// The handle of a run's [`housekeeping`].
pub(super) struct Housekeeping {
    work: Option<std::thread::JoinHandle<()>>,
    release: Option<std::sync::mpsc::Sender<()>>,
}

impl Housekeeping {
    /// The run is done with its database: the spare may be made now.
    pub(super) fn release(&mut self) {
        self.release.take();
    }

    /// Release it and wait until it is done.
    pub(super) fn wait(&mut self) {
        self.release();
        if let Some(work) = self.work.take() {
            let _ = work.join();
        }
    }
}

/// Make one spare unless the cluster has [`MAX_SPARES`].
fn make_spare(admin: &mut Client, file_copy: bool) {
    let count = simple_rows(
        admin,
        "SELECT count(*) FROM pg_catalog.pg_database WHERE datname LIKE 'pgspec\\_spare\\_%'",
    )
    .ok()
    .and_then(|rows| rows.first().cloned())
    .and_then(|row| row.first().cloned().flatten())
    .and_then(|n| n.parse::<i64>().ok())
    .unwrap_or(MAX_SPARES);
    if count >= MAX_SPARES {
        return;
    }
    // Closed from its first moment (one statement: it exists closed or not at all). Copied
    // file by file where the server can (PostgreSQL 15+): the default, through shared buffers
    // and WAL, leaves ~900 dirty buffers that the checkpoint of the next `DROP DATABASE` (the
    // run's own scratch database, while the user waits) would write out.
    let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
    let _ = create_database_with(
        admin,
        &unique_name(SPARE_PREFIX),
        None,
        &format!(" ALLOW_CONNECTIONS false{strategy}"),
    );
}

/// Drop spares that can never be taken (open to connections, or owned by someone else) and
/// those beyond [`MAX_SPARES`]. Best effort, part of the stale cleanup.
pub(super) fn drop_unusable(admin: &mut Client) {
    let Ok(all) = simple_rows(
        admin,
        "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE 'pgspec\\_spare\\_%' ORDER BY datname",
    ) else {
        return;
    };
    let takeable: Vec<String> = simple_rows(admin, TAKEABLE)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let keep: Vec<&String> = takeable.iter().take(MAX_SPARES as usize).collect();
    for name in all
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        if !keep.contains(&&name) {
            let _ = super::admin::drop_database(admin, &name, true);
        }
    }
}
