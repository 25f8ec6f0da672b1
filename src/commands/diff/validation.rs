//! The plan tried on a scratch copy of FROM before it is printed, and the copy's catalog
//! compared with TO's.

use super::*;

/// Why a plan did not run on a scratch copy.
pub(super) struct Failed {
    pub(super) message: String,
    /// The server refused a privilege the scratch database's unprivileged owner lacks (an
    /// untrusted extension): says nothing about the plan.
    pub(super) privilege: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// At most this many statements go to the server in one query string.
pub(super) const BATCH: usize = 250;

/// Run `plan` on `session`; the first statement that fails, with the server's error. Runs of
/// statements that may share a transaction go as one query string each (one implicit
/// transaction, one round trip); when one fails, nothing of it stays, and its statements run
/// one by one to name the statement that fails. A privileged operation (`CREATE EXTENSION`
/// of an untrusted extension) goes alone, through the gate a document's goes through.
/// The statements come from [`on_scratch`].
pub(super) fn run_plan(
    session: &mut ApplySession,
    statements: &[diff::Statement],
) -> Result<(), Failed> {
    let alone: Vec<bool> = statements
        .iter()
        .map(|s| !s.transactional || privileged(session, &s.sql).is_some())
        .collect();
    let mut start = 0;
    while start < statements.len() {
        let end = if alone[start] {
            start + 1
        } else {
            (start..statements.len())
                .take(BATCH)
                .find(|&i| alone[i])
                .unwrap_or_else(|| (start + BATCH).min(statements.len()))
        };
        if end - start > 1 {
            let text = statements[start..end]
                .iter()
                .map(|s| s.sql.as_str())
                .collect::<Vec<_>>()
                .join("\n;\n");
            let outcome = session.apply(&text).map_err(|e| Failed {
                message: e.to_string(),
                privilege: false,
            })?;
            if outcome.is_applied() {
                start = end;
                continue;
            }
        }
        run_one_by_one(session, statements, start..end)?;
        start = end;
    }
    Ok(())
}

/// `plan`'s statements as they run on a scratch database that holds `from`: a `CREATE INDEX
/// CONCURRENTLY` on one of its ordinary tables as a plain `CREATE INDEX`, which may share the
/// batch ([`built_plainly`]).
pub(super) fn on_scratch(plan: &Plan, from: &Catalog) -> Vec<diff::Statement> {
    plan.statements
        .iter()
        .map(|s| built_plainly(s, from).unwrap_or_else(|| s.clone()))
        .collect()
}

/// `s` as a plain, transactional `CREATE INDEX` when it is a `CREATE INDEX CONCURRENTLY` on an
/// ordinary table of `from` (judged on its parse tree and the catalog). On a scratch database,
/// with no rows and no other session, both build the same index and leave the same catalog;
/// CONCURRENTLY only adds waits for other transactions and its own transaction, so that it
/// must run alone (a round trip each: a hundred at 300 tables). It stays as written where it
/// could fail differently: a partitioned or foreign table, any other statement.
pub(super) fn built_plainly(s: &diff::Statement, from: &Catalog) -> Option<diff::Statement> {
    use pgspec::postgres::catalog::TableKind;
    use pgspec::sql::ast::{self, NodeEnum};
    if s.transactional {
        return None;
    }
    // The planner writes `CREATE [UNIQUE] INDEX CONCURRENTLY name ON …`: the keyword comes
    // first, so dropping its first occurrence drops the keyword and nothing else.
    let head = [
        "CREATE INDEX CONCURRENTLY ",
        "CREATE UNIQUE INDEX CONCURRENTLY ",
    ];
    if !head.iter().any(|h| s.sql.starts_with(h)) {
        return None;
    }
    let plain = s.sql.replacen("INDEX CONCURRENTLY ", "INDEX ", 1);
    let one_index = |sql: &str| {
        let tree = ast::parse(sql)?;
        let nodes: Vec<&NodeEnum> = ast::top_nodes(&tree).collect();
        match nodes.as_slice() {
            [NodeEnum::IndexStmt(i)] => Some((
                i.concurrent,
                i.idxname.clone(),
                i.relation.as_ref().map(|r| {
                    (
                        r.schemaname.clone(),
                        r.relname.clone(),
                        r.relpersistence.clone(),
                    )
                }),
            )),
            _ => None,
        }
    };
    let (concurrent, name, relation) = one_index(&s.sql)?;
    let (schema, table, persistence) = relation?;
    let ordinary = from
        .table(&schema, &table)
        .is_some_and(|t| t.kind == TableKind::Ordinary);
    if !concurrent || schema.is_empty() || persistence != "p" || !ordinary {
        return None;
    }
    if one_index(&plain)? != (false, name, Some((schema, table, persistence))) {
        return None;
    }
    Some(diff::Statement {
        sql: plain,
        hazards: s.hazards.clone(),
        transactional: true,
    })
}

/// The privileged operation `sql` is, judged on its parse tree as a document's statement is.
pub(super) fn privileged(session: &ApplySession, sql: &str) -> Option<PrivilegedOp> {
    match safety::assess_in(sql, Some(session.database())) {
        Safety::Privileged { op, .. } => Some(op),
        _ => None,
    }
}

/// Whether `sql` is one `DROP EXTENSION`, judged on its parse tree.
pub(super) fn drops_extension(sql: &str) -> bool {
    use pgspec::sql::ast::{self, pb, NodeEnum};
    ast::parse(sql).is_some_and(|tree| {
        let nodes: Vec<&NodeEnum> = ast::top_nodes(&tree).collect();
        matches!(nodes.as_slice(), [NodeEnum::DropStmt(d)] if d.remove_type == pb::ObjectType::ObjectExtension as i32)
    })
}

/// Run `statements[range]` one at a time (see [`run_plan`]).
pub(super) fn run_one_by_one(
    session: &mut ApplySession,
    statements: &[diff::Statement],
    range: std::ops::Range<usize>,
) -> Result<(), Failed> {
    for (i, s) in statements
        .iter()
        .enumerate()
        .take(range.end)
        .skip(range.start)
    {
        let failed = |e: pgspec::postgres::ClusterError| Failed {
            message: e.to_string(),
            privilege: false,
        };
        let outcome = match privileged(session, &s.sql) {
            Some(op) => match session.privilege_check(&op).map_err(failed)? {
                PrivilegeCheck::Run => session.apply_privileged(&op).map_err(failed)?,
                PrivilegeCheck::AlreadyInPlace => continue,
                PrivilegeCheck::Refuse(reason) => {
                    return Err(Failed {
                        privilege: true,
                        message: format!(
                            "statement {} (`{}`): pgspec does not run it on a scratch database: {reason}",
                            i + 1,
                            s.sql.lines().next().unwrap_or("")
                        ),
                    })
                }
            },
            None => {
                let outcome = session.apply(&s.sql).map_err(failed)?;
                match outcome.error() {
                    // An untrusted extension pgspec created on the scratch database belongs to
                    // the superuser; its drop (pgspec's text, naming only the extension) runs
                    // there too.
                    Some(e) if e.sqlstate == "42501" && drops_extension(&s.sql) => {
                        session.apply_as_superuser(&s.sql).map_err(failed)?
                    }
                    _ => outcome,
                }
            }
        };
        if let Some(e) = outcome.error() {
            return Err(Failed {
                privilege: e.sqlstate == "42501",
                message: format!(
                    "statement {} (`{}`) failed: {}",
                    i + 1,
                    s.sql.lines().next().unwrap_or(""),
                    e.message
                ),
            });
        }
    }
    Ok(())
}

/// The objects still different after `plan` ran on a copy of FROM (to which the renames, if
/// any, were already applied), or why that could not be tried. `Ok(None)`: validated.
pub(super) fn validate(
    from: &mut Side,
    to: &Catalog,
    to_owners: &diff::Owners,
    plan: &Plan,
    options: &diff::Options,
    servers: &Servers<'_>,
) -> Result<Option<Vec<Refusal>>, String> {
    // The ownership changes as the copy has its roles (stand-ins for TO's other owners).
    let names = {
        let copy = from.working_copy(options, servers)?;
        copy.stand_ins_for(&diff::foreign_owners(to, to_owners, options))?;
        copy.owners.clone()
    };
    let owner_changes = diff::owner_changes(
        &from.catalog,
        &from.ownership,
        to,
        to_owners,
        &names,
        options,
    );
    let statements = on_scratch(plan, &from.catalog);
    let copy = from.working_copy(options, servers)?;
    if let Err(e) = run_plan(&mut copy.session, &statements) {
        if e.privilege {
            return Err(format!("the scratch database's owner may not run it: {e}"));
        }
        return Ok(Some(vec![refusal(
            "validation",
            format!("the plan does not apply to a copy of FROM: {e}"),
        )]));
    }
    if let Err(e) = copy.run_owner_changes(&owner_changes) {
        return Ok(Some(vec![refusal(
            "validation",
            format!("the ownership changes do not apply to a copy of FROM: {e}"),
        )]));
    }
    let after = copy.catalog()?;
    let owners_left =
        diff::owner_changes(&after, &copy.owners, to, to_owners, &copy.owners, options);
    // The copy's objects belong to the scratch database's owner: what FROM's owners hold is
    // not a difference.
    let options = diff::Options {
        ignore_grantees: from.owners.clone(),
        ..options.clone()
    };
    let attachments = diff::partition_copies_differ(&after, to, &options);
    if !attachments.is_empty() {
        return Ok(Some(
            attachments
                .into_iter()
                .map(|m| {
                    refusal(
                        "validation",
                        format!("after the plan ran on a copy of FROM: {m}"),
                    )
                })
                .collect(),
        ));
    }
    match diff::plan(&after, to, &options) {
        Ok(rest) if rest.is_empty() && owners_left.is_empty() => Ok(None),
        Ok(rest) => Ok(Some(
            rest.statements
                .iter()
                .chain(&owners_left)
                .map(|s| Refusal {
                    object: "validation".into(),
                    message: format!(
                        "after the plan ran on a copy of FROM, this still differs from TO: {}",
                        s.sql.lines().next().unwrap_or("")
                    ),
                })
                .collect(),
        )),
        Err(r) => Ok(Some(r)),
    }
}
