//! Row level security policies.

use serde::Serialize;

/// A policy on a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub oid: u32,
    pub table_oid: u32,
    pub schema: String,
    pub table: String,
    pub name: String,
    pub command: PolicyCommand,
    /// PERMISSIVE (`false`: RESTRICTIVE).
    pub permissive: bool,
    /// Role names, sorted; `public` for the PUBLIC pseudo-role.
    pub roles: Vec<String>,
    /// USING and WITH CHECK (pg_get_expr, pretty).
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// `polcmd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    /// Whether a policy for this command applies to `other` (ALL applies to every command).
    pub fn covers(self, other: PolicyCommand) -> bool {
        self == PolicyCommand::All || self == other
    }

    /// The SQL keyword (`SELECT`, …, `ALL`).
    pub fn keyword(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }
}

impl Policy {
    pub fn display_table(&self) -> String {
        super::display_name(&self.schema, &self.table)
    }
}

pub(super) fn load(client: &mut impl super::Query) -> Result<Vec<Policy>, postgres::Error> {
    Ok(client
        .rows(include_str!("queries/policies.sql"))?
        .iter()
        .map(|r| {
            let cmd: String = r.get(5);
            Policy {
                oid: r.get(0),
                table_oid: r.get(1),
                schema: r.get(2),
                table: r.get(3),
                name: r.get(4),
                command: match cmd.as_str() {
                    "r" => PolicyCommand::Select,
                    "a" => PolicyCommand::Insert,
                    "w" => PolicyCommand::Update,
                    "d" => PolicyCommand::Delete,
                    _ => PolicyCommand::All,
                },
                permissive: r.get(6),
                roles: r.get(7),
                using: r.get(8),
                with_check: r.get(9),
            }
        })
        .collect())
}
