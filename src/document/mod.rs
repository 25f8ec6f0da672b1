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

use crate::diagnostics::Diagnostic;
use crate::text::{LineIndex, TextRange};

/// How the input bytes were turned into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEncoding {
    /// Valid UTF-8, used as is.
    Utf8,
    /// UTF-8 that had been decoded as `codec` (e.g. "windows-1252", "mac-roman") and re-encoded;
    /// reversed line by line. `lines_lossy` lines had lost bytes and hold a guess.
    Repaired { codec: &'static str, lines_repaired: usize, lines_lossy: usize },
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

/// Read a document from raw bytes. Never panics; problems become diagnostics
/// (DOC001 unclosed fence, DOC002/DOC003 mojibake, DOC004 unreadable input).
pub fn read(bytes: &[u8]) -> (Document, Vec<Diagnostic>) {
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

    let (blocks, fence_diagnostics) = fences::scan(&text);
    diagnostics.extend(fence_diagnostics);
    let document = Document {
        line_index: LineIndex::new(&text),
        text,
        blocks,
        encoding,
    };
    (document, diagnostics)
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
pub(crate) fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
