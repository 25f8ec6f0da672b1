//! The one registry on a real PostgreSQL: every code pgspec can print has a docs page whose
//! examples run through the real pipeline. A block of the Example section whose info string
//! says `bad` must produce the page's code, one that says `good` must not. `sql`/`typescript`
//! blocks become a one-block document; `markdown` blocks are the whole document. A further word
//! names the stage that reports the code when `check` cannot: `up` (the library's `up`),
//! `seed` (`up`, then `seed`), `verify` (`up`, `seed`, then `verify`); `windows-1252` writes
//! the document in that encoding. `no-run` skips a block; its page must say why. The findings
//! of a `bad` example also keep the registry's fix availability honest.

use std::sync::atomic::{AtomicU32, Ordering};

use pgspec::check::CheckOptions;
use pgspec::diagnostics::{Code, Diagnostic, FixAvailability, Rule};
use pgspec::lint::LintConfig;
use pgspec::pipeline;
use pgspec::postgres::{Cluster, Server};
use pgspec::seed::{self, SeedOptions};
use pgspec::up;
use pgspec::verify;

use crate::check::seed_lock;
use crate::postgres::shared_cluster;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Check,
    Up,
    Seed,
    Verify,
    /// `pgspec diff` from the lines before `-- to` to the lines after it (crate::diff).
    Diff,
}

/// One fenced block of a page's Example section.
#[derive(Debug)]
pub(crate) struct Example {
    lang: String,
    pub(crate) bad: bool,
    pub(crate) stage: Stage,
    windows_1252: bool,
    pub(crate) no_run: bool,
    body: String,
    /// 1-based line of the opening fence in the page.
    pub(crate) line: usize,
}

/// The labelled blocks of the `## Example` section of `docs` (nested fences stay in bodies).
pub(crate) fn examples(docs: &str) -> Vec<Example> {
    let start = docs.find("## Example\n").expect("an Example section");
    let first_line = docs[..start].lines().count() + 1;
    let section = &docs[start..];
    let end = section[1..].find("\n## ").map_or(section.len(), |e| e + 1);
    let lines: Vec<&str> = section[..end].lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let ticks = line.len() - line.trim_start_matches('`').len();
        if ticks < 3 {
            i += 1;
            continue;
        }
        let fence = &line[..ticks];
        let words: Vec<&str> = line[ticks..].split_whitespace().collect();
        let close = (i + 1..lines.len())
            .find(|&j| lines[j].trim_end() == fence)
            .unwrap_or_else(|| panic!("unclosed example fence: {line}"));
        let body = lines[i + 1..close].join("\n");
        if words
            .iter()
            .any(|w| *w == "bad" || *w == "good" || *w == "no-run")
        {
            let has = |w: &str| words.contains(&w);
            out.push(Example {
                lang: words.first().copied().unwrap_or("").to_owned(),
                bad: has("bad"),
                stage: if has("diff") {
                    Stage::Diff
                } else if has("verify") {
                    Stage::Verify
                } else if has("seed") {
                    Stage::Seed
                } else if has("up") {
                    Stage::Up
                } else {
                    Stage::Check
                },
                windows_1252: has("windows-1252"),
                no_run: has("no-run"),
                body,
                line: first_line + i,
            });
        }
        i = close + 1;
    }
    out
}

/// The document an example stands for, as bytes.
pub(crate) fn document(rule: Rule, ex: &Example) -> Vec<u8> {
    let text = if ex.lang == "markdown" {
        format!("{}\n", ex.body)
    } else {
        format!("# {}\n\n```{}\n{}\n```\n", rule.name(), ex.lang, ex.body)
    };
    if ex.windows_1252 {
        // Latin-1 letters have the same byte in windows-1252.
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a windows-1252 example is Latin-1"))
            .collect()
    } else {
        text.into_bytes()
    }
}

/// The shared cluster as pgspec's own server (the document runs as the unprivileged role).
fn own_server() -> Server {
    let c = shared_cluster();
    Server::Embedded(Cluster::ensure(&c.root, &c.bins).expect("the shared cluster runs"))
}

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pgspec_t_rule_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Every diagnostic the example's stage (and the stages before it) reports.
fn run(bytes: &[u8], stage: Stage) -> Vec<Diagnostic> {
    if stage == Stage::Check {
        let _guard = seed_lock();
        let server = Server::Url(shared_cluster().url("postgres"));
        let (_, report) = pipeline::check_and_lint(
            pipeline::extract(bytes),
            &server,
            &CheckOptions::default(),
            &LintConfig::default(),
        )
        .expect("check and lint run");
        return report.diagnostics;
    }
    let server = own_server();
    let name = unique_name();
    let mut found = Vec::new();
    {
        let _guard = seed_lock();
        let report =
            up::up(pipeline::extract(bytes), bytes, &server, &name, true).expect("up runs");
        if let Some((_, check)) = report.check {
            found.extend(check.diagnostics);
        }
    }
    if stage != Stage::Up {
        let extracted = pipeline::extract(bytes);
        let options = SeedOptions {
            rows: 50,
            ..SeedOptions::default()
        };
        let report = seed::seed(
            &extracted.document,
            &extracted.statements,
            &server,
            &name,
            &options,
            &mut pgspec::seed::NoProgress,
        )
        .expect("seed runs");
        found.extend(report.diagnostics);
        if stage == Stage::Verify {
            let report = verify::verify(&extracted.document, &extracted.statements, &server, &name)
                .expect("verify runs");
            found.extend(report.diagnostics);
        }
    }
    let _ = up::down(&server, &name);
    found
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {} {}", d.code.as_str(), d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Run every example of `rules`; a list of what went wrong.
fn check_pages(rules: &[Rule]) -> Vec<String> {
    let mut failures = Vec::new();
    for &rule in rules {
        let docs = rule.docs();
        let examples = examples(docs);
        if !examples.iter().any(|e| e.bad) {
            failures.push(format!("{}: no `bad` example", rule.code()));
        }
        for ex in &examples {
            if ex.no_run {
                if !docs.contains("Not run by the docs test:") {
                    failures.push(format!(
                        "{}: a `no-run` example without a \"Not run by the docs test:\" reason",
                        rule.code()
                    ));
                }
                continue;
            }
            let found = if ex.stage == Stage::Diff && rule == Rule::MigrationHazardNotAllowed {
                crate::migrate_up::example_findings(&ex.body)
            } else if ex.stage == Stage::Diff {
                crate::diff::example_findings(&ex.body)
            } else {
                run(&document(rule, ex), ex.stage)
            };
            let fired = found.iter().any(|d| d.code == rule);
            let mine = found.iter().filter(|d| d.code == rule);
            let fixed = mine.clone().filter(|d| d.fix.is_some()).count();
            let wrong_fix = match rule.fix_availability() {
                FixAvailability::Never => fixed > 0,
                FixAvailability::Always => fixed < mine.count(),
                FixAvailability::Sometimes => false,
            };
            if wrong_fix {
                failures.push(format!(
                    "{}: fix availability is {} but {fixed} of its findings carry a fix",
                    rule.code(),
                    rule.fix_availability().as_str()
                ));
            }
            if fired != ex.bad {
                failures.push(format!(
                    "{} ({}) example at docs line {}: {} {} but found:\n{}",
                    rule.code(),
                    rule.name(),
                    ex.line,
                    if ex.bad { "bad" } else { "good" },
                    if ex.bad {
                        "must produce it"
                    } else {
                        "must not produce it"
                    },
                    describe(&found)
                ));
            }
        }
    }
    failures
}

fn assert_pages(prefixes: &[&str]) {
    let rules: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|r| prefixes.iter().any(|p| r.code().starts_with(p)))
        .collect();
    assert!(!rules.is_empty());
    let failures = check_pages(&rules);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_code_is_covered_by_one_of_the_docs_tests() {
    let families = [
        "DOC", "SQL", "PG", "ERD", "DRF", "LNT", "SEED", "VER", "DIF",
    ];
    for rule in Rule::ALL {
        assert!(
            families.iter().any(|f| rule.code().starts_with(f)),
            "{} has a prefix no docs test runs",
            rule.code()
        );
    }
}

#[test]
fn document_and_syntax_docs_examples() {
    assert_pages(&["DOC", "SQL", "ERD"]);
}

#[test]
fn server_docs_examples() {
    assert_pages(&["PG"]);
}

#[test]
fn drift_docs_examples() {
    assert_pages(&["DRF"]);
}

#[test]
fn lint_docs_examples() {
    assert_pages(&["LNT"]);
}

#[test]
fn diff_docs_examples() {
    assert_pages(&["DIF"]);
}

#[test]
fn seed_and_verify_docs_examples() {
    assert_pages(&["SEED", "VER"]);
}

#[test]
fn the_examples_parser_reads_labels_and_nested_fences() {
    let page = "# x (X1)\n\n## Example\n````markdown bad windows-1252\n# d\n\n```sql\nSELECT 1;\n```\n````\n\n```sql good seed\nSELECT 2;\n```\n\n## Fix safety\n```sql bad\nnot an example\n```\n";
    let found = examples(page);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].bad && found[0].windows_1252 && found[0].lang == "markdown");
    assert_eq!(found[0].body, "# d\n\n```sql\nSELECT 1;\n```");
    assert_eq!(found[0].line, 4);
    assert!(!found[1].bad && found[1].stage == Stage::Seed && found[1].body == "SELECT 2;");
    let code: Code = Rule::StatementRejected;
    assert_eq!(code.as_str(), "PG001");
}

// --- `pgspec rule`, `pgspec.toml` and `pgspec-ignore` for every code ---------------------

fn pgspec(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

#[test]
fn rule_lists_and_explains_every_code() {
    let list = pgspec(&["rule"]);
    assert_eq!(list.status.code(), Some(0));
    let listed = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), Rule::ALL.len(), "{listed}");
    for (line, rule) in lines.iter().zip(Rule::ALL) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..2], [rule.code(), rule.name()], "{line}");
    }
    for rule in Rule::ALL {
        for key in [rule.code(), rule.name()] {
            let out = pgspec(&["rule", key]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "pgspec rule {key}: {text}");
            assert!(
                text.starts_with(&format!("# {} ({})", rule.name(), rule.code()))
                    && text.contains("## Example")
                    && text.contains(&format!("phase: {}", rule.phase().as_str())),
                "pgspec rule {key}:\n{text}"
            );
        }
    }
    let lowercase = pgspec(&["rule", "drf002"]);
    assert!(String::from_utf8_lossy(&lowercase.stdout).starts_with("# table-not-in-erd (DRF002)"));
    assert_eq!(pgspec(&["rule", "PG999"]).status.code(), Some(2));
}

/// Check (and lint) `text` with `config`; `(line, code)` of every finding, and the summary's
/// error and warning counts.
fn findings(text: &str, config: &LintConfig) -> (Vec<(u32, &'static str)>, usize, usize) {
    let _guard = seed_lock();
    let server = Server::Url(shared_cluster().url("postgres"));
    let (doc, report) = pipeline::check_and_lint(
        pipeline::extract(text.as_bytes()),
        &server,
        &CheckOptions::default(),
        config,
    )
    .expect("check and lint run");
    let found = report
        .diagnostics
        .iter()
        .map(|d| (doc.line_index.line(d.primary.range.start), d.code.as_str()))
        .collect();
    let count = |s| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    assert_eq!(
        (report.summary.errors, report.summary.warnings),
        (
            count(pgspec::diagnostics::Severity::Error),
            count(pgspec::diagnostics::Severity::Warning)
        ),
        "the summary counts what is reported"
    );
    (found, report.summary.errors, report.summary.warnings)
}

fn config(toml: &str) -> LintConfig {
    LintConfig::parse(toml, std::path::Path::new("pgspec.toml")).expect("valid config")
}

fn codes(found: &[(u32, &'static str)]) -> Vec<&'static str> {
    let mut c: Vec<&str> = found.iter().map(|(_, c)| *c).collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// A document with a server error (PG001), a forward reference (PG003), drift (DRF002,
/// DRF003) and a lint finding (LNT404).
const MIXED: &str = "# Shop

```mermaid
erDiagram
    USERS {
        bigint id PK
        text email
    }
```

```sql
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), placed_at timestamp);
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE INDEX ON orders (user_id);
CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz, missing_ref bigint REFERENCES nowhere (id));
```
";

#[test]
fn config_selects_and_ignores_every_code_in_check_output() {
    let (all, errors, _) = findings(MIXED, &LintConfig::default());
    let all_codes = codes(&all);
    for code in ["PG001", "PG003", "DRF002", "DRF003", "LNT404"] {
        assert!(all_codes.contains(&code), "{code} in {all:?}");
    }
    assert!(errors >= 1);

    let (ignored, errors_ignored, _) = findings(
        MIXED,
        &config("[lint]\nignore = [\"PG001\", \"forward-reference\", \"DRF\"]\n"),
    );
    let ignored_codes = codes(&ignored);
    for code in ["PG001", "PG003", "DRF002", "DRF003"] {
        assert!(!ignored_codes.contains(&code), "{code} in {ignored:?}");
    }
    assert!(ignored_codes.contains(&"LNT404"), "{ignored:?}");
    assert_eq!(errors_ignored, 0, "{ignored:?}");

    let (selected, _, _) = findings(MIXED, &config("[lint]\nselect = [\"DRF\"]\n"));
    let selected_codes = codes(&selected);
    assert!(
        !selected_codes.is_empty() && selected_codes.iter().all(|c| c.starts_with("DRF")),
        "{selected:?}"
    );

    let per_file = config("[lint]\n[lint.per-file-ignores]\n\"legacy/*.md\" = [\"PG\"]\n");
    let (legacy, _, _) = findings(
        MIXED,
        &per_file.for_document(std::path::Path::new("legacy/shop.md")),
    );
    assert!(
        !codes(&legacy).iter().any(|c| c.starts_with("PG")),
        "{legacy:?}"
    );
}

#[test]
fn pgspec_ignore_suppresses_every_code_and_unused_ones_are_reported() {
    let text = "# Shop

<!-- pgspec-ignore: column-not-in-sql -->
```mermaid
erDiagram
    USERS {
        bigint id PK
        text email
    }
```

<!-- pgspec-ignore table-not-in-erd -->
```sql
-- pgspec-ignore forward-reference
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), placed_at timestamptz);
CREATE TABLE users (id bigint PRIMARY KEY);
-- pgspec-ignore PG003
CREATE INDEX ON orders (user_id);
-- pgspec-ignore PG001, LNT404
CREATE TABLE audit (id bigint PRIMARY KEY, missing_ref bigint REFERENCES nowhere (id));
```
";
    let (found, errors, _) = findings(text, &LintConfig::default());
    let found_codes = codes(&found);
    for code in ["PG001", "PG003", "DRF002", "DRF003"] {
        assert!(!found_codes.contains(&code), "{code} in {found:?}");
    }
    assert_eq!(errors, 0, "{found:?}");
    // `LNT404` on the audit table suppresses nothing (it has no timestamp column).
    let unused: Vec<u32> = found
        .iter()
        .filter(|(_, c)| *c == "LNT001")
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(unused, [19], "{found:?}");

    // Without the findings they were written for, every kind of suppression is reported.
    let clean = "# Shop

<!-- pgspec-ignore: column-not-in-sql -->
```mermaid
erDiagram
    USERS {
        bigint id PK
    }
```

<!-- pgspec-ignore DRF002 -->
```sql
-- pgspec-ignore statement-rejected
CREATE TABLE users (id bigint PRIMARY KEY);
-- pgspec-ignore-file PG003
-- pgspec-ignore NOPE123
CREATE INDEX ON users (id);
```
";
    let (found, _, _) = findings(clean, &LintConfig::default());
    let unused: Vec<u32> = found
        .iter()
        .filter(|(_, c)| *c == "LNT001")
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(unused, [3, 11, 13, 15, 16], "{found:?}");
    // A suppression of a code the configuration switches off is not stale.
    let (found, _, _) = findings(clean, &config("[lint]\nignore = [\"PG\", \"DRF\"]\n"));
    let unused: Vec<u32> = found
        .iter()
        .filter(|(_, c)| *c == "LNT001")
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(unused, [16], "{found:?}");
}

#[test]
fn check_and_lint_commands_read_pgspec_toml_for_every_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Doc\n\n```sql\nCREATE TABLE a (id bigint PRIMARY KEY, b_id bigint REFERENCES b (id));\n```\n",
    )
    .expect("write doc");
    let doc = doc.display().to_string();
    let url = shared_cluster().url("postgres");
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--format", "concise", "--db", &url];
        all.extend_from_slice(args);
        all.push(&doc);
        pgspec(&all)
    };
    let before = check(&[]);
    assert_eq!(before.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&before.stdout).contains("PG001"));
    std::fs::write(
        dir.path().join("pgspec.toml"),
        "[lint]\nignore = [\"statement-rejected\", \"LNT\"]\n",
    )
    .expect("write config");
    let after = check(&[]);
    let stdout = String::from_utf8_lossy(&after.stdout);
    assert_eq!(after.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("PG001") && stdout.contains("0 errors"),
        "{stdout}"
    );
}
