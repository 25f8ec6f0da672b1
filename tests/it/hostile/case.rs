//! One hostile case: its document through every command, bounded, then every promise
//! checked.

use super::*;

// ---------------------------------------------------------------------------------------------
// A case
// ---------------------------------------------------------------------------------------------

/// Failures found so far (every check runs; the case panics once with all of them).
pub(super) type Failures = Vec<String>;

pub(super) struct Case {
    pub(super) name: String,
    pub(super) canary: PathBuf,
    pub(super) dir: tempfile::TempDir,
    pub(super) env: EnvRef,
    /// A second cluster for `--db` runs (the user's server), if the case uses one.
    pub(super) user: Option<Box<Env>>,
    /// `--statement-timeout` of every pgspec run (None: pgspec's default).
    pub(super) statement_timeout: Option<String>,
    pub(super) failures: Failures,
}

impl Case {
    /// A case on the shared private cluster.
    pub(super) fn shared(name: &str) -> Case {
        Case::new(name, EnvRef::Shared(shared_env()))
    }

    /// A case on a private cluster of its own.
    pub(super) fn isolated(name: &str) -> Case {
        Case::new(name, EnvRef::Own(Box::new(Env::start(true, true))))
    }

    pub(super) fn new(name: &str, env: EnvRef) -> Case {
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
    pub(super) fn with_user_server(mut self) -> Case {
        self.user = Some(Box::new(Env::start(true, false)));
        self
    }

    /// Bound each statement of the document to `seconds` in every run: a case whose document
    /// loops proves the same bound holds, without waiting out the default one in each command.
    pub(super) fn with_statement_timeout(mut self, seconds: u32) -> Case {
        self.statement_timeout = Some(seconds.to_string());
        self
    }

    pub(super) fn user_env(&self) -> &Env {
        self.user.as_deref().expect("with_user_server")
    }

    /// The fixture with its placeholders filled in, written as `file` in a directory of its
    /// own (two documents may share a file name).
    pub(super) fn doc_as(
        &self,
        fixture_name: &str,
        file: &str,
        extra: &[(&str, &str)],
    ) -> (PathBuf, String) {
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

    pub(super) fn doc(&self, fixture_name: &str) -> (PathBuf, String) {
        self.doc_as(fixture_name, &format!("{fixture_name}.md"), &[])
    }

    /// Run pgspec on the case's private cluster (or with `--db` when `args` has it).
    pub(super) fn pgspec(&self, f: &mut Failures, args: &[&str]) -> Option<Run> {
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
    pub(super) fn check(
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
    pub(super) fn lifecycle(&self, f: &mut Failures, doc: &Path) -> Option<String> {
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
    pub(super) fn sql_into_psql(&self, f: &mut Failures, doc: &Path) {
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
    pub(super) fn pipeline(&mut self, fixture_name: &str) {
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
    pub(super) fn finish(mut self) {
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
pub(super) fn canary_prefix(case: &str) -> String {
    let hash = case.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("pgspec-canary-{hash:08x}")
}

/// Every file in /tmp whose name starts with the case's canary prefix.
pub(super) fn canaries(case: &str) -> Vec<PathBuf> {
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

pub(super) fn database_exists(cluster: &Cluster, db: &str) -> bool {
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
pub(super) fn superuser_objects(cluster: &Cluster, db: &str) -> Failures {
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
pub(super) fn backends_left(cluster: &Cluster, tag: &str) -> Failures {
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
pub(super) fn after_checks(case: &Case, env: &Env) -> Failures {
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
    pub(super) fn lifecycle_db(&self, f: &mut Failures, doc: &Path, text: &str, url: &str) {
        self.check(f, doc, text, Some(url));
        let doc = doc.display().to_string();
        self.pgspec(f, &["up", "--recreate", "--db", url, &doc]);
        self.pgspec(f, &["seed", "--rows", "20", "--db", url, &doc]);
        self.pgspec(f, &["verify", "--db", url, &doc]);
        self.pgspec(f, &["down", "--db", url, &doc]);
    }
}

pub(super) fn shared_case(name: &str) {
    let mut case = Case::shared(name);
    case.pipeline(name);
    case.finish();
}

/// A shared case whose document loops: every statement bounded to 2 seconds.
pub(super) fn looping_case(name: &str) {
    let mut case = Case::shared(name).with_statement_timeout(2);
    case.pipeline(name);
    case.finish();
}

pub(super) fn isolated_case(name: &str) {
    let mut case = Case::isolated(name);
    case.pipeline(name);
    case.finish();
}
