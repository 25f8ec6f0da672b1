//! How a command ends when it is not allowed to finish: `--timeout` for the whole command
//! (`--statement-timeout` for each statement is set here too), and Ctrl-C, SIGTERM or SIGHUP:
//! the run's scratch databases are removed and the user is told what is left.

use crate::Command;

/// --statement-timeout for every connection, --timeout for the whole command.
pub fn bound_time(statement_timeout: u64, timeout: u64) {
    use std::time::Duration;
    pgspec::postgres::limits::set(pgspec::postgres::Limits {
        statement_timeout: Duration::from_secs(statement_timeout),
        ..pgspec::postgres::Limits::default()
    });
    let limit = timeout;
    pgspec::postgres::CommandTimer::start(Duration::from_secs(limit), move || {
        eprintln!("pgspec: error: the command did not finish within --timeout {limit} s; pgspec ended its statements on the server");
        report_cleanup();
        std::process::exit(2);
    });
}

/// Ctrl-C, SIGTERM and SIGHUP: remove the run's scratch databases and the roles it created,
/// say so and what the interruption leaves, and exit with 128 + the signal's number. A second
/// signal while that runs exits at once.
pub fn stop_cleanly_on_signals(leaves: &'static str) {
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

/// What is left when `command` is interrupted, beyond the scratch databases pgspec removes.
pub fn what_an_interruption_leaves(command: &Command) -> &'static str {
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
