//! pgspec: turn a PostgreSQL design document into a working, verified database.
//!
//! Every stage is a crate of its own, in pipeline order: `pgspec_diagnostics` (the ground
//! floor: positions, diagnostics, the one code registry, renderers, fix application),
//! `pgspec_document` (Markdown, encodings, fences), `pgspec_sql` (statements, their origin,
//! facts and safety from PostgreSQL's parser), `pgspec_postgres` (the only crate that talks to
//! a server), `pgspec_schema` (what the document claims outside SQL and its drift),
//! `pgspec_diff` (the migration from one catalog to another),
//! `pgspec_checks` (apply engine, lint, the check pipeline), `pgspec_provision` (up, down,
//! sql), `pgspec_seed` and `pgspec_verify`. The compiler holds that each depends only on
//! earlier ones. This library names them under their stage names for the binary and the
//! tests; nothing in the library prints.

pub use pgspec_checks::{check, lint, pipeline};
pub use pgspec_diagnostics as diagnostics;
pub use pgspec_diagnostics::{fix, text};
pub use pgspec_diff as diff;
pub use pgspec_document as document;
pub use pgspec_migrate as migrate;
pub use pgspec_picture as picture;
pub use pgspec_postgres as postgres;
pub use pgspec_provision as provision;
pub use pgspec_provision::up;
pub use pgspec_schema as schema;
pub use pgspec_seed as seed;
pub use pgspec_sql as sql;
pub use pgspec_verify as verify;
