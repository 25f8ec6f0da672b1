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

mod relationships;

mod attributes;

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
            inferred: false,
            keys: Vec::new(),
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
            cardinality_written: true,
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
        on_delete: facts.on_delete.clone(),
        enum_values,
        checks: facts.checks,
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

pub(crate) fn range(start: usize, end: usize) -> TextRange {
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
}

#[cfg(test)]
mod tests;
