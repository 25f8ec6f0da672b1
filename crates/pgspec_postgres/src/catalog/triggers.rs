//! Triggers (user triggers; internal ones and clones on partitions are not listed).

use serde::Serialize;

/// A trigger on a table or view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub oid: u32,
    pub table_oid: u32,
    pub schema: String,
    pub table: String,
    pub name: String,
    pub function_oid: u32,
    pub function_schema: String,
    pub function_name: String,
    pub timing: TriggerTiming,
    pub events: TriggerEvents,
    pub for_each_row: bool,
    /// `tgenabled`: `O` origin (the default), `D` disabled, `R` replica, `A` always.
    pub enabled: char,
    /// As pg_get_triggerdef prints it.
    pub definition: String,
}

/// BEFORE, AFTER or INSTEAD OF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
    InsteadOf,
}

/// The events a trigger fires on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TriggerEvents {
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
}

impl Trigger {
    pub fn display_table(&self) -> String {
        super::display_name(&self.schema, &self.table)
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Trigger>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/triggers.sql"))?
        .iter()
        .map(|r| {
            let bits: i32 = r.get(8);
            let enabled: String = r.get(9);
            Trigger {
                oid: r.get(0),
                table_oid: r.get(1),
                schema: r.get(2),
                table: r.get(3),
                name: r.get(4),
                function_oid: r.get(5),
                function_schema: r.get(6),
                function_name: r.get(7),
                timing: if bits & 64 != 0 {
                    TriggerTiming::InsteadOf
                } else if bits & 2 != 0 {
                    TriggerTiming::Before
                } else {
                    TriggerTiming::After
                },
                events: TriggerEvents {
                    insert: bits & 4 != 0,
                    delete: bits & 8 != 0,
                    update: bits & 16 != 0,
                    truncate: bits & 32 != 0,
                },
                for_each_row: bits & 1 != 0,
                enabled: super::letter(&enabled),
                definition: r.get(10),
            }
        })
        .collect())
}
