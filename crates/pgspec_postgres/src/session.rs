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
use super::deadline::{backend_pid, Deadline, Stepper, Stop};
pub use super::error::Notice;
use super::error::{notice, pg_details, ErrorContext};
use super::{os, ClusterError, Server};

mod admin;
mod background;
mod batch;
mod conn;
mod control_file;
mod privileged;
mod scratch;
mod spare;

use conn::Conn;

use admin::{
    create_database, create_run_role, drop_database, ensure_owner_role, refusal, unique_name,
    user_is_unsafe,
};
pub use admin::{drop_database_roles, random_password, up_owner_marker};
pub use batch::batchable;
pub use scratch::{drop_live_scratch_databases, ScratchDatabase};

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
    /// Set once a batch's markers could not be trusted (the document silenced warnings, say):
    /// from then on every statement goes alone.
    batching_off: bool,
    /// A third superuser connection, opened in the background (see `background`); taken by
    /// the first catalog read.
    background: Option<background::Background>,
    /// What [`Self::expect_extensions`] asked in the background, then its answers.
    extension_controls: ExtensionControls,
    /// [`Self::available_extensions`]: asked in the background when the session opens, then
    /// read.
    available_extensions: AvailableExtensions,
    /// The catalog's statements, prepared and run once on the background connection while
    /// the document applies ([`Self::will_read_catalog`]).
    warm_catalog: WarmCatalog,
}

/// Whether the catalog's statements are to be, or were, prepared in the background.
enum WarmCatalog {
    No,
    Wanted,
    Asked(std::sync::mpsc::Receiver<crate::catalog::WarmStatements>),
    Ready(crate::catalog::WarmStatements),
}

/// Rows of a query as text (NULL as `None`).
type Rows = Vec<Vec<Option<String>>>;

/// The names [`ApplySession::available_extensions`] answers with.
enum AvailableExtensions {
    Asked(std::sync::mpsc::Receiver<Option<Rows>>),
    Known(Vec<String>),
}

/// The query of [`ApplySession::available_extensions`].
const AVAILABLE_EXTENSIONS: &str = "SELECT name FROM pg_available_extensions ORDER BY name";

/// [`background::ExtensionControl`] of the extensions a document creates, asked ahead.
enum ExtensionControls {
    Unknown,
    Asked(std::sync::mpsc::Receiver<Option<HashMap<String, background::ExtensionControl>>>),
    Known(HashMap<String, background::ExtensionControl>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode<'a> {
    Execute,
    Prepare,
    /// `COPY … FROM STDIN` with this data, as psql sends a document's inline rows.
    CopyIn(&'a str),
}

impl ApplySession {
    /// Run one statement as the app role in its own implicit transaction (simple protocol).
    pub fn apply(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        self.run(false, sql, Mode::Execute)
    }

    /// [`Self::apply`] for a statement of the document. Its kept parse tree says whether it
    /// could leave a transaction block open (`BEGIN`, `START TRANSACTION`: a transaction
    /// statement at top level); when it cannot, the round trip that would close one is
    /// spared (one per statement: a tenth of a large document's check).
    pub fn apply_statement(
        &mut self,
        stmt: &crate::sql::Statement,
    ) -> Result<Outcome, ClusterError> {
        if let Some(copy) = stmt.inline_copy() {
            // COPY reads no transaction control: nothing to settle afterwards.
            let mut outcome = self.run_settling(false, copy.sql, Mode::CopyIn(copy.data), false)?;
            // The server names the data line it stopped at (`COPY t, line 2, column id: "x"`):
            // the finding points at that line of the document.
            if let Outcome::Failed { error, .. } = &mut outcome {
                let line = self
                    .last_error_context
                    .as_ref()
                    .and_then(|c| c.context.as_deref())
                    .and_then(copy_data_line);
                if let (None, Some(line)) = (error.position, line) {
                    let at = copy.data_start
                        + copy
                            .data
                            .split_inclusive('\n')
                            .take(line.saturating_sub(1))
                            .map(str::len)
                            .sum::<usize>();
                    let chars = stmt.text.get(..at).map_or(0, |t| t.chars().count());
                    error.position = u32::try_from(chars + 1).ok();
                }
            }
            return Ok(outcome);
        }
        self.apply_parsed(&stmt.text, stmt.ast())
    }

    /// [`Self::apply`] of a text with its parse tree (`None`: it does not parse), sparing the
    /// round trip that would close a transaction block, as [`Self::apply_statement`] does:
    /// for the texts pgspec derives from the document's statements (their fixes).
    pub fn apply_parsed(
        &mut self,
        sql: &str,
        tree: Option<&crate::sql::ast::ParseTree>,
    ) -> Result<Outcome, ClusterError> {
        let may_open_block = tree.is_none_or(|tree| {
            crate::sql::ast::top_nodes(tree)
                .any(|node| matches!(node, crate::sql::ast::NodeEnum::TransactionStmt(_)))
        });
        self.run_settling(false, sql, Mode::Execute, may_open_block)
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

    /// Run SQL that pgspec itself wrote as superuser, like [`Self::apply_as_superuser`], for
    /// SQL that creates no role and leaves no transaction block open (the round trips that
    /// would look for either are spared).
    pub(crate) fn apply_own_as_superuser(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        self.run_settling(true, sql, Mode::Execute, false)
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

    /// Names of the roles this run created so far (see [`Self::created_role_oids`]).
    pub fn created_role_names(&self) -> Vec<String> {
        lock(&self.created_roles)
            .iter()
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Prepare (parse + analyze, never execute) an example query as the app role, with
    /// parameter types inferred; deallocates it.
    pub fn prepare(&mut self, sql: &str) -> Result<Outcome, ClusterError> {
        // Preparing runs nothing, so it cannot leave a transaction block open.
        self.run_settling(false, sql, Mode::Prepare, false)
    }

    /// Names of extensions available for CREATE EXTENSION on this server (read once a
    /// session: they are the server's files, which no statement changes).
    pub fn available_extensions(&mut self) -> Result<Vec<String>, ClusterError> {
        let names = match &self.available_extensions {
            AvailableExtensions::Known(names) => return Ok(names.clone()),
            AvailableExtensions::Asked(answer) => match answer.recv() {
                Ok(Some(rows)) => first_column(rows),
                // The background connection could not answer: asked here instead.
                _ => self.names(AVAILABLE_EXTENSIONS)?,
            },
        };
        self.available_extensions = AvailableExtensions::Known(names.clone());
        Ok(names)
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

    /// Say that the catalog will be read once the document has applied: its queries are then
    /// prepared and run once on the background connection ([`crate::catalog::warm`]) right
    /// after the extension questions of [`Self::expect_extensions`], while the document
    /// applies on its own connection, and the read that follows finds a backend with warm
    /// caches and ready plans. Nothing happens without a background connection.
    pub fn will_read_catalog(&mut self) {
        self.warm_catalog = WarmCatalog::Wanted;
    }

    /// Wait until the warm-up of [`Self::will_read_catalog`] is done; whether it succeeded
    /// (false when none was started). For a caller that changes the database next and wants
    /// the catalog read to see the change through plans made before it (a test).
    pub fn wait_for_catalog_warm_up(&mut self) -> bool {
        if let WarmCatalog::Asked(answer) = &self.warm_catalog {
            self.warm_catalog = match answer.recv() {
                Ok(statements) => WarmCatalog::Ready(statements),
                Err(_) => WarmCatalog::No,
            };
        }
        matches!(self.warm_catalog, WarmCatalog::Ready(_))
    }

    /// Queue the warm-up [`Self::will_read_catalog`] asked for, once.
    fn start_warming_catalog(&mut self) {
        if let (WarmCatalog::Wanted, Some(background)) = (&self.warm_catalog, &self.background) {
            self.warm_catalog = WarmCatalog::Asked(background.ask(crate::catalog::warm));
        }
    }

    /// The background connection that [`Self::will_read_catalog`] had prepared, with the
    /// statements it prepared (None when that failed); None when it was not asked or the
    /// connection no longer answers.
    pub(crate) fn take_warmed_connection(
        &mut self,
    ) -> Option<(Client, Option<crate::catalog::WarmStatements>)> {
        let warmed = match std::mem::replace(&mut self.warm_catalog, WarmCatalog::No) {
            WarmCatalog::No | WarmCatalog::Wanted => return None,
            WarmCatalog::Asked(answer) => Err(answer),
            WarmCatalog::Ready(statements) => Ok(statements),
        };
        let client = self.background.take()?.into_client()?;
        // The connection's jobs are done: its answer is there, or it failed.
        Some((client, warmed.or_else(|answer| answer.try_recv()).ok()))
    }

    /// Another superuser connection to this database, set up as the session's own (for
    /// pgspec's catalog reads, which it shares out between the two): the one opened in the
    /// background the first time, else a new one; None when it cannot.
    pub(crate) fn admin_opener(&mut self) -> impl FnOnce() -> Option<Client> + Send + 'static {
        let (config, setup) = (self.admin.config.clone(), self.admin.setup.clone());
        let background = self.background.take();
        move || {
            background
                .and_then(background::Background::into_client)
                .or_else(|| Conn::connect(&config, &setup).ok())
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
    /// Rows as text; the statement is bounded like any other. `sql` is a query (no
    /// transaction control: nothing is settled after it).
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
        // pgspec's own queries here are SELECTs, and no function can open a transaction
        // block: there is none to settle.
        if conn.client.is_closed() {
            conn.reconnect()?;
        } else {
            conn.take_notices();
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
        Ok(first_column(self.query_strings(sql)?))
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
        self.run_settling(superuser, sql, mode, true)
    }

    /// Run `sql`; then, if `may_open_block`, leave no transaction block open.
    fn run_settling(
        &mut self,
        superuser: bool,
        sql: &str,
        mode: Mode,
        may_open_block: bool,
    ) -> Result<Outcome, ClusterError> {
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
            Mode::CopyIn(data) => copy_in(&mut conn.client, sql, data),
        };
        let stopped = self.deadline.disarm();
        if let Some(stop @ Stop::Terminated { .. }) = stopped {
            // The statement ignored the cancel request and its backend was ended: a failed
            // statement (the document's fault), on a fresh connection.
            conn.reconnect()?;
            self.last_error_context = None;
            return Ok(ignored_cancel(stop));
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
        if may_open_block {
            conn.settle_transaction();
        }
        outcome.map_err(ClusterError::Server)
    }
}

/// The data line (1-based) a COPY error's context names: `COPY t, line 2, column id: "x"`.
fn copy_data_line(context: &str) -> Option<usize> {
    let first = context.lines().next()?;
    let rest = first.strip_prefix("COPY ")?;
    let (_, after) = rest.split_once(", line ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Run `COPY … FROM STDIN` with `data` as its input.
fn copy_in(client: &mut postgres::Client, sql: &str, data: &str) -> Result<(), postgres::Error> {
    use std::io::Write;
    let mut writer = client.copy_in(sql)?;
    // A write error means the server ended the COPY: `finish` returns its error.
    let _ = writer.write_all(data.as_bytes());
    writer.finish().map(drop)
}

/// A statement whose backend was terminated because it ignored the cancel request.
fn ignored_cancel(stop: Stop) -> Outcome {
    Outcome::Failed {
        error: PgDetails {
            sqlstate: "57014".to_string(),
            message:
                "canceling statement: it outlived its time bound and ignored the cancel request"
                    .to_string(),
            hint: Some(stop.to_string()),
            ..PgDetails::default()
        },
        notices: Vec::new(),
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

/// The first value of each row that has one.
fn first_column(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect()
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

#[cfg(test)]
mod tests;
