//! A document's sample rows (`INSERT … VALUES`, `COPY`) that the server rejects for breaking a
//! constraint: the row is wrong, or the constraint is, never "the definition".

use crate::diagnostics::{Category, PgDetails};
use crate::sql::{Statement, StatementKind};

use super::verdict::Verdict;

/// The verdict for a data statement the server rejects with a constraint violation (CHECK,
/// domain CHECK, NOT NULL, unique key, exclusion constraint); `None` for anything else.
pub(super) fn verdict(stmt: &Statement, err: &PgDetails) -> Option<Verdict> {
    if stmt.kind != StatementKind::Data {
        return None;
    }
    let name = err
        .constraint
        .clone()
        .or_else(|| err.message.split('"').nth(3).map(str::to_owned))
        .unwrap_or_default();
    let msg = err.message.as_str();
    let help = match err.sqlstate.as_str() {
        "23514" if msg.starts_with("value for domain") => {
            let domain = msg
                .strip_prefix("value for domain ")
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("");
            format!(
                "a value of the document's sample rows breaks the CHECK `{name}` of the domain `{domain}`: correct the value, or the domain's CHECK if the value is one the design allows"
            )
        }
        "23514" if msg.contains("violates check constraint") => format!(
            "a row of the document's sample rows breaks the CHECK `{name}`: correct the row, or the CHECK if the row is one the design allows"
        ),
        "23502" if !msg.contains("contains null values") => format!(
            "a row of the document's sample rows leaves the NOT NULL column `{}` empty: give it a value (or the column a DEFAULT)",
            err.column.as_deref().unwrap_or("")
        ),
        "23505" => format!(
            "two of the document's sample rows (or a row and one inserted earlier) have the same key under `{name}`: make them differ"
        ),
        // Rows inserted later in the document are a forward reference (reordered before this
        // verdict); here no statement of the document inserts the referenced row before or after.
        "23503" if msg.starts_with("insert or update") => {
            let key = err
                .detail
                .as_deref()
                .and_then(|d| d.strip_prefix("Key "))
                .and_then(|d| d.split(" is not present").next())
                .unwrap_or("");
            let table = err
                .detail
                .as_deref()
                .and_then(|d| d.rsplit('"').nth(1))
                .unwrap_or("");
            format!(
                "a row of the document's sample rows references a row of `{table}` ({key}) that no statement of the document inserts: insert the referenced rows before this statement, or correct the key"
            )
        }
        "23P01" => format!(
            "a row of the document's sample rows conflicts with another under the exclusion constraint `{name}` (overlapping ranges for the same key): correct the row"
        ),
        _ => return None,
    };
    Some(Verdict {
        category: Category::Constraint,
        help,
        extension: None,
        focus: None,
    })
}
