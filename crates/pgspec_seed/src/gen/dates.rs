//! Dates and instants for a column: the window its name suggests (a year back, `expires_at`
//! ahead, a birth date decades back) within what its CHECKs allow, and the day per row of a
//! date that makes a key unique.

use crate::values::DAY_MICROS;

use super::Generator;

impl Generator<'_> {
    pub(super) fn time(&mut self, ci: usize, name: &str) -> i64 {
        let (lo, hi) = self.time_bounds(ci, name);
        self.rng.range(lo, hi)
    }

    /// The `seq`-th day of a date column that makes its key unique (`UNIQUE (day)`, or the
    /// date of `(sensor, day)`): one day per row, back from the latest day the column's name
    /// and CHECKs allow; round again inside the bounds when a CHECK bounds it below too. A year
    /// of random days held a key of one date column at 365 values (730 beside a boolean).
    pub(super) fn unique_day(&self, ci: usize, name: &str, seq: u64) -> i32 {
        let (first, last) = self.day_bounds(ci, name);
        let back = i64::try_from(seq.saturating_sub(1)).unwrap_or(i64::MAX);
        let day = if self.hints[ci].min.is_some() {
            last - back.rem_euclid((last - first + 1).max(1))
        } else {
            last.saturating_sub(back)
        };
        i32::try_from(day).unwrap_or(0)
    }

    /// The instants (microseconds from 2000-01-01) a date or time column's values lie
    /// between: from its name (a year back; `expires_at` ahead; a birth date decades back)
    /// within what its CHECKs allow.
    fn time_bounds(&self, ci: usize, name: &str) -> (i64, i64) {
        let future = [
            "expires",
            "expiry",
            "until",
            "due",
            "scheduled",
            "next_",
            "valid_to",
            "ends_at",
            "end_at",
            "deadline",
        ]
        .iter()
        .any(|w| name.contains(w));
        let window = if future {
            (self.now, self.now + 90 * DAY_MICROS)
        } else if name.contains("birth") || name == "dob" {
            (-50 * 365 * DAY_MICROS, 0)
        } else {
            (self.now - 365 * DAY_MICROS, self.now)
        };
        let h = &self.hints[ci];
        // An instant a microsecond inside each bound, strict or not.
        #[allow(clippy::cast_possible_truncation)]
        let (min, max) = (
            h.min.map(|(m, _)| m as i64 + 1),
            h.max.map(|(m, _)| m as i64 - 1),
        );
        within(window, min, max, 365 * DAY_MICROS)
    }

    /// The first and last day (from 2000-01-01) a date column's values lie between: the
    /// name's window in days, within the days its CHECKs allow (`>=` a day keeps that day).
    pub(super) fn day_bounds(&self, ci: usize, name: &str) -> (i64, i64) {
        let (lo, hi) = self.time_bounds(ci, name);
        let h = &self.hints[ci];
        let day = DAY_MICROS as f64;
        #[allow(clippy::cast_possible_truncation)]
        let (min, max) = (
            h.min.map(|(m, strict)| {
                (if strict {
                    (m / day).floor() + 1.0
                } else {
                    (m / day).ceil()
                }) as i64
            }),
            h.max.map(|(m, strict)| {
                (if strict {
                    (m / day).ceil() - 1.0
                } else {
                    (m / day).floor()
                }) as i64
            }),
        );
        let window = (lo.div_euclid(DAY_MICROS), hi.div_euclid(DAY_MICROS));
        within(window, min, max, 365)
    }
}

/// `window` (`lo..=hi`) within the bounds a CHECK sets; the bounds' own range (or a `span` from
/// the one bound there is) when the window lies wholly outside them: a column whose CHECK allows
/// only March 2025 gets March 2025, not the day at the edge nearest to a year back from today.
fn within(window: (i64, i64), min: Option<i64>, max: Option<i64>, span: i64) -> (i64, i64) {
    let lo = min.map_or(window.0, |m| window.0.max(m));
    let hi = max.map_or(window.1, |m| window.1.min(m));
    if lo <= hi {
        return (lo, hi);
    }
    match (min, max) {
        (Some(a), Some(b)) => (a, b.max(a)),
        (Some(a), None) => (a, a.saturating_add(span)),
        (None, Some(b)) => (b.saturating_sub(span), b),
        (None, None) => window,
    }
}
