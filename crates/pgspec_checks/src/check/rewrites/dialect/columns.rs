//! One column of another dialect's table rewritten for PostgreSQL: its type, identity, defaults, checks, comments and the options PostgreSQL has no place for.

use super::*;

/// PostgreSQL's type for MySQL's `word(args)` (`unsigned`: widened so every value fits), and
/// what the change is called; `None` when the type is PostgreSQL's already.
pub(super) fn pg_type(
    word: &str,
    args: Option<&str>,
    unsigned: bool,
    next: &str,
    sql_server: bool,
) -> Option<(String, &'static str)> {
    let args = args.map(str::trim);
    let named = |t: &str| Some((t.to_string(), "other systems' type names"));
    match word {
        // SQL Server's 0/1 flag; PostgreSQL's `bit` is a bit string.
        "bit" if sql_server && args.is_none() => Some(("boolean".into(), "BIT as boolean")),
        "tinyint" if args == Some("1") && !unsigned => {
            Some(("boolean".into(), "TINYINT(1) as boolean"))
        }
        "tinyint" => named("smallint"),
        "mediumint" => named("integer"),
        "smallint" | "int" | "integer" | "bigint" if unsigned => Some((
            match word {
                "smallint" => "integer",
                "bigint" => "numeric(20)",
                _ => "bigint",
            }
            .into(),
            "UNSIGNED as a wider type",
        )),
        "smallint" | "int" | "integer" | "bigint" if args.is_some() => {
            Some((word.to_string(), "integer display widths"))
        }
        "datetime" => named(&match args {
            Some(p) => format!("timestamp({p})"),
            None => "timestamp".into(),
        }),
        "double" if next != "precision" => named("double precision"),
        "tinytext" | "mediumtext" | "longtext" => named("text"),
        "tinyblob" | "blob" | "mediumblob" | "longblob" | "binary" | "varbinary" => named("bytea"),
        "year" => named("smallint"),
        _ => None,
    }
}

/// Oracle's `[schema.]sequence.NEXTVAL` at `at`: its end and the sequence's name as
/// PostgreSQL's `nextval` takes it.
pub(super) fn oracle_nextval(text: &str, lower: &str, at: usize) -> Option<(usize, String)> {
    let len = lower[at..]
        .bytes()
        .position(|b| !(is_ident_byte(b) || b == b'.'))
        .unwrap_or(lower.len() - at);
    let written = &lower[at..at + len];
    let sequence = written.strip_suffix(".nextval")?;
    if sequence.is_empty() || sequence.ends_with('.') {
        return None;
    }
    Some((at + len, text[at..at + sequence.len()].to_lowercase()))
}

/// `VARCHAR2(200 CHAR)` / `VARCHAR2(200 BYTE)` as `VARCHAR2(200)`: Oracle's length
/// semantics; PostgreSQL's lengths are in characters.
pub(super) fn oracle_length_semantics(written: &str) -> String {
    let Some(open) = written.find('(') else {
        return written.to_owned();
    };
    let Some(close) = written.rfind(')') else {
        return written.to_owned();
    };
    let args = written[open + 1..close].trim();
    let lower = args.to_ascii_lowercase();
    for unit in [" char", " byte"] {
        if let Some(n) = lower.strip_suffix(unit) {
            return format!(
                "{}({}){}",
                &written[..open],
                n.trim(),
                &written[close + 1..]
            );
        }
    }
    written.to_owned()
}

/// The integer type an identity column of PostgreSQL type `ty` takes when `ty` is a `numeric`
/// without fraction digits (PostgreSQL refuses an identity of any other type); `None` when `ty`
/// is not such a numeric.
pub(super) fn identity_integer(ty: &str) -> Option<&'static str> {
    let args = ty.trim().strip_prefix("numeric")?.trim();
    if args.is_empty() {
        return Some("bigint");
    }
    let inner = args.strip_prefix('(')?.strip_suffix(')')?;
    let mut parts = inner.split(',').map(str::trim);
    let precision: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some_and(|scale| scale != "0") {
        return None;
    }
    Some(match precision {
        0..=4 => "smallint",
        5..=9 => "integer",
        _ => "bigint",
    })
}

/// What a column's rewrite needs to know about its table.
pub(super) struct ColumnContext<'a> {
    /// The table's name, as the rewrite spells it.
    pub(super) table: &'a str,
    /// The statement is SQL Server's (`[names]`, `IDENTITY(1,1)`).
    pub(super) sql_server: bool,
    /// The column is in a PRIMARY KEY, UNIQUE or FOREIGN KEY element of the table.
    pub(super) key: bool,
}

/// A column definition after its name: the type, `UNSIGNED`, `AUTO_INCREMENT`, character set
/// and collation clauses, `ON UPDATE CURRENT_TIMESTAMP`, `COMMENT '…'`.
pub(super) fn column(
    text: &str,
    lower: &str,
    name: &str,
    rest: Range<usize>,
    cx: &ColumnContext<'_>,
    rw: &mut Rewrite,
) {
    let &ColumnContext {
        table,
        sql_server,
        key,
    } = cx;
    let column = unquote_backticks(name);
    let t = skip_ws(lower, rest.start).min(rest.end);
    let type_len = lower[t..rest.end]
        .bytes()
        .position(|b| !is_ident_byte(b))
        .unwrap_or(rest.end - t);
    let word = &lower[t..t + type_len];
    let mut type_end = t + type_len;
    let mut args: Option<&str> = None;
    let after_word = skip_ws(lower, type_end).min(rest.end);
    if lower[after_word..rest.end].starts_with('(') {
        if let Some(close) = matching_paren(lower, after_word) {
            args = Some(&text[after_word + 1..close]);
            type_end = close + 1;
        }
    }
    let mut unsigned_range: Option<Range<usize>> = None;
    let mut p = skip_ws(lower, type_end);
    for flag in ["unsigned", "zerofill", "unsigned"] {
        if p < rest.end && word_at(lower, p, flag) {
            let end = p + flag.len();
            unsigned_range = Some(unsigned_range.map_or(p..end, |r| r.start..end));
            p = skip_ws(lower, end);
        }
    }
    let unsigned = unsigned_range.is_some();
    let next_len = lower[after_word..rest.end]
        .bytes()
        .position(|b| !is_ident_byte(b))
        .unwrap_or(rest.end - after_word);
    let next = &lower[after_word..after_word + next_len];
    // Attributes after the type.
    let attrs = &lower[type_end..rest.end];
    let identity = ["auto_increment", "autoincrement", "identity"]
        .iter()
        .any(|w| !word_positions(attrs, w).is_empty());
    // A key: MySQL's foreign keys join columns of one type, and an auto-increment id
    // (an identity below) keeps an integer type, so every unsigned key column does.
    let key = key
        || ["primary", "unique", "references"]
            .iter()
            .any(|w| !word_positions(attrs, w).is_empty());
    if word == "enum" {
        if let Some(values) = args {
            rw.edit(
                t..type_end,
                format!("text CHECK ({column} IN ({values}))"),
                "ENUM as text with a CHECK",
            );
        }
    } else if word == "set" && args.is_some() {
        rw.edit(t..type_end, "text[]", "SET as text[]");
    } else if let Some((ty, what)) = pg_type(word, args, unsigned, next, sql_server).or_else(|| {
        // Oracle's and SQL Server's names, as the one table of other spellings knows them.
        let written = &oracle_length_semantics(&text[t..type_end]);
        (is_foreign_spelling(written) && !(word == "double" && next == "precision"))
            .then(|| normalize_type(written))
            .flatten()
            .map(|pg| (pg, "other systems' type names"))
    }) {
        // An identity takes smallint, integer or bigint only: MySQL's `BIGINT UNSIGNED
        // AUTO_INCREMENT` and Oracle's `NUMBER(10) GENERATED … AS IDENTITY` count rows, so the
        // integer type that holds the declared precision (bigint beyond it) keeps the key.
        // Foreign keys join columns of one type, so the other key columns of those spellings
        // (MySQL's `BIGINT UNSIGNED`, Oracle's `NUMBER(6)`: the primary key and the columns
        // that reference it) take the same integer type.
        let ty = if identity || (key && (what == "UNSIGNED as a wider type" || word == "number")) {
            identity_integer(&ty).map_or(ty, str::to_owned)
        } else {
            ty
        };
        let boolean = ty == "boolean";
        rw.edit(t..type_end, ty, what);
        if boolean {
            boolean_defaults(text, lower, rest.clone(), what, rw);
        }
    } else if matches!(word, "boolean" | "bool") {
        // SQLite's and MySQL's booleans are numbers: `DEFAULT 0`.
        boolean_defaults(text, lower, rest.clone(), "0/1 defaults of booleans", rw);
    }
    if let Some(r) = unsigned_range {
        let end = skip_ws(lower, r.end);
        rw.edit(r.start..end, "", "UNSIGNED as a wider type");
    }
    // Defaults other systems spell as their own functions.
    for d in word_positions(attrs, "default") {
        let v = skip_ws(lower, type_end + d + "default".len());
        for (function, ours) in [
            ("sysdate", "CURRENT_TIMESTAMP"),
            ("systimestamp", "CURRENT_TIMESTAMP"),
            ("getdate()", "CURRENT_TIMESTAMP"),
            ("sysdatetime()", "CURRENT_TIMESTAMP"),
            ("getutcdate()", "(now() AT TIME ZONE 'UTC')"),
            ("newid()", "gen_random_uuid()"),
        ] {
            let bare = function.trim_end_matches("()");
            if word_at(lower, v, bare) {
                let end = if function.ends_with("()") {
                    let open = skip_ws(lower, v + bare.len());
                    if !lower[open..].starts_with('(') {
                        continue;
                    }
                    matching_paren(lower, open).map_or(open, |c| c + 1)
                } else {
                    v + bare.len()
                };
                rw.edit(v..end, ours, "other systems' default functions");
            }
        }
        // Oracle's `seq.NEXTVAL`.
        if let Some((end, sequence)) = oracle_nextval(text, lower, v) {
            rw.edit(
                v..end,
                format!("nextval({})", quote_literal(&sequence)),
                "other systems' default functions",
            );
        }
        // SQLite's `datetime('now')` (its string is masked in `lower`: read the text).
        let written = text[v..].to_ascii_lowercase();
        for form in ["(datetime('now'))", "datetime('now')"] {
            if written.starts_with(form) {
                rw.edit(
                    v..v + form.len(),
                    "CURRENT_TIMESTAMP",
                    "other systems' default functions",
                );
                break;
            }
        }
    }
    // SQL Server's `IDENTITY(seed, increment)`, not PostgreSQL's `AS IDENTITY`.
    for at in word_positions(attrs, "identity") {
        let a = type_end + at;
        if lower[..a].trim_end().ends_with("as") {
            continue;
        }
        let open = skip_ws(lower, a + "identity".len());
        let (end, options) = match lower[open..]
            .starts_with('(')
            .then(|| matching_paren(lower, open))
            .flatten()
        {
            Some(close) => {
                let args: Vec<&str> = text[open + 1..close].split(',').map(str::trim).collect();
                let options = match args.as_slice() {
                    ["1", "1"] | [] => String::new(),
                    [seed, step] => format!(" (START WITH {seed} INCREMENT BY {step})"),
                    _ => continue,
                };
                (close + 1, options)
            }
            None => (a + "identity".len(), String::new()),
        };
        rw.edit(
            a..end,
            format!("GENERATED BY DEFAULT AS IDENTITY{options}"),
            "IDENTITY as PostgreSQL's identity",
        );
    }
    clustered(lower, type_end..rest.end, rw);
    // SQL Server's column-level `FOREIGN KEY REFERENCES t (c)`: PostgreSQL's column
    // constraint is the `REFERENCES` alone.
    for at in word_positions(attrs, "foreign") {
        let f = type_end + at;
        let k = skip_ws(lower, f + "foreign".len());
        if !word_at(lower, k, "key") {
            continue;
        }
        let r = skip_ws(lower, k + "key".len());
        if word_at(lower, r, "references") {
            rw.edit(f..r, "", "a column's FOREIGN KEY REFERENCES as REFERENCES");
        }
    }
    for word in ["auto_increment", "autoincrement"] {
        for at in word_positions(attrs, word) {
            let a = type_end + at;
            rw.edit(
                a..a + word.len(),
                "GENERATED BY DEFAULT AS IDENTITY",
                "auto-increment as an identity",
            );
        }
    }
    for on in word_positions(attrs, "on") {
        let o = type_end + on;
        let u = skip_ws(lower, o + 2);
        if !word_at(lower, u, "update") {
            continue;
        }
        let v = skip_ws(lower, u + "update".len());
        for now in ["current_timestamp", "now()", "localtimestamp"] {
            if lower[v..].starts_with(now) {
                let mut end = v + now.len();
                if lower[end..].starts_with('(') {
                    end = matching_paren(lower, end).map_or(end, |c| c + 1);
                }
                rw.edit(o..end, "", "ON UPDATE dropped");
                lose(
                    rw,
                    "ON UPDATE CURRENT_TIMESTAMP has no column form here: add a trigger if it matters",
                );
            }
        }
    }
    for clause in ["character set", "charset", "collate"] {
        for c in word_positions(attrs, clause) {
            let from = type_end + c;
            let v = skip_ws(lower, from + clause.len());
            let v = if lower[v..].starts_with('=') {
                skip_ws(lower, v + 1)
            } else {
                v
            };
            let len = lower[v..]
                .bytes()
                .position(|b| !is_ident_byte(b))
                .unwrap_or(lower.len() - v);
            // PostgreSQL's own `COLLATE "C"` is quoted (masked here), `pg_catalog."default"`
            // qualified: only MySQL's character sets and collations, and SQLite's.
            if len > 0 && is_mysql_charset(&lower[v..v + len]) {
                rw.edit(from..v + len, "", "character sets and collations");
            } else if clause == "collate" && matches!(&lower[v..v + len], "nocase" | "rtrim") {
                rw.edit(from..v + len, "", "SQLite's collations");
                lose(
                    rw,
                    "COLLATE NOCASE compared without case: use citext or lower() in a unique index if it matters",
                );
            } else if clause == "collate" && &lower[v..v + len] == "binary" {
                rw.edit(from..v + len, "", "SQLite's collations");
            }
        }
    }
    for c in word_positions(attrs, "comment") {
        let from = type_end + c;
        let v = skip_ws(lower, from + "comment".len());
        if !text[v..].starts_with('\'') {
            continue;
        }
        let Some(end) = string_end(text, v) else {
            continue;
        };
        rw.after.push(format!(
            "COMMENT ON COLUMN {table}.{column} IS {}",
            &text[v..end]
        ));
        rw.edit(from..end, "", "COMMENT as COMMENT ON");
    }
}

/// Say once that the rewrite loses `what` (the fix is then one to review).
pub(super) fn lose(rw: &mut Rewrite, what: &'static str) {
    if !rw.lost.contains(&what) {
        rw.lost.push(what);
    }
}

/// A boolean column's default `0`/`1` (or `'0'`/`'1'`) as `false`/`true`.
pub(super) fn boolean_defaults(
    text: &str,
    lower: &str,
    rest: Range<usize>,
    what: &'static str,
    rw: &mut Rewrite,
) {
    for d in word_positions(&lower[rest.clone()], "default") {
        let v = skip_ws(lower, rest.start + d + "default".len());
        for (written, value) in [
            ("0", "false"),
            ("1", "true"),
            ("'0'", "false"),
            ("'1'", "true"),
        ] {
            if text[v..].starts_with(written)
                && text
                    .as_bytes()
                    .get(v + written.len())
                    .is_none_or(|&b| !is_ident_byte(b))
            {
                rw.edit(v..v + written.len(), value, what);
            }
        }
    }
}
