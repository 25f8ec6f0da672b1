//! psql session transcripts pasted into a document: every line typed at psql starts with its
//! prompt (`shop=# CREATE TABLE …`, continued as `shop(# …`, `shop-# …`), and the lines
//! without one are psql's answers (`CREATE TABLE`, a `\d` table, `(2 rows)`). A transcript
//! block's SQL is its typed text: the prompts are left out through the source map (so every
//! position still points at the document) and the answers become empty lines (so line
//! numbers inside the block stay as they are).

use crate::{offset, CodeBlock, SourceMap};

/// Languages a transcript is tagged with besides SQL's own: what people paste a terminal
/// session as.
const TRANSCRIPT_LANGS: &[&str] = &[
    "",
    "console",
    "text",
    "txt",
    "plaintext",
    "shell",
    "sh",
    "bash",
    "terminal",
    "shell-session",
];

/// The length of the psql prompt `line` starts with (`db=# `, `db=> `, `db-# `, `db(# `, …,
/// its one following space included) and whether it is the prompt of a new statement
/// (`=`, `^`, `!`) rather than of a continued one.
pub fn prompt(line: &str) -> Option<(usize, bool)> {
    let token_end = line.find([' ', '\t']).unwrap_or(line.len());
    let token = &line[..token_end];
    let mut chars = token.char_indices().rev();
    let (_, last) = chars.next()?;
    let (marker_at, marker) = chars.next()?;
    if !matches!(last, '#' | '>') || marker_at == 0 {
        return None;
    }
    let first = match marker {
        '=' | '^' | '!' => true,
        '-' | '(' | '\'' | '"' | '$' | '*' => false,
        _ => return None,
    };
    let name = &token[..marker_at];
    let name_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | ':' | '/'));
    if !name_ok {
        return None;
    }
    let after = line[token_end..].chars().next();
    match after {
        None => Some((token_end, first)),
        Some(' ') => Some((token_end + 1, first)),
        Some(_) => None,
    }
}

/// Whether `code` is a psql transcript: some line is a new statement's prompt followed by
/// what was typed.
fn is_transcript(code: &str) -> bool {
    code.lines().any(|line| {
        prompt(line).is_some_and(|(len, first)| first && !line[len..].trim().is_empty())
    })
}

/// Turn a transcript block into the SQL typed in it (see the module doc); other blocks are
/// left as they are.
pub(crate) fn read_typed(block: &mut CodeBlock) {
    let lang_ok = crate::classify::SQL_LANGS.contains(&block.lang.as_str())
        || TRANSCRIPT_LANGS.contains(&block.lang.as_str());
    if !lang_ok || !is_transcript(&block.code) {
        return;
    }
    let lines: Vec<&str> = block.code.split('\n').collect();
    if lines.len() != block.source_map.segments.len() {
        return;
    }
    let mut code = String::with_capacity(block.code.len());
    let mut segments = Vec::with_capacity(lines.len());
    for (i, (line, &(_, doc, len))) in lines.iter().zip(&block.source_map.segments).enumerate() {
        if i > 0 {
            code.push('\n');
        }
        match prompt(line) {
            Some((skip, _)) => {
                let typed = &line[skip..];
                let skip = offset(skip).min(len);
                segments.push((offset(code.len()), doc + skip, len - skip));
                code.push_str(typed);
            }
            None => segments.push((offset(code.len()), doc, 0)),
        }
    }
    block.code = code;
    block.source_map = SourceMap { segments };
    block.is_sql = true;
    block.transcript = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_of_new_and_continued_statements() {
        assert_eq!(prompt("shop=# SELECT 1;"), Some((7, true)));
        assert_eq!(prompt("shop=> SELECT 1;"), Some((7, true)));
        assert_eq!(prompt("shop-# FROM t;"), Some((7, false)));
        assert_eq!(prompt("shop(# id int"), Some((7, false)));
        assert_eq!(prompt("my-db'# x"), Some((8, false)));
        assert_eq!(prompt("app@prod=# \\dt"), Some((11, true)));
        assert_eq!(prompt("đặtbàn=#"), Some(("đặtbàn=#".len(), true)));
        for not_prompt in [
            "SELECT 1;",
            "CREATE TABLE",
            " id | name",
            "a=>b",
            "=# x",
            "-- x=# y",
            "(2 rows)",
            "1=# x",
            "x=#y",
        ] {
            assert_eq!(prompt(not_prompt), None, "{not_prompt}");
        }
    }

    #[test]
    fn a_transcript_keeps_what_was_typed_at_its_document_positions() {
        let text = "# T\n\n```psql\nshop=# CREATE TABLE t (\nshop(#   id int\nshop(# );\nCREATE TABLE\nshop=# \\d t\n   Table \"public.t\"\n```\n\n```sql\nSELECT a=> 1;\n```\n";
        let (doc, diagnostics) = crate::read(text.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let b = &doc.blocks[0];
        assert!(b.is_sql && b.transcript);
        assert_eq!(b.code, "CREATE TABLE t (\n  id int\n);\n\n\\d t\n");
        for (i, byte) in b.code.bytes().enumerate() {
            if byte != b'\n' {
                let at = b.source_map.to_document(offset(i)) as usize;
                assert_eq!(text.as_bytes()[at], byte, "at {i}");
            }
        }
        // What a fix inserts before a typed line carries that line's prompt.
        let at = offset(text.find("CREATE TABLE t").expect("typed"));
        assert_eq!(doc.container_prefix(at), Some("shop=# "));
        // A SQL block whose line merely contains `=>` is not a transcript.
        assert!(!doc.blocks[1].transcript);
        assert_eq!(doc.blocks[1].code, "SELECT a=> 1;");
    }
}
