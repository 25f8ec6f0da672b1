//! Relationship lines: `LEFT ||--o{ RIGHT : label`, with symbolic or worded cardinalities,
//! identifying (`--`, `to`) or not (`..`, `optionally to`), and the label.

use super::{is_name_char, range, Cur, ErdRelationship, Name, Parser};
use crate::model::Cardinality;
use crate::text::TextRange;

impl<'a> Parser<'a> {
    /// A cardinality at the cursor, symbolic or in words.
    pub(super) fn cardinality(cur: &mut Cur<'a>) -> Option<(Cardinality, TextRange)> {
        use Cardinality::*;
        let start = cur.pos;
        const SYMBOLS: [(&str, Cardinality); 7] = [
            ("|o", ZeroOrOne),
            ("||", ExactlyOne),
            ("}o", ZeroOrMore),
            ("}|", OneOrMore),
            ("o|", ZeroOrOne),
            ("o{", ZeroOrMore),
            ("|{", OneOrMore),
        ];
        for (sym, card) in SYMBOLS {
            if cur.eat(sym) {
                return Some((card, range(start, cur.pos)));
            }
        }
        const WORDS: [(&str, Cardinality); 15] = [
            ("zero or more", ZeroOrMore),
            ("zero or many", ZeroOrMore),
            ("zero or one", ZeroOrOne),
            ("one or zero", ZeroOrOne),
            ("one or more", OneOrMore),
            ("one or many", OneOrMore),
            ("only one", ExactlyOne),
            ("many(0)", ZeroOrMore),
            ("many(1)", OneOrMore),
            ("many", ZeroOrMore),
            ("one", ExactlyOne),
            ("1+", OneOrMore),
            ("0+", ZeroOrMore),
            ("1", ExactlyOne),
            // mermaid's MD_PARENT (`u`), drawn as a parent of exactly one.
            ("u", ExactlyOne),
        ];
        for (word, card) in WORDS {
            let save = *cur;
            if cur.eat(word) {
                let next = cur.peek();
                let boundary = if word == "u" {
                    matches!(next, Some('.' | '-' | '|'))
                } else {
                    next.is_none_or(|c| c.is_whitespace() || matches!(c, '-' | '.'))
                        || word.ends_with(')')
                        || word.ends_with('+')
                };
                if boundary {
                    return Some((card, range(start, cur.pos)));
                }
            }
            *cur = save;
        }
        None
    }

    /// The line between the cardinalities: `--` / `to` (identifying), `..` / `.-` / `-.` /
    /// `optionally to` (non-identifying).
    pub(super) fn rel_line(cur: &mut Cur<'a>) -> Option<(bool, TextRange)> {
        let start = cur.pos;
        for (lit, identifying) in [("--", true), ("..", false), (".-", false), ("-.", false)] {
            if cur.eat(lit) {
                return Some((identifying, range(start, cur.pos)));
            }
        }
        if cur.eat_word("optionally to") {
            return Some((false, range(start, cur.pos)));
        }
        if cur.eat_word("to") {
            return Some((true, range(start, cur.pos)));
        }
        None
    }

    pub(super) fn relationship(
        &mut self,
        left: Name,
        alias: Option<Name>,
        mut cur: Cur<'a>,
        line: TextRange,
    ) {
        if let Some(alias) = &alias {
            self.error_help(
                alias.span,
                "an alias cannot be given in a relationship",
                format!(
                    "declare it on its own line: `{}[\"{}\"]`",
                    left.text, alias.text
                ),
            );
        }
        let Some((left_card, left_card_span)) = Self::cardinality(&mut cur) else {
            self.error_help(
                cur.rest_range(),
                format!(
                    "expected a relationship (`||--o{{`) or `{{` after `{}`",
                    left.text
                ),
                "write `A ||--o{ B : label`, or `A { type name }` for attributes",
            );
            return;
        };
        cur.skip_ws();
        let Some((identifying, line_span)) = Self::rel_line(&mut cur) else {
            self.error_help(
                cur.rest_range().cover(left_card_span),
                "expected `--` (identifying) or `..` (non-identifying) after the cardinality",
                "write e.g. `||--o{` or `||..o{`",
            );
            return;
        };
        cur.skip_ws();
        let Some((right_card, right_card_span)) = Self::cardinality(&mut cur) else {
            self.error_help(
                cur.rest_range().cover(line_span),
                "expected a cardinality after the relationship line",
                "one of `|o`, `||`, `o{`, `|{` (or `}o`, `}|`, `o|`)",
            );
            return;
        };
        let Some(right) = self.name(&mut cur) else {
            self.error(
                cur.rest_range().cover(right_card_span),
                "expected the second entity of the relationship",
            );
            return;
        };
        let right_alias = self.alias(&mut cur);
        if let Some(a) = &right_alias {
            self.error_help(
                a.span,
                "an alias cannot be given in a relationship",
                format!(
                    "declare it on its own line: `{}[\"{}\"]`",
                    right.text, a.text
                ),
            );
        }
        self.style_suffix(&mut cur);
        cur.skip_ws();
        let (label, label_span) = self.label(&mut cur, &right);
        let end = label_span.map_or(right.span.end, |s| s.end);
        let span = TextRange::new(line.start, end.max(line.start));
        let li = self.mention(&left);
        let ri = self.mention(&right);
        self.set_alias(li, alias);
        self.set_alias(ri, right_alias);
        self.relationships.push(ErdRelationship {
            left: left.text,
            left_span: left.span,
            right: right.text,
            right_span: right.span,
            left_card,
            left_card_span,
            right_card,
            right_card_span,
            identifying,
            line_span,
            label,
            label_span,
            span,
        });
    }

    /// `: label` or `: "a label"`; a bare label of several words is read and reported.
    pub(super) fn label(
        &mut self,
        cur: &mut Cur<'a>,
        right: &Name,
    ) -> (Option<String>, Option<TextRange>) {
        if cur.peek() != Some(':') {
            if cur.at_end() {
                self.error_help(
                    right.span,
                    "a relationship needs a label",
                    format!("add one after `{}`: `: has`", right.text),
                );
            } else {
                self.error_help(
                    cur.rest_range(),
                    "expected `: label` after the relationship",
                    "write `A ||--o{ B : label`",
                );
            }
            return (None, None);
        }
        let colon = range(cur.pos, cur.pos + 1);
        cur.bump();
        cur.skip_ws();
        if cur.peek() == Some('"') {
            let open = cur.pos;
            cur.bump();
            let start = cur.pos;
            let Some(close) = cur.rest().find('"') else {
                self.error(
                    range(open, cur.end),
                    "unclosed `\"` in a relationship label",
                );
                let text = cur.rest().trim_end().to_string();
                return (Some(text.clone()), Some(range(start, start + text.len())));
            };
            let text = cur.rest()[..close].to_string();
            cur.pos += close + 1;
            let span = range(start, start + close);
            if !cur.at_end() {
                self.error(
                    cur.rest_range(),
                    "unexpected text after the relationship label",
                );
            }
            return (Some(text), Some(span));
        }
        if cur.at_end() {
            self.error_help(
                colon,
                "a relationship label cannot be empty",
                "write `: has` or `: \"\"`",
            );
            return (None, None);
        }
        let span = cur.rest_range();
        let text = cur.code.get(span.as_usize()).unwrap_or("").to_string();
        let bare = text.chars().all(is_name_char);
        if !bare {
            self.error_help(
                span,
                "a label of several words must be quoted",
                format!("write `: \"{text}\"`"),
            );
        }
        (Some(text), Some(span))
    }
}
