//! LNT102: a uuid (36 characters as text) is written into a varchar(n < 36) column.

use super::{query_range, writes, Context};
use crate::lint::{ast, diagnostic, Rule};

const UUID_FUNCTIONS: &[&str] = &[
    "gen_random_uuid",
    "uuid_generate_v4",
    "uuid_generate_v1",
    "uuid_generate_v7",
    "uuidv4",
    "uuidv7",
];

pub(super) fn run(ctx: &mut Context<'_>) {
    let mut found = Vec::new();
    for w in writes(ctx) {
        let Some(("FuncCall", call)) = ast::strip_casts(w.value) else {
            continue;
        };
        let Some(name) = ast::func_name(call) else {
            continue;
        };
        if !UUID_FUNCTIONS.contains(&name.as_str()) {
            continue;
        }
        let Some(col) = ctx
            .tables
            .iter()
            .find(|t| t.name == w.table)
            .and_then(|t| t.column(&w.column))
        else {
            continue;
        };
        let Some(max) = col.max_len.filter(|m| *m < 36) else {
            continue;
        };
        let at = ast::location(call).unwrap_or(0);
        found.push(
            diagnostic(
                Rule::UuidInShortVarchar,
                format!(
                    "`{name}()` gives 36 characters as text but `{}.{}` is `{}` ({max})",
                    w.table, w.column, col.type_name
                ),
                query_range(ctx, w.query, at, name.len()),
            )
            .label("36-character uuid")
            .help(format!(
                "make `{}` a `uuid` column (or varchar(36)); as written the write fails with SQLSTATE 22001 (value too long)",
                w.column
            )),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
