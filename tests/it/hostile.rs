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
// Snapshots
// ---------------------------------------------------------------------------------------------

/// What a document must not change outside its own database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    /// oid → `name attributes password`.
    roles: BTreeMap<String, (String, String)>,
    superusers: BTreeSet<String>,
    /// (granted role, member, admin option).
    members: BTreeSet<(String, String, String)>,
    /// (database or "", role or "", settings).
    settings: BTreeSet<(String, String, String)>,
    /// name → `owner, allowconn, connlimit, istemplate`.
    databases: BTreeMap<String, String>,
    /// postgresql.auto.conf as the server reads it.
    file_settings: BTreeSet<String>,
    /// The rows of the user's database (or why they cannot be read).
    user_rows: String,
}

impl Snapshot {
    fn take(cluster: &Cluster) -> Snapshot {
        let mut c = admin(cluster, "postgres");
        let roles = text_rows(
            &mut c,
            "SELECT oid::text, rolname, concat_ws(',', rolsuper, rolinherit, rolcreaterole, \
             rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, \
             coalesce(rolpassword, '-'), coalesce(rolvaliduntil::text, '-')) \
             FROM pg_catalog.pg_authid",
        )
        .into_iter()
        .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
        .collect();
        let superusers = text_rows(
            &mut c,
            "SELECT rolname FROM pg_catalog.pg_authid WHERE rolsuper",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        let members = text_rows(
            &mut c,
            "SELECT r.rolname, m.rolname, a.admin_option::text FROM pg_catalog.pg_auth_members a \
             JOIN pg_catalog.pg_authid r ON r.oid = a.roleid \
             JOIN pg_catalog.pg_authid m ON m.oid = a.member",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
        let settings = text_rows(
            &mut c,
            "SELECT coalesce(d.datname, ''), coalesce(r.rolname, ''), s.setconfig::text \
             FROM pg_catalog.pg_db_role_setting s \
             LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase \
             LEFT JOIN pg_catalog.pg_authid r ON r.oid = s.setrole",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
        let databases = text_rows(
            &mut c,
            // Spare databases pgspec makes for the next run (its own: the superuser's and closed
            // to connections, so no document reaches them) come and go between snapshots, and so
            // does the template they are copied from (never open while PUBLIC may connect).
            "SELECT datname, concat_ws(',', pg_catalog.pg_get_userbyid(datdba), datallowconn, \
             datconnlimit, datistemplate) FROM pg_catalog.pg_database \
             WHERE NOT ((datname LIKE 'pgspec\\_spare\\_%' AND NOT datallowconn \
             OR datname = 'pgspec_template' \
             AND NOT (datallowconn AND pg_catalog.has_database_privilege('public', oid, 'CONNECT'))) \
             AND datdba = 'postgres'::regrole)",
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
        let file_settings = text_rows(
            &mut c,
            "SELECT concat_ws('=', name, setting) FROM pg_catalog.pg_file_settings \
             WHERE sourcefile LIKE '%postgresql.auto.conf'",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
        let user_rows = match cluster.config("userdb").connect(postgres::NoTls) {
            Ok(mut db) => match db.simple_query(
                "SELECT coalesce(pg_catalog.string_agg(id::text || ':' || name, ',' ORDER BY id), '') \
                 FROM public.customers",
            ) {
                Ok(msgs) => msgs
                    .into_iter()
                    .find_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                        _ => None,
                    })
                    .unwrap_or_default(),
                Err(e) => format!("unreadable: {}", pg_error(&e)),
            },
            Err(e) => format!("cannot connect: {}", pg_error(&e)),
        };
        Snapshot {
            roles,
            superusers,
            members,
            settings,
            databases,
            file_settings,
            user_rows,
        }
    }

    /// What changed from `self` (the baseline) to `now`. Only what existed in the baseline is
    /// compared, unless `exact` (then anything new that is left behind counts too).
    fn changes(&self, now: &Snapshot, exact: bool) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&str> = self.roles.values().map(|(n, _)| n.as_str()).collect();
        for (oid, (name, attrs)) in &self.roles {
            match now.roles.get(oid) {
                None => out.push(format!("role {name} was dropped")),
                Some((n, _)) if n != name => out.push(format!("role {name} was renamed to {n}")),
                Some((_, a)) if a != attrs => {
                    out.push(format!("role {name} changed: {attrs} -> {a}"))
                }
                Some(_) => {}
            }
        }
        if now.superusers != self.superusers {
            out.push(format!(
                "superusers changed: {:?} -> {:?}",
                self.superusers, now.superusers
            ));
        }
        let keep = |m: &&(String, String, String)| exact || names.contains(m.0.as_str());
        let before: BTreeSet<_> = self.members.iter().filter(keep).collect();
        let after: BTreeSet<_> = now.members.iter().filter(keep).collect();
        for m in after.difference(&before) {
            out.push(format!(
                "membership added: {} granted to {} (admin {})",
                m.0, m.1, m.2
            ));
        }
        for m in before.difference(&after) {
            out.push(format!("membership removed: {} from {}", m.0, m.1));
        }
        let keep = |s: &&(String, String, String)| {
            exact
                || ((s.0.is_empty() || self.databases.contains_key(&s.0))
                    && (s.1.is_empty() || names.contains(s.1.as_str())))
        };
        let before: BTreeSet<_> = self.settings.iter().filter(keep).collect();
        let after: BTreeSet<_> = now.settings.iter().filter(keep).collect();
        for s in after.difference(&before) {
            out.push(format!(
                "setting added: database {:?} role {:?}: {}",
                s.0, s.1, s.2
            ));
        }
        for s in before.difference(&after) {
            out.push(format!(
                "setting removed: database {:?} role {:?}: {}",
                s.0, s.1, s.2
            ));
        }
        for (db, row) in &self.databases {
            match now.databases.get(db) {
                None => out.push(format!("database {db} was dropped or renamed")),
                Some(r) if r != row => out.push(format!("database {db} changed: {row} -> {r}")),
                Some(_) => {}
            }
        }
        if exact {
            for (oid, (name, _)) in &now.roles {
                if !self.roles.contains_key(oid) {
                    out.push(format!("role {name} was left behind"));
                }
            }
            for db in now.databases.keys() {
                if !self.databases.contains_key(db) {
                    out.push(format!("database {db} was left behind"));
                }
            }
        }
        if now.file_settings != self.file_settings {
            out.push(format!(
                "server configuration (postgresql.auto.conf) changed: {:?} -> {:?}",
                self.file_settings, now.file_settings
            ));
        }
        if now.user_rows != self.user_rows {
            out.push(format!(
                "the user's rows in userdb changed: {:?} -> {:?}",
                self.user_rows, now.user_rows
            ));
        }
        out
    }
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

// ---------------------------------------------------------------------------------------------
// A case
// ---------------------------------------------------------------------------------------------

/// Failures found so far (every check runs; the case panics once with all of them).
type Failures = Vec<String>;

struct Case {
    name: String,
    canary: PathBuf,
    dir: tempfile::TempDir,
    env: EnvRef,
    /// A second cluster for `--db` runs (the user's server), if the case uses one.
    user: Option<Box<Env>>,
    /// `--statement-timeout` of every pgspec run (None: pgspec's default).
    statement_timeout: Option<String>,
    failures: Failures,
}

impl Case {
    /// A case on the shared private cluster.
    fn shared(name: &str) -> Case {
        Case::new(name, EnvRef::Shared(shared_env()))
    }

    /// A case on a private cluster of its own.
    fn isolated(name: &str) -> Case {
        Case::new(name, EnvRef::Own(Box::new(Env::start(true, true))))
    }

    fn new(name: &str, env: EnvRef) -> Case {
        // Short, so that a name the document builds from it (and PostgreSQL truncates to 63
        // bytes, or pgspec extends into partition names) still starts with it.
        let canary = PathBuf::from(format!(
            "/tmp/{}-{}",
            canary_prefix(name),
            std::process::id()
        ));
        for stale in canaries(name) {
            let _ = std::fs::remove_file(stale);
        }
        Case {
            name: name.to_string(),
            canary,
            dir: tempfile::tempdir().expect("tempdir"),
            env,
            user: None,
            statement_timeout: None,
            failures: Vec::new(),
        }
    }

    /// Start the second cluster (the user's server for `--db`).
    fn with_user_server(mut self) -> Case {
        self.user = Some(Box::new(Env::start(true, false)));
        self
    }

    /// Bound each statement of the document to `seconds` in every run: a case whose document
    /// loops proves the same bound holds, without waiting out the default one in each command.
    fn with_statement_timeout(mut self, seconds: u32) -> Case {
        self.statement_timeout = Some(seconds.to_string());
        self
    }

    fn user_env(&self) -> &Env {
        self.user.as_deref().expect("with_user_server")
    }

    /// The fixture with its placeholders filled in, written as `file` in a directory of its
    /// own (two documents may share a file name).
    fn doc_as(&self, fixture_name: &str, file: &str, extra: &[(&str, &str)]) -> (PathBuf, String) {
        let mut text = fixture(fixture_name)
            .replace("{{CANARY}}", &self.canary.display().to_string())
            .replace(
                "{{SOCKET}}",
                &self.env.cluster.socket_dir.display().to_string(),
            );
        for (k, v) in extra {
            text = text.replace(k, v);
        }
        let sub = tempfile::tempdir_in(self.dir.path())
            .expect("tempdir")
            .keep();
        let path = sub.join(file);
        std::fs::write(&path, &text).expect("write document");
        (path, text)
    }

    fn doc(&self, fixture_name: &str) -> (PathBuf, String) {
        self.doc_as(fixture_name, &format!("{fixture_name}.md"), &[])
    }

    /// Run pgspec on the case's private cluster (or with `--db` when `args` has it).
    fn pgspec(&self, f: &mut Failures, args: &[&str]) -> Option<Run> {
        let root = self.env.root();
        let mut all: Vec<&str> = args.to_vec();
        if !args.contains(&"--db") {
            all.extend(["--cluster-dir", &root]);
        }
        if let Some(seconds) = &self.statement_timeout {
            all.extend(["--statement-timeout", seconds]);
        }
        match run_bounded(&all, None, BOUND) {
            Ok(run) => {
                if run.code.is_none() {
                    f.push(format!(
                        "`pgspec {}` died from a signal: {}",
                        args.join(" "),
                        run.stderr
                    ));
                }
                Some(run)
            }
            Err(e) => {
                f.push(e);
                None
            }
        }
    }

    /// `check --format json`: finishes, and reports every marker at its line.
    fn check(
        &self,
        f: &mut Failures,
        doc: &Path,
        text: &str,
        db: Option<&str>,
    ) -> Option<serde_json::Value> {
        let doc = doc.display().to_string();
        let mut args = vec!["check", "--format", "json"];
        if let Some(url) = db {
            args.extend(["--db", url]);
        }
        args.push(&doc);
        let run = self.pgspec(f, &args)?;
        // With a URL whose user pgspec will not run a document as (it owns the user's database
        // and may not create a role for the run), refusing with the reason is the promise.
        if db.is_some()
            && run.code == Some(2)
            && run
                .stderr
                .contains("pgspec runs a document's SQL only as a role of its own")
        {
            return None;
        }
        let Some(json) = run.json() else {
            f.push(format!(
                "check printed no JSON (exit {:?}): {}",
                run.code, run.stderr
            ));
            return None;
        };
        for m in marker_failures(&json, &markers(text)) {
            f.push(format!("check: {m}"));
        }
        Some(json)
    }

    /// `up`, `seed --rows 20`, `verify`, `down` on the private cluster; returns the database
    /// `up` reported.
    fn lifecycle(&self, f: &mut Failures, doc: &Path) -> Option<String> {
        let doc = doc.display().to_string();
        let up = self.pgspec(f, &["up", "--recreate", "--format", "json", &doc])?;
        let database = up
            .json()
            .and_then(|j| j["database"].as_str().map(str::to_string));
        if let Some(db) = &database {
            f.extend(superuser_objects(&self.env.cluster, db));
        }
        self.pgspec(f, &["seed", "--rows", "20", &doc]);
        self.pgspec(f, &["verify", "--format", "json", &doc]);
        self.pgspec(f, &["down", &doc]);
        if let Some(db) = &database {
            if database_exists(&self.env.cluster, db) {
                f.push(format!("down left the database {db}"));
            }
        }
        database
    }

    /// `pgspec sql DOC | psql -v ON_ERROR_STOP=1` into a throwaway database.
    fn sql_into_psql(&self, f: &mut Failures, doc: &Path) {
        let doc = doc.display().to_string();
        let Some(sql) = self.pgspec(f, &["sql", &doc]) else {
            return;
        };
        let throwaway = format!("hostile_psql_{}_{}", self.name, std::process::id());
        let created = try_admin(&self.env.cluster, "postgres").and_then(|mut c| {
            c.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&throwaway)))
                .map(|()| c)
        });
        let mut c = match created {
            Ok(c) => c,
            Err(e) => {
                f.push(format!(
                    "cannot create a database for psql: {}",
                    pg_error(&e)
                ));
                return;
            }
        };
        let roles_before = role_names(&mut c);
        let psql = binaries().tool("psql");
        let url = self.env.cluster.url(&throwaway);
        // psql runs in an empty directory: a `\! touch a b c` that escaped leaves files there.
        let cwd = tempfile::tempdir_in(self.dir.path()).expect("tempdir");
        if let Err(e) = run_program(
            &psql,
            &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url],
            Some(&sql.stdout),
            BOUND,
            Some(cwd.path()),
        ) {
            f.push(format!("psql: {e}"));
        }
        let created: Vec<String> = std::fs::read_dir(cwd.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        if !created.is_empty() {
            f.push(format!(
                "`pgspec sql | psql` ran a shell command: it created {created:?} in psql's directory"
            ));
        }
        let _ = c.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&throwaway)
        ));
        // The roles the script made are the psql user's doing: remove them, after checking
        // that none of them is privileged (the script must only create plain roles).
        for role in role_names(&mut c).difference(&roles_before) {
            let privileged: bool = c
                .query_one(
                    "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls \
                     FROM pg_catalog.pg_roles WHERE rolname = $1",
                    &[role],
                )
                .map(|r| r.get(0))
                .unwrap_or(false);
            if privileged {
                f.push(format!(
                    "`pgspec sql | psql` created the privileged role {role}"
                ));
            }
            let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(role)));
        }
    }

    /// Everything every case runs on one document: `check` (markers) and `sql | psql` alongside
    /// `up`, `seed`, `verify`, `down`.
    fn pipeline(&mut self, fixture_name: &str) {
        let (doc, text) = self.doc(fixture_name);
        let this = &*self;
        let found = std::thread::scope(|s| {
            let check = s.spawn(|| {
                let mut f = Vec::new();
                this.check(&mut f, &doc, &text, None);
                f
            });
            let mut f = Vec::new();
            this.lifecycle(&mut f, &doc);
            f.extend(check.join().expect("check thread"));
            // After the lifecycle: the script creates the document's roles (as the user who
            // runs psql), and those must not be mistaken for roles pgspec left behind.
            this.sql_into_psql(&mut f, &doc);
            f
        });
        self.failures.extend(found);
    }

    /// The checks every case ends with; panics with every failure found.
    fn finish(mut self) {
        let mut f = after_checks(&self, &self.env);
        if let Some(user) = &self.user {
            f.extend(after_checks(&self, user));
        }
        self.failures.extend(f);
        for found in canaries(&self.name) {
            self.failures.push(format!(
                "the canary {} exists: the document ran a command or wrote a file",
                found.display()
            ));
            let _ = std::fs::remove_file(&found);
        }
        if !self.failures.is_empty() {
            panic!(
                "hostile case {} escaped or misbehaved:\n  - {}",
                self.name,
                self.failures.join("\n  - ")
            );
        }
    }
}

/// `pgspec-canary-<8 hex digits of the case name>`.
fn canary_prefix(case: &str) -> String {
    let hash = case.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("pgspec-canary-{hash:08x}")
}

/// Every file in /tmp whose name starts with the case's canary prefix.
fn canaries(case: &str) -> Vec<PathBuf> {
    let prefix = canary_prefix(case);
    std::fs::read_dir("/tmp")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

fn database_exists(cluster: &Cluster, db: &str) -> bool {
    let Ok(mut c) = try_admin(cluster, "postgres") else {
        return false; // the after-checks report a cluster that refuses its superuser
    };
    !text_rows(
        &mut c,
        &format!(
            "SELECT 1 FROM pg_catalog.pg_database WHERE datname = {}",
            quote_literal(db)
        ),
    )
    .is_empty()
}

/// Objects in `db` outside the system schemas and extensions that belong to a superuser
/// (document code that ran as the superuser, or a SECURITY DEFINER function it owns).
fn superuser_objects(cluster: &Cluster, db: &str) -> Failures {
    let Ok(mut c) = cluster.config(db).connect(postgres::NoTls) else {
        return Vec::new();
    };
    let _ = c.batch_execute("SET search_path = pg_catalog, pg_temp");
    let sql = "SELECT o.kind || ' ' || o.name FROM ( \
         SELECT 'relation' AS kind, c.oid::regclass::text AS name, c.relowner AS owner, \
                'pg_class'::regclass AS cls, c.oid, c.relnamespace AS ns FROM pg_catalog.pg_class c \
         UNION ALL SELECT 'function', p.oid::regprocedure::text, p.proowner, 'pg_proc'::regclass, p.oid, p.pronamespace \
                FROM pg_catalog.pg_proc p \
         UNION ALL SELECT 'schema', n.nspname::text, n.nspowner, 'pg_namespace'::regclass, n.oid, n.oid \
                FROM pg_catalog.pg_namespace n \
       ) o \
       JOIN pg_catalog.pg_authid a ON a.oid = o.owner AND a.rolsuper \
       JOIN pg_catalog.pg_namespace n ON n.oid = o.ns \
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public') \
         AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%' \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = o.cls \
                         AND d.objid = o.oid AND d.deptype = 'e') \
         AND NOT (o.kind = 'schema' AND EXISTS (SELECT 1 FROM pg_catalog.pg_extension e \
                         WHERE e.extnamespace = o.oid))";
    match c.simple_query(sql) {
        Ok(msgs) => {
            let owned: Vec<String> = msgs
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .collect();
            if owned.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "after up, document objects in {db} belong to a superuser: {owned:?}"
                )]
            }
        }
        Err(e) => vec![format!("reading owners in {db}: {}", pg_error(&e))],
    }
}

/// No backend still runs the case's document code (found by the canary's name in its query):
/// wait a little, then end them (and fail).
fn backends_left(cluster: &Cluster, tag: &str) -> Failures {
    let mut c = admin(cluster, "postgres");
    let query = format!(
        "SELECT pid::text, left(query, 80) FROM pg_catalog.pg_stat_activity \
         WHERE state = 'active' AND pid <> pg_catalog.pg_backend_pid() \
         AND strpos(query, {}) > 0",
        quote_literal(tag)
    );
    let started = Instant::now();
    loop {
        let rows = text_rows(&mut c, &query);
        if rows.is_empty() {
            return Vec::new();
        }
        if started.elapsed() > BACKEND_GRACE {
            for r in &rows {
                let _ =
                    c.simple_query(&format!("SELECT pg_catalog.pg_terminate_backend({})", r[0]));
            }
            return vec![format!(
                "backends still ran the document's code {}s after pgspec returned: {rows:?}",
                BACKEND_GRACE.as_secs()
            )];
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// On one cluster after a case: no backend left, nothing that existed changed (nothing left
/// behind on a cluster of the case's own), and a benign document still checks cleanly.
fn after_checks(case: &Case, env: &Env) -> Failures {
    let user = !std::ptr::eq(env, &*case.env);
    let which = if user {
        "the user's server"
    } else {
        "the private cluster"
    };
    let tag = case
        .canary
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    if let Err(e) = try_admin(&env.cluster, "postgres") {
        return vec![format!(
            "{which} no longer accepts its superuser (nothing else could be checked): {}",
            pg_error(&e)
        )];
    }
    let mut f = backends_left(&env.cluster, &tag);
    let now = Snapshot::take(&env.cluster);
    for change in env.baseline.changes(&now, env.exclusive) {
        f.push(format!("{which}: {change}"));
    }
    let (benign, _) = case.doc_as("benign", "benign.md", &[]);
    let benign = benign.display().to_string();
    let url = env.superuser_url("postgres");
    let root = env.root();
    let args: Vec<&str> = if user {
        vec!["check", "--db", &url, &benign]
    } else {
        vec!["check", "--cluster-dir", &root, &benign]
    };
    match run_bounded(&args, None, BOUND) {
        Ok(run) if run.code == Some(0) => {}
        Ok(run) => f.push(format!(
            "{which} no longer works: a benign check exits {:?}: {}",
            run.code,
            run.stderr.lines().last().unwrap_or("")
        )),
        Err(e) => f.push(format!("{which} no longer works: {e}")),
    }
    f
}

impl Case {
    /// `check`, `up`, `seed --rows 20`, `verify`, `down` with `--db url`.
    fn lifecycle_db(&self, f: &mut Failures, doc: &Path, text: &str, url: &str) {
        self.check(f, doc, text, Some(url));
        let doc = doc.display().to_string();
        self.pgspec(f, &["up", "--recreate", "--db", url, &doc]);
        self.pgspec(f, &["seed", "--rows", "20", "--db", url, &doc]);
        self.pgspec(f, &["verify", "--db", url, &doc]);
        self.pgspec(f, &["down", "--db", url, &doc]);
    }
}

fn shared_case(name: &str) {
    let mut case = Case::shared(name);
    case.pipeline(name);
    case.finish();
}

/// A shared case whose document loops: every statement bounded to 2 seconds.
fn looping_case(name: &str) {
    let mut case = Case::shared(name).with_statement_timeout(2);
    case.pipeline(name);
    case.finish();
}

fn isolated_case(name: &str) {
    let mut case = Case::isolated(name);
    case.pipeline(name);
    case.finish();
}

// ---------------------------------------------------------------------------------------------
// The eleven escapes of issue 10 ("Why")
// ---------------------------------------------------------------------------------------------

/// `GRANT U&"\0070g_execute_server_program" TO pgspec_apply` then a DO block's
/// `COPY … TO PROGRAM`, from `check` alone.
#[test]
fn escape_01_unicode_grant_then_copy_program() {
    isolated_case("escape_01_unicode_grant_then_copy_program");
}

/// A view named `pg_class` in a schema the database's `search_path` puts first: pgspec's
/// privileged catalog queries must never read it (up, seed, verify).
#[test]
fn escape_02_pg_class_view_database_search_path() {
    shared_case("escape_02_pg_class_view_database_search_path");
}

/// `ALTER ROLE pgspec_apply NOLOGIN`: seed and verify must not fall back to the superuser and
/// fire the document's trigger and functions; nor with `--db` and a superuser URL.
#[test]
fn escape_03_apply_role_nologin_fallback() {
    let name = "escape_03_apply_role_nologin_fallback";
    let mut case = Case::isolated(name).with_user_server();
    case.pipeline(name);
    let (doc, text) = case.doc(name);
    let url = case.user_env().superuser_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// A table name with a line break and `\! touch …`: `pgspec sql DOC | psql` must not run it.
#[test]
fn escape_04_newline_identifier_psql_shell() {
    shared_case("escape_04_newline_identifier_psql_shell");
}

/// One document's `check` must not drop, rename or reconfigure the database `up` made for
/// another document.
#[test]
fn escape_05_shared_owner_drops_other_database() {
    let name = "escape_05_shared_owner_drops_other_database";
    let mut case = Case::isolated(name);
    let mut f = Vec::new();
    let (other, _) = case.doc("escape_05_other_document");
    let other = other.display().to_string();
    let up = case.pgspec(&mut f, &["up", "--recreate", "--format", "json", &other]);
    let other_db = up
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string))
        .expect("up of the other document reports its database");
    case.pgspec(&mut f, &["seed", "--rows", "20", &other]);
    let rows = |case: &Case| {
        case.env
            .cluster
            .config(&other_db)
            .connect(postgres::NoTls)
            .ok()
            .and_then(|mut c| {
                c.query_one("SELECT count(*) FROM public.customers", &[])
                    .ok()
                    .map(|r| r.get::<_, i64>(0))
            })
    };
    let seeded = rows(&case);
    assert_eq!(seeded, Some(20), "the other document is seeded");
    let settings_of = |case: &Case| {
        text_rows(
            &mut admin(&case.env.cluster, "postgres"),
            &format!(
                "SELECT d.datname, d.datallowconn::text, coalesce(s.setconfig::text, '') \
                 FROM pg_catalog.pg_database d LEFT JOIN pg_catalog.pg_db_role_setting s \
                 ON s.setdatabase = d.oid WHERE d.datname = {}",
                quote_literal(&other_db)
            ),
        )
    };
    let before = settings_of(&case);
    let (doc, text) = case.doc_as(name, &format!("{name}.md"), &[("{{OTHER_DB}}", &other_db)]);
    case.check(&mut f, &doc, &text, None);
    case.lifecycle(&mut f, &doc);
    case.sql_into_psql(&mut f, &doc);
    if settings_of(&case) != before {
        f.push(format!(
            "the other document's database changed: {before:?} -> {:?}",
            settings_of(&case)
        ));
    }
    if rows(&case) != seeded {
        f.push(format!(
            "the other document's rows: {seeded:?} -> {:?}",
            rows(&case)
        ));
    }
    case.pgspec(&mut f, &["down", &other]);
    case.failures.extend(f);
    case.finish();
}

/// `check --db` must not change the user's roles (password, LOGIN, settings, `ALTER USER ALL`,
/// memberships, database settings), and its cleanup must not drop a role the document renamed.
#[test]
fn escape_06_db_check_changes_user_roles() {
    let name = "escape_06_db_check_changes_user_roles";
    let mut case = Case::shared(name).with_user_server();
    let (doc, text) = case.doc(name);
    let mut f = Vec::new();
    let superuser = case.user_env().superuser_url("postgres");
    case.check(&mut f, &doc, &text, Some(&superuser));
    let owner = case.user_env().owner_url("postgres");
    case.check(&mut f, &doc, &text, Some(&owner));
    case.failures.extend(f);
    case.finish();
}

/// With a non-superuser owner URL, `check --db` must not drop the user's database.
#[test]
fn escape_07_db_owner_url_drops_user_database() {
    let name = "escape_07_db_owner_url_drops_user_database";
    let mut case = Case::shared(name).with_user_server();
    let (doc, text) = case.doc(name);
    let mut f = Vec::new();
    let owner = case.user_env().owner_url("postgres");
    case.check(&mut f, &doc, &text, Some(&owner));
    let superuser = case.user_env().superuser_url("postgres");
    case.check(&mut f, &doc, &text, Some(&superuser));
    case.failures.extend(f);
    case.finish();
}

/// `seed`, `verify` and `down` with `--db --name userdb` must refuse a database `up` did not
/// make (and leave its rows alone).
#[test]
fn escape_08_db_seed_foreign_database() {
    let name = "escape_08_db_seed_foreign_database";
    let mut case = Case::shared(name).with_user_server();
    let (doc, _) = case.doc(name);
    let doc = doc.display().to_string();
    let mut f = Vec::new();
    for url in [
        case.user_env().superuser_url("postgres"),
        case.user_env().owner_url("postgres"),
    ] {
        for cmd in [
            vec![
                "seed", "--rows", "20", "--db", &url, "--name", "userdb", &doc,
            ],
            vec!["verify", "--db", &url, "--name", "userdb", &doc],
            vec!["down", "--db", &url, "--name", "userdb", &doc],
        ] {
            if let Some(run) = case.pgspec(&mut f, &cmd) {
                if run.code == Some(0) {
                    f.push(format!(
                        "`pgspec {}` on a database up did not make exited 0",
                        cmd[0]
                    ));
                }
            }
        }
    }
    case.failures.extend(f);
    case.finish();
}

/// Two documents named `schema.md` in different folders: `down` of one must not drop the
/// other's database.
#[test]
fn escape_09_same_stem_documents_collide() {
    let mut case = Case::shared("escape_09_same_stem_documents_collide");
    let mut f = Vec::new();
    let (a, _) = case.doc_as("escape_09_same_stem_a", "schema.md", &[]);
    let (b, _) = case.doc_as("escape_09_same_stem_b", "schema.md", &[]);
    let (a, b) = (a.display().to_string(), b.display().to_string());
    let db_a = case
        .pgspec(&mut f, &["up", "--format", "json", &a])
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string))
        .expect("up of A reports its database");
    case.pgspec(&mut f, &["seed", "--rows", "20", &a]);
    let db_b = case
        .pgspec(&mut f, &["up", "--format", "json", &b])
        .and_then(|r| r.json())
        .and_then(|j| j["database"].as_str().map(str::to_string));
    if db_b.as_deref() == Some(db_a.as_str()) {
        f.push(format!("both documents got the database {db_a}"));
    }
    case.pgspec(&mut f, &["seed", "--rows", "20", &b]);
    case.pgspec(&mut f, &["down", &b]);
    let rows = case
        .env
        .cluster
        .config(&db_a)
        .connect(postgres::NoTls)
        .ok()
        .and_then(|mut c| {
            c.query_one("SELECT count(*) FROM public.products", &[])
                .ok()
                .map(|r| r.get::<_, i64>(0))
        });
    if rows != Some(20) {
        f.push(format!(
            "A's database {db_a} after B's up and down: {rows:?} rows (expected 20)"
        ));
    }
    case.pgspec(&mut f, &["down", &a]);
    if database_exists(&case.env.cluster, &db_a) {
        f.push(format!("down of A left {db_a}"));
    }
    case.failures.extend(f);
    case.finish();
}

/// `ALTER ROLE current_user NOLOGIN` and `ALTER ROLE ALL SET default_transaction_read_only`
/// must not brick the cluster (a later check still works; both refused at their lines).
#[test]
fn escape_10_bricked_cluster() {
    isolated_case("escape_10_bricked_cluster");
}

/// A trigger with `SET statement_timeout = 0` that loops and swallows cancels, fired by seed's
/// COPY: seed finishes within its bound and no backend keeps spinning.
#[test]
fn escape_11_trigger_loop_during_seed() {
    looping_case("escape_11_trigger_loop_during_seed");
}

// ---------------------------------------------------------------------------------------------
// Server programs and files, in every position
// ---------------------------------------------------------------------------------------------

#[test]
fn copy_program_statement() {
    shared_case("copy_program_statement");
}

#[test]
fn copy_from_program() {
    shared_case("copy_from_program");
}

#[test]
fn copy_server_file() {
    shared_case("copy_server_file");
}

#[test]
fn copy_in_do_block() {
    shared_case("copy_in_do_block");
}

#[test]
fn copy_in_function_called_later() {
    shared_case("copy_in_function_called_later");
}

#[test]
fn copy_in_trigger_fired_by_seed() {
    shared_case("copy_in_trigger_fired_by_seed");
}

#[test]
fn copy_in_cron_command() {
    shared_case("copy_in_cron_command");
}

#[test]
fn copy_execute_format() {
    shared_case("copy_execute_format");
}

#[test]
fn copy_execute_concatenation() {
    shared_case("copy_execute_concatenation");
}

#[test]
fn copy_unicode_escapes() {
    shared_case("copy_unicode_escapes");
}

#[test]
fn large_objects() {
    shared_case("large_objects");
}

#[test]
fn server_file_functions() {
    shared_case("server_file_functions");
}

/// PostGIS's rasters reach files through GDAL (out-of-database bands, drivers that write):
/// turning either on is a superuser's setting, so the document's attempts fail.
#[test]
fn postgis_raster_files() {
    shared_case("postgis_raster_files");
}

#[test]
fn adminpack_file_write() {
    shared_case("adminpack_file_write");
}

#[test]
fn untrusted_languages() {
    shared_case("untrusted_languages");
}

#[test]
fn file_fdw_program() {
    shared_case("file_fdw_program");
}

#[test]
fn dblink_loopback() {
    shared_case("dblink_loopback");
}

#[test]
fn alter_system_load() {
    isolated_case("alter_system_load");
}

// ---------------------------------------------------------------------------------------------
// Privileges and roles
// ---------------------------------------------------------------------------------------------

#[test]
fn grant_execute_server_program() {
    isolated_case("grant_execute_server_program");
}

#[test]
fn grant_read_server_files_with_admin() {
    isolated_case("grant_read_server_files_with_admin");
}

#[test]
fn grant_role_chain() {
    isolated_case("grant_role_chain");
}

#[test]
fn create_role_superuser() {
    isolated_case("create_role_superuser");
}

#[test]
fn alter_role_current_user_superuser() {
    isolated_case("alter_role_current_user_superuser");
}

#[test]
fn alter_role_all_settings() {
    isolated_case("alter_role_all_settings");
}

#[test]
fn alter_pgspec_roles() {
    isolated_case("alter_pgspec_roles");
}

#[test]
fn rename_drop_preexisting_roles() {
    isolated_case("rename_drop_preexisting_roles");
}

#[test]
fn security_definer() {
    isolated_case("security_definer");
}

// ---------------------------------------------------------------------------------------------
// Catalog and operator shadowing
// ---------------------------------------------------------------------------------------------

#[test]
fn role_level_search_path() {
    isolated_case("role_level_search_path");
}

#[test]
fn operator_shadowing() {
    shared_case("operator_shadowing");
}

// ---------------------------------------------------------------------------------------------
// Other databases
// ---------------------------------------------------------------------------------------------

#[test]
fn drop_other_database() {
    isolated_case("drop_other_database");
}

#[test]
fn alter_other_database() {
    isolated_case("alter_other_database");
}

// ---------------------------------------------------------------------------------------------
// Endless loops
// ---------------------------------------------------------------------------------------------

#[test]
fn loop_statement() {
    looping_case("loop_statement");
}

#[test]
fn loop_function() {
    looping_case("loop_function");
}

#[test]
fn loop_catches_cancel() {
    looping_case("loop_catches_cancel");
}

#[test]
fn loop_in_verified_function() {
    looping_case("loop_in_verified_function");
}

// ---------------------------------------------------------------------------------------------
// Printed SQL
// ---------------------------------------------------------------------------------------------

#[test]
fn identifiers_backslashes() {
    shared_case("identifiers_backslashes");
}

// ---------------------------------------------------------------------------------------------
// --db against the user's server
// ---------------------------------------------------------------------------------------------

/// The whole lifecycle with a superuser URL: the document's trigger and functions never run
/// as the superuser, and the user's server is left exactly as it was (roles `up` created are
/// removed by `down`).
#[test]
fn db_superuser_url_lifecycle() {
    let name = "copy_in_trigger_fired_by_seed";
    let mut case = Case::shared("db_superuser_url_lifecycle").with_user_server();
    let (doc, text) = case.doc(name);
    let url = case.user_env().superuser_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// The whole lifecycle with the URL of a non-superuser that owns the user's database.
#[test]
fn db_owner_url_lifecycle() {
    let name = "escape_03_apply_role_nologin_fallback";
    let mut case = Case::shared("db_owner_url_lifecycle").with_user_server();
    let (doc, text) = case.doc(name);
    let url = case.user_env().owner_url("postgres");
    let mut f = Vec::new();
    case.lifecycle_db(&mut f, &doc, &text, &url);
    case.failures.extend(f);
    case.finish();
}

/// The markers are where the fixtures say (guards the line computation itself).
#[test]
fn markers_are_read_from_the_fixtures() {
    let text = fixture("copy_server_file");
    let found = markers(&text);
    let lines: Vec<u64> = found.iter().map(|m| m.line).collect();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("-- attack"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(lines, expected);
    assert!(found.iter().all(|m| m.pg006));
    let every = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    assert!(every >= 40, "{every} hostile fixtures");
}

/// Names of the roles of a cluster.
fn role_names(c: &mut postgres::Client) -> std::collections::BTreeSet<String> {
    c.query("SELECT rolname::text FROM pg_catalog.pg_roles", &[])
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}
