//! Relationship lines of a mermaid class diagram: `Customer "1" --> "*" Order : places`,
//! `Order *-- LineItem`, `Account <|-- SavingsAccount`, `Invoice -- Payment`.
//!
//! Multiplicities (`"1"`, `"0..1"`, `"*"`, `"1..*"`, `"n"`) are the cardinalities when the line
//! writes both. Otherwise the arrow says which side holds the key: the part of a composition
//! or aggregation (`Order *-- LineItem`), the subclass of an inheritance (`Account <|--
//! SavingsAccount`), the side an association's arrowhead points at (`Customer --> Order`), the
//! right side of a plain line (read left to right as an erDiagram line is); the cardinalities are then a guess the keys are not
//! compared with. Dependencies and realizations (`..>`, `..|>`) and lollipop interfaces say
//! nothing about tables and are not read.

use crate::erd::range;
use crate::text::TextRange;

use super::super::model::Cardinality;
use super::ident_len;

/// One relationship line as written, names as in the diagram.
#[derive(Debug)]
pub(super) struct Line {
    pub left: String,
    pub right: String,
    pub left_card: Cardinality,
    pub right_card: Cardinality,
    pub written: bool,
    pub solid: bool,
    pub label: Option<String>,
    pub span: TextRange,
}

/// A multiplicity as mermaid writes it between quotes.
fn multiplicity(text: &str) -> Option<Cardinality> {
    use Cardinality::*;
    match text.trim().to_ascii_lowercase().replace(' ', "").as_str() {
        "1" | "1..1" | "one" => Some(ExactlyOne),
        "0..1" | "0,1" | "?" => Some(ZeroOrOne),
        "*" | "0..*" | "n" | "m" | "0..n" | "many" | "0+" => Some(ZeroOrMore),
        "1..*" | "1..n" | "1+" | "one or more" => Some(OneOrMore),
        _ => None,
    }
}

/// The arrow at the start of `text` (`<|--`, `*--`, `-->`, `..`, `--o`) and its length.
fn arrow_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut len = 0;
    while len < bytes.len() {
        let b = bytes[len];
        let arrow_char = matches!(b, b'<' | b'>' | b'|' | b'*' | b'.' | b'-' | b'(' | b')');
        // `o` is an aggregation's diamond, unless a name starts with it (`--owner`).
        let diamond = b == b'o'
            && !bytes
                .get(len + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_');
        if !(arrow_char || diamond) {
            break;
        }
        len += 1;
    }
    len
}

/// Whether the arrow says the left side holds the key, and whether its line is solid; `None` for an arrow that draws no relationship between tables.
fn arrow(text: &str) -> Option<(bool, bool)> {
    let lefts = ["<|", "()", "*", "o", "<"];
    let rights = ["|>", "()", "*", "o", ">"];
    let left = lefts.iter().find(|h| text.starts_with(**h)).copied();
    let rest = &text[left.map_or(0, str::len)..];
    let right = rights.iter().find(|h| rest.ends_with(**h)).copied();
    let line = &rest[..rest.len() - right.map_or(0, str::len)];
    let solid = line == "--";
    if !(solid || line == "..") {
        return None;
    }
    if left == Some("()") || right == Some("()") {
        return None;
    }
    // A dashed line with a head is a dependency or a realization.
    if !solid && (left.is_some() || right.is_some()) {
        return None;
    }
    // A diamond or a triangle marks the side that does not hold the key (the whole, the
    // parent); an association's arrowhead points at the side that does (`Customer --> Order`,
    // as `Customer "1" --> "*" Order` is usually written).
    let key_on_left = matches!(
        (left, right),
        (Some("<"), None) | (None, Some("|>" | "*" | "o"))
    );
    Some((key_on_left, solid))
}

/// An optional `"multiplicity"` at the start of `text`: the cardinality, and the text after it.
/// `Err` for a quoted text that is no multiplicity.
fn quoted(text: &str) -> Result<(Option<Cardinality>, &str), ()> {
    let Some(q) = text.strip_prefix('"') else {
        return Ok((None, text));
    };
    let close = q.find('"').ok_or(())?;
    let card = multiplicity(&q[..close]).ok_or(())?;
    Ok((Some(card), q[close + 1..].trim_start()))
}

/// `LEFT ["m"] ARROW ["m"] RIGHT [: label]` (`line` trimmed, at offset `at`), or None.
pub(super) fn line(line: &str, at: usize) -> Option<Line> {
    let left_len = ident_len(line);
    if left_len == 0 {
        return None;
    }
    let rest = line[left_len..].trim_start();
    let (left_mult, rest) = quoted(rest).ok()?;
    let len = arrow_len(rest);
    let (key_on_left, solid) = arrow(&rest[..len])?;
    let rest = rest[len..].trim_start();
    let (right_mult, rest) = quoted(rest).ok()?;
    let right_len = ident_len(rest);
    if right_len == 0 {
        return None;
    }
    let after = rest[right_len..].trim_start();
    let label = match after.strip_prefix(':') {
        // `: places >` — mermaid's reading direction marks are no part of the label.
        Some(l) => {
            Some(l.trim().trim_matches(['<', '>', '"', ' ']).to_string()).filter(|l| !l.is_empty())
        }
        None if after.is_empty() => None,
        None => return None,
    };
    let many = |c: Cardinality| matches!(c, Cardinality::ZeroOrMore | Cardinality::OneOrMore);
    let (left_card, right_card) = match (left_mult, right_mult) {
        (Some(l), Some(r)) => (l, r),
        // One multiplicity: a "many" end holds the key, else the other end does.
        (Some(l), None) if many(l) => (l, Cardinality::ExactlyOne),
        (Some(l), None) => (l, Cardinality::ZeroOrMore),
        (None, Some(r)) if many(r) => (Cardinality::ExactlyOne, r),
        (None, Some(r)) => (Cardinality::ZeroOrMore, r),
        (None, None) if key_on_left => (Cardinality::ZeroOrMore, Cardinality::ExactlyOne),
        (None, None) => (Cardinality::ExactlyOne, Cardinality::ZeroOrMore),
    };
    Some(Line {
        left: line[..left_len].to_string(),
        right: rest[..right_len].to_string(),
        left_card,
        right_card,
        written: left_mult.is_some() && right_mult.is_some(),
        solid,
        label,
        span: range(at, at + line.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Cardinality::*;

    fn read(text: &str) -> Option<(String, String, Cardinality, Cardinality, bool)> {
        line(text, 0).map(|l| (l.left, l.right, l.left_card, l.right_card, l.written))
    }

    #[test]
    fn multiplicities_are_the_cardinalities() {
        let l = line("Customer \"1\" --> \"*\" Order : places >", 4).expect("a relationship");
        assert_eq!((l.left.as_str(), l.right.as_str()), ("Customer", "Order"));
        assert_eq!(
            (l.left_card, l.right_card, l.written),
            (ExactlyOne, ZeroOrMore, true)
        );
        assert_eq!(l.label.as_deref(), Some("places"));
        assert_eq!((l.span.start, l.span.end), (4, 41));
        let l = read("Order \"1\" *-- \"1..*\" LineItem").expect("a composition");
        assert_eq!((l.2, l.3, l.4), (ExactlyOne, OneOrMore, true));
    }

    #[test]
    fn without_multiplicities_the_arrow_says_which_side_holds_the_key() {
        let key_right = (ExactlyOne, ZeroOrMore, false);
        let key_left = (ZeroOrMore, ExactlyOne, false);
        for (text, want) in [
            ("Order *-- LineItem", key_right),
            ("Order o-- LineItem", key_right),
            ("LineItem --* Order", key_left),
            ("Account <|-- Savings", key_right),
            ("Savings --|> Account", key_left),
            ("Customer --> Order", key_right),
            ("Order <-- Customer", key_left),
            ("Invoice -- Payment", key_right),
            ("Invoice .. Payment", key_right),
            ("Customer-->Order", key_right),
        ] {
            let l = read(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((l.2, l.3, l.4), want, "{text}");
        }
        // A lone "many" end holds the key whatever the arrow.
        let l = read("Customer --> \"*\" Order").expect("an association");
        assert_eq!((l.2, l.3, l.4), (ExactlyOne, ZeroOrMore, false));
    }

    #[test]
    fn lines_that_relate_no_tables_are_not_read() {
        for text in [
            "Order ..> Mailer",
            "Shape ..|> Drawable",
            "Order --() Printable",
            "Order : +bigint id PK",
            "class Order",
            "Order \"lots\" --> \"*\" Item",
            "Order --> Item extra words",
            "Order -> Item",
            "Order --- Item",
        ] {
            assert!(read(text).is_none(), "{text}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "A \"",
            "A \"1\" --",
            "A <|",
            "é -- ü",
            "A -- \"1",
            "A o",
            "--",
        ] {
            let _ = line(text, 0);
        }
    }
}
