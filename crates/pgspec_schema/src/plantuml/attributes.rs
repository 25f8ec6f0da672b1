//! One line inside a PlantUML entity: an attribute `[*|+|#|-|~] name [label] [: type] [marks]`,
//! an index line (`INDEX a, b`), or a separator.
//!
//! Marks are read wherever the diagram puts them: `<<PK>>`, `[PK]`, `(FK)`, `,UK` after the
//! type, and the words a column definition carries (`NOT NULL`, `DEFAULT 0`, `AUTO_INCREMENT`,
//! MySQL's `UNSIGNED`). Column macros wrap the name (`primary_key(id)`, `not_null(unique(x))`)
//! and say what it is by their name; markup (`<b>id</b>`, `**id**`) is dropped.

use crate::erd::range;
use crate::model::{normalize_type, DocColumn, DocTable, StatedKey};

use super::{bare_len, Problem};

/// What one line inside an entity says.
pub(super) enum Attribute {
    Column(Box<DocColumn>),
    Key(StatedKey),
    /// A separator, a method, a comment: nothing about the table.
    Nothing,
    Unreadable(Problem),
}

/// What a mark word (`PK`, `NOT NULL`, `AI`, …) says about a column.
#[derive(Default)]
struct Marks {
    primary_key: bool,
    unique: bool,
    foreign_key: bool,
    not_null: Option<bool>,
    serial: bool,
    default: Option<String>,
    comment: Option<String>,
}

impl Marks {
    /// Take one mark word; false if it is none.
    fn take(&mut self, word: &str) -> bool {
        match word.trim().to_ascii_lowercase().as_str() {
            "pk" | "primary" | "primary key" | "primary_key" => self.primary_key = true,
            "fk" | "foreign" | "foreign key" | "foreign_key" | "ref" => self.foreign_key = true,
            "uk" | "uq" | "unique" | "ak" => self.unique = true,
            "nn" | "not null" | "not_null" | "notnull" | "required" | "mandatory" => {
                self.not_null = Some(true)
            }
            "null" | "nullable" | "optional" => self.not_null = Some(false),
            "ai" | "auto_increment" | "autoincrement" | "auto increment" | "identity"
            | "serial" => self.serial = true,
            // MySQL's integer attributes and display widths: nothing PostgreSQL keeps.
            "unsigned" | "signed" | "zerofill" | "generated" => {}
            _ => return false,
        }
        true
    }

    /// What a column macro's name says (`primary_key`, `foreign_key`, `not_null`, `unique`).
    fn take_macro(&mut self, name: &str) {
        let lower = name.to_ascii_lowercase();
        if lower.contains("primary") || lower == "pk" {
            self.primary_key = true;
        }
        if lower.contains("foreign") || lower == "fk" {
            self.foreign_key = true;
        }
        if lower.contains("unique") || lower == "uk" {
            self.unique = true;
        }
        if lower.contains("not_null") || lower.contains("notnull") || lower == "nn" {
            self.not_null = Some(true);
        }
    }
}

/// Words that end an attribute's type and start its marks.
fn ends_type(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "not"
            | "null"
            | "primary"
            | "unique"
            | "default"
            | "df"
            | "references"
            | "pk"
            | "fk"
            | "uk"
            | "uq"
            | "nn"
            | "ai"
            | "auto_increment"
            | "autoincrement"
            | "identity"
            | "unsigned"
            | "signed"
            | "zerofill"
    ) || ((word.starts_with('(') || word.starts_with('['))
        && word[1..].starts_with(|c: char| c.is_alphabetic()))
}

/// Skip markup before a name (`<b>`, `<color:#aaa>`, `<&key>`, `**`, `__`): how many bytes.
fn markup_len(text: &str) -> usize {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if rest.starts_with('<') && !rest.starts_with("<<") {
            match rest.find('>') {
                Some(close) => at += close + 1,
                None => return at,
            }
        } else if rest.starts_with("**") || rest.starts_with("__") {
            at += 2;
        } else if rest.starts_with(' ') && at > 0 {
            at += 1;
        } else {
            return at;
        }
    }
}

/// The words of `text` outside `<<…>>` groups, each with its start; the groups' contents go to
/// `marks`.
fn words(text: &str, marks: &mut Marks) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    let mut start: Option<usize> = None;
    while i < text.len() {
        if text[i..].starts_with("<<") {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            let close = text[i..].find(">>").map_or(text.len(), |c| i + c);
            for m in text[i + 2..close].split([',', ';']) {
                if !marks.take(m) {
                    for w in m.split_whitespace() {
                        marks.take(w);
                    }
                }
            }
            i = (close + 2).min(text.len());
            continue;
        }
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += 1;
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// One line inside an entity; `line_start` is its offset in the diagram.
pub(super) fn attribute(line: &str, line_start: usize) -> Attribute {
    let lead = line.len() - line.trim_start().len();
    let mut text = line.trim();
    let mut offset = line_start + lead;
    for sep in ["--", "==", "..", "__"] {
        if text.starts_with(sep) {
            return Attribute::Nothing;
        }
    }
    // `{field} id : int` says it is a field; `{method}`, `{static}` lines are the class's own.
    if let Some(rest) = text.strip_prefix("{field}") {
        let skip = text.len() - rest.trim_start().len();
        text = &text[skip..];
        offset += skip;
    }
    if text.starts_with('\'') || text.starts_with("//") || text.starts_with('{') {
        return Attribute::Nothing;
    }
    if let Some(key) = index_line(text, offset) {
        return key;
    }
    let unreadable = |text: &str, offset: usize, why: &str| {
        Attribute::Unreadable(Problem {
            range: range(offset, offset + text.len()),
            message: format!("PlantUML: pgspec cannot read the attribute `{text}`: {why}"),
            help: "write it `* name : type <<PK>>` (`*` for a mandatory attribute, marks \
                   `<<PK>>`, `<<FK>>`, `<<UK>>`)"
                .into(),
        })
    };
    let whole = (text, offset);
    let mut marks = Marks::default();
    while let Some(c) = text
        .chars()
        .next()
        .filter(|c| matches!(c, '*' | '+' | '#' | '-' | '~'))
    {
        if c == '*' && !text.starts_with("**") {
            marks.not_null = Some(true);
        }
        if c == '*' && text.starts_with("**") {
            break;
        }
        text = &text[1..];
        offset += 1;
    }
    // Column macros: `primary_key(id)`, `not_null(unique(name))`, `column( name )`.
    let mut depth = 0usize;
    loop {
        let skip = text.len() - text.trim_start().len() + markup_len(text.trim_start());
        text = &text[skip..];
        offset += skip;
        let len = bare_len(text);
        if len > 0 && text[len..].starts_with('(') && !text[len + 1..].trim_start().starts_with(')')
        {
            let inner = text[len + 1..].trim_start();
            // A macro wraps a name; `count(x) : int` would be a method.
            if inner.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"')
                && text[len..].contains(')')
                && text.contains(')')
                && depth < 4
            {
                marks.take_macro(&text[..len]);
                offset += len + 1;
                text = &text[len + 1..];
                depth += 1;
                continue;
            }
        }
        break;
    }
    let (name_text, s, e, quoted, len) = match super::token(text) {
        Some(t) => t,
        None => return unreadable(whole.0, whole.1, "it names no attribute"),
    };
    if !quoted && name_text.contains('.') {
        return unreadable(
            whole.0,
            whole.1,
            "an attribute is named without its table (`users.id`); name the column and give its type",
        );
    }
    let name_span = range(offset + s, offset + e);
    let mut rest_at = offset + len;
    let mut rest = &text[len..];
    // Closing markup and macro parentheses after the name.
    loop {
        let r = rest.trim_start();
        let skip = rest.len() - r.len();
        if r.starts_with("</") || r.starts_with("**") || r.starts_with("__") {
            let n = if r.starts_with("</") {
                r.find('>').map_or(r.len(), |i| i + 1)
            } else {
                2
            };
            rest = &r[n..];
            rest_at += skip + n;
        } else if depth > 0 && r.starts_with(')') {
            depth -= 1;
            rest = &r[1..];
            rest_at += skip + 1;
        } else {
            break;
        }
    }
    if rest.trim_start().starts_with('(') && depth == 0 {
        // `cancel() : void`: a method of a class, not a column.
        return Attribute::Nothing;
    }
    // `name [label] : type`: a label in brackets before the colon.
    let r = rest.trim_start();
    if r.starts_with('[') {
        if let Some(close) = r.find(']') {
            let label = &r[1..close];
            if !marks.take(label) {
                marks.comment = Some(label.trim().to_string());
            }
            rest_at += rest.len() - r.len() + close + 1;
            rest = &r[close + 1..];
        }
    }
    let r = rest.trim_start();
    let after_colon = r.strip_prefix(':');
    let (type_part, type_at) = match after_colon {
        Some(t) => (t, rest_at + (rest.len() - t.len())),
        None => (rest, rest_at),
    };
    // A trailing comment: `-- text`, `// text`.
    let cut = [" --", " //"]
        .iter()
        .filter_map(|c| type_part.find(c))
        .min()
        .unwrap_or(type_part.len());
    if cut < type_part.len() {
        let comment = type_part[cut..]
            .trim_start()
            .trim_start_matches(['-', '/'])
            .trim();
        if !comment.is_empty() {
            marks.comment = Some(comment.to_string());
        }
    }
    let type_part = &type_part[..cut];
    let ws = words(type_part, &mut marks);
    // `bigint,PK`: marks after a comma close to the type.
    let mut type_end_word = ws.len();
    let mut type_end = None;
    for (i, &(ws_start, we)) in ws.iter().enumerate() {
        let w = &type_part[ws_start..we];
        if ends_type(w) {
            type_end_word = i;
            break;
        }
        let after_parens = w.rfind(')').map_or(0, |i| i + 1);
        if let Some(comma) = w[after_parens..].find(',').map(|i| i + after_parens) {
            let tail: Vec<&str> = w[comma + 1..].split(',').collect();
            if tail.iter().all(|m| Marks::default().take(m)) {
                for m in tail {
                    marks.take(m);
                }
                type_end = Some(ws_start + comma);
                type_end_word = i + 1;
                break;
            }
        }
    }
    let type_words = &ws[..type_end_word];
    let (ty_start, ty_end) = match (type_words.first(), type_words.last()) {
        (Some(&(s, _)), Some(&(_, e))) => (s, type_end.unwrap_or(e)),
        _ => (0, 0),
    };
    let mut raw_type = type_part[ty_start..ty_end].trim().to_string();
    if let Some(t) = raw_type.strip_suffix('?') {
        raw_type = t.to_string();
        marks.not_null = Some(false);
    }
    // The words after the type: `NOT NULL`, `DEFAULT 0`, `(PK)`, `[FK]`, `AUTO_INCREMENT`.
    let tail: Vec<&str> = ws[type_end_word..]
        .iter()
        .map(|&(s, e)| &type_part[s..e])
        .collect();
    let mut i = 0;
    while i < tail.len() {
        let w = tail[i];
        let lower = w.to_ascii_lowercase();
        let next = tail.get(i + 1).map(|n| n.to_ascii_lowercase());
        if (lower == "not" && next.as_deref() == Some("null"))
            || (lower == "primary" && next.as_deref() == Some("key"))
        {
            marks.take(&format!("{lower} {}", next.unwrap_or_default()));
            i += 2;
            continue;
        }
        if lower == "default" || lower == "df" {
            let value: Vec<&str> = tail[i + 1..]
                .iter()
                .take_while(|v| !ends_type(v))
                .copied()
                .collect();
            i += 1 + value.len();
            if !value.is_empty() {
                marks.default = Some(value.join(" "));
            }
            continue;
        }
        let inner = w.trim_matches(['(', ')', '[', ']', ',']);
        if !inner.split(',').fold(false, |any, m| marks.take(m) | any) && w != inner {
            marks.comment.get_or_insert_with(|| inner.to_string());
        }
        i += 1;
    }
    let span_type = if raw_type.is_empty() {
        range(name_span.end as usize, name_span.end as usize)
    } else {
        let s = type_at
            + ty_start
            + (type_part[ty_start..].len() - type_part[ty_start..].trim_start().len());
        range(s, s + raw_type.len())
    };
    let mut column = DocColumn {
        name: if quoted {
            super::sql_name(name_text)
        } else {
            name_text.to_lowercase()
        },
        pg_type: normalize_type(&raw_type),
        raw_type,
        primary_key: marks.primary_key,
        unique: marks.unique,
        foreign_key: marks.foreign_key,
        not_null: marks.not_null,
        default: marks.default,
        comment: marks.comment,
        span: name_span,
        type_span: span_type,
        ..DocColumn::default()
    };
    if marks.serial {
        column.make_serial();
    }
    Attribute::Column(Box::new(column))
}

/// `INDEX a, b`, `INDEX name (a, b)`, `UNIQUE (a, b)`, `PRIMARY KEY (a, b)`: a key over the
/// columns it names (the table's own columns are checked when the entity closes).
fn index_line(text: &str, offset: usize) -> Option<Attribute> {
    let (primary, unique, rest) = if let Some(r) = text.strip_prefix("PRIMARY KEY") {
        (true, false, r)
    } else if let Some(r) = text.strip_prefix("UNIQUE") {
        (false, true, r)
    } else if let Some(r) = text
        .strip_prefix("INDEX")
        .or_else(|| text.strip_prefix("KEY"))
    {
        (false, false, r)
    } else {
        return None;
    };
    if !rest.is_empty() && !rest.starts_with([' ', '(']) {
        return None;
    }
    if rest.trim_start().starts_with(':') {
        return None;
    }
    let columns: Vec<String> = rest
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    Some(Attribute::Key(StatedKey {
        primary,
        index: !primary && !unique,
        columns,
        name: None,
        span: range(offset, offset + text.len()),
    }))
}

/// An entity's index lines keep the words that are its columns (`INDEX idx_name a, b`: the
/// index's own name is no column); one naming no column of the entity is a problem.
pub(super) fn resolve_keys(table: &mut DocTable, problems: &mut Vec<Problem>) {
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    table.keys.retain_mut(|k| {
        k.columns.retain(|c| names.contains(c));
        if k.columns.is_empty() {
            problems.push(Problem {
                range: k.span,
                message: format!(
                    "PlantUML: the key line names no attribute of `{}`; no index was made from it",
                    table.name
                ),
                help:
                    "name the entity's attributes: `INDEX created_at` or `UNIQUE (org_id, email)`"
                        .into(),
            });
        }
        !k.columns.is_empty()
    });
}
