//! `pgspec migrate new|apply|status|down|hash`: versioned migration files beside the document
//! (`migrations/`), applied to the database `pgspec up` made for it or to a database named by
//! URL. The work is in pgspec_migrate; here: which database, which directory, the output.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use pgspec::migrate::{self, ApplyOptions, DownOptions, Report, State, Target};
use pgspec::postgres::Server;

use super::{server_for, ReportFormat, ServerArgs};
use crate::printer::json_envelope;

#[derive(clap::Args, Debug)]
pub(crate) struct MigrateArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Write the next migration file: the change from the state the existing migrations build
    /// to the document (up) and back (down), both tried on a scratch database; update the
    /// ledger `pgspec.sum`.
    New {
        /// The design document (Markdown, or a `.sql` file read as one SQL block).
        #[arg(value_name = "DOC")]
        doc: PathBuf,
        /// A few words for the file name (`0002_<slug>.sql`).
        #[arg(long, value_name = "SLUG", default_value = "change")]
        name: String,
        /// Refuse a document with a failing statement (default: leave it out, as `up` does,
        /// and say so).
        #[arg(long)]
        strict: bool,
        /// Take the rename candidates (a table or column that goes while an identical one
        /// appears) as renames, both ways, as `pgspec diff --renames` does.
        #[arg(long, conflicts_with = "no_renames")]
        renames: bool,
        /// Drop a rename candidate and add the other (losing its values) instead of refusing.
        #[arg(long)]
        no_renames: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Apply the pending migration files in order, each in a transaction with its record in
    /// `pgspec_migrate.pgspec_migrations`, under an advisory lock, after a trial run on a
    /// scratch copy of the database's schema.
    Apply {
        /// The document whose database (made by `pgspec up`) and `migrations/` to use.
        #[arg(value_name = "DOC", required_unless_present = "db")]
        doc: Option<PathBuf>,
        /// Only say what would be applied (the trial run still happens).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        common: Common,
    },
    /// List the migration files: applied (when, how long), pending, edited after they were
    /// applied, missing, out of order; and whether the ledger matches. Exit 1 on a problem.
    Status {
        #[arg(value_name = "DOC", required_unless_present = "db")]
        doc: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Revert the last N applied files (default 1) through their down sections, newest first,
    /// refusing one that loses data unless `--allow-hazards data-loss`.
    Down {
        /// `[DOC] [N]`, in either order.
        #[arg(value_name = "DOC|N", num_args = 0..=2)]
        args: Vec<String>,
        /// Hazards to accept: `data-loss` (or `all`), comma-separated.
        #[arg(long, value_name = "KIND,…", value_delimiter = ',')]
        allow_hazards: Vec<String>,
        /// Only say what would be reverted (the trial run still happens).
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Rewrite the ledger `pgspec.sum` from the files as they are, after a deliberate edit of a
    /// file that is not applied yet.
    Hash {
        #[arg(value_name = "DOC", required_unless_present = "dir")]
        doc: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(clap::Args, Debug)]
struct Common {
    /// The migration directory (default: `migrations/` beside the document).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The target database by URL instead of the one `pgspec up` made for the document.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The name of the document's database, when `pgspec up --name` chose it.
    #[arg(long = "database", value_name = "NAME")]
    database: Option<String>,
    /// Do not try the migrations on a scratch copy first.
    #[arg(long)]
    no_validate: bool,
    /// How long to wait for another `pgspec migrate` on the same database, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    lock_timeout: u64,
    #[arg(long, value_enum, default_value_t = ReportFormat::Full)]
    format: ReportFormat,
    #[command(flatten)]
    server: ServerArgs,
}

impl Common {
    fn dir(&self, doc: Option<&Path>) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        match doc.and_then(Path::parent) {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("migrations"),
            _ => PathBuf::from("migrations"),
        }
    }
}

/// The servers of a run: the target's, and the private cluster for scratch databases when the
/// target is a URL.
struct Servers {
    target: Server,
    scratch: Option<Server>,
    database: String,
    /// The owner role `up` recorded (document targets): the migrations run as it.
    owner: Option<String>,
}

impl Servers {
    fn open(doc: Option<&Path>, common: &Common) -> Result<Servers> {
        if let Some(url) = &common.db {
            let target = Server::Url(url.clone());
            let database = target.maintenance_dbname();
            return Ok(Servers {
                target,
                scratch: None,
                database,
                owner: None,
            });
        }
        let doc = doc.ok_or_else(|| anyhow!("name the document or --db URL"))?;
        let target = server_for(None, &common.server)?;
        let path = doc.display().to_string();
        let database = common
            .database
            .clone()
            .unwrap_or_else(|| pgspec::up::database_name_for(&path));
        let made = pgspec::up::made_by_up(&target, &database, Some(&path))
            .with_context(|| format!("migrating {path}"))?
            .ok_or_else(|| {
                anyhow!("there is no database {database} for {path}: run `pgspec up {path}` first (or --db URL)")
            })?;
        Ok(Servers {
            target,
            scratch: None,
            database,
            owner: Some(made.owner),
        })
    }

    fn target(&self) -> Result<Target<'_>> {
        let client = match &self.owner {
            Some(owner) => pgspec::postgres::owner_login(&self.target, &self.database, owner)?,
            None => self
                .target
                .app_config(&self.database)?
                .connect(pgspec::postgres::client::NoTls)
                .map_err(|e| {
                    anyhow!(
                        "connecting to {}: {}",
                        self.target.describe(&self.database),
                        pgspec::postgres::cluster::error_text(&e)
                    )
                })?,
        };
        Ok(Target {
            server: &self.target,
            database: self.database.clone(),
            client,
        })
    }

    /// Where scratch databases go: the private cluster (also for a URL target: the trial must
    /// not need rights on the user's server).
    fn scratch(&mut self, args: &ServerArgs) -> Result<()> {
        if self.target.is_embedded() || self.scratch.is_some() {
            return Ok(());
        }
        self.scratch = Some(server_for(None, args)?);
        Ok(())
    }

    fn scratch_server(&self) -> &Server {
        self.scratch.as_ref().unwrap_or(&self.target)
    }
}

pub(crate) fn run_migrate(args: &MigrateArgs) -> Result<ExitCode> {
    match &args.action {
        Action::New {
            doc,
            name,
            strict,
            renames,
            no_renames,
            common,
        } => run_new(
            doc,
            name,
            *strict,
            rename_choice(*renames, *no_renames),
            common,
        ),
        Action::Apply {
            doc,
            dry_run,
            common,
        } => run_apply(doc.as_deref(), *dry_run, common),
        Action::Status { doc, common } => run_status(doc.as_deref(), common),
        Action::Down {
            args,
            allow_hazards,
            dry_run,
            common,
        } => run_down(args, allow_hazards, *dry_run, common),
        Action::Hash { doc, common } => {
            let dir = common.dir(doc.as_deref());
            let n = migrate::rehash(&dir).map_err(|e| anyhow!(e.message))?;
            eprintln!(
                "pgspec migrate hash: {} lists {n} file{}",
                dir.join(migrate::ledger::FILE_NAME).display(),
                if n == 1 { "" } else { "s" }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--renames` / `--no-renames` (clap keeps them apart).
pub(crate) fn rename_choice(renames: bool, no_renames: bool) -> migrate::up::Renames {
    match (renames, no_renames) {
        (true, _) => migrate::up::Renames::Take,
        (false, true) => migrate::up::Renames::DropAndAdd,
        (false, false) => migrate::up::Renames::Refuse,
    }
}

fn run_new(
    doc: &Path,
    name: &str,
    strict: bool,
    renames: migrate::up::Renames,
    common: &Common,
) -> Result<ExitCode> {
    let dir = common.dir(Some(doc));
    let server = server_for(None, &common.server)?;
    let written = match migrate::new_migration(&dir, doc, name, &server, strict, renames) {
        Ok(w) => w,
        Err(e) => return finish("migrate new", Err(e), common.format),
    };
    if common.format == ReportFormat::Json {
        let value = json_envelope(
            "migrate new",
            serde_json::json!({
                "status": if written.is_some() { "written" } else { "no_changes" },
                "migration": written,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    match written {
        None => eprintln!(
            "pgspec migrate new: no changes: the migrations in {} already build {}",
            dir.display(),
            doc.display()
        ),
        Some(w) => {
            println!("{}", w.path.display());
            for l in &w.left_out {
                eprintln!(
                    "pgspec migrate new: warning: left out, as `pgspec up` leaves it out: {l}"
                );
            }
            for n in &w.notes {
                eprintln!("pgspec migrate new: note: {n}");
            }
            let hazards = if w.hazards.is_empty() {
                String::new()
            } else {
                format!(", hazards: {}", w.hazards.join(", "))
            };
            eprintln!(
                "pgspec migrate new: wrote {} ({} statement{} up, {} down{hazards}; both tried on a scratch database); review it, then `pgspec migrate apply`",
                w.path.display(),
                w.up_statements,
                if w.up_statements == 1 { "" } else { "s" },
                w.down_statements,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn waiting_message(pid: Option<i32>) {
    match pid {
        Some(pid) => eprintln!(
            "pgspec migrate: waiting for another migration run on this database (server process {pid}) to finish"
        ),
        None => eprintln!("pgspec migrate: waiting for another migration run on this database"),
    }
}

fn run_apply(doc: Option<&Path>, dry_run: bool, common: &Common) -> Result<ExitCode> {
    let dir = common.dir(doc);
    let mut servers = Servers::open(doc, common)?;
    servers.scratch(&common.server)?;
    let mut target = servers.target()?;
    let options = ApplyOptions {
        dry_run,
        validate: !common.no_validate,
        lock_timeout: Duration::from_secs(common.lock_timeout),
    };
    let result = migrate::apply(
        &dir,
        &mut target,
        servers.scratch_server(),
        &options,
        &mut waiting_message,
    );
    finish("migrate apply", result, common.format)
}

fn run_down(
    args: &[String],
    allow_hazards: &[String],
    dry_run: bool,
    common: &Common,
) -> Result<ExitCode> {
    let mut doc = None;
    let mut steps = 1usize;
    for a in args {
        match a.parse::<usize>() {
            Ok(n) if !Path::new(a).exists() => steps = n,
            _ => doc = Some(PathBuf::from(a)),
        }
    }
    if doc.is_none() && common.db.is_none() {
        bail!("name the document or --db URL");
    }
    let mut allow_data_loss = false;
    for h in allow_hazards {
        match h.as_str() {
            "data-loss" | "all" => allow_data_loss = true,
            other => bail!("--allow-hazards: `{other}` is not a hazard kind a down step can have (data-loss, all)"),
        }
    }
    let dir = common.dir(doc.as_deref());
    let mut servers = Servers::open(doc.as_deref(), common)?;
    servers.scratch(&common.server)?;
    let mut target = servers.target()?;
    let options = DownOptions {
        steps,
        allow_data_loss,
        dry_run,
        validate: !common.no_validate,
        lock_timeout: Duration::from_secs(common.lock_timeout),
    };
    let result = migrate::down(
        &dir,
        &mut target,
        servers.scratch_server(),
        &options,
        &mut waiting_message,
    );
    finish("migrate down", result, common.format)
}

fn finish(
    command: &str,
    result: Result<Report, migrate::Error>,
    format: ReportFormat,
) -> Result<ExitCode> {
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if format == ReportFormat::Json {
                let value = json_envelope(
                    command,
                    serde_json::json!({
                        "status": "refused",
                        "code": e.code.map(|c| c.code()),
                        "message": e.message,
                        "migrations": [],
                    }),
                );
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
            match e.code {
                Some(code) => eprintln!("pgspec: error[{}]: {}", code.code(), e.message),
                None => eprintln!("pgspec: error: {}", e.message),
            }
            eprintln!("pgspec {command}: nothing further was changed");
            return Ok(ExitCode::from(2));
        }
    };
    if format == ReportFormat::Json {
        let value = json_envelope(
            command,
            serde_json::json!({
                "status": if report.done.is_empty() { "no_changes" } else { "changes" },
                "migrations": report.done,
                "validated": report.validated,
                "notes": report.notes,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &report.done {
        let action = d.action.replace('_', " ");
        if d.action == "applied" || d.action == "reverted" {
            println!("{} {action} ({} ms)", d.file_name, d.duration_ms);
        } else {
            println!("{} {action}", d.file_name);
        }
    }
    for n in &report.notes {
        eprintln!("pgspec {command}: note: {n}");
    }
    let summary = if report.done.is_empty() {
        "nothing to do".to_string()
    } else {
        format!(
            "{} file{}{}",
            report.done.len(),
            if report.done.len() == 1 { "" } else { "s" },
            if report.validated {
                ", tried first on a scratch copy of the database's schema"
            } else {
                ""
            }
        )
    };
    eprintln!("pgspec {command}: {summary}");
    Ok(ExitCode::SUCCESS)
}

fn run_status(doc: Option<&Path>, common: &Common) -> Result<ExitCode> {
    let dir = common.dir(doc);
    let mut servers = Servers::open(doc, common)?;
    servers.scratch(&common.server)?;
    let mut target = servers.target()?;
    let status = migrate::status(&dir, &mut target, Some(servers.scratch_server()))
        .map_err(|e| anyhow!(e.message))?;
    let drifted = status.drift.as_ref().is_some_and(|d| !d.is_empty());
    let problem = drifted
        || !status.ledger.is_empty()
        || status
            .entries
            .iter()
            .any(|e| !matches!(e.state, State::Applied | State::Pending));
    if common.format == ReportFormat::Json {
        let value = json_envelope(
            "migrate status",
            serde_json::json!({
                "status": if problem { "problems" } else { "ok" },
                "migrations": status.entries,
                "ledger": status.ledger,
                "drift": status.drift,
            }),
        );
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for e in &status.entries {
            let stopped = e.steps_done.map(|n| {
                format!(
                    "pending, stopped after step {n} by an earlier run (`migrate apply` continues from step {})",
                    n + 1
                )
            });
            let state = match e.state {
                State::Applied => "applied",
                State::Pending => stopped.as_deref().unwrap_or("pending"),
                State::Edited => "EDITED after it was applied",
                State::Missing => "MISSING (applied, file gone)",
                State::OutOfOrder => "OUT OF ORDER (a later version is applied)",
            };
            let when = e
                .applied
                .as_ref()
                .filter(|_| e.state == State::Applied)
                .map(|r| {
                    if r.baseline {
                        format!(" {} (baseline: the database already had it)", r.applied_at)
                    } else {
                        format!(" {} in {} ms", r.applied_at, r.duration_ms)
                    }
                })
                .unwrap_or_default();
            println!("{:<40} {state}{when}", e.file_name);
        }
        for l in &status.ledger {
            eprintln!("pgspec migrate status: ledger: {l}");
        }
        match &status.drift {
            Some(d) if !d.is_empty() => {
                eprintln!("pgspec migrate status: the database drifted from its applied migrations (changed by hand?); to bring it back:");
                for l in d {
                    eprintln!("  {l}");
                }
            }
            Some(_) => {}
            None => eprintln!(
                "pgspec migrate status: drift not checked (an applied file is edited or missing)"
            ),
        }
        let count = |s: State| status.entries.iter().filter(|e| e.state == s).count();
        eprintln!(
            "pgspec migrate status: {} applied, {} pending{}",
            count(State::Applied),
            count(State::Pending),
            if problem {
                " — and problems above"
            } else {
                ""
            }
        );
    }
    Ok(if problem {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
