//! Row generation for one table: values that honour the column types, the CHECK hints, the
//! foreign keys (from pools of parent keys), the unique sets and the partition bounds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::expr::{self, Expr, Hints, V};
use super::names::{hex, Names};
use super::plan::{ColType, Column, PartitionBound, Table};
use super::values::{parse_timestamp, Rng, Value, DAY_MICROS};

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
    checks: Vec<(String, Expr)>,
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
        ColType::Other(_) => false,
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
        let mut hints = expr::hints(&checks.iter().map(|(_, e)| e).collect::<Vec<_>>(), n);
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
        // Unique by construction: single-column sets, and one free column of composite sets.
        let mut unique_col = vec![false; n];
        for u in &table.uniques {
            if u.columns.iter().all(|c| fk_col[*c]) {
                continue;
            }
            let free: Vec<usize> = u.columns.iter().copied().filter(|c| !fk_col[*c]).collect();
            if let Some(best) = free
                .iter()
                .copied()
                .find(|c| {
                    matches!(
                        table.columns[*c].ty,
                        ColType::Text { .. }
                            | ColType::Int2
                            | ColType::Int4
                            | ColType::Int8
                            | ColType::Uuid
                            | ColType::Numeric { .. }
                    ) && hints[*c].choices.is_none()
                })
                .or_else(|| free.first().copied())
            {
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
            } else if c.not_null && !c.has_default && other_text(c).is_some() {
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
            checks,
            fks: Arc::new(fks),
            fk_col,
            unique_col,
            order,
            dependent: sorted,
            computed,
            unique_sets: vec![HashSet::new(); table.uniques.len()],
            seq: 0,
            distinct_next: 0,
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

    /// Record existing values of unique set `i`.
    pub fn preload_unique(&mut self, i: usize, values: &[Value]) {
        if values.iter().any(Value::is_null) {
            return;
        }
        let h = hash_values(values.iter());
        if let Some(set) = self.unique_sets.get_mut(i) {
            set.insert(h);
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
            match self.attempt(pools, attempt) {
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
            self.exhausted = Some(Exhausted {
                constraint: last.clone(),
                reason: format!("{ATTEMPTS} attempts per row failed for 50 rows in a row"),
            });
        }
        None
    }

    #[allow(clippy::too_many_lines)]
    fn attempt(&mut self, pools: &KeyPools, attempt: u32) -> Result<Vec<Value>, Option<Exhausted>> {
        let n = self.table.columns.len();
        let mut row = vec![Value::Null; n];
        self.seq += 1;
        // Foreign keys first: other values may depend on them.
        let fks = Arc::clone(&self.fks);
        for fk in fks.iter() {
            match fk.mode {
                FkMode::Deferred => {}
                FkMode::SelfRef => {} // after the row's own key is known
                FkMode::Random | FkMode::Distinct => {
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
                    let idx = if fk.mode == FkMode::Distinct {
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
        // NOT NULL columns pgspec could not fill stay NULL only if the column has a default
        // (and is then not supplied) — see `supplied`.
        for (name, e) in &self.checks {
            if expr::eval(e, &row) == V::Bool(false) {
                *self.check_failures.entry(name.clone()).or_default() += 1;
                self.last_failure = name.clone();
                return Err(None);
            }
        }
        let mut hashes = Vec::new();
        for (ui, u) in self.table.uniques.iter().enumerate() {
            if u.columns.iter().any(|c| row[*c].is_null()) {
                continue;
            }
            if let Some(p) = &u.predicate {
                if expr::eval(p, &row) != V::Bool(true) && expr::eval(p, &row) != V::Unknown {
                    continue;
                }
            }
            let h = hash_values(u.columns.iter().map(|c| &row[*c]));
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

    /// A fresh value for column `ci` from its type, name and hints.
    fn value(&mut self, ci: usize, attempt: u32) -> Value {
        let table = self.table;
        let hints = Arc::clone(&self.hints);
        let col: &Column = &table.columns[ci];
        let h = &hints[ci];
        let nullable = !col.not_null && !h.not_null && !self.unique_col[ci];
        if nullable && self.rng.chance(null_rate(&col.name)) {
            return Value::Null;
        }
        if let Some(choices) = &h.choices {
            if let Some(v) = self.rng.pick(choices) {
                return literal_value(&col.ty, v);
            }
        }
        let ty = &col.ty;
        let name = col.name.to_lowercase();
        let unique = self.unique_col[ci];
        let seq = self.seq;
        if self.table.disjoint.contains(&ci) {
            if let ColType::Range { elem, elem_oid } = &ty {
                return disjoint_range(elem, *elem_oid, seq, self.now);
            }
        }
        match &ty {
            ColType::Bool => Value::Bool(
                if name.starts_with("is_active") || name == "active" || name.contains("enabled") {
                    self.rng.chance(0.85)
                } else {
                    self.rng.chance(0.5)
                },
            ),
            ColType::Int2
            | ColType::Int4
            | ColType::Int8
            | ColType::Float4
            | ColType::Float8
            | ColType::Numeric { .. } => {
                if unique && is_int(ty) {
                    #[allow(clippy::cast_possible_wrap)]
                    let v = self.int_base[ci] + seq as i64 - 1;
                    return from_f64(ty, v as f64);
                }
                let (lo, hi) = self.numeric_bounds(ci, ty, &name);
                let x = if is_int(ty) {
                    #[allow(clippy::cast_possible_truncation)]
                    {
                        self.rng.range(lo.ceil() as i64, hi.floor() as i64) as f64
                    }
                } else {
                    lo + (hi - lo) * self.rng.unit()
                };
                let mut v = from_f64(ty, x);
                if unique {
                    // Unique non-integers: the counter in the fraction keeps values distinct.
                    #[allow(clippy::cast_precision_loss)]
                    if let ColType::Numeric { .. } | ColType::Float4 | ColType::Float8 = ty {
                        v = from_f64(ty, lo + seq as f64);
                    }
                }
                v
            }
            ColType::Text { .. } => Value::Text(self.text(ci, &name, unique, seq, attempt)),
            ColType::Enum(labels) => self
                .rng
                .pick(labels)
                .map_or(Value::Null, |l| Value::Text(l.clone())),
            ColType::Uuid => Value::Uuid(self.rng.uuid()),
            ColType::Timestamptz | ColType::Timestamp => Value::Timestamp(self.time(ci, &name)),
            ColType::Date => {
                Value::Date(i32::try_from(self.time(ci, &name).div_euclid(DAY_MICROS)).unwrap_or(0))
            }
            ColType::Time => Value::Time(self.rng.range(6 * 3600, 22 * 3600) * 1_000_000),
            ColType::Interval => Value::Interval {
                micros: self.rng.range(1, 24 * 60) * 60_000_000,
                days: 0,
                months: 0,
            },
            ColType::Json | ColType::Jsonb => {
                let text = self.json(&name, seq, attempt);
                if *ty == ColType::Json {
                    Value::Json(text)
                } else {
                    Value::Jsonb(text)
                }
            }
            ColType::Bytea => {
                let mut b = self.rng.next_u64().to_be_bytes().to_vec();
                b.extend(self.rng.next_u64().to_be_bytes());
                Value::Bytes(b)
            }
            ColType::Inet | ColType::Cidr => {
                let cidr = *ty == ColType::Cidr;
                let x = self.rng.next_u64().to_be_bytes();
                Value::Inet {
                    addr: [10, x[0], x[1], if cidr { 0 } else { x[2].max(1) }],
                    bits: if cidr { 24 } else { 32 },
                    cidr,
                }
            }
            ColType::Array { elem, elem_oid } => {
                let elem = (**elem).clone();
                let count = if attempt % 2 == 1 {
                    1
                } else {
                    self.rng.below(4)
                };
                let mut items = Vec::new();
                if let Some(subset) = h.subset_of.clone() {
                    for _ in 0..count.min(subset.len() as u64) {
                        if let Some(v) = self.rng.pick(&subset).cloned() {
                            let v = literal_value(&elem, &v);
                            if !items.contains(&v) {
                                items.push(v);
                            }
                        }
                    }
                } else if writable(&elem) {
                    for _ in 0..count {
                        items.push(self.scalar(&elem));
                    }
                }
                Value::Array {
                    elem_oid: *elem_oid,
                    items,
                }
            }
            ColType::Range { elem, elem_oid } => {
                let lower = self.scalar(elem);
                let upper = match &lower {
                    Value::I32(v) => {
                        Value::I32(v + 1 + i32::try_from(self.rng.below(100)).unwrap_or(0))
                    }
                    Value::I64(v) => {
                        Value::I64(v + 1 + i64::try_from(self.rng.below(100)).unwrap_or(0))
                    }
                    Value::Timestamp(t) => {
                        Value::Timestamp(t + (1 + self.rng.range(0, 7)) * 3_600_000_000)
                    }
                    Value::Date(d) => {
                        Value::Date(d + 1 + i32::try_from(self.rng.below(14)).unwrap_or(0))
                    }
                    Value::Numeric { unscaled, scale } => Value::Numeric {
                        unscaled: unscaled + 100,
                        scale: *scale,
                    },
                    _ => Value::Null,
                };
                if upper.is_null() {
                    return Value::Null;
                }
                let _ = elem_oid;
                Value::Range {
                    lower: Some(Box::new(lower)),
                    upper: Some(Box::new(upper)),
                }
            }
            ColType::Other(_) => other_text(col).map_or(Value::Null, Value::Text),
        }
    }

    /// A value of an element type (arrays, ranges), without column hints.
    fn scalar(&mut self, ty: &ColType) -> Value {
        match ty {
            ColType::Text { .. } => Value::Text(self.names.words(&mut self.rng, 1)),
            ColType::Int2 => Value::I16(i16::try_from(self.rng.below(100)).unwrap_or(0)),
            ColType::Int4 => Value::I32(i32::try_from(self.rng.below(1000)).unwrap_or(0)),
            ColType::Int8 => Value::I64(i64::try_from(self.rng.below(1000)).unwrap_or(0)),
            ColType::Float4 => Value::F32(1.0),
            #[allow(clippy::cast_precision_loss)]
            ColType::Float8 => Value::F64(self.rng.below(1000) as f64 / 10.0),
            ColType::Numeric { scale, .. } => Value::Numeric {
                unscaled: i128::from(self.rng.below(100_000)),
                scale: *scale,
            },
            ColType::Uuid => Value::Uuid(self.rng.uuid()),
            ColType::Timestamp | ColType::Timestamptz => {
                Value::Timestamp(self.now - self.rng.range(0, 365 * DAY_MICROS))
            }
            ColType::Date => Value::Date(
                i32::try_from((self.now / DAY_MICROS) - self.rng.range(0, 365)).unwrap_or(0),
            ),
            ColType::Bool => Value::Bool(self.rng.chance(0.5)),
            ColType::Enum(labels) => self
                .rng
                .pick(labels)
                .map_or(Value::Null, |l| Value::Text(l.clone())),
            ColType::Jsonb => Value::Jsonb("{}".into()),
            ColType::Json => Value::Json("{}".into()),
            _ => Value::Null,
        }
    }

    fn numeric_bounds(&self, ci: usize, ty: &ColType, name: &str) -> (f64, f64) {
        let (mut lo, mut hi) = semantic_range(name);
        if let ColType::Int2 = ty {
            hi = hi.min(100.0);
        }
        let h = &self.hints[ci];
        let unit = match ty {
            ColType::Numeric { scale, .. } => 10f64.powi(-i32::from(*scale)),
            ColType::Float4 | ColType::Float8 => 0.001,
            _ => 1.0,
        };
        if let Some((m, strict)) = h.min {
            let m = if strict { m + unit } else { m };
            if m > hi {
                hi = m + (hi - lo).max(10.0);
            }
            lo = lo.max(m);
        }
        if let Some((m, strict)) = h.max {
            let m = if strict { m - unit } else { m };
            if m < lo {
                lo = m - (hi - lo).max(10.0).min(m.abs().max(10.0));
                if h.min.is_some() {
                    lo = lo.max(h.min.map_or(lo, |(x, s)| if s { x + unit } else { x }));
                }
            }
            hi = hi.min(m);
        }
        let (tlo, thi) = type_limits(ty);
        lo = lo.clamp(tlo, thi);
        hi = hi.clamp(tlo, thi);
        if hi < lo {
            hi = lo;
        }
        (lo, hi)
    }

    fn time(&mut self, ci: usize, name: &str) -> i64 {
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
        let (mut lo, mut hi) = if future {
            (self.now, self.now + 90 * DAY_MICROS)
        } else if name.contains("birth") || name == "dob" {
            (
                -50 * 365 * DAY_MICROS,
                -5 * 365 * DAY_MICROS + 5 * 365 * DAY_MICROS,
            )
        } else {
            (self.now - 365 * DAY_MICROS, self.now)
        };
        #[allow(clippy::cast_possible_truncation)]
        {
            let h = &self.hints[ci];
            if let Some((m, _)) = h.min {
                lo = lo.max(m as i64 + 1);
                hi = hi.max(lo + DAY_MICROS);
            }
            if let Some((m, _)) = h.max {
                hi = hi.min(m as i64 - 1);
                lo = lo.min(hi - DAY_MICROS);
            }
        }
        self.rng.range(lo, hi)
    }

    fn json(&mut self, name: &str, seq: u64, attempt: u32) -> String {
        if attempt % 2 == 1
            || name.contains("tags")
            || name.ends_with("_ids")
            || name.contains("items")
            || name.contains("list")
        {
            return format!(
                "[\"{}\", \"{}\"]",
                self.names.words(&mut self.rng, 1),
                self.names.words(&mut self.rng, 1)
            );
        }
        let word = self.names.words(&mut self.rng, 1);
        format!("{{\"source\": \"pgspec\", \"n\": {seq}, \"label\": \"{word}\"}}")
    }

    #[allow(clippy::too_many_lines)]
    fn text(&mut self, ci: usize, name: &str, unique: bool, seq: u64, attempt: u32) -> String {
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
        // Regexes: keep the realistic value when it matches, else generate from the pattern.
        if !h.regexes.is_empty() && !h.regexes.iter().all(|(_, _, re)| re.is_match(&s)) {
            let (pattern, ci_flag, re) = h.regexes[0].clone();
            for _ in 0..8 {
                if let Some(g) = from_regex(&pattern, ci_flag, &mut self.rng) {
                    if re.is_match(&g) && h.regexes.iter().all(|(_, _, r)| r.is_match(&g)) {
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

/// A permutation of `0..n` (multiplication by a large prime modulo n, for n not a multiple
/// of it), so Distinct foreign keys spread over parents.
fn permute(k: u64, n: u64) -> u64 {
    const P: u64 = 2_654_435_761;
    if n.is_multiple_of(P) {
        return k % n;
    }
    let r = (u128::from(k % n) * u128::from(P)) % u128::from(n);
    u64::try_from(r).unwrap_or(0)
}

fn null_rate(name: &str) -> f64 {
    let n = name.to_lowercase();
    if n.contains("deleted")
        || n.contains("archived")
        || n.contains("cancelled")
        || n.contains("canceled")
        || n.contains("revoked")
        || n.contains("error")
        || n.contains("failed")
    {
        0.9
    } else if n.ends_with("_at") || n.contains("completed") || n.contains("started") {
        0.3
    } else {
        0.1
    }
}

fn semantic_range(name: &str) -> (f64, f64) {
    let n = name.to_lowercase();
    if n.contains("year") {
        (2000.0, 2026.0)
    } else if n == "age" || n.ends_with("_age") {
        (18.0, 80.0)
    } else if n.contains("rating") || n.contains("stars") {
        (1.0, 5.0)
    } else if n.contains("percent")
        || n.contains("progress")
        || n.contains("rate")
        || n.contains("ratio")
    {
        (0.0, 100.0)
    } else if n.contains("discount") || n.contains("tax") {
        (0.0, 50.0)
    } else if n.contains("price")
        || n.contains("amount")
        || n.contains("cost")
        || n.contains("total")
        || n.contains("balance")
        || n.contains("fee")
        || n.contains("subtotal")
    {
        (100.0, 100_000.0)
    } else if n.contains("version") {
        (1.0, 10.0)
    } else if n.contains("port") {
        (1024.0, 65535.0)
    } else if n.contains("priority") || n.contains("level") {
        (1.0, 10.0)
    } else if n.contains("count")
        || n.contains("quantity")
        || n.contains("qty")
        || n.contains("attempt")
        || n.contains("retries")
        || n.contains("order")
        || n.contains("position")
        || n.contains("rank")
        || n.contains("sort")
    {
        (0.0, 100.0)
    } else if n.contains("lat") {
        (33.0, 38.5)
    } else if n.contains("lng") || n.contains("lon") {
        (126.0, 129.5)
    } else {
        (0.0, 1000.0)
    }
}

fn type_limits(ty: &ColType) -> (f64, f64) {
    match ty {
        ColType::Int2 => (f64::from(i16::MIN), f64::from(i16::MAX)),
        ColType::Int4 => (f64::from(i32::MIN), f64::from(i32::MAX)),
        ColType::Numeric {
            precision: Some(p),
            scale,
        } => {
            let m = 10f64.powi(i32::from(*p) - i32::from(*scale)) - 10f64.powi(-i32::from(*scale));
            (-m, m)
        }
        _ => (-9e15, 9e15),
    }
}

/// A number as a value of column type `ty` (timestamps in microseconds).
#[allow(clippy::cast_possible_truncation)]
pub fn from_f64(ty: &ColType, x: f64) -> Value {
    let (tlo, thi) = type_limits(ty);
    let x = if x.is_finite() {
        x.clamp(tlo, thi)
    } else {
        0.0
    };
    match ty {
        ColType::Int2 => Value::I16(x.round() as i16),
        ColType::Int4 => Value::I32(x.round() as i32),
        ColType::Int8 => Value::I64(x.round() as i64),
        ColType::Float4 => Value::F32(x as f32),
        ColType::Float8 => Value::F64(x),
        ColType::Numeric { scale, .. } => Value::Numeric {
            unscaled: (x * 10f64.powi(i32::from(*scale))).round() as i128,
            scale: *scale,
        },
        ColType::Timestamp | ColType::Timestamptz => Value::Timestamp(x as i64),
        ColType::Date => Value::Date((x / DAY_MICROS as f64).ceil() as i32),
        ColType::Time => Value::Time((x as i64).rem_euclid(DAY_MICROS)),
        ColType::Interval => Value::Interval {
            micros: x as i64,
            days: 0,
            months: 0,
        },
        ColType::Text { .. } => Value::Text(if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            x.to_string()
        }),
        _ => Value::Null,
    }
}

/// A CHECK literal as a value of column type `ty`.
pub fn literal_value(ty: &ColType, v: &V) -> Value {
    match (ty, v) {
        (ColType::Text { .. } | ColType::Enum(_), V::Str(s)) => Value::Text(s.clone()),
        (ColType::Text { .. }, V::Num(n)) => from_f64(ty, *n),
        (ColType::Bool, V::Bool(b)) => Value::Bool(*b),
        (ColType::Uuid, V::Str(s)) => parse_uuid(s).map_or(Value::Null, Value::Uuid),
        (ColType::Timestamp | ColType::Timestamptz | ColType::Date, V::Str(s)) =>
        {
            #[allow(clippy::cast_precision_loss)]
            parse_timestamp(s).map_or(Value::Null, |m| from_f64(ty, m as f64))
        }
        (ColType::Jsonb, V::Str(s)) => Value::Jsonb(s.clone()),
        (ColType::Json, V::Str(s)) => Value::Json(s.clone()),
        (_, V::Num(n)) => from_f64(ty, *n),
        (_, V::Str(s)) => s
            .trim()
            .parse::<f64>()
            .map_or(Value::Text(s.clone()), |n| from_f64(ty, n)),
        _ => Value::Null,
    }
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hexs: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    if hexs.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for (i, byte) in b.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hexs[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(b)
}

fn disjoint_range(elem: &ColType, _oid: u32, seq: u64, now: i64) -> Value {
    let k = i64::try_from(seq).unwrap_or(0);
    let (lower, upper) = match elem {
        ColType::Int4 => (
            Value::I32(i32::try_from(k * 10).unwrap_or(0)),
            Value::I32(i32::try_from(k * 10 + 5).unwrap_or(0)),
        ),
        ColType::Int8 => (Value::I64(k * 10), Value::I64(k * 10 + 5)),
        ColType::Date => {
            let d = i32::try_from(now / DAY_MICROS - 365 + k * 2).unwrap_or(0);
            (Value::Date(d), Value::Date(d + 1))
        }
        _ => {
            let t = now - 365 * DAY_MICROS + k * 7_200_000_000;
            (Value::Timestamp(t), Value::Timestamp(t + 3_600_000_000))
        }
    };
    Value::Range {
        lower: Some(Box::new(lower)),
        upper: Some(Box::new(upper)),
    }
}

/// Text for a type pgspec cannot write in binary, used with `::text::type`.
pub fn other_text(col: &Column) -> Option<String> {
    let t = col.type_sql.to_lowercase();
    if t.starts_with("vector") {
        let dims: usize = t
            .trim_start_matches("vector")
            .trim_matches(|c| c == '(' || c == ')')
            .parse()
            .unwrap_or(3);
        return Some(format!(
            "[{}]",
            vec!["0.1"; dims.clamp(1, 16_000)].join(",")
        ));
    }
    Some(
        match t.as_str() {
            "tsvector" => "'pgspec' 'seed'",
            "tsquery" => "pgspec",
            "money" => "12.34",
            "point" => "(1,2)",
            "xml" => "<seed/>",
            "hstore" => "a=>1",
            "ltree" => "root.seed",
            "macaddr" => "08:00:2b:01:02:03",
            "bit(1)" | "bit varying" | "varbit" => "1",
            "time with time zone" => "12:00:00+00",
            "int4multirange" => "{[1,3)}",
            _ => return None,
        }
        .to_string(),
    )
}

fn hash_values<'a>(values: impl Iterator<Item = &'a Value>) -> u64 {
    let mut h = super::values::FNV_START;
    for v in values {
        v.hash_into(&mut h);
    }
    h
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

#[cfg(test)]
mod tests {
    use super::*;

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
