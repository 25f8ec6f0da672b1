//! Every command's exit codes, formats and closing line, and the short default output of `check`.

use super::*;

/// The exit-code and format contract of README's table, for every command: formats a command
/// does not have are refused with 2 before any work; a command that did its job exits 1 only
/// for findings at or above `--fail-on`, whose default is `error` for the commands that judge
/// and `never` for the commands that build.
#[test]
fn exit_code_and_format_matrix_covers_every_command() {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    // One rejected statement (an error finding) and one claim the data cannot keep.
    let doc = write_doc(
        &dir,
        "matrix.md",
        "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);\n\
         CREATE INDEX idx_notes_body ON notes (body);\n\
         CREATE INDEX idx_nope ON no_such_table (x);\n\
         -- uses idx_notes_body (Index Scan)\n\
         SELECT id FROM notes WHERE id = $1;",
    );
    let name = format!("pgspec_cli_matrix_{}", std::process::id());
    let code = |args: &[&str]| {
        let out = pgspec(args, None);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let all = ["full", "concise", "json", "github", "sarif"];
    // (command and its arguments before DOC, the formats it has)
    let db_args = ["--db", url.as_str(), "--name", name.as_str()];
    let with_db = |cmd: &str| {
        let mut v = vec![cmd.to_string()];
        v.extend(db_args.iter().map(|s| s.to_string()));
        v
    };
    let commands: Vec<(Vec<String>, &[&str])> = vec![
        (vec!["check".into(), "--db".into(), url.clone()], &all),
        (vec!["lint".into(), "--db".into(), url.clone()], &all),
        (with_db("up"), &["full", "json"]),
        (with_db("seed"), &["full", "json"]),
        (with_db("verify"), &["full", "concise", "json"]),
        (
            vec!["model".into(), "--db".into(), url.clone()],
            &["full", "json"],
        ),
        (with_db("down"), &["full", "json"]),
        (
            vec!["diff".into(), "--db".into(), url.clone(), doc.clone()],
            &["full", "json"],
        ),
    ];
    for (command, formats) in &commands {
        for format in all.iter().filter(|f| !formats.contains(f)) {
            let mut args: Vec<&str> = command.iter().map(String::as_str).collect();
            args.extend(["--format", format, doc.as_str()]);
            let (status, stderr) = code(&args);
            assert_eq!(status, Some(2), "{args:?} must refuse the format: {stderr}");
            assert!(stderr.contains("possible values"), "{args:?}: {stderr}");
        }
    }
    assert_eq!(
        code(&["cluster", "status", "--format", "sarif"]).0,
        Some(2),
        "cluster status has no sarif"
    );

    // Every format a judging command has, on a document with an error: 1, and 0 with
    // --fail-on never.
    for format in all {
        let (status, stderr) = code(&["check", "--db", &url, "--format", format, &doc]);
        assert_eq!(status, Some(1), "check --format {format}: {stderr}");
    }
    assert_eq!(
        code(&["check", "--db", &url, "--fail-on", "never", &doc]).0,
        Some(0)
    );
    assert_eq!(
        code(&["lint", "--db", &url, &doc]).0,
        Some(0),
        "no lint error"
    );

    // Building commands: the job is done, so 0 despite the error; 1 with --fail-on error.
    let run = |cmd: &str, extra: &[&str]| {
        let mut args: Vec<&str> = vec![cmd, "--db", &url, "--name", &name];
        args.extend(extra);
        args.push(&doc);
        code(&args)
    };
    // The first run builds and checks (1 with --fail-on error); the reruns find the database
    // up to date and check nothing.
    assert_eq!(run("up", &["--fail-on", "error"]).0, Some(1));
    for format in ["full", "json"] {
        let (status, stderr) = run("up", &["--format", format]);
        assert_eq!(status, Some(0), "up --format {format}: {stderr}");
    }
    let (status, stderr) = run("up", &["--recreate"]);
    assert_eq!(
        status,
        Some(0),
        "up --recreate builds despite the error: {stderr}"
    );
    for format in ["full", "json"] {
        let (status, stderr) = run("seed", &["--rows", "50", "--format", format]);
        assert_eq!(status, Some(0), "seed --format {format}: {stderr}");
    }
    // The claim fails: verify judges, so 1; never: 0.
    for format in ["full", "concise", "json"] {
        let (status, stderr) = run("verify", &["--format", format]);
        assert_eq!(status, Some(1), "verify --format {format}: {stderr}");
    }
    assert_eq!(run("verify", &["--fail-on", "never"]).0, Some(0));
    for format in ["full", "json"] {
        let (status, stderr) = code(&["model", "--db", &url, "--format", format, &doc]);
        assert_eq!(status, Some(0), "model --format {format}: {stderr}");
    }
    assert_eq!(
        code(&["sql", "--db", &url, "-o", "/dev/null", &doc]).0,
        Some(0)
    );
    assert_eq!(
        code(&[
            "sql",
            "--db",
            &url,
            "--fail-on",
            "error",
            "-o",
            "/dev/null",
            &doc
        ])
        .0,
        Some(1)
    );
    // diff: 0 with a plan, 1 with --exit-code only when there are changes, 2 when a side does
    // not apply cleanly (the matrix document has an error).
    let clean = write_doc(&dir, "clean.md", "CREATE TABLE t (id int PRIMARY KEY);");
    let more = write_doc(
        &dir,
        "more.md",
        "CREATE TABLE t (id int PRIMARY KEY, name text);",
    );
    for format in ["full", "json"] {
        let (status, stderr) = code(&["diff", "--db", &url, "--format", format, &clean, &more]);
        assert_eq!(status, Some(0), "diff --format {format}: {stderr}");
    }
    assert_eq!(
        code(&["diff", "--db", &url, "--exit-code", &clean, &clean]).0,
        Some(0)
    );
    assert_eq!(
        code(&["diff", "--db", &url, "--exit-code", &clean, &more]).0,
        Some(1)
    );
    assert_eq!(code(&["diff", "--db", &url, &doc, &clean]).0, Some(2));
    // fix --diff changes nothing; the rejected index has no fix, so it stays a finding.
    assert_eq!(code(&["fix", "--db", &url, "--diff", &doc]).0, Some(0));
    assert_eq!(
        code(&["fix", "--db", &url, "--diff", "--fail-on", "error", &doc]).0,
        Some(1)
    );
    // The document changed after `up`: the database is not the document's, the job is not done.
    std::fs::write(&doc, "```sql\nCREATE TABLE other (id int);\n```\n").expect("write");
    let (status, stderr) = run("up", &[]);
    assert_eq!(status, Some(2), "{stderr}");
    assert!(stderr.contains("--recreate"), "{stderr}");
    let down = pgspec(
        &[
            "down", "--db", &url, "--name", &name, "--format", "json", &doc,
        ],
        None,
    );
    assert_eq!(down.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&down.stdout).expect("down json");
    assert_eq!(json["command"], "down");
    assert_eq!(json["removed"], true);

    // A binary file is not a document: 2.
    let binary = dir.path().join("binary.md");
    std::fs::write(&binary, b"\x00\x01\x02\xff\xfe").expect("write");
    let binary = binary.display().to_string();
    assert_eq!(code(&["check", "--db", &url, &binary]).0, Some(2));
    // A text with one stray byte is read (the byte replaced, DOC004 a warning) and checked:
    // its findings decide, as for any document.
    let stray = dir.path().join("stray.md");
    std::fs::write(
        &stray,
        b"# Caf\xe9 \xe2\x80 notes\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\n```\n",
    )
    .expect("write");
    let stray = stray.display().to_string();
    assert_eq!(code(&["check", "--db", &url, &stray]).0, Some(0));
}

/// The last line of each command's human output names the command to run next.
#[test]
fn every_command_ends_with_the_next_step() {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = write_doc(
        &dir,
        "clean.md",
        "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);",
    );
    let fixable = write_doc(
        &dir,
        "fixable.md",
        "CREATE TABLE t (id int PRIMARY KEY, INDEX idx_t_id (id));",
    );
    let name = format!("pgspec_cli_next_{}", std::process::id());
    let last_line = |args: &[&str], stderr: bool| {
        let out = pgspec(args, None);
        let text =
            String::from_utf8_lossy(if stderr { &out.stderr } else { &out.stdout }).into_owned();
        text.lines().last().unwrap_or_default().to_string()
    };
    let expect = |line: String, command: &str, doc: &str| {
        assert!(
            line.starts_with(&format!("next: pgspec {command}")) && line.contains(doc),
            "expected `next: pgspec {command} … {doc}`, got {line:?}"
        );
    };
    expect(
        last_line(&["check", "--db", &url, &clean], false),
        "up",
        &clean,
    );
    expect(
        last_line(&["check", "--db", &url, &fixable], false),
        "fix",
        &fixable,
    );
    expect(
        last_line(&["lint", "--db", &url, &clean], false),
        "up",
        &clean,
    );
    let named = ["--db", url.as_str(), "--name", name.as_str()];
    let with = |cmd: &'static str| -> Vec<&str> {
        let mut v = vec![cmd];
        v.extend(named);
        v.push(clean.as_str());
        v
    };
    let up = last_line(&with("up"), false);
    expect(up.clone(), "seed --db URL --name", &clean);
    assert!(!up.contains(&url), "the URL is not repeated: {up}");
    expect(last_line(&with("seed"), false), "verify", &clean);
    expect(last_line(&with("verify"), false), "down", &clean);
    expect(
        last_line(&["fix", "--db", &url, "--diff", &fixable], true),
        "check",
        &fixable,
    );
    pgspec(&with("down"), None);
}

/// `name` with every `pgspec_check_<digits and underscores>` (a run's scratch database) as
/// `pgspec_check_RUN`, so a snapshot does not change from run to run.
fn redact_scratch_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("pgspec_check_") {
        out.push_str(&rest[..at]);
        out.push_str("pgspec_check_RUN");
        rest = rest[at + "pgspec_check_".len()..]
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
    }
    out.push_str(rest);
    out
}

/// What a person sees by default on seed 001 (83 findings): at most 120 lines, errors first
/// and in full, findings that share a cause folded into one with their lines; `--verbose`
/// keeps every finding, and JSON is the same whichever way the human output is laid out.
#[test]
fn check_of_seed_001_is_short_errors_first_and_grouped_by_cause() {
    let url = shared_cluster().url("postgres");
    let doc = crate::seed_file("repaired", "001");
    let relative = doc
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .expect("inside the project")
        .display()
        .to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--db", url.as_str()];
        args.extend(extra);
        args.push(relative.as_str());
        let out = Command::new(env!("CARGO_BIN_EXE_pgspec"))
            .args(&args)
            .env("NO_COLOR", "1")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run pgspec");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        redact_scratch_names(&String::from_utf8_lossy(&out.stdout))
    };
    let grouped = run(&[]);
    let lines: Vec<&str> = grouped.lines().collect();
    assert!(lines.len() <= 120, "{} lines:\n{grouped}", lines.len());
    assert!(lines[0].starts_with("error["), "errors first: {}", lines[0]);
    let first_warning = lines
        .iter()
        .position(|l| l.contains("warning["))
        .expect("warnings");
    assert!(
        !lines[first_warning..]
            .iter()
            .any(|l| l.starts_with("error[")),
        "no error after the first warning"
    );
    // 24 columns share one type choice of the ERD: one finding with their lines.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l
                .contains("the type `timestamp` but the SQL makes it `timestamp with time zone`"))
            .count(),
        1
    );
    assert!(lines
        .last()
        .is_some_and(|l| l.starts_with("next: pgspec fix")));
    insta::assert_snapshot!("check_seed_001_default", grouped);

    let verbose = run(&["--verbose"]);
    let json: serde_json::Value =
        serde_json::from_str(&run(&["--format", "json"])).expect("valid JSON");
    let reported = json["documents"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    // The footer counts what it folded and hid; JSON keeps every one of them.
    let footer = lines
        .iter()
        .find(|l| l.contains(" findings from "))
        .expect("a footer line");
    let number_before = |marker: &str| -> usize {
        let head = &footer[..footer.find(marker).expect("marker in footer")];
        head.rsplit([' ', ','])
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse().ok())
            .expect("a number")
    };
    assert_eq!(
        reported.len(),
        number_before(" findings from") + number_before(" info findings hidden"),
        "{footer}"
    );
    for code in ["DRF005", "DRF004", "PG003", "PG001", "LNT401", "LNT402"] {
        assert_eq!(
            verbose.matches(&format!("[{code}:")).count(),
            reported.iter().filter(|d| d["code"] == code).count(),
            "--verbose shows every {code} finding"
        );
    }
}
