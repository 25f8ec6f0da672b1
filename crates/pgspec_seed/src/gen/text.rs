//! Text values: realistic strings chosen by the column's (and the table's) name, kept unique
//! where the column must be, and strings generated from a CHECK's regex when the realistic
//! one does not match it.

use std::sync::Arc;

use crate::names::hex;
use crate::plan::ColType;
use crate::values::Rng;

use super::Generator;

impl Generator<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn text(
        &mut self,
        ci: usize,
        name: &str,
        unique: bool,
        seq: u64,
        attempt: u32,
    ) -> String {
        let hints = Arc::clone(&self.hints);
        let h = &hints[ci];
        let table = self.table.name.to_lowercase();
        let person_table = [
            "user",
            "customer",
            "member",
            "profile",
            "employee",
            "staff",
            "person",
            "author",
            "owner",
            "installer",
            "driver",
            "account",
            "patient",
            "student",
        ]
        .iter()
        .any(|w| table.contains(w));
        let rng = &mut self.rng;
        let names = self.names;
        let mut unique_done = false;
        let mut s = if [
            "hash",
            "token",
            "secret",
            "signature",
            "nonce",
            "salt",
            "digest",
            "fingerprint",
            "cipher",
            "encrypted",
        ]
        .iter()
        .any(|w| name.contains(w))
            || name.ends_with("_key")
            || name == "key"
        {
            unique_done = true;
            hex(rng, 48)
        } else if name.contains("email") {
            unique_done = true;
            format!("{}{}@{}", names.handle(rng), seq, names.domain(rng))
        } else if name.contains("phone") || name.contains("mobile") || name.ends_with("tel") {
            names.phone(rng)
        } else if name.contains("first_name") || name.contains("given_name") {
            names.first_name(rng)
        } else if name.contains("last_name")
            || name.contains("surname")
            || name.contains("family_name")
        {
            names.last_name(rng)
        } else if name.contains("username")
            || name.contains("user_name")
            || name.contains("login")
            || name.contains("handle")
            || name == "nickname"
        {
            unique_done = true;
            format!("{}{}", names.handle(rng).replace('.', "_"), seq)
        } else if name.contains("url")
            || name.contains("uri")
            || name.contains("link")
            || name.contains("website")
            || name.contains("endpoint")
        {
            unique_done = true;
            format!("https://{}/{}/{}", names.domain(rng), table, seq)
        } else if name.contains("path")
            || name.contains("image")
            || name.contains("avatar")
            || name.contains("thumbnail")
            || name.contains("photo")
            || name.contains("file")
        {
            unique_done = true;
            format!("/files/{table}/{seq}.png")
        } else if name.ends_with("ip") || name.contains("ip_address") {
            format!(
                "10.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            )
        } else if name.contains("address") {
            names.address(rng)
        } else if name.contains("city") {
            names.city(rng)
        } else if name.contains("country") {
            if names.korean {
                "KR".into()
            } else {
                "US".into()
            }
        } else if name.contains("currency") {
            if names.korean {
                "KRW".into()
            } else {
                "USD".into()
            }
        } else if name.contains("locale") || name.contains("language") || name == "lang" {
            if names.korean {
                "ko-KR".into()
            } else {
                "en-US".into()
            }
        } else if name.contains("timezone") || name == "tz" {
            if names.korean {
                "Asia/Seoul".into()
            } else {
                "UTC".into()
            }
        } else if name.contains("color") || name.contains("colour") {
            format!("#{}", hex(rng, 6))
        } else if name.contains("user_agent") {
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".into()
        } else if name.contains("cron") {
            "0 * * * *".into()
        } else if name.contains("mime") || name.contains("content_type") {
            "image/png".into()
        } else if name.contains("version") {
            format!("1.{}.{}", rng.below(10), rng.below(20))
        } else if name.ends_with("_no")
            || name.ends_with("_number")
            || name.ends_with("code")
            || name == "sku"
            || name.ends_with("_id")
            || name == "slug"
        {
            unique_done = true;
            let prefix: String = table
                .chars()
                .filter(char::is_ascii_alphabetic)
                .take(3)
                .collect::<String>()
                .to_uppercase();
            format!(
                "{}-{:06}",
                if prefix.is_empty() {
                    "X".into()
                } else {
                    prefix
                },
                seq
            )
        } else if name.contains("title")
            || name.contains("subject")
            || name.contains("headline")
            || name.contains("label")
        {
            names.title(rng)
        } else if [
            "description",
            "content",
            "body",
            "message",
            "text",
            "note",
            "comment",
            "bio",
            "summary",
            "reason",
            "detail",
            "prompt",
            "query",
        ]
        .iter()
        .any(|w| name.contains(w))
        {
            names.sentence(rng)
        } else if name == "name"
            || name.ends_with("_name")
            || name == "display_name"
            || name == "full_name"
        {
            if person_table
                || name.contains("customer")
                || name.contains("full")
                || name.contains("display")
                || name.contains("contact")
                || name.contains("recipient")
            {
                names.full_name(rng)
            } else {
                names.title(rng)
            }
        } else if name.contains("status") || name.contains("state") {
            (*rng
                .pick(&["active", "pending", "inactive"])
                .unwrap_or(&"active"))
            .to_string()
        } else {
            names.words(rng, 2)
        };
        if unique && !unique_done {
            s = format!("{s} {seq}");
        }
        // A char(n) value is matched as the server stores it, padded to n (`'A1'::char(3) ~
        // '^[A-Z][0-9]$'` is false).
        let width = match self.table.columns[ci].ty {
            ColType::Text {
                fixed: true,
                max_len: Some(n),
            } => n,
            _ => 0,
        };
        let is_match = |re: &regex::Regex, v: &str| {
            let len = v.chars().count();
            if len < width {
                re.is_match(&format!("{v}{}", " ".repeat(width - len)))
            } else {
                re.is_match(v)
            }
        };
        // Regexes: keep the realistic value when it matches, else generate from the pattern.
        if !h.regexes.is_empty() && !h.regexes.iter().all(|(_, _, re)| is_match(re, &s)) {
            let (pattern, ci_flag, _) = h.regexes[0].clone();
            for _ in 0..8 {
                if let Some(g) = from_regex(&pattern, ci_flag, &mut self.rng) {
                    if h.regexes.iter().all(|(_, _, r)| is_match(r, &g)) {
                        s = g;
                        break;
                    }
                }
            }
        }
        // One of several patterns: keep the value when one matches, else generate from one.
        if !h.regex_any.is_empty() && !h.regex_any.iter().any(|(_, _, re)| is_match(re, &s)) {
            for _ in 0..8 {
                let Some((pattern, ci_flag, re)) = self.rng.pick(&h.regex_any).cloned() else {
                    break;
                };
                if let Some(g) = from_regex(&pattern, ci_flag, &mut self.rng) {
                    if is_match(&re, &g) && h.regexes.iter().all(|(_, _, r)| is_match(r, &g)) {
                        s = g;
                        break;
                    }
                }
            }
        }
        let max = h.max_len.unwrap_or(usize::MAX);
        let min = h.min_len.unwrap_or(0);
        if s.chars().count() > max {
            if unique {
                let tail = seq.to_string();
                let keep = max.saturating_sub(tail.len());
                s = s.chars().take(keep).collect::<String>() + &tail;
                s = s
                    .chars()
                    .rev()
                    .take(max)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
            } else {
                s = s.chars().take(max).collect();
            }
        }
        while s.chars().count() < min {
            s.push('x');
        }
        let _ = attempt;
        s
    }
}

/// A string matching `pattern` (simple regexes: classes, repetitions, groups, alternation).
pub fn from_regex(pattern: &str, case_insensitive: bool, rng: &mut Rng) -> Option<String> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .ok()?;
    fn walk(h: &regex_syntax::hir::Hir, rng: &mut Rng, out: &mut String, depth: u32) {
        if depth > 64 || out.len() > 512 {
            return;
        }
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(l) => out.push_str(&String::from_utf8_lossy(&l.0)),
            HirKind::Class(Class::Unicode(c)) => {
                // Prefer ASCII letters and digits where the class allows them (readable values).
                let ranges: Vec<_> = c.ranges().iter().collect();
                let ascii: Vec<_> = ranges
                    .iter()
                    .filter(|r| {
                        r.start().is_ascii_alphanumeric() || r.end().is_ascii_alphanumeric()
                    })
                    .copied()
                    .collect();
                let pool = if ascii.is_empty() { ranges } else { ascii };
                if let Some(r) = rng.pick(&pool) {
                    let (s, e) = (u32::from(r.start()), u32::from(r.end()));
                    let (s, e) = if r.start() <= 'a' && r.end() >= 'z' {
                        (u32::from('a'), u32::from('z'))
                    } else {
                        (s, e.min(s + 200))
                    };
                    let pick = s + u32::try_from(rng.below(u64::from(e - s + 1))).unwrap_or(0);
                    if let Some(ch) = char::from_u32(pick) {
                        out.push(ch);
                    }
                }
            }
            HirKind::Class(Class::Bytes(c)) => {
                if let Some(r) = rng.pick(c.ranges()) {
                    let b = r.start()
                        + u8::try_from(rng.below(u64::from(r.end() - r.start()) + 1)).unwrap_or(0);
                    out.push(char::from(b.clamp(0x20, 0x7e)));
                }
            }
            HirKind::Repetition(rep) => {
                let min = rep.min;
                let max = rep.max.unwrap_or(min + 6).min(min + 6);
                let lo = if min == 0 && max > 0 { 1 } else { min };
                let count = u64::from(lo) + rng.below(u64::from(max.saturating_sub(lo)) + 1);
                for _ in 0..count {
                    walk(&rep.sub, rng, out, depth + 1);
                }
            }
            HirKind::Capture(c) => walk(&c.sub, rng, out, depth + 1),
            HirKind::Concat(items) => items.iter().for_each(|i| walk(i, rng, out, depth + 1)),
            HirKind::Alternation(items) => {
                if let Some(i) = rng.pick(items) {
                    walk(i, rng, out, depth + 1);
                }
            }
        }
    }
    let mut out = String::new();
    walk(&hir, rng, &mut out, 0);
    Some(out)
}
