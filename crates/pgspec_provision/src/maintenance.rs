//! The document's own partition-maintenance functions (`create_monthly_partitions()` and the
//! like), run once by `up` before pgspec fills coverage gaps: the partitions they create set
//! the naming that pgspec's partitions then follow, so the document's scheduled runs later
//! find their partitions instead of colliding with differently named ones.

use crate::diagnostics::PgDetails;
use crate::postgres::{ApplySession, ClusterError, Outcome};
use crate::sql::{ObjectKind, Statement};

use super::{ActionKind, ProvisionAction};

/// A function the document defines that creates partitions and takes no arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaintenanceFunction {
    /// Schema-qualified when the document qualified it.
    pub name: String,
    /// `name` with each part quoted, for the call pgspec runs and prints.
    pub call: String,
    /// Index of the defining statement.
    pub statement: usize,
}

/// The zero-argument functions among `statements` whose body creates partitions.
pub fn maintenance_functions(statements: &[Statement]) -> Vec<MaintenanceFunction> {
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.text.to_ascii_lowercase().contains("partition of"))
        .filter_map(|(i, s)| {
            let f = s
                .facts
                .creates
                .iter()
                .find(|o| o.kind == ObjectKind::Function)?;
            // `name()` with nothing between the parentheses.
            let after = s.text.to_ascii_lowercase();
            let at = after.find(&f.name)? + f.name.len();
            let rest = after[at..].trim_start();
            if !rest.trim_start_matches('"').starts_with("()") {
                return None;
            }
            let quote = crate::sql::quote::quote_ident;
            Some(MaintenanceFunction {
                name: match &f.schema {
                    Some(schema) => format!("{schema}.{}", f.name),
                    None => f.name.clone(),
                },
                call: match &f.schema {
                    Some(schema) => format!("{}.{}", quote(schema), quote(&f.name)),
                    None => quote(&f.name),
                },
                statement: i,
            })
        })
        .collect()
}

/// A maintenance call that failed: the server's error and its PL/pgSQL context line.
pub type Failure = (PgDetails, Option<String>);

/// Call each function once as the application role. A function that fails is a finding of
/// the document: its error is returned with the action.
pub fn run(
    session: &mut ApplySession,
    functions: &[MaintenanceFunction],
) -> Result<Vec<(ProvisionAction, Option<Failure>)>, ClusterError> {
    let mut out = Vec::new();
    for f in functions {
        let sql = format!("SELECT {}()", f.call);
        match session.apply(&sql)? {
            Outcome::Applied { .. } => out.push((
                ProvisionAction::new(
                    ActionKind::FunctionRun,
                    format!("{}()", f.name),
                    sql,
                    "the document's partition-maintenance function, run once so its partitions exist and name the ones pgspec adds",
                ),
                None,
            )),
            Outcome::Failed { error, .. } => {
                let context = session
                    .last_error_context()
                    .and_then(|c| c.context.clone());
                out.push((
                ProvisionAction::skipped(
                    format!("{}()", f.name),
                    format!("the document's function failed when called: {}", error.message),
                ),
                Some((error, context)),
            ));
            }
        }
    }
    Ok(out)
}
