//! Values pgspec writes, encoded in PostgreSQL's binary wire format (for binary COPY and bound
//! parameters), and the deterministic random source behind them.

use std::error::Error;

use crate::postgres::client::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use bytes::{BufMut, BytesMut};
use rand::{Rng as _, RngExt as _, SeedableRng as _};

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
pub const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;
/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// One column value. Timestamps are microseconds since 2000-01-01 UTC, dates days since then.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    /// `unscaled / 10^scale`.
    Numeric {
        unscaled: i128,
        scale: u16,
    },
    Text(String),
    Uuid([u8; 16]),
    Timestamp(i64),
    Date(i32),
    Time(i64),
    Interval {
        micros: i64,
        days: i32,
        months: i32,
    },
    Json(String),
    Jsonb(String),
    Bytes(Vec<u8>),
    Inet {
        addr: [u8; 4],
        bits: u8,
        cidr: bool,
    },
    Array {
        elem_oid: u32,
        items: Vec<Value>,
    },
    /// A range `[lower, upper)`; `None` is an infinite bound.
    Range {
        lower: Option<Box<Value>>,
        upper: Option<Box<Value>>,
    },
    /// Bytes read back from the server in binary format, written back verbatim.
    Raw(Vec<u8>),
}

impl Value {
    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The binary wire encoding (empty for NULL).
    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            Value::Null => {}
            Value::Bool(b) => out.put_u8(u8::from(*b)),
            Value::I16(v) => out.put_i16(*v),
            Value::I32(v) => out.put_i32(*v),
            Value::I64(v) | Value::Timestamp(v) | Value::Time(v) => out.put_i64(*v),
            Value::F32(v) => out.put_f32(*v),
            Value::F64(v) => out.put_f64(*v),
            Value::Numeric { unscaled, scale } => encode_numeric(*unscaled, *scale, out),
            Value::Text(s) | Value::Json(s) => out.put_slice(s.as_bytes()),
            Value::Jsonb(s) => {
                out.put_u8(1);
                out.put_slice(s.as_bytes());
            }
            Value::Uuid(b) => out.put_slice(b),
            Value::Date(d) => out.put_i32(*d),
            Value::Interval {
                micros,
                days,
                months,
            } => {
                out.put_i64(*micros);
                out.put_i32(*days);
                out.put_i32(*months);
            }
            Value::Bytes(b) | Value::Raw(b) => out.put_slice(b),
            Value::Inet { addr, bits, cidr } => {
                // PGSQL_AF_INET is AF_INET + 0 = 2.
                out.put_u8(2);
                out.put_u8(*bits);
                out.put_u8(u8::from(*cidr));
                out.put_u8(4);
                out.put_slice(addr);
            }
            Value::Array { elem_oid, items } => {
                let has_null = items.iter().any(Value::is_null);
                out.put_i32(i32::from(!items.is_empty()));
                out.put_i32(i32::from(has_null));
                out.put_u32(*elem_oid);
                if !items.is_empty() {
                    out.put_i32(i32::try_from(items.len()).unwrap_or(i32::MAX));
                    out.put_i32(1);
                }
                for item in items {
                    put_prefixed(item, out);
                }
            }
            Value::Range { lower, upper } => {
                let mut flags = 0x02u8; // lower bound inclusive
                if lower.is_none() {
                    flags |= 0x08;
                }
                if upper.is_none() {
                    flags |= 0x10;
                }
                out.put_u8(flags);
                for v in [lower, upper].into_iter().flatten() {
                    put_prefixed(v, out);
                }
            }
        }
    }

    /// A stable hash of the binary encoding: equal values of a column hash equally, whether
    /// generated or read back from the server.
    pub fn hash_into(&self, h: &mut u64) {
        thread_local! {
            static BUF: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::with_capacity(256));
        }
        BUF.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            self.encode(&mut buf);
            *h = fnv(*h, &[u8::from(!self.is_null())]);
            *h = fnv(*h, &buf);
        });
    }

    /// The value as a number, for CHECK evaluation (timestamps in microseconds, dates in days
    /// converted to microseconds so that they compare with timestamps).
    pub fn as_f64(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        Some(match self {
            Value::I16(v) => f64::from(*v),
            Value::I32(v) => f64::from(*v),
            Value::I64(v) | Value::Timestamp(v) | Value::Time(v) => *v as f64,
            Value::F32(v) => f64::from(*v),
            Value::F64(v) => *v,
            Value::Numeric { unscaled, scale } => *unscaled as f64 / 10f64.powi(i32::from(*scale)),
            Value::Date(d) => f64::from(*d) * DAY_MICROS as f64,
            _ => return None,
        })
    }
}

fn put_prefixed(v: &Value, out: &mut BytesMut) {
    if v.is_null() {
        out.put_i32(-1);
        return;
    }
    let mut buf = BytesMut::new();
    v.encode(&mut buf);
    out.put_i32(i32::try_from(buf.len()).unwrap_or(i32::MAX));
    out.put_slice(&buf);
}

/// FNV-1a step (stable across Rust releases, unlike `DefaultHasher`).
pub fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// FNV offset basis.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn encode_numeric(unscaled: i128, scale: u16, out: &mut BytesMut) {
    let negative = unscaled < 0;
    let abs = unscaled.unsigned_abs();
    let pow = 10u128.pow(u32::from(scale));
    let mut int_part = abs / pow;
    let frac = abs % pow;
    let mut int_groups = Vec::new();
    while int_part > 0 {
        int_groups.push(i16::try_from(int_part % 10_000).unwrap_or(0));
        int_part /= 10_000;
    }
    int_groups.reverse();
    let mut weight = i16::try_from(int_groups.len()).unwrap_or(0) - 1;
    let mut digits = int_groups;
    if scale > 0 {
        let mut frac_str = format!("{frac:0width$}", width = usize::from(scale));
        while frac_str.len() % 4 != 0 {
            frac_str.push('0');
        }
        for chunk in frac_str.as_bytes().chunks(4) {
            let s = std::str::from_utf8(chunk).unwrap_or("0");
            digits.push(s.parse().unwrap_or(0));
        }
    }
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    out.put_i16(i16::try_from(digits.len()).unwrap_or(0));
    out.put_i16(weight);
    out.put_u16(if negative && !digits.is_empty() {
        0x4000
    } else {
        0
    });
    out.put_u16(scale);
    for d in digits {
        out.put_i16(d);
    }
}

impl ToSql for Value {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if self.is_null() {
            return Ok(IsNull::Yes);
        }
        self.encode(out);
        Ok(IsNull::No)
    }

    // pgspec chose the encoding from the catalog's type; the client's type check would only
    // know built-in types.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Value::Raw(raw.to_vec()))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The seeded generator: PCG (rand_pcg keeps its sequence stable, so a `--seed` gives the same
/// rows on every platform and build) behind the few draws the generator makes, with rand's
/// unbiased ranges.
#[derive(Clone, Debug)]
pub struct Rng(rand_pcg::Pcg64Mcg);

impl Rng {
    /// A generator for `seed` mixed with `salt` (e.g. a table name), so that each table's
    /// values do not depend on the order tables are seeded in.
    pub fn new(seed: u64, salt: &str) -> Self {
        Rng(rand_pcg::Pcg64Mcg::seed_from_u64(fnv(
            FNV_START ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            salt.as_bytes(),
        )))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.random_range(0..n)
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        self.0.random_range(lo..=hi)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A random element (None for an empty slice).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = items.len() as u64;
        items.get(usize::try_from(self.below(n)).unwrap_or(0))
    }

    /// 16 random bytes shaped as a version-4 UUID.
    pub fn uuid(&mut self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }
}

/// `YYYY-MM-DD` (and optional ` HH:MM:SS`) → microseconds since 2000-01-01 UTC.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim().trim_matches('\'');
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    let mut micros = days_from_civil(y, m, d)? * DAY_MICROS;
    if let Some(time) = s.get(11..19) {
        let mut t = time.split(':');
        let h: i64 = t.next()?.parse().ok()?;
        let mi: i64 = t.next()?.parse().ok()?;
        let se: i64 = t.next()?.parse().ok()?;
        micros += ((h * 60 + mi) * 60 + se) * 1_000_000;
    }
    Some(micros)
}

/// PostgreSQL's epoch: its dates and timestamps count from this day.
pub const PG_EPOCH: jiff::civil::Date = jiff::civil::date(2000, 1, 1);

/// Days since 2000-01-01 of the date `y-m-d`; None when the calendar has no such day.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    Some(days_since_epoch(date))
}

/// Days since 2000-01-01 of `date`.
pub fn days_since_epoch(date: jiff::civil::Date) -> i64 {
    date.since(PG_EPOCH)
        .map_or(0, |span| i64::from(span.get_days()))
}

/// Now, in microseconds since 2000-01-01, truncated to the day (so that one day's runs with the
/// same `--seed` produce the same rows).
pub fn today_micros() -> i64 {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0));
    let pg = unix - PG_EPOCH_UNIX_MICROS;
    pg - pg.rem_euclid(DAY_MICROS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &Value) -> Vec<u8> {
        let mut b = BytesMut::new();
        v.encode(&mut b);
        b.to_vec()
    }

    #[test]
    fn numeric_encoding_matches_postgres() {
        // 1234.5 with scale 2: ndigits 2, weight 0, sign +, dscale 2, digits [1234, 5000]
        assert_eq!(
            bytes(&Value::Numeric {
                unscaled: 123_450,
                scale: 2
            }),
            vec![0, 2, 0, 0, 0, 0, 0, 2, 0x04, 0xd2, 0x13, 0x88]
        );
        assert_eq!(
            bytes(&Value::Numeric {
                unscaled: 0,
                scale: 0
            }),
            vec![0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn dates_are_days_since_2000() {
        assert_eq!(days_from_civil(2000, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(60));
        assert_eq!(days_from_civil(1999, 12, 31), Some(-1));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(parse_timestamp("2000-01-02"), Some(DAY_MICROS));
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7, "users");
        let mut b = Rng::new(7, "users");
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(
            Rng::new(7, "users").next_u64(),
            Rng::new(8, "users").next_u64()
        );
        for _ in 0..1000 {
            let v = a.range(-3, 3);
            assert!((-3..=3).contains(&v));
        }
    }
}
