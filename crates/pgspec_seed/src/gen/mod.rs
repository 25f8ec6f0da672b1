//! Row generation for one table: values that honour the column types, the CHECK hints, the
//! foreign keys (from pools of parent keys), the unique sets and the partition bounds.
//!
//! The generator's plan lives here; the rest of it in the submodules: [`rows`] assembles one
//! row (foreign keys, partition key, dependent and computed columns, CHECKs, unique sets),
//! [`column_values`] makes a value for a column from its type, name and hints, and [`text`]
//! makes text values (from the column's name, or from a CHECK's regex).

mod column_values;
mod dates;
mod rows;
mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::expr::{self, Expr, Hints};
use super::names::Names;
use super::plan::{ColType, PartitionBound, Table};
use super::values::{parse_timestamp, Rng, Value, DAY_MICROS};

pub use column_values::{from_f64, literal_value, other_text, spatial_text};
pub use text::from_regex;

/// Attempts per row before pgspec gives the row up.
const ATTEMPTS: u32 = 24;

/// Parent keys by (table oid, referenced attnums): the rows children may point at.
pub type KeyPools = HashMap<(i64, Vec<i16>), Vec<Vec<Value>>>;

#[derive(Clone, Debug, PartialEq)]
enum FkMode {
    Random,
    /// The FK columns are unique in this table: each parent row at most once.
    Distinct,
    /// Points into this table itself.
    SelfRef,
    /// Part of a cycle: NULL now, set by an UPDATE once every table is loaded.
    Deferred,
    /// Every parent row needs a child (a diagram's "one or more"): the first rows take each
    /// parent once, the rest pick at random.
    Cover,
}

#[derive(Clone, Debug)]
struct FkPlan {
    name: String,
    cols: Vec<usize>,
    pool: (i64, Vec<i16>),
    nullable: bool,
    mode: FkMode,
}

/// Why a table stopped before reaching its row count.
#[derive(Clone, Debug)]
pub struct Exhausted {
    pub constraint: String,
    pub reason: String,
}

/// Generates the rows of one table.
pub struct Generator<'t> {
    pub table: &'t Table,
    names: Names,
    rng: Rng,
    now: i64,
    /// Columns written, in COPY order.
    pub supplied: Vec<usize>,
    /// Supplied columns whose type pgspec writes as text with a cast (`$n::text::type`).
    pub text_cast: Vec<bool>,
    hints: Arc<Vec<Hints>>,
    checks: Arc<Vec<(String, Expr)>>,
    /// How many of a group of columns must be set (`num_nonnulls(a, b) = 1`).
    set_counts: Arc<Vec<expr::SetCount>>,
    /// Columns NULL together (`(a IS NULL) = (b IS NULL)`).
    null_pairs: Arc<Vec<(usize, usize)>>,
    fks: Arc<Vec<FkPlan>>,
    fk_col: Vec<bool>,
    unique_col: Vec<bool>,
    order: Vec<usize>,
    dependent: Vec<usize>,
    computed: Vec<usize>,
    unique_sets: Vec<HashSet<u64>>,
    /// Counter that makes by-construction unique values unique (grows with every attempt).
    seq: u64,
    distinct_next: u64,
    /// The next parent a `Cover` foreign key gives a child.
    cover_next: u64,
    /// First value for integer key columns (above what the table holds).
    pub int_base: Vec<i64>,
    ranges: Vec<(Option<i64>, Option<i64>)>,
    lists: Vec<Vec<String>>,
    /// Rejected attempts per constraint name.
    pub check_failures: HashMap<String, u64>,
    pub exhausted: Option<Exhausted>,
    consecutive_failures: u32,
    last_failure: String,
}

fn is_int(t: &ColType) -> bool {
    matches!(t, ColType::Int2 | ColType::Int4 | ColType::Int8)
}

/// Whether pgspec can write this type in binary.
pub fn writable(t: &ColType) -> bool {
    match t {
        ColType::Other(_) | ColType::Composite(_) => false,
        ColType::Array { elem, .. } | ColType::Range { elem, .. } => writable(elem),
        _ => true,
    }
}

impl<'t> Generator<'t> {
    /// Plan the generation of `table`'s rows. `deferred` names FKs to leave NULL (cycles).
    pub fn new(table: &'t Table, seed: u64, korean: bool, now: i64, deferred: &[String]) -> Self {
        let n = table.columns.len();
        let checks: Vec<(String, Expr)> = table
            .checks
            .iter()
            .filter_map(|c| c.expr.clone().map(|e| (c.name.clone(), e)))
            .collect();
        let exprs: Vec<&Expr> = checks.iter().map(|(_, e)| e).collect();
        let mut hints = expr::hints(&exprs, n);
        let set_counts = expr::set_counts(&exprs);
        let null_pairs = expr::null_pairs(&exprs);
        for (i, c) in table.columns.iter().enumerate() {
            if let ColType::Text {
                max_len: Some(m), ..
            } = c.ty
            {
                hints[i].max_len = Some(hints[i].max_len.map_or(m, |h| h.min(m)));
            }
        }
        let mut fk_col = vec![false; n];
        let mut fks = Vec::new();
        for fk in &table.fks {
            let nullable = fk.columns.iter().all(|c| !table.columns[*c].not_null);
            let unique = table.uniques.iter().any(|u| {
                u.predicate.is_none()
                    && !u.columns.is_empty()
                    && u.columns.iter().all(|c| fk.columns.contains(c))
            });
            let mode = if deferred.contains(&fk.name) {
                FkMode::Deferred
            } else if fk.ref_table == table.oid {
                FkMode::SelfRef
            } else if unique {
                FkMode::Distinct
            } else {
                FkMode::Random
            };
            for c in &fk.columns {
                fk_col[*c] = true;
            }
            fks.push(FkPlan {
                name: fk.name.clone(),
                cols: fk.columns.clone(),
                pool: (fk.ref_table, fk.ref_attnums.clone()),
                nullable,
                mode,
            });
        }
        // Unique by construction: single-column sets, and one free column of composite sets:
        // the one with the most values to give (a bounded integer wraps, a date goes back a
        // day per row, a boolean or a list of choices cannot).
        let mut unique_col = vec![false; n];
        let room = |c: usize| {
            let h = &hints[c];
            if h.choices.is_some() {
                return 0;
            }
            match table.columns[c].ty {
                ColType::Text { .. } | ColType::Uuid | ColType::Numeric { .. } => 3,
                ColType::Int2 | ColType::Int4 | ColType::Int8
                    if h.min.is_none() || h.max.is_none() =>
                {
                    3
                }
                ColType::Date => 2,
                ColType::Int2 | ColType::Int4 | ColType::Int8 => 1,
                _ => 0,
            }
        };
        for u in &table.uniques {
            if u.columns.iter().all(|c| fk_col[*c]) {
                continue;
            }
            let free = u.columns.iter().copied().filter(|c| !fk_col[*c]);
            // The first of those with the most room.
            if let Some(best) = free.rev().max_by_key(|c| room(*c)) {
                unique_col[best] = true;
            }
        }
        let mut supplied = Vec::new();
        let mut text_cast = Vec::new();
        for (i, c) in table.columns.iter().enumerate() {
            if c.generated {
                continue;
            }
            if writable(&c.ty) {
                supplied.push(i);
                text_cast.push(false);
            } else if spatial_text(c, || 0.5).is_some()
                || matches!(c.ty, ColType::Composite(_))
                || (c.not_null && !c.has_default && other_text(c).is_some())
            {
                // Spatial columns get values even when nullable: the document's queries on
                // them (distance, containment) have rows to find.
                supplied.push(i);
                text_cast.push(true);
            }
        }
        // Generation order: plain columns, then columns bounded by other columns, then computed.
        let mut order = Vec::new();
        let mut dependent = Vec::new();
        let mut computed = Vec::new();
        for &i in &supplied {
            if hints[i].equals.is_some() {
                computed.push(i);
            } else if !hints[i].ge.is_empty() || !hints[i].le.is_empty() {
                dependent.push(i);
            } else {
                order.push(i);
            }
        }
        // Dependencies among dependents: those whose bounds are placed go first.
        let mut placed: Vec<usize> = order.clone();
        let mut sorted = Vec::new();
        for _ in 0..dependent.len() {
            for &d in &dependent {
                if sorted.contains(&d) {
                    continue;
                }
                let ready = hints[d]
                    .ge
                    .iter()
                    .chain(hints[d].le.iter())
                    .all(|(o, _)| placed.contains(o) || !dependent.contains(o));
                if ready {
                    sorted.push(d);
                    placed.push(d);
                }
            }
        }
        for &d in &dependent {
            if !sorted.contains(&d) {
                sorted.push(d);
            }
        }
        let mut ranges = Vec::new();
        let mut lists = Vec::new();
        for (_, b) in &table.partitions {
            match b {
                PartitionBound::Range(lo, hi) => {
                    let key_ty = table.partition_key.map(|k| &table.columns[k].ty);
                    let conv = |s: &Option<String>| {
                        s.as_deref().and_then(|s| match key_ty {
                            Some(t) if is_int(t) => s.parse::<i64>().ok(),
                            Some(ColType::Date) => parse_timestamp(s).map(|m| m / DAY_MICROS),
                            _ => parse_timestamp(s),
                        })
                    };
                    ranges.push((conv(lo), conv(hi)));
                }
                PartitionBound::List(items) => lists.push(items.clone()),
                _ => {}
            }
        }
        Generator {
            table,
            names: Names { korean },
            rng: Rng::new(seed, &table.qualified()),
            now,
            supplied,
            text_cast,
            hints: Arc::new(hints),
            checks: Arc::new(checks),
            set_counts: Arc::new(set_counts),
            null_pairs: Arc::new(null_pairs),
            fks: Arc::new(fks),
            fk_col,
            unique_col,
            order,
            dependent: sorted,
            computed,
            unique_sets: vec![HashSet::new(); table.uniques.len()],
            seq: 0,
            distinct_next: 0,
            cover_next: 0,
            int_base: vec![1; n],
            ranges,
            lists,
            check_failures: HashMap::new(),
            exhausted: None,
            consecutive_failures: 0,
            last_failure: String::new(),
        }
    }

    /// Whether the table can go through binary COPY (every supplied column has a binary form).
    pub fn binary(&self) -> bool {
        !self.text_cast.iter().any(|t| *t)
    }

    /// Column sets whose existing values must stay unique (for preloading from the table).
    pub fn unique_columns(&self) -> Vec<Vec<usize>> {
        self.table
            .uniques
            .iter()
            .map(|u| u.columns.clone())
            .collect()
    }

    /// Continue a table that already holds `rows` rows (the document's own, or those of an
    /// earlier seed that stopped): the counters that make values unique start after them and
    /// the random stream is another one, so new rows do not repeat the old rows' keys.
    pub fn continue_after(&mut self, seed: u64, rows: u64) {
        self.seq = rows;
        self.distinct_next = rows;
        self.rng = Rng::new(
            seed ^ rows.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            &self.table.qualified(),
        );
    }

    /// `n` fresh text values for column `ci` that honour its type and CHECK hints (length,
    /// regex, IN-list), from another random stream than the seeded rows'; for `verify`, which
    /// needs a value no row has yet.
    pub fn fresh_texts(&mut self, ci: usize, n: u32) -> Vec<String> {
        let salt = self.rng.next_u64();
        self.continue_after(salt ^ 0x5eed, 1 << 40);
        (0..n)
            .filter_map(|attempt| {
                self.seq += 1;
                match self.value(ci, attempt) {
                    Value::Text(s) => Some(s),
                    _ => None,
                }
            })
            .collect()
    }

    /// Record existing values of unique set `i`.
    /// `values` are those of the set's columns, in order; hashed as a generated row is.
    pub fn preload_unique(&mut self, i: usize, values: &[Value]) {
        let Some(u) = self.table.uniques.get(i) else {
            return;
        };
        let mut row = vec![Value::Null; self.table.columns.len()];
        for (c, v) in u.columns.iter().zip(values) {
            if let Some(slot) = row.get_mut(*c) {
                *slot = v.clone();
            }
        }
        let Some(h) = rows::unique_key_hash(u, &row) else {
            return;
        };
        if let Some(set) = self.unique_sets.get_mut(i) {
            set.insert(h);
        }
    }

    /// Give every row of the table foreign key `fk` references a child before any gets a
    /// second (for a relationship a diagram draws as "one or more"). Only a foreign key that
    /// picks its parents at random changes.
    pub fn cover_parents(&mut self, fk: &str) {
        for f in Arc::make_mut(&mut self.fks).iter_mut() {
            if f.name == fk && f.mode == FkMode::Random {
                f.mode = FkMode::Cover;
            }
        }
    }

    /// The names of the FKs left NULL for a later UPDATE.
    pub fn deferred_fks(&self) -> Vec<String> {
        self.fks
            .iter()
            .filter(|f| f.mode == FkMode::Deferred)
            .map(|f| f.name.clone())
            .collect()
    }

    /// The next row (all columns; unsupplied ones NULL), or None when the table cannot take
    /// more rows (see `exhausted`).
    pub fn next_row(&mut self, pools: &KeyPools) -> Option<Vec<Value>> {
        if self.exhausted.is_some() {
            return None;
        }
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            // A rejected attempt gives its parent back: the next one covers it.
            let cover_next = self.cover_next;
            let tried = self.attempt(pools, attempt);
            if tried.is_err() {
                self.cover_next = cover_next;
            }
            match tried {
                Ok(row) => {
                    self.consecutive_failures = 0;
                    return Some(row);
                }
                Err(Some(stop)) => {
                    self.exhausted = Some(stop);
                    return None;
                }
                Err(None) => {}
            }
            last = self.last_failure.clone();
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures >= 50 {
            let reason = match self.capacity(&last) {
                Some(n) => format!(
                    "its columns take at most {n} distinct values under their types and CHECKs"
                ),
                None => format!("{ATTEMPTS} attempts per row failed for 50 rows in a row"),
            };
            self.exhausted = Some(Exhausted {
                constraint: last.clone(),
                reason,
            });
        }
        None
    }

    /// How many distinct keys unique set `name` can hold when every column of it has a finite
    /// domain (booleans, enums, IN-lists, integers a CHECK bounds on both sides).
    fn capacity(&self, name: &str) -> Option<u128> {
        let u = self.table.uniques.iter().find(|u| u.name == name)?;
        u.columns.iter().try_fold(1u128, |n, c| {
            let h = &self.hints[*c];
            let size = if let Some(choices) = &h.choices {
                choices.len() as u128
            } else {
                match &self.table.columns[*c].ty {
                    ColType::Bool => 2,
                    ColType::Enum(labels) => labels.len() as u128,
                    t if is_int(t) => {
                        let ((lo, ls), (hi, hs)) = (h.min?, h.max?);
                        let lo = if ls { lo.floor() + 1.0 } else { lo.ceil() };
                        let hi = if hs { hi.ceil() - 1.0 } else { hi.floor() };
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let size = (hi - lo + 1.0).max(0.0) as u128;
                        size
                    }
                    ColType::Date if h.min.is_some() && h.max.is_some() => {
                        let name = self.table.columns[*c].name.to_lowercase();
                        let (first, last) = self.day_bounds(*c, &name);
                        u128::try_from(last - first + 1).unwrap_or(0)
                    }
                    _ => return None,
                }
            };
            n.checked_mul(size)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::from_regex;
    use super::rows::permute;
    use crate::values::Rng;

    #[test]
    fn regex_generation_matches() {
        let mut rng = Rng::new(1, "t");
        for p in [
            "^[A-Z]{3}-[0-9]{4}$",
            "^(red|green|blue)$",
            "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$",
        ] {
            let re = regex::Regex::new(p).expect("valid");
            for _ in 0..20 {
                let s = from_regex(p, false, &mut rng).expect("generates");
                assert!(re.is_match(&s), "{s} !~ {p}");
            }
        }
    }

    #[test]
    fn permutation_visits_each_parent_once() {
        for n in [1u64, 2, 7, 100, 1000] {
            let mut seen: Vec<u64> = (0..n).map(|k| permute(k, n)).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len() as u64, n);
        }
    }
}
