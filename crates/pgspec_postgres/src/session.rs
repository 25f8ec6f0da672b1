//! Scratch databases and applying statements one at a time.
//!
//! Security model: the document's SQL runs as the database's owner role, a LOGIN role without
//! any attribute (NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS) that owns
//! this one database and nothing else — a role of the run (`pgspec_run_…`, dropped with the
//! scratch database) or `up`'s `pgspec_owner_<hash>` of the database it made — over its own
//! login (not `SET ROLE`/`SET SESSION AUTHORIZATION`, which the document could undo), so one
//! document's SQL cannot drop or change another document's database. PostgreSQL itself then refuses `COPY … PROGRAM`, server
//! file access, `ALTER SYSTEM`, untrusted languages. Only statements pgspec vetted run on the
//! superuser connection ([`ApplySession::apply_as_superuser`]).
//!
//! Every statement runs under `statement_timeout`/`lock_timeout`; a client-side watchdog
//! ([`Deadline`]) cancels a statement that outlives the timeout (the document may
//! `SET statement_timeout = 0`, as pg_dump output does) and terminates its backend when it
//! ignores the cancel request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use postgres::{Client, NoTls, SimpleQueryMessage};

use crate::diagnostics::PgDetails;
use crate::sql::safety::PrivilegedOp;

use super::cluster::error_text;
use super::deadline::{backend_pid, Deadline, Stop};
pub use super::error::Notice;
use super::error::{notice, pg_details, ErrorContext};
use super::{os, ClusterError, Server};

/// The role that owned every scratch database before each database got an owner of its own
/// ([`ScratchDatabase::owner_role`], [`ApplySession::owner_role`]). No longer created.
pub const APPLY_ROLE: &str = "pgspec_apply";
pub use super::limits::{DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT};
/// Marks scratch databases (COMMENT ON DATABASE) so a later run can drop those of dead runs.
const DATABASE_MARKER: &str = "pgspec scratch database";
/// Marks roles a scratch run created (COMMENT ON ROLE), with the database they belong to.
pub const ROLE_MARKER: &str = "pgspec scratch role";
/// Marks the owner role of one run's database, with the run's pid (dropped when it dies).
const RUN_OWNER_MARKER: &str = "pgspec run owner";
/// Marks the owner role of a database `up` made (dropped by `down`).
const UP_OWNER_MARKER: &str = "pgspec up owner";

/// The server's verdict on one statement.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per statement, moved once
pub enum Outcome {
    Applied {
        notices: Vec<Notice>,
    },
    Failed {
        error: PgDetails,
        notices: Vec<Notice>,
    },
}

impl Outcome {
    /// The notices, whatever the verdict.
    pub fn notices(&self) -> &[Notice] {
        match self {
            Outcome::Applied { notices } | Outcome::Failed { notices, .. } => notices,
        }
    }

    /// The error, if the statement failed.
    pub fn error(&self) -> Option<&PgDetails> {
        match self {
            Outcome::Applied { .. } => None,
            Outcome::Failed { error, .. } => Some(error),
        }
    }

    /// Whether the statement was applied.
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied { .. })
    }
}

/// Whether pgspec may run a privileged operation for the document in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivilegeCheck {
    Run,
    /// The operation asks for what is already there (a membership between roles that existed
    /// before the run): nothing to run, nothing changed.
    AlreadyInPlace,
    /// Never run, with the reason.
    Refuse(String),
}

/// Who runs the document's SQL on the app connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppIdentity {
    /// Its own login as the database's owner role (always on the embedded cluster).
    Role(String),
    /// The URL's user itself: pgspec could not create a role for the run, and the user is no
    /// superuser, may not create roles, belongs to no role and owns nothing else.
    User(String),
}

impl AppIdentity {
    /// Whether the document's SQL runs as a role pgspec made for it.
    pub fn is_isolated(&self) -> bool {
        matches!(self, AppIdentity::Role(_))
    }

    /// A sentence for the user when the document's SQL does not run as a role of its own.
    pub fn note(&self) -> Option<String> {
        match self {
            AppIdentity::Role(_) => None,
            AppIdentity::User(user) => Some(format!(
                "statements run as {user}: pgspec could not create a role for this run on this server ({user} owns nothing else and has no privileged attribute)"
            )),
        }
    }
}

/// Who owns a database pgspec makes (and runs the document's SQL in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerSpec {
    /// A LOGIN role of this run only (unique name, no attributes), dropped with the database:
    /// `check`, `sql`, `model`, the scratch build of `up`.
    Run,
    /// A role that outlives the run (`up`'s `pgspec_owner_<hash>`): created if missing, marked
    /// as `up`'s owner of `database`, stripped of attributes and stray memberships when reused.
    Persistent { role: String, database: String },
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
    url: String,
    maintenance: postgres::Config,
    admin: postgres::Config,
    app: postgres::Config,
    force_drop: bool,
    /// The role that owns the database.
    owner: String,
    /// OID of the owner when this run created it only for itself (dropped with the database).
    run_owner: Option<u32>,
    /// Roles this run created (OID, name at creation), dropped by OID with the database.
    created_roles: Arc<Mutex<Vec<(u32, String)>>>,
    dropped: bool,
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

        if server.is_embedded() {
            cleanup_stale(&mut admin);
        }
        // A password only matters where the server asks for one (never on the embedded
        // cluster's socket); it lives in this process only.
        let password = (!server.is_embedded()).then(random_password);
        let name = unique_name(prefix);
        let (owner, run_owner) = match owner_spec {
            OwnerSpec::Run => {
                let role = unique_name("pgspec_run");
                match create_run_role(&mut admin, &role, password.as_deref(), superuser) {
                    Ok(oid) => (Some(role), Some(oid)),
                    Err(_) => (None, None),
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
        let owned = match create_database(&mut admin, &name, owner.as_deref()) {
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
            statement_timeout: super::limits::get().statement_timeout,
            lock_timeout: super::limits::get().lock_timeout,
            app_identity: AppIdentity::User(admin_user.clone()),
            maintenance,
            admin: server.config(&name)?,
            app: server.app_config(&name)?,
            force_drop: version_num >= 130_000,
            owner: owner_name,
            run_owner: if owned { run_owner } else { None },
            created_roles: Arc::new(Mutex::new(Vec::new())),
            dropped: false,
            name,
        };
        if !owned {
            drop_run_owner(&mut admin);
        }
        if owned {
            // Never offer the URL user's password for another role.
            let mut as_role = without_password(&scratch.app);
            as_role.user(&scratch.owner);
            if let Some(p) = &password {
                as_role.password(p.as_bytes());
            }
            match as_role.connect(NoTls) {
                Ok(_) => {
                    scratch.app = as_role;
                    scratch.app_identity = AppIdentity::Role(scratch.owner.clone());
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
            return Err(ClusterError::Server(refusal(&format!(
                "pgspec could not create a role for this run, and {admin_user} {why}"
            ))));
        }
        Ok(scratch)
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
        let admin = Conn::open(self.admin.clone(), settings.clone())?;
        let app = Conn::open(self.app.clone(), settings)?;
        Ok(ApplySession {
            app,
            admin,
            database: self.name.clone(),
            owner: self.owner.clone(),
            created_roles: Arc::clone(&self.created_roles),
            deadline: Deadline::new(Some(self.maintenance.clone())),
            watchdog_after: watchdog_after(self.statement_timeout),
            last_error_context: None,
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
        let mut admin = connect(&self.maintenance, "the maintenance database")?;
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
        self.name = final_name.to_string();
        Ok((current.into_iter().map(|(_, n)| n).collect(), aside))
    }

    /// Drop the database and the roles this run created now, reporting failure
    /// (dropping the value does the same, silently).
    pub fn drop_now(mut self) -> Result<(), ClusterError> {
        self.cleanup()
    }

    fn cleanup(&mut self) -> Result<(), ClusterError> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        let mut admin = connect(&self.maintenance, "the maintenance database")?;
        drop_database(&mut admin, &self.name, self.force_drop).map_err(|e| {
            ClusterError::Server(format!("cannot drop {}: {}", self.name, error_text(&e)))
        })?;
        let mut roles = std::mem::take(&mut *lock(&self.created_roles));
        if let Some(oid) = self.run_owner {
            roles.push((oid, self.owner.clone()));
        }
        // By OID: a role the document renamed is still the one this run created, and a role
        // that took the old name is not.
        let mut failed = Vec::new();
        for (_, role) in role_names_by_oid(&mut admin, &roles) {
            if let Err(e) =
                admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role)))
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
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = self.cleanup();
    }
}

/// Two connections to the scratch database: `app` (non-superuser owner of the database, which
/// runs the document's SQL, so `COPY … PROGRAM` and server file access are refused by
/// PostgreSQL itself) and `admin` (superuser, only for statements pgspec vetted: CREATE
/// EXTENSION of installed extensions, CREATE ROLE without privileges).
///
/// Each statement runs in its own implicit transaction; if a statement leaves a transaction
/// block open (`BEGIN`), it is committed (or rolled back if it failed) right after, so one
/// statement never poisons the next.
pub struct ApplySession {
    app: Conn,
    admin: Conn,
    database: String,
    /// The role the document's SQL runs as (owner of the database).
    owner: String,
    created_roles: Arc<Mutex<Vec<(u32, String)>>>,
    deadline: Deadline,
    watchdog_after: Option<Duration>,
    last_error_context: Option<ErrorContext>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Execute,
    Prepare,
}

impl ApplySession {
    /// Run one statement as the app role in its own implicit transaction (simple protocol).
    pub fn apply(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        self.run(false, sql, Mode::Execute)
    }

    /// Run SQL that pgspec itself wrote (never document text: that goes through
    /// [`Self::apply_privileged`]) as superuser. Roles it creates are recorded and dropped with
    /// the scratch database.
    pub fn apply_as_superuser(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        let before = self.role_oids()?;
        // The connection's search_path is pg_catalog, pg_temp: pgspec's SQL names the schema
        // of everything it creates.
        let outcome = self.run(true, sql, Mode::Execute)?;
        if let Ok(after) = self.role_oids() {
            let mut new: Vec<(u32, String)> = after
                .into_iter()
                .filter(|(oid, _)| !before.contains_key(oid))
                .collect();
            new.sort();
            for (oid, role) in new {
                let marker = format!("{ROLE_MARKER} (database {})", self.database);
                let _ = self.admin.client.batch_execute(&format!(
                    "COMMENT ON ROLE {} IS {}",
                    quote_ident(&role),
                    quote_literal(&marker)
                ));
                lock(&self.created_roles).push((oid, role));
            }
            self.admin.take_notices();
        }
        Ok(outcome)
    }

    /// The role that owns the database and runs the document's SQL (`apply`, `prepare`).
    pub fn owner_role(&self) -> &str {
        &self.owner
    }

    /// OIDs of the roles this run created so far (through [`Self::apply_as_superuser`]): the
    /// only roles besides [`Self::owner_role`] that a document may alter, grant or drop. By
    /// OID, because the document may rename them.
    pub fn created_role_oids(&self) -> Vec<u32> {
        lock(&self.created_roles)
            .iter()
            .map(|(oid, _)| *oid)
            .collect()
    }

    /// Whether pgspec may run `op` for the document in this run: every role it touches must
    /// have been created by this run (the run's owner role may only receive a membership).
    /// A membership that is already in place between roles that existed before is nothing to do.
    pub fn privilege_check(&mut self, op: &PrivilegedOp) -> Result<PrivilegeCheck, ClusterError> {
        let created = lock(&self.created_roles).clone();
        let changed = op.roles_changed();
        let mut foreign = Vec::new();
        for role in op.roles_from_run() {
            let ours = created.iter().any(|(_, c)| c == role);
            let owner = role == self.owner && !changed.contains(&role);
            if !ours && !owner {
                foreign.push(role);
            }
        }
        if foreign.is_empty() {
            return Ok(PrivilegeCheck::Run);
        }
        if let PrivilegedOp::Membership {
            grant: true,
            roles,
            members,
            ..
        } = op
        {
            if self.memberships_exist(roles, members)? {
                return Ok(PrivilegeCheck::AlreadyInPlace);
            }
        }
        let list = foreign
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let owner_note = if foreign.iter().any(|r| *r == self.owner) {
            format!(
                " ({} is the role pgspec runs this database's document as)",
                self.owner
            )
        } else {
            String::new()
        };
        Ok(PrivilegeCheck::Refuse(format!(
            "it changes {list}{owner_note}, which this run did not create; pgspec changes only roles the document created in this run"
        )))
    }

    /// Run a privileged operation pgspec built for the document (see [`crate::sql::safety`]),
    /// after [`Self::privilege_check`] allowed it. Installed *trusted* extensions are created
    /// as the document's own role; everything else on the administrative connection, whose
    /// `search_path` the document cannot influence. Roles it creates, renames or drops are
    /// tracked, so the run's cleanup drops exactly the roles it made.
    pub fn apply_privileged(&mut self, op: &PrivilegedOp) -> Result<Outcome, ClusterError> {
        if let PrivilegeCheck::Refuse(reason) = self.privilege_check(op)? {
            return Err(ClusterError::Server(format!(
                "pgspec refused a privileged operation: {reason}"
            )));
        }
        let sql = match op {
            PrivilegedOp::CreateExtension { name, schema, .. } => {
                let (trusted, fixed_schema) = self.extension_control(name)?;
                let mut op = op.clone();
                if schema.is_none() && !fixed_schema {
                    // Where the document's own CREATE EXTENSION would have put it (the
                    // administrative connection's own search_path is pg_catalog, pg_temp).
                    let current = self.app_creation_schema();
                    if let PrivilegedOp::CreateExtension { schema, .. } = &mut op {
                        *schema = Some(current);
                    }
                }
                let sql = op.to_sql(&self.database);
                if trusted {
                    return self.run(false, &sql, Mode::Execute);
                }
                sql
            }
            _ => op.to_sql(&self.database),
        };
        let outcome = self.run(true, &sql, Mode::Execute)?;
        if outcome.is_applied() {
            // Recorded by OID: cleanup drops the role this run made whatever its name then.
            let oid = match op {
                PrivilegedOp::CreateRole { name, .. } => self.role_oid(name)?,
                _ => None,
            };
            let mut created = lock(&self.created_roles);
            match op {
                PrivilegedOp::CreateRole { name, .. } => {
                    if let Some(oid) = oid {
                        created.push((oid, name.clone()));
                    }
                }
                PrivilegedOp::RenameRole { from, to } => {
                    for (_, role) in created.iter_mut().filter(|(_, r)| r == from) {
                        role.clone_from(to);
                    }
                }
                PrivilegedOp::DropRole { names, .. } => {
                    created.retain(|(_, r)| !names.contains(r));
                }
                _ => {}
            }
            drop(created);
            if let Some(role) = op.created_role() {
                let marker = format!("{ROLE_MARKER} (database {})", self.database);
                let _ = self.admin.client.batch_execute(&format!(
                    "COMMENT ON ROLE {} IS {}",
                    quote_ident(role),
                    quote_literal(&marker)
                ));
                self.admin.take_notices();
            }
        }
        Ok(outcome)
    }

    /// Whether an installed extension is trusted (its owner role may create it) and whether
    /// its control file fixes its schema.
    fn extension_control(&mut self, name: &str) -> Result<(bool, bool), ClusterError> {
        let rows = self.query_strings(&format!(
            "SELECT v.trusted, v.schema IS NOT NULL FROM pg_catalog.pg_available_extension_versions v \
             JOIN pg_catalog.pg_available_extensions a ON a.name = v.name AND a.default_version = v.version \
             WHERE v.name = {}",
            quote_literal(name)
        ))?;
        let row = rows.into_iter().next().unwrap_or_default();
        let flag = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("t");
        Ok((flag(0), flag(1)))
    }

    fn role_oid(&mut self, name: &str) -> Result<Option<u32>, ClusterError> {
        Ok(self
            .query_strings(&format!(
                "SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}",
                quote_literal(name)
            ))?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten())
            .and_then(|v| v.parse().ok()))
    }

    fn memberships_exist(
        &mut self,
        roles: &[String],
        members: &[String],
    ) -> Result<bool, ClusterError> {
        for role in roles {
            for member in members {
                let rows = self.query_strings(&format!(
                    "SELECT 1 FROM pg_catalog.pg_auth_members m \
                     JOIN pg_catalog.pg_roles r ON r.oid = m.roleid \
                     JOIN pg_catalog.pg_roles u ON u.oid = m.member \
                     WHERE r.rolname = {} AND u.rolname = {}",
                    quote_literal(role),
                    quote_literal(member)
                ))?;
                if rows.is_empty() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Prepare (parse + analyze, never execute) an example query as the app role, with
    /// parameter types inferred; deallocates it.
    pub fn prepare(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        self.run(false, sql, Mode::Prepare)
    }

    /// Names of extensions available for CREATE EXTENSION on this server.
    pub fn available_extensions(&mut self) -> Result<Vec<String>, ClusterError> {
        self.names("SELECT name FROM pg_available_extensions ORDER BY name")
    }

    /// Names of extensions created in the scratch database.
    pub fn installed_extensions(&mut self) -> Result<Vec<String>, ClusterError> {
        self.names("SELECT extname FROM pg_extension ORDER BY extname")
    }

    /// Run a catalog query on the superuser connection (simple protocol) and return every
    /// row's values as text (NULL as `None`). For pgspec's own queries, never the document's.
    pub fn query_strings(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, ClusterError> {
        let result = simple_rows(&mut self.admin.client, sql);
        self.admin.take_notices();
        match result {
            Ok(rows) => Ok(rows),
            Err(e) => {
                if self.admin.client.is_closed() {
                    self.admin.reconnect()?;
                }
                Err(ClusterError::Server(format!(
                    "{} (in pgspec's query `{sql}`)",
                    error_text(&e)
                )))
            }
        }
    }

    /// Run pgspec's own typed catalog reads on the superuser connection (search_path
    /// `pg_catalog, pg_temp`): for [`crate::postgres::catalog`], never for document text.
    pub(crate) fn with_admin<T>(
        &mut self,
        read: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, ClusterError> {
        let result = read(&mut self.admin.client);
        self.admin.take_notices();
        result.map_err(|e| {
            if self.admin.client.is_closed() {
                let _ = self.admin.reconnect();
            }
            ClusterError::Server(format!("{} (in pgspec's catalog query)", error_text(&e)))
        })
    }

    /// The schema the document's role creates unqualified objects in (`current_schema()` on
    /// the app connection), `public` if it has none.
    fn app_creation_schema(&mut self) -> String {
        let schema = simple_rows(&mut self.app.client, "SELECT pg_catalog.current_schema()")
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten());
        self.app.take_notices();
        // Never a system schema (the document may have put pg_catalog first on its path).
        schema
            .filter(|s| !s.starts_with("pg_") && s != "information_schema")
            .unwrap_or_else(|| "public".to_string())
    }

    /// Run pgspec's own query on the document's connection, as the document's role: for
    /// queries whose evaluation may run document code (plans, checks of function bodies,
    /// views, the document's tables), which must never run on the superuser connection.
    /// Rows as text; the statement is bounded like any other.
    pub fn query_as_document(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Vec<Option<String>>>, ClusterError> {
        let conn = &mut self.app;
        conn.take_notices();
        if let Some(after) = self.watchdog_after {
            self.deadline
                .arm(conn.client.cancel_token(), conn.pid, after);
        }
        let result = simple_rows(&mut conn.client, sql);
        let stopped = self.deadline.disarm();
        if conn.client.is_closed() {
            conn.reconnect()?;
        } else {
            conn.settle_transaction();
        }
        result.map_err(|e| {
            let mut text = format!("{} (in pgspec's query `{sql}`)", error_text(&e));
            if let Some(stop) = stopped {
                text.push_str(&format!("; {stop}"));
            }
            ClusterError::Server(text)
        })
    }

    /// Start the app connection afresh (drops session state a statement changed: settings,
    /// search_path, temporary tables, prepared statements).
    pub fn reset_app_session(&mut self) -> Result<(), ClusterError> {
        self.app.reconnect()
    }

    /// The scratch database's name.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// CONTEXT and internal query of the last failed statement, if the server sent them.
    pub fn last_error_context(&self) -> Option<&ErrorContext> {
        self.last_error_context.as_ref()
    }

    fn names(&mut self, sql: &str) -> Result<Vec<String>, ClusterError> {
        Ok(self
            .query_strings(sql)?
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect())
    }

    fn role_oids(&mut self) -> Result<HashMap<u32, String>, ClusterError> {
        Ok(self
            .query_strings("SELECT oid, rolname FROM pg_catalog.pg_roles")?
            .into_iter()
            .filter_map(|row| {
                let oid = row.first().cloned().flatten()?.parse().ok()?;
                Some((oid, row.get(1).cloned().flatten()?))
            })
            .collect())
    }

    fn run(&mut self, superuser: bool, sql: &str, mode: Mode) -> Result<Outcome, ClusterError> {
        let conn = if superuser {
            &mut self.admin
        } else {
            &mut self.app
        };
        conn.take_notices(); // stale ones (setup, earlier housekeeping)
        if let Some(after) = self.watchdog_after {
            self.deadline
                .arm(conn.client.cancel_token(), conn.pid, after);
        }
        let result = match mode {
            Mode::Execute => conn.client.batch_execute(sql),
            Mode::Prepare => conn.client.prepare(sql).map(drop),
        };
        let stopped = self.deadline.disarm();
        if let Some(stop @ Stop::Terminated { .. }) = stopped {
            // The statement ignored the cancel request and its backend was ended: a failed
            // statement (the document's fault), on a fresh connection.
            conn.reconnect()?;
            self.last_error_context = None;
            return Ok(Outcome::Failed {
                error: PgDetails {
                    sqlstate: "57014".to_string(),
                    message: "canceling statement: it outlived its time bound and ignored the cancel request".to_string(),
                    hint: Some(stop.to_string()),
                    ..PgDetails::default()
                },
                notices: Vec::new(),
            });
        }
        let notices = conn.take_notices();
        self.last_error_context = None;
        let outcome = match &result {
            Ok(()) => Ok(Outcome::Applied { notices }),
            Err(e) => match e.as_db_error() {
                Some(db) => {
                    let mut error = pg_details(db);
                    if let (Some(stop), None) = (stopped, &error.hint) {
                        error.hint = Some(stop.to_string());
                    }
                    let context = ErrorContext::from_db_error(db);
                    self.last_error_context = (!context.is_empty()).then_some(context);
                    Ok(Outcome::Failed { error, notices })
                }
                None => Err(error_text(e)),
            },
        };
        let fatal = result
            .as_ref()
            .err()
            .and_then(|e| e.as_db_error())
            .is_some_and(|db| {
                matches!(
                    db.parsed_severity(),
                    Some(postgres::error::Severity::Fatal | postgres::error::Severity::Panic)
                )
            });
        if fatal || conn.client.is_closed() {
            // The statement (or a crash) ended the backend. Whether the server's FATAL
            // message arrives before the socket closes is a race, so report the same either
            // way: reconnect so the session stays usable, then return ConnectionLost.
            conn.reconnect()?;
            let message = match (&result, outcome) {
                (_, Ok(Outcome::Failed { error, .. })) => {
                    format!("{}: {}", error.sqlstate, error.message)
                }
                (Err(e), _) => error_text(e),
                (Ok(()), _) => "connection closed".to_string(),
            };
            return Err(ClusterError::ConnectionLost {
                database: self.database.clone(),
                message,
            });
        }
        conn.settle_transaction();
        outcome.map_err(ClusterError::Server)
    }
}

/// One connection with its notice buffer and how to recreate it.
struct Conn {
    client: Client,
    /// The backend's process id (for pg_terminate_backend), recorded at connect.
    pid: Option<i32>,
    config: postgres::Config,
    setup: String,
    notices: Arc<Mutex<Vec<Notice>>>,
}

impl Conn {
    fn open(mut config: postgres::Config, setup: String) -> Result<Self, ClusterError> {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&notices);
        config.notice_callback(move |db| lock(&sink).push(notice(&db)));
        let mut client = Self::connect(&config, &setup)?;
        Ok(Conn {
            pid: backend_pid(&mut client),
            client,
            config,
            setup,
            notices,
        })
    }

    fn connect(config: &postgres::Config, setup: &str) -> Result<Client, ClusterError> {
        let target = describe(config);
        let mut client = connect(config, &target)?;
        client
            .batch_execute(setup)
            .map_err(|e| ClusterError::Connect {
                target,
                message: error_text(&e),
            })?;
        Ok(client)
    }

    /// Reconnect, retrying for a while (the server may be restarting after a crash).
    fn reconnect(&mut self) -> Result<(), ClusterError> {
        let started = Instant::now();
        loop {
            match Self::connect(&self.config, &self.setup) {
                Ok(mut client) => {
                    self.pid = backend_pid(&mut client);
                    self.client = client;
                    self.take_notices();
                    return Ok(());
                }
                Err(e) if started.elapsed() > Duration::from_secs(15) => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn take_notices(&self) -> Vec<Notice> {
        std::mem::take(&mut *lock(&self.notices))
    }

    /// Leave no transaction block open: commit one the statement opened, roll back a
    /// failed one. Outside a block, `now()` (transaction start) equals `statement_timestamp()`.
    fn settle_transaction(&mut self) {
        match simple_rows(
            &mut self.client,
            "SELECT pg_catalog.now() OPERATOR(pg_catalog.=) pg_catalog.statement_timestamp()",
        ) {
            Ok(rows) => {
                if rows
                    .first()
                    .and_then(|r| r.first())
                    .cloned()
                    .flatten()
                    .as_deref()
                    == Some("f")
                    && self.client.batch_execute("COMMIT").is_err()
                {
                    let _ = self.client.batch_execute("ROLLBACK");
                }
            }
            Err(_) => {
                let _ = self.client.batch_execute("ROLLBACK");
            }
        }
        self.take_notices();
    }
}

/// The watchdog fires a little after `statement_timeout` (which normally ends the statement).
fn watchdog_after(statement_timeout: Duration) -> Option<Duration> {
    if statement_timeout.is_zero() {
        return None;
    }
    let grace = (statement_timeout / 2).clamp(Duration::from_millis(200), Duration::from_secs(5));
    Some(statement_timeout + grace)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn connect(config: &postgres::Config, target: &str) -> Result<Client, ClusterError> {
    config.connect(NoTls).map_err(|e| ClusterError::Connect {
        target: target.to_string(),
        message: error_text(&e),
    })
}

fn describe(config: &postgres::Config) -> String {
    format!(
        "database {} as {}",
        config.get_dbname().unwrap_or("?"),
        config.get_user().unwrap_or("?")
    )
}

/// A copy of `config` without its password (and user).
pub fn without_password(config: &postgres::Config) -> postgres::Config {
    let mut copy = postgres::Config::new();
    for host in config.get_hosts() {
        match host {
            postgres::config::Host::Tcp(h) => copy.host(h),
            postgres::config::Host::Unix(p) => copy.host_path(p),
        };
    }
    for addr in config.get_hostaddrs() {
        copy.hostaddr(*addr);
    }
    for port in config.get_ports() {
        copy.port(*port);
    }
    if let Some(dbname) = config.get_dbname() {
        copy.dbname(dbname);
    }
    // Startup options are kept: build `config` from the server's configuration for document
    // connections, never from the administrative one (whose search_path is pgspec's).
    if let Some(options) = config.get_options() {
        copy.options(options);
    }
    if let Some(name) = config.get_application_name() {
        copy.application_name(name);
    }
    if let Some(timeout) = config.get_connect_timeout() {
        copy.connect_timeout(*timeout);
    }
    copy.ssl_mode(config.get_ssl_mode())
        .target_session_attrs(config.get_target_session_attrs())
        .channel_binding(config.get_channel_binding())
        .load_balance_hosts(config.get_load_balance_hosts());
    copy
}

fn timeout_settings(statement_timeout: Duration, lock_timeout: Duration) -> String {
    format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; SET client_min_messages = notice",
        statement_timeout.as_millis(),
        lock_timeout.as_millis()
    )
}

/// Rows of a simple-protocol query as text.
fn simple_rows(
    client: &mut Client,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, postgres::Error> {
    Ok(client
        .simple_query(sql)?
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

pub(crate) use crate::sql::quote::{quote_ident, quote_literal};

/// `<prefix>_<pid>_<counter>_<nanos>`, lowercase, at most 63 bytes.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut clean: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(24)
        .collect();
    if clean.is_empty() || clean.starts_with(|c: char| c.is_ascii_digit()) {
        clean.insert_str(0, "pgspec");
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("{clean}_{}_{n}_{nanos}", std::process::id());
    name.truncate(63);
    name
}

/// Attributes of every owner role: it can log in, and nothing more.
const OWNER_ATTRIBUTES: &str =
    "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT";

/// 32 hex digits from the OS's random source (a clock-and-pid mix where there is none).
pub fn random_password() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mix = nanos ^ (u128::from(std::process::id()) << 64);
        bytes = mix.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why pgspec will not run the document, and what the user can do.
fn refusal(why: &str) -> String {
    format!(
        "{why}. pgspec runs a document's SQL only as a role of its own that owns nothing else \
         (never as the URL's user when it is a superuser, may create roles, belongs to other \
         roles or owns objects). Use a URL whose user has CREATEROLE and CREATEDB and a server \
         that lets pgspec's roles (pgspec_run_*, pgspec_owner_*) log in with a password, or a \
         user that owns nothing; or leave out --db to use pgspec's private cluster"
    )
}

/// Create the LOGIN role that owns one run's database, marked so that a later run drops it
/// if this process dies. Returns its OID.
fn create_run_role(
    admin: &mut Client,
    role: &str,
    password: Option<&str>,
    superuser: bool,
) -> Result<u32, postgres::Error> {
    let marker = format!(
        "{RUN_OWNER_MARKER} (pid {}, {})",
        std::process::id(),
        os::pid_namespace()
    );
    let password = password.map_or_else(String::new, |p| format!(" PASSWORD {}", quote_literal(p)));
    admin
        .batch_execute(&format!(
        "BEGIN; CREATE ROLE {r} {OWNER_ATTRIBUTES}{password}; COMMENT ON ROLE {r} IS {m}; COMMIT",
        r = quote_ident(role),
        m = quote_literal(&marker)
    ))
        .inspect_err(|_| {
            let _ = admin.batch_execute("ROLLBACK");
        })?;
    if !superuser {
        // CREATE DATABASE … OWNER needs membership for a user that is not a superuser.
        let _ = admin.batch_execute(&format!("GRANT {} TO CURRENT_USER", quote_ident(role)));
    }
    let rows = simple_rows(
        admin,
        &format!(
            "SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}",
            quote_literal(role)
        ),
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The comment on `up`'s owner role of `database`.
pub fn up_owner_marker(database: &str) -> String {
    format!("{UP_OWNER_MARKER} (database {database})")
}

/// Make sure `up`'s owner role `role` of `database` exists, is pgspec's (a role of that name
/// that pgspec did not make is refused), has no attribute but LOGIN, and belongs to no role
/// other than the ones `up` created for `database`.
fn ensure_owner_role(
    admin: &mut Client,
    role: &str,
    database: &str,
    password: Option<&str>,
    superuser: bool,
) -> Result<(), String> {
    let text = |e: postgres::Error| error_text(&e);
    let marker = up_owner_marker(database);
    let found = simple_rows(
        admin,
        &format!(
            "SELECT pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles \
             WHERE rolname OPERATOR(pg_catalog.=) {}",
            quote_literal(role)
        ),
    )
    .map_err(text)?;
    let password_sql =
        password.map_or_else(String::new, |p| format!(" PASSWORD {}", quote_literal(p)));
    match found.first() {
        None => {
            admin
                .batch_execute(&format!(
                    "BEGIN; CREATE ROLE {r} {OWNER_ATTRIBUTES}{password_sql}; COMMENT ON ROLE {r} IS {m}; COMMIT",
                    r = quote_ident(role),
                    m = quote_literal(&marker)
                ))
                .inspect_err(|_| {
                    let _ = admin.batch_execute("ROLLBACK");
                })
                .map_err(text)?;
        }
        Some(row) if row.first().cloned().flatten().as_deref() == Some(marker.as_str()) => {
            // Settings a document gave its owner role (ALTER ROLE CURRENT_USER SET …) go too.
            admin
                .batch_execute(&format!(
                    "ALTER ROLE {r} {OWNER_ATTRIBUTES}{password_sql}; ALTER ROLE {r} RESET ALL",
                    r = quote_ident(role)
                ))
                .map_err(text)?;
            revoke_stray_memberships(admin, role, database);
        }
        Some(_) => {
            return Err(format!(
            "a role {role} exists that pgspec did not make for {database}; pgspec leaves it alone"
        ))
        }
    }
    if !superuser {
        let _ = admin.batch_execute(&format!("GRANT {} TO CURRENT_USER", quote_ident(role)));
    }
    Ok(())
}

/// Revoke `role`'s memberships in roles other than the ones created for `database`.
fn revoke_stray_memberships(admin: &mut Client, role: &str, database: &str) {
    let query = format!(
        "SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g \
         ON g.oid OPERATOR(pg_catalog.=) m.roleid \
         WHERE m.member OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}) \
         AND pg_catalog.shobj_description(g.oid, 'pg_authid') IS DISTINCT FROM {}",
        quote_literal(role),
        quote_literal(&format!("{ROLE_MARKER} (database {database})"))
    );
    if let Ok(rows) = simple_rows(admin, &query) {
        for group in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let _ = admin.batch_execute(&format!(
                "REVOKE {} FROM {}",
                quote_ident(&group),
                quote_ident(role)
            ));
        }
    }
}

/// Why the connection's user must not run a document's code (None: it could harm nothing
/// but the database `scratch` it just made).
fn user_is_unsafe(admin: &mut Client, scratch: &str) -> Option<String> {
    let sql = format!(
        "SELECT r.rolsuper, r.rolcreaterole OR r.rolreplication OR r.rolbypassrls, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member OPERATOR(pg_catalog.=) r.oid), \
         EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend d WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass \
           AND d.refobjid OPERATOR(pg_catalog.=) r.oid AND d.deptype OPERATOR(pg_catalog.=) 'o' \
           AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_database'::pg_catalog.regclass \
             AND d.objid OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) {}))) \
         FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user",
        quote_literal(scratch)
    );
    let rows = match simple_rows(admin, &sql) {
        Ok(rows) => rows,
        Err(e) => return Some(format!("could not be examined ({})", error_text(&e))),
    };
    let row = rows.first()?;
    let flag = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("t");
    if flag(0) {
        Some("is a superuser".into())
    } else if flag(1) {
        Some("may create roles, replicate or bypass row level security".into())
    } else if flag(2) {
        Some("is a member of other roles".into())
    } else if flag(3) {
        Some("owns objects this run did not create".into())
    } else {
        None
    }
}

/// Current names of the roles with these OIDs (those that still exist).
fn role_names_by_oid(admin: &mut Client, roles: &[(u32, String)]) -> Vec<(u32, String)> {
    if roles.is_empty() {
        return Vec::new();
    }
    let list = roles
        .iter()
        .map(|(oid, _)| oid.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    simple_rows(
        admin,
        &format!("SELECT oid, rolname FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) ANY ('{{{list}}}'::pg_catalog.oid[])"),
    )
    .unwrap_or_default()
    .into_iter()
    .filter_map(|r| {
        let oid = r.first().cloned().flatten()?.parse().ok()?;
        let name = r.get(1).cloned().flatten()?;
        Some((oid, name))
    })
    .collect()
}

/// End every other session on `database`.
fn terminate_sessions(admin: &mut Client, database: &str) {
    let _ = admin.batch_execute(&format!(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity \
         WHERE datname OPERATOR(pg_catalog.=) {} AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()",
        quote_literal(database)
    ));
}

/// Run `sql` (one transaction), ending the sessions on `busy` databases first and again
/// while the server says they are still being accessed.
fn execute_terminating(
    admin: &mut Client,
    sql: &str,
    busy: &[&str],
) -> Result<(), postgres::Error> {
    let mut attempt = 0;
    loop {
        for database in busy {
            terminate_sessions(admin, database);
        }
        match admin.batch_execute(sql) {
            Ok(()) => return Ok(()),
            Err(e) => {
                let _ = admin.batch_execute("ROLLBACK");
                // 55006: still being accessed by other users (terminated backends not gone yet).
                if attempt < 50 && e.code().is_some_and(|c| c.code() == "55006") {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100));
                } else {
                    return Err(e);
                }
            }
        }
    }
}

/// Tests make the final rename of `up --recreate` fail with `PGSPEC_TEST_FAIL_SWAP=1`, to
/// check that the old database survives.
fn fail_swap_for_tests() -> bool {
    std::env::var_os("PGSPEC_TEST_FAIL_SWAP").is_some_and(|v| v == "1")
}

/// Drop what `up` made for `database` besides the database itself: the roles its document
/// created (marked for it) and its owner role `owner` when no other database uses it.
/// Returns the roles dropped and, for each role still in use elsewhere (another database
/// grants it privileges), why it was kept.
pub fn drop_database_roles(
    server: &Server,
    database: &str,
    owner: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), ClusterError> {
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    let marked = simple_rows(
        &mut admin,
        &format!(
            "SELECT rolname FROM pg_catalog.pg_roles \
             WHERE pg_catalog.shobj_description(oid, 'pg_authid') OPERATOR(pg_catalog.=) {} ORDER BY 1",
            quote_literal(&format!("{ROLE_MARKER} (database {database})"))
        ),
    )
    .map_err(|e| ClusterError::Server(error_text(&e)))?;
    let mut roles: Vec<String> = marked
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    if let Some(owner) = owner {
        let ours = simple_rows(
            &mut admin,
            &format!(
                "SELECT 1 FROM pg_catalog.pg_roles r WHERE rolname OPERATOR(pg_catalog.=) {} \
                 AND pg_catalog.shobj_description(r.oid, 'pg_authid') OPERATOR(pg_catalog.=) {} \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datdba OPERATOR(pg_catalog.=) r.oid)",
                quote_literal(owner),
                quote_literal(&up_owner_marker(database))
            ),
        )
        .map_err(|e| ClusterError::Server(error_text(&e)))?;
        if !ours.is_empty() {
            roles.push(owner.to_string());
        }
    }
    let mut dropped = Vec::new();
    let mut failed = Vec::new();
    for role in roles {
        match admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role))) {
            Ok(()) => dropped.push(role),
            Err(e) => failed.push(format!("{role}: {}", error_text(&e))),
        }
    }
    Ok((dropped, failed))
}

/// CREATE DATABASE, owned by `owner` when possible. Returns whether it is.
fn create_database(
    admin: &mut Client,
    name: &str,
    owner: Option<&str>,
) -> Result<bool, postgres::Error> {
    let base = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'",
        quote_ident(name)
    );
    let mut attempts: Vec<(String, bool)> = Vec::new();
    if let Some(owner) = owner {
        let owner = format!(" OWNER {}", quote_ident(owner));
        attempts.push((format!("{base}{owner}"), true));
        attempts.push((format!("{base}{owner} LC_COLLATE 'C' LC_CTYPE 'C'"), true));
    }
    attempts.push((base.clone(), false));
    attempts.push((format!("{base} LC_COLLATE 'C' LC_CTYPE 'C'"), false));
    let mut last = None;
    for (sql, owned) in attempts {
        match admin.batch_execute(&sql) {
            Ok(()) => return Ok(owned),
            Err(e) => {
                let retry = e
                    .code()
                    .is_some_and(|c| matches!(c.code(), "42501" | "22023" | "42704" | "0A000"));
                if !retry {
                    return Err(e);
                }
                last = Some(e);
            }
        }
    }
    Err(last.expect("at least one attempt"))
}

fn drop_database(admin: &mut Client, name: &str, force: bool) -> Result<(), postgres::Error> {
    let _ = admin.batch_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
        quote_literal(name)
    ));
    let sql = if force {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))
    } else {
        format!("DROP DATABASE IF EXISTS {}", quote_ident(name))
    };
    let mut attempt = 0;
    loop {
        match admin.batch_execute(&sql) {
            // 55006: still being accessed by other users (terminated backends not gone yet).
            Err(e) if attempt < 50 && e.code().is_some_and(|c| c.code() == "55006") => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// Drop scratch databases of pgspec runs that died (same PID namespace, process gone) and
/// roles of scratch databases that no longer exist. Best effort.
fn cleanup_stale(admin: &mut Client) {
    let namespace = os::pid_namespace();
    if namespace.is_empty() || !os::has_procfs() {
        return;
    }
    let databases = format!(
        "SELECT d.datname, s.description FROM pg_database d JOIN pg_shdescription s \
         ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass WHERE s.description LIKE {}",
        quote_literal(&format!("{DATABASE_MARKER} (pid %"))
    );
    if let Ok(rows) = simple_rows(admin, &databases) {
        for row in rows {
            let (Some(Some(name)), Some(Some(description))) = (row.first(), row.get(1)) else {
                continue;
            };
            let Some((pid, ns)) = description
                .strip_prefix(&format!("{DATABASE_MARKER} (pid "))
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(", "))
            else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if ns == namespace && !os::pid_alive(pid) {
                let _ = drop_database(admin, name, true);
            }
        }
    }
    let owners = format!(
        "SELECT r.rolname, s.description FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_shdescription s \
         ON s.objoid OPERATOR(pg_catalog.=) r.oid AND s.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass \
         WHERE s.description LIKE {}",
        quote_literal(&format!("{RUN_OWNER_MARKER} (pid %"))
    );
    if let Ok(rows) = simple_rows(admin, &owners) {
        for row in rows {
            let (Some(Some(name)), Some(Some(description))) = (row.first(), row.get(1)) else {
                continue;
            };
            let Some((pid, ns)) = description
                .strip_prefix(&format!("{RUN_OWNER_MARKER} (pid "))
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(", "))
            else {
                continue;
            };
            if ns == namespace && pid.parse::<u32>().is_ok_and(|pid| !os::pid_alive(pid)) {
                let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(name)));
            }
        }
    }
    let roles = format!(
        "SELECT r.rolname FROM pg_roles r JOIN pg_shdescription s \
         ON s.objoid = r.oid AND s.classoid = 'pg_authid'::regclass \
         WHERE s.description LIKE {} AND NOT EXISTS (SELECT 1 FROM pg_database d \
         WHERE s.description = {} || d.datname || ')')",
        quote_literal(&format!("{ROLE_MARKER} (database %")),
        quote_literal(&format!("{ROLE_MARKER} (database "))
    );
    if let Ok(rows) = simple_rows(admin, &roles) {
        for role in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_are_valid_identifiers() {
        let a = unique_name("pgspec_check");
        let b = unique_name("pgspec_check");
        assert_ne!(a, b);
        assert!(a.starts_with("pgspec_check_"));
        assert!(a.len() <= 63);
        let odd = unique_name("9 Weird-Prefix!");
        assert!(odd.starts_with("pgspec9weirdprefix_"), "{odd}");
        assert!(unique_name(&"x".repeat(200)).len() <= 63);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn watchdog_fires_after_the_timeout() {
        assert_eq!(watchdog_after(Duration::ZERO), None);
        assert_eq!(
            watchdog_after(Duration::from_secs(15)),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            watchdog_after(Duration::from_secs(1)),
            Some(Duration::from_millis(1500))
        );
    }
}
