//! Scratch databases and applying statements one at a time.
//!
//! Security model: the document's SQL runs as `pgspec_apply`, a LOGIN role without any
//! attribute (NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS) that owns the
//! scratch database, over its own connection (not `SET ROLE`/`SET SESSION AUTHORIZATION`,
//! which the document could undo). PostgreSQL itself then refuses `COPY … PROGRAM`, server
//! file access, `ALTER SYSTEM`, untrusted languages. Only statements pgspec vetted run on the
//! superuser connection ([`ApplySession::apply_as_superuser`]).
//!
//! Every statement runs under `statement_timeout`/`lock_timeout`; a client-side watchdog
//! ([`Deadline`]) cancels a statement that outlives the timeout (the document may
//! `SET statement_timeout = 0`, as pg_dump output does) and terminates its backend when it
//! ignores the cancel request.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use postgres::{Client, NoTls, SimpleQueryMessage};

use crate::diagnostics::PgDetails;
use crate::sql::safety::PrivilegedOp;

use super::cluster::error_text;
use super::deadline::{backend_pid, Deadline, Stop};
use super::error::{notice, pg_details, ErrorContext};
use super::{os, ClusterError, Server};

/// The unprivileged role that runs the document's SQL and owns scratch databases.
pub const APPLY_ROLE: &str = "pgspec_apply";
pub use super::limits::{DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT};
/// Marks scratch databases (COMMENT ON DATABASE) so a later run can drop those of dead runs.
const DATABASE_MARKER: &str = "pgspec scratch database";
/// Marks roles a scratch run created (COMMENT ON ROLE).
pub const ROLE_MARKER: &str = "pgspec scratch role";

/// A NOTICE/WARNING the server raised while running a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// "NOTICE", "WARNING", …
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

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
    /// Its own login as the unprivileged role: the embedded cluster, and URL servers that
    /// let `pgspec_apply` log in with the URL's credentials.
    Role(String),
    /// The URL's `user` after `SET ROLE role`: the document's SQL could `RESET ROLE`.
    SetRole { user: String, role: String },
    /// The URL's user itself: pgspec could not create or use the unprivileged role.
    User(String),
}

impl AppIdentity {
    /// Whether the document's SQL runs without any way back to the administrative user.
    pub fn is_isolated(&self) -> bool {
        matches!(self, AppIdentity::Role(_))
    }

    /// A sentence for the user when isolation is weaker than on the embedded cluster.
    pub fn note(&self) -> Option<String> {
        match self {
            AppIdentity::Role(_) => None,
            AppIdentity::SetRole { user, role } => Some(format!(
                "statements run as {user} after SET ROLE {role}: pgspec could not log in as {role} on this server"
            )),
            AppIdentity::User(user) => Some(format!(
                "statements run as {user} with all its privileges: pgspec could not create or use the unprivileged role {APPLY_ROLE} on this server"
            )),
        }
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
    url: String,
    maintenance: postgres::Config,
    admin: postgres::Config,
    app: postgres::Config,
    force_drop: bool,
    created_roles: Arc<Mutex<Vec<String>>>,
    dropped: bool,
}

impl std::fmt::Debug for ScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("app_identity", &self.app_identity)
            .finish_non_exhaustive()
    }
}

impl ScratchDatabase {
    /// Create a fresh, uniquely named database on `server` owned by the unprivileged apply role.
    pub fn create(server: &Server, prefix: &str) -> Result<Self, ClusterError> {
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
            "SELECT current_setting('server_version_num'), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user",
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
        let role_ok = ensure_apply_role(&mut admin, superuser);

        let name = unique_name(prefix);
        let owner = create_database(&mut admin, &name, role_ok).map_err(|e| {
            ClusterError::Server(format!(
                "cannot create the scratch database {name}: {}",
                error_text(&e)
            ))
        })?;
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

        let mut scratch = ScratchDatabase {
            url: server.url(&name),
            statement_timeout: super::limits::get().statement_timeout,
            lock_timeout: super::limits::get().lock_timeout,
            app_identity: AppIdentity::User(admin_user.clone()),
            maintenance,
            admin: server.config(&name)?,
            app: server.app_config(&name)?,
            force_drop: version_num >= 130_000,
            created_roles: Arc::new(Mutex::new(Vec::new())),
            dropped: false,
            name,
        };
        if owner {
            // Never offer the URL user's password for another role.
            let mut as_role = without_password(&scratch.app);
            as_role.user(APPLY_ROLE);
            if server.is_embedded() || as_role.connect(NoTls).is_ok() {
                scratch.app = as_role;
                scratch.app_identity = AppIdentity::Role(APPLY_ROLE.to_string());
            } else if scratch
                .admin
                .connect(NoTls)
                .and_then(|mut c| c.batch_execute(&format!("SET ROLE {}", quote_ident(APPLY_ROLE))))
                .is_ok()
            {
                scratch.app_identity = AppIdentity::SetRole {
                    user: admin_user,
                    role: APPLY_ROLE.to_string(),
                };
            }
        }
        Ok(scratch)
    }

    /// URL of the scratch database (without a password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Open a session on it.
    pub fn session(&self) -> Result<ApplySession, ClusterError> {
        let settings = timeout_settings(self.statement_timeout, self.lock_timeout);
        let admin = Conn::open(self.admin.clone(), settings.clone())?;
        let app_setup = match &self.app_identity {
            AppIdentity::SetRole { role, .. } => {
                format!("{settings}; SET ROLE {}", quote_ident(role))
            }
            _ => settings,
        };
        let app = Conn::open(self.app.clone(), app_setup)?;
        let owner = match &self.app_identity {
            AppIdentity::Role(role) | AppIdentity::SetRole { role, .. } => role.clone(),
            AppIdentity::User(user) => user.clone(),
        };
        Ok(ApplySession {
            app,
            admin,
            database: self.name.clone(),
            owner,
            created_roles: Arc::clone(&self.created_roles),
            deadline: Deadline::new(Some(self.maintenance.clone())),
            watchdog_after: watchdog_after(self.statement_timeout),
            last_error_context: None,
        })
    }

    /// Names of the roles created through [`ApplySession::apply_as_superuser`] so far
    /// (dropped with the database).
    pub fn created_roles(&self) -> Vec<String> {
        lock(&self.created_roles).clone()
    }

    /// Keep the database as `final_name` instead of dropping it (what `pgspec up` does once the
    /// document applied): renamed, commented with `comment`, and the roles it created re-marked
    /// so stale-run cleanup keeps them. Close every session on it first. Returns those roles.
    pub fn promote(mut self, final_name: &str, comment: &str) -> Result<Vec<String>, ClusterError> {
        let mut admin = connect(&self.maintenance, "the maintenance database")?;
        let server_error = |e: postgres::Error| ClusterError::Server(error_text(&e));
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}; COMMENT ON DATABASE {} IS {}",
                quote_ident(&self.name),
                quote_ident(final_name),
                quote_ident(final_name),
                quote_literal(comment)
            ))
            .map_err(server_error)?;
        self.dropped = true;
        let roles = std::mem::take(&mut *lock(&self.created_roles));
        for role in &roles {
            let _ = admin.batch_execute(&format!(
                "COMMENT ON ROLE {} IS {}",
                quote_ident(role),
                quote_literal(&format!("{ROLE_MARKER} (database {final_name})"))
            ));
        }
        self.name = final_name.to_string();
        Ok(roles)
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
        let roles = std::mem::take(&mut *lock(&self.created_roles));
        let mut failed = Vec::new();
        for role in roles {
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
    created_roles: Arc<Mutex<Vec<String>>>,
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
        let before = self.role_names()?;
        // The connection's search_path is pg_catalog, pg_temp: pgspec's SQL names the schema
        // of everything it creates.
        let outcome = self.run(true, sql, Mode::Execute)?;
        if let Ok(after) = self.role_names() {
            let mut new: Vec<&String> = after.difference(&before).collect();
            new.sort();
            for role in new {
                lock(&self.created_roles).push(role.clone());
                let marker = format!("{ROLE_MARKER} (database {})", self.database);
                let _ = self.admin.client.batch_execute(&format!(
                    "COMMENT ON ROLE {} IS {}",
                    quote_ident(role),
                    quote_literal(&marker)
                ));
            }
            self.admin.take_notices();
        }
        Ok(outcome)
    }

    /// Whether pgspec may run `op` for the document in this run: every role it touches must
    /// have been created by this run (the run's owner role may only receive a membership).
    /// A membership that is already in place between roles that existed before is nothing to do.
    pub fn privilege_check(&mut self, op: &PrivilegedOp) -> Result<PrivilegeCheck, ClusterError> {
        let created = lock(&self.created_roles).clone();
        let changed = op.roles_changed();
        let mut foreign = Vec::new();
        for role in op.roles_from_run() {
            let ours = created.iter().any(|c| c == role);
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
            let mut created = lock(&self.created_roles);
            match op {
                PrivilegedOp::CreateRole { name, .. } => created.push(name.clone()),
                PrivilegedOp::RenameRole { from, to } => {
                    for role in created.iter_mut().filter(|r| *r == from) {
                        role.clone_from(to);
                    }
                }
                PrivilegedOp::DropRole { names, .. } => created.retain(|r| !names.contains(r)),
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

    /// The role the document's SQL runs as.
    pub fn owner_role(&self) -> &str {
        &self.owner
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

    fn role_names(&mut self) -> Result<HashSet<String>, ClusterError> {
        Ok(self
            .names("SELECT rolname FROM pg_roles")?
            .into_iter()
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
fn without_password(config: &postgres::Config) -> postgres::Config {
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

pub(crate) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

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

/// Make sure the apply role exists with no attributes. False if it does not exist after
/// (no privilege to create it).
fn ensure_apply_role(admin: &mut Client, superuser: bool) -> bool {
    let check = format!(
        "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR NOT rolcanlogin FROM pg_roles WHERE rolname = {}",
        quote_literal(APPLY_ROLE)
    );
    let attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT";
    match simple_rows(admin, &check) {
        Ok(rows) if rows.is_empty() => {
            // Two runs may race here: the loser's CREATE fails, the role exists either way.
            let _ = admin.batch_execute(&format!(
                "CREATE ROLE {} {attributes}",
                quote_ident(APPLY_ROLE)
            ));
        }
        Ok(rows) if rows[0].first().cloned().flatten().as_deref() == Some("t") => {
            let _ = admin.batch_execute(&format!(
                "ALTER ROLE {} {attributes}",
                quote_ident(APPLY_ROLE)
            ));
        }
        _ => {}
    }
    let exists = simple_rows(admin, &check).is_ok_and(|rows| !rows.is_empty());
    if exists && superuser {
        // Memberships a crashed or misbehaving run left behind (roles of scratch runs are
        // dropped with their database; any other membership could lend privileges).
        let query = format!(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid \
             WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = {}) \
             AND NOT EXISTS (SELECT 1 FROM pg_shdescription d WHERE d.objoid = g.oid \
             AND d.classoid = 'pg_authid'::regclass AND d.description LIKE {})",
            quote_literal(APPLY_ROLE),
            quote_literal(&format!("{ROLE_MARKER}%"))
        );
        if let Ok(rows) = simple_rows(admin, &query) {
            for group in rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
            {
                let _ = admin.batch_execute(&format!(
                    "REVOKE {} FROM {}",
                    quote_ident(&group),
                    quote_ident(APPLY_ROLE)
                ));
            }
        }
    }
    exists
}

/// CREATE DATABASE, owned by the apply role when possible. Returns whether it is.
fn create_database(
    admin: &mut Client,
    name: &str,
    with_owner: bool,
) -> Result<bool, postgres::Error> {
    let base = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'",
        quote_ident(name)
    );
    let owner = format!(" OWNER {}", quote_ident(APPLY_ROLE));
    let mut attempts: Vec<(String, bool)> = Vec::new();
    if with_owner {
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
