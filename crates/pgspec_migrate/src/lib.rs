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

mod apply;
mod down;
mod new;

pub use apply::*;
pub use down::*;
pub use new::*;

use apply::{copy_of_target, done, run_on_target, screen, screen_sql, without_invalid_indexes};
use down::{checked_history, under_lock};
use new::{build_files, creates_extension, run_plan};

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
