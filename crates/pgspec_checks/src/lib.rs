//! Apply a document to PostgreSQL and turn what happens into diagnostics: [`check`] (the apply
//! engine and its verdicts, fixes and rewrites), [`lint`] (rules over the statements and the
//! catalog), [`pipeline`] (check, lint and drift as one run, the report).

// Earlier stages under their stage names, so paths read `crate::sql::…` as they did when
// the stages were modules of one crate.
use pgspec_diagnostics as diagnostics;
use pgspec_diagnostics::text;
use pgspec_document as document;
use pgspec_postgres as postgres;
use pgspec_schema as schema;
use pgspec_sql as sql;

pub mod check;
pub mod lint;
pub mod pipeline;
pub mod platform;
