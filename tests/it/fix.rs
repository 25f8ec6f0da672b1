//! `pgspec fix` on the seed documents: the diffs it proposes (snapshots), convergence, and what
//! `check` still reports afterwards (only behaviour-changing fixes and human decisions).

use std::process::Command;

use crate::postgres::shared_cluster;

fn pgspec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

fn seed_copy(dir: &tempfile::TempDir, prefix: &str) -> String {
    let source = crate::seed_file("original", prefix);
    let target = dir.path().join(format!("{prefix}.md"));
    std::fs::copy(&source, &target).expect("copy seed");
    target.display().to_string()
}

#[test]
fn seed_fix_diffs_snapshot() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    for seed in ["000", "001", "002", "003", "004"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = seed_copy(&dir, seed);
        let out = pgspec(&["fix", "--unsafe", "--diff", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let diff = String::from_utf8_lossy(&out.stdout).replace(&doc, "DOC");
        insta::assert_snapshot!(format!("fix_diff_{seed}"), diff);
    }
}

#[test]
fn fixed_seeds_keep_only_fixes_for_review_and_decisions_and_fix_converges() {
    let _guard = crate::check::seed_lock();
    let url = shared_cluster().url("postgres");
    for seed in ["000", "001", "003", "004"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let doc = seed_copy(&dir, seed);
        let out = pgspec(&["fix", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let once = std::fs::read(&doc).expect("read");
        let out = pgspec(&["fix", "--db", &url, &doc]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            once,
            std::fs::read(&doc).expect("read"),
            "seed {seed}: fix twice != fix once"
        );

        let out = pgspec(&["check", "--format", "json", "--db", &url, &doc]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let document = &json["documents"][0];
        for d in document["diagnostics"].as_array().expect("diagnostics") {
            assert_ne!(
                d["fix"]["applicability"], "safe",
                "seed {seed}: a safe fix is left after `fix`: {d}"
            );
        }
        // Every failed schema statement has a fix for review or says what a person must decide.
        let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
        for s in document["statements"].as_array().expect("statements") {
            if s["status"] != "failed" || !matches!(s["kind"].as_str(), Some("schema" | "data")) {
                continue;
            }
            let has_review_fix = diagnostics.iter().any(|d| {
                d["line"].as_u64() >= s["line"].as_u64()
                    && d["line"].as_u64() <= s["end_line"].as_u64()
                    && d["fix"]["applicability"] == "unsafe"
            });
            assert!(
                has_review_fix || s["decision"].is_string(),
                "seed {seed}: {s} has neither a fix for review nor a decision"
            );
        }
    }
}
