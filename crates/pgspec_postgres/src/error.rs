//! Server error positions: PostgreSQL reports 1-based *character* positions.
//! Also the conversion of the client's `DbError` into pgspec's [`PgDetails`].

use postgres::error::{DbError, ErrorPosition, Severity};

use crate::diagnostics::PgDetails;

/// A NOTICE/WARNING the server raised while running a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// "NOTICE", "WARNING", …
    pub severity: String,
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

/// Byte offset in `text` of the server's 1-based character `position`
/// (clamped to the end of `text`). Position 0 ("no position") maps to 0.
pub fn char_position_to_byte(text: &str, position: u32) -> u32 {
    if position == 0 {
        return 0;
    }
    let index = (position - 1) as usize;
    let byte = text
        .char_indices()
        .nth(index)
        .map_or(text.len(), |(b, _)| b);
    u32::try_from(byte).unwrap_or(u32::MAX)
}

/// What the server said about an error beyond [`PgDetails`]: where it happened inside a
/// function or a query the server generated itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// The CONTEXT line(s) (`where_`), e.g. "PL/pgSQL function f() line 3 at RAISE".
    pub context: Option<String>,
    /// A query the server ran internally (e.g. inside a SQL function) that failed.
    pub internal_query: Option<String>,
    /// 1-based character position inside `internal_query`.
    pub internal_position: Option<u32>,
}

impl ErrorContext {
    /// The extras of `db`.
    pub fn from_db_error(db: &DbError) -> Self {
        let (internal_query, internal_position) = match db.position() {
            Some(ErrorPosition::Internal { position, query }) => {
                (Some(query.clone()), Some(*position))
            }
            _ => (None, None),
        };
        ErrorContext {
            context: db.where_().map(str::to_string),
            internal_query,
            internal_position,
        }
    }

    /// Whether the server sent none of these.
    pub fn is_empty(&self) -> bool {
        self.context.is_none() && self.internal_query.is_none()
    }
}

/// The server's error report, verbatim.
pub fn pg_details(db: &DbError) -> PgDetails {
    PgDetails {
        sqlstate: db.code().code().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
        position: match db.position() {
            Some(ErrorPosition::Original(p)) => Some(*p),
            _ => None,
        },
        schema: db.schema().map(str::to_string),
        table: db.table().map(str::to_string),
        column: db.column().map(str::to_string),
        constraint: db.constraint().map(str::to_string),
        datatype: db.datatype().map(str::to_string),
    }
}

/// A NOTICE/WARNING as pgspec keeps it.
pub fn notice(db: &DbError) -> Notice {
    let severity = match db.parsed_severity() {
        Some(s) => severity_name(s).to_string(),
        None => db.severity().to_string(),
    };
    Notice {
        severity,
        sqlstate: db.code().code().to_string(),
        message: db.message().to_string(),
        detail: db.detail().map(str::to_string),
        hint: db.hint().map(str::to_string),
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Panic => "PANIC",
        Severity::Fatal => "FATAL",
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Notice => "NOTICE",
        Severity::Debug => "DEBUG",
        Severity::Info => "INFO",
        Severity::Log => "LOG",
    }
}

#[cfg(test)]
mod tests {
    use super::char_position_to_byte;

    #[test]
    fn zero_is_start() {
        assert_eq!(char_position_to_byte("SELECT 1", 0), 0);
        assert_eq!(char_position_to_byte("", 0), 0);
    }

    #[test]
    fn ascii_is_one_based() {
        let sql = "SELECT nosuchcol";
        assert_eq!(char_position_to_byte(sql, 1), 0);
        assert_eq!(char_position_to_byte(sql, 8), 7);
        assert_eq!(&sql[char_position_to_byte(sql, 8) as usize..], "nosuchcol");
    }

    #[test]
    fn counts_characters_not_bytes() {
        // '한글' is 2 characters, 6 bytes.
        let sql = "SELECT '한글', nosuchcol";
        let chars = sql.chars().take_while(|&c| c != 'n').count() as u32;
        let byte = char_position_to_byte(sql, chars + 1) as usize;
        assert_eq!(&sql[byte..], "nosuchcol");
        assert_eq!(byte, sql.find("nosuchcol").expect("present"));
        // Emoji (4 bytes) and combining marks count as one character each.
        let sql = "-- 🐘e\u{301}\nx";
        assert_eq!(
            char_position_to_byte(sql, 8),
            sql.find('x').expect("present") as u32
        );
    }

    #[test]
    fn clamps_past_the_end() {
        assert_eq!(char_position_to_byte("abc", 4), 3);
        assert_eq!(char_position_to_byte("abc", 400), 3);
        assert_eq!(char_position_to_byte("한", 2), 3);
        assert_eq!(char_position_to_byte("", 1), 0);
    }
}
