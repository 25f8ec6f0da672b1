//! Columns of tables, views and materialized views.

use serde::Serialize;

/// A column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    pub attnum: i16,
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    /// As `format_type` prints it (`character varying(32)`).
    pub type_name: String,
    pub not_null: bool,
    /// The DEFAULT expression (not a generated column's).
    pub default: Option<String>,
    /// The expression of a `GENERATED ALWAYS AS (…) STORED` column.
    pub generated: Option<String>,
    pub identity: Option<Identity>,
    /// A collation other than the type's default.
    pub collation: Option<String>,
    /// The sequence a serial or identity column draws from, schema-qualified.
    pub sequence: Option<String>,
    pub comment: Option<String>,
    /// Defined on the relation itself (`false`: only inherited from a parent).
    pub local: bool,
}

/// `GENERATED ALWAYS` or `BY DEFAULT AS IDENTITY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

impl Column {
    /// Whether an INSERT may leave the column out and still get a value (a default, an
    /// identity or a generated expression).
    pub fn has_default(&self) -> bool {
        self.default.is_some() || self.identity.is_some() || self.generated.is_some()
    }

    /// The length limit of `varchar(n)` / `char(n)`.
    pub fn max_len(&self) -> Option<usize> {
        const VARCHAR: u32 = 1043;
        const BPCHAR: u32 = 1042;
        if matches!(self.type_oid, VARCHAR | BPCHAR) && self.typmod > 4 {
            usize::try_from(self.typmod - 4).ok()
        } else {
            None
        }
    }
}

/// `(relation oid, column)` in relation and attnum order.
pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<(u32, Column)>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/columns.sql"))?
        .iter()
        .map(|r| {
            let expr: Option<String> = r.get(7);
            let generated: String = r.get(8);
            let identity: String = r.get(9);
            let is_generated = !generated.is_empty();
            (
                r.get(0),
                Column {
                    attnum: r.get(1),
                    name: r.get(2),
                    type_oid: r.get(3),
                    typmod: r.get(4),
                    type_name: r.get(5),
                    not_null: r.get(6),
                    default: expr.clone().filter(|_| !is_generated),
                    generated: expr.filter(|_| is_generated),
                    identity: match identity.as_str() {
                        "a" => Some(Identity::Always),
                        "d" => Some(Identity::ByDefault),
                        _ => None,
                    },
                    collation: r.get(10),
                    sequence: r.get(11),
                    comment: r.get(12),
                    local: r.get(13),
                },
            )
        })
        .collect())
}
