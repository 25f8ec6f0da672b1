//! Code a document holds outside its fenced blocks, and SQL where pgspec does not read SQL.
//!
//! An indented code block (CommonMark's other kind of code block) that reads as SQL is read
//! like an untagged fenced block that does ([`indented_sql`]). SQL in a fenced block tagged with
//! another language, or in an HTML `<pre>` block (what wiki and notebook exports write), is
//! reported (DOC006), never silently left out.

use crate::classify::{first_code_line, looks_like_sql, psql_heredoc, sql_in_other_block};
use crate::{offset, CodeBlock, SourceMap, TextRange};

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
/// language ([`sql_in_other_block`]), and HTML `<pre>` blocks outside `blocks`.
pub(crate) fn unread_sql(text: &str, blocks: &[CodeBlock]) -> Vec<Unread> {
    let outside = outside_of(blocks);
    let mut found: Vec<Unread> = blocks
        .iter()
        .filter(|b| sql_in_other_block(b))
        .map(|b| match psql_heredoc(&b.code) {
            Some(first) => Unread {
                range: b.fence,
                kind: format!("```{} block's psql here-document", b.lang),
                first_line: first.to_string(),
                help: "copy the statements into a ```sql block to have them applied and checked; leave it if it is a setup step outside the design",
            },
            None => Unread {
                range: b.fence,
                kind: format!("```{} block", b.lang),
                first_line: first_code_line(&b.code).unwrap_or_default().to_string(),
                help: "tag it ```sql to have it applied and checked; leave it if it is not part of the design",
            },
        })
        .collect();
    found.extend(preformatted(text, &outside));
    found.sort_by_key(|u| u.range.start);
    found
}

/// Whether a document offset lies outside every one of `blocks` (fence to last line).
fn outside_of(blocks: &[CodeBlock]) -> impl Fn(usize) -> bool {
    let spans: Vec<(usize, usize)> = blocks.iter().map(span_of).collect();
    move |at| !spans.iter().any(|&(s, e)| s <= at && at <= e)
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

/// CommonMark's indented code blocks outside `blocks` (lines indented four spaces or a tab,
/// after a blank line, not continuing a list item) that read as SQL, as blocks pgspec reads
/// like an untagged fenced block: the indentation left out, every line mapped back to the
/// document. Blank lines inside a block belong to it; trailing ones do not.
pub(crate) fn indented_sql(text: &str, blocks: &[CodeBlock]) -> Vec<CodeBlock> {
    let outside = outside_of(blocks);
    let mut found = Vec::new();
    let mut previous_blank = true;
    let mut in_list = false;
    let mut run: Option<Indented> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let blank = body.trim().is_empty();
        let code = body
            .strip_prefix("    ")
            .map(|c| (4, c))
            .or_else(|| body.strip_prefix('\t').map(|c| (1, c)));
        match (&mut run, code) {
            (Some(r), Some((indent, code))) if !blank => r.push(start + indent, code),
            (Some(r), _) if blank => r.blank(),
            (Some(_), None) => found.extend(run.take().and_then(Indented::into_sql_block)),
            (None, Some((indent, code)))
                if previous_blank && !in_list && !blank && outside(start) =>
            {
                let mut r = Indented::new(start);
                r.push(start + indent, code);
                run = Some(r);
            }
            _ => {}
        }
        if !blank && code.is_none() {
            let trimmed = body.trim_start();
            in_list = is_list_item(trimmed) || (in_list && body.starts_with(' '));
        }
        previous_blank = blank;
    }
    found.extend(run.and_then(Indented::into_sql_block));
    found
}

/// An indented code block being read: its code and where each of its lines came from.
struct Indented {
    start: usize,
    code: String,
    segments: Vec<(u32, u32, u32)>,
    /// Blank lines seen since the last line of code: kept only if code follows.
    pending_blanks: usize,
}

impl Indented {
    fn new(start: usize) -> Self {
        Indented {
            start,
            code: String::new(),
            segments: Vec::new(),
            pending_blanks: 0,
        }
    }

    /// A line of code that starts at document offset `at`.
    fn push(&mut self, at: usize, code: &str) {
        // A blank line maps nowhere of its own: an offset in it lands at the end of the line
        // before, as in a fenced block.
        for _ in 0..std::mem::take(&mut self.pending_blanks) {
            self.code.push('\n');
        }
        if !self.code.is_empty() {
            self.code.push('\n');
        }
        self.segments
            .push((offset(self.code.len()), offset(at), offset(code.len())));
        self.code.push_str(code);
    }

    fn blank(&mut self) {
        self.pending_blanks += 1;
    }

    fn into_sql_block(self) -> Option<CodeBlock> {
        looks_like_sql(&self.code).then(|| CodeBlock {
            lang: String::new(),
            is_sql: true,
            // No fence line: the block's first line stands for it.
            fence: TextRange::empty(offset(self.start)),
            code: self.code,
            source_map: SourceMap {
                segments: self.segments,
            },
            closed: true,
            transcript: false,
        })
    }
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
    fn preformatted_sql_is_found_and_indented_sql_is_read() {
        let text = "# T\n\nThe table:\n\n    CREATE TABLE t (id int);\n\n    CREATE INDEX ON t (id);\n\nAnd:\n\n<pre><code class=\"language-sql\">SELECT a &amp; b\nFROM t WHERE a &lt; 3;\n</code></pre>\n";
        assert_eq!(
            kinds(text),
            [("HTML <pre> block".to_string(), "SELECT a & b".to_string())]
        );
        let (blocks, _) = crate::fences::scan(text);
        let read = indented_sql(text, &blocks);
        assert_eq!(read.len(), 1, "one block, its blank line inside");
        let block = &read[0];
        assert!(block.is_sql && block.closed);
        assert_eq!(
            block.code,
            "CREATE TABLE t (id int);\n\nCREATE INDEX ON t (id);"
        );
        // Every line maps back to its place in the document, past the indentation.
        for word in ["CREATE TABLE", "CREATE INDEX", "(id);"] {
            let in_code = block.code.rfind(word).expect("in the code");
            let in_doc = block.source_map.to_document(offset(in_code)) as usize;
            assert_eq!(&text[in_doc..in_doc + word.len()], word);
        }
        assert_eq!(
            block.fence.start as usize,
            text.find("    CREATE TABLE").expect("line")
        );
    }

    #[test]
    fn indented_text_that_is_not_sql_is_not_read() {
        let text = "# T\n\n    $ psql -f schema.sql\n    done\n";
        let (blocks, _) = crate::fences::scan(text);
        assert!(indented_sql(text, &blocks).is_empty());
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
            let (blocks, _) = crate::fences::scan(text);
            assert!(indented_sql(text, &blocks).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn sql_a_shell_block_feeds_psql_is_found() {
        let text = "# Setup\n\n```bash\nexport PGHOST=db\npsql \"$DATABASE_URL\" <<-'SQL'\n  -- the tables\n  CREATE TABLE t (id int PRIMARY KEY);\nSQL\n```\n\n```sh\ncat <<EOF > notes.txt\nCREATE TABLE is not run here;\nEOF\npsql -f schema.sql\n```\n";
        assert_eq!(
            kinds(text),
            [(
                "```bash block's psql here-document".to_string(),
                "CREATE TABLE t (id int PRIMARY KEY);".to_string()
            )]
        );
    }
}
