//! Running the plpgsql_check extension over functions of the session's database (when the
//! server has it): pgspec's copy is installed in a schema of its own that the document cannot
//! write to, the checks run as the document's role (plpgsql_check prepares the bodies'
//! queries, and planning may evaluate the document's functions), and pgspec's copy is removed
//! afterwards. The lint rule that reports the findings (LNT301) reads them and does no I/O.

use super::{ApplySession, ClusterError};

/// Where pgspec installs plpgsql_check when the document did not.
const LINT_SCHEMA: &str = "pgspec_plpgsql_check";

/// One finding of plpgsql_check on a function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlpgsqlFinding {
    /// Line in the function body (1-based).
    pub lineno: Option<usize>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// `error`, `warning`, `warning extra`, …
    pub level: String,
    /// Character position in `query` (1-based).
    pub position: Option<usize>,
    pub query: Option<String>,
    pub sqlstate: Option<String>,
}

/// plpgsql_check's findings, by function oid.
pub type PlpgsqlFindings = Vec<(u32, Vec<PlpgsqlFinding>)>;

/// A function for plpgsql_check: a trigger function is checked against the relation its
/// trigger is on (`relid`, 0 for other functions) and the transition tables the trigger names
/// (`REFERENCING NEW TABLE AS n`), which its body reads like tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub function: u32,
    pub relid: u32,
    pub old_table: Option<String>,
    pub new_table: Option<String>,
}

/// Check each [`Target`] with plpgsql_check. `None` when the server does not have the
/// extension (or it cannot be installed); a function whose check fails to run has no entry.
pub fn plpgsql_check(
    session: &mut ApplySession,
    targets: &[Target],
) -> Result<Option<PlpgsqlFindings>, ClusterError> {
    if targets.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if !session
        .available_extensions()?
        .iter()
        .any(|name| name == "plpgsql_check")
    {
        return Ok(None);
    }
    // The schema of the document's own plpgsql_check, when it installed one.
    let installed = session
        .query_strings(
            "SELECT n.nspname FROM pg_catalog.pg_extension e \
             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname = 'plpgsql_check'",
        )?
        .into_iter()
        .next()
        .and_then(|row| row.into_iter().next().flatten());
    let installed_before = installed.is_some();
    // pgspec's own statements, which create no role and leave no transaction open.
    if !installed_before
        && !session
            .apply_own_as_superuser(&format!(
                "CREATE SCHEMA IF NOT EXISTS {LINT_SCHEMA}; \
                 CREATE EXTENSION plpgsql_check SCHEMA {LINT_SCHEMA}; \
                 GRANT USAGE ON SCHEMA {LINT_SCHEMA} TO {}",
                crate::sql::quote::quote_ident(session.owner_role())
            ))?
            .is_applied()
    {
        return Ok(None);
    }
    let schema = installed.unwrap_or_else(|| LINT_SCHEMA.to_owned());
    let mut out = Vec::new();
    for target in targets {
        let (function, relid) = (target.function, target.relid);
        let transition = |arg: &str, name: &Option<String>| {
            name.as_deref().map_or_else(String::new, |n| {
                format!(", {arg} => {}", crate::sql::quote::quote_literal(n))
            })
        };
        let sql = format!(
            "SELECT lineno::text, message, detail, hint, level, position::text, query, sqlstate \
             FROM {}.plpgsql_check_function_tb({function}::pg_catalog.oid::pg_catalog.regprocedure, {relid}::pg_catalog.oid::pg_catalog.regclass{}{}, \
             fatal_errors => false, other_warnings => false, extra_warnings => false, performance_warnings => false)",
            crate::sql::quote::quote_ident(&schema),
            transition("oldtable", &target.old_table),
            transition("newtable", &target.new_table),
        );
        let Ok(rows) = session.query_as_document(&sql) else {
            continue;
        };
        let findings = rows
            .into_iter()
            .map(|row| {
                let get = |i: usize| row.get(i).cloned().flatten();
                PlpgsqlFinding {
                    lineno: get(0).and_then(|l| l.parse().ok()),
                    message: get(1).unwrap_or_default(),
                    detail: get(2),
                    hint: get(3),
                    level: get(4).unwrap_or_default(),
                    position: get(5).and_then(|p| p.parse().ok()),
                    query: get(6),
                    sqlstate: get(7),
                }
            })
            .collect();
        out.push((function, findings));
    }
    if !installed_before {
        // Leave the database as `check` made it.
        session.apply_own_as_superuser(&format!(
            "DROP EXTENSION IF EXISTS plpgsql_check; DROP SCHEMA IF EXISTS {LINT_SCHEMA}"
        ))?;
    }
    Ok(Some(out))
}
