//! The document's connection with bounded time: every statement `seed` and `verify` run as the
//! document's role goes through [`DocumentConnection::run`], under a [`Deadline`] that cancels
//! it once its bound passes and terminates its backend if it ignores the cancel (a trigger or
//! function that loops, catches `query_canceled`, or lifts its own `statement_timeout`). A
//! terminated connection is replaced before the next statement.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::postgres::client::{CancelToken, Client};

use crate::postgres::{backend_pid, limits, Deadline, Server, Stop};

use super::SeedError;

/// Margin of the watchdog over the server's own `statement_timeout`: in the ordinary case the
/// server stops the statement first, with its own message.
const WATCHDOG_MARGIN: Duration = Duration::from_millis(500);

/// SQLSTATE `query_canceled` (a cancel request or `statement_timeout`).
pub const QUERY_CANCELED: &str = "57014";

/// The bound of one statement of the document (`--statement-timeout`); `None` when unbounded.
pub fn statement_bound() -> Option<Duration> {
    let t = limits::get().statement_timeout;
    (!t.is_zero()).then_some(t)
}

/// `statement_bound()` plus `per_row` for each of `rows` (a COPY or INSERT of many rows).
pub fn bound_for_rows(rows: usize, per_row: Duration) -> Option<Duration> {
    statement_bound().map(|b| b + per_row.saturating_mul(u32::try_from(rows).unwrap_or(u32::MAX)))
}

/// `SET [LOCAL] statement_timeout` for `bound` (0 = none).
pub fn set_statement_timeout(local: bool, bound: Option<Duration>) -> String {
    format!(
        "SET {}statement_timeout = {}",
        if local { "LOCAL " } else { "" },
        bound.map_or(0, |b| b.as_millis())
    )
}

/// Whether `e` says the statement was cancelled (by the server's `statement_timeout` or a
/// cancel request) or its connection is gone.
pub fn is_stop(e: &crate::postgres::client::Error) -> bool {
    e.is_closed()
        || e.as_db_error()
            .is_some_and(|d| d.code().code() == QUERY_CANCELED)
}

/// How a statement run by [`DocumentConnection::run`] was stopped, as one sentence:
/// `stopped after 15.5 s: pgspec terminated …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    pub after: Duration,
    pub message: String,
    /// The backend was terminated (its connection replaced).
    pub terminated: bool,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped after {:.1} s: {}",
            self.after.as_secs_f64(),
            self.message
        )
    }
}

/// What a closure run by [`DocumentConnection::run`] gave, and whether it was stopped.
#[derive(Debug)]
pub struct Ran<T> {
    pub value: T,
    /// Set when the watchdog acted (or the connection closed under the closure).
    pub stopped: Option<Stopped>,
    /// How long the closure ran.
    pub took: Duration,
}

impl<T> Ran<T> {
    /// The stop, counting an `error` of the closure that says the server cancelled the
    /// statement (its own `statement_timeout`) or closed the connection.
    pub fn stop(&self, error: Option<&crate::postgres::client::Error>) -> Option<Stopped> {
        if self.stopped.is_some() {
            return self.stopped.clone();
        }
        let e = error.filter(|e| is_stop(e))?;
        Some(Stopped {
            after: self.took,
            message: crate::postgres::cluster::error_text(e),
            terminated: e.is_closed(),
        })
    }
}

/// Re-arms the watchdog between the statements of one closure, so that each statement gets
/// the whole bound (see [`DocumentConnection::run_each`]).
pub struct Ticker<'d> {
    deadline: &'d Deadline,
    token: CancelToken,
    pid: Option<i32>,
    after: Option<Duration>,
    first_stop: Cell<Option<Stop>>,
}

impl Ticker<'_> {
    /// A new statement starts: it gets a fresh bound.
    pub fn next(&self) {
        let Some(after) = self.after else { return };
        if let Some(stop) = self.deadline.disarm() {
            if self.first_stop.get().is_none() {
                self.first_stop.set(Some(stop));
            }
            // A backend the watchdog terminated is gone: nothing left to watch.
            if matches!(stop, Stop::Terminated { .. }) {
                return;
            }
        }
        self.deadline.arm(self.token.clone(), self.pid, after);
    }
}

/// The document's connection (made by [`super::app_client`]) and its watchdog.
pub struct DocumentConnection<'s> {
    server: &'s Server,
    database: String,
    /// Run on every new connection (after a terminated one, too).
    setup: String,
    /// The connection and its backend's process id.
    client: Option<(Client, Option<i32>)>,
    deadline: Deadline,
}

impl<'s> DocumentConnection<'s> {
    /// Log in to `database` as its owner role and run `setup` (unbounded settings only).
    pub fn open(server: &'s Server, database: &str, setup: &str) -> Result<Self, SeedError> {
        let mut conn = DocumentConnection {
            server,
            database: database.to_string(),
            setup: setup.to_string(),
            client: None,
            deadline: Deadline::for_server(server)?,
        };
        conn.client()?;
        Ok(conn)
    }

    /// The live connection, made anew if the last one was terminated or closed.
    pub fn client(&mut self) -> Result<&mut Client, SeedError> {
        connected(&mut self.client, self.server, &self.database, &self.setup).map(|(c, _)| c)
    }

    /// Run `f` on the connection; the watchdog cancels it `after` (plus a margin over the
    /// server's own `statement_timeout`) and terminates its backend if it is still busy
    /// [`crate::postgres::TERMINATE_GRACE`] later. `None` = unbounded.
    pub fn run<T>(
        &mut self,
        after: Option<Duration>,
        f: impl FnOnce(&mut Client) -> T,
    ) -> Result<Ran<T>, SeedError> {
        self.run_each(after, |client, _| f(client))
    }

    /// [`Self::run`] for a closure of several statements: it calls [`Ticker::next`] before
    /// each, and each gets the whole bound.
    pub fn run_each<T>(
        &mut self,
        after: Option<Duration>,
        f: impl FnOnce(&mut Client, &Ticker<'_>) -> T,
    ) -> Result<Ran<T>, SeedError> {
        let after = after.map(|a| a + WATCHDOG_MARGIN);
        let deadline = &self.deadline;
        let (client, pid) = connected(&mut self.client, self.server, &self.database, &self.setup)?;
        let pid = *pid;
        let ticker = Ticker {
            deadline,
            token: client.cancel_token(),
            pid,
            after,
            first_stop: Cell::new(None),
        };
        let started = Instant::now();
        if let Some(a) = after {
            deadline.arm(ticker.token.clone(), pid, a);
        }
        let value = f(client, &ticker);
        let last = if after.is_some() {
            deadline.disarm()
        } else {
            None
        };
        let stop = ticker.first_stop.get().or(last);
        let closed = client.is_closed();
        if closed {
            // Terminated (or lost): the next statement gets a new connection.
            self.client = None;
        }
        let bound = after.map_or(0.0, |a| a.saturating_sub(WATCHDOG_MARGIN).as_secs_f64());
        let stopped = stop.map(|s| match s {
            Stop::Cancelled { after } => Stopped {
                after,
                message: format!("pgspec cancelled it at its bound of {bound:.1} s (--statement-timeout)"),
                terminated: closed,
            },
            Stop::Terminated { after } => Stopped {
                after,
                message: format!(
                    "it ran past its bound of {bound:.1} s (--statement-timeout) and ignored the cancel request, so pgspec terminated its server process"
                ),
                terminated: true,
            },
        });
        let stopped = stopped.or_else(|| {
            closed.then(|| Stopped {
                after: started.elapsed(),
                message: "the connection closed".to_string(),
                terminated: true,
            })
        });
        Ok(Ran {
            value,
            stopped,
            took: started.elapsed(),
        })
    }
}

/// The connection in `slot`, made anew (with `setup`) when there is none or it closed.
fn connected<'c>(
    slot: &'c mut Option<(Client, Option<i32>)>,
    server: &Server,
    database: &str,
    setup: &str,
) -> Result<(&'c mut Client, &'c mut Option<i32>), SeedError> {
    if slot.as_ref().is_some_and(|(c, _)| c.is_closed()) {
        *slot = None;
    }
    if slot.is_none() {
        let mut client = super::app_client(server, database)?;
        if !setup.is_empty() {
            client.batch_execute(setup)?;
        }
        let pid = backend_pid(&mut client);
        *slot = Some((client, pid));
    }
    let (client, pid) = slot.as_mut().expect("connected");
    Ok((client, pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_set_in_milliseconds() {
        assert_eq!(
            set_statement_timeout(true, Some(Duration::from_millis(15_020))),
            "SET LOCAL statement_timeout = 15020"
        );
        assert_eq!(
            set_statement_timeout(false, None),
            "SET statement_timeout = 0"
        );
    }

    #[test]
    fn stops_read_as_a_sentence() {
        let s = Stopped {
            after: Duration::from_millis(17_500),
            message: "pgspec cancelled it".into(),
            terminated: false,
        };
        assert_eq!(s.to_string(), "stopped after 17.5 s: pgspec cancelled it");
    }
}
