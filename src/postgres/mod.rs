//! PostgreSQL: a private cluster started from the installed binaries (unix socket only), or
//! a server named by URL; scratch databases; applying one statement with its server verdict.
//!
//! OWNER: helper C (postgres). Public interface below is the contract; keep it.

pub mod cluster;
pub mod error;
mod os;
pub mod session;

pub use cluster::{Cluster, ClusterError, ClusterStatus, PgBinaries, Server};
pub use error::{char_position_to_byte, ErrorContext};
pub use session::{
    AppIdentity, ApplySession, Notice, Outcome, OwnerSpec, PrivilegeCheck, ScratchDatabase,
};
