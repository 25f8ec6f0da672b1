//! PostgreSQL: a private cluster started from the installed binaries (unix socket only), or
//! a server named by URL; scratch databases; applying one statement with its server verdict.
//!
//! OWNER: helper C (postgres). Public interface below is the contract; keep it.

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_diagnostics as diagnostics;
use pgspec_sql as sql;

/// The client library, for the stages that run queries on connections this crate opens.
pub use ::postgres as client;

pub mod catalog;
#[cfg(test)]
mod catalog_audit;
pub mod cluster;
pub mod deadline;
pub mod error;
pub mod limits;
pub mod orphans;
mod os;
pub mod owner_login;
pub mod plpgsql_check;
pub mod sandbox;
pub mod session;

pub use cluster::{
    admin_options, app_options, Cluster, ClusterError, ClusterStatus, PgBinaries, Server,
};
pub use deadline::{backend_pid, Bounded, Deadline, Stepper, Stop, TERMINATE_GRACE};
pub use error::{char_position_to_byte, ErrorContext};
pub use limits::Limits;
pub use orphans::{application_name, CommandTimer};
pub use owner_login::owner_login;
pub use sandbox::SandboxStatus;
pub use session::{
    batchable, AppIdentity, ApplySession, Notice, Outcome, OwnerSpec, PrivilegeCheck,
    ScratchDatabase,
};
