//! Which server a command uses: the private cluster, or one the user names by URL; the
//! connection settings and session options pgspec uses on either.

use super::*;

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
    /// died (see [`orphans`](crate::orphans)); how many. Best effort.
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
pub(super) fn url_config(url: &str, dbname: &str) -> Result<postgres::Config, ClusterError> {
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
pub(super) fn url_check_interval(url: &str) -> bool {
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
    // No JIT for pgspec's own catalog queries: their row estimates are wild (recursive
    // CTEs), which crosses `jit_above_cost` and spends ~0.4 s compiling a query that reads a
    // few hundred catalog rows.
    options.push_str(" -c jit=off");
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

pub(super) fn bound_options(
    statement_timeout: Duration,
    limits: Limits,
    check_interval: bool,
) -> String {
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
pub(super) fn append_options(config: &mut postgres::Config, options: &str) {
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
