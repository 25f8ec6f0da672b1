//! One row attempt: foreign keys from the parent key pools (random, distinct or self
//! references), the partition key inside an existing partition, columns bounded by other
//! columns, computed columns, then the CHECKs and the unique sets that accept or reject it.

use std::sync::Arc;

use crate::expr::{self, V};
use crate::plan::ColType;
use crate::values::{Value, DAY_MICROS, FNV_START};

use super::column_values::{from_f64, literal_value, null_rate};
use super::{is_int, Exhausted, FkMode, Generator, KeyPools};

impl Generator<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn attempt(
        &mut self,
        pools: &KeyPools,
        attempt: u32,
    ) -> Result<Vec<Value>, Option<Exhausted>> {
        let n = self.table.columns.len();
        let mut row = vec![Value::Null; n];
        self.seq += 1;
        // Foreign keys first: other values may depend on them.
        let fks = Arc::clone(&self.fks);
        for fk in fks.iter() {
            match fk.mode {
                FkMode::Deferred => {}
                FkMode::SelfRef => {} // after the row's own key is known
                FkMode::Random | FkMode::Distinct | FkMode::Cover => {
                    let pool = pools.get(&fk.pool).map_or(&[][..], Vec::as_slice);
                    if pool.is_empty() {
                        if fk.nullable {
                            continue;
                        }
                        return Err(Some(Exhausted {
                            constraint: fk.name.clone(),
                            reason: "the referenced table has no rows".into(),
                        }));
                    }
                    if fk.nullable && fk.mode == FkMode::Random && self.rng.chance(0.1) {
                        continue;
                    }
                    let idx = if fk.mode == FkMode::Cover && self.cover_next < pool.len() as u64 {
                        let k = self.cover_next;
                        self.cover_next += 1;
                        permute(k, pool.len() as u64)
                    } else if fk.mode == FkMode::Distinct {
                        let k = self.distinct_next;
                        self.distinct_next += 1;
                        if k >= pool.len() as u64 {
                            return Err(Some(Exhausted {
                                constraint: fk.name.clone(),
                                reason: format!(
                                    "its columns are unique, so at most one row per referenced row ({} rows)",
                                    pool.len()
                                ),
                            }));
                        }
                        // A fixed permutation of the pool: spread over parents, each once.
                        permute(k, pool.len() as u64)
                    } else {
                        self.rng.below(pool.len() as u64)
                    };
                    let parent = &pool[usize::try_from(idx).unwrap_or(0)];
                    for (c, v) in fk.cols.iter().zip(parent) {
                        row[*c] = v.clone();
                    }
                }
            }
        }
        for k in 0..self.order.len() {
            let ci = self.order[k];
            if self.fk_col[ci] && self.fk_covers(ci) {
                continue;
            }
            row[ci] = self.value(ci, attempt);
        }
        // Partition key inside an existing partition's bounds.
        if let Some(key) = self.table.partition_key {
            if !self.fk_col[key] {
                self.partition_value(key, &mut row);
            }
        }
        for k in 0..self.dependent.len() {
            let ci = self.dependent[k];
            row[ci] = self.dependent_value(ci, &row, attempt);
        }
        for k in 0..self.computed.len() {
            let ci = self.computed[k];
            let v = self.hints[ci]
                .equals
                .as_ref()
                .map_or(V::Unknown, |e| expr::eval(e, &row));
            row[ci] = match v {
                V::Num(x) => from_f64(&self.table.columns[ci].ty, x),
                V::Str(s) => Value::Text(s),
                V::Bool(b) => Value::Bool(b),
                _ => self.value(ci, attempt),
            };
        }
        for fk in fks.iter() {
            if fk.mode != FkMode::SelfRef {
                continue;
            }
            let pool = pools.get(&fk.pool).map_or(&[][..], Vec::as_slice);
            if !(pool.is_empty() || fk.nullable && self.rng.chance(0.3)) {
                let parent = &pool[usize::try_from(self.rng.below(pool.len() as u64)).unwrap_or(0)];
                for (c, v) in fk.cols.iter().zip(parent) {
                    row[*c] = v.clone();
                }
            } else if !fk.nullable {
                // Point at itself: the referenced columns are this row's own key.
                for (c, attnum) in fk.cols.iter().zip(&fk.pool.1) {
                    if let Some(r) = self.table.column_index(*attnum) {
                        row[*c] = row[r].clone();
                    }
                }
            }
        }
        // Pairs NULL together first get their missing half, then the counts drop the surplus,
        // then a half whose partner was dropped goes too.
        self.pair_nulls(&mut row, attempt, true);
        if !self.set_values(&mut row, attempt) {
            return Err(None);
        }
        self.pair_nulls(&mut row, attempt, false);
        self.elements_of_arrays(&mut row);
        // NOT NULL columns pgspec could not fill stay NULL only if the column has a default
        // (and is then not supplied) — see `supplied`.
        let checks = Arc::clone(&self.checks);
        for (name, e) in checks.iter() {
            if expr::eval(e, &row) == V::Bool(false) && !self.literal_repair(e, &mut row) {
                *self.check_failures.entry(name.clone()).or_default() += 1;
                self.last_failure = name.clone();
                return Err(None);
            }
        }
        let mut hashes = Vec::new();
        for (ui, u) in self.table.uniques.iter().enumerate() {
            let Some(h) = unique_key_hash(u, &row) else {
                continue;
            };
            if let Some(p) = &u.predicate {
                if expr::eval(p, &row) != V::Bool(true) && expr::eval(p, &row) != V::Unknown {
                    continue;
                }
            }
            if self.unique_sets[ui].contains(&h) || hashes.contains(&(ui, h)) {
                *self.check_failures.entry(u.name.clone()).or_default() += 1;
                self.last_failure = u.name.clone();
                return Err(None);
            }
            hashes.push((ui, h));
        }
        for (ui, h) in hashes {
            self.unique_sets[ui].insert(h);
        }
        Ok(row)
    }

    /// A row that fails the CHECK `e` given, in one column, a value the CHECK compares it to
    /// (`debit = 0` in `(debit = 0) <> (credit = 0)`) when that makes every CHECK hold; foreign
    /// key and generated columns keep their values. False when no such column and value exist.
    fn literal_repair(&self, e: &expr::Expr, row: &mut [Value]) -> bool {
        for (ci, v) in expr::equal_literals(e) {
            let Some(col) = self.table.columns.get(ci) else {
                continue;
            };
            if self.fk_col[ci] || col.generated {
                continue;
            }
            let value = literal_value(&col.ty, &v);
            if value.is_null() {
                continue;
            }
            let old = std::mem::replace(&mut row[ci], value);
            if self
                .checks
                .iter()
                .all(|(_, c)| expr::eval(c, row) != V::Bool(false))
            {
                return true;
            }
            row[ci] = old;
        }
        false
    }

    /// Bring each group of columns a CHECK counts (`num_nonnulls(a, b) = 1`) to a count it
    /// allows: NULL the surplus of nullable columns, fill missing ones that are not foreign
    /// keys. False when the row cannot be repaired (it is then generated again).
    fn set_values(&mut self, row: &mut [Value], attempt: u32) -> bool {
        let counts = Arc::clone(&self.set_counts);
        for c in counts.iter() {
            let mut set: Vec<usize> = c
                .columns
                .iter()
                .copied()
                .filter(|i| !row[*i].is_null())
                .collect();
            // Surplus: keep a random `max` of them, NULL the others that may be NULL.
            while set.len() > c.max {
                let nullable: Vec<usize> = set
                    .iter()
                    .copied()
                    .filter(|i| !self.table.columns[*i].not_null)
                    .collect();
                let Some(&drop) = self.rng.pick(&nullable) else {
                    return false;
                };
                row[drop] = Value::Null;
                set.retain(|i| *i != drop);
            }
            let mut missing: Vec<usize> = c
                .columns
                .iter()
                .copied()
                .filter(|i| {
                    row[*i].is_null() && !self.fk_col[*i] && !self.table.columns[*i].generated
                })
                .collect();
            while set.len() < c.min {
                let Some(&fill) = self.rng.pick(&missing) else {
                    return false;
                };
                for _ in 0..4 {
                    row[fill] = self.value(fill, attempt);
                    if !row[fill].is_null() {
                        break;
                    }
                }
                if row[fill].is_null() {
                    return false;
                }
                set.push(fill);
                missing.retain(|i| *i != fill);
            }
        }
        true
    }

    /// Make each pair of columns a CHECK wants NULL together agree: `fill` gives the NULL half
    /// a value (else it NULLs the other), otherwise the set half is NULLed (else the other
    /// filled); columns a set count governs and foreign keys are left to those.
    fn pair_nulls(&mut self, row: &mut [Value], attempt: u32, fill: bool) {
        let pairs = Arc::clone(&self.null_pairs);
        let counts = Arc::clone(&self.set_counts);
        let counted = |c: usize| counts.iter().any(|s| s.columns.contains(&c));
        for &(a, b) in pairs.iter() {
            let (set, null) = match (row[a].is_null(), row[b].is_null()) {
                (false, true) => (a, b),
                (true, false) => (b, a),
                _ => continue,
            };
            let fillable = |g: &Self, c: usize| {
                !g.fk_col[c] && !g.table.columns[c].generated && (fill || !counted(c))
            };
            let droppable =
                |g: &Self, c: usize| !g.table.columns[c].not_null && (fill || !counted(c));
            let try_fill = |g: &mut Self, row: &mut [Value]| {
                for _ in 0..4 {
                    row[null] = g.value(null, attempt);
                    if !row[null].is_null() {
                        return true;
                    }
                }
                false
            };
            // After the counts, NULL the set half first; before them, fill the NULL half first.
            if !fill && droppable(self, set) {
                row[set] = Value::Null;
                continue;
            }
            if fillable(self, null) && try_fill(self, row) {
                continue;
            }
            if droppable(self, set) {
                row[set] = Value::Null;
            }
        }
    }

    /// `col = ANY (array_col)`: the value becomes one of the array's elements; an empty array
    /// gets the value as its element.
    fn elements_of_arrays(&mut self, row: &mut [Value]) {
        let hints = Arc::clone(&self.hints);
        for (ci, h) in hints.iter().enumerate() {
            let Some(arr) = h.element_of else { continue };
            if row[ci].is_null() || self.table.columns[arr].generated {
                continue;
            }
            let ty = self.table.columns[ci].ty.clone();
            let ColType::Array { elem, .. } = self.table.columns[arr].ty.clone() else {
                continue;
            };
            let value = expr::V::of(&row[ci]);
            if let Value::Array { items, .. } = &mut row[arr] {
                match self.rng.pick(items).cloned() {
                    Some(item) => row[ci] = literal_value(&ty, &expr::V::of(&item)),
                    None => items.push(literal_value(&elem, &value)),
                }
            }
        }
    }

    fn fk_covers(&self, ci: usize) -> bool {
        self.fks
            .iter()
            .any(|f| f.cols.contains(&ci) && f.mode != FkMode::Deferred)
            || self.fks.iter().any(|f| {
                f.cols.contains(&ci)
                    && f.mode == FkMode::Deferred
                    && !self.table.columns[ci].not_null
            })
    }

    fn partition_value(&mut self, key: usize, row: &mut [Value]) {
        let ty = self.table.columns[key].ty.clone();
        if !self.lists.is_empty() && self.rng.chance(0.9) {
            let li = usize::try_from(self.rng.below(self.lists.len() as u64)).unwrap_or(0);
            if let Some(v) = self.rng.pick(&self.lists[li]).cloned() {
                row[key] = literal_value(&ty, &V::Str(v));
            }
            return;
        }
        if self.ranges.is_empty() || !self.rng.chance(0.9) {
            return;
        }
        let ri = usize::try_from(self.rng.below(self.ranges.len() as u64)).unwrap_or(0);
        let (lo, hi) = self.ranges[ri];
        let span_default = if is_int(&ty) {
            1000
        } else if ty == ColType::Date {
            30
        } else {
            30 * DAY_MICROS
        };
        let (lo, hi) = match (lo, hi) {
            (Some(l), Some(h)) => (l, h - 1),
            (Some(l), None) => (l, l + span_default),
            (None, Some(h)) => (h - span_default, h - 1),
            (None, None) => return,
        };
        let x = self.rng.range(lo, hi);
        row[key] = match ty {
            ColType::Int2 => Value::I16(i16::try_from(x).unwrap_or(0)),
            ColType::Int4 => Value::I32(i32::try_from(x).unwrap_or(0)),
            ColType::Int8 => Value::I64(x),
            ColType::Date => Value::Date(i32::try_from(x).unwrap_or(0)),
            ColType::Timestamp | ColType::Timestamptz => Value::Timestamp(x),
            _ => return,
        };
    }

    fn dependent_value(&mut self, ci: usize, row: &[Value], attempt: u32) -> Value {
        let table = self.table;
        let hints = Arc::clone(&self.hints);
        let col = &table.columns[ci];
        let nullable = !col.not_null && !hints[ci].not_null;
        if nullable && self.rng.chance(null_rate(&col.name)) {
            return Value::Null;
        }
        let ty = &col.ty;
        let time_like = matches!(
            ty,
            ColType::Timestamp | ColType::Timestamptz | ColType::Date
        );
        #[allow(clippy::cast_precision_loss)]
        let step = if time_like { DAY_MICROS as f64 } else { 1.0 };
        let mut lo: Option<f64> = None;
        let mut hi: Option<f64> = None;
        for &(o, strict) in &hints[ci].ge {
            if let Some(x) = row[o].as_f64() {
                let x = if strict { x + 1.0 } else { x };
                lo = Some(lo.map_or(x, |l: f64| l.max(x)));
            }
        }
        for &(o, strict) in &hints[ci].le {
            if let Some(x) = row[o].as_f64() {
                let x = if strict { x - 1.0 } else { x };
                hi = Some(hi.map_or(x, |h: f64| h.min(x)));
            }
        }
        let spread = self.rng.unit() * 30.0 * step;
        let x = match (lo, hi) {
            (Some(l), Some(h)) if h >= l => l + (h - l) * self.rng.unit(),
            (Some(l), _) => l + spread,
            (None, Some(h)) => h - spread,
            (None, None) => return self.value(ci, attempt),
        };
        from_f64(ty, x)
    }
}

/// A permutation of `0..n` (multiplication by a large prime modulo n, for n not a multiple
/// of it), so Distinct foreign keys spread over parents.
pub(super) fn permute(k: u64, n: u64) -> u64 {
    const P: u64 = 2_654_435_761;
    if n.is_multiple_of(P) {
        return k % n;
    }
    let r = (u128::from(k % n) * u128::from(P)) % u128::from(n);
    u64::try_from(r).unwrap_or(0)
}

/// The hash rows of a unique set are compared on, `None` when the row's key has a NULL (NULLs
/// never collide). An expression index compares its keys' values: `(parent_id IS NULL)` is
/// `true` for every root, so two roots collide. Keys pgspec cannot evaluate fall back to the
/// raw columns they use.
pub(super) fn unique_key_hash(u: &crate::plan::UniqueSet, row: &[Value]) -> Option<u64> {
    let keys: Vec<V> = u.keys.iter().map(|k| expr::eval(k, row)).collect();
    if !keys.is_empty() && !keys.contains(&V::Unknown) {
        if keys.contains(&V::Null) {
            return None;
        }
        let mut h = FNV_START;
        for b in format!("{keys:?}").bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        return Some(h);
    }
    if u.columns.iter().any(|c| row[*c].is_null()) {
        return None;
    }
    Some(hash_values(u.columns.iter().map(|c| &row[*c])))
}

pub(super) fn hash_values<'a>(values: impl Iterator<Item = &'a Value>) -> u64 {
    let mut h = FNV_START;
    for v in values {
        v.hash_into(&mut h);
    }
    h
}
