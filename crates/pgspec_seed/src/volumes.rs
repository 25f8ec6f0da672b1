//! Row counts a document states for its tables ("1M users", "orders: 5M", "10,000 orders"),
//! for `seed --volumes`. The first mention of a table wins (later ones tend to be ambitions:
//! "scales to 10M+ users").

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

fn amount(number: &str, unit: Option<&str>) -> Option<u64> {
    let n: f64 = number.replace(',', "").parse().ok()?;
    let mult = match unit.map(str::to_lowercase).as_deref() {
        Some("k" | "thousand" | "천" | "千") => 1e3,
        // Korean, Japanese and Chinese count in ten thousands (만, 万, 萬) and hundred
        // millions (억, 億, 亿).
        Some("만" | "万" | "萬") => 1e4,
        Some("m" | "million") => 1e6,
        Some("억" | "億" | "亿") => 1e8,
        Some("b" | "billion") => 1e9,
        _ => 1.0,
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let v = (n * mult).round() as u64;
    (v > 0).then_some(v)
}

/// `names` are table names (unqualified); the result maps each one the text mentions with a
/// count to that count.
pub fn stated(text: &str, names: &[String]) -> BTreeMap<String, u64> {
    static BEFORE: OnceLock<Regex> = OnceLock::new();
    static AFTER: OnceLock<Regex> = OnceLock::new();
    static CJK_AFTER: OnceLock<Regex> = OnceLock::new();
    let before = BEFORE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(\d+(?:[.,]\d+)*)\s*(k|m|b|thousand|million|billion|천|千|만|万|萬|억|億|亿)?\+?\s+([a-z_]+)",
        )
        .expect("invariant: valid")
    });
    let after = AFTER.get_or_init(|| {
        Regex::new(
            r"(?i)\b([a-z_]+)\s*[:=]\s*(\d+(?:[.,]\d+)*)\s*((?:k|m|b)\b|천|千|만|万|萬|억|億|亿)?",
        )
        .expect("invariant: valid")
    });
    // `users 200만`, `tenants 5万件`: a table name, then a count in a CJK unit (the unit makes
    // it a count, not a version or a column number).
    let cjk_after = CJK_AFTER.get_or_init(|| {
        Regex::new(r"(?i)\b([a-z_]+)\s+(\d+(?:[.,]\d+)*)\s*(천|千|만|万|萬|억|億|亿)")
            .expect("invariant: valid")
    });
    let table_for = |word: &str| {
        let w = word.to_lowercase();
        names
            .iter()
            .find(|n| **n == w || format!("{n}s") == w || format!("{w}s") == **n)
            .cloned()
    };
    let mut found: Vec<(usize, String, u64)> = Vec::new();
    for c in before.captures_iter(text) {
        let (Some(num), Some(word)) = (c.get(1), c.get(3)) else {
            continue;
        };
        if let (Some(t), Some(v)) = (
            table_for(word.as_str()),
            amount(num.as_str(), c.get(2).map(|m| m.as_str())),
        ) {
            found.push((num.start(), t, v));
        }
    }
    for c in after
        .captures_iter(text)
        .chain(cjk_after.captures_iter(text))
    {
        let (Some(word), Some(num)) = (c.get(1), c.get(2)) else {
            continue;
        };
        if let (Some(t), Some(v)) = (
            table_for(word.as_str()),
            amount(num.as_str(), c.get(3).map(|m| m.as_str())),
        ) {
            found.push((word.start(), t, v));
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    let mut out = BTreeMap::new();
    for (_, t, v) in found {
        out.entry(t).or_insert(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::stated;

    #[test]
    fn volumes_from_prose_and_comments() {
        let names = vec![
            "users".to_string(),
            "orders".to_string(),
            "order_item".to_string(),
        ];
        let v = stated(
            "-- users: 1M × 3\n-- orders: 5M × 3\nWe expect 20,000 order_items a day. Scales to 10M+ users.",
            &names,
        );
        assert_eq!(v.get("users"), Some(&1_000_000));
        assert_eq!(v.get("orders"), Some(&5_000_000));
        assert_eq!(v.get("order_item"), Some(&20_000));
        assert!(stated("3 tables and 2 indexes", &names).is_empty());
    }

    #[test]
    fn volumes_in_ten_thousands() {
        let names = vec![
            "tenants".to_string(),
            "users".to_string(),
            "invoices".to_string(),
            "orders".to_string(),
        ];
        let v = stated(
            "예상 규모: tenants 5만, users 200만, invoices: 1.2억. 注文は orders 30万件。",
            &names,
        );
        assert_eq!(v.get("tenants"), Some(&50_000));
        assert_eq!(v.get("users"), Some(&2_000_000));
        assert_eq!(v.get("invoices"), Some(&120_000_000));
        assert_eq!(v.get("orders"), Some(&300_000));
        // Without a unit, a number after a name is not a count.
        assert!(stated("users 2 and orders 3", &names).is_empty());
        // `m` of a following word is not a million.
        assert_eq!(
            stated("users: 100 members", &names).get("users"),
            Some(&100)
        );
    }
}
