//! The private cluster: found binaries, initdb (as `postgres` when run as root), pg_ctl start
//! with a unix socket only (`listen_addresses = ''`), reuse across runs, stop/destroy.
//!
//! Layout under a root directory (kept short: the socket lives under it):
//!
//! ```text
//! <root>/pg<major>/data         the data directory (initdb'd, trust auth, UTF8, C.UTF-8)
//! <root>/pg<major>/run          the unix socket directory (mode 0700)
//! <root>/pg<major>/server.log   the server log (pg_ctl -l)
//! <root>/.pg<major>.lock        held while initdb/start run (concurrent `ensure` calls)
//! ```
//!
//! Server settings live in `<data>/pgspec.conf` (included from `postgresql.conf`), rewritten
//! before every start, so `pg_ctl -D <data> start` by hand gives the same server.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::limits::{self, Limits};
use super::orphans::{self, application_name};
use super::os;
use super::sandbox::{self, SandboxStatus};

mod binaries;
mod lifecycle;
mod server;

pub use binaries::PgBinaries;
use lifecycle::{
    destroy_layout, initdb, log_tail, pg_ctl_status, prepare_base, prepare_root, start, stop,
    stop_server,
};
pub use server::{admin_options, app_options, Server};

/// The port of the private cluster. Only names the socket file (`.s.PGSQL.5432`): no TCP.
pub const DEFAULT_PORT: u16 = 5432;
/// The superuser `initdb -U` creates.
pub const SUPERUSER: &str = "postgres";
/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a busy backend of pgspec checks that pgspec is still connected.
const CLIENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);
const LOCK_WAIT: Duration = Duration::from_secs(180);
/// Libraries preloaded when the installation has them (so the cluster also starts without).
const PRELOAD_CANDIDATES: &[&str] = &["pg_cron", "pg_stat_statements"];

/// Tool failures around the server (not findings about the document).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no PostgreSQL server binaries found (looked in {searched}); install them, e.g. `apt-get install postgresql-15`, or pass --pg-bin DIR")]
    BinariesNotFound { searched: String },
    #[error("{command} failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("cannot connect to {target}: {message}")]
    Connect { target: String, message: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Server(String),
    /// The connection ended while a statement ran (the statement ended its own backend, or
    /// the server crashed). The session has reconnected and can go on.
    #[error("the connection to {database} closed while running a statement ({message}); pgspec reconnected")]
    ConnectionLost { database: String, message: String },
}

impl ClusterError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ClusterError::Io {
            context: context.into(),
            source,
        }
    }

    fn command(command: impl Into<String>, stderr: impl Into<String>) -> Self {
        ClusterError::Command {
            command: command.into(),
            stderr: stderr.into(),
        }
    }
}

/// The text of a client error: the server's message for server errors, else the error and
/// its causes.
pub fn error_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Which OS user runs initdb/pg_ctl: ourselves, or `postgres` when we are root.
#[derive(Clone, Debug)]
enum RunAs {
    Current,
    User { uid: u32, gid: u32 },
}

impl RunAs {
    fn detect() -> Result<Self, ClusterError> {
        if os::euid() != 0 {
            return Ok(RunAs::Current);
        }
        match os::lookup_user(SUPERUSER) {
            Some((uid, gid)) => Ok(RunAs::User { uid, gid }),
            None => Err(ClusterError::command(
                "initdb",
                "pgspec runs as root and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run the server as; create one (`useradd --system --user-group postgres`) or run pgspec as a regular user",
            )),
        }
    }

    fn uid(&self) -> Option<u32> {
        match self {
            RunAs::Current => None,
            RunAs::User { uid, .. } => Some(*uid),
        }
    }

    /// A command for a server tool, run as the server user, with a clean libpq environment.
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let RunAs::User { uid, gid } = self {
            cmd.uid(*uid).gid(*gid);
        }
        for var in [
            "PGDATA",
            "PGHOST",
            "PGHOSTADDR",
            "PGPORT",
            "PGUSER",
            "PGDATABASE",
            "PGOPTIONS",
            "PGSERVICE",
            "PGPASSFILE",
        ] {
            cmd.env_remove(var);
        }
        cmd.current_dir(cwd).stdin(Stdio::null());
        cmd
    }

    /// Give `path` to the server user (no-op when we are that user).
    fn chown(&self, path: &Path) -> Result<(), ClusterError> {
        if let RunAs::User { uid, gid } = self {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                .map_err(|e| ClusterError::io(format!("chown {}", path.display()), e))?;
        }
        Ok(())
    }
}

/// Paths of a cluster under a root.
#[derive(Clone, Debug)]
struct Layout {
    root: PathBuf,
    base: PathBuf,
    data: PathBuf,
    run: PathBuf,
    log: PathBuf,
    lock: PathBuf,
}

impl Layout {
    fn new(root: &Path, bins: &PgBinaries) -> Result<Self, ClusterError> {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| ClusterError::io("current directory", e))?
                .join(root)
        };
        let major = bins.major();
        let base = root.join(format!("pg{major}"));
        let layout = Layout {
            data: base.join("data"),
            run: base.join("run"),
            log: base.join("server.log"),
            lock: root.join(format!(".pg{major}.lock")),
            base,
            root,
        };
        let text = layout.run.to_str().ok_or_else(|| {
            ClusterError::command(
                "pgspec",
                format!(
                    "cluster directory {} is not valid UTF-8",
                    layout.root.display()
                ),
            )
        })?;
        if text.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '\'' | '"' | ',' | '\\')
        }) {
            return Err(ClusterError::command(
                "pgspec",
                format!(
                    "cluster directory {:?} contains spaces, quotes or commas; choose a plain path (PGSPEC_HOME or --cluster-dir)",
                    layout.root
                ),
            ));
        }
        let socket = format!("{text}/.s.PGSQL.{DEFAULT_PORT}");
        if socket.len() > MAX_SOCKET_PATH {
            return Err(ClusterError::command(
                "pgspec",
                format!(
                    "the socket path {socket} is longer than {MAX_SOCKET_PATH} bytes; choose a shorter cluster directory (PGSPEC_HOME or --cluster-dir), e.g. /tmp/pgspec"
                ),
            ));
        }
        Ok(layout)
    }

    fn initialized(&self) -> bool {
        self.data.join("PG_VERSION").is_file()
    }

    fn pid_file(&self) -> PathBuf {
        self.data.join("postmaster.pid")
    }
}

/// What `pgspec cluster status` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterStatus {
    /// No data directory yet.
    NotInitialized { data_dir: PathBuf },
    /// Initialized, no server running.
    Stopped { data_dir: PathBuf },
    /// Running and accepting connections at `url`.
    Running { data_dir: PathBuf, url: String },
    /// A server process exists but does not accept connections.
    Unreachable { data_dir: PathBuf, reason: String },
}

impl fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterStatus::NotInitialized { data_dir } => {
                write!(f, "not initialized ({} does not exist)", data_dir.display())
            }
            ClusterStatus::Stopped { data_dir } => write!(f, "stopped ({})", data_dir.display()),
            ClusterStatus::Running { data_dir, url } => {
                write!(f, "running ({}): {url}", data_dir.display())
            }
            ClusterStatus::Unreachable { data_dir, reason } => {
                write!(
                    f,
                    "running but not accepting connections ({}): {reason}",
                    data_dir.display()
                )
            }
        }
    }
}

/// A running private cluster. `temporary()` clusters are stopped and removed on drop;
/// `ensure()` clusters are left running for reuse.
#[derive(Debug)]
pub struct Cluster {
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    pub bins: PgBinaries,
    pub temporary: bool,
    /// The server log (`pg_ctl -l`).
    pub log_file: PathBuf,
    layout: Layout,
    run_as: RunAs,
    /// For temporary clusters: a process that stops and removes the cluster once this
    /// process is gone (statics are never dropped; crashes skip `Drop`).
    reaper: Option<Child>,
}

impl Cluster {
    /// The default root for the reusable cluster (short path: the socket lives under it):
    /// `$PGSPEC_HOME`, else `pgspec-<euid>` in memory ([`os::memory_dir`], `/dev/shm`), else
    /// in `/tmp`. Like `/tmp`, memory does not outlive a reboot; the cluster is a scratch and
    /// development server that `pgspec up` rebuilds from the document.
    pub fn default_root() -> PathBuf {
        match std::env::var_os("PGSPEC_HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home),
            None => os::memory_dir()
                .unwrap_or(Path::new("/tmp"))
                .join(format!("pgspec-{}", os::euid())),
        }
    }

    fn new(layout: Layout, bins: &PgBinaries, run_as: RunAs, temporary: bool) -> Self {
        Cluster {
            root: layout.root.clone(),
            data_dir: layout.data.clone(),
            socket_dir: layout.run.clone(),
            port: DEFAULT_PORT,
            bins: bins.clone(),
            temporary,
            log_file: layout.log.clone(),
            layout,
            run_as,
            reaper: None,
        }
    }

    /// Start the cluster at `root`, running initdb first if needed; reuse it if it runs.
    /// Safe to call from several processes at once (a lock file serializes initdb/start).
    pub fn ensure(root: &Path, bins: &PgBinaries) -> Result<Self, ClusterError> {
        let layout = Layout::new(root, bins)?;
        let run_as = RunAs::detect()?;
        let cluster = Cluster::new(layout, bins, run_as, false);
        let layout = &cluster.layout;
        if layout.initialized()
            && layout.pid_file().is_file()
            && (cluster.announces_ready() || cluster.ping().is_ok())
        {
            return Ok(cluster);
        }
        prepare_root(&layout.root, &cluster.run_as, false)?;
        let _lock = LockFile::acquire(&layout.lock)?;
        if layout.initialized() && cluster.ping().is_ok() {
            return Ok(cluster);
        }
        prepare_base(layout, &cluster.run_as)?;
        if !layout.initialized() {
            initdb(layout, bins, &cluster.run_as)?;
        }
        if layout.pid_file().is_file() && pg_ctl_status(layout, bins, &cluster.run_as) {
            // Running, but not reachable where we expect it; wait briefly (it may be
            // starting up or recovering) before giving up.
            cluster.wait_ready(Duration::from_secs(10)).map_err(|e| {
                ClusterError::command(
                    "pgspec",
                    format!(
                        "a server is running on {} but does not accept connections on {}: {e}; stop it with `pgspec cluster stop` (log: {})",
                        layout.data.display(),
                        layout.run.display(),
                        layout.log.display()
                    ),
                )
            })?;
            return Ok(cluster);
        }
        start(layout, bins, &cluster.run_as)?;
        cluster.wait_ready(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// A throwaway cluster in a fresh temporary directory, removed on drop (for tests).
    /// If this process dies without dropping it (or it lives in a `static`), a small
    /// watcher process stops and removes it once this process is gone.
    pub fn temporary(bins: &PgBinaries) -> Result<Self, ClusterError> {
        let run_as = RunAs::detect()?;
        let tmp = std::env::temp_dir();
        // In memory when it can be (see `os::memory_dir`: tests make thousands of databases);
        // else, as root the server user must reach it: stay in /tmp.
        let parent = if let Some(memory) = os::memory_dir() {
            memory.to_path_buf()
        } else if run_as.uid().is_none() && tmp.as_os_str().len() <= 40 && tmp.is_dir() {
            tmp
        } else {
            PathBuf::from("/tmp")
        };
        let root = tempfile::Builder::new()
            .prefix("pgspec-")
            .tempdir_in(&parent)
            .map_err(|e| {
                ClusterError::io(
                    format!("creating a temporary directory in {}", parent.display()),
                    e,
                )
            })?
            .keep();
        let set_up = || -> Result<Layout, ClusterError> {
            let layout = Layout::new(&root, bins)?;
            // Owned by the server user (so the watcher, running as that user, can remove it).
            run_as.chown(&root)?;
            fs::set_permissions(&root, fs::Permissions::from_mode(0o700))
                .map_err(|e| ClusterError::io(format!("chmod {}", root.display()), e))?;
            prepare_root(&root, &run_as, true)?;
            prepare_base(&layout, &run_as)?;
            initdb(&layout, bins, &run_as)?;
            start(&layout, bins, &run_as)?;
            Ok(layout)
        };
        let layout = match set_up() {
            Ok(layout) => layout,
            Err(e) => {
                if let Ok(layout) = Layout::new(&root, bins) {
                    let _ = stop(&layout, bins, &run_as, "immediate");
                }
                let _ = fs::remove_dir_all(&root);
                return Err(e);
            }
        };
        let mut cluster = Cluster::new(layout, bins, run_as, true);
        cluster.reaper = cluster.spawn_reaper();
        // On failure, Drop stops and removes it.
        cluster.wait_ready(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// A shell that waits for this process to exit, then stops the server and removes the
    /// directory. Runs as the server user in its own process group (no terminal signals).
    fn spawn_reaper(&self) -> Option<Child> {
        if !os::has_procfs() {
            return None;
        }
        let script = r#"while [ -d "/proc/$0" ]; do sleep 1; done; "$1" -D "$2" -m immediate -w -t 30 stop >/dev/null 2>&1; rm -rf "$3""#;
        let mut cmd = self.run_as.command(Path::new("/bin/sh"), Path::new("/"));
        cmd.arg("-c")
            .arg(script)
            .arg(std::process::id().to_string())
            .arg(self.bins.tool("pg_ctl"))
            .arg(&self.data_dir)
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        cmd.spawn().ok()
    }

    /// libpq-style URL for `dbname` over the unix socket.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@/{}?host={}&port={}",
            percent_encode(dbname),
            percent_encode(&self.socket_dir.to_string_lossy()),
            self.port
        )
    }

    /// Client configuration for `dbname` as the superuser, over the unix socket, with the
    /// startup options of pgspec's administrative connections ([`admin_options`]).
    pub fn config(&self, dbname: &str) -> postgres::Config {
        let mut config = self.base_config(dbname);
        config.options(&admin_options(self.check_interval()));
        config
    }

    /// Client configuration for `dbname` for the document's code ([`app_options`]); the
    /// caller sets the document's role as `user`.
    pub fn app_config(&self, dbname: &str) -> postgres::Config {
        let mut config = self.base_config(dbname);
        config.options(&app_options(self.check_interval()));
        config
    }

    fn base_config(&self, dbname: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(SUPERUSER)
            .dbname(dbname)
            .application_name(&application_name())
            .connect_timeout(CONNECT_TIMEOUT);
        config
    }

    /// Whether this server knows `client_connection_check_interval` (PostgreSQL 14+).
    fn check_interval(&self) -> bool {
        self.bins.major().parse::<u32>().is_ok_and(|m| m >= 14)
    }

    /// Whether the server says it runs and accepts connections, without a connection (which
    /// costs every command a backend): its pid file names a live `postgres` process and says
    /// `ready` (as `pg_ctl` reads it), and its socket is there. A server that is gone or
    /// starting fails one of them and is pinged, then (re)started as before.
    fn announces_ready(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(self.layout.pid_file()) else {
            return false;
        };
        let lines: Vec<&str> = text.lines().collect();
        let Some(pid) = lines.first().and_then(|l| l.trim().parse::<u32>().ok()) else {
            return false;
        };
        // The 8th line is the postmaster's status (`ready   `, `starting`, `stopping`).
        let ready = lines.get(7).is_some_and(|l| l.trim() == "ready");
        let postgres = std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| cmd.windows(8).any(|w| w == b"postgres"));
        let socket = self.socket_dir.join(format!(".s.PGSQL.{}", self.port));
        ready && postgres && socket.exists()
    }

    /// Connect once (to `postgres`) and close.
    fn ping(&self) -> Result<(), ClusterError> {
        let mut config = self.config("postgres");
        config.connect_timeout(Duration::from_secs(2));
        config
            .connect(postgres::NoTls)
            .map(drop)
            .map_err(|e| ClusterError::Connect {
                target: self.url("postgres"),
                message: error_text(&e),
            })
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), ClusterError> {
        let start = Instant::now();
        loop {
            match self.ping() {
                Ok(()) => return Ok(()),
                Err(e) if start.elapsed() >= timeout => {
                    let tail = log_tail(&self.log_file, 20);
                    return Err(ClusterError::Connect {
                        target: self.url("postgres"),
                        message: format!(
                            "{e}\n--- last lines of {} ---\n{tail}",
                            self.log_file.display()
                        ),
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Stop this cluster's server (fast shutdown). Stopping a stopped server is fine.
    pub fn stop(&self) -> Result<(), ClusterError> {
        stop_server(&self.layout, &self.bins, &self.run_as)
    }

    /// Stop the server and remove the cluster's directory.
    pub fn destroy(mut self) -> Result<(), ClusterError> {
        let result = destroy_layout(&self.layout, &self.bins, &self.run_as);
        self.temporary = false; // nothing left for Drop
        if let Some(mut reaper) = self.reaper.take() {
            let _ = reaper.kill();
            let _ = reaper.wait();
        }
        result
    }

    /// The state of the cluster at `root` for `bins`' major version.
    pub fn status(root: &Path, bins: &PgBinaries) -> ClusterStatus {
        let Ok(layout) = Layout::new(root, bins) else {
            return ClusterStatus::NotInitialized {
                data_dir: root.join(format!("pg{}/data", bins.major())),
            };
        };
        if !layout.initialized() {
            return ClusterStatus::NotInitialized {
                data_dir: layout.data,
            };
        }
        let run_as = RunAs::detect().unwrap_or(RunAs::Current);
        let cluster = Cluster::new(layout, bins, run_as, false);
        let layout = &cluster.layout;
        match cluster.ping() {
            Ok(()) => ClusterStatus::Running {
                data_dir: layout.data.clone(),
                url: cluster.url("postgres"),
            },
            Err(e)
                if layout.pid_file().is_file() && pg_ctl_status(layout, bins, &cluster.run_as) =>
            {
                ClusterStatus::Unreachable {
                    data_dir: layout.data.clone(),
                    reason: e.to_string(),
                }
            }
            Err(_) => ClusterStatus::Stopped {
                data_dir: layout.data.clone(),
            },
        }
    }

    /// Whether this cluster's server runs in the sandbox (bubblewrap), and if not, why.
    pub fn sandbox(&self) -> SandboxStatus {
        sandbox::status(&self.layout.base, &self.layout.pid_file())
    }

    /// Whether the server of the cluster at `root` runs in the sandbox, and if not, why.
    pub fn sandbox_at(root: &Path, bins: &PgBinaries) -> SandboxStatus {
        match Layout::new(root, bins) {
            Ok(layout) => sandbox::status(&layout.base, &layout.pid_file()),
            Err(e) => SandboxStatus::Inactive(e.to_string()),
        }
    }

    /// Stop the cluster at `root` if it runs.
    pub fn stop_at(root: &Path, bins: &PgBinaries) -> Result<(), ClusterError> {
        let layout = Layout::new(root, bins)?;
        let run_as = RunAs::detect()?;
        stop_server(&layout, bins, &run_as)
    }

    /// Stop the cluster at `root` and remove its directory (`<root>/pg<major>`; `root` too if
    /// that leaves it empty).
    pub fn destroy_at(root: &Path, bins: &PgBinaries) -> Result<(), ClusterError> {
        let layout = Layout::new(root, bins)?;
        let run_as = RunAs::detect()?;
        destroy_layout(&layout, bins, &run_as)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.temporary {
            let _ = stop(&self.layout, &self.bins, &self.run_as, "immediate");
            let _ = fs::remove_dir_all(&self.root);
        }
        if let Some(mut reaper) = self.reaper.take() {
            let _ = reaper.kill();
            let _ = reaper.wait();
        }
    }
}

/// Percent-encode everything but unreserved characters (RFC 3986).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An exclusive lock held by creating a file; removed on drop. A lock whose owner died
/// (or that is very old) is broken.
struct LockFile {
    path: PathBuf,
}

impl LockFile {
    fn acquire(path: &Path) -> Result<Self, ClusterError> {
        let started = Instant::now();
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut file) => {
                    let _ = writeln!(file, "{}", std::process::id());
                    return Ok(LockFile {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if Self::is_stale(path) {
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if started.elapsed() > LOCK_WAIT {
                        return Err(ClusterError::io(
                            format!(
                                "waiting for {} (remove it if no pgspec is running)",
                                path.display()
                            ),
                            std::io::Error::from(std::io::ErrorKind::TimedOut),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(e) => return Err(ClusterError::io(format!("creating {}", path.display()), e)),
            }
        }
    }

    fn is_stale(path: &Path) -> bool {
        let age = fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        match fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            Some(pid) => !os::pid_alive(pid) || age > Duration::from_secs(600),
            // Being written right now, or garbage.
            None => age > Duration::from_secs(5),
        }
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests;
