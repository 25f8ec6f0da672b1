//! FORCE ROW LEVEL SECURITY lifted from a table for its load (the document's role owns the
//! table, and FORCE applies its policies to the owner too) and put back afterwards.

use crate::diagnostics::{Category, Code, Diagnostic};
use crate::plan::Table;
use crate::sql::Statement;

/// Lift FORCE ROW LEVEL SECURITY from `table` for its load (a lock it cannot get within a few
/// seconds leaves it as it is: the load then reports what the policies refuse).
pub(crate) fn unforce(admin: &mut crate::postgres::client::Client, table: &Table) {
    let _ = admin.batch_execute(&format!(
        "SET lock_timeout = '5s'; ALTER TABLE {} NO FORCE ROW LEVEL SECURITY; RESET lock_timeout",
        table.qualified()
    ));
    let _ = admin.batch_execute("RESET lock_timeout");
}

/// Put FORCE ROW LEVEL SECURITY back on the tables in `forced`; one it cannot be put back on
/// is an error that says how to do it by hand.
pub(crate) fn reforce(
    admin: &mut crate::postgres::client::Client,
    forced: &mut Vec<&Table>,
    statements: &[Statement],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for table in forced.drain(..) {
        let sql = format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY", table.qualified());
        if let Err(e) = admin.batch_execute(&format!(
            "SET lock_timeout = '30s'; {sql}; RESET lock_timeout"
        )) {
            let _ = admin.batch_execute("RESET lock_timeout");
            diagnostics.push(
                Diagnostic::new(
                    Code::TableNotSeeded,
                    Category::Seed,
                    format!(
                        "FORCE ROW LEVEL SECURITY of `{}` was lifted for the load and could not be put back: {}",
                        table.display_name(),
                        crate::postgres::cluster::error_text(&e)
                    ),
                    crate::locate_table(statements, table),
                )
                .help(format!("run `{sql};`")),
            );
        }
    }
}
