//! pgspec: turn a PostgreSQL design document into a working, verified database.
//!
//! The modules follow the pipeline: [`document`] reads the Markdown (with encoding repair),
//! [`sql`] splits and classifies the SQL statements, [`postgres`] runs a private cluster and
//! applies statements on it, [`check`] turns server verdicts into [`diagnostics`], which are
//! rendered at the edge. Nothing in the library prints.

pub mod check;
pub mod diagnostics;
pub mod document;
pub mod fix;
pub mod lint;
pub mod pipeline;
pub mod postgres;
pub mod provision;
pub mod schema;
pub mod seed;
pub mod sql;
pub mod text;
pub mod up;
pub mod verify;
