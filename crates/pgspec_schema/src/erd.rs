//! A reader for mermaid `erDiagram` blocks: entities with their attributes, aliases and
//! relationships, with the exact span of every token.
//!
//! The grammar follows mermaid's own (`erDiagram.jison`): statements are one per line;
//! `ENTITY`, `ENTITY["Alias"]`, `ENTITY { type name PK, FK "comment" ... }` and
//! `LEFT ||--o{ RIGHT : label`, with the symbolic (`|o || }o }| o| o{ |{`) and the word
//! (`zero or more`, `only one`, `1+`, …) cardinalities, `--` / `to` (identifying) and `..` /
//! `optionally to` (non-identifying) lines. `%%` comments, front matter, `direction`, `style`,
//! `classDef`, `class`, `accTitle` / `accDescr` and `:::class` suffixes are read and ignored.
//!
//! The reader is forgiving where documents are: a multi-word type (`timestamp with time zone`),
//! a bare multi-word label, keys without commas or a block left open are read as meant and
//! reported, because mermaid would refuse them. A line that cannot be read is reported and
//! skipped; the rest of the diagram is still read. Never panics.

use std::collections::HashMap;

use serde::Serialize;

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::document::{offset, CodeBlock, Document};
use crate::text::TextRange;

use super::model::{normalize_type, Cardinality, DocColumn, DocRelationship, DocTable, SourceKind};
use super::notes;

/// A problem in a diagram: a range in the block's code (or, after [`parse_block`], in the
/// document) and a one-line message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErdError {
    pub range: TextRange,
    pub message: String,
    /// How to write it so mermaid accepts it, when there is one way.
    pub help: Option<String>,
}

/// An attribute key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeyKind {
    /// `PK`
    Primary,
    /// `FK`
    Foreign,
    /// `UK`
    Unique,
}

/// A key of an attribute with its token's span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ErdKey {
    pub kind: KeyKind,
    pub span: TextRange,
}

/// `type name [PK, FK] ["comment"]` inside an entity's block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErdAttribute {
    /// As written (backticks removed); several words when the author wrote a multi-word type.
    pub ty: String,
    pub ty_span: TextRange,
    pub name: String,
    pub name_span: TextRange,
    pub keys: Vec<ErdKey>,
    /// Without its quotes.
    pub comment: Option<String>,
    /// The comment's content (inside the quotes).
    pub comment_span: Option<TextRange>,
    /// From the type's start to the end of the last token.
    pub span: TextRange,
}

/// An entity: declared with a block, or only mentioned in relationships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErdEntity {
    /// As written (quotes removed); entities are the same when their names are (mermaid's rule).
    pub name: String,
    /// The name token of the first declaration with a block, else of the first mention.
    pub name_span: TextRange,
    pub alias: Option<String>,
    pub alias_span: Option<TextRange>,
    pub attributes: Vec<ErdAttribute>,
    /// `{` through `}` of the first attribute block, if the entity has one.
    pub block: Option<TextRange>,
    /// Every occurrence of the name, in order.
    pub mentions: Vec<TextRange>,
}

/// `LEFT <card><line><card> RIGHT : label`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErdRelationship {
    pub left: String,
    pub left_span: TextRange,
    pub right: String,
    pub right_span: TextRange,
    pub left_card: Cardinality,
    pub left_card_span: TextRange,
    pub right_card: Cardinality,
    pub right_card_span: TextRange,
    /// `--` / `to` rather than `..` / `optionally to`.
    pub identifying: bool,
    pub line_span: TextRange,
    /// Without quotes; `None` when missing (an error in mermaid).
    pub label: Option<String>,
    pub label_span: Option<TextRange>,
    /// The whole statement.
    pub span: TextRange,
}

/// Parse the code of a mermaid block. Ranges are byte offsets into `block_code`.
///
/// A block that does not start with `erDiagram` (after front matter and `%%` comments) yields
/// one error and nothing else.
pub fn parse_erd(block_code: &str) -> (Vec<ErdEntity>, Vec<ErdRelationship>, Vec<ErdError>) {
    let mut parser = Parser {
        code: block_code,
        entities: Vec::new(),
        by_name: HashMap::new(),
        relationships: Vec::new(),
        errors: Vec::new(),
    };
    parser.run();
    (parser.entities, parser.relationships, parser.errors)
}

/// Whether a block holds an ER diagram: tagged `mermaid` (or `mmd`, or untagged) and starting
/// with `erDiagram`.
pub fn is_erd_block(block: &CodeBlock) -> bool {
    matches!(block.lang.as_str(), "mermaid" | "mmd" | "") && header_line(&block.code).is_some()
}

/// [`parse_erd`] on a block, with every range mapped to document offsets.
pub fn parse_block(block: &CodeBlock) -> (Vec<ErdEntity>, Vec<ErdRelationship>, Vec<ErdError>) {
    let (mut entities, mut relationships, mut errors) = parse_erd(&block.code);
    let map = |r: TextRange| block.source_map.range_to_document(r);
    for e in &mut entities {
        e.name_span = map(e.name_span);
        e.alias_span = e.alias_span.map(map);
        e.block = e.block.map(map);
        for m in &mut e.mentions {
            *m = map(*m);
        }
        for a in &mut e.attributes {
            a.ty_span = map(a.ty_span);
            a.name_span = map(a.name_span);
            a.comment_span = a.comment_span.map(map);
            a.span = map(a.span);
            for k in &mut a.keys {
                k.span = map(k.span);
            }
        }
    }
    for r in &mut relationships {
        r.left_span = map(r.left_span);
        r.right_span = map(r.right_span);
        r.left_card_span = map(r.left_card_span);
        r.right_card_span = map(r.right_card_span);
        r.line_span = map(r.line_span);
        r.label_span = r.label_span.map(map);
        r.span = map(r.span);
    }
    for e in &mut errors {
        e.range = map(e.range);
    }
    (entities, relationships, errors)
}

/// Every ER diagram of the document as schema tables and relationships (spans in document
/// coordinates), with ERD001 for what could not be read.
pub fn from_document(doc: &Document) -> (Vec<DocTable>, Vec<DocRelationship>, Vec<Diagnostic>) {
    let mut tables = Vec::new();
    let mut relationships = Vec::new();
    let mut diagnostics = Vec::new();
    for block in doc.blocks.iter().filter(|b| is_erd_block(b)) {
        let (entities, rels, errors) = parse_block(block);
        let (t, r) = to_schema(&entities, &rels);
        tables.extend(t);
        relationships.extend(r);
        diagnostics.extend(errors.into_iter().map(diagnostic));
    }
    (tables, relationships, diagnostics)
}

/// An ERD001 diagnostic for a parse problem (range already in document coordinates).
pub fn diagnostic(error: ErdError) -> Diagnostic {
    let d = Diagnostic::new(
        Code::ErdSyntax,
        Category::Document,
        format!("erDiagram: {}", error.message),
        error.range,
    )
    .note("mermaid would not render this diagram; pgspec read what it could");
    match error.help {
        Some(help) => d.help(help),
        None => d,
    }
}

/// The model's view of one diagram: a table per entity (in order of first appearance) and the
/// relationships. Names are lowercased; an FK attribute's target is taken from its comment
/// (`"references users(id)"`) when it names one ([`super::infer_references`] guesses the rest).
pub fn to_schema(
    entities: &[ErdEntity],
    relationships: &[ErdRelationship],
) -> (Vec<DocTable>, Vec<DocRelationship>) {
    let tables = entities
        .iter()
        .map(|e| DocTable {
            name: e.name.to_lowercase(),
            source: SourceKind::Erd,
            span: e.name_span,
            alias: e.alias.clone(),
            defined: e.block.is_some(),
            columns: e.attributes.iter().map(column).collect(),
        })
        .collect();
    let rels = relationships
        .iter()
        .map(|r| DocRelationship {
            left: r.left.to_lowercase(),
            right: r.right.to_lowercase(),
            left_card: r.left_card,
            right_card: r.right_card,
            identifying: r.identifying,
            label: r.label.clone(),
            span: r.span,
        })
        .collect();
    (tables, rels)
}

fn column(a: &ErdAttribute) -> DocColumn {
    let has = |k: KeyKind| a.keys.iter().any(|key| key.kind == k);
    // mermaid's `type?` marks an optional attribute.
    let (ty, optional) = match a.ty.strip_suffix('?') {
        Some(t) => (t, true),
        None => (a.ty.as_str(), false),
    };
    let facts = a
        .comment
        .as_deref()
        .map(notes::parse_notes)
        .unwrap_or_default();
    let foreign_key = has(KeyKind::Foreign) || facts.references.is_some();
    let references = facts.references.clone();
    let enum_values = if ty.eq_ignore_ascii_case("enum") {
        facts.enum_values.clone()
    } else {
        Vec::new()
    };
    DocColumn {
        name: a.name.to_lowercase(),
        raw_type: a.ty.clone(),
        pg_type: normalize_type(ty),
        primary_key: has(KeyKind::Primary) || facts.primary_key,
        unique: has(KeyKind::Unique) || facts.unique,
        foreign_key,
        not_null: if optional {
            Some(false)
        } else {
            facts.not_null
        },
        default: facts.default,
        references,
        references_inferred: false,
        enum_values,
        comment: a.comment.clone(),
        span: a.name_span,
        type_span: a.ty_span,
    }
}

/// The first significant line's range, if it is the `erDiagram` header (after optional front
/// matter and `%%` comments).
fn header_line(code: &str) -> Option<(usize, usize)> {
    let mut in_front = false;
    let mut first = true;
    for (start, line) in lines(code) {
        let t = line.trim();
        if in_front {
            if t == "---" {
                in_front = false;
            }
            continue;
        }
        if t.is_empty() || t.starts_with("%%") {
            continue;
        }
        if first && t == "---" {
            in_front = true;
            first = false;
            continue;
        }
        let word_end = t
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(t.len());
        let lead = line.len() - line.trim_start().len();
        return t[..word_end]
            .eq_ignore_ascii_case("erdiagram")
            .then_some((start, start + lead + word_end));
    }
    None
}

/// Lines of `code` as (start offset, text without `\n` and a trailing `\r`).
fn lines(code: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0usize;
    std::iter::from_fn(move || {
        if start > code.len() {
            return None;
        }
        let end = code[start..].find('\n').map_or(code.len(), |i| start + i);
        let line = &code[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let item = (start, line);
        start = end + 1;
        Some(item)
    })
}

fn range(start: usize, end: usize) -> TextRange {
    TextRange::new(offset(start), offset(end.max(start)))
}

/// Characters of an entity name (mermaid's UNICODE_TEXT: non-ASCII, word characters, `-`, `*`,
/// `.`).
fn is_name_char(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*' | '.')
}

/// A position in one line of the code.
#[derive(Clone, Copy)]
struct Cur<'a> {
    code: &'a str,
    pos: usize,
    end: usize,
}

impl<'a> Cur<'a> {
    fn rest(&self) -> &'a str {
        self.code.get(self.pos..self.end).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn at_end(&self) -> bool {
        self.rest().trim().is_empty()
    }

    /// Consume `lit` (ASCII, case-insensitive) if the rest starts with it.
    fn eat(&mut self, lit: &str) -> bool {
        let hit = self
            .rest()
            .get(..lit.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(lit));
        if hit {
            self.pos += lit.len();
        }
        hit
    }

    /// Consume a word-like `lit` only when no word character follows it.
    fn eat_word(&mut self, lit: &str) -> bool {
        let save = self.pos;
        if self.eat(lit) {
            if self
                .peek()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            {
                return true;
            }
            self.pos = save;
        }
        false
    }

    /// The trimmed range from the current position to the line's end.
    fn rest_range(&self) -> TextRange {
        let rest = self.rest();
        let lead = rest.len() - rest.trim_start().len();
        let start = self.pos + lead;
        range(start, start + rest.trim().len())
    }
}

/// A name token: the text (quotes removed) and the span of that text.
struct Name {
    text: String,
    span: TextRange,
}

struct Parser<'a> {
    code: &'a str,
    entities: Vec<ErdEntity>,
    by_name: HashMap<String, usize>,
    relationships: Vec<ErdRelationship>,
    errors: Vec<ErdError>,
}

/// An attribute block being read: the entity and the `{`.
struct OpenBlock {
    entity: usize,
    open: TextRange,
}

impl<'a> Parser<'a> {
    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(ErdError {
            range,
            message: message.into(),
            help: None,
        });
    }

    fn error_help(
        &mut self,
        range: TextRange,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors.push(ErdError {
            range,
            message: message.into(),
            help: Some(help.into()),
        });
    }

    fn run(&mut self) {
        let code = self.code;
        let Some((header_start, header_end)) = header_line(code) else {
            let first =
                lines(code)
                    .find(|(_, l)| !l.trim().is_empty())
                    .map_or(range(0, 0), |(s, l)| {
                        let lead = l.len() - l.trim_start().len();
                        range(s + lead, s + lead + l.trim().len())
                    });
            self.error(first, "a mermaid ER diagram starts with `erDiagram`");
            return;
        };
        let mut block: Option<OpenBlock> = None;
        let mut in_acc_descr = false;
        for (start, line) in lines(code) {
            let end = start + line.len();
            if end <= header_start {
                continue;
            }
            let from = if start <= header_start {
                header_end
            } else {
                start
            };
            let cur = Cur {
                code,
                pos: from,
                end,
            };
            if in_acc_descr {
                in_acc_descr = !cur.rest().contains('}');
                continue;
            }
            let trimmed = cur.rest().trim_start();
            if trimmed.is_empty() || trimmed.starts_with("%%") {
                continue;
            }
            block = match block.take() {
                Some(open) => self.block_line(open, cur, &mut in_acc_descr),
                None => self.statement(cur, &mut in_acc_descr),
            };
        }
        if let Some(open) = block {
            let name = self.entities[open.entity].name.clone();
            self.error_help(
                open.open,
                format!("the attribute block of `{name}` is never closed"),
                "end the block with `}` on its own line",
            );
        }
    }

    /// One statement outside attribute blocks; returns the block it opens, if any.
    fn statement(&mut self, mut cur: Cur<'a>, in_acc_descr: &mut bool) -> Option<OpenBlock> {
        cur.skip_ws();
        if self.keyword_line(cur, in_acc_descr) {
            return None;
        }
        let line_range = cur.rest_range();
        let Some(left) = self.name(&mut cur) else {
            self.error(line_range, "expected an entity name or a relationship");
            return None;
        };
        let alias = self.alias(&mut cur);
        self.style_suffix(&mut cur);
        cur.skip_ws();
        if cur.at_end() {
            let idx = self.mention(&left);
            self.set_alias(idx, alias);
            return None;
        }
        if cur.peek() == Some('{') {
            let brace = range(cur.pos, cur.pos + 1);
            cur.bump();
            let idx = self.mention(&left);
            self.set_alias(idx, alias);
            let e = &mut self.entities[idx];
            if e.block.is_none() {
                e.block = Some(brace);
                e.name_span = left.span;
            }
            let open = OpenBlock {
                entity: idx,
                open: brace,
            };
            return self.block_line(open, cur, in_acc_descr);
        }
        self.relationship(left, alias, cur, line_range);
        None
    }

    /// `direction`, `style`, `classDef`, `class`, `title`, `accTitle`, `accDescr`, `subgraph`,
    /// `end`: read and ignored.
    fn keyword_line(&mut self, cur: Cur<'a>, in_acc_descr: &mut bool) -> bool {
        let rest = cur.rest();
        let word_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let word = rest[..word_end].to_ascii_lowercase();
        let after = rest[word_end..].chars().next();
        let keyword = match word.as_str() {
            "direction" | "classdef" | "class" | "style" | "subgraph" => {
                after.is_some_and(char::is_whitespace)
            }
            "title" | "acctitle" | "accdescr" => {
                after.is_none_or(|c| c.is_whitespace() || c == ':' || c == '{')
            }
            "end" => rest[word_end..].trim().is_empty(),
            _ => false,
        };
        if keyword && word == "accdescr" {
            let tail = rest[word_end..].trim_start();
            if tail.starts_with('{') && !tail.contains('}') {
                *in_acc_descr = true;
            }
        }
        keyword
    }

    /// An entity name: `"quoted"` or a run of name characters (stopping before `--` / `..`).
    fn name(&mut self, cur: &mut Cur<'a>) -> Option<Name> {
        cur.skip_ws();
        if cur.peek() == Some('"') {
            let open = cur.pos;
            cur.bump();
            let start = cur.pos;
            while let Some(c) = cur.peek() {
                if c == '"' {
                    let text = cur.code.get(start..cur.pos).unwrap_or("").to_string();
                    cur.bump();
                    if text.trim().is_empty() {
                        self.error(range(open, cur.pos), "an entity name cannot be empty");
                        return None;
                    }
                    return Some(Name {
                        text,
                        span: range(start, cur.pos - 1),
                    });
                }
                cur.bump();
            }
            self.error(range(open, cur.pos), "unclosed `\"` in an entity name");
            return None;
        }
        let start = cur.pos;
        while let Some(c) = cur.peek() {
            if !is_name_char(c) {
                break;
            }
            // `A--B`: the relationship line is not part of the name.
            let pair = (c, cur.peek2());
            if matches!(pair, ('-', Some('-' | '.')) | ('.', Some('.' | '-'))) {
                break;
            }
            cur.bump();
        }
        (cur.pos > start).then(|| Name {
            text: cur.code.get(start..cur.pos).unwrap_or("").to_string(),
            span: range(start, cur.pos),
        })
    }

    /// `["Alias"]` / `[Alias]` after an entity name.
    fn alias(&mut self, cur: &mut Cur<'a>) -> Option<Name> {
        let save = *cur;
        cur.skip_ws();
        if cur.peek() != Some('[') {
            *cur = save;
            return None;
        }
        let open = cur.pos;
        cur.bump();
        let rest = cur.rest();
        let Some(close) = rest.find(']') else {
            self.error(range(open, cur.end), "unclosed `[` after an entity name");
            cur.pos = cur.end;
            return None;
        };
        let inner = &rest[..close];
        let lead = inner.len() - inner.trim_start().len();
        let mut start = cur.pos + lead;
        let mut text = inner.trim();
        if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
            text = &text[1..text.len() - 1];
            start += 1;
        }
        let alias = Name {
            text: text.to_string(),
            span: range(start, start + text.len()),
        };
        cur.pos += close + 1;
        Some(alias)
    }

    /// `:::className[,other]` after an entity: styling, ignored.
    fn style_suffix(&mut self, cur: &mut Cur<'a>) {
        let save = *cur;
        cur.skip_ws();
        if !cur.eat(":::") {
            *cur = save;
            return;
        }
        while cur.peek().is_some_and(|c| is_name_char(c) || c == ',') {
            cur.bump();
        }
    }

    fn mention(&mut self, name: &Name) -> usize {
        if let Some(&idx) = self.by_name.get(&name.text) {
            self.entities[idx].mentions.push(name.span);
            return idx;
        }
        let idx = self.entities.len();
        self.entities.push(ErdEntity {
            name: name.text.clone(),
            name_span: name.span,
            alias: None,
            alias_span: None,
            attributes: Vec::new(),
            block: None,
            mentions: vec![name.span],
        });
        self.by_name.insert(name.text.clone(), idx);
        idx
    }

    fn set_alias(&mut self, idx: usize, alias: Option<Name>) {
        if let Some(alias) = alias {
            let e = &mut self.entities[idx];
            if e.alias.is_none() {
                e.alias = Some(alias.text);
                e.alias_span = Some(alias.span);
            }
        }
    }

    /// A cardinality at the cursor, symbolic or in words.
    fn cardinality(cur: &mut Cur<'a>) -> Option<(Cardinality, TextRange)> {
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
    fn rel_line(cur: &mut Cur<'a>) -> Option<(bool, TextRange)> {
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

    fn relationship(&mut self, left: Name, alias: Option<Name>, mut cur: Cur<'a>, line: TextRange) {
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
    fn label(&mut self, cur: &mut Cur<'a>, right: &Name) -> (Option<String>, Option<TextRange>) {
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

    /// One line (or the rest of one) inside an attribute block. Returns the block if it stays
    /// open; after `}`, the rest of the line is read as a statement.
    fn block_line(
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

    fn text(&self, r: TextRange) -> &'a str {
        self.code.get(r.as_usize()).unwrap_or("")
    }

    /// An attribute starting at word token `i`; returns the index after it.
    fn attribute(&mut self, entity: usize, toks: &[BTok], i: usize) -> usize {
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

fn key_kind(word: &str) -> Option<KeyKind> {
    match word.to_ascii_uppercase().as_str() {
        "PK" => Some(KeyKind::Primary),
        "FK" => Some(KeyKind::Foreign),
        "UK" => Some(KeyKind::Unique),
        _ => None,
    }
}

/// A token inside an attribute block.
#[derive(Clone, Copy, Debug)]
enum BTok {
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
fn block_tokens(mut cur: Cur<'_>) -> Vec<BTok> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(code: &str, r: TextRange) -> &str {
        &code[r.as_usize()]
    }

    const ALL: &str = r#"---
title: Shop
---
%% a comment
erDiagram
    direction LR
    CUSTOMER ||--o{ ORDER : places
    ORDER ||--|{ LINE_ITEM : contains
    CUSTOMER }|..|{ DELIVERY_ADDRESS : "uses for delivery"
    PRODUCT |o--o| PRICE : has
    ORDER }o--|| STORE : "sold at"
    CAR 1 to zero or more NAMED-DRIVER : allows
    PERSON only one optionally to one or more CAR : drives
    p[Person] {
        string firstName
    }
    a["Customer Account"] {
        string email UK
    }
    CUSTOMER {
        string name "the full name"
        string custNumber PK, FK "from CRM"
        int age
        decimal(10,2) limit
    }
    ORDER {
        int orderNumber PK
        string deliveryAddress FK,UK
    }
    LINE_ITEM { string productCode int quantity }
    style CUSTOMER fill:#f9f
"#;

    #[test]
    fn reads_every_cardinality_alias_and_attribute_form() {
        let (entities, rels, errors) = parse_erd(ALL);
        assert!(errors.is_empty(), "{errors:#?}");
        let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "CUSTOMER",
                "ORDER",
                "LINE_ITEM",
                "DELIVERY_ADDRESS",
                "PRODUCT",
                "PRICE",
                "STORE",
                "CAR",
                "NAMED-DRIVER",
                "PERSON",
                "p",
                "a"
            ]
        );
        use Cardinality::*;
        let cards: Vec<(Cardinality, Cardinality, bool)> = rels
            .iter()
            .map(|r| (r.left_card, r.right_card, r.identifying))
            .collect();
        assert_eq!(
            cards,
            [
                (ExactlyOne, ZeroOrMore, true),
                (ExactlyOne, OneOrMore, true),
                (OneOrMore, OneOrMore, false),
                (ZeroOrOne, ZeroOrOne, true),
                (ZeroOrMore, ExactlyOne, true),
                (ExactlyOne, ZeroOrMore, true),
                (ExactlyOne, OneOrMore, false),
            ]
        );
        let labels: Vec<&str> = rels.iter().filter_map(|r| r.label.as_deref()).collect();
        assert_eq!(
            labels,
            [
                "places",
                "contains",
                "uses for delivery",
                "has",
                "sold at",
                "allows",
                "drives"
            ]
        );
        // Spans are exact.
        for r in &rels {
            assert_eq!(text(ALL, r.left_span), r.left);
            assert_eq!(text(ALL, r.right_span), r.right);
            if let (Some(l), Some(s)) = (&r.label, r.label_span) {
                assert_eq!(text(ALL, s), l);
            }
        }
        assert_eq!(text(ALL, rels[2].left_card_span), "}|");
        assert_eq!(text(ALL, rels[2].line_span), "..");
        assert_eq!(text(ALL, rels[2].right_card_span), "|{");
        assert_eq!(text(ALL, rels[5].right_card_span), "zero or more");
        assert_eq!(text(ALL, rels[6].line_span), "optionally to");
        assert!(text(ALL, rels[0].span).starts_with("CUSTOMER ||--o{ ORDER : places"));

        let p = &entities[10];
        assert_eq!(p.alias.as_deref(), Some("Person"));
        assert_eq!(text(ALL, p.alias_span.expect("alias span")), "Person");
        let a = &entities[11];
        assert_eq!(a.alias.as_deref(), Some("Customer Account"));
        assert_eq!(a.attributes[0].keys[0].kind, KeyKind::Unique);

        let customer = &entities[0];
        // The name span is the declaration with the block, not the first mention.
        assert!(
            text(
                ALL,
                TextRange::new(customer.name_span.start, customer.name_span.end + 2)
            ) == "CUSTOMER {"
        );
        assert_eq!(customer.mentions.len(), 3);
        let attrs = &customer.attributes;
        assert_eq!(attrs.len(), 4);
        assert_eq!(attrs[0].comment.as_deref(), Some("the full name"));
        assert_eq!(
            text(ALL, attrs[0].comment_span.expect("comment")),
            "the full name"
        );
        let kinds: Vec<KeyKind> = attrs[1].keys.iter().map(|k| k.kind).collect();
        assert_eq!(kinds, [KeyKind::Primary, KeyKind::Foreign]);
        assert_eq!(text(ALL, attrs[1].keys[1].span), "FK");
        assert_eq!(attrs[3].ty, "decimal(10,2)");
        assert_eq!(text(ALL, attrs[3].ty_span), "decimal(10,2)");
        for e in &entities {
            for at in &e.attributes {
                assert_eq!(text(ALL, at.name_span), at.name);
                assert_eq!(text(ALL, at.ty_span), at.ty);
            }
        }
        let order = &entities[1];
        let kinds: Vec<KeyKind> = order.attributes[1].keys.iter().map(|k| k.kind).collect();
        assert_eq!(kinds, [KeyKind::Foreign, KeyKind::Unique]);
        // Two attributes on one line, and the block closed on the same line.
        let li = &entities[2];
        assert_eq!(li.attributes.len(), 2);
        assert_eq!(li.attributes[1].name, "quantity");
        assert!(li.block.is_some());
        // Only mentioned entities have no block.
        assert!(entities[3].block.is_none());
    }

    #[test]
    fn problems_are_reported_and_the_rest_is_read() {
        let code = "erDiagram
    USERS ||--o{ ORDERS : places order
    USERS ||--o{ PAYMENTS
    this is garbage !!
    USERS ~~ ORDERS : x
    ORDERS {
        timestamp with time zone created_at
        uuid id PK FK
        decimal(10, 2) total
        orphan
        string note \"unclosed
    }
    ITEMS {
        int id PK

    SHIPMENTS ||--o{ ITEMS : ships
    ITEMS {
        int sku
";
        let (entities, rels, errors) = parse_erd(code);
        let messages: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (text(code, e.range), e.message.as_str()))
            .collect();
        let has =
            |needle: &str, at: &str| messages.iter().any(|(t, m)| m.contains(needle) && *t == at);
        assert!(has("must be quoted", "places order"), "{messages:#?}");
        assert!(has("needs a label", "PAYMENTS"), "{messages:#?}");
        assert!(
            has("expected a relationship", "is garbage !!"),
            "{messages:#?}"
        );
        assert!(
            has("expected a relationship", "~~ ORDERS : x"),
            "{messages:#?}"
        );
        assert!(
            has("only `timestamp`", "timestamp with time zone"),
            "{messages:#?}"
        );
        assert!(has("separated by commas", "FK"), "{messages:#?}");
        assert!(
            has("space inside parentheses", "decimal(10, 2)"),
            "{messages:#?}"
        );
        assert!(has("needs a type and a name", "orphan"), "{messages:#?}");
        assert!(has("unclosed", "\"unclosed"), "{messages:#?}");
        assert!(
            messages
                .iter()
                .filter(|(t, m)| m.contains("never closed") && *t == "{")
                .count()
                == 2,
            "{messages:#?}"
        );
        assert_eq!(rels.len(), 3);
        assert_eq!(rels[0].label.as_deref(), Some("places order"));
        assert_eq!(rels[1].label, None);
        let orders = entities
            .iter()
            .find(|e| e.name == "ORDERS")
            .expect("ORDERS");
        let attrs: Vec<(&str, &str)> = orders
            .attributes
            .iter()
            .map(|a| (a.ty.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("timestamp with time zone", "created_at"),
                ("uuid", "id"),
                ("decimal(10, 2)", "total"),
                ("string", "note")
            ]
        );
        let items = entities.iter().find(|e| e.name == "ITEMS").expect("ITEMS");
        assert_eq!(items.attributes.len(), 2);
    }

    #[test]
    fn not_an_er_diagram() {
        let (e, r, errors) = parse_erd("graph TD\n  A --> B\n");
        assert!(e.is_empty() && r.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].range, TextRange::new(0, 8));
        let (_, _, errors) = parse_erd("");
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn header_may_share_its_line_with_a_statement_and_crlf_is_fine() {
        let code = "erDiagram A ||--o{ B : has\r\n  B {\r\n    int id PK\r\n  }\r\n";
        let (entities, rels, errors) = parse_erd(code);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rels.len(), 1);
        assert_eq!(entities[1].attributes[0].name, "id");
        assert_eq!(text(code, entities[1].attributes[0].name_span), "id");
    }

    #[test]
    fn schema_view_lowercases_normalises_and_infers_targets() {
        let code = "erDiagram
    USERS ||--o{ ORDER_ITEMS : has
    GENERATION_JOBS ||--o{ ORDER_ITEMS : makes
    USERS {
        uuid id PK
        string email UK
        timestamp created_at
        enum role \"one of admin, member\"
    }
    ORDER_ITEMS {
        uuid user_id FK
        uuid job_id FK
        uuid other_id FK \"references products(id)\"
        string? note
    }
";
        let (entities, rels, errors) = parse_erd(code);
        assert!(errors.is_empty(), "{errors:?}");
        let (tables, rels) = to_schema(&entities, &rels);
        let mut schema = crate::DocSchema {
            tables,
            relationships: rels,
        };
        assert_eq!(schema.tables[1].columns[0].references, None);
        crate::infer_references(&mut schema, &[]);
        let crate::DocSchema {
            tables,
            relationships: rels,
        } = schema;
        assert_eq!(tables[0].name, "users");
        assert_eq!(tables[1].name, "order_items");
        assert!(tables[0].defined && !tables[2].defined);
        let users = &tables[0].columns;
        assert_eq!(users[0].pg_type.as_deref(), Some("uuid"));
        assert!(users[0].primary_key);
        assert_eq!(users[1].pg_type.as_deref(), Some("text"));
        assert!(users[1].unique);
        assert_eq!(
            users[2].pg_type.as_deref(),
            Some("timestamp without time zone")
        );
        assert_eq!(users[3].pg_type, None);
        assert_eq!(users[3].enum_values, ["admin", "member"]);
        let items = &tables[1].columns;
        assert_eq!(items[0].references, Some(("users".into(), None)));
        assert_eq!(items[1].references, Some(("generation_jobs".into(), None)));
        assert_eq!(
            items[2].references,
            Some(("products".into(), Some("id".into())))
        );
        assert_eq!(items[3].not_null, Some(false));
        assert_eq!(items[3].pg_type.as_deref(), Some("text"));
        assert_eq!(rels[0].left, "users");
        assert_eq!(rels[0].right, "order_items");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_and_spans_are_in_bounds(code in any::<String>()) {
            check_spans(&code);
        }

        #[test]
        fn never_panics_on_erd_like_input(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "erDiagram", "A ||--o{ B : x", "A {", "}", "string name PK, FK \"c\"",
                    "A[\"x\"] {", "\"", "[", "|o..o|", "uuid", "decimal(1, 2) x", ":::", "%%",
                    "one or more", "A to B", "B }| .. |{ C : \"y", "한글 ||--|| 엔티티 : 관계",
                    "`a b` c", "{ }", "accDescr {", "---", "x,y PK,", "()",
                ]),
                0..20,
            ),
            prefix in "[ \t]{0,3}",
        ) {
            let code: String = lines.iter().map(|l| format!("{prefix}{l}\n")).collect();
            check_spans(&code);
        }
    }

    fn check_spans(code: &str) {
        let (entities, rels, errors) = parse_erd(code);
        let ok = |r: TextRange| {
            r.start <= r.end
                && (r.end as usize) <= code.len()
                && code.is_char_boundary(r.start as usize)
                && code.is_char_boundary(r.end as usize)
        };
        for e in &entities {
            assert!(ok(e.name_span));
            assert!(e.mentions.iter().all(|m| ok(*m)));
            assert!(e.alias_span.is_none_or(ok) && e.block.is_none_or(ok));
            for a in &e.attributes {
                assert!(ok(a.ty_span) && ok(a.name_span) && ok(a.span));
                assert!(a.comment_span.is_none_or(ok));
                assert!(a.keys.iter().all(|k| ok(k.span)));
            }
        }
        for r in &rels {
            for s in [
                r.left_span,
                r.right_span,
                r.left_card_span,
                r.right_card_span,
                r.line_span,
                r.span,
            ] {
                assert!(ok(s));
            }
            assert!(r.label_span.is_none_or(ok));
        }
        assert!(errors.iter().all(|e| ok(e.range)));
        let _ = to_schema(&entities, &rels);
    }
}
