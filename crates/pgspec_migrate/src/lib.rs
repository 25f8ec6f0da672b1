//! Versioned migrations for a living database: files written from the difference between the
//! state the existing migrations build and the design document (diff in both directions),
//! checksummed in a ledger, applied once each, in order, each in a transaction with its record,
//! under an advisory lock, after a trial run on a scratch copy of the target's schema; and
//! walked back through their down sections, refusing a step that loses data unless allowed.
//!
//! Nothing here prints: the binary renders the reports.

pub mod drift;
pub mod file;
pub mod hazards;
pub mod history;
pub mod ledger;
pub mod up;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pgspec_checks::pipeline;
use pgspec_diagnostics::Rule;
use pgspec_diff::{Options, Plan, Refusal};
use pgspec_document::SourceKind;
use pgspec_postgres::catalog::Catalog;
use pgspec_postgres::client::Client;
use pgspec_postgres::{ApplySession, ClusterError, PrivilegeCheck, ScratchDatabase, Server};
use pgspec_sql::safety::Safety;

pub use file::{MigrationFile, Step};
pub use history::AppliedRow;

/// Why a migration command stopped; the message says what to do.
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    /// The registry's code for it, when it has one (`DIF008`: diff cannot express a change).
    pub code: Option<Rule>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            code: None,
        }
    }

    pub fn coded(code: Rule, message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            code: Some(code),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<ClusterError> for Error {
    fn from(e: ClusterError) -> Self {
        Error::new(e.to_string())
    }
}

fn refusals_text(r: &[Refusal]) -> String {
    r.iter()
        .map(|x| format!("{}: {}", x.object, x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The migration files of `dir` in version order (none when it does not exist yet). Every
/// `.sql` file must be a well-formed migration with a version of its own.
pub fn read_dir(dir: &Path) -> Result<Vec<MigrationFile>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::new(format!("reading {}: {e}", dir.display()))),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(format!("reading {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".sql") {
            continue;
        }
        let bytes = std::fs::read(entry.path())
            .map_err(|e| Error::new(format!("reading {}: {e}", entry.path().display())))?;
        files.push(file::parse(&name, &bytes)?);
    }
    files.sort_by_key(|f| f.version);
    for pair in files.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(Error::new(format!(
                "{} and {} have the same version (two branches added a migration each? renumber one and run `pgspec migrate hash`)",
                pair[0].file_name, pair[1].file_name
            )));
        }
    }
    Ok(files)
}

/// Where a file stands against the database's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    /// Applied, and the file changed since.
    Edited,
    /// Applied, and the file is gone.
    Missing,
    /// Not applied, but a later version is: it would run out of order.
    OutOfOrder,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Entry {
    pub version: u32,
    pub file_name: String,
    pub state: State,
    pub applied: Option<AppliedRow>,
    /// A pending file an earlier `apply` stopped in part-way (steps outside a transaction):
    /// the steps it finished, which the next `apply` skips.
    pub steps_done: Option<usize>,
}

/// Every file and every history row, side by side.
pub fn compare(files: &[MigrationFile], applied: &[AppliedRow]) -> Vec<Entry> {
    let last_applied = applied.iter().map(|r| r.version).max();
    let mut out: Vec<Entry> = files
        .iter()
        .map(|f| {
            let row = applied.iter().find(|r| r.version == f.version);
            let state = match row {
                Some(r) if r.checksum == f.checksum && r.file_name == f.file_name => State::Applied,
                Some(_) => State::Edited,
                None if last_applied.is_some_and(|v| v > f.version) => State::OutOfOrder,
                None => State::Pending,
            };
            Entry {
                version: f.version,
                file_name: f.file_name.clone(),
                state,
                applied: row.cloned(),
                steps_done: None,
            }
        })
        .collect();
    for r in applied {
        if !files.iter().any(|f| f.version == r.version) {
            out.push(Entry {
                version: r.version,
                file_name: r.file_name.clone(),
                state: State::Missing,
                applied: Some(r.clone()),
                steps_done: None,
            });
        }
    }
    out.sort_by_key(|e| e.version);
    out
}

/// Why the history and the files cannot go on as they are: edited, missing, out-of-order files.
fn history_problems(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match e.state {
            State::Edited => Some(format!(
                "{} was edited after it was applied (the database recorded another checksum{}); restore it and put the change in a new migration",
                e.file_name,
                e.applied
                    .as_ref()
                    .filter(|r| r.file_name != e.file_name)
                    .map(|r| format!(", as {}", r.file_name))
                    .unwrap_or_default()
            )),
            State::Missing => Some(format!(
                "{} was applied but is no longer in the directory; restore it",
                e.file_name
            )),
            State::OutOfOrder => Some(format!(
                "{} is not applied but a later version is (a reordered or late-merged file); renumber it after the last applied one and run `pgspec migrate hash`",
                e.file_name
            )),
            State::Applied | State::Pending => None,
        })
        .collect()
}

/// The database a migration command changes: the catalog is read as the administrator, the
/// migrations run over `client` (the database's owner, or the URL's user).
pub struct Target<'a> {
    pub server: &'a Server,
    pub database: String,
    pub client: Client,
}

impl Target<'_> {
    fn catalog(&self) -> Result<Catalog, Error> {
        Ok(Catalog::load_database(self.server, &self.database)?)
    }
}

/// Options that compare two databases' schemas: pgspec's history schema aside, and the owners
/// of either side (a scratch copy has another owner) not a difference.
fn compare_options(a: &Catalog, b: &Catalog) -> Options {
    let mut owners: Vec<String> = [a, b]
        .iter()
        .flat_map(|c| {
            c.tables
                .iter()
                .map(|t| t.owner.clone())
                .chain(c.views.iter().map(|v| v.owner.clone()))
        })
        .collect();
    owners.sort();
    owners.dedup();
    Options {
        exclude_schemas: vec![history::SCHEMA.to_string()],
        ignore_grantees: owners,
        ..Options::default()
    }
}

/// `catalog` without the facts the catalog does not model (diff refuses to plan them).
fn without_facts(catalog: &Catalog) -> Catalog {
    let mut c = catalog.clone();
    c.unmodelled.clear();
    c
}

/// What still differs from `a` to `b` (empty: the same schema).
fn differences(a: &Catalog, b: &Catalog) -> Vec<String> {
    match pgspec_diff::plan(a, b, &compare_options(a, b)) {
        Ok(plan) => plan
            .statements
            .iter()
            .map(|s| s.sql.lines().next().unwrap_or("").to_string())
            .collect(),
        Err(r) => r
            .iter()
            .map(|x| format!("{}: {}", x.object, x.message))
            .collect(),
    }
}

/// Why [`Scratch::run_as_document`] stopped.
enum Failed {
    /// pgspec does not run the statement (the error says why).
    Refused(Error),
    /// The server rejected it: its first line and the server's message.
    Statement(String, String),
}

impl From<ClusterError> for Failed {
    fn from(e: ClusterError) -> Self {
        Failed::Refused(e.into())
    }
}

/// A scratch database with a session, dropped together.
struct Scratch {
    // Field order: the session closes before the database is dropped.
    session: ApplySession,
    _database: ScratchDatabase,
}

impl Scratch {
    fn empty(server: &Server) -> Result<Scratch, Error> {
        let database = ScratchDatabase::create(server, "pgspec_migrate")?;
        let session = database.session()?;
        Ok(Scratch {
            session,
            _database: database,
        })
    }

    /// A scratch database with `catalog`'s schema (built by diff from an empty one).
    fn copy_of(server: &Server, catalog: &Catalog) -> Result<Scratch, Error> {
        let (s, left) = Scratch::near_copy_of(server, catalog)?;
        if !left.is_empty() {
            return Err(Error::new(format!(
                "the scratch copy of the target's schema differs from it: {}",
                left.join("; ")
            )));
        }
        Ok(s)
    }

    /// [`Scratch::copy_of`], and what still differs from `catalog` when the copy is not exact
    /// (a CHECK that PostgreSQL deparses differently once its text runs again): the caller
    /// sets those differences aside when it compares after a trial, since the copy brought
    /// them, not the plan.
    fn near_copy_of(server: &Server, catalog: &Catalog) -> Result<(Scratch, Vec<String>), Error> {
        let mut s = Scratch::empty(server)?;
        let empty = s.session.catalog()?;
        // Facts the catalog does not model (privileges on a schema, …) cannot be planned; the
        // copy goes without them and they are not compared.
        let catalog = &without_facts(catalog);
        let build =
            pgspec_diff::plan(&empty, catalog, &compare_options(&empty, catalog)).map_err(|r| {
                Error::new(format!(
                    "the target's schema cannot be copied to a scratch database: {}",
                    refusals_text(&r)
                ))
            })?;
        for (i, st) in build.statements.iter().enumerate() {
            s.run_as_document(&st.sql, &format!("copying statement {}", i + 1))
                .map_err(|e| match e {
                    Failed::Refused(e) => e,
                    Failed::Statement(statement, message) => Error::new(format!(
                        "copying the target's schema to a scratch database: `{statement}`: {message}"
                    )),
                })?;
        }
        let copied = s.session.catalog()?;
        let left = differences(&copied, catalog);
        Ok((s, left))
    }

    /// Run `sql` statement by statement as pgspec runs a document's: as the database's
    /// unprivileged owner, except the privileged statements pgspec runs for a document (an
    /// untrusted extension, an allowlisted role) through its privileged path; what pgspec
    /// never runs is refused. `label` names the source in a refusal.
    fn run_as_document(&mut self, sql: &str, label: &str) -> Result<(), Failed> {
        let database = self.session.database().to_string();
        let extracted = pipeline::extract_as(sql.as_bytes(), SourceKind::Sql);
        let first_line =
            |st: &pgspec_sql::Statement| st.text.lines().next().unwrap_or("").to_string();
        for st in &extracted.statements {
            let outcome = match st.safety(Some(&database)) {
                Safety::Refused(why) => {
                    return Err(Failed::Refused(Error::new(format!(
                        "{label}: pgspec never runs `{}`: {why}",
                        first_line(st)
                    ))))
                }
                Safety::TransactionControl => continue,
                Safety::Privileged { op, .. } => match self.session.privilege_check(&op)? {
                    PrivilegeCheck::Run => {
                        let outcome = self.session.apply_privileged(&op)?;
                        // A role is cluster-wide: one the file creates may exist already
                        // (`up` keeps the roles it made), as it does beside the target.
                        let exists =
                            matches!(op, pgspec_sql::safety::PrivilegedOp::CreateRole { .. })
                                && outcome.error().is_some_and(|e| e.sqlstate == "42710");
                        if exists {
                            continue;
                        }
                        outcome
                    }
                    // pg_cron lives in its cluster's cron database, as beside a database `up` made.
                    PrivilegeCheck::AlreadyInPlace => continue,
                    PrivilegeCheck::Refuse(why) => {
                        return Err(Failed::Refused(Error::new(format!(
                            "{label}: pgspec does not run `{}` on a scratch database: {why}",
                            first_line(st)
                        ))))
                    }
                },
                Safety::Document => self.session.apply(&st.text)?,
            };
            if let Some(e) = outcome.error() {
                return Err(Failed::Statement(first_line(st), e.message.clone()));
            }
        }
        Ok(())
    }

    fn run(&mut self, sql: &str) -> Result<(), String> {
        let outcome = self.session.apply(sql).map_err(|e| e.to_string())?;
        match outcome.error() {
            Some(e) => Err(e.message.clone()),
            None => Ok(()),
        }
    }

    /// Run `steps` from step `start + 1` (the ones before already ran).
    fn run_steps(
        &mut self,
        file: &MigrationFile,
        steps: &[Step],
        start: usize,
    ) -> Result<(), Error> {
        for (i, step) in steps.iter().enumerate().skip(start) {
            self.run(&step.sql).map_err(|e| {
                Error::new(format!(
                    "{} step {} fails on a scratch copy of the target's schema: {e}",
                    file.file_name,
                    i + 1
                ))
            })?;
        }
        Ok(())
    }

    fn catalog(&mut self) -> Result<Catalog, Error> {
        Ok(self.session.catalog()?)
    }
}

// ---------------------------------------------------------------------------------------------
// migrate new

/// A document built on a scratch database as `pgspec up` builds it (fixes, partitions,
/// platform shims): its catalog, the SQL script of what was built (`pgspec sql`), and the
/// errors of the statements left out (as `up` leaves them out), `line N: CODE message`.
pub struct BuiltDocument {
    pub catalog: Catalog,
    pub script: String,
    pub left_out: Vec<String>,
    /// Roles the document grants to but never creates (`up` creates them, cluster-wide).
    pub roles_used: Vec<String>,
    /// The document's pg_cron jobs as `up` schedules them (document line, schedule).
    pub cron_jobs: Vec<(u32, pgspec_sql::cron::CronSchedule)>,
    /// Partitions of the live database the document does not name, built too (`keeping`).
    pub kept_partitions: Vec<String>,
    /// Custom settings the document's code reads and nobody sets, with the placeholder value
    /// `up` gives them on a database it builds (`app.current_user_id`, `0000…`).
    pub placeholders: Vec<(String, String)>,
}

/// The partitions of `live` that the document (`statements`) does not name and its build
/// lacks, under a partitioned table the build has (the months pgspec added when `up` ran in
/// an earlier month, or a partition made by hand), created in the build as they are in `live`,
/// so that a plan keeps them and their rows instead of dropping them. One whose bounds clash
/// with the build's partitions is left out (the plan then drops it, a data-loss hazard).
fn keep_partitions(
    live: &Catalog,
    statements: &[pgspec_sql::Statement],
    session: &mut ApplySession,
) -> Result<Vec<String>, Error> {
    let named: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.facts.creates)
        .filter(|o| o.kind == pgspec_sql::ObjectKind::Relation)
        .map(|o| o.name.to_lowercase())
        .collect();
    let built = session.catalog()?;
    let has = |schema: &str, name: &str| {
        built
            .tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    };
    let mut kept = Vec::new();
    for t in &live.tables {
        let Some(of) = &t.partition_of else { continue };
        let parent_partitioned =
            has(&of.parent_schema, &of.parent_name).is_some_and(|p| p.partitioning.is_some());
        if t.partitioning.is_some()
            || !parent_partitioned
            || has(&t.schema, &t.name).is_some()
            || named.contains(&t.name.to_lowercase())
        {
            continue;
        }
        let name = pgspec_diff::qualified(&t.schema, &t.name);
        let sql = format!(
            "CREATE TABLE {name} PARTITION OF {} {}",
            pgspec_diff::qualified(&of.parent_schema, &of.parent_name),
            of.bound
        );
        if session.apply(&sql)?.error().is_none() {
            kept.push(name);
        }
    }
    Ok(kept)
}

pub fn build_document(path: &Path, server: &Server) -> Result<BuiltDocument, Error> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::new(format!("reading {label}: {e}")))?;
    build_document_bytes(&bytes, &label, server, None)
}

/// [`build_document`] of a document's bytes; `label` names it (a `.sql` label: one SQL block).
/// `keeping`: a live database's catalog whose partitions the document does not name are
/// created in the build too (see [`keep_partitions`]).
pub fn build_document_bytes(
    bytes: &[u8],
    label: &str,
    server: &Server,
    keeping: Option<&Catalog>,
) -> Result<BuiltDocument, Error> {
    let label = label.to_string();
    let extracted = pipeline::extract_as(bytes, SourceKind::of_path(Path::new(&label)));
    let pgspec_provision::up::BuiltKept {
        mut built,
        mut session,
        scratch,
    } = pgspec_provision::up::build_kept(&extracted, server, "pgspec_migrate")
        .map_err(|e| Error::new(format!("building {label}: {e}")))?;
    // Setting placeholders are `up`'s provisioning of one database (ALTER DATABASE … SET, which
    // only a superuser may do for a setting the server does not know), not the schema: kept
    // apart, for `up` to set on the database it migrates; a migration file leaves them out.
    let placeholder_names: Vec<String> = built
        .provisioned
        .iter()
        .filter(|a| a.kind == pgspec_provision::ActionKind::SettingPlaceholder)
        .map(|a| a.object.clone())
        .collect();
    let placeholders = pgspec_sql::settings::unset_settings_read(&extracted.statements)
        .into_iter()
        .filter(|r| placeholder_names.contains(&r.name))
        .map(|r| {
            let value = pgspec_provision::settings::placeholder_value(r.cast.as_deref());
            (r.name, value.to_string())
        })
        .collect();
    built
        .provisioned
        .retain(|a| a.kind != pgspec_provision::ActionKind::SettingPlaceholder);
    let left_out = built.report.error_lines(&extracted.document, &label, 0);
    let kept = match keeping {
        Some(live) => keep_partitions(live, &extracted.statements, &mut session)?,
        None => Vec::new(),
    };
    let catalog = session.catalog()?;
    drop(session);
    drop(scratch);
    Ok(BuiltDocument {
        kept_partitions: kept,
        placeholders,
        cron_jobs: pgspec_provision::up::cron_jobs(&extracted, &built.report),
        catalog,
        script: pgspec_provision::up::system_script(&label, &built),
        left_out,
        roles_used: built.roles_used.clone(),
    })
}

/// The state `files` build, on a fresh scratch database: every statement of each file's up
/// section runs, as the database's unprivileged owner, except the privileged ones pgspec
/// rebuilds for a document (an untrusted extension, an allowlisted role), which run through
/// pgspec's own privileged path; what pgspec never runs is refused. `after_each(i, scratch)`
/// is called after file `i`; `false` stops there.
/// `roles`: roles the files grant to without creating them, created first when missing (as
/// `up` creates them beside the database it makes; dropped with the scratch database).
fn build_files(
    files: &[MigrationFile],
    server: &Server,
    roles: &[String],
    after_each: &mut dyn FnMut(usize, &mut Scratch) -> Result<bool, Error>,
) -> Result<Scratch, Error> {
    let mut s = Scratch::empty(server)?;
    for role in roles {
        let op = pgspec_sql::safety::PrivilegedOp::CreateRole {
            name: role.clone(),
            options: pgspec_sql::safety::RoleOptions {
                login: Some(false),
                ..Default::default()
            },
        };
        // A role that exists already (the cluster's own) is left as it is.
        let _ = s.session.apply_privileged(&op)?;
    }
    for (i, f) in files.iter().enumerate() {
        let text: Vec<&str> = f.up.iter().map(|st| st.sql.as_str()).collect();
        s.run_as_document(&text.join("\n"), &f.file_name)
            .map_err(|e| match e {
                Failed::Refused(e) => e,
                Failed::Statement(statement, message) => Error::new(format!(
                    "{} does not build on a scratch database after the files before it: `{statement}`: {message}",
                    f.file_name
                )),
            })?;
        if !after_each(i, &mut s)? {
            break;
        }
    }
    Ok(s)
}

/// A migration file `migrate new` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub version: u32,
    pub up_statements: usize,
    pub down_statements: usize,
    /// Hazard codes of the up section (`DIF001`, …), one per hazard.
    pub hazards: Vec<String>,
    /// The document's statements that failed and are not part of the migration (as `up`
    /// leaves them out).
    pub left_out: Vec<String>,
    /// What the trial could not show.
    pub notes: Vec<String>,
}

/// Write the next migration: from the state the files of `dir` build to the document's schema
/// (up) and back (down), both tried on a scratch database first. `Ok(None)`: no change.
/// `strict`: a document with a failing statement is refused instead of migrated without it.
pub fn new_migration(
    dir: &Path,
    document: &Path,
    name: &str,
    server: &Server,
    strict: bool,
    renames: up::Renames,
) -> Result<Option<Written>, Error> {
    let files = read_dir(dir)?;
    let stale = ledger::differences(dir, &files)?;
    if !stale.is_empty() {
        return Err(Error::new(format!(
            "the ledger {} does not match the files ({}); after a deliberate edit of a file not yet applied, run `pgspec migrate hash`",
            dir.join(ledger::FILE_NAME).display(),
            stale.join("; ")
        )));
    }
    let BuiltDocument {
        catalog: to,
        script,
        left_out,
        roles_used,
        ..
    } = build_document(document, server)?;
    let mut built = build_files(&files, server, &roles_used, &mut |_, _| Ok(true))
        .map_err(|e| Error::new(format!("the existing migrations do not build: {e}")))?;
    let from = built.catalog()?;
    if strict && !left_out.is_empty() {
        return Err(Error::new(format!(
            "{} does not apply cleanly ({} error{}; `pgspec check` shows them): {}",
            document.display(),
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            left_out
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let options = compare_options(&from, &to);
    if files.is_empty() {
        return first_migration(
            dir,
            document,
            name,
            server,
            &to,
            &from,
            &script,
            &roles_used,
            left_out,
        );
    }
    let candidates = pgspec_diff::renames(&from, &to, &options);
    let mut notes = Vec::new();
    let (up, down) = if !candidates.is_empty() && renames != up::Renames::DropAndAdd {
        // Renames (`--renames`, else refused by name): the rest of each plan is planned from
        // the renamed schema, both ways.
        let up_plan = up::plan_to(&from, &to, server, renames, &[])?;
        let down_plan = up::plan_to(&to, &from, server, renames, &[])?;
        notes.extend(up_plan.notes);
        (up_plan.plan, down_plan.plan)
    } else {
        if !candidates.is_empty() {
            notes.push(format!(
                "dropped and added, not renamed (--no-renames): {}",
                candidates
                    .iter()
                    .map(pgspec_diff::Rename::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let up = pgspec_diff::plan(&from, &to, &options).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!(
                    "pgspec cannot express the change yet: {}",
                    refusals_text(&r)
                ),
            )
        })?;
        if up.is_empty() {
            return Ok(None);
        }
        let down = pgspec_diff::plan(&to, &from, &options).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!("pgspec cannot express the way back: {}", refusals_text(&r)),
            )
        })?;
        (up, down)
    };
    // The trial: up brings the built state to the document, down brings it back.
    run_plan(&mut built, &up).map_err(|e| trial_failed("the up plan", &e))?;
    let after_up = built.catalog()?;
    let left = differences(&after_up, &to);
    if !left.is_empty() {
        return Err(Error::coded(
            Rule::MigrationRefused,
            format!(
                "pgspec cannot write the up plan: after it ran on a scratch database, this still differs from the document: {}",
                left.join("; ")
            ),
        ));
    }
    run_plan(&mut built, &down).map_err(|e| trial_failed("the way back (the down plan)", &e))?;
    let after_down = built.catalog()?;
    let left = differences(&after_down, &from);
    if !left.is_empty() {
        return Err(Error::coded(
            Rule::MigrationRefused,
            format!(
                "pgspec cannot write the down plan: after it ran on a scratch database, this still differs from the earlier state: {}",
                left.join("; ")
            ),
        ));
    }
    let version = files.last().map_or(1, |f| f.version + 1);
    let slug = file::slug(name);
    let file_name = format!("{version:04}_{slug}.sql");
    let text = file::render(version, &slug, &document.display().to_string(), &up, &down);
    let parsed = file::parse(&file_name, text.as_bytes())?;
    let mut written = write_new(
        dir,
        files,
        parsed,
        &text,
        version,
        up.statements.len(),
        &down,
        left_out,
    )?;
    written.notes = notes;
    written.hazards = up
        .statements
        .iter()
        .flat_map(|s| s.hazards.iter().map(|h| h.code.code().to_string()))
        .collect();
    Ok(Some(written))
}

/// The first migration: the document's own statements as `pgspec up` ran them (the script
/// `pgspec sql` prints), so that it equals a database `up` made; its down section drops what
/// it made (diff back to the empty database).
#[allow(clippy::too_many_arguments)]
fn first_migration(
    dir: &Path,
    document: &Path,
    name: &str,
    server: &Server,
    to: &Catalog,
    empty: &Catalog,
    script: &str,
    roles_used: &[String],
    left_out: Vec<String>,
) -> Result<Option<Written>, Error> {
    if differences(empty, to).is_empty() {
        return Ok(None);
    }
    // Facts the catalog does not model (privileges on a schema, comments on constraints) go
    // with the objects the down section drops; the trial below shows none is left.
    let mut without_facts = to.clone();
    without_facts.unmodelled.clear();
    let down =
        pgspec_diff::plan(&without_facts, empty, &compare_options(to, empty)).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!(
                    "pgspec cannot express the way back to an empty database: {}",
                    refusals_text(&r)
                ),
            )
        })?;
    let text = file::render_first(
        1,
        &file::slug(name),
        &document.display().to_string(),
        script,
        &down,
    );
    let file_name = format!("{:04}_{}.sql", 1, file::slug(name));
    let parsed = file::parse(&file_name, text.as_bytes())?;
    // The trial: the file builds the document's schema, and its down section empties it.
    let mut s = build_files(
        std::slice::from_ref(&parsed),
        server,
        roles_used,
        &mut |_, _| Ok(true),
    )?;
    let after = s.catalog()?;
    let left = differences(&after, to);
    if !left.is_empty() {
        return Err(Error::new(format!(
            "the document's script does not rebuild its schema on a scratch database: {}",
            left.join("; ")
        )));
    }
    // The down section of a first file empties the database; as the owner it cannot drop
    // what pgspec created with privileges (an untrusted extension): the file is still written,
    // and the warning says why that section was not tried to the end.
    let mut notes = Vec::new();
    match s.run_steps(&parsed, &parsed.down, 0) {
        Ok(()) => {
            let mut after_down = s.catalog()?;
            // Facts the catalog does not model on what the down section keeps (a grant or
            // default privileges on schema `public`) cannot be planned away: said, not refused.
            let kept_facts: Vec<String> = std::mem::take(&mut after_down.unmodelled)
                .into_iter()
                .filter(|l| !empty.unmodelled.contains(l))
                .collect();
            let mut empty_modelled = empty.clone();
            empty_modelled.unmodelled.clear();
            let left = differences(&after_down, &empty_modelled);
            if !left.is_empty() {
                return Err(Error::new(format!(
                    "after the down section ran on a scratch database, this is left: {}",
                    left.join("; ")
                )));
            }
            if !kept_facts.is_empty() {
                notes.push(format!(
                    "its down section keeps what pgspec cannot plan yet: {}",
                    kept_facts.join("; ")
                ));
            }
        }
        Err(e) => notes.push(format!(
            "its down section (which empties the database) does not run as the database's owner: {}",
            e.message
        )),
    }
    let mut written = write_new(dir, Vec::new(), parsed, &text, 1, 0, &down, left_out)?;
    written.notes = notes;
    Ok(Some(written))
}

#[allow(clippy::too_many_arguments)]
fn write_new(
    dir: &Path,
    files: Vec<MigrationFile>,
    parsed: MigrationFile,
    text: &str,
    version: u32,
    up_statements: usize,
    down: &Plan,
    left_out: Vec<String>,
) -> Result<Written, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    let path = dir.join(&parsed.file_name);
    std::fs::write(&path, text)
        .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))?;
    let up_statements = if up_statements == 0 {
        parsed
            .up
            .iter()
            .filter_map(|st| pgspec_sql::ast::parse(&st.sql))
            .map(|tree| pgspec_sql::ast::top_nodes(&tree).count())
            .sum()
    } else {
        up_statements
    };
    let mut all = files;
    all.push(parsed);
    ledger::write(dir, &all)?;
    Ok(Written {
        path,
        version,
        up_statements,
        down_statements: down.statements.len(),
        hazards: Vec::new(),
        left_out,
        notes: Vec::new(),
    })
}

/// A plan `migrate new` wrote that fails on the scratch database: refused (DIF008), with what
/// PostgreSQL said. An extension with no update path to the older version gets the reason
/// and the choices in plain words.
fn trial_failed(plan: &str, e: &str) -> Error {
    let downgrade = e.contains("ALTER EXTENSION") && e.contains("has no update path");
    let advice = if downgrade {
        "; the extension ships no script between those versions, so only DROP EXTENSION and CREATE EXTENSION … VERSION would get there, dropping every object that uses it: keep the version in the document, or write that section by hand"
    } else {
        ""
    };
    Error::coded(
        Rule::MigrationRefused,
        format!("pgspec cannot write {plan}: it {e}{advice}"),
    )
}

/// The extension `sql` creates when it is one statement pgspec runs for a document through
/// its privileged path (an extension it allows, whether or not the owner may create it).
fn creates_extension(sql: &str, database: &str) -> Option<pgspec_sql::safety::PrivilegedOp> {
    let extracted = pipeline::extract_as(sql.as_bytes(), SourceKind::Sql);
    let [st] = extracted.statements.as_slice() else {
        return None;
    };
    match st.safety(Some(database)) {
        Safety::Privileged {
            op: op @ pgspec_sql::safety::PrivilegedOp::CreateExtension { .. },
            ..
        } => Some(op),
        _ => None,
    }
}

fn run_plan(scratch: &mut Scratch, plan: &Plan) -> Result<(), String> {
    let database = scratch.session.database().to_string();
    for (i, s) in plan.statements.iter().enumerate() {
        // An extension is created as `up` creates it for a document: an untrusted one on the
        // administrative connection (the owner may not).
        let ran = if creates_extension(&s.sql, &database).is_some() {
            scratch
                .run_as_document(&s.sql, "the plan")
                .map_err(|e| match e {
                    Failed::Refused(e) => e.message,
                    Failed::Statement(_, message) => message,
                })
        } else {
            scratch.run(&s.sql)
        };
        ran.map_err(|e| {
            format!(
                "fails on a scratch database at statement {} (`{}`): {e}",
                i + 1,
                s.sql.lines().next().unwrap_or("")
            )
        })?;
    }
    Ok(())
}

/// Rewrite the ledger from the files as they are (after a deliberate edit of a pending file).
pub fn rehash(dir: &Path) -> Result<usize, Error> {
    let files = read_dir(dir)?;
    ledger::write(dir, &files)?;
    Ok(files.len())
}

// ---------------------------------------------------------------------------------------------
// migrate status

#[derive(Clone, Debug, serde::Serialize)]
pub struct Status {
    pub entries: Vec<Entry>,
    /// How the ledger differs from the files (empty: it matches).
    pub ledger: Vec<String>,
    /// What the database has that its applied files do not build, or lacks (the statements
    /// that would bring the database to them); `None` when not compared (no scratch server,
    /// or an applied file is edited or missing).
    pub drift: Option<Vec<String>>,
}

/// The files against the history; with `scratch_server`, also the database's schema against
/// the state its applied files build (drift: a change made by hand).
pub fn status(
    dir: &Path,
    target: &mut Target<'_>,
    scratch_server: Option<&Server>,
) -> Result<Status, Error> {
    let files = read_dir(dir)?;
    let ledger = ledger::differences(dir, &files)?;
    let applied = history::read(&mut target.client)?;
    let mut entries = compare(&files, &applied);
    // The first pending file may have been stopped part-way.
    let mut unfinished = None;
    if let Some(e) = entries.iter_mut().find(|e| e.state == State::Pending) {
        if let Some(f) = files.iter().find(|f| f.version == e.version) {
            let done = history::steps_done(
                &mut target.client,
                f.version,
                history::Direction::Up,
                &f.checksum,
            )?;
            if done > 0 {
                e.steps_done = Some(done);
                unfinished = Some((f, done));
            }
        }
    }
    let drift = match scratch_server {
        Some(server) if history_problems(&entries).is_empty() => {
            let applied_files: Vec<MigrationFile> = files
                .iter()
                .filter(|f| applied.iter().any(|r| r.version == f.version))
                .cloned()
                .collect();
            let mut built = build_files(&applied_files, server, &[], &mut |_, _| Ok(true))?;
            // The steps an unfinished file did are part of the database, not drift.
            if let Some((f, done)) = unfinished {
                for step in &f.up[..done.min(f.up.len())] {
                    built
                        .run(&step.sql)
                        .map_err(|e| Error::new(format!("{}: {e}", f.file_name)))?;
                }
            }
            let built = built.catalog()?;
            // An invalid index a failed CONCURRENTLY build left: the next apply builds it.
            let (live, _) = without_invalid_indexes(&target.catalog()?);
            Some(differences(&live, &built))
        }
        _ => None,
    };
    Ok(Status {
        entries,
        ledger,
        drift,
    })
}

// ---------------------------------------------------------------------------------------------
// migrate apply

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub dry_run: bool,
    /// Try the pending files on a scratch copy of the target's schema first.
    pub validate: bool,
    pub lock_timeout: Duration,
}

/// What happened to one file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Done {
    pub version: u32,
    pub file_name: String,
    /// `applied`, `baseline` (recorded: the database already had its schema), `would_apply`
    /// (dry run), `reverted`, `would_revert`.
    pub action: &'static str,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub done: Vec<Done>,
    /// Said to the user: the lock was busy, validation skipped, …
    pub notes: Vec<String>,
    pub validated: bool,
}

/// Statements pgspec never runs for a document (a program run by the server, a file read or
/// written, a setting that loads code, another database touched …) are refused in a migration
/// file too, from the parse tree of each statement, before anything runs: a file is written
/// from a document, and a document is hostile input.
fn screen(file: &MigrationFile, steps: &[Step], database: &str) -> Result<(), Error> {
    for (i, step) in steps.iter().enumerate() {
        screen_sql(
            &format!("{} step {}", file.file_name, i + 1),
            &step.sql,
            database,
        )?;
    }
    Ok(())
}

/// [`screen`] for one piece of SQL, named `label` in the refusal.
fn screen_sql(label: &str, sql: &str, database: &str) -> Result<(), Error> {
    let extracted = pipeline::extract_as(sql.as_bytes(), SourceKind::Sql);
    for st in &extracted.statements {
        if let pgspec_sql::safety::Safety::Refused(why) = st.safety(Some(database)) {
            return Err(Error::new(format!(
                "{label}: pgspec never runs `{}`: {why}",
                st.text.lines().next().unwrap_or("")
            )));
        }
    }
    Ok(())
}

/// A failure while a file ran on the target: the database is as before that file (its
/// transaction rolled back), except for the steps of a file with steps outside a transaction
/// that finished before the failing one: those stay, recorded, and the next run continues
/// from the failing step.
fn apply_failed(
    file: &MigrationFile,
    steps: &[Step],
    step: usize,
    e: &pgspec_postgres::client::Error,
) -> Error {
    let partial = if steps.iter().all(|s| s.transactional) {
        "the file's transaction was rolled back: the database is as before it and the version is not recorded".to_string()
    } else if step == 0 {
        "no step of it had run (a file with `-- pgspec:no-transaction` steps runs step by step): the database is as before it and the version is not recorded".to_string()
    } else {
        let kept = if step == 1 {
            "step 1 stays".to_string()
        } else {
            format!("steps 1–{step} stay")
        };
        format!(
            "{kept} applied and recorded (a file with `-- pgspec:no-transaction` steps runs step by step); the version is not recorded and the next run continues from step {}",
            step + 1
        )
    };
    Error::new(format!(
        "{} step {} failed on the target: {}; {partial}",
        file.file_name,
        step + 1,
        pgspec_postgres::cluster::error_text(e)
    ))
}

/// Before a `CREATE INDEX CONCURRENTLY` step runs again (an earlier run stopped at or just
/// after it): an invalid index of that name, which a failed build leaves, is dropped; a valid
/// one means the step had finished, and it is skipped (`Ok(false)`).
fn concurrent_index_to_build(client: &mut Client, sql: &str) -> Result<bool, Error> {
    let Some(tree) = pgspec_sql::ast::parse(sql) else {
        return Ok(true);
    };
    let Some(pgspec_sql::ast::NodeEnum::IndexStmt(index)) =
        pgspec_sql::ast::top_nodes(&tree).next()
    else {
        return Ok(true);
    };
    if !index.concurrent || index.idxname.is_empty() {
        return Ok(true);
    }
    let schema = index
        .relation
        .as_ref()
        .map(|r| r.schemaname.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "public".into());
    let server_error = |e: pgspec_postgres::client::Error| {
        Error::new(format!(
            "looking for index {}: {}",
            index.idxname,
            pgspec_postgres::cluster::error_text(&e)
        ))
    };
    let valid = pgspec_postgres::catalog::probes::index_is_valid(client, &schema, &index.idxname)
        .map_err(server_error)?;
    match valid {
        Some(true) => Ok(false),
        Some(false) => {
            client
                .batch_execute(&format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS {}",
                    pgspec_diff::qualified(&schema, &index.idxname)
                ))
                .map_err(server_error)?;
            Ok(true)
        }
        None => Ok(true),
    }
}

/// Run `steps` of `file` on the target, the transactional ones in one transaction with
/// `finish` (the history change). A file with steps outside a transaction runs them one by
/// one from step `start + 1` (the steps an earlier run finished are skipped), recording each
/// finished step with it, so that a run stopped part-way continues where it stopped.
fn run_on_target(
    client: &mut Client,
    file: &MigrationFile,
    steps: &[Step],
    direction: history::Direction,
    start: usize,
    finish: &dyn Fn(&mut pgspec_postgres::client::Transaction<'_>, Duration) -> Result<(), Error>,
) -> Result<Duration, Error> {
    let begun = Instant::now();
    let failed = |i: usize, e: &pgspec_postgres::client::Error| apply_failed(file, steps, i, e);
    if steps.iter().all(|s| s.transactional) {
        let mut tx = client.transaction().map_err(|e| failed(0, &e))?;
        for (i, s) in steps.iter().enumerate() {
            tx.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
        }
        finish(&mut tx, begun.elapsed())?;
        tx.commit().map_err(|e| failed(steps.len(), &e))?;
        return Ok(begun.elapsed());
    }
    history::ensure(client)?;
    let (version, checksum) = (file.version, file.checksum.as_str());
    for (i, s) in steps.iter().enumerate().skip(start) {
        if s.transactional {
            let mut tx = client.transaction().map_err(|e| failed(i, &e))?;
            tx.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
            history::set_steps_done(&mut tx, version, direction, checksum, Some(i + 1))?;
            tx.commit().map_err(|e| failed(i, &e))?;
        } else {
            if i == start && !concurrent_index_to_build(client, &s.sql)? {
                history::set_steps_done(client, version, direction, checksum, Some(i + 1))?;
                continue;
            }
            client.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
            history::set_steps_done(client, version, direction, checksum, Some(i + 1))?;
        }
    }
    let mut tx = client.transaction().map_err(|e| failed(steps.len(), &e))?;
    finish(&mut tx, begun.elapsed())?;
    history::set_steps_done(&mut tx, version, direction, checksum, None)?;
    tx.commit().map_err(|e| failed(steps.len(), &e))?;
    Ok(begun.elapsed())
}

/// Files `1..=k` whose state equals the target's schema, for a database that has a schema but
/// no history (made by `pgspec up` before the first migration): the largest such `k`, with
/// the scratch database at that state. `Ok(None)` when the target is empty.
fn baseline(
    files: &[MigrationFile],
    target: &Catalog,
    server: &Server,
) -> Result<Option<(usize, Scratch)>, Error> {
    let empty = Scratch::empty(server)?.catalog()?;
    if differences(&empty, target).is_empty() {
        return Ok(None);
    }
    let mut matched = None;
    let mut first_difference = Vec::new();
    let scratch = build_files(files, server, &[], &mut |i, s| {
        let left = differences(&s.catalog()?, target);
        if left.is_empty() {
            matched = Some(i + 1);
            return Ok(false);
        }
        if i == 0 {
            first_difference = left;
        }
        Ok(true)
    })
    .map_err(|e| Error::new(format!("the migrations do not build: {e}")))?;
    let Some(k) = matched else {
        return Err(Error::new(format!(
            "the database has a schema but no migration history, and no prefix of the migrations builds that schema (after the first file, still to change: {}); write a first migration that equals it (`pgspec migrate new` on the document it was made from, into an empty directory)",
            first_difference.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )));
    };
    Ok(Some((k, scratch)))
}

/// A scratch database with the target's schema: the applied files built again when they
/// give exactly the target's schema, else a copy made from the target's catalog. The second
/// value: how the target drifted from its applied files (empty: it did not).
/// The names of `catalog`'s invalid indexes, which an interrupted or failed
/// `CREATE INDEX CONCURRENTLY` leaves (never one of a partitioned table's, invalid by design
/// until every partition has its copy), and the catalog without them: whatever runs next
/// drops them and builds them again.
fn without_invalid_indexes(catalog: &Catalog) -> (Catalog, Vec<String>) {
    let partitioned: Vec<u32> = catalog
        .tables
        .iter()
        .filter(|t| t.partitioning.is_some())
        .map(|t| t.oid)
        .collect();
    let invalid: Vec<String> = catalog
        .indexes
        .iter()
        .filter(|i| !i.valid && !partitioned.contains(&i.table_oid))
        .map(|i| pgspec_diff::qualified(&i.schema, &i.name))
        .collect();
    let mut c = catalog.clone();
    c.indexes
        .retain(|i| !invalid.contains(&pgspec_diff::qualified(&i.schema, &i.name)));
    (c, invalid)
}

/// `unfinished`: a file an earlier run stopped in, and how many of its up steps it finished
/// (they are part of the target's schema).
fn copy_of_target(
    applied_files: &[MigrationFile],
    unfinished: Option<(&MigrationFile, usize)>,
    catalog: &Catalog,
    server: &Server,
) -> Result<(Scratch, Vec<String>), Error> {
    // A failed CONCURRENTLY build's index goes before the step runs again.
    let (catalog, _) = &without_invalid_indexes(catalog);
    let mut built = build_files(applied_files, server, &[], &mut |_, _| Ok(true))?;
    if let Some((f, done)) = unfinished {
        for step in &f.up[..done.min(f.up.len())] {
            built
                .run(&step.sql)
                .map_err(|e| Error::new(format!("{}: {e}", f.file_name)))?;
        }
    }
    let drift = differences(&built.catalog()?, catalog);
    if drift.is_empty() {
        return Ok((built, drift));
    }
    drop(built);
    Ok((Scratch::copy_of(server, catalog)?, drift))
}

/// Apply the pending files of `dir` to the target, in order, under the migration lock.
pub fn apply(
    dir: &Path,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &ApplyOptions,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<Report, Error> {
    let files = read_dir(dir)?;
    let stale = ledger::differences(dir, &files)?;
    if !stale.is_empty() {
        return Err(Error::new(format!(
            "the ledger {} does not match the files ({}); after a deliberate edit of a file not yet applied, run `pgspec migrate hash`",
            dir.join(ledger::FILE_NAME).display(),
            stale.join("; ")
        )));
    }
    under_lock(target, options.lock_timeout, waiting, |target| {
        apply_locked(&files, target, scratch_server, options)
    })
}

fn apply_locked(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &ApplyOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let (applied, entries) = checked_history(files, target, "apply")?;
    let mut pending: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| {
            entries
                .iter()
                .any(|e| e.version == f.version && e.state == State::Pending)
        })
        .collect();
    if pending.is_empty() {
        return Ok(report);
    }
    for f in &pending {
        screen(f, &f.up, &target.database)?;
    }
    // The first pending file may have been stopped part-way (steps outside a transaction).
    let resume_from = history::steps_done(
        &mut target.client,
        pending[0].version,
        history::Direction::Up,
        &pending[0].checksum,
    )?;
    if resume_from > 0 {
        report.notes.push(format!(
            "{} was stopped after step {resume_from} of {} by an earlier run: continuing from step {}",
            pending[0].file_name,
            pending[0].up.len(),
            resume_from + 1
        ));
    }
    let catalog = target.catalog()?;
    let mut scratch = None;
    let mut baseline_count = 0;
    if applied.is_empty() && resume_from == 0 {
        if let Some((k, at_k)) = baseline(files, &catalog, scratch_server)? {
            baseline_count = k;
            scratch = Some(at_k);
        }
    }
    let (baselined, rest) = pending.split_at(baseline_count.min(pending.len()));
    let baselined: Vec<&MigrationFile> = baselined.to_vec();
    pending = rest.to_vec();
    if options.validate && !pending.is_empty() {
        let mut s = match scratch.take() {
            Some(s) => s,
            None => {
                let applied_files: Vec<MigrationFile> = files
                    .iter()
                    .filter(|f| applied.iter().any(|r| r.version == f.version))
                    .cloned()
                    .collect();
                let unfinished = (resume_from > 0).then(|| (pending[0], resume_from));
                let (s, drift) =
                    copy_of_target(&applied_files, unfinished, &catalog, scratch_server).map_err(
                        |e| {
                            Error::new(format!("{e} (--no-validate applies without the trial run)"))
                        },
                    )?;
                if !drift.is_empty() {
                    report.notes.push(format!(
                        "the database differs from what its applied migrations build (changed by hand?): {}",
                        drift.into_iter().take(5).collect::<Vec<_>>().join("; ")
                    ));
                }
                s
            }
        };
        for (i, f) in pending.iter().enumerate() {
            s.run_steps(f, &f.up, if i == 0 { resume_from } else { 0 })?;
        }
        report.validated = true;
    } else if !pending.is_empty() {
        report
            .notes
            .push("not validated on a scratch copy (--no-validate)".into());
    }
    drop(scratch);
    if options.dry_run {
        for f in &baselined {
            report.done.push(done(f, "would_baseline", Duration::ZERO));
        }
        for f in &pending {
            report.done.push(done(f, "would_apply", Duration::ZERO));
        }
        return Ok(report);
    }
    history::ensure(&mut target.client)?;
    for f in &baselined {
        history::record(
            &mut target.client,
            f.version,
            &f.file_name,
            &f.checksum,
            Duration::ZERO,
            true,
        )?;
        report.done.push(done(f, "baseline", Duration::ZERO));
    }
    for (i, f) in pending.iter().enumerate() {
        let start = if i == 0 { resume_from } else { 0 };
        let took = run_on_target(
            &mut target.client,
            f,
            &f.up,
            history::Direction::Up,
            start,
            &|tx, took| history::record(tx, f.version, &f.file_name, &f.checksum, took, false),
        )?;
        report.done.push(done(f, "applied", took));
    }
    Ok(report)
}

fn done(f: &MigrationFile, action: &'static str, took: Duration) -> Done {
    Done {
        version: f.version,
        file_name: f.file_name.clone(),
        action,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}

// ---------------------------------------------------------------------------------------------
// migrate down

#[derive(Clone, Debug)]
pub struct DownOptions {
    pub steps: usize,
    pub allow_data_loss: bool,
    pub dry_run: bool,
    pub validate: bool,
    pub lock_timeout: Duration,
}

/// Whether a hazard loses data: values dropped, or a type that may reject or change them.
fn loses_data(code: Rule) -> bool {
    hazards::Kind::of(code, true) == hazards::Kind::DataLoss
}

/// Revert the last `steps` applied files through their down sections, newest first.
pub fn down(
    dir: &Path,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &DownOptions,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<Report, Error> {
    let files = read_dir(dir)?;
    under_lock(target, options.lock_timeout, waiting, |target| {
        down_locked(&files, target, scratch_server, options)
    })
}

/// `work` on the target while this process holds its migration lock (taken, waiting up to
/// `timeout`, and given back whatever `work` returns).
fn under_lock<T>(
    target: &mut Target<'_>,
    timeout: Duration,
    waiting: &mut dyn FnMut(Option<i32>),
    work: impl FnOnce(&mut Target<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    history::lock(&mut target.client, timeout, waiting)?;
    let result = work(target);
    history::unlock(&mut target.client);
    result
}

/// The target's history compared with the files; refused (`refusing to {verb}: …`) when an
/// applied file was edited, removed or reordered.
fn checked_history(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    verb: &str,
) -> Result<(Vec<AppliedRow>, Vec<Entry>), Error> {
    let applied = history::read(&mut target.client)?;
    let entries = compare(files, &applied);
    let problems = history_problems(&entries);
    if !problems.is_empty() {
        return Err(Error::new(format!(
            "refusing to {verb}: {}",
            problems.join("; ")
        )));
    }
    Ok((applied, entries))
}

fn down_locked(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &DownOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let (applied, _) = checked_history(files, target, "revert")?;
    let chosen: Vec<&MigrationFile> = applied
        .iter()
        .rev()
        .take(options.steps)
        .filter_map(|r| files.iter().find(|f| f.version == r.version))
        .collect();
    if chosen.is_empty() {
        return Ok(report);
    }
    for f in &chosen {
        screen(f, &f.down, &target.database)?;
    }
    if options.validate {
        let catalog = target.catalog()?;
        let applied_files: Vec<MigrationFile> = files
            .iter()
            .filter(|f| applied.iter().any(|r| r.version == f.version))
            .cloned()
            .collect();
        let (mut s, drift) = copy_of_target(&applied_files, None, &catalog, scratch_server)
            .map_err(|e| {
                Error::new(format!("{e} (--no-validate reverts without the trial run)"))
            })?;
        if !drift.is_empty() {
            report.notes.push(format!(
                "the database differs from what its applied migrations build (changed by hand?): {}",
                drift.into_iter().take(5).collect::<Vec<_>>().join("; ")
            ));
        }
        let mut before = catalog;
        for f in &chosen {
            s.run_steps(f, &f.down, 0)?;
            let after = s.catalog()?;
            // What the step did, as the planner sees it: its hazards are the step's.
            let effect = pgspec_diff::plan(&before, &after, &compare_options(&before, &after))
                .map_err(|r| {
                    Error::new(format!(
                        "the effect of {}'s down section cannot be judged: {}",
                        f.file_name,
                        refusals_text(&r)
                    ))
                })?;
            // A rename the section runs (written with `--renames`) keeps the values; the
            // catalogs alone show a drop and an add.
            let down_text: String = f.down.iter().map(|st| st.sql.as_str()).collect();
            let renamed: Vec<String> =
                pgspec_diff::renames(&before, &after, &compare_options(&before, &after))
                    .into_iter()
                    .filter(|r| {
                        r.statements
                            .iter()
                            .all(|st| down_text.contains(st.sql.as_str()))
                    })
                    .map(|r| match r.kind {
                        pgspec_diff::RenameKind::Table => {
                            format!("table {} ", pgspec_diff::qualified(&r.schema, &r.from))
                        }
                        pgspec_diff::RenameKind::Column => format!(
                            "column {}.{} ",
                            pgspec_diff::qualified(&r.schema, &r.table),
                            r.from
                        ),
                    })
                    .collect();
            let losses: Vec<String> = effect
                .statements
                .iter()
                .flat_map(|st| st.hazards.iter())
                .filter(|h| loses_data(h.code))
                .filter(|h| !renamed.iter().any(|object| h.message.starts_with(object)))
                .map(|h| format!("{} {}", h.code.code(), h.message))
                .collect();
            if !losses.is_empty() {
                if !options.allow_data_loss {
                    return Err(Error::new(format!(
                        "refusing to revert {}: its down section loses data ({}); add --allow-hazards data-loss to revert anyway",
                        f.file_name,
                        losses.join("; ")
                    )));
                }
                report.notes.push(format!(
                    "{} loses data (allowed): {}",
                    f.file_name,
                    losses.join("; ")
                ));
            }
            before = after;
        }
        report.validated = true;
    } else if !options.allow_data_loss {
        return Err(Error::new(
            "without the trial run (--no-validate) pgspec cannot tell whether the down sections lose data; add --allow-hazards data-loss to revert anyway",
        ));
    }
    if options.dry_run {
        for f in &chosen {
            report.done.push(done(f, "would_revert", Duration::ZERO));
        }
        return Ok(report);
    }
    for f in &chosen {
        let start = history::steps_done(
            &mut target.client,
            f.version,
            history::Direction::Down,
            &f.checksum,
        )?;
        let took = run_on_target(
            &mut target.client,
            f,
            &f.down,
            history::Direction::Down,
            start,
            &|tx, _| history::forget(tx, f.version),
        )?;
        report.done.push(done(f, "reverted", took));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, sql: &str) -> MigrationFile {
        file::parse(name, format!("-- pgspec:up\n{sql}\n").as_bytes()).expect("parses")
    }

    fn row(f: &MigrationFile) -> AppliedRow {
        AppliedRow {
            version: f.version,
            file_name: f.file_name.clone(),
            checksum: f.checksum.clone(),
            applied_at: "2026-01-01".into(),
            duration_ms: 1,
            baseline: false,
        }
    }

    #[test]
    fn files_and_history_give_each_file_its_state() {
        let a = file("0001_a.sql", "CREATE TABLE a (x int);");
        let b = file("0002_b.sql", "CREATE TABLE b (x int);");
        let c = file("0003_c.sql", "CREATE TABLE c (x int);");
        let d = file("0004_d.sql", "CREATE TABLE d (x int);");
        let edited_a = file("0001_a.sql", "CREATE TABLE a (x bigint);");
        let states = |files: &[MigrationFile], applied: &[AppliedRow]| {
            compare(files, applied)
                .into_iter()
                .map(|e| (e.version, e.state))
                .collect::<Vec<_>>()
        };
        // b slipped in before an applied c; d is new; a as applied.
        assert_eq!(
            states(
                &[a.clone(), b.clone(), c.clone(), d.clone()],
                &[row(&a), row(&c)]
            ),
            vec![
                (1, State::Applied),
                (2, State::OutOfOrder),
                (3, State::Applied),
                (4, State::Pending)
            ]
        );
        // a edited, c gone.
        assert_eq!(
            states(&[edited_a, d.clone()], &[row(&a), row(&c)]),
            vec![(1, State::Edited), (3, State::Missing), (4, State::Pending)]
        );
        // A file renamed keeps its version but not its record.
        let renamed = file("0001_renamed.sql", "CREATE TABLE a (x int);");
        assert_eq!(
            states(std::slice::from_ref(&renamed), &[row(&a)]),
            vec![(1, State::Edited)]
        );
        let problems = history_problems(&compare(&[renamed], &[row(&a)]));
        assert!(problems[0].contains("as 0001_a.sql"), "{problems:?}");
    }
}
