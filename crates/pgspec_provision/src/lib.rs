//! Provisioning: after the document applied, make the described system usable as a working
//! database. Each step is a pure function over an [`ApplySession`](crate::postgres::ApplySession)
//! that returns what it did as [`ProvisionAction`]s; nothing here prints.
//!
//! - [`partitions`]: monthly partitions (and a DEFAULT partition) so that rows dated today and
//!   in the coming months have somewhere to go.
//! - [`cron`]: the document's pg_cron jobs, scheduled for the database `up` made.
//! - [`supabase`]: a compatibility shim for objects only Supabase provides (`auth.uid()`,
//!   `auth.users`, the `anon`/`authenticated`/`service_role` roles, `net.http_post`, …).
//! - [`settings`]: placeholder values for custom settings the document reads and never sets.

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_checks::{check, pipeline};
use pgspec_diagnostics as diagnostics;
use pgspec_document as document;
use pgspec_postgres as postgres;
use pgspec_sql as sql;

pub mod up;

pub mod cron;
pub mod maintenance;
pub mod partitions;
pub mod settings;
pub mod supabase;

use serde::Serialize;

pub use partitions::{ensure_coverage, today_utc, uncovered_today};
pub use supabase::{install as install_supabase_shim, needs_shim, shim_sql};

/// What a provisioning step did (or decided not to do) for one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// A partition created for a range that no partition covered.
    PartitionCreated,
    /// A `DEFAULT` partition created for a partitioned table that had none.
    DefaultPartitionCreated,
    /// A compatibility object for a hosted platform (Supabase) created or refreshed.
    ShimCreated,
    /// A function of the document run once (partition maintenance).
    FunctionRun,
    /// A pg_cron job of the document scheduled for the database.
    CronJobScheduled,
    /// A placeholder value for a custom setting the document's code reads and never sets.
    SettingPlaceholder,
    /// Nothing done; `note` says why.
    Skipped,
}

/// One provisioning action on one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvisionAction {
    pub kind: ActionKind,
    /// The object acted on, schema-qualified where it has a schema (`public.events_2026_11`).
    pub object: String,
    /// The SQL that ran (empty for [`ActionKind::Skipped`] when nothing ran).
    pub sql: String,
    /// Why, or what the user should know (empty when there is nothing to add).
    pub note: String,
}

impl ProvisionAction {
    pub(crate) fn new(
        kind: ActionKind,
        object: impl Into<String>,
        sql: impl Into<String>,
        note: impl Into<String>,
    ) -> Self {
        ProvisionAction {
            kind,
            object: object.into(),
            sql: sql.into(),
            note: note.into(),
        }
    }

    pub(crate) fn skipped(object: impl Into<String>, note: impl Into<String>) -> Self {
        Self::new(ActionKind::Skipped, object, "", note)
    }
}
