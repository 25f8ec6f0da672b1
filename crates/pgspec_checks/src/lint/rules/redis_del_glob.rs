//! LNT601: a cache section calls Redis `DEL` (or `UNLINK`) with a glob pattern such as
//! `orders:list:*`. DEL takes key names, not patterns: it deletes nothing and the stale
//! entries stay until their TTL.

use super::Context;
use crate::lint::{diagnostic, Rule};
use crate::text::TextRange;

pub(super) fn run(ctx: &mut Context<'_>) {
    let text = ctx.doc.text.as_str();
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    // Client calls: `.del(…)`, `.unlink(…)` (node-redis, ioredis, redis-py), possibly multi-line.
    for verb in [".del(", ".unlink("] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(verb) {
            let open = from + pos + verb.len() - 1;
            from = open + 1;
            let Some(close) = matching_paren(text, open) else {
                continue;
            };
            for (at, len) in glob_literals(&text[open + 1..close]) {
                found.push((
                    open + 1 + at,
                    len,
                    verb.trim_matches(|c| c == '.' || c == '(')
                        .to_ascii_uppercase(),
                ));
            }
        }
    }
    // Raw commands on their own line: `DEL orders:list:*`.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let upper = trimmed.get(..4).map(str::to_ascii_uppercase);
        if matches!(upper.as_deref(), Some("DEL ")) {
            for word in trimmed[4..].split_whitespace() {
                if word.contains('*') || word.contains('?') {
                    if let Some(p) = trimmed[4..].find(word) {
                        found.push((offset + indent + 4 + p, word.len(), "DEL".to_owned()));
                    }
                }
            }
        }
        offset += line.len();
    }
    found.sort();
    found.dedup();
    for (at, len, verb) in found {
        let pattern = &text[at..at + len];
        let range = TextRange::new(
            u32::try_from(at).unwrap_or(0),
            u32::try_from(at + len).unwrap_or(0),
        );
        ctx.push(
            diagnostic(Rule::RedisDelGlob, format!("Redis {verb} is given the pattern {pattern}, which it does not expand"), range)
                .label("a glob, not a key")
                .help("iterate with `SCAN 0 MATCH <pattern> COUNT 100` and DEL/UNLINK the keys it returns (or keep the keys in a set and delete its members)"),
        );
    }
}

fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
        if i > 4000 {
            return None;
        }
    }
    None
}

/// String literals (`'…'`, `"…"`, `` `…` ``) containing `*` or `?`: `(offset, len)` with quotes.
fn glob_literals(args: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = args.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' || c == '"' || c == '`' {
            let mut end = None;
            for (j, d) in chars.by_ref() {
                if d == c {
                    end = Some(j);
                    break;
                }
            }
            let Some(j) = end else { break };
            let inner = &args[i + 1..j];
            if inner.contains('*') {
                out.push((i, j + 1 - i));
            }
        }
    }
    out
}
