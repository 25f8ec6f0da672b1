//! The report as one self-contained HTML page: our own CSS inline, the ERD and the row chart
//! as inline SVG, no script and nothing loaded from anywhere (a Content-Security-Policy says
//! so to the browser too). Every piece of document text is escaped on its way in.

use std::fmt::Write;

use serde::Serialize;

use crate::text::{escape_html, shorten};

/// Everything the page shows, as text and numbers (built by [`crate::gather`]).
#[derive(Clone, Debug, Serialize)]
pub struct ReportPage {
    /// The document's path as given.
    pub path: String,
    /// What the command ran, one sentence (`check, then up, seed and verify on …`).
    pub ran: String,
    /// The ERD drawing (already through [`crate::svg::safe_svg`]), or why there is none.
    pub svg: Result<String, String>,
    pub dot: String,
    pub mermaid: String,
    pub figures: Vec<Figure>,
    pub findings: Vec<Finding>,
    pub assumptions: Vec<Assumption>,
    pub claims: Vec<ClaimRow>,
    pub drift: Vec<Finding>,
    /// Rows per table after seeding, in seeding order.
    pub rows: Vec<(String, u64)>,
    /// Stages that did not run or stopped, and why.
    pub notes: Vec<String>,
}

impl ReportPage {
    /// A page with nothing on it yet (no drawing: `svg` says why).
    pub fn empty() -> ReportPage {
        ReportPage {
            path: String::new(),
            ran: String::new(),
            svg: Err("not drawn".into()),
            dot: String::new(),
            mermaid: String::new(),
            figures: Vec::new(),
            findings: Vec::new(),
            assumptions: Vec::new(),
            claims: Vec::new(),
            drift: Vec::new(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// One number of the summary (`tables`, `12`).
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

/// A finding with its source excerpt and fix.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub code: String,
    pub category: String,
    pub message: String,
    pub line: u32,
    /// The rustc-style excerpt (plain text).
    pub excerpt: String,
    /// `safe fix: …`, `behaviour-changing fix: …`, or empty.
    pub fix: String,
}

/// Something `up` did beyond the document as written: a fix it applied, an assumption it
/// made, a partition or shim it added.
#[derive(Clone, Debug, Serialize)]
pub struct Assumption {
    /// The statement's status (`fixed`, `assumed`, …) or the provisioning action's kind.
    pub kind: String,
    /// 0 when it is not tied to a line.
    pub line: u32,
    pub what: String,
    pub why: String,
}

/// A `verify` claim with its evidence.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimRow {
    pub line: u32,
    pub kind: String,
    /// `pass`, `fail` or `skip`.
    pub status: String,
    pub title: String,
    pub reason: String,
    /// The evidence as indented JSON (plans, row counts per user, …).
    pub evidence: String,
}

/// Evidence longer than this is cut (a plan of a big query).
const EVIDENCE_CHARS: usize = 4000;

const STYLE: &str = r#"
:root { --fg:#1d2327; --muted:#5f6b73; --line:#d5dbdf; --bg:#ffffff; --panel:#f5f7f8;
  --error:#c0392b; --warning:#b9770e; --info:#2e86c1; --pass:#1e8449; --skip:#7f8c8d; }
* { box-sizing:border-box; }
body { margin:0; font:16px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:64rem; margin:0 auto; padding:1rem; }
h1 { font-size:1.4rem; margin:.2rem 0; overflow-wrap:anywhere; }
h2 { font-size:1.15rem; margin:1.6rem 0 .5rem; border-bottom:1px solid var(--line); padding-bottom:.2rem; }
h3 { font-size:1rem; margin:0 0 .3rem; overflow-wrap:anywhere; }
p { margin:.3rem 0; }
.muted { color:var(--muted); font-size:.9rem; }
nav { display:flex; flex-wrap:wrap; gap:.3rem .9rem; font-size:.9rem; margin:.5rem 0; }
nav a { color:var(--info); }
.figures { display:grid; grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr)); gap:.5rem; }
.figure { background:var(--panel); border-radius:6px; padding:.5rem .7rem; }
.figure b { display:block; font-size:1.3rem; }
.figure span { color:var(--muted); font-size:.85rem; }
.scroll { overflow:auto; border:1px solid var(--line); border-radius:6px; background:#fff; max-height:80vh; }
.scroll svg { display:block; }
.drawing svg { max-width:100%; height:auto; }
pre { background:var(--panel); padding:.6rem; border-radius:6px; overflow-x:auto; font-size:.8rem; line-height:1.35; margin:.4rem 0; }
article { border-left:4px solid var(--line); padding:.4rem .7rem; margin:.7rem 0; background:#fcfcfd; }
article.error, article.fail { border-color:var(--error); }
article.warning { border-color:var(--warning); }
article.info { border-color:var(--info); }
article.pass { border-color:var(--pass); }
article.skip { border-color:var(--skip); }
.badge { display:inline-block; font-size:.75rem; font-weight:600; padding:0 .4rem; border-radius:4px; color:#fff; vertical-align:middle; }
.badge.error, .badge.fail { background:var(--error); } .badge.warning { background:var(--warning); }
.badge.info { background:var(--info); } .badge.pass { background:var(--pass); } .badge.skip { background:var(--skip); }
.fix { color:var(--pass); }
details summary { cursor:pointer; color:var(--muted); font-size:.9rem; }
.legend { font-size:.85rem; color:var(--muted); }
.legend i { color:var(--error); font-style:normal; }
ul { padding-left:1.2rem; }
li { margin:.25rem 0; overflow-wrap:anywhere; }
"#;

/// The page for `report`.
pub fn to_html(report: &ReportPage) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let path = escape_html(&report.path);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>pgspec report: {path}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    let _ = writeln!(
        h,
        "<header><p class=\"muted\">pgspec report</p><h1>{path}</h1><p class=\"muted\">{}</p></header>",
        escape_html(&report.ran)
    );
    h.push_str(
        "<nav><a href=\"#figures\">Figures</a><a href=\"#erd\">ERD</a><a href=\"#findings\">Findings</a>\
         <a href=\"#assumptions\">Assumptions</a><a href=\"#claims\">Claims</a><a href=\"#drift\">Drift</a>\
         <a href=\"#rows\">Rows</a></nav>\n",
    );
    figures(&mut h, report);
    erd(&mut h, report);
    findings(
        &mut h,
        "findings",
        "Findings",
        &report.findings,
        "no findings",
    );
    assumptions(&mut h, report);
    claims(&mut h, report);
    findings(
        &mut h,
        "drift",
        "Drift (document vs database)",
        &report.drift,
        "the ERDs, column tables and prose agree with the database",
    );
    rows(&mut h, report);
    if !report.notes.is_empty() {
        h.push_str("<h2 id=\"notes\">Notes</h2>\n<ul>\n");
        for n in &report.notes {
            let _ = writeln!(h, "<li>{}</li>", escape_html(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<p class=\"muted\">Made by pgspec; this page loads nothing and runs no script.</p>\n</main>\n</body>\n</html>\n");
    h
}

fn figures(h: &mut String, report: &ReportPage) {
    h.push_str("<h2 id=\"figures\">Figures</h2>\n<div class=\"figures\">\n");
    for f in &report.figures {
        let _ = writeln!(
            h,
            "<div class=\"figure\"><b>{}</b><span>{}</span></div>",
            escape_html(&f.value),
            escape_html(&f.label)
        );
    }
    h.push_str("</div>\n");
}

fn erd(h: &mut String, report: &ReportPage) {
    h.push_str("<h2 id=\"erd\">ERD: what the document builds</h2>\n");
    match &report.svg {
        Ok(svg) => {
            // Fitted to the page's width: the whole picture at once (pinch or zoom to read a
            // corner on a phone).
            let _ = writeln!(h, "<div class=\"scroll drawing\">{svg}</div>");
            h.push_str(
                "<p class=\"legend\">PK primary key · FK foreign key · UK unique · * not null · \
                 crow's feet: many, bar: one, circle: optional · <i>red</i>: drift (a column \
                 a description claims and the database lacks, a relationship without a foreign \
                 key, a table not in the database)</p>\n",
            );
        }
        Err(why) => {
            let _ = writeln!(
                h,
                "<p>No drawing: {}. The DOT and mermaid text below describe the same picture.</p>",
                escape_html(why)
            );
        }
    }
    let _ = writeln!(
        h,
        "<details><summary>mermaid</summary><pre>{}</pre></details>",
        escape_html_pre(&report.mermaid)
    );
    let _ = writeln!(
        h,
        "<details><summary>Graphviz DOT</summary><pre>{}</pre></details>",
        escape_html_pre(&report.dot)
    );
}

/// Escaped text for a `<pre>`: line breaks kept.
fn escape_html_pre(s: &str) -> String {
    s.lines().map(escape_html).collect::<Vec<_>>().join("\n")
}

fn findings(h: &mut String, id: &str, title: &str, list: &[Finding], none: &str) {
    let _ = writeln!(h, "<h2 id=\"{id}\">{title} ({})</h2>", list.len());
    if list.is_empty() {
        let _ = writeln!(h, "<p class=\"muted\">{none}</p>");
    }
    for f in list {
        let sev = severity_class(&f.severity);
        let _ = write!(
            h,
            "<article class=\"{sev}\"><h3><span class=\"badge {sev}\">{sev}</span> {} <code>{}</code></h3>\
             <p class=\"muted\">line {} · {}</p>",
            escape_html(&f.message),
            escape_html(&f.code),
            f.line,
            escape_html(&f.category)
        );
        if !f.excerpt.is_empty() {
            let _ = write!(h, "<pre>{}</pre>", escape_html_pre(&f.excerpt));
        }
        if !f.fix.is_empty() {
            let _ = write!(h, "<p class=\"fix\">{}</p>", escape_html(&f.fix));
        }
        h.push_str("</article>\n");
    }
}

fn severity_class(s: &str) -> &'static str {
    match s {
        "error" => "error",
        "warning" => "warning",
        _ => "info",
    }
}

fn status_class(s: &str) -> &'static str {
    match s {
        "pass" => "pass",
        "fail" => "fail",
        _ => "skip",
    }
}

fn assumptions(h: &mut String, report: &ReportPage) {
    let _ = writeln!(
        h,
        "<h2 id=\"assumptions\">What <code>up</code> did beyond the document ({})</h2>",
        report.assumptions.len()
    );
    if report.assumptions.is_empty() {
        h.push_str("<p class=\"muted\">nothing: every statement applied as written</p>\n");
        return;
    }
    h.push_str("<ul>\n");
    for a in &report.assumptions {
        let at = if a.line > 0 {
            format!("line {}: ", a.line)
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<li><span class=\"badge info\">{}</span> {at}{}",
            escape_html(&a.kind),
            escape_html(&a.what)
        );
        if !a.why.is_empty() {
            let _ = write!(h, " <span class=\"muted\">— {}</span>", escape_html(&a.why));
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ul>\n");
}

fn claims(h: &mut String, report: &ReportPage) {
    let count = |s: &str| report.claims.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        h,
        "<h2 id=\"claims\">Claims verified on the seeded data ({} passed, {} failed, {} skipped)</h2>",
        count("pass"),
        count("fail"),
        count("skip")
    );
    if report.claims.is_empty() {
        h.push_str("<p class=\"muted\">no claims were checked</p>\n");
    }
    for c in &report.claims {
        let st = status_class(&c.status);
        let _ = write!(
            h,
            "<article class=\"{st}\"><h3><span class=\"badge {st}\">{st}</span> {}</h3><p class=\"muted\">line {} · {}</p>",
            escape_html(&c.title),
            c.line,
            escape_html(&c.kind)
        );
        if !c.reason.is_empty() {
            let _ = write!(h, "<p>{}</p>", escape_html(&c.reason));
        }
        if !c.evidence.is_empty() {
            let _ = write!(
                h,
                "<details><summary>evidence</summary><pre>{}</pre></details>",
                escape_html_pre(&shorten(&c.evidence, EVIDENCE_CHARS))
            );
        }
        h.push_str("</article>\n");
    }
}

/// Row height and label width of the row chart, in SVG units.
const BAR: u64 = 22;
const LABEL_WIDTH: u64 = 220;
const CHART_WIDTH: u64 = 560;

fn rows(h: &mut String, report: &ReportPage) {
    let total: u64 = report.rows.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        h,
        "<h2 id=\"rows\">Rows seeded ({total} in {} tables)</h2>",
        report.rows.len()
    );
    if report.rows.is_empty() {
        h.push_str("<p class=\"muted\">no rows were seeded</p>\n");
        return;
    }
    let max = report
        .rows
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(1)
        .max(1);
    let height = BAR * report.rows.len() as u64 + 4;
    let bar_space = CHART_WIDTH - LABEL_WIDTH - 70;
    let _ = writeln!(
        h,
        "<div class=\"scroll\" style=\"max-height:none\"><svg role=\"img\" aria-label=\"rows seeded per table\" viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" style=\"min-width:22rem\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"14\">"
    );
    for (i, (table, n)) in report.rows.iter().enumerate() {
        let y = BAR * i as u64 + 2;
        let w = (bar_space * n).div_ceil(max).max(u64::from(*n > 0));
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"#2e86c1\"></rect><text x=\"{}\" y=\"{}\">{n}</text>",
            LABEL_WIDTH - 6,
            y + 14,
            escape_html(&shorten(table, 26)),
            y + 3,
            BAR - 6,
            LABEL_WIDTH + w + 4,
            y + 14
        );
    }
    h.push_str("</svg></div>\n");
}
