//! Raw bytes → text: size limit, binary detection, UTF-8 (with BOM), UTF-16 (with BOM), and a
//! tolerant fallback for bytes that are not UTF-8.
//!
//! Every path keeps the number of `\n` characters unchanged, so line numbers computed on the
//! decoded text refer to the file as given.

use pgspec_diagnostics::text::TextRange;
use pgspec_diagnostics::{Category, Code, Diagnostic, Severity};

use super::mojibake::WINDOWS_1252_DECODE;
use super::offset;

/// Inputs above this size are refused: a design document is never this large, and refusing keeps
/// every offset comfortably inside `u32`.
pub(crate) const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Share of control bytes above which the input is treated as binary.
const MAX_CONTROL_RATIO: f64 = 0.05;

/// Control bytes are counted in this prefix only: binary formats show them from the start, and a
/// full count would cost a pass over large inputs.
const CONTROL_SAMPLE_BYTES: usize = 64 * 1024;

/// Share of bytes that are not valid UTF-8 above which the input is treated as binary.
const MAX_INVALID_RATIO: f64 = 0.30;

/// How the bytes became text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Valid UTF-8 (a leading BOM removed): a candidate for mojibake repair.
    Utf8,
    /// Decoded some other way (UTF-16, windows-1252, lossy UTF-8); not mojibake-repaired.
    Other,
}

/// Result of decoding: `None` text means the input is unreadable (and a DOC004 error explains why).
pub(crate) struct Decoded {
    pub text: Option<String>,
    pub origin: Origin,
    pub diagnostics: Vec<Diagnostic>,
}

impl Decoded {
    fn unreadable(message: String, help: &str) -> Self {
        Self {
            text: None,
            origin: Origin::Other,
            diagnostics: vec![Diagnostic::new(
                Code::UnreadableInput,
                Category::Document,
                message,
                TextRange::empty(0),
            )
            .severity(Severity::Error)
            .help(help)],
        }
    }

    fn text(text: String, origin: Origin) -> Self {
        Self {
            text: Some(text),
            origin,
            diagnostics: Vec::new(),
        }
    }
}

/// Decode `bytes` into text, or explain why it cannot be read.
pub(crate) fn decode(bytes: &[u8]) -> Decoded {
    if bytes.len() > MAX_INPUT_BYTES {
        return Decoded::unreadable(
            format!(
                "the input is {} MiB, more than the {} MiB pgspec reads",
                bytes.len() / (1024 * 1024),
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
            "split the design document into smaller files",
        );
    }

    // A UTF-16 BOM is the one case where NUL bytes are expected in a text file.
    if let Some(text) = decode_utf16_with_bom(bytes) {
        return check_text_controls(text, Origin::Other);
    }

    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Decoded::unreadable(
            "the input contains NUL bytes; it looks like a binary file, not a Markdown document"
                .to_owned(),
            "pass the design document itself (a Markdown text file)",
        );
    }
    if control_ratio(&bytes[..bytes.len().min(CONTROL_SAMPLE_BYTES)]) > MAX_CONTROL_RATIO {
        return Decoded::unreadable(
            "the input is mostly control bytes; it looks like a binary file, not a Markdown document".to_owned(),
            "pass the design document itself (a Markdown text file)",
        );
    }

    match std::str::from_utf8(bytes) {
        Ok(text) => Decoded::text(text.to_owned(), Origin::Utf8),
        Err(_) => decode_not_utf8(bytes),
    }
}

/// Decode UTF-16 text that announces itself with a byte order mark.
fn decode_utf16_with_bom(bytes: &[u8]) -> Option<String> {
    let little_endian = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes[2..].chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

fn check_text_controls(text: String, origin: Origin) -> Decoded {
    let sample = &text.as_bytes()[..text.len().min(CONTROL_SAMPLE_BYTES)];
    if control_ratio(sample) > MAX_CONTROL_RATIO || text.contains('\0') {
        return Decoded::unreadable(
            "the input decodes as UTF-16 but is mostly control characters; it looks like a binary file".to_owned(),
            "pass the design document itself (a Markdown text file)",
        );
    }
    Decoded::text(text, origin)
}

/// Share of bytes that are C0 controls other than the whitespace ones and ESC.
fn control_ratio(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0x1B))
        .count();
    controls as f64 / bytes.len() as f64
}

/// Bytes that are not UTF-8: binary if mostly invalid; a single-byte legacy encoding if no
/// multi-byte UTF-8 sequence occurs at all; otherwise UTF-8 with a few broken bytes.
fn decode_not_utf8(bytes: &[u8]) -> Decoded {
    let mut invalid = 0usize;
    let mut valid_multibyte = 0usize;
    for chunk in bytes.utf8_chunks() {
        invalid += chunk.invalid().len();
        valid_multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
    }
    if invalid as f64 > bytes.len() as f64 * MAX_INVALID_RATIO {
        return Decoded::unreadable(
            format!(
                "the input is not text: {invalid} of its {} bytes are not valid UTF-8",
                bytes.len()
            ),
            "pass the design document itself, saved as UTF-8",
        );
    }

    if valid_multibyte == 0 {
        // Only isolated high bytes: a Latin single-byte file (windows-1252 is the superset of
        // ISO-8859-1 that editors actually write).
        let text: String = bytes
            .iter()
            .map(|&b| match b {
                0..=0x7F => char::from(b),
                // Undefined bytes become the C1 control of the same value, as WHATWG decoders do.
                _ => match WINDOWS_1252_DECODE[usize::from(b - 0x80)] {
                    '\0' => char::from(b),
                    c => c,
                },
            })
            .collect();
        // Everything before the first high byte is ASCII, so its byte offset is the same in the
        // decoded text.
        let at = offset(bytes.iter().position(|&b| b >= 0x80).unwrap_or(0));
        let mut decoded = Decoded::text(text, Origin::Other);
        decoded.diagnostics.push(
            Diagnostic::new(
                Code::UnreadableInput,
                Category::Document,
                format!("the input is not UTF-8; decoded its {invalid} non-ASCII bytes as windows-1252"),
                TextRange::empty(at),
            )
            .severity(Severity::Warning)
            .help("save the document as UTF-8")
            .note("no multi-byte UTF-8 sequence occurs in the file, so it was read as a single-byte legacy encoding"),
        );
        return decoded;
    }

    let mut text = String::with_capacity(bytes.len() + invalid * 2);
    let mut first_bad: Option<usize> = None;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            first_bad.get_or_insert(text.len());
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let at = offset(first_bad.unwrap_or(0));
    let mut decoded = Decoded::text(text, Origin::Other);
    decoded.diagnostics.push(
        Diagnostic::new(
            Code::UnreadableInput,
            Category::Document,
            format!("the input is not valid UTF-8: {invalid} bytes were replaced with U+FFFD"),
            TextRange::new(at, at + 3),
        )
        .severity(Severity::Warning)
        .label("first invalid byte")
        .help("save the document as UTF-8"),
    );
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_is_removed() {
        let d = decode(b"\xEF\xBB\xBF# Title\n");
        assert_eq!(d.text.as_deref(), Some("# Title\n"));
        assert_eq!(d.origin, Origin::Utf8);
        assert!(d.diagnostics.is_empty());
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "a\n한".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes);
        assert_eq!(d.text.as_deref(), Some("a\n한"));
    }

    #[test]
    fn isolated_high_bytes_are_read_as_windows_1252() {
        let d = decode(b"caf\xE9\n-- \x93quoted\x94\n");
        assert_eq!(d.text.as_deref(), Some("café\n-- \u{201C}quoted\u{201D}\n"));
        assert_eq!(d.diagnostics.len(), 1);
        assert_eq!(d.diagnostics[0].severity, Severity::Warning);
        assert_eq!(d.diagnostics[0].primary.range.start, 3);
    }

    #[test]
    fn utf8_with_broken_bytes_is_decoded_lossily() {
        let d = decode(
            "한글 \u{00E9}\n"
                .as_bytes()
                .iter()
                .copied()
                .chain([0xFF, b'\n'])
                .collect::<Vec<_>>()
                .as_slice(),
        );
        let text = d.text.expect("readable");
        assert!(text.ends_with("\u{FFFD}\n"));
        assert_eq!(text.matches('\n').count(), 2);
        assert_eq!(d.diagnostics[0].code, Code::UnreadableInput);
        assert_eq!(d.diagnostics[0].severity, Severity::Warning);
    }

    #[test]
    fn controls_and_nul_are_binary() {
        assert!(decode(b"abc\0def").text.is_none());
        assert!(decode(&[1, 2, 3, 4, 5, 6, b'a']).text.is_none());
        let random: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
            .collect();
        assert!(decode(&random).text.is_none());
    }
}
