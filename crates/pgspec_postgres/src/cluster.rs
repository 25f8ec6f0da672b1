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

/// Located PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`).
#[derive(Clone, Debug)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
    /// e.g. "15.18"
    pub version: String,
}

impl PgBinaries {
    /// Find binaries: `explicit` (--pg-bin), then `$PG_BIN`, then `pg_config --bindir`, then
    /// the highest `/usr/lib/postgresql/*/bin` (and other common install locations, then `PATH`).
    pub fn locate(explicit: Option<&Path>) -> Result<Self, ClusterError> {
        if let Some(dir) = explicit {
            return Self::from_dir(dir).ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("{} (--pg-bin)", dir.display()),
            });
        }
        if let Some(dir) = std::env::var_os("PG_BIN").filter(|v| !v.is_empty()) {
            let dir = PathBuf::from(dir);
            return Self::from_dir(&dir).ok_or_else(|| ClusterError::BinariesNotFound {
                searched: format!("{} ($PG_BIN)", dir.display()),
            });
        }
        let mut searched = Vec::new();
        match Command::new("pg_config")
            .arg("--bindir")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if let Some(bins) = Self::from_dir(&dir) {
                    return Ok(bins);
                }
                searched.push(format!("{} (pg_config --bindir)", dir.display()));
            }
            _ => searched.push("pg_config (not on PATH)".to_string()),
        }
        let mut candidates = versioned_dirs(Path::new("/usr/lib/postgresql"), "", "bin");
        candidates.extend(versioned_dirs(Path::new("/usr"), "pgsql-", "bin"));
        candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).filter(|d| d.join("initdb").is_file()));
        }
        for dir in &candidates {
            if let Some(bins) = Self::from_dir(dir) {
                return Ok(bins);
            }
        }
        searched.push(
            "/usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, /usr/local/pgsql/bin, PATH".to_string(),
        );
        Err(ClusterError::BinariesNotFound {
            searched: searched.join(", "),
        })
    }

    /// `dir` if it holds initdb, pg_ctl and a `postgres` that reports its version.
    fn from_dir(dir: &Path) -> Option<Self> {
        if !["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|t| dir.join(t).is_file())
        {
            return None;
        }
        let out = Command::new(dir.join("postgres"))
            .arg("--version")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let version = parse_version(&String::from_utf8_lossy(&out.stdout))?;
        Some(PgBinaries {
            bin_dir: dir.to_path_buf(),
            version,
        })
    }

    /// The major version ("15" for "15.18").
    pub fn major(&self) -> &str {
        let end = self
            .version
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(self.version.len());
        &self.version[..end]
    }

    /// Path of the tool `name` in `bin_dir`.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The directory of loadable modules (`pg_config --pkglibdir` of this installation).
    pub fn pkglibdir(&self) -> Option<PathBuf> {
        let pg_config = self.tool("pg_config");
        if pg_config.is_file() {
            if let Ok(out) = Command::new(&pg_config)
                .arg("--pkglibdir")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
            {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if out.status.success() && dir.is_dir() {
                    return Some(dir);
                }
            }
        }
        // Debian layout: /usr/lib/postgresql/15/{bin,lib}.
        let lib = self.bin_dir.parent()?.join("lib");
        lib.join("plpgsql.so").is_file().then_some(lib)
    }

    /// Which of the libraries pgspec preloads (pg_cron, pg_stat_statements) are installed.
    pub fn preload_libraries(&self) -> Vec<&'static str> {
        let Some(dir) = self.pkglibdir() else {
            return Vec::new();
        };
        PRELOAD_CANDIDATES
            .iter()
            .copied()
            .filter(|lib| {
                dir.join(format!("{lib}.so")).is_file()
                    || dir.join(format!("{lib}.dylib")).is_file()
            })
            .collect()
    }
}

/// The version token of `postgres --version` ("postgres (PostgreSQL) 15.18 (Debian …)").
fn parse_version(output: &str) -> Option<String> {
    output
        .split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| {
            t.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
}

/// `<parent>/<prefix><version>/<sub>` directories, highest version first.
fn versioned_dirs(parent: &Path, prefix: &str, sub: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix(prefix)?;
            let key: Vec<u32> = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((key, e.path().join(sub)))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, p)| p).collect()
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
    /// `$PGSPEC_HOME`, else `/tmp/pgspec-<euid>`.
    pub fn default_root() -> PathBuf {
        match std::env::var_os("PGSPEC_HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home),
            None => PathBuf::from(format!("/tmp/pgspec-{}", os::euid())),
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
        if layout.initialized() && layout.pid_file().is_file() && cluster.ping().is_ok() {
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
        // As root the server user must reach it: stay in /tmp.
        let parent = if run_as.uid().is_none() && tmp.as_os_str().len() <= 40 && tmp.is_dir() {
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

fn destroy_layout(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> Result<(), ClusterError> {
    if layout.initialized() || layout.pid_file().is_file() {
        stop_server(layout, bins, run_as)?;
    }
    if layout.base.exists() {
        fs::remove_dir_all(&layout.base)
            .map_err(|e| ClusterError::io(format!("removing {}", layout.base.display()), e))?;
    }
    let _ = fs::remove_file(&layout.lock);
    let _ = fs::remove_dir(&layout.root); // only if empty
    Ok(())
}

/// Fast shutdown, falling back to immediate.
fn stop_server(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> Result<(), ClusterError> {
    match stop(layout, bins, run_as, "fast") {
        Ok(()) => Ok(()),
        Err(_) => stop(layout, bins, run_as, "immediate"),
    }
}

fn stop(
    layout: &Layout,
    bins: &PgBinaries,
    run_as: &RunAs,
    mode: &str,
) -> Result<(), ClusterError> {
    if !layout.pid_file().is_file() {
        return Ok(());
    }
    let out = run_tool(
        run_as
            .command(&bins.tool("pg_ctl"), &layout.base)
            .arg("-D")
            .arg(&layout.data)
            .args(["-m", mode, "-w", "-t", "60", "-s", "stop"]),
        "pg_ctl stop",
    )?;
    if out.status.success() || !layout.pid_file().is_file() {
        Ok(())
    } else {
        Err(ClusterError::command("pg_ctl stop", output_text(&out)))
    }
}

/// `pg_ctl status`: true if a server runs on the data directory.
fn pg_ctl_status(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> bool {
    run_as
        .command(&bins.tool("pg_ctl"), &layout.base)
        .arg("-D")
        .arg(&layout.data)
        .arg("status")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Create `root` if needed and check it is ours and traversable by the server user.
fn prepare_root(root: &Path, run_as: &RunAs, created: bool) -> Result<(), ClusterError> {
    if !root.exists() {
        fs::create_dir_all(root)
            .map_err(|e| ClusterError::io(format!("creating {}", root.display()), e))?;
        let mode = if run_as.uid().is_some() { 0o711 } else { 0o700 };
        fs::set_permissions(root, fs::Permissions::from_mode(mode))
            .map_err(|e| ClusterError::io(format!("chmod {}", root.display()), e))?;
    }
    let meta = fs::metadata(root)
        .map_err(|e| ClusterError::io(format!("reading {}", root.display()), e))?;
    let me = os::euid();
    if !created && meta.uid() != me && Some(meta.uid()) != run_as.uid() {
        return Err(ClusterError::command(
            "pgspec",
            format!(
                "refusing to use {}: it belongs to uid {}, not to you (uid {me}); set PGSPEC_HOME or --cluster-dir to a directory of yours",
                root.display(),
                meta.uid()
            ),
        ));
    }
    if let Some(server_uid) = run_as.uid() {
        // The server user must be able to reach <root>/pg<major>: every ancestor needs +x.
        let mut dir = Some(root);
        while let Some(d) = dir {
            if let Ok(m) = fs::metadata(d) {
                let mode = m.permissions().mode();
                let ok = if m.uid() == server_uid {
                    mode & 0o100 != 0
                } else {
                    mode & 0o001 != 0
                };
                if !ok {
                    return Err(ClusterError::command(
                        "pgspec",
                        format!(
                            "{} is not accessible to the `{SUPERUSER}` OS user that runs the server; use a cluster directory under /tmp or /var/tmp (PGSPEC_HOME or --cluster-dir)",
                            d.display()
                        ),
                    ));
                }
            }
            dir = d.parent();
        }
    }
    Ok(())
}

/// Create `<root>/pg<major>` and its socket directory, owned by the server user, mode 0700.
fn prepare_base(layout: &Layout, run_as: &RunAs) -> Result<(), ClusterError> {
    for dir in [&layout.base, &layout.run] {
        if !dir.is_dir() {
            match fs::create_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(ClusterError::io(format!("creating {}", dir.display()), e)),
            }
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| ClusterError::io(format!("chmod {}", dir.display()), e))?;
        run_as.chown(dir)?;
    }
    Ok(())
}

fn initdb(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> Result<(), ClusterError> {
    let mut last_error = String::new();
    for locale in ["C.UTF-8", "C"] {
        if layout.data.exists() {
            // A half-made data directory from an interrupted initdb.
            fs::remove_dir_all(&layout.data)
                .map_err(|e| ClusterError::io(format!("removing {}", layout.data.display()), e))?;
        }
        let out = run_tool(
            run_as
                .command(&bins.tool("initdb"), &layout.base)
                .arg("-D")
                .arg(&layout.data)
                .args(["-A", "trust", "--no-sync", "-E", "UTF8", "-U", SUPERUSER])
                .arg(format!("--locale={locale}")),
            "initdb",
        )?;
        if out.status.success() {
            let conf = layout.data.join("postgresql.conf");
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(&conf)
                .map_err(|e| ClusterError::io(format!("opening {}", conf.display()), e))?;
            file.write_all(b"\n# Settings of pgspec (rewritten before every start).\ninclude_if_exists = 'pgspec.conf'\n")
                .map_err(|e| ClusterError::io(format!("writing {}", conf.display()), e))?;
            return Ok(());
        }
        last_error = output_text(&out);
        if !last_error.to_lowercase().contains("locale") {
            break;
        }
    }
    let _ = fs::remove_dir_all(&layout.data);
    Err(ClusterError::command("initdb", last_error))
}

/// The server settings pgspec starts the cluster with.
fn settings(layout: &Layout, bins: &PgBinaries) -> String {
    let libs = bins.preload_libraries();
    let mut s = String::from("# Written by pgspec before every start; edits are overwritten.\n");
    s.push_str("listen_addresses = ''\n");
    s.push_str(&format!(
        "unix_socket_directories = '{}'\n",
        layout.run.display()
    ));
    s.push_str("unix_socket_permissions = 0700\n");
    s.push_str(&format!("port = {DEFAULT_PORT}\n"));
    s.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
    s.push_str("max_connections = 50\n");
    s.push_str(&format!(
        "shared_preload_libraries = '{}'\n",
        libs.join(",")
    ));
    if libs.contains(&"pg_cron") {
        s.push_str("cron.database_name = 'postgres'\n");
    }
    s
}

fn start(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> Result<(), ClusterError> {
    let conf = layout.data.join("pgspec.conf");
    let tmp = layout.data.join("pgspec.conf.tmp");
    fs::write(&tmp, settings(layout, bins))
        .map_err(|e| ClusterError::io(format!("writing {}", tmp.display()), e))?;
    run_as.chown(&tmp)?;
    fs::rename(&tmp, &conf)
        .map_err(|e| ClusterError::io(format!("writing {}", conf.display()), e))?;
    let pg_ctl_start = |cmd: &mut Command| {
        cmd.arg("-D")
            .arg(&layout.data)
            .arg("-l")
            .arg(&layout.log)
            .args(["-w", "-t", "60", "-s", "start"]);
    };
    let why_not = match sandbox_for(layout, bins, run_as) {
        Ok(bwrap) => {
            let install = install_dir(bins);
            let mut cmd = run_as.command(&bwrap, &layout.base);
            cmd.args(sandbox::args(&layout.base, &install))
                .arg(bins.tool("pg_ctl"));
            pg_ctl_start(&mut cmd);
            let out = run_tool(&mut cmd, "pg_ctl start (in bubblewrap)")?;
            if out.status.success() {
                sandbox::record(&layout.base, &SandboxStatus::Active);
                return Ok(());
            }
            // Whatever half-started goes; then start without the sandbox.
            let _ = stop(layout, bins, run_as, "immediate");
            format!(
                "the server did not start inside bubblewrap: {}",
                output_text(&out)
            )
        }
        Err(why) => why,
    };
    let mut cmd = run_as.command(&bins.tool("pg_ctl"), &layout.base);
    pg_ctl_start(&mut cmd);
    let out = run_tool(&mut cmd, "pg_ctl start")?;
    sandbox::record(&layout.base, &SandboxStatus::Inactive(why_not));
    if out.status.success() {
        return Ok(());
    }
    Err(ClusterError::command(
        "pg_ctl start",
        format!(
            "{}\n--- last lines of {} ---\n{}",
            output_text(&out),
            layout.log.display(),
            log_tail(&layout.log, 20)
        ),
    ))
}

/// `bwrap` if the server can run in the sandbox here (probed as the server user), else why not.
fn sandbox_for(layout: &Layout, bins: &PgBinaries, run_as: &RunAs) -> Result<PathBuf, String> {
    let bwrap = sandbox::bwrap()?;
    sandbox::probe(
        &bwrap,
        &layout.base,
        &install_dir(bins),
        &bins.tool("postgres"),
        |program| run_as.command(program, &layout.base),
    )?;
    Ok(bwrap)
}

/// The installation the binaries belong to (`/usr/lib/postgresql/15` for its `bin`).
fn install_dir(bins: &PgBinaries) -> PathBuf {
    bins.bin_dir
        .parent()
        .map_or_else(|| bins.bin_dir.clone(), Path::to_path_buf)
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<Output, ClusterError> {
    cmd.output()
        .map_err(|e| ClusterError::io(format!("running {what}"), e))
}

fn output_text(out: &Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if text.is_empty() {
        text = stdout.trim().to_string();
    }
    if text.is_empty() {
        text = format!("exited with {}", out.status);
    }
    text
}

/// The last `lines` lines of a log file.
fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
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

/// Where statements run: the embedded cluster or a server the user named.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per run
pub enum Server {
    Embedded(Cluster),
    Url(String),
}

impl Server {
    /// Client configuration for `dbname` as the administrative user (the cluster's superuser,
    /// or the URL's user). URL servers: missing host/user/password fall back to libpq's
    /// environment variables and defaults.
    ///
    /// Its startup options fix `search_path = pg_catalog, pg_temp` (a document's
    /// `ALTER DATABASE … SET search_path` or `ALTER ROLE … SET` cannot reach pgspec's own
    /// queries: startup options win over database and role settings) and bound its time
    /// ([`admin_options`]). Never run the document's code on it.
    pub fn config(&self, dbname: &str) -> Result<postgres::Config, ClusterError> {
        let config = match self {
            Server::Embedded(cluster) => cluster.config(dbname),
            Server::Url(url) => {
                let mut config = url_config(url, dbname)?;
                let options = admin_options(url_check_interval(url));
                append_options(&mut config, &options);
                config
            }
        };
        orphans::remember_server(&config);
        Ok(config)
    }

    /// End the backends that pgspec processes of this PID namespace left behind when they
    /// died (see [`orphans`](super::orphans)); how many. Best effort.
    pub fn terminate_orphans(&self) -> usize {
        match self.admin_client(&self.maintenance_dbname()) {
            Ok(mut admin) => orphans::terminate_orphans(&mut admin),
            Err(_) => 0,
        }
    }

    /// Client configuration for `dbname` for the document's code: the same server and
    /// credentials as [`Server::config`] (set another `user` and drop the password for the
    /// document's role), with time bounds but without pgspec's search_path, which documents
    /// do not expect ([`app_options`]).
    pub fn app_config(&self, dbname: &str) -> Result<postgres::Config, ClusterError> {
        match self {
            Server::Embedded(cluster) => Ok(cluster.app_config(dbname)),
            Server::Url(url) => {
                let mut config = url_config(url, dbname)?;
                let options = app_options(url_check_interval(url));
                append_options(&mut config, &options);
                Ok(config)
            }
        }
    }

    /// A connection to `dbname` as the administrative user.
    pub fn admin_client(&self, dbname: &str) -> Result<postgres::Client, ClusterError> {
        self.config(dbname)?
            .connect(postgres::NoTls)
            .map_err(|e| ClusterError::Connect {
                target: self.describe(dbname),
                message: error_text(&e),
            })
    }

    /// The database to connect to for CREATE/DROP DATABASE: `postgres` on the embedded
    /// cluster, else the URL's database (or `postgres` if it names none).
    pub fn maintenance_dbname(&self) -> String {
        match self {
            Server::Embedded(_) => "postgres".to_string(),
            Server::Url(url) => postgres::Config::from_str(url)
                .ok()
                .and_then(|c| c.get_dbname().map(str::to_string))
                .unwrap_or_else(|| "postgres".to_string()),
        }
    }

    /// Whether this is pgspec's own cluster.
    pub fn is_embedded(&self) -> bool {
        matches!(self, Server::Embedded(_))
    }

    /// A URL for `dbname` on this server, without the password (for messages and psql).
    pub fn url(&self, dbname: &str) -> String {
        match self {
            Server::Embedded(cluster) => cluster.url(dbname),
            Server::Url(url) => redact_url(&replace_url_dbname(url, dbname)),
        }
    }

    /// Where a connection to `dbname` goes, for error messages (no password).
    pub fn describe(&self, dbname: &str) -> String {
        self.url(dbname)
    }
}

/// The client configuration a URL describes, for `dbname`, with libpq's fallbacks for
/// what it leaves out, `application_name` `pgspec/<pid>` and a connect timeout.
fn url_config(url: &str, dbname: &str) -> Result<postgres::Config, ClusterError> {
    let mut config = postgres::Config::from_str(url).map_err(|e| ClusterError::Connect {
        target: redact_url(url),
        message: format!("invalid connection string: {}", error_text(&e)),
    })?;
    if config.get_hosts().is_empty() {
        match std::env::var("PGHOST").ok().filter(|h| !h.is_empty()) {
            Some(h) if h.starts_with('/') => {
                config.host_path(h);
            }
            Some(h) => {
                config.host(&h);
            }
            None if Path::new("/var/run/postgresql").is_dir() => {
                config.host_path("/var/run/postgresql");
            }
            None => {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(port) = std::env::var("PGPORT").ok().and_then(|p| p.parse().ok()) {
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        let user = ["PGUSER", "USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| SUPERUSER.to_string());
        config.user(&user);
    }
    if config.get_password().is_none() {
        if let Ok(password) = std::env::var("PGPASSWORD") {
            config.password(password);
        }
    }
    // pgspec's connections name the process, so a later run can find the backends a killed
    // run left behind (see `terminate_orphans`).
    config.application_name(&application_name());
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.dbname(dbname);
    Ok(config)
}

/// Whether the server at `url` knows `client_connection_check_interval` (PostgreSQL 14+);
/// asked once per process and URL. An unknown setting in the startup options would make
/// every connection fail, so servers that cannot be asked are assumed to be recent.
fn url_check_interval(url: &str) -> bool {
    static KNOWN: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, supported)) = known.iter().find(|(u, _)| u == url) {
        return *supported;
    }
    let supported = url_config(url, &Server::Url(url.to_string()).maintenance_dbname())
        .ok()
        .and_then(|config| config.connect(postgres::NoTls).ok())
        .and_then(|mut client| {
            client
                .simple_query("SHOW server_version_num")
                .ok()?
                .into_iter()
                .find_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => {
                        row.get(0).and_then(|v| v.parse::<u32>().ok())
                    }
                    _ => None,
                })
        })
        .is_none_or(|version| version >= 140_000);
    known.push((url.to_string(), supported));
    supported
}

/// Startup options of pgspec's administrative connections: `search_path` fixed to
/// `pg_catalog, pg_temp`, statement and lock timeouts, and (PostgreSQL 14+) a periodic check
/// that the client is still there, so a backend whose pgspec died stops.
pub fn admin_options(check_interval: bool) -> String {
    let limits = limits::get();
    let mut options = String::from("-c search_path=pg_catalog,pg_temp");
    options.push_str(&bound_options(
        limits.admin_statement_timeout(),
        limits,
        check_interval,
    ));
    options
}

/// Startup options of the connections that run the document's code: the time bounds of
/// [`admin_options`], the document's own search_path.
pub fn app_options(check_interval: bool) -> String {
    let limits = limits::get();
    bound_options(limits.statement_timeout, limits, check_interval)
        .trim_start()
        .to_string()
}

fn bound_options(statement_timeout: Duration, limits: Limits, check_interval: bool) -> String {
    // Writable whatever a document set for its database or role (`ALTER ROLE current_user
    // SET default_transaction_read_only = on` from dynamic SQL would stop every later run).
    let mut options = format!(
        " -c statement_timeout={} -c lock_timeout={} -c default_transaction_read_only=off",
        statement_timeout.as_millis(),
        limits.lock_timeout.as_millis()
    );
    if check_interval {
        options.push_str(&format!(
            " -c client_connection_check_interval={}",
            CLIENT_CHECK_INTERVAL.as_millis()
        ));
    }
    options
}

/// Add `options` after those `config` already has (later `-c` settings win).
fn append_options(config: &mut postgres::Config, options: &str) {
    let all = match config.get_options().filter(|o| !o.trim().is_empty()) {
        Some(existing) => format!("{existing} {options}"),
        None => options.to_string(),
    };
    config.options(&all);
}

/// `url` with `dbname` as its database (URL or key=value form).
pub(crate) fn replace_url_dbname(url: &str, dbname: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!(
            "{url} dbname='{}'",
            dbname.replace('\\', "\\\\").replace('\'', "\\'")
        );
    };
    let rest_start = scheme_end + 3;
    let rest = &url[rest_start..];
    let query_at = rest.find('?').unwrap_or(rest.len());
    let path_at = rest[..query_at].find('/').unwrap_or(query_at);
    format!(
        "{}{}/{}{}",
        &url[..rest_start],
        &rest[..path_at],
        percent_encode(dbname),
        &rest[query_at..]
    )
}

/// `url` with any password replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest_start = scheme_end + 3;
        let rest = &url[rest_start..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            if let Some(colon) = rest[..at].find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..rest_start],
                    &rest[..colon],
                    &rest[at..]
                );
            }
        }
        return url.to_string();
    }
    // key=value form: hide password=...
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postgres_version_output() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
            Some("15.18")
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta1\n").as_deref(),
            Some("17beta1")
        );
        let bins = PgBinaries {
            bin_dir: PathBuf::new(),
            version: "17beta1".into(),
        };
        assert_eq!(bins.major(), "17");
    }

    #[test]
    fn url_round_trips_through_postgres_config() {
        let bins = PgBinaries {
            bin_dir: PathBuf::from("/nonexistent"),
            version: "15.18".into(),
        };
        let layout = Layout::new(Path::new("/tmp/pgspec-0"), &bins).expect("layout");
        let cluster = Cluster::new(layout, &bins, RunAs::Current, false);
        let url = cluster.url("pgspec_check_1");
        assert_eq!(
            url,
            "postgresql://postgres@/pgspec_check_1?host=%2Ftmp%2Fpgspec-0%2Fpg15%2Frun&port=5432"
        );
        let config = postgres::Config::from_str(&url).expect("parses");
        assert_eq!(config.get_user(), Some("postgres"));
        assert_eq!(config.get_dbname(), Some("pgspec_check_1"));
        assert_eq!(config.get_ports(), &[5432]);
        assert_eq!(
            config.get_hosts(),
            &[postgres::config::Host::Unix(PathBuf::from(
                "/tmp/pgspec-0/pg15/run"
            ))]
        );
    }

    #[test]
    fn rejects_long_or_odd_roots() {
        let bins = PgBinaries {
            bin_dir: PathBuf::new(),
            version: "15.1".into(),
        };
        assert!(Layout::new(&PathBuf::from(format!("/tmp/{}", "x".repeat(100))), &bins).is_err());
        assert!(Layout::new(Path::new("/tmp/a b"), &bins).is_err());
        assert!(Layout::new(Path::new("/tmp/pgspec-1000"), &bins).is_ok());
    }

    #[test]
    fn privileged_connections_pin_search_path_after_the_urls_own_options() {
        let server = Server::Url(
            "postgresql://u@/app?host=/nonexistent&options=-c%20work_mem%3D8MB".to_string(),
        );
        let admin = server.config("scratch").expect("config");
        let options = admin.get_options().expect("options");
        assert!(
            options.starts_with(
                "-c work_mem=8MB -c search_path=pg_catalog,pg_temp -c statement_timeout="
            ),
            "{options}"
        );
        assert!(options.contains(" -c lock_timeout="), "{options}");
        assert_eq!(admin.get_dbname(), Some("scratch"));
        assert_eq!(
            admin.get_application_name(),
            Some(application_name().as_str())
        );
        let app = server.app_config("scratch").expect("config");
        let options = app.get_options().expect("options");
        assert!(
            options.starts_with("-c work_mem=8MB -c statement_timeout="),
            "{options}"
        );
        assert!(!options.contains("search_path"), "{options}");
    }

    #[test]
    fn rewrites_and_redacts_urls() {
        assert_eq!(
            replace_url_dbname(
                "postgresql://u:secret@h:5433/app?sslmode=disable",
                "scratch"
            ),
            "postgresql://u:secret@h:5433/scratch?sslmode=disable"
        );
        assert_eq!(replace_url_dbname("postgres://h", "s"), "postgres://h/s");
        assert_eq!(
            redact_url("postgresql://u:secret@h/app"),
            "postgresql://u:***@h/app"
        );
        assert_eq!(redact_url("postgresql://u@h/app"), "postgresql://u@h/app");
        assert_eq!(
            redact_url("host=h password=x user=u"),
            "host=h password=*** user=u"
        );
    }
}
