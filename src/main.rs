//! The `pgspec` command line: parses arguments, runs the pipeline stages a subcommand needs,
//! renders their products and picks the exit code. The binary is the only place that prints:
//! here the arguments, the global bounds and the dispatch; `commands/` one module per command
//! (its arguments, its run function, its human layout); `printer` the output helpers they share.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod commands;
mod interrupt;
mod panic;
mod printer;
mod progress;

use commands::{
    check, cluster, diff, drift, erd, fix, migrate, model, report, rule, seed, sql, up, verify,
    ServerArgs,
};

/// Turn a PostgreSQL design document (Markdown with SQL) into a working, verified database.
///
/// pgspec reads every ```sql block of a design document, applies it statement by statement to
/// a real PostgreSQL (a private cluster it starts itself, or --db URL) and reports every
/// problem at its document line, rustc-style, with a category and a help text.
#[derive(Parser, Debug)]
#[command(name = "pgspec", version, about, long_about = None, after_help = commands::EXAMPLES)]
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

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply a document's SQL to a fresh scratch database and report every problem at its line.
    ///
    /// Schema and data statements are applied one by one in document order; statements that
    /// use objects defined later are retried (and reported as forward references); statements
    /// that fail only because an earlier one failed are reported once as cascades of their root.
    /// Example queries and operations are prepared (never executed); not-SQL is reported.
    Check(check::CheckArgs),
    /// Apply the document like `check` and report only the lint rules' findings: values that
    /// violate CHECKs, RLS gaps, PL/pgSQL errors (plpgsql_check), schema hygiene, schedules.
    ///
    /// Rules are selected in `pgspec.toml` (`[lint] select/ignore/per-file-ignores`, found
    /// from the document's directory upwards, or --config) and suppressed inline with
    /// `-- pgspec-ignore CODE` (SQL) or `<!-- pgspec-ignore CODE -->` (Markdown).
    Lint(check::CheckArgs),
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
    Fix(fix::FixArgs),
    /// Print the SQL of the system as `up` builds it (`pgspec sql DOC | psql` rebuilds it).
    ///
    /// Statements in the order they applied, with pgspec's fixes, each after a comment naming
    /// its document line; plus the Supabase shim, roles the document grants to but never
    /// creates, the partitions pgspec adds and the cron jobs (guarded by the `cron` schema).
    Sql(sql::SqlArgs),
    /// Bring the system up: a persistent database with the document applied and its URL.
    ///
    /// Safe and behaviour-changing fixes are applied (each reported), the document's own
    /// partition maintenance runs, partitions cover today and the next months, the document's
    /// pg_cron jobs are scheduled; kept in the private cluster (or on --db).
    ///
    /// Running it again on an unchanged document does nothing; on a changed document it
    /// migrates the database, keeping every row: the plan (from `diff`, tried first on a scratch
    /// copy) is printed with its hazards, and data-loss or locking hazards wait for
    /// --allow-hazards (--plan only prints; --recreate rebuilds, losing the rows).
    Up(up::UpCommand),
    /// Fill the database `pgspec up` made with synthetic rows that satisfy its constraints.
    ///
    /// Tables are filled parents first (foreign keys point at real rows; self references at
    /// earlier rows; cycles get a second UPDATE pass), with values that honour the types,
    /// NOT NULL, PRIMARY KEY/UNIQUE (also composite and partial), CHECK constraints (IN-lists,
    /// bounds, regexes, column comparisons) and partition bounds, loaded with binary COPY.
    /// Constraints pgspec could not satisfy are reported.
    Seed(seed::SeedArgs),
    /// Check the document's claims on the seeded database: example queries run, claimed
    /// indexes serve their queries, RLS isolates users, functions and cron commands run,
    /// partitions stay covered, constraints reject what they claim to reject.
    Verify(verify::VerifyArgs),
    /// Remove the database `pgspec up` made for a document (and unschedule its cron jobs).
    Down(up::UpArgs),
    /// Print the merged schema model: the tables the document's SQL (and the DDL pgspec
    /// generates from ERDs and column tables) created, joined with what the ERDs, column tables
    /// and prose say, each fact with its sources (kind and line), and the drift between them.
    Model(model::ModelArgs),
    /// Print the SQL that brings FROM's schema in step with TO's, each statement with its
    /// hazards.
    ///
    /// FROM and TO are database URLs or documents (Markdown, or a `.sql` file read as one SQL
    /// block, applied to a scratch database as `check` applies it). The plan is ordered so
    /// that it applies (`psql -v ON_ERROR_STOP=1 -f`), tried on a scratch copy of FROM and
    /// compared with TO before it is printed; what pgspec cannot express is refused (exit 2).
    Diff(diff::DiffArgs),
    /// Versioned migrations beside the document: `new`, `apply`, `status`, `down`, `hash`.
    Migrate(migrate::MigrateArgs),
    /// Compare a live database with its document (and with the migrations applied to it):
    /// the SQL that would bring it in step on stdout; exit 1 on any difference.
    Drift(drift::DriftArgs),
    /// Draw the ERD of what the document really builds: the tables `up` makes with their
    /// columns, keys and types, foreign keys as edges with their cardinality, partitions
    /// folded under their parent, and drift in red (a column an ERD, column table or prose
    /// claims that the database lacks; a relationship an ERD draws without a foreign key).
    ///
    /// The document is built as `up` builds it on a scratch database (dropped afterwards).
    /// SVG is laid out by Graphviz's `dot` (Debian package graphviz); without it pgspec says so
    /// and writes the DOT and mermaid text instead.
    Erd(erd::ErdArgs),
    /// Make one self-contained HTML page about the document: the ERD, every finding with its
    /// excerpt and fix, what `up` did beyond the document (fixes, assumptions, partitions),
    /// the verified claims with their evidence, drift, figures and a chart of seeded rows.
    ///
    /// It runs `check` (as `pgspec check` does, lint included), then `up`, `seed` (--rows per
    /// table) and `verify` on a database of the report's own (`pgspec_report_<pid>_<hash>`),
    /// which it removes at the end; the database `pgspec up` keeps is never touched. The page
    /// has no script and loads nothing; everything from the document is shown as text.
    Report(report::ReportArgs),
    /// Manage the private PostgreSQL cluster pgspec starts for itself.
    Cluster {
        #[command(subcommand)]
        action: cluster::ClusterAction,
        #[command(flatten)]
        server: ServerArgs,
    },
}

fn main() -> ExitCode {
    panic::install();
    let cli = Cli::parse();
    interrupt::bound_time(cli.statement_timeout, cli.timeout);
    interrupt::stop_cleanly_on_signals(interrupt::what_an_interruption_leaves(&cli.command));
    panic::guarded(|| match run(cli) {
        // Past --timeout the timer's thread ends the statements (often why this failed),
        // removes the scratch databases, reports and exits.
        _ if pgspec::postgres::CommandTimer::expired() => loop {
            std::thread::park();
        },
        Ok(code) => code,
        Err(err) if panic::is_broken_pipe_error(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pgspec: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run_check(&args, false),
        Command::Lint(args) => check::run_check(&args, true),
        Command::Rule { rule } => rule::run_rule(rule.as_deref()),
        Command::Fix(args) => fix::run_fix(&args),
        Command::Sql(args) => sql::run_sql(&args),
        Command::Up(args) => up::run_up_command(&args),
        Command::Down(args) => up::run_down(&args),
        Command::Seed(args) => seed::run_seed(&args),
        Command::Verify(args) => verify::run_verify(&args),
        Command::Model(args) => model::run_model(&args),
        Command::Diff(args) => diff::run_diff(&args),
        Command::Migrate(args) => migrate::run_migrate(&args),
        Command::Drift(args) => drift::run_drift(&args),
        Command::Erd(args) => erd::run_erd(&args),
        Command::Report(args) => report::run_report(&args),
        Command::Cluster { action, server } => cluster::run_cluster(action, &server),
    }
}
