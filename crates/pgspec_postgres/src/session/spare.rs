//! Spare databases on the private cluster: one made ahead of time, while the previous run was
//! busy with its document, and taken by the next run with a rename instead of a
//! `CREATE DATABASE` (which copies template0: ~30 ms, a tenth of a warm `check`).
//!
//! A spare is `pgspec_spare_…`, owned by the bootstrap superuser and closed to connections
//! (`ALLOW_CONNECTIONS false`) until it is taken, so nothing can put anything into it in the
//! meantime; a database that does not meet all three is never taken. Only on the embedded
//! cluster: pgspec leaves nothing of its own on a server it was given by URL.
//!
//! On PostgreSQL 15+ spares are file copies of `pgspec_template`, an empty database of the
//! superuser's that no other role may connect to, kept with its relation cache file
//! (`pg_internal.init`): a copy starts with that file, so the run's first connections to its
//! database do not each build their relation cache from the catalogs (template0, which nobody
//! connects to, never has the file; the server removes every such file when it starts).

use super::admin::{cleanup_stale, create_database_with};
use super::*;

/// Name prefix of spare databases.
const SPARE_PREFIX: &str = "pgspec_spare";

/// The database spares are copied from on PostgreSQL 15+ ([`warm_template`]).
const TEMPLATE: &str = "pgspec_template";

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
            let template = file_copy
                .then(|| warm_template(&mut admin, &config))
                .flatten();
            make_spare(&mut admin, file_copy, template);
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

/// The database spares are copied from ([`TEMPLATE`]) once it exists, is the connected
/// superuser's and admits no other role; None (spares are then copied from template0, as
/// before) when it cannot be made so. Brings its relation cache file back when the server
/// removed it (at every start).
fn warm_template(admin: &mut Client, maintenance: &postgres::Config) -> Option<&'static str> {
    // Each step is one statement and the next run repairs what one left half done: the
    // process does not wait for this work at exit (see `housekeeping`). It is closed to
    // connections from its first moment, and PUBLIC loses CONNECT before it is ever opened.
    let name = quote_ident(TEMPLATE);
    let state = match template_state(admin)? {
        Some(state) => state,
        None => {
            let _ = create_database_with(admin, TEMPLATE, None, " ALLOW_CONNECTIONS false");
            template_state(admin)??
        }
    };
    if !state.ours {
        return None;
    }
    if state.public
        && admin
            .batch_execute(&format!("REVOKE ALL ON DATABASE {name} FROM PUBLIC"))
            .is_err()
    {
        return None;
    }
    if !state.warm {
        // The server writes the file when the first connection has built its cache.
        let opened = state.open
            || admin
                .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .is_ok();
        if opened {
            let mut config = maintenance.clone();
            config.dbname(TEMPLATE);
            drop(config.connect(NoTls));
        }
    }
    if state.open || !state.warm {
        let _ = admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    }
    Some(TEMPLATE)
}

/// What [`warm_template`] needs to know of the template.
struct TemplateState {
    /// The connected superuser owns it.
    ours: bool,
    /// PUBLIC may connect to it (when it is open).
    public: bool,
    /// It holds its relation cache file.
    warm: bool,
    /// It is open to connections.
    open: bool,
}

/// The template's state: Some(None) when there is none, None when the server does not answer.
fn template_state(admin: &mut Client) -> Option<Option<TemplateState>> {
    let rows = simple_rows(
        admin,
        &format!(
            "SELECT (d.datdba OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_roles \
             WHERE rolname OPERATOR(pg_catalog.=) current_user))::text, \
             pg_catalog.has_database_privilege('public', d.oid, 'CONNECT')::text, \
             ((pg_catalog.pg_stat_file('base/' OPERATOR(pg_catalog.||) d.oid \
             OPERATOR(pg_catalog.||) '/pg_internal.init', true)).size IS NOT NULL)::text, \
             d.datallowconn::text \
             FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) {}",
            quote_literal(TEMPLATE)
        ),
    )
    .ok()?;
    let Some(row) = rows.into_iter().next() else {
        return Some(None);
    };
    let flag = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("true");
    Some(Some(TemplateState {
        ours: flag(0),
        public: flag(1),
        warm: flag(2),
        open: flag(3),
    }))
}

/// Make one spare unless the cluster has [`MAX_SPARES`], copied from `template` when given
/// (else from template0), file by file when `file_copy`.
fn make_spare(admin: &mut Client, file_copy: bool, template: Option<&str>) {
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
    let name = unique_name(SPARE_PREFIX);
    if let Some(template) = template {
        let copied = admin.batch_execute(&format!(
            "CREATE DATABASE {} TEMPLATE {} ALLOW_CONNECTIONS false STRATEGY FILE_COPY",
            quote_ident(&name),
            quote_ident(template)
        ));
        if copied.is_ok() {
            return;
        }
    }
    let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
    let _ = create_database_with(
        admin,
        &name,
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
