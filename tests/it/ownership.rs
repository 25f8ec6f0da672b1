//! Each database pgspec makes has its own owner, and nothing else is touched: databases named
//! from the document's path, `seed`/`verify`/`down` only on the database `up` made from that
//! document, no administrative fallback when the owner cannot log in, `up --recreate` swapping
//! only a complete database in, and `pgspec sql` output that psql runs without a meta-command.

use std::process::{Command, Output};

use crate::postgres::shared_cluster;

fn pgspec(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
    cmd.args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pgspec")
}

fn url() -> String {
    shared_cluster().url("postgres")
}

/// The test's own superuser connection, with the default search_path (it reads and writes
/// the documents' tables, which pgspec's administrative connections never see unqualified).
fn admin(database: &str) -> postgres::Client {
    crate::data_client(&pgspec::postgres::Server::Url(url()), database)
}

fn write_doc(dir: &std::path::Path, name: &str, sql: &str) -> String {
    std::fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join(name);
    std::fs::write(&path, format!("# Doc\n\n```sql\n{sql}\n```\n")).expect("write doc");
    path.display().to_string()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn up(doc: &str, extra: &[&str]) -> serde_json::Value {
    let url = url();
    let mut args = vec!["up", "--db", url.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    args.push(doc);
    let out = pgspec(&args, &[]);
    json(&out)
}

fn database_exists(name: &str) -> bool {
    admin("postgres")
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .expect("query")
        .is_some()
}

fn role_exists(name: &str) -> bool {
    admin("postgres")
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .expect("query")
        .is_some()
}

fn owner_of(database: &str) -> String {
    admin("postgres")
        .query_one(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
            &[&database],
        )
        .expect("owner")
        .get(0)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

const TABLE: &str =
    "CREATE TABLE items (id bigint PRIMARY KEY, who text NOT NULL DEFAULT current_user);";

#[test]
fn two_schema_md_in_different_folders_get_their_own_databases_and_owners() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write_doc(&dir.path().join("a"), "schema.md", TABLE);
    let b = write_doc(&dir.path().join("b"), "schema.md", TABLE);
    let db_a = up(&a, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    let db_b = up(&b, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    assert_ne!(db_a, db_b);
    assert!(
        db_a.starts_with("pgspec_schema_") && db_a.len() <= 63,
        "{db_a}"
    );
    let (owner_a, owner_b) = (owner_of(&db_a), owner_of(&db_b));
    assert_ne!(owner_a, owner_b, "each database has its own owner");
    assert!(owner_a.starts_with("pgspec_owner_"), "{owner_a}");

    // The other document's database is refused by name, by every command.
    for command in ["seed", "verify", "down"] {
        let out = pgspec(&[command, "--db", &url, "--name", &db_b, &a], &[]);
        assert_ne!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("from another document"),
            "{command}: {}",
            stderr(&out)
        );
    }
    assert!(database_exists(&db_b));

    // `down` of one leaves the other, and takes its owner role along.
    let out = pgspec(&["down", "--db", &url, &a], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!database_exists(&db_a));
    assert!(!role_exists(&owner_a), "down drops the owner role");
    assert!(database_exists(&db_b));
    assert!(role_exists(&owner_b));
    let out = pgspec(&["down", "--db", &url, &b], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!database_exists(&db_b));
}

#[test]
fn down_drops_the_roles_the_document_created() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let role = format!("own_reader_{}", std::process::id());
    let doc = write_doc(
        dir.path(),
        "roles.md",
        &format!("{TABLE}\nCREATE ROLE {role} NOLOGIN;\nGRANT SELECT ON items TO {role};"),
    );
    let report = up(&doc, &[]);
    assert_eq!(report["status"], "created", "{report}");
    assert!(role_exists(&role));
    let out = pgspec(&["down", "--db", &url, &doc], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !role_exists(&role),
        "the document's role goes with its database"
    );
}

#[test]
fn a_documents_check_cannot_drop_or_rename_another_documents_database() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let victim_doc = write_doc(dir.path(), "victim.md", TABLE);
    let victim = up(&victim_doc, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    let attacker = write_doc(
        dir.path(),
        "attacker.md",
        &format!(
            "DROP DATABASE \"{victim}\";\nALTER DATABASE \"{victim}\" RENAME TO stolen;\nALTER DATABASE \"{victim}\" OWNER TO CURRENT_USER;"
        ),
    );
    let _ = pgspec(&["check", "--db", &url, "--format", "json", &attacker], &[]);
    assert!(
        database_exists(&victim),
        "another document's check dropped it"
    );
    assert!(owner_of(&victim).starts_with("pgspec_owner_"));
    let _ = pgspec(&["down", "--db", &url, &victim_doc], &[]);
}

#[test]
fn seed_and_verify_refuse_a_database_up_did_not_make() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(dir.path(), "app.md", TABLE);
    let appdb = format!("own_appdb_{}", std::process::id());
    admin("postgres")
        .batch_execute(&format!("DROP DATABASE IF EXISTS {appdb}"))
        .expect("drop a leftover");
    admin("postgres")
        .batch_execute(&format!("CREATE DATABASE {appdb}"))
        .expect("create the user's database");
    admin(&appdb)
        .batch_execute(
            "CREATE TABLE items (id bigint PRIMARY KEY, who text NOT NULL DEFAULT current_user)",
        )
        .expect("the user's table");
    for command in ["seed", "verify", "down"] {
        let out = pgspec(&[command, "--db", &url, "--name", &appdb, &doc], &[]);
        assert_ne!(out.status.code(), Some(0), "{command}");
        assert!(
            stderr(&out).contains("not made by `pgspec up`"),
            "{command}: {}",
            stderr(&out)
        );
    }
    let rows: i64 = admin(&appdb)
        .query_one("SELECT count(*) FROM items", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "seed wrote into a database pgspec never made");
    admin("postgres")
        .batch_execute(&format!("DROP DATABASE {appdb}"))
        .expect("drop");
}

#[test]
fn seed_and_verify_never_fall_back_to_the_administrator() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    // The trigger (the document's code) records who runs it.
    let doc = write_doc(
        dir.path(),
        "nologin.md",
        &format!(
            "{TABLE}\nCREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.who := current_user; RETURN NEW; END $$;\n\
             CREATE TRIGGER items_stamp BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION stamp();"
        ),
    );
    let database = up(&doc, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    let owner = owner_of(&database);
    admin("postgres")
        .batch_execute(&format!("ALTER ROLE {owner} NOLOGIN"))
        .expect("nologin");
    for args in [
        vec!["seed", "--db", &url, "--rows", "5", &doc],
        vec!["verify", "--db", &url, &doc],
    ] {
        let command = args[0];
        let out = pgspec(&args, &[]);
        assert_ne!(out.status.code(), Some(0), "{command}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot log in"),
            "{command}: {}",
            stderr(&out)
        );
    }
    let rows: i64 = admin(&database)
        .query_one("SELECT count(*) FROM items", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "rows were written without the owner's login");
    // Once the owner may log in again, the rows are written as that owner.
    admin("postgres")
        .batch_execute(&format!("ALTER ROLE {owner} LOGIN"))
        .expect("login");
    let out = pgspec(&["seed", "--db", &url, "--rows", "5", &doc], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let writers: Vec<String> = admin(&database)
        .query("SELECT DISTINCT who FROM items", &[])
        .expect("who")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(writers, vec![owner]);
    let _ = pgspec(&["down", "--db", &url, &doc], &[]);
}

#[test]
fn recreate_keeps_the_old_database_until_the_new_one_is_in_place() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(dir.path(), "swap.md", TABLE);
    let database = up(&doc, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    admin(&database)
        .batch_execute("INSERT INTO items (id) VALUES (7)")
        .expect("a row of the old database");
    std::fs::write(
        &doc,
        "# Doc\n\n```sql\nCREATE TABLE things (id bigint PRIMARY KEY);\n```\n",
    )
    .expect("change the document");
    let scratch_before = scratch_databases();
    let out = pgspec(
        &["up", "--db", &url, "--recreate", &doc],
        &[("PGSPEC_TEST_FAIL_SWAP", "1")],
    );
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    let kept: i64 = admin(&database)
        .query_one("SELECT count(*) FROM items WHERE id = 7", &[])
        .expect("the old database is intact")
        .get(0);
    assert_eq!(kept, 1);
    assert_eq!(
        scratch_databases(),
        scratch_before,
        "the half-built database is gone"
    );

    let report = up(&doc, &["--recreate"]);
    assert_eq!(report["status"], "recreated", "{report}");
    let tables: Vec<String> = admin(&database)
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tables, vec!["things".to_string()]);
    assert!(owner_of(&database).starts_with("pgspec_owner_"));
    assert!(
        !scratch_databases()
            .iter()
            .any(|d| d.starts_with("pgspec_old")),
        "the old database is dropped once replaced"
    );
    let _ = pgspec(&["down", "--db", &url, &doc], &[]);
}

fn scratch_databases() -> Vec<String> {
    let mut names: Vec<String> = admin("postgres")
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'pgspec\\_up\\_%' OR datname LIKE 'pgspec\\_old\\_%'",
            &[],
        )
        .expect("databases")
        .iter()
        .map(|r| r.get(0))
        .collect();
    names.retain(|n| {
        n.contains(&format!("_{}_", std::process::id())) || n.starts_with("pgspec_old")
    });
    names.sort();
    names
}

#[test]
fn sql_output_piped_into_psql_runs_no_meta_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let canary = |n: u32| dir.path().join(format!("canary{n}"));
    let c = |n: u32| canary(n).display().to_string();
    // Every printed form of a document's text: quoted identifiers with line breaks, a failed
    // statement's summary, role names and job commands inside generated DO blocks.
    let sql = format!(
        "CREATE TABLE \"a\n\\! touch {c1} #\" (id int PRIMARY KEY);\n\
         CREATE TABLE \"b\n\\! touch {c2} #\" (id nosuchtype);\n\
         CREATE TABLE items (id int PRIMARY KEY, name text);\n\
         GRANT SELECT ON items TO \"r$pgspec$ \\! touch {c3} #\";\n\
         COMMENT ON TABLE items IS $c$ -- $pgspec$\n\\! touch {c4} #\n$c$;\n\
         SELECT cron.schedule('j', '* * * * *', $$SELECT 1; -- $pgspec$ \\! touch {c5} # $$);",
        c1 = c(1),
        c2 = c(2),
        c3 = c(3),
        c4 = c(4),
        c5 = c(5),
    );
    // A partition-maintenance function (called by `up`, printed by `sql`) with a hostile name;
    // its name is matched on lowercased text, so the canary path is lowercase.
    let c6 = format!("/tmp/pgspec_own_canary6_{}", std::process::id());
    let _ = std::fs::remove_file(&c6);
    let sql = format!(
        "{sql}\nCREATE TABLE ev (at date NOT NULL) PARTITION BY RANGE (at);\n\
         CREATE FUNCTION \"mk\n\\! touch {c6} #\"() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN \
         EXECUTE 'CREATE TABLE IF NOT EXISTS ev_2000 PARTITION OF ev FOR VALUES FROM (''2000-01-01'') TO (''2000-02-01'')'; END $f$;"
    );
    let doc = write_doc(dir.path(), "hostile\n\\! touch canary #.md", &sql);
    let script = dir.path().join("system.sql");
    let out = pgspec(
        &[
            "sql",
            "--db",
            &url(),
            "-o",
            &script.display().to_string(),
            &doc,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A cluster of its own: the script creates a cluster-wide role.
    let target =
        pgspec::postgres::Cluster::temporary(&shared_cluster().bins).expect("temporary cluster");
    let psql = shared_cluster().bins.bin_dir.join("psql");
    let out = Command::new(&psql)
        .args([
            &target.url("postgres"),
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-f",
            &script.display().to_string(),
        ])
        .current_dir(dir.path())
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "the script does not apply: {}\n{}",
        stderr(&out),
        std::fs::read_to_string(&script).unwrap_or_default()
    );
    for n in 1..=5 {
        assert!(
            !canary(n).exists(),
            "psql ran a meta-command from the document (canary {n})"
        );
    }
    assert!(
        !dir.path().join("canary").exists(),
        "the path ended its comment"
    );
    let script_text = std::fs::read_to_string(&script).expect("script");
    assert!(
        script_text.contains("SELECT \"mk\n"),
        "the maintenance call is in the script: {script_text}"
    );
    assert!(
        !std::path::Path::new(&c6).exists(),
        "psql ran a meta-command from a function name"
    );
}

#[test]
fn an_interrupted_recreate_leaves_the_old_database_intact() {
    let url = url();
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(dir.path(), "killed.md", TABLE);
    let database = up(&doc, &[])["database"]
        .as_str()
        .expect("database")
        .to_string();
    admin(&database)
        .batch_execute("INSERT INTO items (id) VALUES (42)")
        .expect("a row of the old database");
    // The new version takes a while to build; the run is killed in the middle.
    std::fs::write(
        &doc,
        "# Doc\n\n```sql\nCREATE TABLE things (id bigint PRIMARY KEY);\n\
         DO $$ BEGIN PERFORM pg_sleep(4); END $$;\n```\n",
    )
    .expect("change the document");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["up", "--db", &url, "--recreate", &doc])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn pgspec");
    let pid = child.id();
    let started = std::time::Instant::now();
    // Killed once its scratch database exists (the build is under way).
    let building = format!("pgspec\\_up\\_{pid}\\_%");
    while started.elapsed() < std::time::Duration::from_secs(20)
        && admin("postgres")
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname LIKE $1",
                &[&building],
            )
            .expect("query")
            .is_none()
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().expect("kill");
    let _ = child.wait();
    let kept: i64 = admin(&database)
        .query_one("SELECT count(*) FROM items WHERE id = 42", &[])
        .expect("the old database is intact")
        .get(0);
    assert_eq!(kept, 1);
    // The killed run's half-built database (a URL server has no stale-run cleanup).
    for row in admin("postgres")
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
            &[&building],
        )
        .expect("query")
    {
        let name: String = row.get(0);
        let _ = admin("postgres")
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }
    let _ = pgspec(&["down", "--db", &url, &doc], &[]);
}
