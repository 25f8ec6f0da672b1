//! The `pgspec` binary: exit codes, JSON contract, human output, the embedded cluster.

use std::process::{Command, Output};

use crate::postgres::shared_cluster;

fn pgspec(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
    cmd.args(args).env("NO_COLOR", "1");
    if let Some(input) = stdin {
        use std::io::Write;
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn pgspec");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
        return child.wait_with_output().expect("wait");
    }
    cmd.output().expect("run pgspec")
}

fn write_doc(dir: &tempfile::TempDir, name: &str, sql: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("# Doc\n\n```sql\n{sql}\n```\n")).expect("write doc");
    path.display().to_string()
}

#[test]
fn json_output_follows_the_contract_and_exit_code_is_1_on_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(
        &dir,
        "bad.md",
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE INDEX ON missing_table (x);",
    );
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["check", "--format", "json", "--db", &url, &doc], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let d = &json["documents"][0];
    assert_eq!(d["summary"]["statements"], 2);
    assert_eq!(d["statements"][0]["status"], "applied");
    assert_eq!(d["statements"][1]["status"], "failed");
    assert_eq!(d["statements"][1]["line"], 5);
    let diag = &d["diagnostics"][0];
    for field in [
        "code", "severity", "category", "line", "column", "end_line", "message", "sqlstate", "help",
    ] {
        assert!(!diag[field].is_null(), "missing {field} in {diag}");
    }
    assert_eq!(diag["category"], "undefined-table");
    assert_eq!(diag["sqlstate"], "42P01");
    assert_eq!(diag["line"], 5);
}

#[test]
fn clean_document_exits_0_and_prints_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(&dir, "ok.md", "CREATE TABLE a (id int PRIMARY KEY);");
    let url = shared_cluster().url("postgres");
    let out = pgspec(&["check", "--db", &url, &doc], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 statements: 1 applied, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn human_output_shows_the_excerpt_caret_and_help() {
    let url = shared_cluster().url("postgres");
    let out = pgspec(
        &["check", "--db", &url, "-"],
        Some("# x\n\n```sql\nCREATE TABLE v (id int, INDEX idx_v (id));\n```\n".as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("error[PG001:statement-rejected]"),
        "{stdout}"
    );
    assert!(stdout.contains("-:4:"), "{stdout}");
    assert!(stdout.contains("category: inline-index"), "{stdout}");
    assert!(stdout.contains("help:"), "{stdout}");
}

#[test]
fn missing_file_and_unreachable_server_exit_2() {
    let out = pgspec(&["check", "/nonexistent/doc.md"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(&dir, "ok.md", "SELECT 1;");
    let out = pgspec(
        &[
            "check",
            "--db",
            "postgresql://nobody@/db?host=/nonexistent-socket-dir",
            &doc,
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn embedded_cluster_starts_on_first_use_and_is_reused() {
    let home = tempfile::Builder::new()
        .prefix("pgs")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(&dir, "ok.md", "CREATE TABLE a (id int PRIMARY KEY);");
    let home_str = home.path().display().to_string();
    for _ in 0..2 {
        let out = pgspec(&["check", "--cluster-dir", &home_str, &doc], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let status = pgspec(&["cluster", "status", "--cluster-dir", &home_str], None);
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("running"),
        "{:?}",
        status
    );
    let out = pgspec(&["cluster", "destroy", "--cluster-dir", &home_str], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !home.path().join("pg15").exists()
            || std::fs::read_dir(home.path()).map_or(true, |mut d| d.next().is_none())
    );
}

fn seed_path(prefix: &str) -> std::path::PathBuf {
    crate::seed_file("original", prefix)
}

#[test]
fn fix_applies_safe_fixes_once_and_check_then_finds_none_of_them() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("003.md");
    std::fs::copy(seed_path("003"), &doc).expect("copy seed");
    let doc_str = doc.display().to_string();
    let before = std::fs::read_to_string(&doc).expect("read");

    let out = pgspec(&["fix", "--db", &url, &doc_str], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let once = std::fs::read_to_string(&doc).expect("read");
    assert_ne!(before, once, "seed 003 has inline indexes to move out");
    // Only SQL changed: every line outside the edited CREATE TABLEs is identical.
    assert!(once.contains(
        "CREATE INDEX idx_session_user_time ON user_session_details (user_id, session_start DESC);"
    ));
    assert_eq!(
        before.lines().filter(|l| l.starts_with('#')).count(),
        once.lines().filter(|l| l.starts_with('#')).count()
    );

    let out = pgspec(&["fix", "--db", &url, &doc_str], None);
    assert_eq!(out.status.code(), Some(0));
    let twice = std::fs::read_to_string(&doc).expect("read");
    assert_eq!(once, twice, "fix must be idempotent");

    let out = pgspec(&["check", "--format", "json", "--db", &url, &doc_str], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let diagnostics = json["documents"][0]["diagnostics"]
        .as_array()
        .expect("array");
    assert!(
        diagnostics.iter().all(|d| d["category"] != "inline-index"),
        "inline indexes remain after fix"
    );
}

#[test]
fn up_creates_a_database_with_behaviour_changing_fixes_is_idempotent_and_down_removes_it() {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(
        &dir,
        "shop.md",
        "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);\n\
         CREATE TABLE orders_2026 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
         CREATE INDEX orders_created_idx ON orders (created_at);",
    );
    let name = format!("pgspec_up_test_{}", std::process::id());
    let out = pgspec(
        &[
            "up", "--db", &url, "--name", &name, "--format", "json", &doc,
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(json["status"], "created");
    assert!(json["connection"]
        .as_str()
        .expect("connection")
        .contains(&name));
    let statements = json["documents"][0]["statements"]
        .as_array()
        .expect("statements");
    // The partitioned table's PK lacks the partition key: reported, fixed (behaviour-changing),
    // and everything behind it applies.
    assert_eq!(statements[0]["status"], "fixed");
    assert_eq!(statements[1]["status"], "applied");
    assert_eq!(statements[2]["status"], "applied");
    let objects = json["objects"].as_array().expect("objects");
    let count = |kind: &str| {
        objects.iter().find(|o| o["kind"] == kind).expect("kind")["in_database"].clone()
    };
    assert_eq!(count("tables"), 1);
    let provisioned = json["provisioned"].as_array().expect("provisioned");
    assert!(
        provisioned
            .iter()
            .any(|a| a["kind"] == "default-partition-created"),
        "{provisioned:?}"
    );

    // The summary matches the catalog, read independently.
    let psql = shared_cluster().bins.bin_dir.join("psql");
    let target = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let q = Command::new(&psql)
        .args([
            &target,
            "-Atc",
            "SELECT count(*) FROM pg_class WHERE relispartition AND relkind = 'r'",
        ])
        .output()
        .expect("psql");
    assert_eq!(
        String::from_utf8_lossy(&q.stdout).trim(),
        count("partitions").to_string()
    );
    // Today's rows have a partition, whatever today is.
    let q = Command::new(&psql)
        .args([
            &target,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            "INSERT INTO orders VALUES (1, now()), (2, now() + interval '2 months') RETURNING 1",
        ])
        .output()
        .expect("psql");
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let q = Command::new(&psql)
        .args([&target, "-Atc", "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' AND conrelid = 'orders'::regclass"])
        .output()
        .expect("psql");
    assert_eq!(
        String::from_utf8_lossy(&q.stdout).trim(),
        "PRIMARY KEY (id, created_at)"
    );

    let again = pgspec(
        &[
            "up", "--db", &url, "--name", &name, "--format", "json", &doc,
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(json["status"], "unchanged");
    assert_eq!(again.status.code(), Some(0));

    std::fs::write(&doc, "# changed\n\n```sql\nCREATE TABLE t (id int);\n```\n").expect("write");
    let changed = pgspec(
        &[
            "up", "--db", &url, "--name", &name, "--format", "json", &doc,
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&changed.stdout).expect("json");
    // The change drops a table that holds rows: `up` migrates only with --allow-hazards.
    assert_eq!(json["status"], "refused");
    assert_eq!(json["refusals"][0]["code"], "DIF009");
    assert_eq!(changed.status.code(), Some(2));

    let down = pgspec(&["down", "--db", &url, "--name", &name, &doc], None);
    assert_eq!(
        down.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let q = Command::new(&psql)
        .args([
            &url,
            "-Atc",
            &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
        ])
        .output()
        .expect("psql");
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "0");
}

#[test]
fn seed_and_verify_report_json_and_exit_codes() {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = write_doc(
        &dir,
        "notes.md",
        "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
         kind text NOT NULL CHECK (kind IN ('memo', 'todo')), body text NOT NULL);\n\
         CREATE INDEX idx_notes_kind ON notes (kind);\n\
         -- uses idx_notes_kind (Index Scan)\n\
         SELECT id FROM notes WHERE body = $1;",
    );
    let name = format!("pgspec_cli_seed_{}", std::process::id());
    let up = pgspec(&["up", "--db", &url, "--name", &name, &doc], None);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let seed = pgspec(
        &[
            "seed",
            "--db",
            &url,
            "--name",
            &name,
            "--rows",
            "500",
            "--table",
            "notes=700",
            "--format",
            "json",
            &doc,
        ],
        None,
    );
    assert_eq!(
        seed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&seed.stdout).expect("seed json");
    assert_eq!(json["command"], "seed");
    assert_eq!(json["total_rows"], 700);
    assert_eq!(json["tables"][0]["table"], "notes");
    assert_eq!(json["tables"][0]["method"], "copy");
    assert!(json["rows_per_second"].as_f64().is_some_and(|r| r > 0.0));

    // The claimed index cannot serve a query on `body`: verify fails and exits 1.
    let verify = pgspec(
        &[
            "verify", "--db", &url, "--name", &name, "--format", "json", &doc,
        ],
        None,
    );
    assert_eq!(
        verify.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("verify json");
    assert_eq!(json["command"], "verify");
    let claims = json["claims"].as_array().expect("claims");
    let explain = claims
        .iter()
        .find(|c| c["kind"] == "explain")
        .expect("explain claim");
    assert_eq!(explain["status"], "fail");
    assert!(explain["line"].as_u64().is_some());
    assert!(claims
        .iter()
        .any(|c| c["kind"] == "constraint" && c["status"] == "pass"));
    assert!(json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .any(|d| d["code"] == "VER001" && d["line"].as_u64().is_some()));
    let down = pgspec(&["down", "--db", &url, "--name", &name, &doc], None);
    assert!(down.status.success());
}

#[test]
fn cluster_status_says_whether_the_sandbox_is_active() {
    // The shared test cluster: the sandbox is on wherever bubblewrap works.
    let shared = shared_cluster();
    let root = shared.root.display().to_string();
    let out = pgspec(
        &[
            "cluster",
            "status",
            "--format",
            "json",
            "--cluster-dir",
            &root,
        ],
        None,
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(value["command"], "cluster status");
    assert_eq!(value["state"], "running");
    assert_eq!(value["sandbox"]["active"], shared.sandbox().is_active());
    assert_eq!(value["sandbox"]["detail"], shared.sandbox().to_string());

    // Turned off: the server runs as before and the status says why.
    let home = tempfile::Builder::new()
        .prefix("pgs")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let home_str = home.path().display().to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args(args)
            .args(["--cluster-dir", &home_str])
            .env("PGSPEC_SANDBOX", "off")
            .output()
            .expect("run pgspec")
    };
    let out = run(&["cluster", "start"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["cluster", "status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sandbox: inactive: turned off (PGSPEC_SANDBOX=off)"),
        "{text}"
    );
    let out = run(&["cluster", "destroy"]);
    assert_eq!(out.status.code(), Some(0));
}

mod output;
