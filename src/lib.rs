//! pgspec: turn a PostgreSQL design document into a working, verified database.
//!
//! The modules follow the pipeline: [`document`] reads the Markdown (with encoding repair),
//! [`sql`] splits and classifies the SQL statements, [`postgres`] runs a private cluster and
//! applies statements on it, [`check`] turns server verdicts into [`diagnostics`], which are
//! rendered at the edge. Nothing in the library prints.
//!
//! The first stages are crates of their own (`pgspec_diagnostics`, the ground floor;
//! `pgspec_document`; `pgspec_sql`), re-exported here under their module names, so the
//! compiler holds that they depend on nothing later in the pipeline.

pub mod check;
pub use pgspec_diagnostics as diagnostics;
pub use pgspec_diagnostics::text;
pub use pgspec_document as document;
pub use pgspec_sql as sql;
pub mod fix;
pub mod lint;
pub mod pipeline;
pub mod postgres;
pub mod provision;
pub mod schema;
pub mod seed;
pub mod up;
pub mod verify;
