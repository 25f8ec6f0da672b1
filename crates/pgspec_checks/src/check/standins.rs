//! Stand-ins for an extension that cannot be installed here: pgvector. Without one, every table
//! with an embedding column would be a cascade of the failed `CREATE EXTENSION vector`, and the
//! document's tables, functions and seed data would never be checked. As assumptions (listed by
//! `up`, refused by `up --strict`), pgspec stores the vectors as `real[]`, defines pgvector's
//! distance operators over `real[]` in plain SQL, and leaves the approximate-nearest-neighbour
//! indexes out: the schema works and answers the same queries, only slower.

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
