//! Table constraints: primary keys, unique, foreign keys, checks, exclusions, constraint
//! triggers. (Domain checks are on [`super::Type`].)

use serde::Serialize;

/// A constraint on a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Constraint {
    pub oid: u32,
    pub table_oid: u32,
    pub schema: String,
    pub table: String,
    pub name: String,
    pub kind: ConstraintKind,
    /// As pg_get_constraintdef prints it (`PRIMARY KEY (id)`, `CHECK ((qty > 0))`, …).
    pub definition: String,
    /// Key columns in key order (attnums and names).
    pub attnums: Vec<i16>,
    pub columns: Vec<String>,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// `false` for a constraint added NOT VALID and not validated since.
    pub validated: bool,
    /// Defined on this table itself (`false`: only inherited).
    pub local: bool,
    /// Cloned from the partitioned parent's constraint.
    pub inherited: bool,
    /// The table is a partition.
    pub on_partition: bool,
    /// What a foreign key references.
    pub references: Option<References>,
    /// A CHECK's expression (pg_get_expr, pretty).
    pub check: Option<String>,
    /// The index that enforces it (primary key, unique, exclusion; a foreign key's referenced
    /// index).
    pub index: Option<String>,
}

/// `contype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
    Trigger,
}

/// The referenced side of a foreign key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct References {
    pub table_oid: u32,
    pub schema: String,
    pub table: String,
    pub attnums: Vec<i16>,
    pub columns: Vec<String>,
    pub on_update: ForeignKeyAction,
    pub on_delete: ForeignKeyAction,
    /// `MATCH FULL` (`false`: SIMPLE or PARTIAL).
    pub match_full: bool,
}

/// `confupdtype` / `confdeltype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForeignKeyAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ForeignKeyAction {
    fn from_letter(c: char) -> Self {
        match c {
            'r' => Self::Restrict,
            'c' => Self::Cascade,
            'n' => Self::SetNull,
            'd' => Self::SetDefault,
            _ => Self::NoAction,
        }
    }
}

impl Constraint {
    pub fn display_table(&self) -> String {
        super::display_name(&self.schema, &self.table)
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Constraint>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/constraints.sql"))?
        .iter()
        .map(|r| {
            let contype: String = r.get(5);
            let kind = match contype.as_str() {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                "f" => ConstraintKind::ForeignKey,
                "c" => ConstraintKind::Check,
                "x" => ConstraintKind::Exclusion,
                _ => ConstraintKind::Trigger,
            };
            let letter = |i: usize| super::letter(&r.get::<_, String>(i));
            Constraint {
                oid: r.get(0),
                table_oid: r.get(1),
                schema: r.get(2),
                table: r.get(3),
                name: r.get(4),
                kind,
                definition: r.get(6),
                attnums: r.get(7),
                columns: r.get(8),
                deferrable: r.get(9),
                initially_deferred: r.get(10),
                validated: r.get(11),
                local: r.get(12),
                inherited: r.get(13),
                on_partition: r.get(14),
                references: (kind == ConstraintKind::ForeignKey).then(|| References {
                    table_oid: r.get(15),
                    schema: r.get::<_, Option<String>>(16).unwrap_or_default(),
                    table: r.get::<_, Option<String>>(17).unwrap_or_default(),
                    attnums: r.get(18),
                    columns: r.get(19),
                    on_update: ForeignKeyAction::from_letter(letter(20)),
                    on_delete: ForeignKeyAction::from_letter(letter(21)),
                    match_full: letter(22) == 'f',
                }),
                check: r.get(23),
                index: r.get(24),
            }
        })
        .collect())
}
