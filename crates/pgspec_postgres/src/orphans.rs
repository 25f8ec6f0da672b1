//! Backends that outlive their pgspec, and the bound on a whole command.
//!
//! Every connection pgspec opens is named `pgspec/<pid>/<pid namespace>`
//! ([`application_name`]). A backend whose pgspec died normally stops by itself: its
//! connections check every second that the client is still there
//! (`client_connection_check_interval`). A statement can turn that check off for itself, so
//! every run also ends the backends of pgspec processes of this PID namespace that no longer
//! exist ([`terminate_orphans`]), and a command that outlives `--timeout` ends its own
//! backends before it exits ([`CommandTimer`]).

use std::sync::Mutex;
use std::time::Duration;

use postgres::NoTls;

use super::os;

/// `pgspec/<pid>/<pid namespace inode>` (`pgspec/<pid>` where namespaces are unknown).
pub fn application_name() -> String {
    let pid = std::process::id();
    match namespace_id() {
        Some(ns) => format!("pgspec/{pid}/{ns}"),
        None => format!("pgspec/{pid}"),
    }
}

/// The inode of our PID namespace (`pid:[4026531836]` → `4026531836`).
fn namespace_id() -> Option<String> {
    let ns = os::pid_namespace();
    let id = ns.strip_prefix("pid:[")?.strip_suffix(']')?;
    id.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| id.to_string())
}

/// The pgspec process an application_name names, if it is one of this PID namespace.
fn process_of(name: &str, namespace: &str) -> Option<u32> {
    let rest = name.strip_prefix("pgspec/")?;
    let (pid, ns) = rest.split_once('/')?;
    (ns == namespace).then(|| pid.parse().ok()).flatten()
}

/// End the backends of pgspec processes of this PID namespace that are gone. Returns how
/// many were signalled. Best effort: without the privilege to signal them nothing happens.
pub fn terminate_orphans(admin: &mut postgres::Client) -> usize {
    let Some(namespace) = namespace_id() else {
        return 0;
    };
    if !os::has_procfs() {
        return 0;
    }
    let Ok(rows) = admin.query(
        "SELECT a.pid, a.application_name FROM pg_catalog.pg_stat_activity a \
         WHERE a.application_name OPERATOR(pg_catalog.~~) 'pgspec/%' \
         AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()",
        &[],
    ) else {
        return 0;
    };
    let mut ended = 0;
    for row in rows {
        let backend: i32 = row.get(0);
        let name: Option<String> = row.get(1);
        let Some(owner) = name.as_deref().and_then(|n| process_of(n, &namespace)) else {
            continue;
        };
        if owner == std::process::id() || os::pid_alive(owner) {
            continue;
        }
        if terminate(admin, backend) {
            ended += 1;
        }
    }
    ended
}

/// End this process's own backends (but the one of `admin`).
pub fn terminate_own(admin: &mut postgres::Client) -> usize {
    let Ok(rows) = admin.query(
        "SELECT a.pid FROM pg_catalog.pg_stat_activity a \
         WHERE a.application_name OPERATOR(pg_catalog.=) $1 \
         AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()",
        &[&application_name()],
    ) else {
        return 0;
    };
    rows.into_iter()
        .filter(|row| terminate(admin, row.get(0)))
        .count()
}

fn terminate(admin: &mut postgres::Client, backend: i32) -> bool {
    admin
        .query_one("SELECT pg_catalog.pg_terminate_backend($1)", &[&backend])
        .is_ok_and(|r| r.get::<_, bool>(0))
}

/// The administrative connection of the server this process works on (the last one
/// configured), for ending its backends when the command times out.
static SERVER: Mutex<Option<postgres::Config>> = Mutex::new(None);

pub(crate) fn remember_server(config: &postgres::Config) {
    *SERVER.lock().unwrap_or_else(|e| e.into_inner()) = Some(config.clone());
}

/// Bounds a whole command: after `limit`, ends this process's backends on the server it
/// works on, then calls `on_expiry` (which should exit the process).
pub struct CommandTimer;

/// Set once the command's time is up: from then on the timer's thread ends the statements,
/// removes the scratch databases and exits; the command's own thread must leave that to it.
static EXPIRED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl CommandTimer {
    /// Whether the command's time is up (its statements are being ended).
    pub fn expired() -> bool {
        EXPIRED.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Start the timer (`limit` zero: no bound).
    pub fn start(limit: Duration, on_expiry: impl FnOnce() + Send + 'static) {
        if limit.is_zero() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("pgspec-timeout".to_string())
            .spawn(move || {
                std::thread::sleep(limit);
                EXPIRED.store(true, std::sync::atomic::Ordering::SeqCst);
                let config = SERVER.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some(mut config) = config {
                    config.connect_timeout(Duration::from_secs(5));
                    if let Ok(mut admin) = config.connect(NoTls) {
                        terminate_own(&mut admin);
                    }
                }
                on_expiry();
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_pid_and_namespace() {
        let name = application_name();
        assert!(name.starts_with(&format!("pgspec/{}", std::process::id())));
        assert!(name.len() < 64, "{name}");
        assert_eq!(process_of("pgspec/42/4026531836", "4026531836"), Some(42));
        assert_eq!(process_of("pgspec/42/4026531836", "4026530000"), None);
        assert_eq!(process_of("pgspec/42", "4026531836"), None);
        assert_eq!(process_of("psql", "4026531836"), None);
    }
}
