//! `up` / `down`: bring the system a document describes up as a persistent database, applied
//! with every safe fix, and take it down again. Built on `check`: the document is applied to a
//! scratch database, which is promoted (renamed and kept) once it is complete.

use crate::sql::quote::{comment_text, quote_literal_any_mode as quote_literal};
use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::{self, CheckOptions, CheckReport};
use crate::document::Document;
use crate::pipeline::Extracted;
use crate::postgres::session::OwnerSpec;
use crate::postgres::{ApplySession, ClusterError, ScratchDatabase, Server};
use crate::sql::quote::quote_ident;
use crate::sql::ObjectKind;
use crate::ProvisionAction;

mod script;

pub use script::system_script;
#[cfg(test)]
use script::{dollar_quoted, terminated};

/// Months after the current one that `up` makes sure have a partition.
const PARTITION_MONTHS_AHEAD: u32 = 3;

/// Prefix of the comment `up` puts on the databases it owns.
const UP_MARKER: &str = "pgspec up:";

/// Whether `up` created the database, found it current, or found it stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpStatus {
    Created,
    Recreated,
    Unchanged,
    /// The document changed since the database was brought up: migrate, or `--recreate`.
    NeedsMigration,
    /// `--strict`: a statement needs a person's decision, so nothing was built (the check
    /// report says which and the alternatives).
    Refused,
}

/// Catalog count next to what the document's statements create, for one kind of object.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectCount {
    pub kind: String,
    /// Objects of this kind in the database after `up`.
    pub in_database: u64,
    /// Statements of the document that create an object of this kind (None: not tracked).
    pub in_document: Option<u64>,
}

/// The product of `up`.
#[derive(Debug)]
pub struct UpReport {
    pub status: UpStatus,
    pub database: String,
    /// libpq URL of the database (no password).
    pub connection: String,
    pub objects: Vec<ObjectCount>,
    /// Roles created for the document (cluster-wide).
    pub roles: Vec<String>,
    /// What pgspec added beyond the document: partitions, default partitions, platform shims.
    pub provisioned: Vec<ProvisionAction>,
    /// The apply report (absent when nothing was applied: unchanged / needs migration).
    pub check: Option<(Document, CheckReport)>,
}

/// Stable 64-bit FNV-1a of the document bytes: the database remembers which text it was built
/// from (`std`'s hasher is not stable across Rust releases).
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The document's canonical path (symlinks and `..` resolved; relative to the current
/// directory when the file does not exist), as text: what names its database.
fn canonical_path(path: &str) -> String {
    let p = std::path::Path::new(path);
    std::fs::canonicalize(p)
        .or_else(|_| std::env::current_dir().map(|d| d.join(p)))
        .unwrap_or_else(|_| p.to_path_buf())
        .to_string_lossy()
        .to_string()
}

/// Identity of a document file: the fingerprint of its canonical path. `up` writes it into the
/// database's comment; `seed`, `verify` and `down` compare it before they touch the database.
pub fn document_id(path: &str) -> String {
    fingerprint(canonical_path(path).as_bytes())
}

/// Database name for a document path: `pgspec_<stem>_<hash>`, the readable file stem (lowercase,
/// other characters as `_`) and 8 hex digits of its canonical path, so that two `schema.md`
/// in different folders get different databases. At most 63 bytes.
pub fn database_name_for(path: &str) -> String {
    let stem = std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| "stdin".to_string(), |s| s.to_string_lossy().to_string());
    let mut readable: String = format!("pgspec_{stem}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let hash = &document_id(path)[..8];
    readable.truncate(63 - 1 - hash.len());
    format!("{readable}_{hash}")
}

/// The role that owns the database `up` makes as `database`: `pgspec_owner_<hash of the name>`.
pub fn owner_role_for(database: &str) -> String {
    format!("pgspec_owner_{}", fingerprint(database.as_bytes()))
}

/// The comment `up` puts on a database it made.
fn up_comment(fingerprint: &str, document: Option<&str>) -> String {
    match document {
        Some(id) => format!("{UP_MARKER} document {fingerprint} path {id}"),
        None => format!("{UP_MARKER} document {fingerprint}"),
    }
}

/// The comment `up` puts on `database` once a migration brought it to the document `bytes`
/// (at `document`): the same as if `up` had built it from them.
pub fn comment_after_migration(bytes: &[u8], document: Option<&str>) -> String {
    up_comment(&fingerprint(bytes), document.map(document_id).as_deref())
}

/// The comment a database carries while a migration to `bytes` runs in several steps: it
/// names neither document as the one the database was built from (so `up` never takes it for
/// up to date) and keeps the path, so only this document's `up` continues it.
pub fn comment_while_migrating(bytes: &[u8], document: Option<&str>) -> String {
    let to = fingerprint(bytes);
    match document.map(document_id) {
        Some(id) => format!("{UP_MARKER} {INTERRUPTED} {to} path {id}"),
        None => format!("{UP_MARKER} {INTERRUPTED} {to}"),
    }
}

/// Whether a database's comment says a migration `up` started did not finish.
pub fn migration_interrupted(comment: &str) -> bool {
    comment.starts_with(&format!("{UP_MARKER} {INTERRUPTED} "))
}

/// What [`comment_while_migrating`] writes before the target fingerprint.
/// (Never the word `document` before a fingerprint: that is what makes `up` call a database
/// up to date.)
const INTERRUPTED: &str = "unfinished migration to";

/// A database `up` made, as its catalog says.
#[derive(Clone, Debug)]
pub struct UpDatabase {
    /// The role that owns it (`pg_database.datdba`).
    pub owner: String,
    /// `up`'s comment on it.
    pub comment: String,
}

/// The database `up` made as `database`, checked before `seed`, `verify` and `down` touch it:
/// `Ok(None)` when it does not exist; an error when `up` did not make it, or made it from a
/// document at another path than `document` (when both are known).
pub fn made_by_up(
    server: &Server,
    database: &str,
    document: Option<&str>,
) -> Result<Option<UpDatabase>, ClusterError> {
    let Some((comment, owner)) =
        crate::postgres::catalog::database_comment_and_owner(server, database)?
    else {
        return Ok(None);
    };
    let Some(comment) = comment.filter(|c| c.starts_with(UP_MARKER)) else {
        return Err(ClusterError::Server(format!(
            "database {database} was not made by `pgspec up`; pgspec leaves it alone (choose another --name)"
        )));
    };
    if let (Some(path), Some((_, made_from))) = (document, comment.split_once(" path ")) {
        let id = document_id(path);
        if made_from.trim() != id {
            return Err(ClusterError::Server(format!(
                "database {database} was made by `pgspec up` from another document (not {}); \
                 pass that document, or --name for this one's own database",
                canonical_path(path)
            )));
        }
    }
    Ok(Some(UpDatabase { owner, comment }))
}

/// The comment of `database`, if it exists: `Some(None)` exists without one.
fn existing(server: &Server, database: &str) -> Result<Option<Option<String>>, ClusterError> {
    Ok(
        crate::postgres::catalog::database_comment_and_owner(server, database)?
            .map(|(comment, _)| comment),
    )
}

/// Cron jobs scheduled for the database, against the schedules the document declares.
fn cron_job_count(
    server: &Server,
    database: &str,
    statements: Option<&[crate::sql::Statement]>,
) -> Result<ObjectCount, ClusterError> {
    let in_document = statements.map(|st| {
        st.iter()
            .filter(|s| s.kind == crate::sql::StatementKind::Operation)
            .filter(|s| s.cron_schedule().is_some())
            .count() as u64
    });
    Ok(ObjectCount {
        kind: "cron_jobs".into(),
        in_database: crate::cron::count_jobs(server, database)?.unwrap_or(0),
        in_document,
    })
}

fn drop_database(server: &Server, database: &str) -> Result<(), ClusterError> {
    crate::cron::unschedule_jobs(server, database)?;
    let mut admin = server.admin_client(&server.maintenance_dbname())?;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(database)
        ))
        .map_err(|e| ClusterError::Server(e.to_string()))
}

/// How `up` runs.
#[derive(Clone, Debug, Default)]
pub struct UpOptions {
    /// Rebuild the database if it exists (built aside, swapped in when complete).
    pub recreate: bool,
    /// The document's path: its identity goes into the database's comment, so `seed`,
    /// `verify` and `down` of another document refuse the database.
    pub document: Option<String>,
    /// Refuse instead of assuming where a person must decide (`up --strict`).
    pub strict: bool,
}

/// Bring the document up as `database` on `server`.
pub fn up(
    extracted: Extracted,
    bytes: &[u8],
    server: &Server,
    database: &str,
    recreate: bool,
) -> Result<UpReport, ClusterError> {
    up_with(
        extracted,
        bytes,
        server,
        database,
        &UpOptions {
            recreate,
            document: None,
            strict: false,
        },
    )
}

/// Bring the document up as `database` on `server`. The database is built under a temporary
/// name, owned by `database`'s own owner role ([`owner_role_for`]); only once it is complete is
/// it renamed into place (an existing one, with `recreate`, renamed aside in the same
/// transaction and then dropped), so an interrupted or failed run leaves the old one intact.
pub fn up_with(
    extracted: Extracted,
    bytes: &[u8],
    server: &Server,
    database: &str,
    options: &UpOptions,
) -> Result<UpReport, ClusterError> {
    crate::diagnostics::stage::enter("up");
    let fingerprint = fingerprint(bytes);
    let document_id = options.document.as_deref().map(document_id);
    let connection = server.url(database);
    let mut status = UpStatus::Created;
    if let Some(comment) = existing(server, database)? {
        let ours = comment.as_deref().is_some_and(|c| c.starts_with(UP_MARKER));
        if !ours && !options.recreate {
            return Err(ClusterError::Server(format!(
                "database {database} exists and was not made by `pgspec up`; choose another --name, or pass --recreate to replace it"
            )));
        }
        if ours {
            // Another document's database of the same name: never touched.
            made_by_up(server, database, options.document.as_deref())?;
        }
        let same = comment
            .as_deref()
            .is_some_and(|c| c.contains(&format!("document {fingerprint}")));
        if !options.recreate {
            let mut objects = count_objects_by_url(server, database, None)?;
            objects.push(cron_job_count(server, database, None)?);
            return Ok(UpReport {
                status: if same {
                    UpStatus::Unchanged
                } else {
                    UpStatus::NeedsMigration
                },
                database: database.to_string(),
                objects,
                connection,
                roles: Vec::new(),
                provisioned: Vec::new(),
                check: None,
            });
        }
        status = UpStatus::Recreated;
    }

    let owner = OwnerSpec::Persistent {
        role: owner_role_for(database),
        database: database.to_string(),
    };
    let scratch = ScratchDatabase::create_owned(server, "pgspec_up", &owner)?;
    let mut session = scratch.session()?;
    let Built {
        report,
        mut provisioned,
        ..
    } = build_with(&extracted, &mut session, !options.strict)?;
    drop(session);
    if options.strict && report.summary.needs_decision > 0 {
        // Dropping the scratch database leaves everything as it was.
        return Ok(UpReport {
            status: UpStatus::Refused,
            database: database.to_string(),
            connection,
            objects: Vec::new(),
            roles: Vec::new(),
            provisioned: Vec::new(),
            check: Some((extracted.document, report)),
        });
    }
    let comment = up_comment(&fingerprint, document_id.as_deref());
    let (roles, aside) = scratch.promote(database, &comment)?;
    if let Some(old) = aside {
        // The old database's jobs ran under this name: they go, the document's come next.
        crate::cron::unschedule_jobs(server, database)?;
        drop_database(server, &old)?;
    }
    let jobs = cron_jobs(&extracted, &report);
    provisioned.extend(crate::cron::schedule_jobs(server, database, &jobs)?);
    let mut objects = count_objects_by_url(server, database, Some(&extracted.statements))?;
    objects.push(cron_job_count(
        server,
        database,
        Some(&extracted.statements),
    )?);
    Ok(UpReport {
        status,
        database: database.to_string(),
        connection,
        objects,
        roles,
        provisioned,
        check: Some((extracted.document, report)),
    })
}

/// The document's cron jobs whose timing and command checked out (document line, schedule).
pub fn cron_jobs(
    extracted: &Extracted,
    report: &CheckReport,
) -> Vec<(u32, crate::sql::cron::CronSchedule)> {
    extracted
        .statements
        .iter()
        .zip(&report.statements)
        .filter(|(_, r)| {
            matches!(
                r.status,
                crate::check::StatementStatus::NotAppliedKind
                    | crate::check::StatementStatus::Fixed
            )
        })
        .filter_map(|(stmt, r)| stmt.cron_schedule().map(|job| (r.line, job)))
        .collect()
}

/// After a migration brought `database` to a changed document: its cron jobs are the
/// document's (the earlier ones unscheduled), as `up` schedules them.
pub fn reschedule_jobs(
    server: &Server,
    database: &str,
    jobs: &[(u32, crate::sql::cron::CronSchedule)],
) -> Result<Vec<ProvisionAction>, ClusterError> {
    crate::cron::unschedule_jobs(server, database)?;
    crate::cron::schedule_jobs(server, database, jobs)
}

/// What [`build`] made of a document on a database.
pub struct Built {
    pub report: CheckReport,
    /// Roles the built database grants to (privileges, policies) that no statement of the
    /// document creates: a script of the system must create them first.
    pub roles_used: Vec<String>,
    /// What pgspec added beyond the document, in the order it ran.
    pub provisioned: Vec<ProvisionAction>,
}

/// Build the system on `session`'s (empty) database: the Supabase shim when the document needs
/// it, the document with every fix (behaviour-changing ones reported), the document's own
/// partition maintenance, then partitions covering today and the next months. `up` promotes
/// the result; `sql` prints it.
pub fn build(extracted: &Extracted, session: &mut ApplySession) -> Result<Built, ClusterError> {
    build_with(extracted, session, true)
}

/// [`build`], with or without pgspec's assumptions where a person must decide (without them,
/// such a statement fails and what depends on it cascades).
pub fn build_with(
    extracted: &Extracted,
    session: &mut ApplySession,
    assume: bool,
) -> Result<Built, ClusterError> {
    let mut provisioned = Vec::new();
    // Supabase-only objects the document uses come from the shim, before the document runs.
    // Only what the document uses and does not define; `check` installs the same.
    provisioned.extend(crate::supabase::install(session, &extracted.statements)?);
    provisioned.extend(crate::settings::set_placeholders(
        &extracted.statements,
        session,
    )?);
    let mut report = check::check(
        &extracted.document,
        &extracted.statements,
        extracted.diagnostics.clone(),
        session,
        // `up` brings the system up: behaviour-changing fixes are applied too, and reported.
        &CheckOptions {
            apply_unsafe_fixes: true,
            assume,
            ..CheckOptions::default()
        },
    )?;
    crate::pipeline::annotate_generated(&extracted.statements, &mut report);
    // The document's own partition maintenance first: its partitions name the ones pgspec adds.
    let maintenance = crate::maintenance::maintenance_functions(&extracted.statements);
    for (action, error) in crate::maintenance::run(session, &maintenance)? {
        if let Some((error, context)) = error {
            let f = maintenance
                .iter()
                .find(|f| action.object == format!("{}()", f.name));
            if let Some(f) = f {
                report.add_function_failure(
                    &extracted.document,
                    &extracted.statements[f.statement],
                    &action.object,
                    &error,
                    context.as_deref(),
                );
            }
        }
        provisioned.push(action);
    }
    // Partitions so that an INSERT of today's rows (and the next months') succeeds.
    let (year, month, _) = crate::today_utc();
    provisioned.extend(crate::ensure_coverage(
        session,
        (year, month),
        PARTITION_MONTHS_AHEAD,
        true,
    )?);
    let created: std::collections::HashSet<String> = extracted
        .statements
        .iter()
        .flat_map(|s| &s.facts.creates)
        .filter(|o| o.kind == ObjectKind::Role)
        .map(|o| o.name.clone())
        .collect();
    let roles_used = crate::postgres::catalog::roles_granted_to(session)?
        .into_iter()
        .filter(|r| !created.contains(r))
        .collect();
    Ok(Built {
        report,
        roles_used,
        provisioned,
    })
}

/// Build the system an extracted document describes, as `up` would, in a scratch database
/// that is dropped afterwards (for `pgspec sql`).
pub fn build_in_scratch(extracted: &Extracted, server: &Server) -> Result<Built, ClusterError> {
    Ok(build_kept(extracted, server, "pgspec_sql")?.built)
}

/// What [`build_kept`] built, and the scratch database it is in, open (dropped with this value,
/// after the session).
pub struct BuiltKept {
    pub built: Built,
    pub session: ApplySession,
    pub scratch: ScratchDatabase,
}

/// Build the system a document describes, as `up` builds it, on a new scratch database named
/// after `prefix`, and keep it open: the one way `diff`, `migrate` and `up`'s migrations read
/// the schema a document stands for.
pub fn build_kept(
    extracted: &Extracted,
    server: &Server,
    prefix: &str,
) -> Result<BuiltKept, ClusterError> {
    let scratch = ScratchDatabase::create(server, prefix)?;
    let mut session = scratch.session()?;
    let built = build(extracted, &mut session)?;
    Ok(BuiltKept {
        built,
        session,
        scratch,
    })
}

/// Drop the database `up` made (and nothing else: the name must carry `up`'s marker and, when
/// `document` is given, that document's identity), its cron jobs, the roles its document
/// created and its owner role. False when it does not exist.
pub fn down(server: &Server, database: &str) -> Result<bool, ClusterError> {
    down_for(server, database, None)
}

/// [`down`], refusing a database `up` made from a document at another path than `document`.
pub fn down_for(
    server: &Server,
    database: &str,
    document: Option<&str>,
) -> Result<bool, ClusterError> {
    let Some(made) = made_by_up(server, database, document)? else {
        return Ok(false);
    };
    drop_database(server, database)?;
    let owner = (made.owner == owner_role_for(database)).then_some(made.owner.as_str());
    // A role another database still uses (its document granted to it) stays.
    crate::postgres::session::drop_database_roles(server, database, owner)?;
    Ok(true)
}

fn count_objects_by_url(
    server: &Server,
    database: &str,
    statements: Option<&[crate::sql::Statement]>,
) -> Result<Vec<ObjectCount>, ClusterError> {
    let rows = crate::postgres::catalog::object_counts(server, database)?;
    let mut document: BTreeMap<&str, u64> = BTreeMap::new();
    if let Some(statements) = statements {
        for stmt in statements {
            for obj in &stmt.facts.creates {
                let kind = match obj.kind {
                    ObjectKind::Index => "indexes",
                    ObjectKind::Function => "functions",
                    ObjectKind::Trigger => "triggers",
                    ObjectKind::Policy => "policies",
                    ObjectKind::Schema => "schemas",
                    ObjectKind::Extension => "extensions",
                    ObjectKind::Type => "types",
                    ObjectKind::Relation | ObjectKind::Role | ObjectKind::Other => continue,
                };
                *document.entry(kind).or_default() += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (kind, in_database) in rows {
        {
            let tracked = matches!(
                kind.as_str(),
                "indexes"
                    | "functions"
                    | "triggers"
                    | "policies"
                    | "schemas"
                    | "extensions"
                    | "types"
            );
            let in_document = statements
                .filter(|_| tracked)
                .map(|_| document.get(kind.as_str()).copied().unwrap_or(0));
            out.push(ObjectCount {
                kind,
                in_database,
                in_document,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_identifiers() {
        let name = database_name_for("docs/000_1c0bd65.txt");
        assert!(name.starts_with("pgspec_000_1c0bd65_"), "{name}");
        assert_eq!(name.len(), "pgspec_000_1c0bd65_".len() + 8);
        assert!(database_name_for("My Doc.md").starts_with("pgspec_my_doc_"));
        let long = database_name_for(&"x".repeat(100));
        assert_eq!(long.len(), 63);
        // Same stem, other folder: another database.
        assert_ne!(
            database_name_for("a/schema.md"),
            database_name_for("b/schema.md")
        );
    }

    #[test]
    fn printed_text_cannot_leave_its_comment_or_quote() {
        let hostile = "a\n\\! touch /tmp/x\r\\! id\u{2028}";
        let comment = comment_text(hostile);
        assert!(!comment.contains(['\n', '\r', '\u{2028}']), "{comment}");
        assert_eq!(comment, "a\\n\\! touch /tmp/x\\r\\! id\\u{2028}");
        let quoted = dollar_quoted("x $pgspec$ \\! y $pgspec1$");
        assert!(
            quoted.starts_with("$pgspec2$") && quoted.ends_with("$pgspec2$"),
            "{quoted}"
        );
        assert_eq!(terminated("SELECT 1 -- note"), "SELECT 1 -- note\n;\n");
        assert_eq!(terminated("SELECT 1"), "SELECT 1;\n");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\'b"), "E'a\\\\''b'");
    }

    #[test]
    fn fingerprint_is_stable() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
    }
}
