//! Bounded time for the statements pgspec runs.
//!
//! A [`Deadline`] watches one statement (or one closure of statements) at a time: once the
//! bound passes it sends a cancel request; if the backend is still busy [`TERMINATE_GRACE`]
//! later (a PL/pgSQL loop that catches `query_canceled`, a trigger that ran
//! `SET LOCAL statement_timeout = 0` and loops), it ends the backend with
//! `pg_terminate_backend` over a privileged connection of its own.
//!
//! ```no_run
//! # fn demo(server: &pgspec::postgres::Server, client: &mut postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use pgspec::postgres::Deadline;
//! let deadline = Deadline::for_server(server)?;
//! let bounded = deadline.run(client, Duration::from_secs(30), |c| c.batch_execute("SELECT 1"));
//! if let Some(stop) = bounded.stopped {
//!     eprintln!("{stop}");
//! }
//! bounded.value?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::{CancelToken, Client, NoTls};

use super::{ClusterError, Server};

/// How long a cancelled statement may take to end before its backend is terminated.
pub const TERMINATE_GRACE: Duration = Duration::from_secs(2);

/// How a watched statement was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A cancel request was sent after `after`.
    Cancelled { after: Duration },
    /// It ignored the cancel request; its backend was terminated after `after`.
    Terminated { after: Duration },
}

impl Stop {
    /// When the watchdog acted, from arming.
    pub fn after(&self) -> Duration {
        match self {
            Stop::Cancelled { after } | Stop::Terminated { after } => *after,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Cancelled { after } => write!(
                f,
                "pgspec cancelled the statement after {:.1} s",
                after.as_secs_f64()
            ),
            Stop::Terminated { after } => write!(
                f,
                "pgspec terminated the statement's server process after {:.1} s: it ignored the cancel request",
                after.as_secs_f64()
            ),
        }
    }
}

/// The result of a closure run under a [`Deadline`], and whether the deadline stopped it.
#[derive(Debug)]
pub struct Bounded<T> {
    pub value: T,
    pub stopped: Option<Stop>,
}

/// A watchdog thread that cancels, then terminates, the statement of an armed connection.
/// Dropping it stops the thread.
pub struct Deadline {
    shared: Arc<Shared>,
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline").finish_non_exhaustive()
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// A privileged connection's configuration, to terminate a backend that ignores cancel.
    terminator: Option<postgres::Config>,
}

#[derive(Default)]
struct State {
    armed: Option<Armed>,
    stopped: Option<Stop>,
    shutdown: bool,
}

struct Armed {
    since: Instant,
    due: Instant,
    /// The bound of each statement watched.
    after: Duration,
    /// How many more statements of a batch may start a bound of their own ([`Stepper::step`]).
    steps_left: usize,
    token: CancelToken,
    pid: Option<i32>,
    cancelled: bool,
}

/// Tells an armed [`Deadline`] that the next statement of a batch has started, from a notice
/// callback (which cannot borrow the session).
#[derive(Clone)]
pub struct Stepper {
    shared: Arc<Shared>,
}

impl Stepper {
    /// The statement running now is the next one of the batch armed with
    /// [`Deadline::arm_batch`]: its bound starts now. Ignored once the batch's statements are
    /// all counted (a document cannot lengthen its bound by faking the signal) and after a
    /// cancel request went out.
    pub fn step(&self) {
        let mut state = lock(&self.shared.state);
        if let Some(armed) = state.armed.as_mut() {
            if armed.steps_left > 0 && !armed.cancelled {
                armed.steps_left -= 1;
                let now = Instant::now();
                armed.since = now;
                armed.due = now + armed.after;
            }
        }
    }
}

impl Deadline {
    /// A deadline that terminates stubborn backends through connections made from
    /// `terminator` (a superuser or a member of the backends' role); without one it only
    /// cancels.
    pub fn new(terminator: Option<postgres::Config>) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            terminator,
        });
        let thread_shared = Arc::clone(&shared);
        // Without the thread, the server-side statement_timeout alone still applies.
        let _ = std::thread::Builder::new()
            .name("pgspec-deadline".to_string())
            .spawn(move || watch(&thread_shared));
        Deadline { shared }
    }

    /// A deadline that terminates through `server`'s administrative user.
    pub fn for_server(server: &Server) -> Result<Self, ClusterError> {
        Ok(Self::new(Some(
            server.config(&server.maintenance_dbname())?,
        )))
    }

    /// Run `f` on `client`; if it is still running after `after`, cancel its statement, and
    /// terminate the backend if it is still busy [`TERMINATE_GRACE`] later (the client then
    /// sees a closed connection). `f` may run several statements and open transactions.
    pub fn run<T>(
        &self,
        client: &mut Client,
        after: Duration,
        f: impl FnOnce(&mut Client) -> T,
    ) -> Bounded<T> {
        let pid = backend_pid(client);
        self.arm(client.cancel_token(), pid, after);
        let value = f(client);
        let stopped = self.disarm();
        Bounded { value, stopped }
    }

    /// Watch the connection of `token` (backend `pid`) from now on.
    pub fn arm(&self, token: CancelToken, pid: Option<i32>, after: Duration) {
        self.arm_batch(token, pid, after, 0);
    }

    /// [`Self::arm`] for a batch of `1 + steps` statements sent together: each gets `after`
    /// from when it starts, as [`Stepper::step`] reports.
    pub fn arm_batch(&self, token: CancelToken, pid: Option<i32>, after: Duration, steps: usize) {
        let now = Instant::now();
        let mut state = lock(&self.shared.state);
        state.armed = Some(Armed {
            since: now,
            due: now + after,
            after,
            steps_left: steps,
            token,
            pid,
            cancelled: false,
        });
        state.stopped = None;
        self.shared.wake.notify_all();
    }

    /// A handle that moves the bound on to the next statement of a batch.
    pub fn stepper(&self) -> Stepper {
        Stepper {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Stop watching; says whether (and how) the statement was stopped.
    pub fn disarm(&self) -> Option<Stop> {
        let mut state = lock(&self.shared.state);
        state.armed = None;
        state.stopped.take()
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.wake.notify_all();
    }
}

fn watch(shared: &Shared) {
    let mut state = lock(&shared.state);
    loop {
        if state.shutdown {
            return;
        }
        let Some(due) = state.armed.as_ref().map(|a| a.due) else {
            state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            continue;
        };
        let now = Instant::now();
        if now < due {
            state = shared
                .wake
                .wait_timeout(state, due - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            continue;
        }
        // Act while holding the lock, so `disarm` (statement over) cannot be followed by the
        // next statement on the same connection before the request was sent.
        let Some(armed) = state.armed.as_mut() else {
            continue;
        };
        let after = now.duration_since(armed.since);
        if !armed.cancelled {
            armed.cancelled = true;
            armed.due = now + TERMINATE_GRACE;
            let _ = armed.token.cancel_query(NoTls);
            state.stopped = Some(Stop::Cancelled { after });
            continue;
        }
        let pid = armed.pid;
        state.armed = None;
        let terminated = match (pid, &shared.terminator) {
            (Some(pid), Some(config)) => terminate(config, pid),
            _ => false,
        };
        if terminated {
            state.stopped = Some(Stop::Terminated { after });
        }
    }
}

/// `pg_terminate_backend(pid)` if that backend is still busy. True if it was signalled.
fn terminate(config: &postgres::Config, pid: i32) -> bool {
    let mut config = config.clone();
    config.connect_timeout(Duration::from_secs(5));
    let Ok(mut client) = config.connect(NoTls) else {
        return false;
    };
    client
        .query(
            "SELECT pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a \
             WHERE a.pid OPERATOR(pg_catalog.=) $1 \
             AND a.state OPERATOR(pg_catalog.<>) 'idle'",
            &[&pid],
        )
        .is_ok_and(|rows| rows.first().is_some_and(|r| r.get::<_, bool>(0)))
}

/// The server process id of `client`'s connection (`pg_backend_pid()`), if it answers.
pub fn backend_pid(client: &mut Client) -> Option<i32> {
    client
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])
        .ok()
        .map(|row| row.get(0))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_say_what_happened() {
        let c = Stop::Cancelled {
            after: Duration::from_millis(1500),
        };
        assert_eq!(c.to_string(), "pgspec cancelled the statement after 1.5 s");
        let t = Stop::Terminated {
            after: Duration::from_secs(4),
        };
        assert!(t.to_string().contains("terminated"), "{t}");
        assert_eq!(t.after(), Duration::from_secs(4));
    }
}
