//! What the superuser connection does around a scratch database: the owner roles (a role of the
//! run, or `up`'s persistent owner) created without attributes and checked for stray memberships,
//! creating and dropping the database with its roles, and removing what crashed runs left.

use super::*;

/// `<prefix>_<pid>_<counter>_<nanos>`, lowercase, at most 63 bytes.
pub(super) fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut clean: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(24)
        .collect();
    if clean.is_empty() || clean.starts_with(|c: char| c.is_ascii_digit()) {
        clean.insert_str(0, "pgspec");
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_000_000)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("{clean}_{}_{n}_{nanos}", std::process::id());
    name.truncate(63);
    name
}

/// Attributes of every owner role: it can log in, and nothing more.
pub(super) const OWNER_ATTRIBUTES: &str =
    "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT";

/// 32 hex digits from the OS's random source (a clock-and-pid mix where there is none).
pub fn random_password() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok();
    if !filled {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mix = nanos ^ (u128::from(std::process::id()) << 64);
        bytes = mix.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why pgspec will not run the document, and what the user can do.
pub(super) fn refusal(why: &str) -> String {
    format!(
        "{why}. pgspec runs a document's SQL only as a role of its own that owns nothing else \
         (never as the URL's user when it is a superuser, may create roles, belongs to other \
         roles or owns objects). Use a URL whose user has CREATEROLE and CREATEDB and a server \
         that lets pgspec's roles (pgspec_run_*, pgspec_owner_*) log in with a password, or a \
         user that owns nothing; or leave out --db to use pgspec's private cluster"
    )
}

/// Create the LOGIN role that owns one run's database, marked so that a later run drops it
/// if this process dies. Returns its OID.
pub(super) fn create_run_role(
    admin: &mut Client,
    role: &str,
    password: Option<&str>,
    superuser: bool,
) -> Result<u32, postgres::Error> {
    let marker = format!(
        "{RUN_OWNER_MARKER} (pid {}, {})",
        std::process::id(),
        os::pid_namespace()
    );
    let password = password.map_or_else(String::new, |p| format!(" PASSWORD {}", quote_literal(p)));
    admin
        .batch_execute(&format!(
        "BEGIN; CREATE ROLE {r} {OWNER_ATTRIBUTES}{password}; COMMENT ON ROLE {r} IS {m}; COMMIT",
        r = quote_ident(role),
        m = quote_literal(&marker)
    ))
        .inspect_err(|_| {
            let _ = admin.batch_execute("ROLLBACK");
        })?;
    if !superuser {
        // CREATE DATABASE … OWNER needs membership for a user that is not a superuser.
        let _ = admin.batch_execute(&format!("GRANT {} TO CURRENT_USER", quote_ident(role)));
    }
    let rows = simple_rows(
        admin,
        &format!(
            "SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}",
            quote_literal(role)
        ),
    )?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The comment on `up`'s owner role of `database`.
pub fn up_owner_marker(database: &str) -> String {
    format!("{UP_OWNER_MARKER} (database {database})")
}

/// Make sure `up`'s owner role `role` of `database` exists, is pgspec's (a role of that name
/// that pgspec did not make is refused), has no attribute but LOGIN, and belongs to no role
/// other than the ones `up` created for `database`.
pub(super) fn ensure_owner_role(
    admin: &mut Client,
    role: &str,
    database: &str,
    password: Option<&str>,
    superuser: bool,
) -> Result<(), String> {
    let text = |e: postgres::Error| error_text(&e);
    let marker = up_owner_marker(database);
    let found = simple_rows(
        admin,
        &format!(
            "SELECT pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles \
             WHERE rolname OPERATOR(pg_catalog.=) {}",
            quote_literal(role)
        ),
    )
    .map_err(text)?;
    let password_sql =
        password.map_or_else(String::new, |p| format!(" PASSWORD {}", quote_literal(p)));
    match found.first() {
        None => {
            admin
                .batch_execute(&format!(
                    "BEGIN; CREATE ROLE {r} {OWNER_ATTRIBUTES}{password_sql}; COMMENT ON ROLE {r} IS {m}; COMMIT",
                    r = quote_ident(role),
                    m = quote_literal(&marker)
                ))
                .inspect_err(|_| {
                    let _ = admin.batch_execute("ROLLBACK");
                })
                .map_err(text)?;
        }
        Some(row) if row.first().cloned().flatten().as_deref() == Some(marker.as_str()) => {
            // Settings a document gave its owner role (ALTER ROLE CURRENT_USER SET …) go too.
            admin
                .batch_execute(&format!(
                    "ALTER ROLE {r} {OWNER_ATTRIBUTES}{password_sql}; ALTER ROLE {r} RESET ALL",
                    r = quote_ident(role)
                ))
                .map_err(text)?;
            revoke_stray_memberships(admin, role, database);
        }
        Some(_) => {
            return Err(format!(
            "a role {role} exists that pgspec did not make for {database}; pgspec leaves it alone"
        ))
        }
    }
    if !superuser {
        let _ = admin.batch_execute(&format!("GRANT {} TO CURRENT_USER", quote_ident(role)));
    }
    Ok(())
}

/// Revoke `role`'s memberships in roles other than the ones created for `database`.
pub(super) fn revoke_stray_memberships(admin: &mut Client, role: &str, database: &str) {
    let query = format!(
        "SELECT g.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g \
         ON g.oid OPERATOR(pg_catalog.=) m.roleid \
         WHERE m.member OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {}) \
         AND pg_catalog.shobj_description(g.oid, 'pg_authid') IS DISTINCT FROM {}",
        quote_literal(role),
        quote_literal(&format!("{ROLE_MARKER} (database {database})"))
    );
    if let Ok(rows) = simple_rows(admin, &query) {
        for group in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let _ = admin.batch_execute(&format!(
                "REVOKE {} FROM {}",
                quote_ident(&group),
                quote_ident(role)
            ));
        }
    }
}

/// Why the connection's user must not run a document's code (None: it could harm nothing
/// but the database `scratch` it just made).
pub(super) fn user_is_unsafe(admin: &mut Client, scratch: &str) -> Option<String> {
    let sql = format!(
        "SELECT r.rolsuper, r.rolcreaterole OR r.rolreplication OR r.rolbypassrls, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member OPERATOR(pg_catalog.=) r.oid), \
         EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend d WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass \
           AND d.refobjid OPERATOR(pg_catalog.=) r.oid AND d.deptype OPERATOR(pg_catalog.=) 'o' \
           AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_database'::pg_catalog.regclass \
             AND d.objid OPERATOR(pg_catalog.=) (SELECT oid FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) {}))) \
         FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user",
        quote_literal(scratch)
    );
    let rows = match simple_rows(admin, &sql) {
        Ok(rows) => rows,
        Err(e) => return Some(format!("could not be examined ({})", error_text(&e))),
    };
    let row = rows.first()?;
    let flag = |i: usize| row.get(i).cloned().flatten().as_deref() == Some("t");
    if flag(0) {
        Some("is a superuser".into())
    } else if flag(1) {
        Some("may create roles, replicate or bypass row level security".into())
    } else if flag(2) {
        Some("is a member of other roles".into())
    } else if flag(3) {
        Some("owns objects this run did not create".into())
    } else {
        None
    }
}

/// Current names of the roles with these OIDs (those that still exist).
pub(super) fn role_names_by_oid(admin: &mut Client, roles: &[(u32, String)]) -> Vec<(u32, String)> {
    if roles.is_empty() {
        return Vec::new();
    }
    let list = roles
        .iter()
        .map(|(oid, _)| oid.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    simple_rows(
        admin,
        &format!("SELECT oid, rolname FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) ANY ('{{{list}}}'::pg_catalog.oid[])"),
    )
    .unwrap_or_default()
    .into_iter()
    .filter_map(|r| {
        let oid = r.first().cloned().flatten()?.parse().ok()?;
        let name = r.get(1).cloned().flatten()?;
        Some((oid, name))
    })
    .collect()
}

/// End every other session on `database`.
pub(super) fn terminate_sessions(admin: &mut Client, database: &str) {
    let _ = admin.batch_execute(&format!(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity \
         WHERE datname OPERATOR(pg_catalog.=) {} AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()",
        quote_literal(database)
    ));
}

/// Run `sql` (one transaction), ending the sessions on `busy` databases first and again
/// while the server says they are still being accessed.
pub(super) fn execute_terminating(
    admin: &mut Client,
    sql: &str,
    busy: &[&str],
) -> Result<(), postgres::Error> {
    let mut attempt = 0;
    loop {
        for database in busy {
            terminate_sessions(admin, database);
        }
        match admin.batch_execute(sql) {
            Ok(()) => return Ok(()),
            Err(e) => {
                let _ = admin.batch_execute("ROLLBACK");
                // 55006: still being accessed by other users (terminated backends not gone yet).
                if attempt < 50 && e.code().is_some_and(|c| c.code() == "55006") {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(100));
                } else {
                    return Err(e);
                }
            }
        }
    }
}

/// Tests make the final rename of `up --recreate` fail with `PGSPEC_TEST_FAIL_SWAP=1`, to
/// check that the old database survives.
pub(super) fn fail_swap_for_tests() -> bool {
    std::env::var_os("PGSPEC_TEST_FAIL_SWAP").is_some_and(|v| v == "1")
}

/// Drop what `up` made for `database` besides the database itself: the roles its document
/// created (marked for it) and its owner role `owner` when no other database uses it.
/// Returns the roles dropped and, for each role still in use elsewhere (another database
/// grants it privileges), why it was kept.
pub fn drop_database_roles(
    server: &Server,
    database: &str,
    owner: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), ClusterError> {
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    let marked = simple_rows(
        &mut admin,
        &format!(
            "SELECT rolname FROM pg_catalog.pg_roles \
             WHERE pg_catalog.shobj_description(oid, 'pg_authid') OPERATOR(pg_catalog.=) {} ORDER BY 1",
            quote_literal(&format!("{ROLE_MARKER} (database {database})"))
        ),
    )
    .map_err(|e| ClusterError::Server(error_text(&e)))?;
    let mut roles: Vec<String> = marked
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    if let Some(owner) = owner {
        let ours = simple_rows(
            &mut admin,
            &format!(
                "SELECT 1 FROM pg_catalog.pg_roles r WHERE rolname OPERATOR(pg_catalog.=) {} \
                 AND pg_catalog.shobj_description(r.oid, 'pg_authid') OPERATOR(pg_catalog.=) {} \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d WHERE d.datdba OPERATOR(pg_catalog.=) r.oid)",
                quote_literal(owner),
                quote_literal(&up_owner_marker(database))
            ),
        )
        .map_err(|e| ClusterError::Server(error_text(&e)))?;
        if !ours.is_empty() {
            roles.push(owner.to_string());
        }
    }
    let mut dropped = Vec::new();
    let mut failed = Vec::new();
    for role in roles {
        match admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role))) {
            Ok(()) => dropped.push(role),
            Err(e) => failed.push(format!("{role}: {}", error_text(&e))),
        }
    }
    Ok((dropped, failed))
}

/// CREATE DATABASE, owned by `owner` when possible. Returns whether it is.
pub(super) fn create_database(
    admin: &mut Client,
    name: &str,
    owner: Option<&str>,
) -> Result<bool, postgres::Error> {
    create_database_with(admin, name, owner, "")
}

/// [`create_database`] with more options (`options`, e.g. " ALLOW_CONNECTIONS false").
pub(super) fn create_database_with(
    admin: &mut Client,
    name: &str,
    owner: Option<&str>,
    options: &str,
) -> Result<bool, postgres::Error> {
    let base = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'{options}",
        quote_ident(name)
    );
    let mut attempts: Vec<(String, bool)> = Vec::new();
    if let Some(owner) = owner {
        let owner = format!(" OWNER {}", quote_ident(owner));
        attempts.push((format!("{base}{owner}"), true));
        attempts.push((format!("{base}{owner} LC_COLLATE 'C' LC_CTYPE 'C'"), true));
    }
    attempts.push((base.clone(), false));
    attempts.push((format!("{base} LC_COLLATE 'C' LC_CTYPE 'C'"), false));
    let mut last = None;
    for (sql, owned) in attempts {
        match admin.batch_execute(&sql) {
            Ok(()) => return Ok(owned),
            Err(e) => {
                let retry = e
                    .code()
                    .is_some_and(|c| matches!(c.code(), "42501" | "22023" | "42704" | "0A000"));
                if !retry {
                    return Err(e);
                }
                last = Some(e);
            }
        }
    }
    Err(last.expect("at least one attempt"))
}

pub(super) fn drop_database(
    admin: &mut Client,
    name: &str,
    force: bool,
) -> Result<(), postgres::Error> {
    if force {
        // DROP DATABASE … WITH (FORCE) ends the other sessions itself, but waits 100 ms at a
        // time for any still there; the run's own ones, just closed, end within a moment:
        // waited for here in small steps.
        wait_until_unused(admin, name, Duration::from_millis(500));
    } else {
        let _ = admin.batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
            quote_literal(name)
        ));
    }
    let sql = if force {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name))
    } else {
        format!("DROP DATABASE IF EXISTS {}", quote_ident(name))
    };
    let mut attempt = 0;
    loop {
        match admin.batch_execute(&sql) {
            // 55006: still being accessed by other users (terminated backends not gone yet).
            Err(e) if attempt < 50 && e.code().is_some_and(|c| c.code() == "55006") => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            result => return result,
        }
    }
}

/// Wait (at most `bound`) until no session is connected to `database`.
fn wait_until_unused(admin: &mut Client, database: &str, bound: Duration) {
    let sql = format!(
        "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname OPERATOR(pg_catalog.=) {}",
        quote_literal(database)
    );
    let started = Instant::now();
    loop {
        let sessions = simple_rows(admin, &sql)
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten());
        match sessions.as_deref() {
            Some("0") | None => return,
            Some(_) if started.elapsed() >= bound => return,
            Some(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Drop scratch databases of pgspec runs that died (same PID namespace, process gone) and
/// roles of scratch databases that no longer exist. Best effort.
pub(super) fn cleanup_stale(admin: &mut Client) {
    let namespace = os::pid_namespace();
    if namespace.is_empty() || !os::has_procfs() {
        return;
    }
    let databases = format!(
        "SELECT d.datname, s.description FROM pg_database d JOIN pg_shdescription s \
         ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass WHERE s.description LIKE {}",
        quote_literal(&format!("{DATABASE_MARKER} (pid %"))
    );
    if let Ok(rows) = simple_rows(admin, &databases) {
        for row in rows {
            let (Some(Some(name)), Some(Some(description))) = (row.first(), row.get(1)) else {
                continue;
            };
            let Some((pid, ns)) = description
                .strip_prefix(&format!("{DATABASE_MARKER} (pid "))
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(", "))
            else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if ns == namespace && !os::pid_alive(pid) {
                let _ = drop_database(admin, name, true);
            }
        }
    }
    let owners = format!(
        "SELECT r.rolname, s.description FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_shdescription s \
         ON s.objoid OPERATOR(pg_catalog.=) r.oid AND s.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass \
         WHERE s.description LIKE {}",
        quote_literal(&format!("{RUN_OWNER_MARKER} (pid %"))
    );
    if let Ok(rows) = simple_rows(admin, &owners) {
        for row in rows {
            let (Some(Some(name)), Some(Some(description))) = (row.first(), row.get(1)) else {
                continue;
            };
            let Some((pid, ns)) = description
                .strip_prefix(&format!("{RUN_OWNER_MARKER} (pid "))
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.split_once(", "))
            else {
                continue;
            };
            if ns == namespace && pid.parse::<u32>().is_ok_and(|pid| !os::pid_alive(pid)) {
                let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(name)));
            }
        }
    }
    let roles = format!(
        "SELECT r.rolname FROM pg_roles r JOIN pg_shdescription s \
         ON s.objoid = r.oid AND s.classoid = 'pg_authid'::regclass \
         WHERE s.description LIKE {} AND NOT EXISTS (SELECT 1 FROM pg_database d \
         WHERE s.description = {} || d.datname || ')')",
        quote_literal(&format!("{ROLE_MARKER} (database %")),
        quote_literal(&format!("{ROLE_MARKER} (database "))
    );
    if let Ok(rows) = simple_rows(admin, &roles) {
        for role in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(&role)));
        }
    }
}
