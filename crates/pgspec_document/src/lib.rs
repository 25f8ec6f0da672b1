//! Read a Markdown design document: decode (repairing mis-decoded UTF-8), find the fenced code
//! blocks with a source map from block offsets to document offsets.
//!
//! The stages, in order: [`decode`] turns bytes into text (or refuses binary input),
//! [`mojibake`] reverses UTF-8 that had been mis-decoded as windows-1252 / windows-1254 /
//! Mac Roman (line by line, so line numbers never move), and [`fences`] finds the code blocks,
//! recovering from fences that were never closed.

mod classify;
mod decode;
mod fences;
mod lexicon;
mod mojibake;
mod transcript;
/// The psql prompt a line starts with (its length, and whether it starts a statement).
pub use transcript::prompt as psql_prompt;
mod unread;

use pgspec_diagnostics::text::{LineIndex, TextRange};
use pgspec_diagnostics::{Category, Code, Diagnostic};

/// How the input bytes were turned into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEncoding {
    /// Valid UTF-8, used as is.
    Utf8,
    /// UTF-8 that had been decoded as `codec` (e.g. "windows-1252", "mac-roman") and re-encoded;
    /// reversed line by line. `lines_lossy` lines had lost bytes and hold a guess.
    Repaired {
        codec: &'static str,
        lines_repaired: usize,
        lines_lossy: usize,
    },
}

/// A parsed document. `text` is what all [`TextRange`]s index.
///
/// Invariant: `text` has exactly as many lines as the input file, so line numbers refer to the
/// file as given (columns refer to the repaired text).
#[derive(Clone, Debug)]
pub struct Document {
    pub text: String,
    pub line_index: LineIndex,
    pub blocks: Vec<CodeBlock>,
    pub encoding: SourceEncoding,
}

/// A fenced code block.
#[derive(Clone, Debug)]
pub struct CodeBlock {
    /// The info string's first word, lowercased (`sql`, `typescript`, `` for none).
    pub lang: String,
    /// Whether pgspec treats the block as SQL: tagged sql/postgres/postgresql/plpgsql/psql/pgsql,
    /// or untagged and looking like SQL.
    pub is_sql: bool,
    /// The opening fence line (without its newline).
    pub fence: TextRange,
    /// Block content with container prefixes (list indentation, `>`) removed, `\n`-joined.
    pub code: String,
    /// Maps offsets in `code` to offsets in the document.
    pub source_map: SourceMap,
    /// Whether a proper closing fence was found.
    pub closed: bool,
    /// Whether the block is a psql session transcript: `code` is what was typed at the
    /// prompts, without them, and psql's answers are empty lines.
    pub transcript: bool,
}

/// Piecewise map from code-block offsets to document offsets: one segment per content line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceMap {
    /// `(code_offset, document_offset, len)`, sorted by `code_offset`, each a contiguous run.
    pub segments: Vec<(u32, u32, u32)>,
}

impl SourceMap {
    /// Document offset of code offset `offset` (an offset at a segment's end maps to that end).
    pub fn to_document(&self, offset: u32) -> u32 {
        let idx = match self.segments.binary_search_by(|s| s.0.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => return self.segments.first().map_or(offset, |s| s.1),
            Err(i) => i - 1,
        };
        let (code, doc, len) = self.segments[idx];
        doc + (offset - code).min(len)
    }

    /// Document range of a code range.
    pub fn range_to_document(&self, range: TextRange) -> TextRange {
        let start = self.to_document(range.start);
        let end = self.to_document(range.end).max(start);
        TextRange::new(start, end)
    }
}

impl Document {
    /// What stands before a code line of the block holding document offset `at` on its line
    /// and is not code: an indented code block's indentation, a list item's, a quote's `> `
    /// (empty for a fenced block at the top level). A line an edit inserts there needs it to
    /// stay in the block. None when `at` is in no block's code.
    pub fn container_prefix(&self, at: u32) -> Option<&str> {
        let (_, start, _) = self
            .blocks
            .iter()
            .flat_map(|b| b.source_map.segments.iter())
            .find(|&&(_, start, len)| start <= at && at <= start + len)?;
        let start = *start as usize;
        let line_start = self.text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        self.text.get(line_start..start)
    }

    /// This document as a renderer's source, shown as `path`.
    pub fn source<'a>(&'a self, path: &'a str) -> pgspec_diagnostics::render::Source<'a> {
        pgspec_diagnostics::render::Source {
            path,
            text: &self.text,
            line_index: &self.line_index,
        }
    }
}

/// Read a document from raw bytes. Never panics; problems become diagnostics
/// (DOC001 unclosed fence, DOC002/DOC003 mojibake, DOC004 unreadable input).
/// How a source holds its SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A design document: SQL in fenced code blocks among prose, diagrams and tables.
    Markdown,
    /// A plain `.sql` file: the whole text is one SQL block, at the positions of the file.
    Sql,
}

impl SourceKind {
    /// The kind a file's name says: `.sql` is plain SQL, anything else a design document.
    pub fn of_path(path: &std::path::Path) -> SourceKind {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            SourceKind::Sql
        } else {
            SourceKind::Markdown
        }
    }
}

/// [`read_as`] a design document.
pub fn read(bytes: &[u8]) -> (Document, Vec<Diagnostic>) {
    read_as(bytes, SourceKind::Markdown)
}

/// Decode `bytes` (repairing mis-decoded UTF-8) and find their SQL: the fenced blocks of a
/// design document, or the whole text of a plain SQL file.
pub fn read_as(bytes: &[u8], kind: SourceKind) -> (Document, Vec<Diagnostic>) {
    let decoded = decode::decode(bytes);
    let mut diagnostics = decoded.diagnostics;
    let Some(text) = decoded.text else {
        return (empty_document(), diagnostics);
    };

    // Only text that was valid UTF-8 can be mis-decoded UTF-8; other decodings already replaced
    // what they could not read.
    let repair = match decoded.origin {
        decode::Origin::Utf8 => mojibake::repair(&text),
        decode::Origin::Other => None,
    };
    let (text, encoding) = match repair {
        Some(r) => {
            diagnostics.extend(r.diagnostics);
            let encoding = SourceEncoding::Repaired {
                codec: r.codec,
                lines_repaired: r.lines_repaired,
                lines_lossy: r.lines_lossy,
            };
            (r.text, encoding)
        }
        None => (text, SourceEncoding::Utf8),
    };

    let (mut blocks, fence_diagnostics) = match kind {
        SourceKind::Markdown => fences::scan(&text),
        SourceKind::Sql => (vec![whole_text_block(&text)], Vec::new()),
    };
    diagnostics.extend(fence_diagnostics);
    if kind == SourceKind::Markdown {
        // Indented code that reads as SQL is read like an untagged fenced block, in document
        // order among the fenced ones.
        let indented = unread::indented_sql(&text, &blocks);
        if !indented.is_empty() {
            blocks.extend(indented);
            blocks.sort_by_key(|b| b.fence.start);
        }
    }
    if kind == SourceKind::Markdown {
        for block in &mut blocks {
            transcript::read_typed(block);
        }
    }
    // A plain SQL file is one SQL block: nothing in it goes unread.
    if kind == SourceKind::Markdown {
        diagnostics.extend(unread::unread_sql(&text, &blocks).into_iter().map(|u| {
            Diagnostic::new(
                Code::SqlInOtherBlock,
                Category::Document,
                format!(
                    "this {} holds SQL (`{}`), which pgspec does not read",
                    u.kind, u.first_line
                ),
                u.range,
            )
            .help(u.help)
        }));
    }
    let document = Document {
        line_index: LineIndex::new(&text),
        text,
        blocks,
        encoding,
    };
    (document, diagnostics)
}

/// A plain SQL file's text as one SQL block that maps onto the file one to one (no fence: an
/// edit `fix` writes lands where it belongs).
fn whole_text_block(text: &str) -> CodeBlock {
    CodeBlock {
        lang: "sql".into(),
        is_sql: true,
        fence: TextRange::empty(0),
        code: text.to_string(),
        source_map: SourceMap {
            segments: vec![(0, 0, offset(text.len()))],
        },
        closed: true,
        transcript: false,
    }
}

fn empty_document() -> Document {
    Document {
        text: String::new(),
        line_index: LineIndex::new(""),
        blocks: Vec::new(),
        encoding: SourceEncoding::Utf8,
    }
}

/// A byte offset as `u32`. Inputs are capped at 64 MiB and decoding at most triples their size,
/// so offsets always fit; saturating keeps this total anyway.
pub fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pgspec_diagnostics::{Code, Severity};

    /// For every block, every non-newline byte of `code` is the document byte it maps to.
    fn assert_exact(doc: &Document) {
        for block in &doc.blocks {
            for (i, byte) in block.code.bytes().enumerate() {
                if byte != b'\n' {
                    let at = block.source_map.to_document(offset(i)) as usize;
                    assert_eq!(doc.text.as_bytes()[at], byte);
                }
            }
        }
    }

    const MIXED: &str = "# 설계\n\n```sql\nCREATE TABLE a (id int); -- 주문\n```\n\n1. 목록:\n\n   ```sql\n   SELECT 1;\n     -- 들여쓰기\n   ```\n\n> ~~~postgresql\n> SELECT 2;\n> ~~~\n\n```\nMaster Key\n└── DEK\n```\n";

    #[test]
    fn a_lines_container_prefix_is_what_stands_before_its_code() {
        let text = "# T\n\n```sql\nCREATE TABLE a (\n    id int);\n```\n\n1. item:\n\n   ```sql\n   SELECT 1;\n   ```\n\n> ```sql\n> SELECT 2;\n> ```\n\nIndented:\n\n    CREATE TABLE b (id int);\n";
        let (doc, _) = read(text.as_bytes());
        let at = |needle: &str| offset(text.find(needle).expect("in the text"));
        // A fenced block at the top level: nothing, whatever the code's own indentation.
        assert_eq!(doc.container_prefix(at("CREATE TABLE a")), Some(""));
        assert_eq!(doc.container_prefix(at("id int")), Some(""));
        assert_eq!(doc.container_prefix(at("SELECT 1")), Some("   "));
        assert_eq!(doc.container_prefix(at("SELECT 2")), Some("> "));
        assert_eq!(doc.container_prefix(at("CREATE TABLE b")), Some("    "));
        assert_eq!(doc.container_prefix(at("(id int);\n") + 9), Some("    "));
        assert_eq!(doc.container_prefix(at("Indented")), None);
        assert_exact(&doc);
    }

    #[test]
    fn source_maps_are_exact_across_containers() {
        let (doc, diagnostics) = read(MIXED.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(doc.encoding, SourceEncoding::Utf8);
        assert_eq!(doc.text, MIXED);
        assert_eq!(doc.blocks.len(), 4);
        assert_eq!(doc.blocks[1].code, "SELECT 1;\n  -- 들여쓰기");
        assert_eq!(doc.blocks[2].code, "SELECT 2;");
        let sql: Vec<bool> = doc.blocks.iter().map(|b| b.is_sql).collect();
        assert_eq!(sql, [true, true, true, false]);
        assert_exact(&doc);
        let range = doc.blocks[1]
            .source_map
            .range_to_document(TextRange::new(0, 9));
        assert_eq!(&doc.text[range.as_usize()], "SELECT 1;");
    }

    #[test]
    fn unclosed_fences_are_recovered_end_to_end() {
        let text = "```ts\nlet a = 1;\n```sql\nSELECT 1;\n```\n```sql\nSELECT 2;\n";
        let (doc, diagnostics) = read(text.as_bytes());
        assert_eq!(doc.blocks.len(), 3);
        assert_eq!(
            doc.blocks.iter().map(|b| b.closed).collect::<Vec<_>>(),
            [false, true, false]
        );
        let lines: Vec<u32> = diagnostics
            .iter()
            .filter(|d| d.code == Code::UnclosedCodeFence)
            .map(|d| doc.line_index.line(d.primary.range.start))
            .collect();
        assert_eq!(lines, [1, 6]);
        assert_exact(&doc);
    }

    #[test]
    fn empty_input_is_an_empty_document() {
        let (doc, diagnostics) = read(b"");
        assert!(doc.text.is_empty() && doc.blocks.is_empty() && diagnostics.is_empty());
        assert_eq!(doc.line_index.line_count(), 1);
    }

    #[test]
    fn binary_input_is_refused() {
        let (doc, diagnostics) = read(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        assert!(doc.text.is_empty() && doc.blocks.is_empty());
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::UnreadableInput);
        assert_eq!(diagnostics[0].severity, Severity::Error);
    }

    #[test]
    fn invalid_utf8_is_decoded_with_a_warning() {
        let mut bytes = "```sql\nSELECT '한글';\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"-- \xC3\x28 broken\n```\n");
        let (doc, diagnostics) = read(&bytes);
        assert_eq!(doc.blocks.len(), 1);
        assert!(doc.blocks[0].code.contains('\u{FFFD}'));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::UnreadableInput);
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(doc.line_index.line(diagnostics[0].primary.range.start), 3);
        assert_exact(&doc);
    }

    #[test]
    fn genuine_korean_is_not_taken_for_mojibake() {
        let (doc, diagnostics) = read(MIXED.as_bytes());
        assert_eq!(doc.encoding, SourceEncoding::Utf8);
        assert!(!diagnostics.iter().any(|d| d.code == Code::MojibakeRepaired));
    }

    #[test]
    fn mojibake_is_repaired_before_blocks_are_found() {
        // "-- 주문 조회" mis-decoded as windows-1252.
        let mojibake = "```sql\n-- ì£¼ë¬¸ ì¡°íšŒ\nSELECT 1;\n```\n";
        let (doc, diagnostics) = read(mojibake.as_bytes());
        assert!(matches!(
            doc.encoding,
            SourceEncoding::Repaired {
                codec: "windows-1252",
                lines_repaired: 1,
                lines_lossy: 0
            }
        ));
        assert_eq!(doc.blocks[0].code, "-- 주문 조회\nSELECT 1;");
        let repaired = diagnostics
            .iter()
            .find(|d| d.code == Code::MojibakeRepaired)
            .expect("DOC002");
        assert_eq!(doc.line_index.line(repaired.primary.range.start), 2);
        assert_exact(&doc);
    }
}
