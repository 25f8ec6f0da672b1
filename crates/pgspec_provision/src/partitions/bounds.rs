//! Partition bounds as the server prints them (`FOR VALUES FROM (…) TO (…)`, `DEFAULT`), and the
//! gaps a set of ranges leaves in an interval of the key's time line.

/// A partition bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum BoundValue {
    MinValue,
    MaxValue,
    /// The literal's text (unquoted), as the server printed it.
    Literal(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PartBound {
    Default,
    Range {
        from: Vec<BoundValue>,
        to: Vec<BoundValue>,
    },
    /// LIST / HASH bounds, or text pgspec does not understand.
    Other,
}

/// Parse `pg_get_expr(relpartbound)`: `FOR VALUES FROM ('2025-01-01') TO (MAXVALUE)`,
/// `DEFAULT`.
pub(super) fn parse_bound(text: &str) -> PartBound {
    let text = text.trim();
    if text.eq_ignore_ascii_case("DEFAULT") {
        return PartBound::Default;
    }
    let parse = || -> Option<PartBound> {
        let rest = text.strip_prefix("FOR VALUES FROM")?.trim_start();
        let (from, rest) = parse_value_list(rest)?;
        let rest = rest.trim_start().strip_prefix("TO")?.trim_start();
        let (to, rest) = parse_value_list(rest)?;
        rest.trim()
            .is_empty()
            .then_some(PartBound::Range { from, to })
    };
    parse().unwrap_or(PartBound::Other)
}

/// `('a', MINVALUE)` → values and the text after the closing parenthesis.
pub(super) fn parse_value_list(text: &str) -> Option<(Vec<BoundValue>, &str)> {
    let mut rest = text.strip_prefix('(')?;
    let mut values = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(quoted) = rest.strip_prefix('\'') {
            let (literal, after) = parse_quoted(quoted)?;
            values.push(BoundValue::Literal(literal));
            rest = after;
        } else {
            let end = rest.find([',', ')'])?;
            let token = rest[..end].trim();
            values.push(if token.eq_ignore_ascii_case("MINVALUE") {
                BoundValue::MinValue
            } else if token.eq_ignore_ascii_case("MAXVALUE") {
                BoundValue::MaxValue
            } else if token.is_empty() {
                return None;
            } else {
                BoundValue::Literal(token.to_string())
            });
            rest = &rest[end..];
        }
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else {
            return Some((values, rest.strip_prefix(')')?));
        }
    }
}

/// The body of a `'…'` literal (after the opening quote), with `''` unescaped.
pub(super) fn parse_quoted(text: &str) -> Option<(String, &str)> {
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                literal.push('\'');
            } else {
                return Some((literal, &text[i + 1..]));
            }
        } else {
            literal.push(c);
        }
    }
    None
}

/// `[lo, hi)` in epoch seconds (infinite for MINVALUE / MAXVALUE).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Interval {
    pub(super) lo: f64,
    pub(super) hi: f64,
    /// The bound literals (None for MINVALUE / MAXVALUE): a gap next to an existing partition
    /// reuses them, so both meet exactly.
    pub(super) lo_literal: Option<String>,
    pub(super) hi_literal: Option<String>,
    /// The partition (for notes).
    pub(super) partition: String,
}

impl Interval {
    pub(super) fn contains(&self, epoch: f64) -> bool {
        self.lo <= epoch && epoch < self.hi
    }
}

/// A boundary: a value of the key type as a literal and its epoch.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Point {
    pub(super) literal: String,
    pub(super) epoch: f64,
}

/// The uncovered sub-ranges of `[start, end)`, given the existing partitions' ranges.
pub(super) fn gaps(start: &Point, end: &Point, intervals: &[Interval]) -> Vec<(Point, Point)> {
    let mut sorted: Vec<&Interval> = intervals.iter().filter(|i| i.lo < i.hi).collect();
    sorted.sort_by(|a, b| a.lo.total_cmp(&b.lo));
    let mut result = Vec::new();
    let mut cursor = start.clone();
    for interval in sorted {
        if cursor.epoch >= end.epoch {
            break;
        }
        if interval.hi <= cursor.epoch {
            continue;
        }
        if interval.lo >= end.epoch {
            break;
        }
        if interval.lo > cursor.epoch {
            // A finite lo > cursor always has a literal.
            let Some(literal) = interval.lo_literal.clone() else {
                continue;
            };
            result.push((
                cursor.clone(),
                Point {
                    literal,
                    epoch: interval.lo,
                },
            ));
        }
        cursor = match &interval.hi_literal {
            Some(literal) if interval.hi < end.epoch => Point {
                literal: literal.clone(),
                epoch: interval.hi,
            },
            // Covered up to (or past) the end of the window.
            _ => end.clone(),
        };
    }
    if cursor.epoch < end.epoch {
        result.push((cursor, end.clone()));
    }
    result
}
