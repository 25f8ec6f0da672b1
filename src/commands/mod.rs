//! One module per command: its clap arguments and its run function. Here: what they share (the
//! server options, the output format, reading a document, finding the server).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::ValueEnum;

use pgspec::diagnostics::Severity;
use pgspec::postgres::{Cluster, PgBinaries, Server};

pub(crate) mod check;
pub(crate) mod cluster;
pub(crate) mod diff;
pub(crate) mod drift;
pub(crate) mod erd;
pub(crate) mod fix;
pub(crate) mod migrate;
pub(crate) mod model;
pub(crate) mod report;
pub(crate) mod rule;
pub(crate) mod seed;
pub(crate) mod sql;
pub(crate) mod up;
pub(crate) mod verify;

#[derive(clap::Args, Debug)]
pub(crate) struct ServerArgs {
    /// Directory of the PostgreSQL server binaries (initdb, pg_ctl); default: $PG_BIN,
    /// `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
    #[arg(long, value_name = "DIR", global = true)]
    pg_bin: Option<PathBuf>,
    /// Where the private cluster lives (default: $PGSPEC_HOME, else /dev/shm/pgspec-<uid> in
    /// memory when /dev/shm is a tmpfs of 1 GiB or more, else /tmp/pgspec-<uid>).
    #[arg(long, value_name = "DIR", global = true)]
    cluster_dir: Option<PathBuf>,
}

/// The document and the database `pgspec up` makes for it: what `up`, `down`, `seed` and
/// `verify` share.
#[derive(clap::Args, Debug)]
pub(crate) struct DatabaseArgs {
    /// The design document (Markdown).
    #[arg(value_name = "DOC")]
    pub(crate) doc: PathBuf,
    /// Database name (default: `pgspec_<file stem>_<hash of the file's path>`, the one
    /// `pgspec up` makes for the document).
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    pub(crate) db: Option<String>,
    #[command(flatten)]
    pub(crate) server: ServerArgs,
}

impl DatabaseArgs {
    /// The document's path as messages show it.
    pub(crate) fn path(&self) -> String {
        self.doc.display().to_string()
    }

    /// `--name`, or the name `up` derives from the document's path.
    pub(crate) fn database_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| pgspec::up::database_name_for(&self.path()))
    }

    /// The server (`--db` or the private cluster).
    pub(crate) fn server(&self) -> Result<Server> {
        server_for(self.db.as_deref(), &self.server)
    }

    /// The server and the database, once it is sure that `pgspec up` made that database for
    /// this document (`doing` names the command in the error: "seeding DOC").
    pub(crate) fn made_by_up(&self, doing: &str) -> Result<(Server, String)> {
        let server = self.server()?;
        let name = self.database_name();
        pgspec::up::made_by_up(&server, &name, document_path(&self.doc).as_deref())
            .with_context(|| format!("{doing} {}", self.path()))?;
        Ok((server, name))
    }

    /// The last line of the human output: `pgspec <command>` on the same document and database.
    pub(crate) fn next_step(&self, command: &str, why: &str) -> String {
        crate::printer::next_step(
            command,
            &self.path(),
            self.db.as_deref(),
            self.name.as_deref(),
            why,
        )
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// rustc-style excerpts with carets, notes and help.
    Full,
    /// One line per finding: `path:line:col: severity[CODE] message (category)`.
    Concise,
    /// One JSON object: `documents[]` with `summary`, `statements[]`, `diagnostics[]`.
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
    /// SARIF 2.1.0 (one run, every document), for code scanning.
    Sarif,
}

/// The formats of the commands that build or report rather than judge a document line by
/// line (`up`, `down`, `seed`, `model`, `cluster status`): a human layout or one JSON object.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    /// The human layout.
    Full,
    /// One JSON object (the `tool`, `version`, `command` envelope and the command's fields).
    Json,
}

/// `verify`'s formats: its findings can also be one line each.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VerifyFormat {
    /// rustc-style excerpts for the findings, then one line per claim.
    Full,
    /// One line per finding and per claim.
    Concise,
    /// One JSON object: `claims[]`, `diagnostics[]`, `summary`.
    Json,
}

/// `--fail-on`: the severity from which a finding makes the command exit with 1.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailOn {
    Error,
    Warning,
    Info,
    /// Findings never change the exit code (the default of the commands that build).
    Never,
}

impl FailOn {
    /// The exit code of a command that did its job: 1 when one of `severities` is at or above
    /// this level, else 0. (2, when pgspec could not do the job, is decided by the caller.)
    pub(crate) fn exit_code(self, severities: impl IntoIterator<Item = Severity>) -> ExitCode {
        let level = match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
            FailOn::Never => return ExitCode::SUCCESS,
        };
        if severities.into_iter().any(|s| s >= level) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

pub(crate) fn server_for(db: Option<&str>, args: &ServerArgs) -> Result<Server> {
    if let Some(url) = db {
        let server = Server::Url(url.to_string());
        terminate_orphans_meanwhile(&server);
        return Ok(server);
    }
    let bins = PgBinaries::locate(args.pg_bin.as_deref())?;
    let root = args
        .cluster_dir
        .clone()
        .unwrap_or_else(Cluster::default_root);
    let cluster =
        Cluster::ensure(&root, &bins).context("starting the private PostgreSQL cluster")?;
    let server = Server::Embedded(cluster);
    terminate_orphans_meanwhile(&server);
    Ok(server)
}

/// The backends that dead pgspec runs left are ended while the command starts its work.
fn terminate_orphans_meanwhile(server: &Server) {
    if let Ok(config) = server.config(&server.maintenance_dbname()) {
        pgspec::postgres::orphans::terminate_orphans_meanwhile(config);
    }
}

/// The document's path for `up`'s identity check (none for standard input).
pub(crate) fn document_path(path: &Path) -> Option<String> {
    (path != Path::new("-")).then(|| path.display().to_string())
}

pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>> {
    pgspec::diagnostics::stage::document(&path.display().to_string());
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The examples `pgspec --help` ends with.
pub const EXAMPLES: &str = "\
Examples:
  pgspec check docs/schema.md                 apply on the private cluster, report problems
  pgspec check --format json docs/*.md        machine-readable, one entry per document
  pgspec lint --format sarif docs/schema.md   only the lint rules' findings, as SARIF 2.1.0 for code scanning
  pgspec rule LNT201                          explain a lint rule (`pgspec rule` lists them all)
  pgspec check --db postgres://me@/scratch x.md  use a server you name (a scratch database is created and dropped)
  pgspec fix --diff docs/schema.md            show the safe fixes as a diff (without --diff: write them)
  pgspec sql docs/schema.md > schema.sql      the clean, ordered schema SQL with fixes applied
  pgspec up docs/schema.md                    a persistent database with the document applied; prints its URL
  pgspec seed --rows 10000 docs/schema.md     fill it with rows that satisfy its constraints
  pgspec verify docs/schema.md                check the document's claims on the seeded data
  pgspec down docs/schema.md                  remove it again
  pgspec model --format json docs/schema.md   the merged schema model (SQL + ERD + column tables) with sources
  pgspec diff postgres://me@/app docs/schema.md  the SQL that brings a database to the document, with hazards
  pgspec erd docs/schema.md -o erd.svg        the ERD of what the document builds (--format mermaid|dot)
  pgspec report docs/schema.md -o report.html one self-contained page: ERD, findings, claims, drift, rows
  pgspec cluster status                       where the private cluster lives, whether it runs

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 pgspec could not run.";
