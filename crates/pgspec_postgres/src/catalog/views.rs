//! Views and materialized views.

use serde::Serialize;

use super::Column;

/// A view or materialized view of the user's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    /// The query, as pg_get_viewdef prints it.
    pub definition: String,
    /// A materialized view that holds data (`false`: created WITH NO DATA, never refreshed).
    pub populated: bool,
    pub owner: String,
    pub columns: Vec<Column>,
    pub comment: Option<String>,
    /// `WITH (…)` options (`check_option=local`, `security_barrier=true`).
    pub options: Vec<String>,
    /// Relations its query reads, `schema.name` with identifiers quoted as needed.
    pub uses_relations: Vec<String>,
    /// The user's functions its query calls, `schema.name(identity arguments)`.
    pub uses_functions: Vec<String>,
}

impl View {
    pub fn display_name(&self) -> String {
        super::display_name(&self.schema, &self.name)
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<View>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/views.sql"))?
        .iter()
        .map(|r| View {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
            materialized: r.get(3),
            definition: r.get::<_, Option<String>>(4).unwrap_or_default(),
            populated: r.get(5),
            owner: r.get(6),
            columns: Vec::new(),
            comment: r.get(7),
            options: r.get(8),
            uses_relations: r.get(9),
            uses_functions: r.get(10),
        })
        .collect())
}
