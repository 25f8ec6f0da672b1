//! How the partitions pgspec creates are named: after the pattern of the table's own monthly
//! partitions (`events_2025_01`, `events_202501`, `events_y2025m01`) when they follow one, else
//! `<table>_yYYYYmMM`; always within PostgreSQL's 63-byte identifier limit.

use super::MAX_IDENTIFIER_BYTES;

/// How partitions of one table are named: `prefix YYYY sep MM suffix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NameTemplate {
    pub(super) prefix: String,
    pub(super) separator: String,
    pub(super) suffix: String,
}

impl NameTemplate {
    /// pgspec's own pattern, `<table>_yYYYYmMM`.
    pub(super) fn default_for(table: &str) -> Self {
        NameTemplate {
            prefix: format!("{table}_y"),
            separator: "m".to_string(),
            suffix: String::new(),
        }
    }

    /// The name for a month (plus `extra`), shortening the prefix if the whole would exceed
    /// PostgreSQL's identifier length (which would otherwise truncate the distinctive end).
    pub(super) fn render(&self, (year, month): (i32, u32), extra: &str) -> String {
        let tail = format!(
            "{year:04}{}{month:02}{}{extra}",
            self.separator, self.suffix
        );
        fit_identifier(&self.prefix, &tail)
    }
}

/// `prefix + tail`, with the prefix cut (on a character boundary) to fit 63 bytes.
pub(super) fn fit_identifier(prefix: &str, tail: &str) -> String {
    let room = MAX_IDENTIFIER_BYTES.saturating_sub(tail.len());
    let mut cut = prefix.len().min(room);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tail}", &prefix[..cut])
}

/// The naming pattern of a monthly partition called `name` that holds `(year, month)`:
/// `events_2025_01`, `events_202501`, `events_p2025_01`, `events_y2025m01`, pg_partman's
/// `events_p20250101`, `events_2025_01_archive`.
pub(super) fn derive_template(name: &str, (year, month): (i32, u32)) -> Option<NameTemplate> {
    let year_text = format!("{year:04}");
    let month_text = format!("{month:02}");
    for (start, _) in name.match_indices(&year_text) {
        let prefix = &name[..start];
        if prefix.is_empty() || prefix.ends_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let after = &name[start + year_text.len()..];
        let separator: String = after.chars().take_while(|c| !c.is_ascii_digit()).collect();
        if separator.chars().count() > 2 {
            continue;
        }
        let Some(suffix) = after[separator.len()..].strip_prefix(&month_text) else {
            continue;
        };
        let continues_number = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
        // A day after the month (`20250101`) is part of the pattern; any other digit means the
        // number is something else.
        let fits = !continues_number(suffix)
            || suffix
                .strip_prefix("01")
                .is_some_and(|rest| !continues_number(rest));
        if fits {
            return Some(NameTemplate {
                prefix: prefix.to_string(),
                separator,
                suffix: suffix.to_string(),
            });
        }
    }
    None
}

/// The pattern of the latest monthly partition, else pgspec's default.
pub(super) fn choose_template(table: &str, monthly: &[(i32, u32, String)]) -> NameTemplate {
    let mut latest_first: Vec<&(i32, u32, String)> = monthly.iter().collect();
    latest_first.sort_by_key(|m| std::cmp::Reverse((m.0, m.1)));
    latest_first
        .into_iter()
        .find_map(|(y, m, name)| derive_template(name, (*y, *m)))
        .unwrap_or_else(|| NameTemplate::default_for(table))
}
