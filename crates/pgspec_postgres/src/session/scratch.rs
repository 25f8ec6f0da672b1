//! A database created for one run, owned by a role without attributes, and dropped with the
//! roles the run created; or promoted to the database `up` keeps.

use super::admin::{execute_terminating, fail_swap_for_tests, role_names_by_oid};
use super::*;

/// What it takes to drop a scratch database from another thread: the registry of the ones
/// this process has neither dropped nor promoted yet, for a run that is interrupted.
struct Live {
    name: String,
    maintenance: postgres::Config,
    force_drop: bool,
    owner: String,
    run_owner: Option<u32>,
    created_roles: Arc<Mutex<Vec<(u32, String)>>>,
}

/// The scratch databases of this process that still exist. `promote` holds the lock while it
/// renames, so an interruption never drops a database that has just become `up`'s.
static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

/// Drop every scratch database this process created and has neither dropped nor promoted,
/// with the roles it created, for a run that is being interrupted (Ctrl-C, SIGTERM, its
/// --timeout). Returns the names of the databases dropped, and the errors of those that
/// could not be (the server stopped, say).
pub fn drop_live_scratch_databases() -> (Vec<String>, Vec<String>) {
    let mut live = lock(&LIVE);
    let mut dropped = Vec::new();
    let mut failed = Vec::new();
    for l in live.drain(..) {
        let mut roles = std::mem::take(&mut *lock(&l.created_roles));
        if let Some(oid) = l.run_owner {
            roles.push((oid, l.owner.clone()));
        }
        match drop_scratch(&l.maintenance, None, &l.name, l.force_drop, &roles) {
            Ok(()) => dropped.push(l.name),
            Err(e) => failed.push(format!("{}: {e}", l.name)),
        }
    }
    (dropped, failed)
}

/// Drop database `name` and the roles in `roles` (by OID: a role the document renamed is
/// still the one this run created, and a role that took the old name is not), on `open` (the
/// connection that created it) when it is still usable.
fn drop_scratch(
    maintenance: &postgres::Config,
    open: Option<Client>,
    name: &str,
    force_drop: bool,
    roles: &[(u32, String)],
) -> Result<(), ClusterError> {
    let mut admin = open_or_connect(open, maintenance)?;
    drop_database(&mut admin, name, force_drop)
        .map_err(|e| ClusterError::Server(format!("cannot drop {name}: {}", error_text(&e))))?;
    let mut failed = Vec::new();
    for (_, role) in role_names_by_oid(&mut admin, roles) {
        if let Err(e) = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role)))
        {
            failed.push(format!("{role}: {}", error_text(&e)));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(ClusterError::Server(format!(
            "cannot drop roles: {}",
            failed.join("; ")
        )))
    }
}

/// `open` while it is still usable, else a new connection to the maintenance database.
fn open_or_connect(
    open: Option<Client>,
    maintenance: &postgres::Config,
) -> Result<Client, ClusterError> {
    match open.filter(|c| !c.is_closed()) {
        Some(client) => Ok(client),
        None => connect(maintenance, "the maintenance database"),
    }
}

/// A database created for one run and dropped (with the roles the run created) on drop.
pub struct ScratchDatabase {
    pub name: String,
    /// `statement_timeout` of the sessions opened after this is set (0: none).
    pub statement_timeout: Duration,
    /// `lock_timeout` of the sessions opened after this is set (0: none).
    pub lock_timeout: Duration,
    /// Who runs the document's SQL.
    pub app_identity: AppIdentity,
    /// URL of the database (no password), e.g. for `psql`.
    pub(super) url: String,
    pub(super) maintenance: postgres::Config,
    pub(super) admin: postgres::Config,
    pub(super) app: postgres::Config,
    pub(super) force_drop: bool,
    /// The role that owns the database.
    pub(super) owner: String,
    /// OID of the owner when this run created it only for itself (dropped with the database).
    pub(super) run_owner: Option<u32>,
    /// Roles this run created (OID, name at creation), dropped by OID with the database.
    pub(super) created_roles: Arc<Mutex<Vec<(u32, String)>>>,
    pub(super) dropped: bool,
    /// The background work of this run on the private cluster ([`spare::housekeeping`]): not
    /// waited for, but by [`Self::wait_for_housekeeping`] and [`Self::drop_now`].
    pub(super) housekeeping: Option<spare::Housekeeping>,
    /// The maintenance connection that created the database, kept to drop it (a connection
    /// less per run).
    pub(super) maintenance_client: Option<Client>,
}

impl std::fmt::Debug for ScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("owner", &self.owner)
            .field("app_identity", &self.app_identity)
            .finish_non_exhaustive()
    }
}

impl ScratchDatabase {
    /// Create a fresh, uniquely named database on `server`, owned by a role of this run only.
    pub fn create(server: &Server, prefix: &str) -> Result<Self, ClusterError> {
        Self::create_owned(server, prefix, &OwnerSpec::Run)
    }

    /// Create a fresh, uniquely named database on `server` owned as `owner` says. The
    /// document's SQL runs over the owner's own login (unix socket on the embedded cluster; a
    /// password pgspec sets for this run on a URL server). On a URL server where that login is
    /// impossible, the URL's user runs the document only if it could not harm anything else
    /// (no superuser or role-creating attribute, no membership, owns nothing); otherwise this
    /// refuses with an explanation.
    #[allow(clippy::too_many_lines)]
    pub fn create_owned(
        server: &Server,
        prefix: &str,
        owner_spec: &OwnerSpec,
    ) -> Result<Self, ClusterError> {
        let maintenance_db = server.maintenance_dbname();
        let maintenance = server.config(&maintenance_db)?;
        let mut admin = connect(&maintenance, &server.describe(&maintenance_db))?;
        let server_error = |e: postgres::Error| ClusterError::Server(error_text(&e));
        admin
            .batch_execute(&timeout_settings(
                DEFAULT_STATEMENT_TIMEOUT,
                DEFAULT_LOCK_TIMEOUT,
            ))
            .map_err(server_error)?;
        let info = simple_rows(
            &mut admin,
            "SELECT pg_catalog.current_setting('server_version_num'), (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user), current_user",
        )
        .map_err(server_error)?;
        let info = info.first().cloned().unwrap_or_default();
        let version_num: u32 = info
            .first()
            .cloned()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let superuser = info.get(1).cloned().flatten().as_deref() == Some("t");
        let admin_user = info.get(2).cloned().flatten().unwrap_or_default();

        // A password only matters where the server asks for one (never on the embedded
        // cluster's socket); it lives in this process only.
        let password = (!server.is_embedded()).then(random_password);
        let name = unique_name(prefix);
        // Why the run has no role of its own, for the refusal that may follow.
        let mut no_role_because = None;
        let (owner, run_owner) = match owner_spec {
            OwnerSpec::Run => {
                let role = unique_name("pgspec_run");
                // Once more after a failure: a concurrent run's housekeeping (dropping dead
                // runs' roles and databases) can make one attempt fail under load.
                match create_run_role(&mut admin, &role, password.as_deref(), superuser)
                    .or_else(|_| create_run_role(&mut admin, &role, password.as_deref(), superuser))
                {
                    Ok(oid) => (Some(role), Some(oid)),
                    Err(e) => {
                        no_role_because = Some(error_text(&e));
                        (None, None)
                    }
                }
            }
            OwnerSpec::Persistent { role, database } => {
                ensure_owner_role(&mut admin, role, database, password.as_deref(), superuser)
                    .map_err(|e| {
                        ClusterError::Server(format!(
                            "cannot prepare the owner role {role} of {database}: {e}"
                        ))
                    })?;
                (Some(role.clone()), None)
            }
        };
        let drop_run_owner = |admin: &mut Client| {
            if let (Some(role), Some(_)) = (&owner, run_owner) {
                let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(role)));
            }
        };
        // Spares only on the private cluster, whose superuser renames and re-owns them.
        let spares = server.is_embedded() && superuser;
        // A spare made by an earlier run is renamed into place; else created now.
        let spare = spares
            .then(|| spare::take(&mut admin, &name, owner.as_deref()))
            .flatten();
        let created = match spare {
            Some(owned) => Ok(owned),
            None => create_database(&mut admin, &name, owner.as_deref()),
        };
        let owned = match created {
            Ok(owned) => owned,
            Err(e) => {
                drop_run_owner(&mut admin);
                return Err(ClusterError::Server(format!(
                    "cannot create the scratch database {name}: {}",
                    error_text(&e)
                )));
            }
        };
        let marker = format!(
            "{DATABASE_MARKER} (pid {}, {})",
            std::process::id(),
            os::pid_namespace()
        );
        let _ = admin.batch_execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&name),
            quote_literal(&marker)
        ));
        let owner_name = if owned {
            owner.clone().unwrap_or_default()
        } else {
            admin_user.clone()
        };
        let mut scratch = ScratchDatabase {
            url: server.url(&name),
            statement_timeout: crate::limits::get().statement_timeout,
            lock_timeout: crate::limits::get().lock_timeout,
            app_identity: AppIdentity::User(admin_user.clone()),
            maintenance: maintenance.clone(),
            admin: server.config(&name)?,
            app: server.app_config(&name)?,
            force_drop: version_num >= 130_000,
            owner: owner_name,
            run_owner: if owned { run_owner } else { None },
            created_roles: Arc::new(Mutex::new(Vec::new())),
            dropped: false,
            // What dead runs left is removed, and the next run's spare made, while this one
            // works on its document.
            housekeeping: server
                .is_embedded()
                .then(|| spare::housekeeping(maintenance.clone(), spares, version_num >= 150_000)),
            maintenance_client: None,
            name,
        };
        if !owned {
            drop_run_owner(&mut admin);
        }
        scratch.register();
        if owned {
            // Never offer the URL user's password for another role.
            let mut as_role = without_password(&scratch.app);
            as_role.user(&scratch.owner);
            if let Some(p) = &password {
                as_role.password(p.as_bytes());
            }
            // The private cluster trusts its socket (initdb -A trust): the login is not tried
            // first there, a connection less per run.
            let login = if server.is_embedded() {
                Ok(())
            } else {
                as_role.connect(NoTls).map(drop)
            };
            match login {
                Ok(()) => {
                    scratch.app = as_role;
                    scratch.app_identity = AppIdentity::Role(scratch.owner.clone());
                    scratch.maintenance_client = Some(admin);
                    return Ok(scratch);
                }
                Err(e) => {
                    let why = format!(
                        "pgspec cannot log in as {}: {}",
                        scratch.owner,
                        error_text(&e)
                    );
                    return Err(ClusterError::Server(refusal(&why)));
                }
            }
        }
        // No role of its own: the URL's user runs the document, if it cannot harm anything.
        if let Some(why) = user_is_unsafe(&mut admin, &scratch.name) {
            let _ = scratch.cleanup();
            let because = no_role_because.map_or_else(String::new, |e| format!(" ({e})"));
            return Err(ClusterError::Server(refusal(&format!(
                "pgspec could not create a role for this run{because}, and {admin_user} {why}"
            ))));
        }
        scratch.maintenance_client = Some(admin);
        Ok(scratch)
    }

    /// Known to [`drop_live_scratch_databases`] until it is dropped or promoted.
    fn register(&self) {
        lock(&LIVE).push(Live {
            name: self.name.clone(),
            maintenance: self.maintenance.clone(),
            force_drop: self.force_drop,
            owner: self.owner.clone(),
            run_owner: self.run_owner,
            created_roles: Arc::clone(&self.created_roles),
        });
    }

    /// The role that owns the database and runs the document's SQL.
    pub fn owner_role(&self) -> &str {
        &self.owner
    }

    /// URL of the scratch database (without a password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Open a session on it.
    pub fn session(&self) -> Result<ApplySession, ClusterError> {
        let settings = timeout_settings(self.statement_timeout, self.lock_timeout);
        let deadline = Deadline::new(Some(self.maintenance.clone()));
        // Both at once: the first connections to a new database build its catalog caches,
        // a few milliseconds each.
        let (admin_config, admin_settings) = (self.admin.clone(), settings.clone());
        // Its notices are nobody's: it runs only pgspec's own queries.
        let mut background_config = self.admin.clone();
        background_config.notice_callback(|_| {});
        let background = background::Background::open(background_config, settings.clone());
        // Every check asks first which extensions the server has: read while the session's
        // other connections open.
        let available = background.ask(|client| simple_rows(client, AVAILABLE_EXTENSIONS).ok());
        let (admin, app) = std::thread::scope(|scope| {
            let admin = scope.spawn(move || Conn::open(admin_config, admin_settings, None));
            let app = Conn::open(self.app.clone(), settings.clone(), Some(deadline.stepper()));
            let admin = admin
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (admin, app)
        });
        let (admin, app) = (admin?, app?);
        Ok(ApplySession {
            app,
            admin,
            database: self.name.clone(),
            owner: self.owner.clone(),
            created_roles: Arc::clone(&self.created_roles),
            deadline,
            watchdog_after: watchdog_after(self.statement_timeout),
            last_error_context: None,
            batching_off: false,
            background: Some(background),
            extension_controls: ExtensionControls::Unknown,
            available_extensions: AvailableExtensions::Asked(available),
            warm_catalog: WarmCatalog::No,
        })
    }

    /// Names (at creation) of the roles created through [`ApplySession::apply_as_superuser`]
    /// so far (dropped with the database).
    pub fn created_roles(&self) -> Vec<String> {
        lock(&self.created_roles)
            .iter()
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Keep the database as `final_name` instead of dropping it (what `pgspec up` does once the
    /// document applied): renamed, commented with `comment`, and the roles it created re-marked
    /// as belonging to `final_name`. When a database `final_name` exists already it is renamed
    /// aside in the same transaction, so either the new database is in place or nothing
    /// changed; the old one is returned by its new name for the caller to drop. Close every
    /// session on both first. Returns the created roles (names as they are now) and the
    /// old database's new name.
    pub fn promote(
        mut self,
        final_name: &str,
        comment: &str,
    ) -> Result<(Vec<String>, Option<String>), ClusterError> {
        if let Some(work) = &mut self.housekeeping {
            work.release();
        }
        // Held to the end: an interruption meanwhile waits, then finds the database promoted
        // (or still a scratch database, if the rename failed).
        let mut live = lock(&LIVE);
        let mut admin = open_or_connect(self.maintenance_client.take(), &self.maintenance)?;
        let server_error = |e: postgres::Error| ClusterError::Server(error_text(&e));
        let exists = !simple_rows(
            &mut admin,
            &format!(
                "SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) {}",
                quote_literal(final_name)
            ),
        )
        .map_err(server_error)?
        .is_empty();
        let aside = exists.then(|| unique_name("pgspec_old"));
        let roles = std::mem::take(&mut *lock(&self.created_roles));
        // Roles by their current names (the document may have renamed them).
        let current = role_names_by_oid(&mut admin, &roles);
        let mut sql = String::from("BEGIN; ");
        if let Some(aside) = &aside {
            // Marked as this run's scratch database: if the run dies before dropping it, the
            // next run's stale cleanup does.
            let marker = format!(
                "{DATABASE_MARKER} (pid {}, {})",
                std::process::id(),
                os::pid_namespace()
            );
            sql.push_str(&format!(
                "ALTER DATABASE {a0} RENAME TO {a}; COMMENT ON DATABASE {a} IS {m}; ",
                a0 = quote_ident(final_name),
                a = quote_ident(aside),
                m = quote_literal(&marker)
            ));
        }
        sql.push_str(&format!(
            "ALTER DATABASE {} RENAME TO {}; COMMENT ON DATABASE {} IS {}; ",
            quote_ident(&self.name),
            quote_ident(final_name),
            quote_ident(final_name),
            quote_literal(comment)
        ));
        for (_, role) in &current {
            sql.push_str(&format!(
                "COMMENT ON ROLE {} IS {}; ",
                quote_ident(role),
                quote_literal(&format!("{ROLE_MARKER} (database {final_name})"))
            ));
        }
        sql.push_str("COMMIT");
        let busy: Vec<&str> = if exists {
            vec![self.name.as_str(), final_name]
        } else {
            vec![self.name.as_str()]
        };
        let result = if fail_swap_for_tests() {
            Err(ClusterError::Server(format!(
                "cannot rename {} to {final_name}: failure simulated by PGSPEC_TEST_FAIL_SWAP",
                self.name
            )))
        } else {
            execute_terminating(&mut admin, &sql, &busy).map_err(server_error)
        };
        if let Err(e) = result {
            // Dropped with the database on drop (the old one is untouched).
            *lock(&self.created_roles) = roles;
            return Err(e);
        }
        self.dropped = true;
        live.retain(|l| l.name != self.name);
        drop(live);
        self.name = final_name.to_string();
        Ok((current.into_iter().map(|(_, n)| n).collect(), aside))
    }

    /// Drop the database and the roles this run created now, reporting failure (dropping the
    /// value does the same, silently), and wait for the background work
    /// ([`Self::wait_for_housekeeping`]).
    pub fn drop_now(mut self) -> Result<(), ClusterError> {
        let dropped = self.cleanup();
        self.wait_for_housekeeping();
        dropped
    }

    /// Wait until what dead runs left is removed and the next run's spare is made (for a
    /// caller that looks at the cluster next; a run itself never waits).
    pub fn wait_for_housekeeping(&mut self) {
        if let Some(work) = &mut self.housekeeping {
            work.wait();
        }
    }

    fn cleanup(&mut self) -> Result<(), ClusterError> {
        if let Some(work) = &mut self.housekeeping {
            work.release();
        }
        // Past --timeout the timer's thread removes what is live and says so; a drop here
        // would race it (its statements fail as the timer ends them).
        if self.dropped || crate::orphans::CommandTimer::expired() {
            return Ok(());
        }
        self.dropped = true;
        lock(&LIVE).retain(|l| l.name != self.name);
        let mut roles = std::mem::take(&mut *lock(&self.created_roles));
        if let Some(oid) = self.run_owner {
            roles.push((oid, self.owner.clone()));
        }
        drop_scratch(
            &self.maintenance,
            self.maintenance_client.take(),
            &self.name,
            self.force_drop,
            &roles,
        )
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}
