//! `pgspec drift DOC`: how a live database differs from its design document (the statements
//! that would bring it in step, as diff plans them) and, when it has a migration history, from
//! the state its applied migration files build. Nothing is changed.

use std::path::Path;

use pgspec_diff::{Plan, Rename};
use pgspec_postgres::catalog::Catalog;
use pgspec_postgres::Server;

use crate::up::Desired;
use crate::{
    build_files, compare, compare_options, differences, history, history_problems, read_dir, Error,
    MigrationFile,
};

/// What differs.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Drift {
    /// The statements that bring the database to the document (empty: in step).
    pub plan: Plan,
    /// Rename candidates (the plan above drops and adds them; `pgspec up --renames` renames).
    pub renames: Vec<String>,
    /// Against the migrations applied to it: `None` when there is no history to compare with
    /// (no directory, no files, nothing applied); else what would undo the differences.
    pub migrations: Option<Vec<String>>,
    /// Why the migrations were not compared, when they exist but could not be.
    pub migrations_note: Option<String>,
    /// The document's statements that fail, left out as `up` leaves them out.
    pub left_out: Vec<String>,
    /// Partitions of the database the document does not name, not counted as differences
    /// (as `up` keeps them).
    pub kept_partitions: Vec<String>,
}

impl Drift {
    pub fn in_step(&self) -> bool {
        self.plan.is_empty() && self.migrations.as_ref().is_none_or(Vec::is_empty)
    }
}

/// Compare `database` on `server` with the document and with the migrations of `dir` (when
/// given) applied to it. Scratch databases go on `scratch_server`.
pub fn drift(
    desired: &Desired<'_>,
    server: &Server,
    database: &str,
    scratch_server: &Server,
    dir: Option<&Path>,
) -> Result<Drift, Error> {
    let live = Catalog::load_database(server, database)?;
    let built =
        crate::build_document_bytes(desired.bytes, desired.label, scratch_server, Some(&live))?;
    let options = compare_options(&live, &built.catalog);
    let plan = pgspec_diff::plan(&live, &built.catalog, &options).map_err(|r| {
        Error::coded(
            pgspec_diagnostics::Rule::MigrationRefused,
            format!(
                "pgspec cannot express how the database differs from the document: {}",
                crate::refusals_text(&r)
            ),
        )
    })?;
    let renames = pgspec_diff::renames(&live, &built.catalog, &options)
        .iter()
        .map(Rename::describe)
        .collect();
    let (migrations, migrations_note) = match dir {
        Some(dir) => against_migrations(dir, server, database, &live, scratch_server)?,
        None => (None, None),
    };
    Ok(Drift {
        plan,
        renames,
        migrations,
        migrations_note,
        left_out: built.left_out,
        kept_partitions: built.kept_partitions,
    })
}

/// The live schema against what its applied files build.
fn against_migrations(
    dir: &Path,
    server: &Server,
    database: &str,
    live: &Catalog,
    scratch_server: &Server,
) -> Result<(Option<Vec<String>>, Option<String>), Error> {
    let files = read_dir(dir)?;
    if files.is_empty() {
        return Ok((None, None));
    }
    let mut client = server.admin_client(database)?;
    let applied = history::read(&mut client)?;
    if applied.is_empty() {
        return Ok((None, None));
    }
    let problems = history_problems(&compare(&files, &applied));
    if !problems.is_empty() {
        return Ok((
            None,
            Some(format!(
                "the migrations were not compared: {}",
                problems.join("; ")
            )),
        ));
    }
    let applied_files: Vec<MigrationFile> = files
        .into_iter()
        .filter(|f| applied.iter().any(|r| r.version == f.version))
        .collect();
    let mut built = build_files(&applied_files, scratch_server, &[], &mut |_, _| Ok(true))?;
    let built = built.catalog()?;
    Ok((Some(differences(live, &built)), None))
}
