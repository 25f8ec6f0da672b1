//! "One or more" relationships a diagram draws (`ORDER ||--|{ ORDER_ITEM`): every parent row
//! has at least one child row through the foreign key between them. No constraint of
//! PostgreSQL enforces it, so the claim is checked on the rows.

use serde_json::json;

use crate::seed::bounded::{statement_bound, DocumentConnection};
use crate::seed::plan::{quote_ident, Plan};
use crate::text::TextRange;

use pgspec_schema::required::RequiredChild;

use super::{Claim, ClaimKind, Claims, Status};

/// A claim per relationship whose two tables the database has with a foreign key between
/// them (without one, DRF006 already says the diagram draws what the SQL lacks).
pub fn run(
    app: &mut DocumentConnection<'_>,
    catalog: &Plan,
    required: &[RequiredChild],
    line_of: &dyn Fn(TextRange) -> u32,
    claims: &mut Claims<'_>,
) {
    let named = |n: &str| catalog.tables.iter().find(|t| t.name.to_lowercase() == n);
    for r in required {
        let (Some(parent), Some(child)) = (named(&r.parent), named(&r.child)) else {
            continue;
        };
        let Some(fk) = child.fks.iter().find(|f| f.ref_table == parent.oid) else {
            continue;
        };
        let pairs: Vec<String> = fk
            .columns
            .iter()
            .zip(&fk.ref_attnums)
            .filter_map(|(c, a)| {
                let pc = parent.column_index(*a)?;
                Some(format!(
                    "c.{} = p.{}",
                    quote_ident(&child.columns[*c].name),
                    quote_ident(&parent.columns[pc].name)
                ))
            })
            .collect();
        if pairs.len() != fk.columns.len() {
            continue;
        }
        let sql = format!(
            "SELECT pg_catalog.count(*) FROM {} p WHERE NOT EXISTS (SELECT 1 FROM {} c WHERE {})",
            parent.qualified(),
            child.qualified(),
            pairs.join(" AND ")
        );
        let ran = app.run(statement_bound(), |c| c.query_one(sql.as_str(), &[]));
        let (status, reason, evidence) = match ran.map(|r| r.value) {
            Ok(Ok(row)) => {
                let without: i64 = row.get(0);
                if without == 0 {
                    (Status::Pass, None, json!({"statement": sql, "rows": 0}))
                } else {
                    (
                        Status::Fail,
                        Some(format!(
                            "{without} {} rows have no {} row",
                            parent.display_name(),
                            child.display_name()
                        )),
                        json!({"statement": sql, "rows": without}),
                    )
                }
            }
            Ok(Err(e)) => (
                Status::Skipped,
                Some(crate::postgres::cluster::error_text(&e)),
                json!({"statement": sql}),
            ),
            Err(e) => (
                Status::Skipped,
                Some(format!("was not run: {e}")),
                json!({"statement": sql}),
            ),
        };
        claims.push(Claim {
            kind: ClaimKind::Constraint,
            line: line_of(r.span),
            title: format!(
                "every {} row has at least one {} row (`{}`)",
                parent.display_name(),
                child.display_name(),
                fk.name
            ),
            status,
            reason,
            evidence,
            range: r.span,
        });
    }
}
