//! Why a generated column's expression is not IMMUTABLE, from its tree: it reads the clock, or
//! a text search function takes its configuration from a setting (else: the time zone).

use crate::sql::ast::{pb, NodeEnum};
use crate::sql::Statement;

/// The functions of the clock (and of chance) whose value changes from call to call.
const CLOCK_FUNCTIONS: &[&str] = &[
    "now",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "timeofday",
    "random",
    "gen_random_uuid",
    "uuid_generate_v4",
];

/// The text search functions whose one-argument form reads `default_text_search_config`.
const SEARCH_CONFIG_FUNCTIONS: &[&str] = &[
    "to_tsvector",
    "to_tsquery",
    "plainto_tsquery",
    "phraseto_tsquery",
    "websearch_to_tsquery",
];

/// The generation expressions of `stmt` (`GENERATED ALWAYS AS (…)`).
fn generation_expressions(stmt: &Statement) -> Vec<&NodeEnum> {
    use crate::sql::ast::{walk, NodeRef};
    let Some(root) = stmt.first_node() else {
        return Vec::new();
    };
    walk(root.to_ref())
        .into_iter()
        .filter_map(|node| match node {
            NodeRef::Constraint(c) if c.contype == pb::ConstrType::ConstrGenerated as i32 => {
                c.raw_expr.as_deref().and_then(|e| e.node.as_ref())
            }
            _ => None,
        })
        .collect()
}

/// Whether a generated column of `stmt` calls a text search function with one argument (the
/// configuration then comes from a setting).
pub(super) fn generated_with_the_default_search_config(stmt: &Statement) -> bool {
    use crate::sql::ast::{last_name, walk, NodeRef};
    generation_expressions(stmt).into_iter().any(|expr| {
        walk(expr.to_ref()).into_iter().any(|n| {
            matches!(n, NodeRef::FuncCall(call)
                if call.args.len() == 1
                    && last_name(&call.funcname).is_some_and(|f| SEARCH_CONFIG_FUNCTIONS.contains(&f)))
        })
    })
}

/// Whether a generated column of `stmt` reads the clock: `now()`, `CURRENT_DATE`,
/// `CURRENT_TIMESTAMP` (an SQL value function), `age(x)` (against the current date), ….
pub(super) fn generated_from_the_clock(stmt: &Statement) -> bool {
    use crate::sql::ast::{last_name, walk, NodeRef};
    generation_expressions(stmt).into_iter().any(|expr| {
        walk(expr.to_ref()).into_iter().any(|n| match n {
            NodeRef::SqlvalueFunction(_) => true,
            NodeRef::FuncCall(call) => last_name(&call.funcname).is_some_and(|name| {
                CLOCK_FUNCTIONS.contains(&name) || name == "age" && call.args.len() == 1
            }),
            _ => false,
        })
    })
}
