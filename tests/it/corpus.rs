//! Documents as teams write them (tests/corpus/): every description style pgspec reads, in
//! English, Korean, Japanese and Chinese, each with an expectation file. And the binary's
//! behaviour on its own bugs and on a closed output pipe.

use std::process::{Command, Stdio};

use crate::postgres::shared_cluster;

fn pgspec() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgspec"));
    cmd.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
    cmd
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    // The reader closes the pipe before pgspec writes (as `pgspec rule | head -1` does once
    // it has its line): every write then fails with a broken pipe.
    for args in [&["rule"][..], &["rule", "LNT201"][..]] {
        let mut child = pgspec()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pgspec");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} printed: {stderr}");
    }
}

#[test]
fn a_panic_in_a_stage_is_an_internal_error_naming_stage_and_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("주문.md");
    std::fs::write(
        &doc,
        "# 주문\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\n```\n",
    )
    .expect("write");
    let url = shared_cluster().url("postgres");
    let doc = doc.display().to_string();
    for stage in ["read", "schema", "check", "lint", "render"] {
        let out = pgspec()
            .args(["check", "--db", &url, &doc])
            .env(pgspec::diagnostics::stage::PANIC_IN_ENV, stage)
            .output()
            .expect("run pgspec");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stage}: {stderr}");
        assert!(
            stderr.contains(&format!("internal error in {stage} on {doc}")),
            "{stage}: {stderr}"
        );
        assert!(!stderr.contains("panicked at"), "{stage}: {stderr}");
    }
}
