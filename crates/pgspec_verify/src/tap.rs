//! pgTAP tests in the document (`SELECT has_table('users');`, `SELECT ok(…)`), where the
//! database has the `pgtap` extension: a test query is a claim judged by its TAP line, `ok …`
//! or `not ok …`, not merely by running. Each runs on its own in the claim's transaction (after
//! `no_plan()`, which pgTAP needs before any test); the document's own `plan()`/`finish()` are
//! the bookkeeping of a whole run and are skipped.

use crate::postgres::client::{SimpleQueryMessage, Transaction};
use crate::sql::ast::{self, NodeEnum};

/// pgTAP's functions that count and close a run rather than test anything.
const BOOKKEEPING: &[&str] = &["plan", "no_plan", "finish", "done_testing", "diag"];

/// Whether `query` only calls pgTAP's bookkeeping functions.
pub(crate) fn bookkeeping(query: &str) -> bool {
    let Some(tree) = ast::parse(query) else {
        return false;
    };
    let mut nodes = ast::top_nodes(&tree);
    let (Some(root @ NodeEnum::SelectStmt(_)), None) = (nodes.next(), nodes.next()) else {
        return false;
    };
    let calls = ast::called_functions(root.to_ref());
    !calls.is_empty() && calls.iter().all(|c| BOOKKEEPING.contains(&c.as_str()))
}

/// Start a pgTAP run in the claim's transaction (rolled back with it); nothing when pgTAP's
/// functions are not reachable.
pub(crate) fn begin(tx: &mut Transaction<'_>) {
    if tx
        .batch_execute("SAVEPOINT pgspec_tap; SELECT no_plan(); RELEASE SAVEPOINT pgspec_tap")
        .is_err()
    {
        let _ = tx.batch_execute("ROLLBACK TO SAVEPOINT pgspec_tap");
    }
}

/// The TAP lines `exec` returns (its first column, every row, split into lines), when any
/// is a test line: whether every test passed, and the lines.
pub(crate) fn judge(tx: &mut Transaction<'_>, exec: &str) -> Option<(bool, Vec<String>)> {
    let messages = tx.simple_query(exec).ok()?;
    let lines: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let test = |l: &String| l.starts_with("ok ") || l.starts_with("not ok ");
    if !lines.iter().any(test) {
        return None;
    }
    let passed = !lines.iter().any(|l| l.starts_with("not ok "));
    Some((passed, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_and_finish_are_bookkeeping_and_tests_are_not() {
        assert!(bookkeeping("SELECT plan(3)"));
        assert!(bookkeeping("SELECT * FROM finish()"));
        assert!(!bookkeeping("SELECT has_table('users')"));
        assert!(!bookkeeping("SELECT plan(1), ok(true)"));
        assert!(!bookkeeping("SELECT 1"));
    }
}
