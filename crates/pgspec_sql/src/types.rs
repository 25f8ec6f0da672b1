//! Type names as documents write them, put into PostgreSQL's own spelling. A question about
//! SQL text, so it lives with the SQL stage; the schema readers (ERDs, column tables) and the
//! SQL table reader both use it.

/// Put a document's type word into PostgreSQL's spelling, the one `format_type` prints
/// (`string` → `text`, `varchar(64)` → `character varying(64)`, `timestamp` →
/// `timestamp without time zone`, `timestamptz` → `timestamp with time zone`, `int` →
/// `integer`, `decimal(10,2)` → `numeric(10,2)`, `float` → `double precision`, `text[]` →
/// `text[]`). Case and spacing are free. `None` for what is not a type PostgreSQL or a common
/// extension (pgvector, citext, PostGIS, …) knows, including a bare `enum`, which names no type
/// until a `CREATE TYPE` does.
///
/// `serial`, `bigserial` and `smallserial` stay as written: they are not types but shorthands
/// for an integer column with a sequence default, and mapping them to `integer` would lose that.
pub fn normalize_type(raw: &str) -> Option<String> {
    let lower = raw.trim().to_lowercase();
    // Array dimensions: `text[]`, `int[][]`, `text[3]`, `text ARRAY`.
    let mut rest = lower.trim_end();
    let mut dims = 0usize;
    loop {
        if let Some(r) = rest.strip_suffix(']') {
            let open = r.rfind('[')?;
            if !r[open + 1..].trim().chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            rest = r[..open].trim_end();
            dims += 1;
        } else if let Some(r) = rest.strip_suffix(" array") {
            rest = r.trim_end();
            dims += 1;
        } else {
            break;
        }
    }
    let base = normalize_scalar(rest)?;
    Some(format!("{base}{}", "[]".repeat(dims)))
}

/// The non-array part of [`normalize_type`].
fn normalize_scalar(s: &str) -> Option<String> {
    // Split `name words (modifiers) more words` into the words and the modifier list.
    let (words, modifiers) = match s.find('(') {
        Some(open) => {
            let close = open + s[open..].find(')')?;
            let inner = &s[open + 1..close];
            let mods: Vec<&str> = inner.split(',').map(str::trim).collect();
            let words = format!("{} {}", &s[..open], &s[close + 1..]);
            (words, Some(mods))
        }
        None => (s.to_string(), None),
    };
    let words: Vec<&str> = words.split_whitespace().collect();
    let key = words.join(" ");
    // PostGIS prints its modifiers as given (`geometry(Point,4326)`); keep them verbatim.
    if key == "geometry" || key == "geography" {
        return Some(match &modifiers {
            None => key,
            Some(m) => format!("{key}({})", m.join(",")),
        });
    }
    // SQL Server's `varchar(max)`: a string without a limit.
    if matches!(key.as_str(), "varchar" | "nvarchar")
        && modifiers
            .as_deref()
            .is_some_and(|m| matches!(m, [only] if only.eq_ignore_ascii_case("max")))
    {
        return Some("text".into());
    }
    let numbers: Option<Vec<u32>> = match &modifiers {
        Some(m) => m.iter().map(|x| x.parse::<u32>().ok()).collect(),
        None => Some(Vec::new()),
    };
    let numbers = numbers?;
    let plain = |name: &str| modifiers.is_none().then(|| name.to_string());
    let one = |name: &str| match numbers.as_slice() {
        [] => Some(name.to_string()),
        [n] => Some(format!("{name}({n})")),
        _ => None,
    };
    match key.as_str() {
        "text" | "string" | "str" | "tinytext" | "mediumtext" | "longtext" | "clob" | "ntext" => {
            plain("text")
        }
        "varchar" | "character varying" | "char varying" | "nvarchar" | "varchar2"
        | "nvarchar2" => one("character varying"),
        "char" | "character" | "nchar" | "bpchar" => match numbers.as_slice() {
            [] => Some("character(1)".into()),
            [n] => Some(format!("character({n})")),
            _ => None,
        },
        "int" | "integer" | "int4" | "mediumint" => plain("integer"),
        "smallint" | "int2" | "tinyint" => plain("smallint"),
        "bigint" | "int8" | "long" => plain("bigint"),
        "serial" | "serial4" => plain("serial"),
        "bigserial" | "serial8" => plain("bigserial"),
        "smallserial" | "serial2" => plain("smallserial"),
        "decimal" | "numeric" | "number" | "dec" => match numbers.as_slice() {
            [] => Some("numeric".into()),
            [p] => Some(format!("numeric({p},0)")),
            [p, s] => Some(format!("numeric({p},{s})")),
            _ => None,
        },
        "float" | "double" | "double precision" | "float8" => match numbers.as_slice() {
            [] => Some("double precision".into()),
            // PostgreSQL's rule for float(p): up to 24 binary digits fit a real.
            [p] if key == "float" && (1..=24).contains(p) => Some("real".into()),
            [p] if key == "float" && (25..=53).contains(p) => Some("double precision".into()),
            _ => None,
        },
        "real" | "float4" => plain("real"),
        "bool" | "boolean" => plain("boolean"),
        "timestamp" | "datetime" | "timestamp without time zone" => {
            with_precision("timestamp", "without time zone", &numbers)
        }
        // SQL Server's take up to 7 fractional digits; PostgreSQL keeps 6.
        "datetime2" => with_precision("timestamp", "without time zone", &microseconds(&numbers)),
        "datetimeoffset" => with_precision("timestamp", "with time zone", &microseconds(&numbers)),
        // SQL Server's: to the minute, so no fractional seconds.
        "smalldatetime" => plain("timestamp(0) without time zone"),
        "timestamptz" | "timestamp with time zone" | "datetimetz" => {
            with_precision("timestamp", "with time zone", &numbers)
        }
        "time" | "time without time zone" => with_precision("time", "without time zone", &numbers),
        "timetz" | "time with time zone" => with_precision("time", "with time zone", &numbers),
        "date" => plain("date"),
        "interval" => one("interval"),
        "uuid" | "guid" | "uniqueidentifier" => plain("uuid"),
        "json" => plain("json"),
        "jsonb" => plain("jsonb"),
        "bytea" | "blob" | "binary" | "bytes" | "varbinary" | "longblob" | "image" => {
            plain("bytea")
        }
        "money" => plain("money"),
        "bit" => one("bit"),
        "varbit" | "bit varying" => one("bit varying"),
        "vector" | "halfvec" | "sparsevec" => one(&key),
        "inet" | "cidr" | "macaddr" | "macaddr8" | "tsvector" | "tsquery" | "xml" | "point"
        | "line" | "lseg" | "box" | "path" | "polygon" | "circle" | "oid" | "citext" | "ltree"
        | "hstore" | "int4range" | "int8range" | "numrange" | "tsrange" | "tstzrange"
        | "daterange" | "int4multirange" | "int8multirange" | "nummultirange" | "tsmultirange"
        | "tstzmultirange" | "datemultirange" | "pg_lsn" | "txid_snapshot" | "pg_snapshot"
        | "name" => plain(&key),
        // Mermaid attribute types are one word: `timestamp_with_time_zone`, `double_precision`.
        _ if key.contains('_') => normalize_scalar(&s.replace('_', " ")),
        _ => None,
    }
}

/// Whether `raw`, which [`normalize_type`] reads, is spelled as another system spells it and
/// PostgreSQL would refuse (`datetime`, `nvarchar(40)`, `tinyint`, `string`, `long`,
/// `timestamp_with_time_zone`): the document is then wrong for PostgreSQL even though pgspec
/// knows what it means.
pub fn is_foreign_spelling(raw: &str) -> bool {
    let lower = raw.trim().to_lowercase();
    let base = lower
        .split(['(', '['])
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches(" array");
    let key = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let foreign = matches!(
        key.as_str(),
        "string"
            | "str"
            | "tinytext"
            | "mediumtext"
            | "longtext"
            | "clob"
            | "nvarchar"
            | "varchar2"
            | "nvarchar2"
            | "mediumint"
            | "tinyint"
            | "long"
            | "number"
            | "double"
            | "datetime"
            | "datetime2"
            | "smalldatetime"
            | "datetimeoffset"
            | "datetimetz"
            | "guid"
            | "uniqueidentifier"
            | "ntext"
            | "image"
            | "blob"
            | "binary"
            | "bytes"
            | "varbinary"
            | "longblob"
    );
    // `varchar(max)`: PostgreSQL's varchar takes a number.
    let unbounded = lower.replace(' ', "").contains("(max)");
    let underscored = key.contains('_')
        && normalize_type(&lower).is_some()
        && normalize_type(&lower.replace('_', " ")).is_some()
        && !matches!(key.as_str(), "pg_lsn" | "txid_snapshot" | "pg_snapshot");
    normalize_type(raw).is_some() && (foreign || underscored || unbounded)
}

/// A precision of fractional seconds as PostgreSQL can keep it (at most microseconds).
fn microseconds(numbers: &[u32]) -> Vec<u32> {
    numbers.iter().map(|&p| p.min(6)).collect()
}

/// `timestamp(3) with time zone`: PostgreSQL puts the precision after the first word.
fn with_precision(word: &str, zone: &str, numbers: &[u32]) -> Option<String> {
    match numbers {
        [] => Some(format!("{word} {zone}")),
        [p] if *p <= 6 => Some(format!("{word}({p}) {zone}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_take_postgres_spelling() {
        let cases = [
            ("string", Some("text")),
            ("TEXT", Some("text")),
            ("uuid", Some("uuid")),
            ("enum", None),
            ("timestamp", Some("timestamp without time zone")),
            ("timestamptz", Some("timestamp with time zone")),
            ("TIMESTAMP WITH TIME ZONE", Some("timestamp with time zone")),
            (
                "timestamp(3) with time zone",
                Some("timestamp(3) with time zone"),
            ),
            ("timestamptz(6)", Some("timestamp(6) with time zone")),
            ("datetime", Some("timestamp without time zone")),
            // SQL Server's spellings.
            ("uniqueidentifier", Some("uuid")),
            ("datetime2(3)", Some("timestamp(3) without time zone")),
            ("datetime2(7)", Some("timestamp(6) without time zone")),
            ("datetimeoffset", Some("timestamp with time zone")),
            ("smalldatetime", Some("timestamp(0) without time zone")),
            ("nvarchar(max)", Some("text")),
            ("VARCHAR(MAX)", Some("text")),
            ("ntext", Some("text")),
            ("image", Some("bytea")),
            ("text[]", Some("text[]")),
            ("string[]", Some("text[]")),
            ("varchar(20)[]", Some("character varying(20)[]")),
            ("int[][]", Some("integer[][]")),
            ("jsonb", Some("jsonb")),
            ("tstzrange", Some("tstzrange")),
            ("vector", Some("vector")),
            ("vector(1536)", Some("vector(1536)")),
            ("int", Some("integer")),
            ("INTEGER", Some("integer")),
            ("bigint", Some("bigint")),
            ("decimal", Some("numeric")),
            ("decimal(10,2)", Some("numeric(10,2)")),
            ("numeric(8, 2)", Some("numeric(8,2)")),
            ("NUMERIC (12)", Some("numeric(12,0)")),
            ("varchar(64)", Some("character varying(64)")),
            ("varchar", Some("character varying")),
            ("character varying(255)", Some("character varying(255)")),
            ("char(2)", Some("character(2)")),
            ("boolean", Some("boolean")),
            ("bool", Some("boolean")),
            ("date", Some("date")),
            ("float", Some("double precision")),
            ("float(10)", Some("real")),
            ("double precision", Some("double precision")),
            ("serial", Some("serial")),
            ("BIGSERIAL", Some("bigserial")),
            ("  Double   Precision ", Some("double precision")),
            ("geometry(Point, 4326)", Some("geometry(point,4326)")),
            ("varchar(n)", None),
            ("timestamp_with_time_zone", Some("timestamp with time zone")),
            ("double_precision", Some("double precision")),
            ("character_varying(40)", Some("character varying(40)")),
            ("name", Some("name")),
            ("uuid pk", None),
            ("order_status", None),
            ("", None),
            ("text[", None),
            ("(", None),
            ("]", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_type(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn other_systems_spellings_are_known_as_such() {
        for raw in [
            "datetime",
            "NVARCHAR(40)",
            "tinyint",
            "string",
            "timestamp_with_time_zone",
            "uniqueidentifier",
            "varchar(max)",
            "datetime2(7)",
        ] {
            assert!(is_foreign_spelling(raw), "{raw}");
        }
        for raw in [
            "timestamptz",
            "varchar(40)",
            "int",
            "text[]",
            "pg_lsn",
            "name",
            "order_status",
        ] {
            assert!(!is_foreign_spelling(raw), "{raw}");
        }
    }

    #[test]
    fn normalize_type_never_panics_on_odd_input() {
        for raw in [
            "[]",
            "[",
            ")(",
            "numeric(",
            "numeric)",
            "a[x]",
            "한글[]",
            "varchar(٣)",
            " array",
            "text array array",
            "timestamp(99)",
            "float(0)",
        ] {
            let _ = normalize_type(raw);
        }
        assert_eq!(normalize_type("text array").as_deref(), Some("text[]"));
    }
}
