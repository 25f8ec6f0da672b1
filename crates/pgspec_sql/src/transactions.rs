//! The document's own transaction blocks (`BEGIN; … COMMIT;`) and the statements PostgreSQL
//! refuses inside one (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …). pgspec applies each
//! statement in its own transaction, so such a statement would apply here and fail under
//! psql; the engine asks PostgreSQL for its real error instead.

use crate::ast::{self, pb, NodeEnum};
use crate::Statement;

/// For each statement, whether it sits inside a transaction block the document opened (after
/// `BEGIN`/`START TRANSACTION`, before `COMMIT`/`ROLLBACK`/`END`/`PREPARE TRANSACTION`).
pub fn inside_document_transaction(statements: &[Statement]) -> Vec<bool> {
    use pb::TransactionStmtKind as K;
    let mut open = false;
    statements
        .iter()
        .map(|stmt| {
            let here = open;
            for top in stmt.ast().into_iter().flat_map(ast::top_nodes) {
                if let NodeEnum::TransactionStmt(t) = top {
                    match K::try_from(t.kind) {
                        Ok(K::TransStmtBegin | K::TransStmtStart) => open = true,
                        Ok(K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare) => {
                            open = false;
                        }
                        _ => {}
                    }
                }
            }
            here
        })
        .collect()
}

/// Whether PostgreSQL refuses `stmt` inside a transaction block, whatever it names.
pub fn refused_in_transaction_block(stmt: &Statement) -> bool {
    stmt.first_node().is_some_and(|node| match node {
        NodeEnum::IndexStmt(i) => i.concurrent,
        NodeEnum::DropStmt(d) => d.concurrent,
        NodeEnum::VacuumStmt(v) => v.is_vacuumcmd,
        NodeEnum::ReindexStmt(r) => r.params.iter().any(
            |p| matches!(ast::node(p), Some(NodeEnum::DefElem(d)) if d.defname == "concurrently"),
        ),
        NodeEnum::CreatedbStmt(_)
        | NodeEnum::DropdbStmt(_)
        | NodeEnum::AlterSystemStmt(_)
        | NodeEnum::CreateTableSpaceStmt(_)
        | NodeEnum::DropTableSpaceStmt(_)
        | NodeEnum::CreateSubscriptionStmt(_)
        | NodeEnum::DropSubscriptionStmt(_) => true,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(sql: &str) -> Vec<Statement> {
        let (doc, _) = pgspec_document::read(format!("# T\n\n```sql\n{sql}\n```\n").as_bytes());
        crate::extract(&doc).0
    }

    #[test]
    fn blocks_and_refused_statements() {
        let s = statements(
            "CREATE INDEX CONCURRENTLY a ON t (x);\nBEGIN;\nCREATE INDEX CONCURRENTLY b ON t (x);\n\
             VACUUM t;\nANALYZE t;\nREINDEX INDEX CONCURRENTLY a;\nCOMMIT;\nVACUUM t;",
        );
        assert_eq!(
            inside_document_transaction(&s),
            [false, false, true, true, true, true, true, false]
        );
        let refused: Vec<bool> = s.iter().map(refused_in_transaction_block).collect();
        assert_eq!(refused, [true, false, true, true, false, true, false, true]);
    }
}
