//! The time bounds of one pgspec process: set once from the command line (`--statement-timeout`,
//! `--timeout`), read wherever a connection is opened.

use std::sync::RwLock;
use std::time::Duration;

/// Default bound of one statement of the document.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default bound of waiting for one lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// pgspec's own statements (catalog queries, CREATE/DROP DATABASE, ANALYZE) get at least this.
const MIN_ADMIN_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Time bounds of the statements pgspec runs. Zero means "no bound".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `statement_timeout` of the document's statements.
    pub statement_timeout: Duration,
    /// `lock_timeout` of every connection.
    pub lock_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

impl Limits {
    /// `statement_timeout` of pgspec's administrative connections: the document's bound,
    /// but at least a minute (zero stays zero).
    pub fn admin_statement_timeout(&self) -> Duration {
        if self.statement_timeout.is_zero() {
            Duration::ZERO
        } else {
            self.statement_timeout.max(MIN_ADMIN_STATEMENT_TIMEOUT)
        }
    }
}

static LIMITS: RwLock<Limits> = RwLock::new(Limits {
    statement_timeout: DEFAULT_STATEMENT_TIMEOUT,
    lock_timeout: DEFAULT_LOCK_TIMEOUT,
});

/// The bounds in force.
pub fn get() -> Limits {
    *LIMITS.read().unwrap_or_else(|e| e.into_inner())
}

/// Set the bounds for connections opened from now on (the binary, once, from its options).
pub fn set(limits: Limits) {
    *LIMITS.write().unwrap_or_else(|e| e.into_inner()) = limits;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_statements_get_at_least_a_minute() {
        let mut l = Limits::default();
        assert_eq!(l.admin_statement_timeout(), Duration::from_secs(60));
        l.statement_timeout = Duration::from_secs(300);
        assert_eq!(l.admin_statement_timeout(), Duration::from_secs(300));
        l.statement_timeout = Duration::ZERO;
        assert_eq!(l.admin_statement_timeout(), Duration::ZERO);
    }
}
