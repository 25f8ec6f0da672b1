//! `pgspec erd` and `pgspec report` on a real PostgreSQL: the ERD text of the five seeds
//! (snapshots), the report of each seed in headless Chromium (no console message, every table
//! in the drawing, every error in the page), a hostile document rendered as text, and the
//! picture offered as text when Graphviz is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use pgspec::picture::{gather, html, mermaid, svg};
use pgspec::pipeline;
use pgspec::postgres::Server;

use crate::check::seed_lock;
use crate::postgres::shared_cluster;

const SEEDS: [&str; 5] = ["000", "001", "002", "003", "004"];

fn server() -> Server {
    Server::Url(shared_cluster().url("postgres"))
}

fn pgspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgspec")
}

/// The ERD's mermaid text of each seed, as `pgspec erd --format mermaid` prints it.
#[test]
fn erd_mermaid_of_each_seed() {
    for name in SEEDS {
        let bytes = std::fs::read(crate::seed_file("repaired", name)).expect("read seed");
        let extracted = pipeline::extract(&bytes);
        let (erd, _) = {
            let _guard = seed_lock();
            gather::erd_of(&extracted, &server()).expect("erd")
        };
        insta::assert_snapshot!(format!("erd_{name}"), mermaid::to_mermaid(&erd));
    }
}

/// Seed 001's ERD gives 24 columns `timestamp` that the SQL makes `timestamptz`: the picture
/// marks them; seed 003's ERD misses SQL tables, which are drawn all the same.
#[test]
fn erd_marks_drift_and_draws_every_table_of_the_database() {
    let _guard = seed_lock();
    let bytes = std::fs::read(crate::seed_file("repaired", "001")).expect("read seed");
    let (erd, drift) = gather::erd_of(&pipeline::extract(&bytes), &server()).expect("erd");
    let marked = |code: &str| {
        erd.tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|c| c.drift.iter().any(|d| d.starts_with(code)))
            .count()
    };
    let found = |code: &str| drift.iter().filter(|d| d.code.code() == code).count();
    // 21 of them `timestamp` in the ERD and `timestamptz` in the SQL.
    assert_eq!((marked("DRF005"), found("DRF005")), (24, 24));
    assert_eq!(marked("DRF004"), found("DRF004"), "columns the ERD omits");
    let relationship_drift = erd.edges.iter().filter(|e| !e.drift.is_empty()).count();
    assert_eq!(relationship_drift, found("DRF008"), "{:#?}", erd.edges);
    let dot = pgspec::picture::dot::to_dot(&erd);
    assert!(dot.contains("#c0392b"), "drift is drawn in red");
}

/// A relationship an ERD draws without a foreign key is a dashed red edge, and a column the
/// ERD claims that the table lacks is marked.
#[test]
fn erd_marks_a_relationship_without_foreign_key_and_a_missing_column() {
    let doc = "# Shop\n\n```mermaid\nerDiagram\n    customers ||--o{ orders : places\n    customers {\n        int id PK\n        text email\n        text nickname\n    }\n    orders {\n        int id PK\n        int customer_id\n    }\n```\n\n```sql\nCREATE TABLE customers (id int PRIMARY KEY, email text);\nCREATE TABLE orders (id int PRIMARY KEY, customer_id int);\n```\n";
    let (erd, _) = gather::erd_of(&pipeline::extract(doc.as_bytes()), &server()).expect("erd");
    let edge = erd
        .edges
        .iter()
        .find(|e| !e.foreign_key)
        .unwrap_or_else(|| panic!("no ERD-only edge: {erd:#?}"));
    assert_eq!(
        (edge.from.as_str(), edge.to.as_str()),
        ("orders", "customers")
    );
    let nickname = erd
        .table("customers")
        .and_then(|t| t.columns.iter().find(|c| c.name == "nickname"))
        .expect("nickname drawn");
    assert!(nickname.missing);
    let dot = pgspec::picture::dot::to_dot(&erd);
    assert!(dot.contains("style=dashed"), "{dot}");
    assert!(dot.contains("no foreign key"), "{dot}");
    assert!(mermaid::to_mermaid(&erd).contains("customers ||..o{ orders"));
}

/// A platform's own table that the document references (Supabase's `auth.users`, provided by
/// pgspec's layer) is drawn with its columns, none of them marked as described-but-missing:
/// nothing in the document describes them.
#[test]
fn erd_draws_a_platform_table_without_drift_marks() {
    let doc = "# Profiles\n\n```sql\nCREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE, shown text NOT NULL);\n```\n";
    let (erd, _) = {
        let _guard = seed_lock();
        gather::erd_of(&pipeline::extract(doc.as_bytes()), &server()).expect("erd")
    };
    let users = erd
        .tables
        .iter()
        .find(|t| t.name.ends_with("users"))
        .unwrap_or_else(|| panic!("auth.users drawn: {erd:#?}"));
    assert!(!users.columns.is_empty(), "{users:#?}");
    assert!(users.columns.iter().all(|c| !c.missing), "{users:#?}");
    assert!(!mermaid::to_mermaid(&erd).contains("DRIFT"));
}

/// Headless Chromium (Debian's `chromium`), found on the PATH or installed once with apt-get;
/// `None` (the caller skips, saying why) when neither works.
fn chromium() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let find = || {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join("chromium"))
                        .find(|p| p.is_file())
                })
            };
            if let Some(found) = find() {
                return Some(found);
            }
            let installed = Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "-qq",
                    "--no-install-recommends",
                    "chromium",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output()
                .is_ok_and(|o| o.status.success());
            installed.then(find).flatten()
        })
        .as_deref()
}

// The skip is said on stderr: a test that did not run must not look like one that passed.
#[allow(clippy::print_stderr)]
fn skip_without_chromium() -> Option<&'static Path> {
    let found = chromium();
    if found.is_none() {
        eprintln!(
            "SKIPPED: headless Chromium is not installed and `apt-get install chromium` did not work here; install Debian's chromium package to run this test"
        );
    }
    found
}

/// What Chromium made of a page: the DOM after parsing, and every console message.
struct Rendered {
    dom: String,
    console: Vec<String>,
}

/// Load `page` in headless Chromium: a screenshot to `png` (phone width), the DOM, and the
/// console messages of both loads.
fn render(chromium: &Path, page: &Path, png: &Path) -> Rendered {
    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!("file://{}", page.display());
    let run = |action: &str| {
        let out = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=412,2400",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(action)
            .arg(&url)
            .output()
            .expect("run chromium");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let shot = run(&format!("--screenshot={}", png.display()));
    let dom = run("--dump-dom");
    let console = [&shot.stderr, &dom.stderr]
        .iter()
        .flat_map(|e| {
            String::from_utf8_lossy(e)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.contains(":CONSOLE"))
        .collect();
    Rendered {
        dom: String::from_utf8_lossy(&dom.stdout).into_owned(),
        console,
    }
}

/// Text as a browser serializes a text node (`&`, `<`, `>`, no-break space escaped).
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// The detector sees what it must: a page with a script (blocked by the same policy as ours)
/// and a load from the network both log to the console.
#[test]
fn chromium_console_messages_are_seen() {
    let Some(chromium) = skip_without_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"></head><body><script>console.log(1)</script><img src=\"https://example.invalid/x.png\"></body></html>",
    )
    .expect("write");
    let rendered = render(chromium, &page, &dir.path().join("bad.png"));
    let seen = |what: &str| rendered.console.iter().any(|l| l.contains(what));
    assert!(
        seen("inline script") && seen("example.invalid"),
        "{:?}",
        rendered.console
    );
}

/// The acceptance: each seed's report renders in headless Chromium with no console message;
/// every table of the document (its merged model, from `check`) is in the ERD drawing and
/// every error `pgspec check` reports is in the page.
#[test]
fn report_of_each_seed_renders_in_chromium() {
    let Some(chromium) = skip_without_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let url = shared_cluster().url("postgres");
    for name in SEEDS {
        let seed = crate::seed_file("repaired", name);
        let page = dir.path().join(format!("{name}.html"));
        let (out, model, check) = {
            let _guard = seed_lock();
            let out = pgspec(&[
                "report",
                "--db",
                &url,
                "--rows",
                "20",
                "-o",
                &page.display().to_string(),
                &seed.display().to_string(),
            ]);
            let bytes = std::fs::read(&seed).expect("read seed");
            let (model, _) = pipeline::model(pipeline::extract(&bytes), &server()).expect("model");
            let check = pgspec(&[
                "check",
                "--db",
                &url,
                "--format",
                "json",
                &seed.display().to_string(),
            ]);
            (out, model, check)
        };
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rendered = render(chromium, &page, &dir.path().join(format!("{name}.png")));
        assert!(
            std::fs::metadata(dir.path().join(format!("{name}.png")))
                .is_ok_and(|m| m.len() > 10_000),
            "{name}: a screenshot was taken"
        );
        assert!(
            rendered.console.is_empty(),
            "{name}: {:?}",
            rendered.console
        );
        let start = rendered
            .dom
            .find("<svg")
            .expect("an SVG drawing in the page");
        let end = rendered.dom[start..].find("</svg>").expect("svg ends") + start;
        let drawing = &rendered.dom[start..end];
        let missing: Vec<&str> = model
            .tables
            .iter()
            .map(|t| t.name.as_str())
            .filter(|t| !drawing.contains(&format!(">{}<", dom_text(t))))
            .collect();
        assert!(
            missing.is_empty(),
            "{name}: tables not in the ERD: {missing:?}"
        );
        let json: serde_json::Value = serde_json::from_slice(&check.stdout).expect("check json");
        let errors: Vec<(u64, String, String)> = json["documents"][0]["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| {
                (
                    d["line"].as_u64().expect("line"),
                    d["code"].as_str().expect("code").to_string(),
                    d["message"].as_str().expect("message").to_string(),
                )
            })
            .collect();
        assert!(
            !errors.is_empty() || name == "002",
            "{name}: the seeds have errors"
        );
        for (line, code, message) in &errors {
            let shown = format!(
                "{} <code>{code}</code></h3><p class=\"muted\">line {line} ·",
                dom_text(message)
            );
            assert!(
                rendered.dom.contains(&shown),
                "{name}: error at line {line} not in the page: {message}"
            );
        }
    }
}

/// A document whose identifiers, comments, ERD and prose carry HTML and script: the page
/// shows them as text, and holds no script, link, style or handler of the document's.
#[test]
fn a_hostile_document_renders_as_text() {
    let payload = "<script>alert(1)</script>";
    let doc = format!(
        "# <link rel=\"stylesheet\" href=\"https://evil.example/x.css\"> <style>body{{display:none}}</style>\n\n\
         ```mermaid\nerDiagram\n    evil {{\n        int id PK \"<img src=x onerror=alert(2)>\"\n        text ghost \"</svg><a href='https://evil.example'>x</a>\"\n    }}\n```\n\n\
         ```sql\n-- {payload}\nCREATE TABLE \"{payload}\" (\n  id int PRIMARY KEY,\n  \"<img src=x onerror=alert(3)>\" text\n);\n\
         COMMENT ON TABLE \"{payload}\" IS '<style>*{{color:red}}</style>';\n\
         CREATE TABLE evil (id int PRIMARY KEY, owner int REFERENCES \"{payload}\" (id));\n\
         SELECT * FROM \"</pre><script>alert(4)</script>\";\n```\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hostile.md");
    std::fs::write(&path, &doc).expect("write");
    let page = dir.path().join("hostile.html");
    let out = {
        let _guard = seed_lock();
        pgspec(&[
            "report",
            "--db",
            &shared_cluster().url("postgres"),
            "--rows",
            "5",
            "-o",
            &page.display().to_string(),
            &path.display().to_string(),
        ])
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("page");
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no script element");
    assert!(!lower.contains("<link"), "no link element");
    assert!(!lower.contains("<img"), "no img element");
    assert!(!lower.contains("<a href='http"), "no link out");
    assert_eq!(
        lower.matches("<style").count(),
        1,
        "only our own style element"
    );
    assert!(
        !lower.contains("evil.example/x.css\">"),
        "no document attribute"
    );
    for href in lower.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "only links within the page: {href:.40}"
        );
    }
    assert!(
        !lower.split('<').any(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            tag.split_whitespace().skip(1).any(|a| a.starts_with("on"))
        }),
        "no event handler attribute"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown as text"
    );
    let Some(chromium) = skip_without_chromium() else {
        return;
    };
    let rendered = render(chromium, &page, &dir.path().join("hostile.png"));
    assert!(rendered.console.is_empty(), "{:?}", rendered.console);
    let start = rendered.dom.find("<svg").expect("drawing");
    assert!(
        rendered.dom[start..].contains(&format!(">{}<", dom_text(payload))),
        "the table named with a script is drawn as text"
    );
    assert!(rendered.dom.contains("&lt;img src=x onerror=alert(3)&gt;"));
}

/// Every text field of a page carrying markup: the page has none of it as markup.
#[test]
fn every_field_of_the_page_is_escaped() {
    let evil = "<script>x()</script><style>*{}</style><a href=\"http://e\">";
    let mut page = html::ReportPage::empty();
    page.path = evil.into();
    page.ran = evil.into();
    page.svg = Err(evil.into());
    page.dot = evil.into();
    page.mermaid = evil.into();
    page.figures = vec![html::Figure {
        label: evil.into(),
        value: evil.into(),
    }];
    let finding = html::Finding {
        severity: evil.into(),
        code: evil.into(),
        category: evil.into(),
        message: evil.into(),
        line: 1,
        excerpt: evil.into(),
        fix: evil.into(),
    };
    page.findings = vec![finding.clone()];
    page.drift = vec![finding];
    page.assumptions = vec![html::Assumption {
        kind: evil.into(),
        line: 2,
        what: evil.into(),
        why: evil.into(),
    }];
    page.claims = vec![html::ClaimRow {
        line: 3,
        kind: evil.into(),
        status: evil.into(),
        title: evil.into(),
        reason: evil.into(),
        evidence: evil.into(),
    }];
    page.rows = vec![(evil.into(), 7)];
    page.notes = vec![evil.into()];
    let out = html::to_html(&page);
    assert!(!out.contains("<script"));
    assert!(!out.contains("<a href=\"http"));
    assert_eq!(out.matches("<style").count(), 1);
    assert!(out.matches("&lt;script&gt;").count() >= 20);
}

/// A drawing of a table whose name is markup: Graphviz draws it as text and the allowlist
/// lets the drawing through.
#[test]
#[allow(clippy::print_stderr)]
fn graphviz_draws_markup_names_as_text() {
    if Command::new("dot").arg("-V").output().is_err() {
        eprintln!("SKIPPED: Graphviz's dot is not installed (scripts/setup.sh installs it)");
        return;
    }
    let doc = "```sql\nCREATE TABLE \"<script>alert(1)</script>\" (id int PRIMARY KEY, \"<b onclick=x>\" text);\n```\n";
    let (erd, _) = gather::erd_of(&pipeline::extract(doc.as_bytes()), &server()).expect("erd");
    let dot = pgspec::picture::dot::to_dot(&erd);
    let out = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(dot.as_bytes())?;
            child.wait_with_output()
        })
        .expect("dot");
    let drawing = svg::safe_svg(&String::from_utf8_lossy(&out.stdout)).expect("allowed");
    assert!(
        drawing.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{drawing}"
    );
    assert!(!drawing.contains("<script"));
}

/// Without Graphviz, `erd` says so, exits 2 and leaves the DOT and mermaid text beside the
/// file it was asked for.
#[test]
fn erd_without_graphviz_offers_the_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("doc.md");
    std::fs::write(
        &doc,
        "```sql\nCREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a);\n```\n",
    )
    .expect("write");
    let svg_file = dir.path().join("erd.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_pgspec"))
        .args(["erd", "--db", &shared_cluster().url("postgres"), "-o"])
        .arg(&svg_file)
        .arg(&doc)
        .env("PGSPEC_DOT", dir.path().join("no-such-dot"))
        .output()
        .expect("run pgspec");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not installed"), "{stderr}");
    assert!(!svg_file.exists());
    let mermaid_text = std::fs::read_to_string(dir.path().join("erd.mmd")).expect("mermaid kept");
    assert!(mermaid_text.contains("a ||--o{ b"), "{mermaid_text}");
    let dot_text = std::fs::read_to_string(dir.path().join("erd.dot")).expect("dot kept");
    assert!(dot_text.starts_with("digraph erd {"));
}

/// The same document gives the same text (snapshots and reviews rely on it); every table the
/// model names is a node.
#[test]
fn erd_text_is_stable_and_complete() {
    let bytes = std::fs::read(crate::seed_file("repaired", "003")).expect("read seed");
    let _guard = seed_lock();
    let (a, _) = gather::erd_of(&pipeline::extract(&bytes), &server()).expect("erd");
    let (b, _) = gather::erd_of(&pipeline::extract(&bytes), &server()).expect("erd");
    assert_eq!(
        pgspec::picture::dot::to_dot(&a),
        pgspec::picture::dot::to_dot(&b)
    );
    let (model, _) = pipeline::model(pipeline::extract(&bytes), &server()).expect("model");
    let drawn: BTreeSet<&str> = a.tables.iter().map(|t| t.name.as_str()).collect();
    for t in &model.tables {
        assert!(drawn.contains(t.name.as_str()), "{} not drawn", t.name);
    }
}

/// README's exit-code contract for the two commands: `erd` refuses a format it does not have
/// with 2 before any work and exits 0 with a picture; `report` exits 0 when the page was made
/// despite an error in the document, and 1 with `--fail-on error`.
#[test]
fn erd_and_report_follow_the_exit_code_contract() {
    let url = shared_cluster().url("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = dir.path().join("doc.md");
    std::fs::write(
        &doc,
        "```sql\nCREATE TABLE notes (id int PRIMARY KEY);\nCREATE INDEX idx_nope ON no_such_table (x);\n```\n",
    )
    .expect("write");
    let doc = doc.display().to_string();
    for format in ["json", "full", "sarif"] {
        let out = pgspec(&["erd", "--db", &url, "--format", format, &doc]);
        assert_eq!(out.status.code(), Some(2), "erd --format {format}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
    }
    for format in ["mermaid", "dot"] {
        let out = pgspec(&["erd", "--db", &url, "--format", format, &doc]);
        assert_eq!(out.status.code(), Some(0), "erd --format {format}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("notes"));
    }
    let page = dir.path().join("r.html").display().to_string();
    let out = pgspec(&["report", "--db", &url, "--rows", "3", "-o", &page, &doc]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pgspec(&[
        "report",
        "--db",
        &url,
        "--rows",
        "3",
        "--fail-on",
        "error",
        "-o",
        &page,
        &doc,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(
        html.contains("relation &quot;no_such_table&quot; does not exist"),
        "the error is on the page"
    );
}
