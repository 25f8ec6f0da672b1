//! The `pgspec` command line: parses arguments, runs the pipeline stages a subcommand needs,
//! renders their products and picks the exit code. The only place that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use pgspec::diagnostics::render::{render_concise, render_full};
use pgspec::diagnostics::Severity;
use pgspec::pipeline;
use pgspec::up;
use pgspec::verify;

mod commands;
mod printer;

use commands::check::{run_check, CheckArgs};
use commands::cluster::{run_cluster, ClusterAction};
use commands::fix::{run_fix, FixArgs};
use commands::model::{run_model, ModelArgs};
use commands::rule::run_rule;
use commands::seed::{run_seed, SeedArgs};
use commands::sql::{run_sql, SqlArgs};
use commands::up::{run_down, run_up, UpArgs};
use commands::{document_path, read_input, server_for, Format, ServerArgs};
use printer::{json_diagnostics, json_envelope, stdout_is_styled};

/// Turn a PostgreSQL design document (Markdown with SQL) into a working, verified database.
///
/// pgspec reads every ```sql block of a design document, applies it statement by statement to
/// a real PostgreSQL (a private cluster it starts itself, or --db URL) and reports every
/// problem at its document line, rustc-style, with a category and a help text.
#[derive(Parser, Debug)]
#[command(name = "pgspec", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Bound on the whole command, in seconds (0: none). When it passes, pgspec ends its
    /// statements on the server and exits with 2.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 600)]
    timeout: u64,
    /// Bound on each statement of the document, in seconds (0: none); pgspec cancels a
    /// statement that outlives it, and ends its server process if it ignores the cancel.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 15)]
    statement_timeout: u64,
}

const EXAMPLES: &str = "\
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
  pgspec cluster status                       where the private cluster lives, whether it runs

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 pgspec could not run.";

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply a document's SQL to a fresh scratch database and report every problem at its line.
    ///
    /// Schema and data statements are applied one by one in document order; statements that
    /// use objects defined later are retried (and reported as forward references); statements
    /// that fail only because an earlier one failed are reported once as cascades of their root.
    /// Example queries and operations are prepared (never executed); not-SQL is reported.
    Check(CheckArgs),
    /// Apply the document like `check` and report only the lint rules' findings: values that
    /// violate CHECKs, RLS gaps, PL/pgSQL errors (plpgsql_check), schema hygiene, schedules.
    ///
    /// Rules are selected in `pgspec.toml` (`[lint] select/ignore/per-file-ignores`, found
    /// from the document's directory upwards, or --config) and suppressed inline with
    /// `-- pgspec-ignore CODE` (SQL) or `<!-- pgspec-ignore CODE -->` (Markdown).
    Lint(CheckArgs),
    /// Explain a lint rule (by code or name); without an argument, list every rule.
    Rule {
        /// A rule code (`LNT201`) or name (`rls-enabled-without-policy`).
        #[arg(value_name = "CODE|NAME")]
        rule: Option<String>,
    },
    /// Apply the safe fixes `check` finds to the document, in place.
    ///
    /// Only the edited spans change; prose, ERDs and tables stay byte-identical. A document
    /// whose encoding was repaired on read is written back repaired (said on stderr). Running
    /// it twice changes nothing the second time.
    Fix(FixArgs),
    /// Print the SQL of the system as `up` builds it (`pgspec sql DOC | psql` rebuilds it).
    ///
    /// Statements in the order they applied, with pgspec's fixes, each after a comment naming
    /// its document line; plus the Supabase shim, roles the document grants to but never
    /// creates, the partitions pgspec adds and the cron jobs (guarded by the `cron` schema).
    Sql(SqlArgs),
    /// Bring the system up: a persistent database with the document applied and its URL.
    ///
    /// Safe and behaviour-changing fixes are applied (each reported), the document's own
    /// partition maintenance runs, partitions cover today and the next months, the document's
    /// pg_cron jobs are scheduled; kept in the private cluster (or on --db).
    ///
    /// Running it again on an unchanged document does nothing; on a changed document it says so
    /// (use --recreate to rebuild).
    Up(UpArgs),
    /// Fill the database `pgspec up` made with synthetic rows that satisfy its constraints.
    ///
    /// Tables are filled parents first (foreign keys point at real rows; self references at
    /// earlier rows; cycles get a second UPDATE pass), with values that honour the types,
    /// NOT NULL, PRIMARY KEY/UNIQUE (also composite and partial), CHECK constraints (IN-lists,
    /// bounds, regexes, column comparisons) and partition bounds, loaded with binary COPY.
    /// Constraints pgspec could not satisfy are reported.
    Seed(SeedArgs),
    /// Check the document's claims on the seeded database: example queries run, claimed
    /// indexes serve their queries, RLS isolates users, functions and cron commands run,
    /// partitions stay covered, constraints reject what they claim to reject.
    Verify(VerifyArgs),
    /// Remove the database `pgspec up` made for a document (and unschedule its cron jobs).
    Down(UpArgs),
    /// Print the merged schema model: the tables the document's SQL (and the DDL pgspec
    /// generates from ERDs and column tables) created, joined with what the ERDs, column tables
    /// and prose say, each fact with its sources (kind and line), and the drift between them.
    Model(ModelArgs),
    /// Manage the private PostgreSQL cluster pgspec starts for itself.
    Cluster {
        #[command(subcommand)]
        action: ClusterAction,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The design document (Markdown).
    #[arg(value_name = "DOC")]
    doc: PathBuf,
    /// Database name (default: `pgspec_<file stem>_<hash of its path>`, the one `pgspec up` made).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Output format: full (human), concise or json.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    format: Format,
    /// Use this server instead of the private cluster.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    bound_time(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("pgspec: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// --statement-timeout for every connection, --timeout for the whole command.
fn bound_time(cli: &Cli) {
    use std::time::Duration;
    pgspec::postgres::limits::set(pgspec::postgres::Limits {
        statement_timeout: Duration::from_secs(cli.statement_timeout),
        ..pgspec::postgres::Limits::default()
    });
    let limit = cli.timeout;
    pgspec::postgres::CommandTimer::start(Duration::from_secs(limit), move || {
        eprintln!("pgspec: error: the command did not finish within --timeout {limit} s; pgspec ended its statements on the server");
        std::process::exit(2);
    });
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => run_check(&args, false),
        Command::Lint(args) => run_check(&args, true),
        Command::Rule { rule } => run_rule(rule.as_deref()),
        Command::Fix(args) => run_fix(&args),
        Command::Sql(args) => run_sql(&args),
        Command::Up(args) => run_up(&args),
        Command::Down(args) => run_down(&args),
        Command::Seed(args) => run_seed(&args),
        Command::Verify(args) => run_verify(&args),
        Command::Model(args) => run_model(&args),
        Command::Cluster { action, server } => run_cluster(action, &server),
    }
}

fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let bytes = read_input(&args.doc)?;
    let path = args.doc.display().to_string();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| up::database_name_for(&path));
    let server = server_for(args.db.as_deref(), &args.server)?;
    up::made_by_up(&server, &name, document_path(&args.doc).as_deref())
        .with_context(|| format!("verifying {path}"))?;
    let extracted = pipeline::extract(&bytes);
    let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
        .with_context(|| format!("verifying {path}"))?;
    let doc = &extracted.document;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let failed = report
        .claims
        .iter()
        .any(|c| c.status == verify::Status::Fail);
    if args.format == Format::Json {
        let value = json_envelope(
            "verify",
            serde_json::json!({
                "database": report.database,
                "connection": server.url(&report.database),
                "summary": report.summary(),
                "claims": report.claims,
                "diagnostics": json_diagnostics(doc, &report.diagnostics),
            }),
        );
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        let source = doc.source(&path);
        let styled = stdout_is_styled();
        for d in report
            .diagnostics
            .iter()
            .filter(|d| d.severity >= Severity::Warning)
        {
            if args.format == Format::Concise {
                writeln!(out, "{}", render_concise(&source, d))?;
            } else {
                writeln!(out, "{}\n", render_full(&source, d, styled))?;
            }
        }
        for c in &report.claims {
            writeln!(
                out,
                "{path}:{}: {:<10} {:<7} {}{}",
                c.line,
                c.kind.as_str(),
                c.status.as_str(),
                c.title,
                c.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )?;
        }
        let s = report.summary();
        writeln!(
            out,
            "{path}: {} claims: {} passed, {} failed, {} skipped",
            s.claims, s.passed, s.failed, s.skipped
        )?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
