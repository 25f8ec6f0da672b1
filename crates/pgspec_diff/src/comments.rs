//! Comments on indexes, sequences, constraints, triggers and policies. The typed catalog keeps
//! them among its unmodelled facts, one line each (`comment on index s.i: text`, `comment on
//! trigger t of s.x: text`), with the names quoted as PostgreSQL's `%I` quotes them: here they
//! are read back and planned as COMMENT ON.

use std::collections::BTreeMap;

use pgspec_postgres::catalog::{Catalog, TypeKind};

use crate::names::literal;
use crate::{Phase, Planner};

/// One comment line: what it is on, and the text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ObjectComment {
    kind: Kind,
    /// `(schema, name)` of the index or sequence, or of the table (or domain) the
    /// constraint, trigger or policy is on.
    schema: String,
    relation: String,
    /// The constraint, trigger or policy.
    name: Option<String>,
    /// The object as the line writes it (quoted as SQL quotes it).
    written: String,
    text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Index,
    Sequence,
    Constraint,
    Trigger,
    Policy,
}

/// One identifier as `%I` writes it: its text and the rest of the line.
fn identifier(s: &str) -> Option<(String, &str)> {
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if rest[i + 1..].starts_with('"') {
                    out.push('"');
                    chars.next();
                } else {
                    return Some((out, &rest[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        return None;
    }
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(s.len());
    (end > 0).then(|| (s[..end].to_string(), &s[end..]))
}

/// `schema.name` and the rest of the line.
fn qualified_name(s: &str) -> Option<(String, String, &str)> {
    let (schema, rest) = identifier(s)?;
    let (name, rest) = identifier(rest.strip_prefix('.')?)?;
    Some((schema, name, rest))
}

fn parse(line: &str) -> Option<ObjectComment> {
    let rest = line.strip_prefix("comment on ")?;
    let (kind, rest) = [
        ("index ", Kind::Index),
        ("sequence ", Kind::Sequence),
        ("constraint ", Kind::Constraint),
        ("trigger ", Kind::Trigger),
        ("policy ", Kind::Policy),
    ]
    .iter()
    .find_map(|(w, k)| rest.strip_prefix(w).map(|r| (*k, r)))?;
    let (name, rest) = match kind {
        Kind::Index | Kind::Sequence => (None, rest),
        _ => {
            let (name, rest) = identifier(rest)?;
            (Some(name), rest.strip_prefix(" of ")?)
        }
    };
    let (schema, relation, rest) = qualified_name(rest)?;
    let text = rest.strip_prefix(": ")?.to_string();
    let quoted = crate::names::qualified(&schema, &relation);
    let written = match (&name, kind) {
        (None, Kind::Index) => format!("INDEX {quoted}"),
        (None, _) => format!("SEQUENCE {quoted}"),
        (Some(n), Kind::Constraint) => format!("CONSTRAINT {} ON {quoted}", crate::names::ident(n)),
        (Some(n), Kind::Trigger) => format!("TRIGGER {} ON {quoted}", crate::names::ident(n)),
        (Some(n), _) => format!("POLICY {} ON {quoted}", crate::names::ident(n)),
    };
    Some(ObjectComment {
        kind,
        schema,
        relation,
        name,
        written,
        text,
    })
}

/// Whether the line is a comment this module plans (and so no unmodelled difference).
pub(crate) fn handled(line: &str) -> bool {
    parse(line).is_some()
}

fn is_domain(catalog: &Catalog, schema: &str, name: &str) -> bool {
    catalog
        .types
        .iter()
        .any(|t| t.schema == schema && t.name == name && matches!(t.kind, TypeKind::Domain { .. }))
}

/// Whether `catalog` has the object the comment is on.
fn exists(catalog: &Catalog, c: &ObjectComment) -> bool {
    let (s, r) = (c.schema.as_str(), c.relation.as_str());
    let n = c.name.as_deref().unwrap_or("");
    match c.kind {
        Kind::Index => catalog.indexes.iter().any(|i| i.schema == s && i.name == r),
        Kind::Sequence => catalog.sequences.iter().any(|q| q.schema == s && q.name == r),
        Kind::Constraint => {
            catalog
                .constraints
                .iter()
                .any(|k| k.schema == s && k.table == r && k.name == n)
                || catalog.types.iter().any(|t| {
                    t.schema == s
                        && t.name == r
                        && matches!(&t.kind, TypeKind::Domain { checks, .. } if checks.iter().any(|x| x.name == n))
                })
        }
        Kind::Trigger => catalog
            .triggers
            .iter()
            .any(|t| t.schema == s && t.table == r && t.name == n),
        Kind::Policy => catalog
            .policies
            .iter()
            .any(|x| x.schema == s && x.table == r && x.name == n),
    }
}

fn comments_of(catalog: &Catalog) -> BTreeMap<(Kind, String), ObjectComment> {
    catalog
        .unmodelled
        .iter()
        .filter_map(|l| parse(l))
        .map(|c| ((c.kind, c.written.clone()), c))
        .collect()
}

/// COMMENT ON for the comments that differ, and for those of objects the plan creates (a new
/// object starts without one; the working FROM no longer has what the plan drops).
pub(crate) fn diff(p: &mut Planner<'_>) {
    let to = p.to;
    let (before, after) = (comments_of(&p.from), comments_of(to));
    let mut out = Vec::new();
    for (key, c) in &after {
        let same = before.get(key).is_some_and(|b| b.text == c.text);
        if !same || !exists(&p.from, c) {
            out.push((c.clone(), Some(c.text.clone())));
        }
    }
    for (key, c) in &before {
        if !after.contains_key(key) && exists(to, c) && exists(&p.from, c) {
            out.push((c.clone(), None));
        }
    }
    for (c, text) in out {
        let written = if c.kind == Kind::Constraint && is_domain(to, &c.schema, &c.relation) {
            c.written.replacen(" ON ", " ON DOMAIN ", 1)
        } else {
            c.written.clone()
        };
        let value = text.as_deref().map_or_else(|| "NULL".to_string(), literal);
        p.push(Phase::Comments, format!("COMMENT ON {written} IS {value}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_back_with_their_quoting() {
        let c = parse(r#"comment on constraint "my.c" of public."T x": a: b"#).expect("parsed");
        assert_eq!(c.kind, Kind::Constraint);
        assert_eq!(c.name.as_deref(), Some("my.c"));
        assert_eq!((c.schema.as_str(), c.relation.as_str()), ("public", "T x"));
        assert_eq!(c.text, "a: b");
        assert_eq!(c.written, r#"CONSTRAINT "my.c" ON public."T x""#);
        let i = parse(r#"comment on index public."Odd""Name": x"#).expect("parsed");
        assert_eq!(i.relation, "Odd\"Name");
        assert!(parse("rule r on public.t: x").is_none());
    }
}
