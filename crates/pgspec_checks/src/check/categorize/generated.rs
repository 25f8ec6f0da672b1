//! Why a generated column's expression is not IMMUTABLE, from its tree: it reads the clock, or
//! a text search function takes its configuration from a setting (else: the time zone).

use crate::sql::ast::{pb, NodeEnum};
use crate::sql::Statement;

/// Why a generated column's expression is not IMMUTABLE: its help (the verdict's) and the
/// decision a person makes, from one place.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    Clock,
    SearchConfig,
    TimeZone,
}

impl Cause {
    const ALL: [Cause; 3] = [Cause::Clock, Cause::SearchConfig, Cause::TimeZone];

    /// The cause in `stmt`'s generation expressions (the time zone when no other is seen).
    pub(super) fn of(stmt: &Statement) -> Cause {
        if generated_from_the_clock(stmt) {
            Cause::Clock
        } else if generated_with_the_default_search_config(stmt) {
            Cause::SearchConfig
        } else {
            Cause::TimeZone
        }
    }

    /// The cause whose help a verdict's `help` is (what pgspec did meanwhile may follow it).
    pub(super) fn of_help(help: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| help.starts_with(c.help()))
    }

    pub(super) fn help(self) -> &'static str {
        match self {
            Cause::Clock => "a generated column is computed when its row is written and never again: an expression that reads the clock (`now()`, `CURRENT_DATE`, …) would go stale, and PostgreSQL refuses it; compute it in a query or a view instead",
            Cause::SearchConfig => "a generated column may only use IMMUTABLE expressions: `to_tsvector(text)` with one argument depends on the `default_text_search_config` setting; name the configuration, `to_tsvector('simple', …)` (or 'english', …)",
            Cause::TimeZone => "a generated column may only use IMMUTABLE expressions: `date(timestamptz)` depends on the time zone; use `(col AT TIME ZONE 'UTC')::date` or a plain column filled by a trigger",
        }
    }

    pub(super) fn decision(self) -> &'static str {
        match self {
            Cause::Clock => "the generated column's expression reads the clock, so a stored value would go stale: compute it when it is read (a query or a view), or keep a plain column that the application or a trigger sets",
            Cause::SearchConfig => "the generated column's expression depends on the `default_text_search_config` setting: name the text search configuration in it",
            Cause::TimeZone => "the generated column's expression is not IMMUTABLE (it depends on the session time zone): choose the time zone (`AT TIME ZONE 'UTC'`) or fill the column from a trigger",
        }
    }
}

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
fn generated_with_the_default_search_config(stmt: &Statement) -> bool {
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
fn generated_from_the_clock(stmt: &Statement) -> bool {
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
