//! The `pgspec` command line: parses arguments, runs the pipeline stages a subcommand needs,
//! renders their products and picks the exit code. The binary is the only place that prints:
//! here the arguments, the global bounds and the dispatch; `commands/` one module per command
//! (its arguments, its run function, its human layout); `printer` the output helpers they share.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod commands;
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
  pgspec diff postgres://me@/app docs/schema.md  the SQL that brings a database to the document, with hazards
  pgspec erd docs/schema.md -o erd.svg        the ERD of what the document builds (--format mermaid|dot)
  pgspec report docs/schema.md -o report.html one self-contained page: ERD, findings, claims, drift, rows
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
    bound_time(&cli);
    stop_cleanly_on_signals(what_an_interruption_leaves(&cli.command));
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
        report_cleanup();
        std::process::exit(2);
    });
}

/// What is left when `command` is interrupted, beyond the scratch databases pgspec removes.
fn what_an_interruption_leaves(command: &Command) -> &'static str {
    match command {
        Command::Seed(_) => {
            "the rows loaded so far stay: run the same `pgspec seed` again to finish (it fills only \
             what is missing), or add --truncate to start over"
        }
        Command::Up(_) => {
            "a database `pgspec up` built earlier is unchanged (a migration in several steps stops after the last finished one); run `pgspec up` again to build it or continue"
        }
        Command::Migrate(_) => "a migration file that was running is rolled back with its record (steps marked no-transaction excepted): `pgspec migrate status` shows where it stopped, `pgspec migrate apply` continues; `migrate new` writes its file only once complete",
        Command::Report(_) => {
            "the report's database (pgspec_report_<pid>_<hash>) may be left: `pgspec down --name NAME DOC` removes it"
        }
        _ => "",
    }
}

/// Ctrl-C, SIGTERM and SIGHUP: remove the run's scratch databases and the roles it created,
/// say so and what the interruption leaves, and exit with 128 + the signal's number. A second
/// signal while that runs exits at once.
fn stop_cleanly_on_signals(leaves: &'static str) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        let mut received = signals.forever();
        let Some(first) = received.next() else {
            return;
        };
        std::thread::spawn(move || {
            eprintln!("\npgspec: interrupted; cleaning up (a second Ctrl-C exits at once)");
            report_cleanup();
            if !leaves.is_empty() {
                eprintln!("pgspec: {leaves}");
            }
            std::process::exit(128 + first);
        });
        if let Some(second) = received.next() {
            eprintln!("pgspec: stopped without cleaning up");
            std::process::exit(128 + second);
        }
    });
}

/// Drop the scratch databases of this run that still exist, and say which; given up after
/// [`CLEANUP_BOUND`] (a server that hangs must not keep an interrupted run alive).
fn report_cleanup() {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(pgspec::postgres::session::drop_live_scratch_databases());
    });
    let Ok((dropped, failed)) = receiver.recv_timeout(CLEANUP_BOUND) else {
        eprintln!(
            "pgspec: the server did not answer within {} s; scratch databases may be left (the next run on the private cluster removes them)",
            CLEANUP_BOUND.as_secs()
        );
        return;
    };
    for name in dropped {
        eprintln!("pgspec: removed the scratch database {name} and the roles this run created");
    }
    for why in failed {
        eprintln!("pgspec: could not remove a scratch database: {why}");
    }
}

/// How long an interrupted run waits for its scratch databases to be dropped.
const CLEANUP_BOUND: std::time::Duration = std::time::Duration::from_secs(10);

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
