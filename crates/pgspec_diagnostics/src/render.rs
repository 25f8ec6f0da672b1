//! Rendering diagnostics for people: rustc-style (annotate-snippets) and concise one-liners.
//! JSON lives with the reports that own the statement list (`check::report`).

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::{Diagnostic, Severity};
use crate::text::{LineIndex, TextRange};

/// How far (in lines) a secondary label may be from the primary one and still be drawn in the
/// same excerpt; farther labels become notes, so a cascade does not print 300 lines.
const MAX_EXCERPT_GAP: u32 = 12;

/// The text a diagnostic points into.
pub struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub line_index: &'a LineIndex,
}

/// Render `d` rustc-style. `styled` adds ANSI colours (for terminals).
pub fn render_full(source: &Source<'_>, d: &Diagnostic, styled: bool) -> String {
    let primary_line = source.line_index.line(d.primary.range.start);
    let mut near = vec![(d.primary.range, d.primary.message.as_deref(), true)];
    let mut far_notes = Vec::new();
    for label in &d.secondary {
        let line = source.line_index.line(label.range.start);
        if line.abs_diff(primary_line) <= MAX_EXCERPT_GAP {
            near.push((label.range, label.message.as_deref(), false));
        } else {
            far_notes.push(format!(
                "line {line}: {}",
                label.message.as_deref().unwrap_or("related")
            ));
        }
    }
    let first_line = near
        .iter()
        .map(|(r, _, _)| source.line_index.line(r.start))
        .min()
        .unwrap_or(primary_line);
    let last_line = near
        .iter()
        .map(|(r, _, _)| source.line_index.line(r.end.max(r.start)))
        .max()
        .unwrap_or(primary_line);
    let excerpt_start = source.line_index.line_start(first_line).unwrap_or(0) as usize;
    let excerpt_end = source
        .line_index
        .line_start(last_line + 1)
        .map_or(source.text.len(), |s| s as usize)
        .min(source.text.len());
    let excerpt = source
        .text
        .get(excerpt_start..excerpt_end)
        .unwrap_or("")
        .trim_end_matches(['\n', '\r']);

    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    };
    let id = format!("{}:{}", d.code.as_str(), d.code.name());
    let mut snippet = Snippet::source(excerpt)
        .line_start(first_line as usize)
        .path(source.path)
        .fold(true);
    for (range, message, primary) in &near {
        let span = clamp(*range, excerpt, excerpt_start);
        let kind = if *primary {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let annotation = kind.span(span);
        snippet = snippet.annotation(match message {
            Some(m) => annotation.label(*m),
            None => annotation,
        });
    }
    let mut groups = vec![level
        .primary_title(d.message.as_str())
        .id(id.as_str())
        .element(snippet)];
    let mut footers: Vec<(Level<'_>, String)> = Vec::new();
    footers.push((Level::NOTE, format!("category: {}", d.category.as_str())));
    for note in d.notes.iter().chain(far_notes.iter()) {
        footers.push((Level::NOTE, note.clone()));
    }
    if let Some(help) = &d.help {
        footers.push((Level::HELP, help.clone()));
    }
    if let Some(fix) = &d.fix {
        let applicability = match fix.applicability {
            super::Applicability::Safe => "safe fix",
            super::Applicability::Unsafe => "unsafe fix",
            super::Applicability::DisplayOnly => "suggestion",
            super::Applicability::Assumption => "assumed",
        };
        footers.push((Level::HELP, format!("{applicability}: {}", fix.title)));
    }
    for (level, text) in &footers {
        groups.push(Group::with_title(
            level.clone().secondary_title(text.as_str()),
        ));
    }
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Unicode);
    renderer.render(&groups)
}

/// `path:line:col: severity[CODE] message (category)`.
pub fn render_concise(source: &Source<'_>, d: &Diagnostic) -> String {
    let lc = source
        .line_index
        .line_col(source.text, d.primary.range.start);
    format!(
        "{}:{}:{}: {}[{}] {} ({})",
        source.path,
        lc.line,
        lc.column,
        d.severity.as_str(),
        d.code.as_str(),
        d.message,
        d.category.as_str()
    )
}

/// GitHub Actions workflow command: `::error file=…,line=…,col=…,title=…::message`.
pub fn render_github(source: &Source<'_>, d: &Diagnostic) -> String {
    let lc = source
        .line_index
        .line_col(source.text, d.primary.range.start);
    let end = source.line_index.line(d.primary.range.end);
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    format!(
        "::{level} file={},line={},endLine={},col={},title={} {}::{}",
        escape(source.path).replace(',', "%2C"),
        lc.line,
        end,
        lc.column,
        d.code.as_str(),
        d.code.name(),
        escape(&d.message)
    )
}

/// SARIF 2.1.0 log (one run) for the diagnostics of several documents: `files` pairs each
/// document's [`Source`] with the diagnostics to report. Columns are character columns
/// (`columnKind: unicodeCodePoints`), as everywhere in pgspec. `version` is pgspec's version.
pub fn render_sarif(files: &[(Source<'_>, Vec<&Diagnostic>)], version: &str) -> serde_json::Value {
    use serde_json::json;

    let mut codes: Vec<super::Code> = Vec::new();
    for (_, diagnostics) in files {
        for d in diagnostics {
            if !codes.contains(&d.code) {
                codes.push(d.code);
            }
        }
    }
    codes.sort();
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            let mut rule = json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": {"text": c.summary()},
                "defaultConfiguration": {"level": level(c.default_severity())},
            });
            rule["fullDescription"] = json!({"text": c.summary()});
            rule["help"] = json!({"text": c.docs(), "markdown": c.docs()});
            rule["properties"] = json!({"category": c.category().as_str()});
            rule
        })
        .collect();
    let uri = |path: &str| {
        if path == "-" {
            "stdin".to_owned()
        } else {
            path.replace('\\', "/")
                .replace('%', "%25")
                .replace(' ', "%20")
        }
    };
    let region = |source: &Source<'_>, range: TextRange| {
        let start = source.line_index.line_col(source.text, range.start);
        let end = source
            .line_index
            .line_col(source.text, range.end.max(range.start));
        json!({
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line.max(start.line),
            "endColumn": if end.line > start.line { end.column } else { end.column.max(start.column) },
        })
    };
    let mut results = Vec::new();
    for (source, diagnostics) in files {
        for d in diagnostics {
            let rule_index = codes.iter().position(|c| *c == d.code).unwrap_or(0);
            let location = json!({
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(source.path)},
                    "region": region(source, d.primary.range),
                }
            });
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": {"text": text},
                "locations": [location],
                "properties": {"category": d.category.as_str()},
            });
            if !d.secondary.is_empty() {
                result["relatedLocations"] = d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        json!({
                            "id": i,
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri(source.path)},
                                "region": region(source, l.range),
                            },
                            "message": {"text": l.message.clone().unwrap_or_else(|| "related".to_owned())},
                        })
                    })
                    .collect();
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pgspec",
                "version": version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// `range` as byte offsets into the excerpt, inside it and on character boundaries: a range
/// from a stage with a bug (or into a line the excerpt trims) must not make the renderer slice
/// inside a character.
fn clamp(range: TextRange, excerpt: &str, excerpt_start: usize) -> std::ops::Range<usize> {
    let len = excerpt.len();
    let mut start = (range.start as usize)
        .saturating_sub(excerpt_start)
        .min(len);
    while !excerpt.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (range.end as usize)
        .saturating_sub(excerpt_start)
        .clamp(start, len);
    while !excerpt.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Category, Code};

    use proptest::prelude::*;

    /// Text made of the characters that broke renderers before: CJK, Hangul, emoji (with ZWJ
    /// and variation selectors), combining marks, box drawing, tabs, CR, LF, and ASCII.
    fn hostile_text() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("一".to_string()),
            Just("주문".to_string()),
            Just("テーブル".to_string()),
            Just("👩‍💻".to_string()),
            Just("✅\u{fe0f}".to_string()),
            Just("e\u{301}\u{308}".to_string()),
            Just("┌─┬─┐│└┘".to_string()),
            Just("\t".to_string()),
            Just("\r\n".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\u{200b}".to_string()),
            Just("|".to_string()),
            "[a-z ;(),]{0,6}",
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every renderer, on any UTF-8 text and any ranges (even past the end or inside a
        /// character, as a stage with a bug could produce), returns without panicking.
        #[test]
        fn every_renderer_survives_any_text_and_range(
            text in hostile_text(),
            raw in proptest::collection::vec((0u32..400, 0u32..40), 1..4),
            message in hostile_text(),
        ) {
            let index = LineIndex::new(&text);
            let range = |(start, len): (u32, u32)| TextRange { start, end: start + len };
            let mut d = Diagnostic::new(
                Code::StatementRejected,
                Category::UndefinedObject,
                message.clone(),
                range(raw[0]),
            )
            .label(message.clone())
            .note(message.clone())
            .help(message.clone());
            for r in &raw[1..] {
                d = d.secondary(crate::Label::with_message(range(*r), message.clone()));
            }
            let source = Source { path: "문서 ┃.md", text: &text, line_index: &index };
            let _ = render_full(&source, &d, false);
            let _ = render_full(&source, &d, true);
            let _ = render_concise(&source, &d);
            let _ = render_github(&source, &d);
            let _ = render_sarif(&[(source, vec![&d])], "0");
        }
    }

    #[test]
    fn full_render_points_at_the_character_column_after_hangul() {
        let text = "# 문서\n\nCREATE TABLE 주문 (id nosuchtype);\n";
        let index = LineIndex::new(text);
        let at = text.find("nosuchtype").expect("present") as u32;
        let d = Diagnostic::new(
            Code::StatementRejected,
            Category::UndefinedObject,
            "type \"nosuchtype\" does not exist",
            TextRange::new(at, at + 10),
        )
        .help("define the type");
        let source = Source {
            path: "doc.md",
            text,
            line_index: &index,
        };
        let out = render_full(&source, &d, false);
        assert!(out.contains("doc.md:3:"), "{out}");
        assert!(out.contains("error[PG001:statement-rejected]"), "{out}");
        assert!(out.contains("help: define the type"), "{out}");
        let concise = render_concise(&source, &d);
        assert_eq!(
            concise,
            "doc.md:3:21: error[PG001] type \"nosuchtype\" does not exist (undefined-object)"
        );
    }
}
