//! Hostile documents: each document in `tests/hostile/` hides one attack; every case runs it
//! through `check`, `up`, `seed`, `verify`, `down` and `sql | psql` with the real binary, each
//! command bounded in time, and asserts what README's "Security model" promises:
//!
//! - no file appears outside the cluster directory (a canary path per case, on the server
//!   and on the client);
//! - no role, membership, role or database setting, database or server setting that existed
//!   before the case changed, no superuser appeared, and nothing pgspec made is left behind
//!   (checked exactly on a case's own cluster);
//! - no document object in a database `up` made is owned by a superuser;
//! - no backend is left running document code;
//! - the cluster still works (a benign document's `check` exits 0);
//! - `check --format json` reports the attack at the line that carries its `-- attack` marker
//!   (`PG006`, or a statement that did not apply).
//!
//! Cases that only try to reach the server's OS share one private cluster; cases that attack
//! roles, databases or settings get a cluster of their own, so that an escape on a branch
//! without the defences cannot make the other cases fail. `--db` cases run against a second
//! cluster that holds a user's database with rows, roles with passwords and settings.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pgspec::postgres::{Cluster, PgBinaries};

mod case;
mod cases;
mod snapshot;

use case::*;
use cases::*;
use snapshot::*;

/// Wall-clock bound for one pgspec command (a statement that loops must be cut short well
/// before this).
const BOUND: Duration = Duration::from_secs(60);
/// How long a backend may keep running document code after the commands returned.
const BACKEND_GRACE: Duration = Duration::from_secs(10);

fn binaries() -> PgBinaries {
    PgBinaries::locate(None)
        .unwrap_or_else(|e| panic!("PostgreSQL server binaries are required for these tests: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Clusters and the user's objects on them
// ---------------------------------------------------------------------------------------------

/// The user's things every cluster holds before a case runs: a database with rows owned by a
/// non-superuser that may create databases, roles with passwords, a membership, settings.
const USER_SETUP: &[&str] = &[
    "CREATE ROLE app_owner LOGIN CREATEDB PASSWORD 'owner-secret-1'",
    "CREATE ROLE app_user LOGIN PASSWORD 'user-secret-2'",
    "CREATE ROLE app_readers NOLOGIN",
    "GRANT app_readers TO app_user",
    "ALTER ROLE app_owner SET work_mem = '8MB'",
    "ALTER ROLE app_user SET search_path = app, public",
    "CREATE DATABASE userdb OWNER app_owner",
    "ALTER DATABASE userdb SET timezone = 'UTC'",
    "ALTER ROLE app_user IN DATABASE userdb SET statement_timeout = '5s'",
];

const USER_ROWS: &[&str] = &[
    "SET ROLE app_owner",
    "CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL)",
    "INSERT INTO public.customers VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Edsger')",
];

/// A running cluster for cases, with its user objects and the snapshot taken once it was
/// ready (after a benign `check`, so pgspec's own standing roles are part of it).
struct Env {
    cluster: Cluster,
    baseline: Snapshot,
    /// Only this case uses the cluster: compare exactly, nothing may be left behind.
    exclusive: bool,
}

impl Env {
    /// A cluster pgspec runs on as its private cluster (`warm`: a benign `check` ran before the
    /// baseline) or as the user's server for `--db` (not warm: pgspec has never been there).
    fn start(exclusive: bool, warm: bool) -> Env {
        let cluster = Cluster::temporary(&binaries())
            .unwrap_or_else(|e| panic!("cannot start a temporary cluster: {e}"));
        {
            let mut su = admin(&cluster, "postgres");
            for sql in USER_SETUP {
                su.batch_execute(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            let mut db = admin(&cluster, "userdb");
            for sql in USER_ROWS {
                db.batch_execute(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
        if warm {
            Env::warm_up(&cluster);
        }
        let baseline = Snapshot::take(&cluster);
        Env {
            cluster,
            baseline,
            exclusive,
        }
    }

    /// A benign `check` on the cluster (pgspec sets up what it keeps there, e.g. its apply role).
    fn warm_up(cluster: &Cluster) {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = dir.path().join("warmup.md");
        std::fs::write(&doc, fixture("benign")).expect("write");
        let root = cluster.root.display().to_string();
        let warm = run_bounded(
            &["check", "--cluster-dir", &root, &doc.display().to_string()],
            None,
            BOUND,
        )
        .unwrap_or_else(|e| panic!("warm-up check: {e}"));
        assert_eq!(warm.code, Some(0), "warm-up check: {}", warm.stderr);
    }

    fn root(&self) -> String {
        self.cluster.root.display().to_string()
    }

    /// The superuser URL for `--db`.
    fn superuser_url(&self, db: &str) -> String {
        self.cluster.url(db)
    }

    /// The URL of `app_owner`, who owns `userdb` and may create databases (not a superuser).
    fn owner_url(&self, db: &str) -> String {
        let url = self.cluster.url(db);
        url.replacen("postgres@", "app_owner@", 1)
    }
}

/// The private cluster shared by the cases that only try to reach the server's OS.
fn shared_env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env::start(false, true))
}

enum EnvRef {
    Shared(&'static Env),
    Own(Box<Env>),
}

impl std::ops::Deref for EnvRef {
    type Target = Env;
    fn deref(&self) -> &Env {
        match self {
            EnvRef::Shared(e) => e,
            EnvRef::Own(e) => e,
        }
    }
}

/// A superuser connection immune to anything a document sets (search_path, read-only
/// defaults, timeouts).
fn try_admin(cluster: &Cluster, db: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config = cluster.config(db);
    config.options(
        "-c search_path=pg_catalog,pg_temp -c default_transaction_read_only=off \
         -c statement_timeout=20s -c lock_timeout=10s",
    );
    config.connect(postgres::NoTls)
}

/// A client error with the server's message (`postgres::Error` alone says only "db error").
fn pg_error(e: &postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_string())
}

fn admin(cluster: &Cluster, db: &str) -> postgres::Client {
    try_admin(cluster, db)
        .unwrap_or_else(|e| panic!("connect to {db} as the superuser: {}", pg_error(&e)))
}

/// Rows of a simple query as text.
fn text_rows(client: &mut postgres::Client, sql: &str) -> Vec<Vec<String>> {
    client
        .simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).unwrap_or("").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

// ---------------------------------------------------------------------------------------------
// Running the binary with a bound
// ---------------------------------------------------------------------------------------------

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.stdout).ok()
    }
}

/// Run `program args` with `stdin`, killing it (and failing) after `bound`.
fn run_program(
    program: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    bound: Duration,
    cwd: Option<&Path>,
) -> Result<Run, String> {
    let shown = format!(
        "`{} {}`",
        program.file_name().unwrap_or_default().to_string_lossy(),
        args.join(" ")
    );
    let mut command = Command::new(program);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let mut child = command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PGOPTIONS")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown}: cannot start: {e}"))?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("{shown}: {e}"))? {
            break status;
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{shown} did not finish within {}s (killed)",
                bound.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok(Run {
        code: status.code(),
        stdout,
        stderr,
    })
}

/// The pgspec binary under test: this build's, or `$PGSPEC_HOSTILE_BIN` (to run the suite
/// against another build).
fn pgspec_binary() -> PathBuf {
    std::env::var_os("PGSPEC_HOSTILE_BIN")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_pgspec")),
            PathBuf::from,
        )
}

fn run_bounded(args: &[&str], stdin: Option<&[u8]>, bound: Duration) -> Result<Run, String> {
    run_program(&pgspec_binary(), args, stdin, bound, None)
}

// ---------------------------------------------------------------------------------------------
// Fixtures and markers
// ---------------------------------------------------------------------------------------------

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(format!("{name}.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An attack marker: the document line of a statement `check` must not apply, and whether it
/// must be the `PG006` refusal itself.
#[derive(Debug, Clone, Copy)]
struct Marker {
    line: u64,
    pg006: bool,
}

fn markers(text: &str) -> Vec<Marker> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let at = line.find("-- attack")?;
            let rest = &line[at + "-- attack".len()..];
            Some(Marker {
                line: i as u64 + 1,
                pg006: rest.starts_with(":PG006"),
            })
        })
        .collect()
}

/// What `check --format json` must say at each marker.
fn marker_failures(json: &serde_json::Value, markers: &[Marker]) -> Vec<String> {
    let doc = &json["documents"][0];
    let empty = Vec::new();
    let diagnostics = doc["diagnostics"].as_array().unwrap_or(&empty);
    let statements = doc["statements"].as_array().unwrap_or(&empty);
    let mut out = Vec::new();
    for m in markers {
        let at_line: Vec<&serde_json::Value> = diagnostics
            .iter()
            .filter(|d| d["line"].as_u64() == Some(m.line))
            .collect();
        let codes: Vec<&str> = at_line.iter().filter_map(|d| d["code"].as_str()).collect();
        let status = statements
            .iter()
            .find(|s| s["line"].as_u64() == Some(m.line))
            .and_then(|s| s["status"].as_str())
            .unwrap_or("no statement");
        if m.pg006 {
            // Refused (status `skipped`), or a CREATE ROLE run without its superuser-only
            // attributes: either way PG006 at the statement's line.
            if !codes.contains(&"PG006") {
                out.push(format!(
                    "line {}: expected PG006 at the statement, got status {status}, codes {codes:?}",
                    m.line
                ));
            }
        } else {
            // A dynamic statement fails where its body failed (the diagnostic may point into
            // the body); a cascade is reported under its root; an operation is never run.
            let refused = codes.contains(&"PG006");
            let not_applied = matches!(status, "failed" | "skipped" | "cascade");
            let not_run = status == "not-applied-kind";
            if !(refused || not_applied || not_run) {
                out.push(format!(
                    "line {}: expected a refusal or a failure, got status {status}, codes {codes:?}",
                    m.line
                ));
            }
        }
    }
    out
}
