//! The Supabase layer for `up`: the same sections `check` installs
//! ([`pgspec_checks::platform::supabase`]), reported as provisioning actions.

pub use pgspec_checks::platform::supabase::{
    needs_shim, sections_for, shim_sql, Provided, Section, VECTOR_FALLBACK,
};

use crate::postgres::{ApplySession, ClusterError};
use crate::sql::Statement;

use super::{ActionKind, ProvisionAction};

/// Install the sections `statements` use and do not define, as actions: created, or skipped
/// with PostgreSQL's refusal.
pub fn install(
    session: &mut ApplySession,
    statements: &[Statement],
) -> Result<Vec<ProvisionAction>, ClusterError> {
    Ok(
        pgspec_checks::platform::supabase::install(session, statements)?
            .into_iter()
            .map(action)
            .collect(),
    )
}

/// Install every section (the whole shim), as actions.
pub fn install_all(session: &mut ApplySession) -> Result<Vec<ProvisionAction>, ClusterError> {
    Ok(pgspec_checks::platform::supabase::install_all(session)?
        .into_iter()
        .map(action)
        .collect())
}

/// A provided section as a provisioning action.
pub fn action(provided: Provided) -> ProvisionAction {
    let Section { object, note, sql } = provided.section;
    let mut note = note.to_string();
    for warning in &provided.warnings {
        note.push_str(&format!("; server warning: {warning}"));
    }
    match provided.refused {
        None => ProvisionAction::new(ActionKind::ShimCreated, object, sql, note),
        Some(refusal) => ProvisionAction::new(
            ActionKind::Skipped,
            object,
            sql,
            format!("PostgreSQL refused it: {refusal}; {note}"),
        ),
    }
}
