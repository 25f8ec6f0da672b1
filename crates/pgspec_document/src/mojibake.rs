//! Mojibake repair: UTF-8 text that was once decoded with a single-byte codec (windows-1252,
//! its Turkish sibling windows-1254, or Mac OS Roman) and saved again as UTF-8, so that `입`
//! (bytes `EC 9E 85`) reads `ìž…`.
//!
//! The repair works line by line so that the line count never changes: every character is mapped
//! back to its byte in the codec (characters outside the codec stay as their own UTF-8 bytes) and
//! the bytes are decoded as UTF-8 again. Bytes the codec does not define (and the invisible soft
//! hyphen, which text pipelines strip) were usually dropped when the text was mis-decoded; the
//! resulting truncated sequences are filled in with a guess from a small Korean lexicon (see
//! [`super::lexicon`]) or become U+FFFD, and such lines are reported as lossy.

use std::sync::OnceLock;

use pgspec_diagnostics::text::TextRange;
use pgspec_diagnostics::{Category, Code, Diagnostic, Severity};

use super::lexicon::{self, Lexicon};
use super::offset;

/// windows-1252 bytes 0x80..=0xFF (`\0`: undefined).
#[rustfmt::skip]
pub(crate) const WINDOWS_1252_DECODE: [char; 128] = [
    // 0x80
    '\u{20AC}', '\0', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    // 0x88
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\0', '\u{017D}', '\0',
    // 0x90
    '\0', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    // 0x98
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\0', '\u{017E}', '\u{0178}',
    // 0xA0
    '\u{00A0}', '\u{00A1}', '\u{00A2}', '\u{00A3}', '\u{00A4}', '\u{00A5}', '\u{00A6}', '\u{00A7}',
    // 0xA8
    '\u{00A8}', '\u{00A9}', '\u{00AA}', '\u{00AB}', '\u{00AC}', '\u{00AD}', '\u{00AE}', '\u{00AF}',
    // 0xB0
    '\u{00B0}', '\u{00B1}', '\u{00B2}', '\u{00B3}', '\u{00B4}', '\u{00B5}', '\u{00B6}', '\u{00B7}',
    // 0xB8
    '\u{00B8}', '\u{00B9}', '\u{00BA}', '\u{00BB}', '\u{00BC}', '\u{00BD}', '\u{00BE}', '\u{00BF}',
    // 0xC0
    '\u{00C0}', '\u{00C1}', '\u{00C2}', '\u{00C3}', '\u{00C4}', '\u{00C5}', '\u{00C6}', '\u{00C7}',
    // 0xC8
    '\u{00C8}', '\u{00C9}', '\u{00CA}', '\u{00CB}', '\u{00CC}', '\u{00CD}', '\u{00CE}', '\u{00CF}',
    // 0xD0
    '\u{00D0}', '\u{00D1}', '\u{00D2}', '\u{00D3}', '\u{00D4}', '\u{00D5}', '\u{00D6}', '\u{00D7}',
    // 0xD8
    '\u{00D8}', '\u{00D9}', '\u{00DA}', '\u{00DB}', '\u{00DC}', '\u{00DD}', '\u{00DE}', '\u{00DF}',
    // 0xE0
    '\u{00E0}', '\u{00E1}', '\u{00E2}', '\u{00E3}', '\u{00E4}', '\u{00E5}', '\u{00E6}', '\u{00E7}',
    // 0xE8
    '\u{00E8}', '\u{00E9}', '\u{00EA}', '\u{00EB}', '\u{00EC}', '\u{00ED}', '\u{00EE}', '\u{00EF}',
    // 0xF0
    '\u{00F0}', '\u{00F1}', '\u{00F2}', '\u{00F3}', '\u{00F4}', '\u{00F5}', '\u{00F6}', '\u{00F7}',
    // 0xF8
    '\u{00F8}', '\u{00F9}', '\u{00FA}', '\u{00FB}', '\u{00FC}', '\u{00FD}', '\u{00FE}', '\u{00FF}',
];

/// windows-1254 (Turkish) bytes 0x80..=0xFF (`\0`: undefined).
#[rustfmt::skip]
const WINDOWS_1254_DECODE: [char; 128] = [
    // 0x80
    '\u{20AC}', '\0', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    // 0x88
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\0', '\0', '\0',
    // 0x90
    '\0', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    // 0x98
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\0', '\0', '\u{0178}',
    // 0xA0
    '\u{00A0}', '\u{00A1}', '\u{00A2}', '\u{00A3}', '\u{00A4}', '\u{00A5}', '\u{00A6}', '\u{00A7}',
    // 0xA8
    '\u{00A8}', '\u{00A9}', '\u{00AA}', '\u{00AB}', '\u{00AC}', '\u{00AD}', '\u{00AE}', '\u{00AF}',
    // 0xB0
    '\u{00B0}', '\u{00B1}', '\u{00B2}', '\u{00B3}', '\u{00B4}', '\u{00B5}', '\u{00B6}', '\u{00B7}',
    // 0xB8
    '\u{00B8}', '\u{00B9}', '\u{00BA}', '\u{00BB}', '\u{00BC}', '\u{00BD}', '\u{00BE}', '\u{00BF}',
    // 0xC0
    '\u{00C0}', '\u{00C1}', '\u{00C2}', '\u{00C3}', '\u{00C4}', '\u{00C5}', '\u{00C6}', '\u{00C7}',
    // 0xC8
    '\u{00C8}', '\u{00C9}', '\u{00CA}', '\u{00CB}', '\u{00CC}', '\u{00CD}', '\u{00CE}', '\u{00CF}',
    // 0xD0
    '\u{011E}', '\u{00D1}', '\u{00D2}', '\u{00D3}', '\u{00D4}', '\u{00D5}', '\u{00D6}', '\u{00D7}',
    // 0xD8
    '\u{00D8}', '\u{00D9}', '\u{00DA}', '\u{00DB}', '\u{00DC}', '\u{0130}', '\u{015E}', '\u{00DF}',
    // 0xE0
    '\u{00E0}', '\u{00E1}', '\u{00E2}', '\u{00E3}', '\u{00E4}', '\u{00E5}', '\u{00E6}', '\u{00E7}',
    // 0xE8
    '\u{00E8}', '\u{00E9}', '\u{00EA}', '\u{00EB}', '\u{00EC}', '\u{00ED}', '\u{00EE}', '\u{00EF}',
    // 0xF0
    '\u{011F}', '\u{00F1}', '\u{00F2}', '\u{00F3}', '\u{00F4}', '\u{00F5}', '\u{00F6}', '\u{00F7}',
    // 0xF8
    '\u{00F8}', '\u{00F9}', '\u{00FA}', '\u{00FB}', '\u{00FC}', '\u{0131}', '\u{015F}', '\u{00FF}',
];

/// Mac OS Roman bytes 0x80..=0xFF.
#[rustfmt::skip]
const MAC_ROMAN_DECODE: [char; 128] = [
    // 0x80
    '\u{00C4}', '\u{00C5}', '\u{00C7}', '\u{00C9}', '\u{00D1}', '\u{00D6}', '\u{00DC}', '\u{00E1}',
    // 0x88
    '\u{00E0}', '\u{00E2}', '\u{00E4}', '\u{00E3}', '\u{00E5}', '\u{00E7}', '\u{00E9}', '\u{00E8}',
    // 0x90
    '\u{00EA}', '\u{00EB}', '\u{00ED}', '\u{00EC}', '\u{00EE}', '\u{00EF}', '\u{00F1}', '\u{00F3}',
    // 0x98
    '\u{00F2}', '\u{00F4}', '\u{00F6}', '\u{00F5}', '\u{00FA}', '\u{00F9}', '\u{00FB}', '\u{00FC}',
    // 0xA0
    '\u{2020}', '\u{00B0}', '\u{00A2}', '\u{00A3}', '\u{00A7}', '\u{2022}', '\u{00B6}', '\u{00DF}',
    // 0xA8
    '\u{00AE}', '\u{00A9}', '\u{2122}', '\u{00B4}', '\u{00A8}', '\u{2260}', '\u{00C6}', '\u{00D8}',
    // 0xB0
    '\u{221E}', '\u{00B1}', '\u{2264}', '\u{2265}', '\u{00A5}', '\u{00B5}', '\u{2202}', '\u{2211}',
    // 0xB8
    '\u{220F}', '\u{03C0}', '\u{222B}', '\u{00AA}', '\u{00BA}', '\u{03A9}', '\u{00E6}', '\u{00F8}',
    // 0xC0
    '\u{00BF}', '\u{00A1}', '\u{00AC}', '\u{221A}', '\u{0192}', '\u{2248}', '\u{2206}', '\u{00AB}',
    // 0xC8
    '\u{00BB}', '\u{2026}', '\u{00A0}', '\u{00C0}', '\u{00C3}', '\u{00D5}', '\u{0152}', '\u{0153}',
    // 0xD0
    '\u{2013}', '\u{2014}', '\u{201C}', '\u{201D}', '\u{2018}', '\u{2019}', '\u{00F7}', '\u{25CA}',
    // 0xD8
    '\u{00FF}', '\u{0178}', '\u{2044}', '\u{20AC}', '\u{2039}', '\u{203A}', '\u{FB01}', '\u{FB02}',
    // 0xE0
    '\u{2021}', '\u{00B7}', '\u{201A}', '\u{201E}', '\u{2030}', '\u{00C2}', '\u{00CA}', '\u{00C1}',
    // 0xE8
    '\u{00CB}', '\u{00C8}', '\u{00CD}', '\u{00CE}', '\u{00CF}', '\u{00CC}', '\u{00D3}', '\u{00D4}',
    // 0xF0
    '\u{F8FF}', '\u{00D2}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{0131}', '\u{02C6}', '\u{02DC}',
    // 0xF8
    '\u{00AF}', '\u{02D8}', '\u{02D9}', '\u{02DA}', '\u{00B8}', '\u{02DD}', '\u{02DB}', '\u{02C7}',
];

/// A single-byte codec that UTF-8 text may have been mis-decoded with.
struct Codec {
    /// Name reported in diagnostics and [`super::SourceEncoding::Repaired`].
    name: &'static str,
    /// Characters of bytes 0x80..=0xFF (`\0` for undefined bytes).
    table: &'static [char; 128],
    /// Characters that other versions of the codec's table use for a byte.
    aliases: &'static [(char, u8)],
    /// Whether U+0080..=U+009F stand for their own byte: WHATWG decoders turn undefined windows-125x
    /// bytes into these C1 controls instead of dropping them.
    c1_is_byte: bool,
    /// Bytes a mis-decoding pipeline typically lost: the undefined ones, plus 0xAD (soft hyphen,
    /// invisible and commonly stripped).
    lost: &'static [u8],
}

/// Candidate codecs; on a tie the earlier one wins.
const CODECS: [Codec; 3] = [
    Codec {
        name: "windows-1252",
        table: &WINDOWS_1252_DECODE,
        aliases: &[],
        c1_is_byte: true,
        lost: &[0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xAD],
    },
    Codec {
        name: "windows-1254",
        table: &WINDOWS_1254_DECODE,
        aliases: &[],
        c1_is_byte: true,
        lost: &[0x81, 0x8D, 0x8E, 0x8F, 0x90, 0x9D, 0x9E, 0xAD],
    },
    Codec {
        name: "mac-roman",
        table: &MAC_ROMAN_DECODE,
        // Before Mac OS 8.5 byte 0xDB was the currency sign; 0xBD is sometimes mapped to OHM SIGN.
        aliases: &[('\u{00A4}', 0xDB), ('\u{2126}', 0xBD)],
        c1_is_byte: false,
        lost: &[],
    },
];

/// A byte of the reconstructed line, or `UNKNOWN` for a U+FFFD that stood for a lost byte.
type Unit = u16;
const UNKNOWN: Unit = 0x100;

/// Detection looks at this many non-ASCII lines at most: the verdict is statistical, and a
/// mis-decoded document is mis-decoded throughout.
const DETECTION_SAMPLE_LINES: usize = 20_000;

/// Upper bound on candidate sequences tried while guessing lost bytes, so that adversarial input
/// stays linear; past it, lost characters become U+FFFD.
const GUESS_BUDGET: usize = 4_000_000;

/// A codec's table inverted: character → byte.
struct Reverse {
    /// Byte of U+0080..=U+00FF (index `c - 0x80`), the characters that dominate mojibake.
    latin1: [Option<u8>; 128],
    /// Sorted `(char, byte)` pairs for the other characters.
    others: Vec<(char, u8)>,
}

impl Reverse {
    fn new(codec: &Codec) -> Self {
        let mut latin1 = [None; 128];
        let mut others = Vec::new();
        let pairs = codec
            .table
            .iter()
            .copied()
            .zip(0x80u8..=0xFF)
            .filter(|(c, _)| *c != '\0');
        for (c, b) in pairs.chain(codec.aliases.iter().copied()) {
            match u32::from(c)
                .checked_sub(0x80)
                .and_then(|i| latin1.get_mut(i as usize))
            {
                Some(slot) => *slot = Some(b),
                None => others.push((c, b)),
            }
        }
        if codec.c1_is_byte {
            for (b, slot) in (0x80u8..=0x9F).zip(latin1.iter_mut()) {
                slot.get_or_insert(b);
            }
        }
        others.sort_unstable();
        Self { latin1, others }
    }

    fn byte(&self, c: char) -> Option<u8> {
        match u32::from(c)
            .checked_sub(0x80)
            .and_then(|i| self.latin1.get(i as usize))
        {
            Some(b) => *b,
            None => self
                .others
                .binary_search_by(|(k, _)| k.cmp(&c))
                .ok()
                .map(|i| self.others[i].1),
        }
    }
}

/// The inverted tables of [`CODECS`], built once.
fn reverse_tables() -> &'static [Reverse; 3] {
    static TABLES: OnceLock<[Reverse; 3]> = OnceLock::new();
    TABLES.get_or_init(|| CODECS.each_ref().map(Reverse::new))
}

/// A cheap over-approximation of "some codec maps `c` to a byte": every table character is
/// below U+3000 or a private-use / presentation form (U+F8FF, U+FB01, U+FB02).
fn may_be_in_a_table(c: char) -> bool {
    !c.is_ascii() && (c < '\u{3000}' || ('\u{F8FF}'..='\u{FB02}').contains(&c))
}

/// Map `line` back to the bytes it was decoded from with codec `codec`, into `units`. Returns
/// whether any character was actually mapped (otherwise the line is untouched by the codec).
fn reverse_line(codec: usize, line: &str, units: &mut Vec<Unit>) -> bool {
    let table = &reverse_tables()[codec];
    units.clear();
    let mut changed = false;
    let mut buf = [0u8; 4];
    for c in line.chars() {
        if c.is_ascii() {
            units.push(c as Unit);
        } else if c == char::REPLACEMENT_CHARACTER {
            units.push(UNKNOWN);
        } else if let Some(b) = table.byte(c) {
            units.push(Unit::from(b));
            changed = true;
        } else {
            units.extend(c.encode_utf8(&mut buf).bytes().map(Unit::from));
        }
    }
    changed
}

/// A multi-byte sequence that lost continuation bytes.
#[derive(Clone, Copy, Debug)]
struct Truncated {
    lead: u8,
    /// Continuation units present (bytes or `UNKNOWN`), in order.
    present: [Unit; 3],
    n_present: usize,
    /// Length the lead byte announces.
    len: usize,
}

#[derive(Clone, Copy, Debug)]
enum Piece {
    Char(char),
    Truncated(Truncated),
}

/// How a line's reversed bytes decode.
#[derive(Default)]
struct LineDecode {
    pieces: Vec<Piece>,
    /// Complete multi-byte sequences.
    complete: usize,
    /// Truncated sequences and lone lost bytes.
    broken: usize,
    /// Bytes that dropping continuation bytes cannot explain (stray continuation bytes, invalid
    /// leads, overlong forms): the line is not mojibake of this codec.
    invalid: bool,
}

fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

fn is_continuation(u: Unit) -> bool {
    u == UNKNOWN || (0x80..=0xBF).contains(&u)
}

fn decode_units(units: &[Unit], out: &mut LineDecode) {
    out.pieces.clear();
    out.complete = 0;
    out.broken = 0;
    out.invalid = false;
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        if u < 0x80 {
            out.pieces.push(Piece::Char(char::from(u as u8)));
            i += 1;
            continue;
        }
        if u == UNKNOWN {
            // A lost byte with nothing left of its sequence: nothing to guess from.
            out.pieces.push(Piece::Char(char::REPLACEMENT_CHARACTER));
            out.broken += 1;
            i += 1;
            continue;
        }
        let lead = u as u8;
        let len = sequence_len(lead);
        if len == 0 {
            out.invalid = true;
            return;
        }
        let mut t = Truncated {
            lead,
            present: [0; 3],
            n_present: 0,
            len,
        };
        let mut j = i + 1;
        while j < units.len() && t.n_present < len - 1 && is_continuation(units[j]) {
            t.present[t.n_present] = units[j];
            t.n_present += 1;
            j += 1;
        }
        i = j;
        let complete = t.n_present == len - 1 && !t.present[..t.n_present].contains(&UNKNOWN);
        if complete {
            let mut bytes = [lead, 0, 0, 0];
            for (k, &p) in t.present[..t.n_present].iter().enumerate() {
                bytes[k + 1] = p as u8;
            }
            match std::str::from_utf8(&bytes[..len])
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => {
                    out.pieces.push(Piece::Char(c));
                    out.complete += 1;
                }
                None => {
                    out.invalid = true;
                    return;
                }
            }
        } else {
            out.pieces.push(Piece::Truncated(t));
            out.broken += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineClass {
    /// No character of the codec on the line.
    Untouched,
    /// Reverses to valid UTF-8.
    Clean,
    /// Reverses to UTF-8 with lost bytes, but mostly complete sequences.
    Lossy,
    /// Reverses to UTF-8 with lost bytes and few complete sequences: no evidence either way.
    Weak,
    /// Does not reverse: not mojibake of this codec.
    Invalid,
}

fn classify(changed: bool, d: &LineDecode) -> LineClass {
    if !changed {
        LineClass::Untouched
    } else if d.invalid {
        LineClass::Invalid
    } else if d.broken == 0 {
        LineClass::Clean
    } else if d.complete >= d.broken {
        LineClass::Lossy
    } else {
        LineClass::Weak
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    clean: usize,
    lossy: usize,
    invalid: usize,
    /// Non-ASCII lines the codec leaves alone (e.g. genuine Hangul): evidence of real UTF-8.
    untouched: usize,
}

impl Stats {
    fn support(&self) -> usize {
        self.clean + self.lossy
    }

    fn against(&self) -> usize {
        self.invalid + self.untouched
    }

    /// Whether the evidence says the text is mojibake of this codec: at least one line reverses
    /// cleanly and supporting lines outnumber contrary ones two to one. Genuine UTF-8 (Hangul,
    /// emoji, arrows) is untouched by the reversal, and genuine Latin text almost never reverses
    /// into valid multi-byte UTF-8.
    fn is_mojibake(&self) -> bool {
        self.clean > 0 && self.support() >= 2 * self.against()
    }

    fn score(&self) -> i64 {
        let support = i64::try_from(self.support()).unwrap_or(i64::MAX);
        let invalid = i64::try_from(self.invalid).unwrap_or(i64::MAX);
        support.saturating_sub(invalid)
    }
}

/// The outcome of a successful repair.
pub(crate) struct Repair {
    pub text: String,
    pub codec: &'static str,
    pub lines_repaired: usize,
    pub lines_lossy: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Detect mojibake in `text` and repair it, or `None` if the text does not look mis-decoded.
pub(crate) fn repair(text: &str) -> Option<Repair> {
    let codec = detect(text)?;
    Some(apply(text, codec))
}

/// The codec `text` was mis-decoded with, if it looks mis-decoded.
fn detect(text: &str) -> Option<usize> {
    if text.is_ascii() {
        return None;
    }
    let mut stats = [Stats::default(); 3];
    let mut units = Vec::new();
    let mut decoded = LineDecode::default();
    for line in text
        .split('\n')
        .filter(|l| !l.is_ascii())
        .take(DETECTION_SAMPLE_LINES)
    {
        if !line.chars().any(may_be_in_a_table) {
            // Genuine text such as Hangul: no codec touches it. (Fast path for large documents.)
            for s in &mut stats {
                s.untouched += 1;
            }
            continue;
        }
        for (codec, s) in stats.iter_mut().enumerate() {
            let changed = reverse_line(codec, line, &mut units);
            if changed {
                decode_units(&units, &mut decoded);
            }
            match classify(changed, &decoded) {
                LineClass::Untouched => s.untouched += 1,
                LineClass::Clean => s.clean += 1,
                LineClass::Lossy => s.lossy += 1,
                LineClass::Weak => {}
                LineClass::Invalid => s.invalid += 1,
            }
        }
    }
    // `max_by_key` keeps the last maximum; iterate in reverse so the first codec wins ties.
    let (best, s) = stats
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, s)| s.score())?;
    s.is_mojibake().then_some(best)
}

fn apply(text: &str, codec: usize) -> Repair {
    let mut out = String::with_capacity(text.len());
    let mut units = Vec::new();
    let mut decoded = LineDecode::default();
    let mut budget = GUESS_BUDGET;
    let mut first_repaired: Option<TextRange> = None;
    let mut lossy_lines: Vec<(u32, TextRange)> = Vec::new();
    let mut kept_lines: Vec<u32> = Vec::new();
    let mut lines_repaired = 0usize;

    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let start = out.len();
        if line.is_ascii() || !reverse_line(codec, line, &mut units) {
            out.push_str(line);
            continue;
        }
        decode_units(&units, &mut decoded);
        if decoded.invalid {
            // Not explainable as this codec's mojibake: keep the line exactly as given.
            out.push_str(line);
            kept_lines.push(line_no);
            continue;
        }
        render(&decoded.pieces, CODECS[codec].lost, &mut budget, &mut out);
        let range = TextRange::new(offset(start), offset(out.len()));
        lines_repaired += 1;
        first_repaired.get_or_insert(range);
        if decoded.broken > 0 {
            lossy_lines.push((line_no, range));
        }
    }

    let name = CODECS[codec].name;
    let mut diagnostics = Vec::new();
    let first_range = first_repaired.unwrap_or_default();
    let mut repaired = Diagnostic::new(
        Code::MojibakeRepaired,
        Category::Document,
        format!(
            "the file's UTF-8 text had been decoded as {name}; repaired {lines_repaired} {}",
            plural(lines_repaired, "line", "lines")
        ),
        first_range,
    )
    .label("first repaired line")
    .help("save the repaired text as UTF-8 to silence this")
    .note("line numbers refer to the file as given; columns refer to the repaired text");
    if !kept_lines.is_empty() {
        repaired = repaired.note(format!(
            "{} {} could not be reversed and {} kept as given: {}",
            kept_lines.len(),
            plural(kept_lines.len(), "line", "lines"),
            plural(kept_lines.len(), "is", "are"),
            line_list(&kept_lines)
        ));
    }
    diagnostics.push(repaired);

    if let Some(&(_, first_lossy)) = lossy_lines.first() {
        let numbers: Vec<u32> = lossy_lines.iter().map(|(n, _)| *n).collect();
        diagnostics.push(
            Diagnostic::new(
                Code::MojibakeBytesLost,
                Category::Document,
                format!(
                    "{} {} lost bytes when the text was mis-decoded as {name}; their repair is a guess",
                    lossy_lines.len(),
                    plural(lossy_lines.len(), "line", "lines")
                ),
                first_lossy,
            )
            .severity(Severity::Warning)
            .label("first line with lost bytes")
            .help("check these lines against the original document; characters that could not be guessed are U+FFFD")
            .note(format!("lines with lost bytes: {}", line_list(&numbers))),
        );
    }

    Repair {
        text: out,
        codec: name,
        lines_repaired,
        lines_lossy: lossy_lines.len(),
        diagnostics,
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Up to 10 line numbers, then how many more.
fn line_list(lines: &[u32]) -> String {
    let mut s = lines
        .iter()
        .take(10)
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > 10 {
        s.push_str(&format!(" and {} more", lines.len() - 10));
    }
    s
}

/// Append the decoded pieces to `out`, filling truncated sequences with the most plausible
/// character (or U+FFFD).
fn render(pieces: &[Piece], lost: &[u8], budget: &mut usize, out: &mut String) {
    let options: Vec<Vec<char>> = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Char(_) => Vec::new(),
            Piece::Truncated(t) => {
                let mut candidates = Vec::new();
                enumerate_candidates(t, lost, &mut candidates, budget);
                candidates
            }
        })
        .collect();
    let mut prev: Option<char> = None;
    for (k, piece) in pieces.iter().enumerate() {
        let c = match piece {
            Piece::Char(c) => *c,
            Piece::Truncated(_) => {
                // A following truncated sequence is still undecided: any of its candidates may
                // pair with this one (`데이터` when both `데` and `이` lost a byte).
                let next = match pieces.get(k + 1) {
                    Some(Piece::Char(c)) => std::slice::from_ref(c),
                    Some(Piece::Truncated(_)) => options[k + 1].as_slice(),
                    None => &[],
                };
                best_guess(&options[k], prev, next, lexicon::lexicon())
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            }
        };
        out.push(c);
        prev = Some(c);
    }
}

/// Every character that `t` could have been, with its missing continuation bytes drawn from
/// `lost` (at any positions) and `UNKNOWN` units replaced by bytes of `lost`.
fn enumerate_candidates(t: &Truncated, lost: &[u8], out: &mut Vec<char>, budget: &mut usize) {
    let slots = t.len - 1;
    let missing = slots - t.n_present;
    for mask in 0u32..(1 << slots) {
        if mask.count_ones() as usize == missing {
            let mut bytes = [t.lead, 0, 0, 0];
            fill(t, lost, mask, 0, 0, &mut bytes, out, budget);
        }
    }
}

#[allow(clippy::too_many_arguments)] // a private recursive helper; a struct would only obscure it
fn fill(
    t: &Truncated,
    lost: &[u8],
    mask: u32,
    slot: usize,
    present: usize,
    bytes: &mut [u8; 4],
    out: &mut Vec<char>,
    budget: &mut usize,
) {
    if *budget == 0 {
        return;
    }
    if slot == t.len - 1 {
        *budget -= 1;
        if let Some(c) = std::str::from_utf8(&bytes[..t.len])
            .ok()
            .and_then(|s| s.chars().next())
        {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        return;
    }
    let from_lost = mask & (1 << slot) != 0;
    if !from_lost && t.present[present] != UNKNOWN {
        bytes[slot + 1] = t.present[present] as u8;
        fill(t, lost, mask, slot + 1, present + 1, bytes, out, budget);
        return;
    }
    let next_present = if from_lost { present } else { present + 1 };
    for &b in lost {
        bytes[slot + 1] = b;
        fill(t, lost, mask, slot + 1, next_present, bytes, out, budget);
    }
}

/// The candidate the lexicon finds most plausible between `prev` and one of `next`: a known two-syllable
/// sequence with a neighbour weighs far more than the syllable's own frequency. Candidates the
/// lexicon does not know are never chosen.
fn best_guess(
    candidates: &[char],
    prev: Option<char>,
    next: &[char],
    lex: &Lexicon,
) -> Option<char> {
    let weight = lex.len() as u64 + 1;
    candidates
        .iter()
        .filter_map(|&c| {
            let rank = lex.rank(c)?;
            let mut score = weight - u64::from(rank);
            if prev.is_some_and(|p| lex.is_pair(p, c)) {
                score += 10 * weight;
            }
            if next.iter().any(|&n| lex.is_pair(c, n)) {
                score += 10 * weight;
            }
            Some((score, c))
        })
        // Highest score; among equals the earliest candidate (deterministic).
        .fold(None, |best: Option<(u64, char)>, (score, c)| match best {
            Some((s, _)) if s >= score => best,
            _ => Some((score, c)),
        })
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
