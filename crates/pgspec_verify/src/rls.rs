//! Row-level security isolation: for each table whose policies key rows on a user setting
//! (`current_setting('app.current_user_id')`, `auth.uid()`, `request.jwt.claims`), act as two
//! users (a fresh non-superuser role created inside the rolled-back transaction, plus the
//! setting) and prove that neither can SELECT, UPDATE, DELETE or INSERT the other's rows.

use crate::sql::policy::{user_key, UserKey};
use crate::sql::quote::quote_literal as lit;

use crate::postgres::client::{Client, Transaction};
use serde_json::json;

use crate::postgres::catalog::probes;
use crate::seed::bounded::{self, statement_bound, DocumentConnection};
use crate::seed::plan::{quote_ident, Plan};

use super::{Claim, ClaimKind, Claims, Status};

/// A policy-protected table and how its policies identify the user.
#[derive(Clone, Debug)]
pub struct Keyed {
    pub schema: String,
    pub table: String,
    pub policies: Vec<String>,
    pub roles: Vec<String>,
    /// The column compared with the user identity.
    pub column: Option<String>,
    /// `current_setting` names the policies read (besides the JWT ones).
    pub settings: Vec<String>,
    pub rls_enabled: bool,
    /// USING expressions of SELECT policies that do not key on the user (e.g. `is_public`):
    /// rows they admit are shared on purpose.
    pub shared: Vec<String>,
    /// Every policy: (command, USING, keyed on the user).
    pub all: Vec<(String, Option<String>, bool)>,
}

impl Keyed {
    /// Conditions under which a row of another user is reachable on purpose for `cmd`: the
    /// user-keyed policies' own other paths (a restaurant owner sees its restaurants' orders),
    /// and for SELECT the shared ones.
    fn explained(&self, cmd: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .all
            .iter()
            .filter(|(c, q, keyed)| *keyed && q.is_some() && (c == cmd || c == "ALL"))
            .filter_map(|(_, q, _)| q.clone())
            .collect();
        if cmd == "SELECT" {
            out.extend(self.shared.iter().cloned());
        }
        out
    }

    /// Whether an INSERT/ALL policy lets rows in without looking at the user.
    fn unkeyed_insert(&self) -> bool {
        self.all
            .iter()
            .any(|(c, _, keyed)| !keyed && (c == "INSERT" || c == "ALL"))
    }
}

fn not_explained(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!(" AND NOT COALESCE(({}), false)", conds.join(") OR ("))
    }
}

/// The column a policy compares with the acting user, the settings it reads, and whether it
/// looks at the user at all: read from the tree of its USING and WITH CHECK expressions.
fn owner_column(expressions: &[Option<&str>]) -> (Option<String>, Vec<String>, bool) {
    let keys: Vec<UserKey> = expressions.iter().flatten().map(|e| user_key(e)).collect();
    let column = keys.iter().find_map(|k| k.column.clone());
    let mut settings: Vec<String> = Vec::new();
    for s in keys.iter().flat_map(|k| k.settings.iter()) {
        if !settings.contains(s) {
            settings.push(s.clone());
        }
    }
    (column, settings, keys.iter().any(|k| k.reads_user))
}

/// Tables with policies keyed on a user setting.
pub fn keyed_tables(admin: &mut Client) -> Vec<Keyed> {
    let Ok(rows) = probes::policies(admin) else {
        return Vec::new();
    };
    let mut out: Vec<Keyed> = Vec::new();
    let mut shared: Vec<(String, String, String)> = Vec::new();
    let mut all: Vec<(String, String, String, Option<String>, bool)> = Vec::new();
    for r in rows {
        let (column, settings, keyed) =
            owner_column(&[r.using.as_deref(), r.with_check.as_deref()]);
        let cmd = r.command.clone();
        let qual = r.using.clone();
        all.push((
            r.schema.clone(),
            r.table.clone(),
            cmd.clone(),
            qual.clone(),
            keyed,
        ));
        if !keyed {
            // A SELECT policy `USING (true)` states that everyone reads every row (Supabase's
            // "public profiles are viewable by everyone"); a FOR ALL one opens the writes too,
            // which no design means: that stays a leak.
            if let Some(q) =
                qual.filter(|q| cmd == "SELECT" || (cmd == "ALL" && q.trim() != "true"))
            {
                shared.push((r.schema.clone(), r.table.clone(), q));
            }
            continue;
        }
        let (schema, table) = (r.schema.clone(), r.table.clone());
        let roles = r.roles.clone();
        let idx = out
            .iter()
            .position(|k| k.schema == schema && k.table == table);
        let k = match idx {
            Some(i) => &mut out[i],
            None => {
                out.push(Keyed {
                    schema,
                    table,
                    policies: Vec::new(),
                    roles: Vec::new(),
                    column: None,
                    settings: Vec::new(),
                    rls_enabled: r.rls_enabled,
                    shared: Vec::new(),
                    all: Vec::new(),
                });
                out.last_mut().expect("invariant: just pushed")
            }
        };
        k.policies.push(r.name.clone());
        for role in roles {
            if role != "public" && !k.roles.contains(&role) {
                k.roles.push(role);
            }
        }
        if k.column.is_none() {
            k.column = column;
        }
        for s in settings {
            if !k.settings.contains(&s) {
                k.settings.push(s);
            }
        }
    }
    for (schema, table, qual) in shared {
        if let Some(k) = out
            .iter_mut()
            .find(|k| k.schema == schema && k.table == table)
        {
            k.shared.push(qual);
        }
    }
    for (schema, table, cmd, qual, is_keyed) in all {
        if let Some(k) = out
            .iter_mut()
            .find(|k| k.schema == schema && k.table == table)
        {
            k.all.push((cmd, qual, is_keyed));
        }
    }
    out
}

fn count(tx: &mut Transaction<'_>, sql: &str) -> Result<i64, crate::postgres::client::Error> {
    tx.query_one(sql, &[]).map(|r| r.get(0))
}

fn act_as(
    tx: &mut Transaction<'_>,
    k: &Keyed,
    user: &str,
) -> Result<(), crate::postgres::client::Error> {
    let claims = json!({ "sub": user, "role": "authenticated" }).to_string();
    let mut sql = String::from("SELECT ");
    let mut parts = vec![
        format!("set_config('request.jwt.claims', {}, true)", lit(&claims)),
        format!("set_config('request.jwt.claim.sub', {}, true)", lit(user)),
        format!("set_config('request.jwt.claim.role', 'authenticated', true)"),
    ];
    for s in &k.settings {
        if !s.starts_with("request.jwt") {
            parts.push(format!("set_config({}, {}, true)", lit(s), lit(user)));
        }
    }
    sql.push_str(&parts.join(", "));
    tx.batch_execute(&sql)
}

/// The roles of `roles` the acting role may be given: made by pgspec for a document (marked),
/// not superusers, not predefined.
fn granted_roles(admin: &mut Client, roles: &[String]) -> Vec<String> {
    if roles.is_empty() {
        return Vec::new();
    }
    probes::marked_roles(admin, roles, crate::postgres::session::ROLE_MARKER).unwrap_or_default()
}

/// Check isolation on every keyed table.
#[allow(clippy::too_many_lines)]
pub fn run(
    admin: &mut Client,
    app: &mut DocumentConnection<'_>,
    catalog: &Plan,
    keyed: &[Keyed],
    line_of: &dyn Fn(&str) -> (u32, crate::text::TextRange),
    claims: &mut Claims<'_>,
) {
    let app_user: String = app
        .run(statement_bound(), |c| {
            c.query_one("SELECT current_user::text", &[])
        })
        .ok()
        .and_then(|ran| ran.value.ok())
        .map_or_else(String::new, |r| r.get(0));
    for k in keyed {
        let (line, range) = line_of(k.policies.first().map_or("", String::as_str));
        let mut claim = Claim {
            kind: ClaimKind::Rls,
            line,
            title: format!(
                "users cannot cross rows of {}.{} ({})",
                k.schema,
                k.table,
                k.policies.join(", ")
            ),
            status: Status::Pass,
            reason: None,
            evidence: json!({}),
            range,
        };
        let Some(column) = k.column.clone() else {
            claim.status = Status::Skipped;
            claim.reason = Some(
                "no policy compares a column with the user identity in a form pgspec reads".into(),
            );
            claims.push(claim);
            continue;
        };
        let Some(table) = catalog
            .tables
            .iter()
            .find(|t| t.schema == k.schema && t.name == k.table)
        else {
            claim.status = Status::Skipped;
            claim.reason = Some("the table is not in the database".into());
            claims.push(claim);
            continue;
        };
        if table.column_named(&column).is_none() {
            claim.status = Status::Skipped;
            claim.reason = Some(format!(
                "the policies compare `{column}` with the user identity, and `{}` has no such column (a column of another table?)",
                k.table
            ));
            claims.push(claim);
            continue;
        }
        let qt = table.qualified();
        let qc = quote_ident(&column);
        // The acting role exists (committed) only for this check: the superuser creates it and
        // lets the document's own role switch to it, so the policies and everything they call
        // run on the unprivileged connection, from which no RESET ROLE leads anywhere higher.
        let role = format!("pgspec_verify_{}_{}", std::process::id(), claims.len());
        let r = quote_ident(&role);
        let s_q = quote_ident(&table.schema);
        let setup = admin.batch_execute(&format!(
            "CREATE ROLE {r} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; GRANT {r} TO {}",
            quote_ident(&app_user)
        ));
        if let Err(e) = setup {
            claim.status = Status::Skipped;
            claim.reason = Some(format!(
                "cannot create a role to act as: {}",
                crate::postgres::cluster::error_text(&e)
            ));
            claims.push(claim);
            continue;
        }
        for grant in [
            format!("GRANT USAGE ON SCHEMA {s_q} TO {r}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {qt} TO {r}"),
            // Policies may read other tables (their own RLS still applies).
            format!("GRANT SELECT ON ALL TABLES IN SCHEMA {s_q} TO {r}"),
            format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s_q} TO {r}"),
            format!("GRANT USAGE ON SCHEMA auth TO {r}"),
        ]
        .into_iter()
        .chain(
            // Only roles the document created: membership in any other (a superuser, a
            // predefined `pg_*` role, a role of another database) would let the document's
            // code switch to it with SET ROLE inside this check.
            granted_roles(admin, &k.roles)
                .iter()
                .map(|role_name| format!("GRANT {} TO {r}", quote_ident(role_name))),
        ) {
            let _ = admin.batch_execute(&grant);
        }
        let ran = app.run_each(statement_bound(), |app, tick| -> Result<Claim, crate::postgres::client::Error> {
            tick.next();
            let mut tx = app.transaction()?;
            tx.batch_execute(&bounded::set_statement_timeout(true, statement_bound()))?;
            tick.next();
            let users: Vec<String> = tx
                .query(
                    &format!("SELECT DISTINCT {qc}::text FROM {qt} WHERE {qc} IS NOT NULL LIMIT 2"),
                    &[],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if users.len() < 2 {
                let mut c = claim.clone();
                c.status = Status::Skipped;
                c.reason = Some(format!(
                    "fewer than two distinct `{column}` values in the table (seed it first)"
                ));
                return Ok(c);
            }
            let mut per_user = Vec::new();
            let mut leaks = Vec::new();
            let insert_cols: Vec<String> = table
                .columns
                .iter()
                .filter(|c| {
                    let defaulted_key = c.has_default
                        && table.uniques.iter().any(|u| {
                            u.primary && u.columns.iter().any(|i| table.columns[*i].name == c.name)
                        });
                    !c.generated && !c.identity && !defaulted_key
                })
                .map(|c| c.name.clone())
                .collect();
            for (me, other) in [(&users[0], &users[1]), (&users[1], &users[0])] {
                tick.next();
                tx.batch_execute(&format!("SAVEPOINT as_user; SET LOCAL ROLE {r}"))?;
                tick.next();
                act_as(&mut tx, k, me)?;
                tick.next();
                let own = count(
                    &mut tx,
                    &format!("SELECT count(*) FROM {qt} WHERE {qc}::text = {}", lit(me)),
                )?;
                let shared = not_explained(&k.explained("SELECT"));
                tick.next();
                let foreign = count(
                    &mut tx,
                    &format!(
                        "SELECT count(*) FROM {qt} WHERE {qc}::text IS DISTINCT FROM {}{shared}",
                        lit(me)
                    ),
                )?;
                let shared_rows = if shared.is_empty() {
                    0
                } else {
                    tick.next();
                    count(
                        &mut tx,
                        &format!(
                            "SELECT count(*) FROM {qt} WHERE {qc}::text IS DISTINCT FROM {}",
                            lit(me)
                        ),
                    )? - foreign
                };
                tick.next();
                tx.batch_execute("SAVEPOINT w")?;
                tick.next();
                let updated = tx
                    .execute(
                        &format!(
                            "UPDATE {qt} SET {qc} = {qc} WHERE {qc}::text IS DISTINCT FROM {}{}",
                            lit(me),
                            not_explained(&k.explained("UPDATE"))
                        ),
                        &[],
                    )
                    .map_or_else(|e| refused(&e), |n| n.to_string());
                tick.next();
                tx.batch_execute("ROLLBACK TO SAVEPOINT w")?;
                tick.next();
                let deleted = tx
                    .execute(
                        &format!(
                            "DELETE FROM {qt} WHERE {qc}::text IS DISTINCT FROM {}{}",
                            lit(me),
                            not_explained(&k.explained("DELETE"))
                        ),
                        &[],
                    )
                    .map_or_else(|e| refused(&e), |n| n.to_string());
                tick.next();
                tx.batch_execute("ROLLBACK TO SAVEPOINT w")?;
                let cols: Vec<String> = insert_cols.iter().map(|c| quote_ident(c)).collect();
                let exprs: Vec<String> = insert_cols
                    .iter()
                    .map(|c| {
                        if *c == column {
                            format!(
                                "{}::text::{}",
                                lit(other),
                                table.columns[table.column_named(c).unwrap_or(0)].type_sql
                            )
                        } else {
                            quote_ident(c)
                        }
                    })
                    .collect();
                let insert_sql = format!(
                    "INSERT INTO {qt} ({}) SELECT {} FROM {qt} WHERE {qc}::text = {} LIMIT 1",
                    cols.join(", "),
                    exprs.join(", "),
                    lit(me)
                );
                tick.next();
                let inserted = match tx.execute(insert_sql.as_str(), &[]) {
                    Ok(0) => "no own row to copy".to_string(),
                    Ok(n) => format!("inserted {n}"),
                    Err(e) => match e.as_db_error() {
                        Some(d) if d.code().code() == "42501" => "denied".to_string(),
                        Some(d) if d.code().code().starts_with("23") => {
                            format!("passed the policy, then: {}", d.message())
                        }
                        Some(d) => format!("error: {}", d.message()),
                        None => format!("error: {e}"),
                    },
                };
                tick.next();
                tx.batch_execute("ROLLBACK TO SAVEPOINT as_user")?;
                if foreign > 0 {
                    leaks.push(format!(
                        "as {me}: SELECT sees {foreign} rows of other users"
                    ));
                }
                if updated.parse::<u64>().is_ok_and(|n| n > 0) {
                    leaks.push(format!(
                        "as {me}: UPDATE changed {updated} rows of other users"
                    ));
                }
                if deleted.parse::<u64>().is_ok_and(|n| n > 0) {
                    leaks.push(format!(
                        "as {me}: DELETE removed {deleted} rows of other users"
                    ));
                }
                if (inserted.starts_with("inserted") || inserted.starts_with("passed"))
                    && k.unkeyed_insert()
                {
                    leaks.push(format!("as {me}: INSERT of a row for {other} {inserted}"));
                }
                per_user.push(json!({
                    "user": me, "own_rows_visible": own, "other_rows_visible": foreign, "explained_rows_visible": shared_rows,
                    "update_other": updated, "delete_other": deleted, "insert_for_other": inserted,
                }));
            }
            let mut c = claim.clone();
            c.evidence = json!({ "column": column, "settings": k.settings, "rls_enabled": k.rls_enabled, "shared_by": k.shared, "as": per_user });
            if !leaks.is_empty() {
                c.status = Status::Fail;
                c.reason = Some(leaks.join("; "));
            }
            Ok(c)
        });
        let result = match super::calls::stop_of(ran) {
            Ok(result) => result,
            Err(why) => {
                let mut c = claim.clone();
                // Isolation that cannot be shown within the bound is not shown.
                c.status = Status::Skipped;
                c.reason = Some(format!("the check {}", why.reason));
                Ok(c)
            }
        };
        let _ = admin.batch_execute(&format!("DROP OWNED BY {r}; DROP ROLE IF EXISTS {r}"));
        claims.push(match result {
            Ok(c) => c,
            Err(e) => {
                claim.status = Status::Skipped;
                claim.reason = Some(crate::postgres::cluster::error_text(&e));
                claim
            }
        });
    }
}

/// What a write the server refused says in the evidence: `refused: <the server's message>`.
fn refused(e: &crate::postgres::client::Error) -> String {
    format!(
        "refused: {}",
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::owner_column;

    #[test]
    fn policy_shapes() {
        let column = |e: &str| owner_column(&[Some(e)]).0;
        assert_eq!(
            column("(user_id = (current_setting('app.current_user_id'::text))::uuid)").as_deref(),
            Some("user_id")
        );
        assert_eq!(column("(user_id = auth.uid())").as_deref(), Some("user_id"));
        assert_eq!(
            column("(auth.uid() = owner_id)").as_deref(),
            Some("owner_id")
        );
        // A cast on the column's side (how pg_policies prints a varchar compared with text).
        assert_eq!(
            column("((correo)::text = current_setting('app.correo'::text, true))").as_deref(),
            Some("correo")
        );
        let (_, settings, keyed) = owner_column(&[
            Some("(tenant_id = (SELECT current_setting('app.tenant'::text)::uuid))"),
            Some("(owner = current_setting('app.user'::text))"),
        ]);
        assert_eq!(settings, ["app.tenant", "app.user"]);
        assert!(keyed);
        assert!(!owner_column(&[Some("(is_public = true)"), None]).2);
    }
}
