//! Stand-ins for extensions that cannot be installed here: pgvector, TimescaleDB and Citus.
//! Without one, every table with an embedding column would be a cascade of the failed
//! `CREATE EXTENSION vector`, and the document's tables, functions and seed data would never be
//! checked. As assumptions (listed by `up`, refused by `up --strict`), pgspec stores the vectors
//! as `real[]`, defines pgvector's distance operators over `real[]` in plain SQL, and leaves the
//! approximate-nearest-neighbour indexes out: the schema works and answers the same queries,
//! only slower. TimescaleDB's hypertables and Citus's distributed tables stay plain tables:
//! the calls that would convert them are left out, and `time_bucket` is PostgreSQL's
//! `date_bin` with TimescaleDB's default origin.

use crate::diagnostics::{Applicability, Fix};
use crate::document::Document;
use crate::sql::ast::{self, pb, NodeEnum, NodeRef};
use crate::sql::quote::quote_ident;
use crate::sql::Statement;

use super::plan::{mask_quotes_and_comments, matching_paren, FixPlan};
use super::rewrites::{edit_plan, skip_ws};

/// pgvector's column types.
const VECTOR_TYPES: &[&str] = &["vector", "halfvec", "sparsevec"];

/// pgvector's index access methods (approximate nearest neighbour).
const VECTOR_INDEX_METHODS: &[&str] = &["hnsw", "ivfflat"];

/// pgvector's distance functions and their operators, computed over `real[]` pairs
/// (`pair.x`, `pair.y` as double precision).
const DISTANCES: &[(&str, &str, &str)] = &[
    ("l2_distance", "<->", "sqrt(sum((pair.x - pair.y) ^ 2))"),
    (
        "cosine_distance",
        "<=>",
        "1 - sum(pair.x * pair.y) / nullif(sqrt(sum(pair.x ^ 2)) * sqrt(sum(pair.y ^ 2)), 0)",
    ),
    (
        "vector_negative_inner_product",
        "<#>",
        "-sum(pair.x * pair.y)",
    ),
    ("l1_distance", "<+>", "sum(abs(pair.x - pair.y))"),
];

/// The assumption for a statement that failed because pgvector is missing: the extension
/// replaced by the stand-in, an index of pgvector's left out, or the statement with its vector
/// types as `real[]`.
pub(super) fn pgvector(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    match stmt.first_node()? {
        NodeEnum::CreateExtensionStmt(create) if create.extname == "vector" => {
            Some(extension_stand_in(&create.options))
        }
        NodeEnum::IndexStmt(index)
            if VECTOR_INDEX_METHODS.contains(&index.access_method.as_str()) =>
        {
            Some(index_left_out(&index.access_method))
        }
        _ => vector_types_as_real_arrays(doc, stmt),
    }
}

/// A plan that runs `sql` instead of the statement and edits nothing in the document (what it
/// does is pgspec's stand-in, not a change the document should make).
fn instead(title: String, sql: String) -> FixPlan {
    FixPlan {
        fix: Fix {
            title,
            applicability: Applicability::Assumption,
            edits: Vec::new(),
        },
        superuser_before: Vec::new(),
        before: Vec::new(),
        replacement: Some(sql),
        after: Vec::new(),
        chained: 0,
        assumed: false,
    }
}

/// `CREATE EXTENSION vector [SCHEMA s]`: the distance functions and operators over `real[]`, in
/// the schema the extension would have gone to.
fn extension_stand_in(options: &[pb::Node]) -> FixPlan {
    let schema = options.iter().find_map(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname == "schema" => {
            d.arg.as_ref().and_then(|a| match &a.node {
                Some(NodeEnum::String(s)) => Some(s.sval.clone()),
                _ => None,
            })
        }
        _ => None,
    });
    let qualify = |name: &str| match &schema {
        Some(s) => format!("{}.{name}", quote_ident(s)),
        None => name.to_string(),
    };
    let mut sql = String::new();
    for (function, operator, expression) in DISTANCES {
        sql.push_str(&format!(
            "CREATE FUNCTION {f}(real[], real[]) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE \
             AS $$ SELECT {expression} FROM unnest($1::double precision[], $2::double precision[]) AS pair(x, y) $$;\n\
             CREATE OPERATOR {o} (LEFTARG = real[], RIGHTARG = real[], FUNCTION = {f});\n",
            f = qualify(function),
            o = match &schema {
                Some(s) => format!("{}.{operator}", quote_ident(s)),
                None => (*operator).to_string(),
            },
        ));
    }
    sql.push_str(&format!(
        "CREATE FUNCTION {}(real[], real[]) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE \
         AS $$ SELECT sum(pair.x * pair.y) FROM unnest($1::double precision[], $2::double precision[]) AS pair(x, y) $$;\n\
         CREATE FUNCTION {}(real[]) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT cardinality($1) $$;",
        qualify("inner_product"),
        qualify("vector_dims"),
    ));
    instead(
        "assume pgvector's stand-in: pgvector is not installable here, so pgspec stores vectors as `real[]` and defines \
         its distance operators (`<->`, `<=>`, `<#>`, `<+>`) and functions over `real[]` in SQL; install pgvector for \
         its index types and speed"
            .into(),
        sql,
    )
}

/// `CREATE INDEX … USING hnsw|ivfflat`: left out (no stand-in indexes an array by distance).
fn index_left_out(method: &str) -> FixPlan {
    instead(
        format!(
            "assume the `{method}` index is left out: it is pgvector's approximate-nearest-neighbour index, and \
             without pgvector nearest-neighbour queries scan the table"
        ),
        String::new(),
    )
}

/// Every pgvector type the statement names (`vector(1536)`, `extensions.vector`) as `real[]`.
fn vector_types_as_real_arrays(doc: &Document, stmt: &Statement) -> Option<FixPlan> {
    let root = stmt.first_node()?;
    let masked = mask_quotes_and_comments(&stmt.text);
    let lower = masked.to_ascii_lowercase();
    let mut edits = Vec::new();
    for node in ast::walk(root.to_ref()) {
        let NodeRef::TypeName(t) = node else {
            continue;
        };
        let parts = ast::names(&t.names);
        let Some(name) = parts.last().copied().filter(|n| VECTOR_TYPES.contains(n)) else {
            continue;
        };
        let Ok(start) = usize::try_from(t.location) else {
            continue;
        };
        // The name ends at its last part (after any schema); modifiers follow in parentheses.
        let Some(name_end) = lower
            .get(start..)
            .and_then(|rest| rest.find(name))
            .map(|at| start + at + name.len())
        else {
            continue;
        };
        let after = skip_ws(&lower, name_end);
        let end = if lower[after..].starts_with('(') {
            match matching_paren(&masked, after) {
                Some(close) => close + 1,
                None => continue,
            }
        } else {
            name_end
        };
        edits.push((start..end, "real[]".to_string()));
    }
    if edits.is_empty() {
        return None;
    }
    edits.dedup_by_key(|(range, _)| range.start);
    Some(edit_plan(
        doc,
        stmt,
        "assume vectors are stored as `real[]`: pgvector is not installable here (no dimension check, no \
         approximate index; the distance operators come from pgspec's stand-in)"
            .into(),
        Applicability::Assumption,
        edits,
    ))
}

/// TimescaleDB's and Citus's functions that turn a plain table into one of theirs (or manage
/// what those are): a statement that only calls them is left out, the table staying plain.
const DISTRIBUTION_CALLS: &[&str] = &[
    "create_hypertable",
    "add_retention_policy",
    "remove_retention_policy",
    "add_compression_policy",
    "remove_compression_policy",
    "add_continuous_aggregate_policy",
    "add_reorder_policy",
    "set_chunk_time_interval",
    "create_distributed_table",
    "create_reference_table",
    "create_distributed_function",
    "undistribute_table",
    "alter_distributed_table",
    "citus_add_node",
    "master_add_node",
];

/// `time_bucket` over timestamps and dates as `date_bin` (PostgreSQL 14+) with TimescaleDB's
/// default origin (Monday 2000-01-03), for buckets of a fixed length.
const TIME_BUCKET: &str = "\
CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz \
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_bin(bucket_width, ts, timestamptz '2000-01-03 00:00:00+00') $$;
CREATE FUNCTION time_bucket(bucket_width interval, ts timestamp) RETURNS timestamp \
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_bin(bucket_width, ts, timestamp '2000-01-03 00:00:00') $$;
CREATE FUNCTION time_bucket(bucket_width interval, ts date) RETURNS date \
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_bin(bucket_width, ts::timestamp, timestamp '2000-01-03 00:00:00')::date $$;";

/// The assumption for a statement that failed because TimescaleDB or Citus (`extension`) is
/// missing: `CREATE EXTENSION` replaced by the stand-in (`time_bucket` for TimescaleDB,
/// nothing for Citus), a statement that only converts tables left out, a statement that uses
/// `time_bucket` run after the stand-in.
pub(super) fn distribution(stmt: &Statement, extension: &str) -> Option<FixPlan> {
    let product = match extension {
        "timescaledb" => "TimescaleDB",
        "citus" => "Citus",
        _ => return None,
    };
    let root = stmt.first_node()?;
    if let NodeEnum::CreateExtensionStmt(create) = root {
        if create.extname != extension {
            return None;
        }
        let sql = if extension == "timescaledb" {
            TIME_BUCKET.to_string()
        } else {
            String::new()
        };
        return Some(instead(
            format!(
                "assume {product}'s stand-in: {product} is not installable here, so its tables stay plain \
                 PostgreSQL tables{}",
                if sql.is_empty() {
                    ""
                } else {
                    " and `time_bucket` is `date_bin` with TimescaleDB's default origin"
                }
            ),
            sql,
        ));
    }
    let calls: Vec<String> = ast::called_functions(root.to_ref());
    if let NodeEnum::SelectStmt(select) = root {
        let converts = !calls.is_empty()
            && calls
                .iter()
                .all(|c| DISTRIBUTION_CALLS.contains(&c.as_str()))
            && select.where_clause.is_none();
        if converts {
            return Some(instead(
                format!(
                    "assume `{}` is left out: {product} is not installable here, so the table stays a plain PostgreSQL table",
                    calls[0]
                ),
                String::new(),
            ));
        }
    }
    if extension == "timescaledb" && calls.iter().any(|c| c == "time_bucket") {
        let mut plan = instead(
            "assume TimescaleDB's `time_bucket` stand-in: PostgreSQL's `date_bin` with TimescaleDB's default origin".into(),
            stmt.text.clone(),
        );
        plan.before = vec![TIME_BUCKET.to_string()];
        plan.replacement = None;
        return Some(plan);
    }
    None
}
