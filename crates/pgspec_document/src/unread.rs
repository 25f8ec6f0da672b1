//! SQL that a document holds where pgspec does not read SQL: a fenced block tagged with another
//! language, an indented code block, or an HTML `<pre>` block (what wiki and notebook exports
//! write) outside every fenced block. These are reported (DOC006), never silently left out.

use crate::classify::{first_code_line, looks_like_sql, sql_in_other_block};
use crate::{offset, CodeBlock, TextRange};

/// A place holding SQL that is not read: where it starts, what kind of block it is, and its
/// first line of SQL.
pub(crate) struct Unread {
    pub(crate) range: TextRange,
    pub(crate) kind: String,
    pub(crate) first_line: String,
    /// What the author can do.
    pub(crate) help: &'static str,
}

/// The help of an unfenced block.
const FENCE_IT: &str = "put it in a ```sql fence to have it applied and checked; leave it if it is not part of the design";

/// The blocks of `text` that read as SQL and are not read: fenced blocks tagged with another
/// language ([`sql_in_other_block`]), and indented code blocks and HTML `<pre>` blocks outside
/// `blocks`.
pub(crate) fn unread_sql(text: &str, blocks: &[CodeBlock]) -> Vec<Unread> {
    let fenced: Vec<(usize, usize)> = blocks.iter().map(span_of).collect();
    let outside = |at: usize| !fenced.iter().any(|&(s, e)| s <= at && at <= e);
    let mut found: Vec<Unread> = blocks
        .iter()
        .filter(|b| sql_in_other_block(b))
        .map(|b| Unread {
            range: b.fence,
            kind: format!("```{} block", b.lang),
            first_line: first_code_line(&b.code).unwrap_or_default().to_string(),
            help: "tag it ```sql to have it applied and checked; leave it if it is not part of the design",
        })
        .collect();
    found.extend(indented(text, &outside));
    found.extend(preformatted(text, &outside));
    found.sort_by_key(|u| u.range.start);
    found
}

/// From a fenced block's opening fence to the end of its last line of content.
fn span_of(b: &CodeBlock) -> (usize, usize) {
    let end = b
        .source_map
        .segments
        .last()
        .map_or(b.fence.end, |&(_, at, len)| at + len);
    (b.fence.start as usize, end.max(b.fence.end) as usize)
}

/// CommonMark's indented code blocks: lines indented four spaces (or a tab) after a blank line,
/// not continuing a list item.
fn indented(text: &str, outside: &impl Fn(usize) -> bool) -> Vec<Unread> {
    let mut found = Vec::new();
    let mut previous_blank = true;
    let mut in_list = false;
    let mut run: Option<(usize, String)> = None;
    let mut at = 0;
    let flush = |run: &mut Option<(usize, String)>, found: &mut Vec<Unread>| {
        if let Some((start, code)) = run.take() {
            if looks_like_sql(&code) {
                found.push(Unread {
                    range: TextRange::new(offset(start), offset(start + 4)),
                    kind: "indented code block".into(),
                    first_line: first_code_line(&code).unwrap_or_default().to_string(),
                    help: FENCE_IT,
                });
            }
        }
    };
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let blank = body.trim().is_empty();
        let code = body
            .strip_prefix("    ")
            .or_else(|| body.strip_prefix('\t'));
        match (&mut run, code) {
            (Some((_, text)), Some(code)) => {
                text.push_str(code);
                text.push('\n');
            }
            (Some((_, text)), None) if blank => text.push('\n'),
            (Some(_), None) => flush(&mut run, &mut found),
            (None, Some(code)) if previous_blank && !in_list && !blank && outside(start) => {
                run = Some((start, format!("{code}\n")));
            }
            _ => {}
        }
        if !blank && code.is_none() {
            let trimmed = body.trim_start();
            in_list = is_list_item(trimmed) || (in_list && body.starts_with(' '));
        }
        previous_blank = blank;
    }
    flush(&mut run, &mut found);
    found
}

/// `- x`, `* x`, `+ x`, `1. x`, `1) x`.
fn is_list_item(line: &str) -> bool {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    if digits > 0 {
        return rest.starts_with(". ") || rest.starts_with(") ");
    }
    ["- ", "* ", "+ "].iter().any(|m| line.starts_with(m))
}

/// `<pre>…</pre>` (with or without `<code class="language-sql">` inside), its tags stripped and
/// its entities decoded.
fn preformatted(text: &str, outside: &impl Fn(usize) -> bool) -> Vec<Unread> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = lower[from..].find("<pre").map(|i| from + i) {
        from = open + 4;
        if !lower[from..].starts_with(['>', ' ', '\t', '\n']) || !outside(open) {
            continue;
        }
        let Some(body_start) = lower[open..].find('>').map(|i| open + i + 1) else {
            break;
        };
        let Some(close) = lower[body_start..].find("</pre>").map(|i| body_start + i) else {
            break;
        };
        let code = decode_entities(&strip_tags(&text[body_start..close]));
        if looks_like_sql(&code) {
            found.push(Unread {
                range: TextRange::new(offset(open), offset(open + 4)),
                kind: "HTML <pre> block".into(),
                first_line: first_code_line(&code).unwrap_or_default().to_string(),
                help: FENCE_IT,
            });
        }
        from = close;
    }
    found
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, String)> {
        let (blocks, _) = crate::fences::scan(text);
        unread_sql(text, &blocks)
            .into_iter()
            .map(|u| (u.kind, u.first_line))
            .collect()
    }

    #[test]
    fn indented_and_preformatted_sql_is_found() {
        let text = "# T\n\nThe table:\n\n    CREATE TABLE t (id int);\n    CREATE INDEX ON t (id);\n\nAnd:\n\n<pre><code class=\"language-sql\">SELECT a &amp; b\nFROM t WHERE a &lt; 3;\n</code></pre>\n";
        assert_eq!(
            kinds(text),
            [
                (
                    "indented code block".to_string(),
                    "CREATE TABLE t (id int);".to_string()
                ),
                ("HTML <pre> block".to_string(), "SELECT a & b".to_string()),
            ]
        );
    }

    #[test]
    fn fenced_list_and_prose_indentation_is_not_unread_sql() {
        for text in [
            // A fenced block's own indented lines.
            "```sql\nCREATE TABLE t (\n    id int\n);\n```\n",
            // A list item's continuation.
            "- step one\n\n    CREATE TABLE t (id int);\n",
            // Indented prose, and an indented line right after a paragraph (a continuation).
            "Text\n    CREATE TABLE t (id int);\n\n    Some indented words.\n",
            // A <pre> of a shell session.
            "<pre>$ psql -f schema.sql</pre>\n",
        ] {
            assert!(kinds(text).is_empty(), "{text:?}: {:?}", kinds(text));
        }
    }
}
