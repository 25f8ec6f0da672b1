//! The inside of an entity's attribute block: `type name [PK, FK, UK] ["comment"]` lines, read
//! token by token so that a multi-word type, keys without commas or a missing `}` are read as
//! meant and reported.

use super::{range, Cur, ErdAttribute, ErdKey, KeyKind, OpenBlock, Parser};
use crate::model::normalize_type;
use crate::text::TextRange;

impl<'a> Parser<'a> {
    /// One line (or the rest of one) inside an attribute block. Returns the block if it stays
    /// open; after `}`, the rest of the line is read as a statement.
    pub(super) fn block_line(
        &mut self,
        open: OpenBlock,
        cur: Cur<'a>,
        in_acc_descr: &mut bool,
    ) -> Option<OpenBlock> {
        let toks = block_tokens(cur);
        // A block left open: the next entity or relationship line starts a new statement. Its
        // `{`, its `--` / `..`, or a `}` that is a cardinality (`}o`, `}|`) gives it away.
        let before_close = toks
            .iter()
            .position(|t| matches!(t, BTok::Close(_)))
            .unwrap_or(toks.len());
        let opens_other = toks[..before_close].iter().any(|t| match t {
            BTok::Other(r) => self.text(*r) == "{",
            BTok::Word(r, _) => {
                let w = self.text(*r);
                w.contains("--") || w.contains("..")
            }
            _ => false,
        }) || toks.get(before_close).is_some_and(|t| match t {
            BTok::Close(r) => {
                before_close > 0
                    && matches!(
                        self.code
                            .get(r.end as usize..)
                            .and_then(|s| s.chars().next()),
                        Some('o' | '|')
                    )
            }
            _ => false,
        });
        if opens_other {
            let name = self.entities[open.entity].name.clone();
            self.error_help(
                open.open,
                format!("the attribute block of `{name}` is never closed"),
                "end the block with `}` on its own line",
            );
            return self.statement(cur, in_acc_descr);
        }
        let mut i = 0;
        while i < toks.len() {
            match toks[i] {
                BTok::Close(r) => {
                    let e = &mut self.entities[open.entity];
                    if e.block == Some(open.open) {
                        e.block = Some(open.open.cover(r));
                    }
                    let mut rest = cur;
                    rest.pos = r.end as usize;
                    return if rest.at_end() {
                        None
                    } else {
                        self.statement(rest, in_acc_descr)
                    };
                }
                BTok::Word(r, _) if key_kind(self.text(r)).is_some() => {
                    self.error(
                        r,
                        "a key (PK, FK, UK) must follow an attribute's type and name",
                    );
                    i += 1;
                }
                BTok::Word(..) => i = self.attribute(open.entity, &toks, i),
                BTok::Comma(r) => {
                    self.error(r, "unexpected `,`");
                    i += 1;
                }
                BTok::Comment(r, _) => {
                    self.error(r, "a comment must follow an attribute's type and name");
                    i += 1;
                }
                BTok::Other(r) => {
                    let t = self.text(r).to_string();
                    self.error(r, format!("unexpected `{t}` in an attribute block"));
                    i += 1;
                }
            }
        }
        Some(open)
    }

    pub(super) fn text(&self, r: TextRange) -> &'a str {
        self.code.get(r.as_usize()).unwrap_or("")
    }

    /// An attribute starting at word token `i`; returns the index after it.
    pub(super) fn attribute(&mut self, entity: usize, toks: &[BTok], i: usize) -> usize {
        // The words before the first key, comma, comment or `}`.
        let words: Vec<(TextRange, bool)> = toks[i..]
            .iter()
            .map_while(|t| match *t {
                BTok::Word(r, spaced) if key_kind(self.text(r)).is_none() => Some((r, spaced)),
                _ => None,
            })
            .collect();
        let n = words.len();
        let (ty_range, name_idx) = if n >= 3 {
            // `timestamp with time zone created_at`: mermaid types are one word, but the author
            // meant a PostgreSQL type; read it so and report it.
            let joined = |k: usize| {
                words[..k]
                    .iter()
                    .map(|(r, _)| self.text(*r))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            if normalize_type(&joined(n - 1)).is_some() {
                let ty_range = words[0].0.cover(words[n - 2].0);
                let ty = joined(n - 1);
                self.error_help(
                    ty_range,
                    format!(
                        "mermaid reads only `{}` as the type of this attribute",
                        self.text(words[0].0)
                    ),
                    format!(
                        "write the type as one word, e.g. `{}`",
                        ty.replace(' ', "_")
                    ),
                );
                (ty_range, n - 1)
            } else {
                (words[0].0, 1)
            }
        } else if n == 2 {
            (words[0].0, 1)
        } else {
            let r = words.first().map_or(TextRange::default(), |w| w.0);
            let t = self.text(r).to_string();
            self.error_help(
                r,
                format!("attribute `{t}` needs a type and a name"),
                format!("write `type name`, e.g. `string {t}`"),
            );
            return i + n.max(1);
        };
        for (r, spaced) in &words[..=name_idx] {
            if *spaced {
                self.error_help(
                    *r,
                    "a space inside parentheses splits this word for mermaid",
                    "remove the spaces: `decimal(10,2)`",
                );
            }
        }
        let name_range = words[name_idx].0;
        let mut j = i + name_idx + 1;
        let mut keys = Vec::new();
        let mut expect_key = false;
        loop {
            match toks.get(j) {
                Some(BTok::Word(r, _)) => match key_kind(self.text(*r)) {
                    Some(kind) => {
                        if !keys.is_empty() && !expect_key {
                            self.error_help(
                                *r,
                                "keys must be separated by commas",
                                "write `PK, FK`",
                            );
                        }
                        keys.push(ErdKey { kind, span: *r });
                        expect_key = false;
                        j += 1;
                    }
                    None => break,
                },
                Some(BTok::Comma(r)) if !keys.is_empty() && !expect_key => {
                    expect_key = true;
                    let r = *r;
                    j += 1;
                    if !matches!(toks.get(j), Some(BTok::Word(w, _)) if key_kind(self.text(*w)).is_some())
                    {
                        self.error(r, "a comma must be followed by another key");
                    }
                }
                _ => break,
            }
        }
        let mut comment = None;
        let mut comment_span = None;
        let mut end = keys.last().map_or(name_range, |k| k.span);
        if let Some(BTok::Comment(r, closed)) = toks.get(j) {
            let inner = if *closed {
                TextRange::new(r.start + 1, (r.end - 1).max(r.start + 1))
            } else {
                self.error(*r, "unclosed `\"` in an attribute comment");
                TextRange::new(r.start + 1, r.end.max(r.start + 1))
            };
            comment = Some(self.text(inner).to_string());
            comment_span = Some(inner);
            end = *r;
            j += 1;
        }
        let attribute = ErdAttribute {
            ty: self
                .text(ty_range)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            ty_span: ty_range,
            name: self.text(name_range).to_string(),
            name_span: name_range,
            keys,
            comment,
            comment_span,
            span: ty_range.cover(end),
        };
        self.entities[entity].attributes.push(attribute);
        j
    }
}

pub(super) fn key_kind(word: &str) -> Option<KeyKind> {
    match word.to_ascii_uppercase().as_str() {
        "PK" => Some(KeyKind::Primary),
        "FK" => Some(KeyKind::Foreign),
        "UK" => Some(KeyKind::Unique),
        _ => None,
    }
}

/// A token inside an attribute block.
#[derive(Clone, Copy, Debug)]
pub(super) enum BTok {
    /// A word (backtick-quoted words: their content); `true` if a space sits inside its
    /// parentheses (`decimal(10, 2)`), which mermaid would split.
    Word(TextRange, bool),
    Comma(TextRange),
    /// `"..."` including the quotes; `false` if unclosed.
    Comment(TextRange, bool),
    Close(TextRange),
    Other(TextRange),
}

/// Tokens of the rest of a line inside a block.
pub(super) fn block_tokens(mut cur: Cur<'_>) -> Vec<BTok> {
    let mut out = Vec::new();
    loop {
        cur.skip_ws();
        let start = cur.pos;
        let Some(c) = cur.bump() else { break };
        match c {
            '}' => out.push(BTok::Close(range(start, cur.pos))),
            ',' => out.push(BTok::Comma(range(start, cur.pos))),
            '"' => {
                let closed = match cur.rest().find('"') {
                    Some(n) => {
                        cur.pos += n + 1;
                        true
                    }
                    None => {
                        cur.pos = cur.end;
                        false
                    }
                };
                out.push(BTok::Comment(range(start, cur.pos), closed));
            }
            '`' => match cur.rest().find('`') {
                Some(n) => {
                    out.push(BTok::Word(range(cur.pos, cur.pos + n), false));
                    cur.pos += n + 1;
                }
                None => out.push(BTok::Other(range(start, cur.pos))),
            },
            '{' | '%' | ':' | ';' | '|' | '=' | '#' => out.push(BTok::Other(range(start, cur.pos))),
            _ => {
                // A word: up to whitespace or a special character; parentheses kept whole when
                // they close on this line (`decimal(10,2)`, even `decimal(10, 2)`).
                let mut spaced = false;
                let mut depth = 0usize;
                if c == '(' {
                    depth = 1;
                }
                while let Some(d) = cur.peek() {
                    if depth > 0 {
                        if d == ')' {
                            depth -= 1;
                        } else if d == '(' {
                            depth += 1;
                        } else if d.is_whitespace() {
                            spaced = true;
                        }
                        cur.bump();
                        continue;
                    }
                    if d.is_whitespace() || matches!(d, '}' | '{' | '"' | '`' | ',') {
                        break;
                    }
                    if d == '(' {
                        if !cur.rest().contains(')') {
                            break;
                        }
                        depth = 1;
                    }
                    cur.bump();
                }
                if depth > 0 {
                    // An unclosed parenthesis ran to the line's end: keep the word as is.
                    spaced = false;
                }
                out.push(BTok::Word(range(start, cur.pos), spaced));
            }
        }
    }
    out
}
