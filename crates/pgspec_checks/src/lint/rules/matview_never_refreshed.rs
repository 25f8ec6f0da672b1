//! LNT503: a materialized view that nothing in the document refreshes (no `REFRESH
//! MATERIALIZED VIEW` statement, function or cron job): it keeps the data of its creation.

use super::Context;
use crate::lint::{diagnostic, find_word, Rule};
use crate::sql::ObjectKind;

pub(super) fn run(ctx: &mut Context<'_>) {
    let text = ctx.doc.text.to_lowercase();
    let mut found = Vec::new();
    for view in ctx.catalog.views.iter().filter(|v| v.materialized) {
        let name = view.name.to_lowercase();
        let mut refreshed = false;
        let mut from = 0;
        while let Some(at) = find_word(&text, "refresh materialized view", from) {
            let rest = text[at + "refresh materialized view".len()..].trim_start();
            let rest = rest
                .strip_prefix("concurrently")
                .unwrap_or(rest)
                .trim_start();
            let target: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '"'))
                .collect();
            if target.trim_matches('"').rsplit('.').next() == Some(name.as_str()) {
                refreshed = true;
                break;
            }
            from = at + 1;
        }
        if refreshed {
            continue;
        }
        let Some(stmt) = ctx.creator(ObjectKind::Relation, &view.name) else {
            continue;
        };
        found.push(
            diagnostic(
                Rule::MatviewNeverRefreshed,
                format!("materialized view `{}` is never refreshed", view.name),
                ctx.stmt_head(stmt),
            )
            .help(format!("schedule `REFRESH MATERIALIZED VIEW CONCURRENTLY {0}` (pg_cron, with a unique index on {0}) or refresh it where its sources change", view.name)),
        );
    }
    for d in found {
        ctx.push(d);
    }
}
