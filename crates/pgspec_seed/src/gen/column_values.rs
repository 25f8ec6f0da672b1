//! A value for one column from its type, its name (realistic ranges and null rates) and its
//! CHECK hints; element values for arrays and ranges; numbers and CHECK literals as values of
//! a column type; text for the types pgspec writes with a cast.

use std::sync::Arc;

use crate::expr::V;
use crate::plan::{ColType, Column};
use crate::values::{parse_timestamp, Value, DAY_MICROS};

use super::{is_int, writable, Generator};

impl Generator<'_> {
    /// A fresh value for column `ci` from its type, name and hints.
    pub(super) fn value(&mut self, ci: usize, attempt: u32) -> Value {
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
                    let mut v = self.int_base[ci] + seq as i64 - 1;
                    // A CHECK that bounds the column (`line BETWEEN 1 AND 999`): the counter
                    // goes round inside the bounds. Alone, the key's unique set then says when
                    // the values run out; beside a foreign key, the pair stays unique.
                    if h.min.is_some() || h.max.is_some() {
                        #[allow(clippy::cast_possible_truncation)]
                        let (lo, hi) = {
                            let (lo, hi) = self.numeric_bounds(ci, ty, "");
                            (lo.ceil() as i64, hi.floor() as i64)
                        };
                        if hi >= lo && (v < lo || v > hi) {
                            v = lo + (v - lo).rem_euclid(hi - lo + 1);
                        }
                    }
                    #[allow(clippy::cast_precision_loss)]
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
            ColType::Date if unique => Value::Date(self.unique_day(ci, &name, seq)),
            ColType::Date => {
                let (first, last) = self.day_bounds(ci, &name);
                Value::Date(i32::try_from(self.rng.range(first, last)).unwrap_or(0))
            }
            ColType::Time => Value::Time(self.rng.range(6 * 3600, 22 * 3600) * 1_000_000),
            ColType::Interval => Value::Interval {
                micros: self.rng.range(1, 24 * 60) * 60_000_000,
                days: 0,
                months: 0,
            },
            ColType::Json | ColType::Jsonb => {
                let text = self.json(&name, seq, attempt, h.json_kind.as_deref(), &h.json_keys);
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
                    // Times of day (a range over `time`, opening hours): an hour or more
                    // later, before midnight.
                    Value::Time(t) => Value::Time(
                        (t + (1 + self.rng.range(0, 4)) * 3_600_000_000)
                            .min(24 * 3_600_000_000 - 1),
                    ),
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
            ColType::Composite(fields) => {
                let values: Vec<Value> = fields.iter().map(|f| self.scalar(f)).collect();
                Value::Text(row_literal(&values))
            }
            ColType::Other(_) => spatial_text(col, || self.rng.unit())
                .or_else(|| other_text(col))
                .map_or(Value::Null, Value::Text),
        }
    }

    /// A value of an element type (arrays, ranges, a composite's attributes), without column
    /// hints, within the type's length and precision (`char(2)`, `numeric(4,2)`).
    fn scalar(&mut self, ty: &ColType) -> Value {
        match ty {
            ColType::Text { max_len, .. } => {
                let word = self.names.words(&mut self.rng, 1);
                Value::Text(match max_len {
                    Some(n) => word.chars().take(*n).collect(),
                    None => word,
                })
            }
            ColType::Int2 => Value::I16(i16::try_from(self.rng.below(100)).unwrap_or(0)),
            ColType::Int4 => Value::I32(i32::try_from(self.rng.below(1000)).unwrap_or(0)),
            ColType::Int8 => Value::I64(i64::try_from(self.rng.below(1000)).unwrap_or(0)),
            ColType::Float4 => Value::F32(1.0),
            #[allow(clippy::cast_precision_loss)]
            ColType::Float8 => Value::F64(self.rng.below(1000) as f64 / 10.0),
            ColType::Numeric { precision, scale } => {
                // At most `precision` digits in all: below 10^precision unscaled.
                let limit = precision
                    .map_or(100_000, |p| 10u64.saturating_pow(u32::from(p)))
                    .min(100_000);
                Value::Numeric {
                    unscaled: i128::from(self.rng.below(limit)),
                    scale: *scale,
                }
            }
            ColType::Uuid => Value::Uuid(self.rng.uuid()),
            ColType::Timestamp | ColType::Timestamptz => {
                Value::Timestamp(self.now - self.rng.range(0, 365 * DAY_MICROS))
            }
            ColType::Date => Value::Date(
                i32::try_from((self.now / DAY_MICROS) - self.rng.range(0, 365)).unwrap_or(0),
            ),
            ColType::Time => Value::Time(self.rng.range(6 * 3600, 19 * 3600) * 1_000_000),
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

    /// A JSON document: an object (or, for list-like names, an array) unless the CHECKs
    /// ask for a `kind`; an object with the `keys` they require, each of the kind asked.
    fn json(
        &mut self,
        name: &str,
        seq: u64,
        attempt: u32,
        kind: Option<&str>,
        keys: &[(String, Option<String>)],
    ) -> String {
        if let Some(k) = kind.filter(|k| *k != "object" && *k != "array") {
            return self.json_scalar(k, seq);
        }
        if kind == Some("object") || !keys.is_empty() {
            let mut members = Vec::new();
            for (key, kind) in keys {
                let value = self.json_scalar(kind.as_deref().unwrap_or("string"), seq);
                members.push(format!("{}: {value}", json_string(key)));
            }
            if !keys.iter().any(|(k, _)| k == "source") {
                members.push("\"source\": \"pgspec\"".into());
            }
            return format!("{{{}}}", members.join(", "));
        }
        if kind == Some("array")
            || attempt % 2 == 1
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
}

impl Generator<'_> {
    /// A JSON value of `kind` (what `jsonb_typeof` says).
    fn json_scalar(&mut self, kind: &str, seq: u64) -> String {
        match kind {
            "number" => format!("{}", seq % 1000 + self.rng.below(100)),
            "boolean" => if self.rng.chance(0.5) {
                "true"
            } else {
                "false"
            }
            .into(),
            "null" => "null".into(),
            "array" => format!("[{}]", json_string(&self.names.words(&mut self.rng, 1))),
            "object" => format!("{{\"n\": {seq}}}"),
            _ => json_string(&self.names.words(&mut self.rng, 1)),
        }
    }
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

pub(super) fn null_rate(name: &str) -> f64 {
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
/// A PostGIS value as extended WKT (`SRID=4326;POINT(126.98 37.57)`), of the shape and SRID
/// the column's type modifier names (`geography(Point,4326)`, `geometry(MultiPolygon)`):
/// geometry and geography read it as their text input. `unit` draws in `[0, 1)`.
pub fn spatial_text(col: &Column, mut unit: impl FnMut() -> f64) -> Option<String> {
    let t = col.type_sql.to_lowercase().replace(' ', "");
    let (base, modifiers) = match t.split_once('(') {
        Some((b, m)) => (b.to_string(), m.trim_end_matches(')').to_string()),
        None => (t.clone(), String::new()),
    };
    let geography = match base.rsplit('.').next() {
        Some("geography") => true,
        Some("geometry") => false,
        _ => return None,
    };
    let mut parts = modifiers.split(',');
    let shape = parts
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("point")
        .to_string();
    let srid: i64 = parts
        .next()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(if geography { 4326 } else { 0 });
    // Degrees where the reference system is longitude/latitude, else a few kilometres.
    let degrees = geography || srid == 4326 || srid == 4258;
    // `PointZ`, `PolygonM`, `PointZM` (no shape name ends in z or m itself).
    let (shape, dims_z, dims_m) = if let Some(s) = shape.strip_suffix("zm") {
        (s.to_string(), true, true)
    } else if let Some(s) = shape.strip_suffix('z') {
        (s.to_string(), true, false)
    } else if let Some(s) = shape.strip_suffix('m') {
        (s.to_string(), false, true)
    } else {
        (shape, false, false)
    };
    let (cx, cy) = if degrees {
        (unit() * 300.0 - 150.0, unit() * 140.0 - 70.0)
    } else {
        (unit() * 10_000.0, unit() * 10_000.0)
    };
    let step = if degrees { 0.01 } else { 10.0 };
    let coord = |x: f64, y: f64| {
        let mut c = format!("{x:.6} {y:.6}");
        if dims_z {
            c.push_str(" 0");
        }
        if dims_m {
            c.push_str(" 0");
        }
        c
    };
    let ring = format!(
        "({}, {}, {}, {})",
        coord(cx, cy),
        coord(cx + step, cy),
        coord(cx + step, cy + step),
        coord(cx, cy)
    );
    let line = format!("{}, {}", coord(cx, cy), coord(cx + step, cy + step));
    let body = match shape.as_str() {
        "multipoint" => format!("MULTIPOINT(({}))", coord(cx, cy)),
        "linestring" => format!("LINESTRING({line})"),
        "multilinestring" => format!("MULTILINESTRING(({line}))"),
        "polygon" => format!("POLYGON({ring})"),
        "multipolygon" => format!("MULTIPOLYGON(({ring}))"),
        _ => format!("POINT({})", coord(cx, cy)),
    };
    let suffix = match (dims_z, dims_m) {
        (true, true) => " ZM",
        (true, false) => " Z",
        (false, true) => " M",
        _ => "",
    };
    let body = match body.split_once('(') {
        Some((kind, rest)) if !suffix.is_empty() => format!("{kind}{suffix} ({rest}"),
        _ => body,
    };
    Some(if srid > 0 {
        format!("SRID={srid};{body}")
    } else {
        body
    })
}

pub fn other_text(col: &Column) -> Option<String> {
    // The type as the catalog prints it, schema-qualified when the extension that defines it
    // lives outside the session's search_path (`public.ltree`, `extensions.hstore`).
    let t = unqualified_type(&col.type_sql.to_lowercase());
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

/// `schema.type(mods)` without its schema: `public.vector(3)` → `vector(3)`, a quoted schema
/// included; a type without a qualifier is returned as is.
fn unqualified_type(t: &str) -> String {
    let (base, mods) = t.find('(').map_or((t, ""), |at| t.split_at(at));
    let base = base.rsplit_once('.').map_or(base, |(_, name)| name);
    format!("{base}{mods}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_types_get_values_when_the_catalog_qualifies_them() {
        for (ty, want) in [
            ("ltree", "root.seed"),
            ("public.ltree", "root.seed"),
            ("\"ext\".hstore", "a=>1"),
            ("extensions.vector(2)", "[0.1,0.1]"),
            ("numeric(4,2)", ""),
        ] {
            assert_eq!(other_text(&column(ty)).unwrap_or_default(), want, "{ty}");
        }
    }

    fn column(type_sql: &str) -> Column {
        Column {
            attnum: 1,
            name: "location".into(),
            ty: ColType::Other(type_sql.into()),
            type_sql: type_sql.into(),
            not_null: true,
            has_default: false,
            identity: false,
            generated: false,
            sequence: None,
            default_expr: None,
        }
    }

    #[test]
    fn spatial_values_take_the_shape_and_srid_of_the_type() {
        let draw = || 0.5;
        let text = |t: &str| spatial_text(&column(t), draw).unwrap_or_default();
        assert_eq!(
            text("geography(Point,4326)"),
            "SRID=4326;POINT(0.000000 0.000000)"
        );
        assert_eq!(text("geography"), "SRID=4326;POINT(0.000000 0.000000)");
        assert_eq!(text("geometry"), "POINT(5000.000000 5000.000000)");
        assert!(text("public.geometry(MultiPolygon,3857)")
            .starts_with("SRID=3857;MULTIPOLYGON(((5000.000000 5000.000000, 5010.000000"));
        assert_eq!(
            text("geometry(PointZ,4326)"),
            "SRID=4326;POINT Z (0.000000 0.000000 0)"
        );
        assert!(text("geometry(LineString,4326)").starts_with("SRID=4326;LINESTRING("));
        assert!(spatial_text(&column("tsvector"), draw).is_none());
    }
}

/// A composite value's text (`("1.5","x ""y""")`): each field quoted, a field pgspec cannot
/// write as text left empty (NULL).
pub fn row_literal(values: &[Value]) -> String {
    let fields: Vec<String> = values
        .iter()
        .map(|v| {
            let text = match v {
                Value::Bool(b) => Some(if *b { "t".to_owned() } else { "f".to_owned() }),
                Value::I16(n) => Some(n.to_string()),
                Value::I32(n) => Some(n.to_string()),
                Value::I64(n) => Some(n.to_string()),
                Value::F32(n) => Some(n.to_string()),
                Value::F64(n) => Some(n.to_string()),
                Value::Numeric { unscaled, scale } => Some(numeric_text(*unscaled, *scale)),
                Value::Text(t) | Value::Json(t) | Value::Jsonb(t) => Some(t.clone()),
                _ => None,
            };
            text.map_or_else(String::new, |t| {
                format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\"\""))
            })
        })
        .collect();
    format!("({})", fields.join(","))
}

/// `unscaled / 10^scale` as decimal text.
fn numeric_text(unscaled: i128, scale: u16) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

#[cfg(test)]
mod row_tests {
    use super::*;

    #[test]
    fn a_composite_value_is_a_row_literal_with_every_field_quoted() {
        let row = row_literal(&[
            Value::F64(1.5),
            Value::Text("a \"b\", c\\d".into()),
            Value::Null,
            Value::Numeric {
                unscaled: -5,
                scale: 2,
            },
            Value::Bool(true),
        ]);
        assert_eq!(row, r#"("1.5","a ""b"", c\\d",,"-0.05","t")"#);
    }
}
