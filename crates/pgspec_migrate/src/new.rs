//! `pgspec migrate new`: the next migration file, written from the difference between the
//! state the existing migrations build and the design document, tried on a scratch database
//! before it is written.

use super::*;

/// A document built on a scratch database as `pgspec up` builds it (fixes, partitions,
/// platform shims): its catalog, the SQL script of what was built (`pgspec sql`), and the
/// errors of the statements left out (as `up` leaves them out), `line N: CODE message`.
pub struct BuiltDocument {
    pub catalog: Catalog,
    pub script: String,
    pub left_out: Vec<String>,
    /// Roles the document grants to but never creates (`up` creates them, cluster-wide).
    pub roles_used: Vec<String>,
    /// The document's pg_cron jobs as `up` schedules them (document line, schedule).
    pub cron_jobs: Vec<(u32, pgspec_sql::cron::CronSchedule)>,
    /// Partitions of the live database the document does not name, built too (`keeping`).
    pub kept_partitions: Vec<String>,
    /// Custom settings the document's code reads and nobody sets, with the placeholder value
    /// `up` gives them on a database it builds (`app.current_user_id`, `0000…`).
    pub placeholders: Vec<(String, String)>,
}

/// The partitions of `live` that the document (`statements`) does not name and its build
/// lacks, under a partitioned table the build has (the months pgspec added when `up` ran in
/// an earlier month, or a partition made by hand), created in the build as they are in `live`,
/// so that a plan keeps them and their rows instead of dropping them. One whose bounds clash
/// with the build's partitions is left out (the plan then drops it, a data-loss hazard).
fn keep_partitions(
    live: &Catalog,
    statements: &[pgspec_sql::Statement],
    session: &mut ApplySession,
) -> Result<Vec<String>, Error> {
    let named: Vec<String> = statements
        .iter()
        .flat_map(|s| &s.facts.creates)
        .filter(|o| o.kind == pgspec_sql::ObjectKind::Relation)
        .map(|o| o.name.to_lowercase())
        .collect();
    let built = session.catalog()?;
    let has = |schema: &str, name: &str| {
        built
            .tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    };
    let mut kept = Vec::new();
    for t in &live.tables {
        let Some(of) = &t.partition_of else { continue };
        let parent_partitioned =
            has(&of.parent_schema, &of.parent_name).is_some_and(|p| p.partitioning.is_some());
        if t.partitioning.is_some()
            || !parent_partitioned
            || has(&t.schema, &t.name).is_some()
            || named.contains(&t.name.to_lowercase())
        {
            continue;
        }
        let name = pgspec_diff::qualified(&t.schema, &t.name);
        let sql = format!(
            "CREATE TABLE {name} PARTITION OF {} {}",
            pgspec_diff::qualified(&of.parent_schema, &of.parent_name),
            of.bound
        );
        if session.apply(&sql)?.error().is_none() {
            kept.push(name);
        }
    }
    Ok(kept)
}

pub fn build_document(path: &Path, server: &Server) -> Result<BuiltDocument, Error> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::new(format!("reading {label}: {e}")))?;
    build_document_bytes(&bytes, &label, server, None)
}

/// [`build_document`] of a document's bytes; `label` names it (a `.sql` label: one SQL block).
/// `keeping`: a live database's catalog whose partitions the document does not name are
/// created in the build too (see [`keep_partitions`]).
pub fn build_document_bytes(
    bytes: &[u8],
    label: &str,
    server: &Server,
    keeping: Option<&Catalog>,
) -> Result<BuiltDocument, Error> {
    let label = label.to_string();
    let extracted = pipeline::extract_as(bytes, SourceKind::of_path(Path::new(&label)));
    let pgspec_provision::up::BuiltKept {
        mut built,
        mut session,
        scratch,
    } = pgspec_provision::up::build_kept(&extracted, server, "pgspec_migrate")
        .map_err(|e| Error::new(format!("building {label}: {e}")))?;
    // Setting placeholders are `up`'s provisioning of one database (ALTER DATABASE … SET, which
    // only a superuser may do for a setting the server does not know), not the schema: kept
    // apart, for `up` to set on the database it migrates; a migration file leaves them out.
    let placeholder_names: Vec<String> = built
        .provisioned
        .iter()
        .filter(|a| a.kind == pgspec_provision::ActionKind::SettingPlaceholder)
        .map(|a| a.object.clone())
        .collect();
    let placeholders = pgspec_sql::settings::unset_settings_read(&extracted.statements)
        .into_iter()
        .filter(|r| placeholder_names.contains(&r.name))
        .map(|r| {
            let value = pgspec_provision::settings::placeholder_value(r.cast.as_deref());
            (r.name, value.to_string())
        })
        .collect();
    built
        .provisioned
        .retain(|a| a.kind != pgspec_provision::ActionKind::SettingPlaceholder);
    let left_out = built.report.error_lines(&extracted.document, &label, 0);
    let kept = match keeping {
        Some(live) => keep_partitions(live, &extracted.statements, &mut session)?,
        None => Vec::new(),
    };
    let catalog = session.catalog()?;
    drop(session);
    drop(scratch);
    Ok(BuiltDocument {
        kept_partitions: kept,
        placeholders,
        cron_jobs: pgspec_provision::up::cron_jobs(&extracted, &built.report),
        catalog,
        script: pgspec_provision::up::system_script(&label, &built),
        left_out,
        roles_used: built.roles_used.clone(),
    })
}

/// The state `files` build, on a fresh scratch database: every statement of each file's up
/// section runs, as the database's unprivileged owner, except the privileged ones pgspec
/// rebuilds for a document (an untrusted extension, an allowlisted role), which run through
/// pgspec's own privileged path; what pgspec never runs is refused. `after_each(i, scratch)`
/// is called after file `i`; `false` stops there.
/// `roles`: roles the files grant to without creating them, created first when missing (as
/// `up` creates them beside the database it makes; dropped with the scratch database).
pub(crate) fn build_files(
    files: &[MigrationFile],
    server: &Server,
    roles: &[String],
    after_each: &mut dyn FnMut(usize, &mut Scratch) -> Result<bool, Error>,
) -> Result<Scratch, Error> {
    let mut s = Scratch::empty(server)?;
    for role in roles {
        let op = pgspec_sql::safety::PrivilegedOp::CreateRole {
            name: role.clone(),
            options: pgspec_sql::safety::RoleOptions {
                login: Some(false),
                ..Default::default()
            },
        };
        // A role that exists already (the cluster's own) is left as it is.
        let _ = s.session.apply_privileged(&op)?;
    }
    for (i, f) in files.iter().enumerate() {
        let text: Vec<&str> = f.up.iter().map(|st| st.sql.as_str()).collect();
        s.run_as_document(&text.join("\n"), &f.file_name)
            .map_err(|e| match e {
                Failed::Refused(e) => e,
                Failed::Statement(statement, message) => Error::new(format!(
                    "{} does not build on a scratch database after the files before it: `{statement}`: {message}",
                    f.file_name
                )),
            })?;
        if !after_each(i, &mut s)? {
            break;
        }
    }
    Ok(s)
}

/// A migration file `migrate new` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub version: u32,
    pub up_statements: usize,
    pub down_statements: usize,
    /// Hazard codes of the up section (`DIF001`, …), one per hazard.
    pub hazards: Vec<String>,
    /// The document's statements that failed and are not part of the migration (as `up`
    /// leaves them out).
    pub left_out: Vec<String>,
    /// What the trial could not show.
    pub notes: Vec<String>,
}

/// Write the next migration: from the state the files of `dir` build to the document's schema
/// (up) and back (down), both tried on a scratch database first. `Ok(None)`: no change.
/// `strict`: a document with a failing statement is refused instead of migrated without it.
pub fn new_migration(
    dir: &Path,
    document: &Path,
    name: &str,
    server: &Server,
    strict: bool,
    renames: up::Renames,
) -> Result<Option<Written>, Error> {
    let files = read_dir(dir)?;
    let stale = ledger::differences(dir, &files)?;
    if !stale.is_empty() {
        return Err(Error::new(format!(
            "the ledger {} does not match the files ({}); after a deliberate edit of a file not yet applied, run `pgspec migrate hash`",
            dir.join(ledger::FILE_NAME).display(),
            stale.join("; ")
        )));
    }
    let BuiltDocument {
        catalog: to,
        script,
        left_out,
        roles_used,
        ..
    } = build_document(document, server)?;
    let mut built = build_files(&files, server, &roles_used, &mut |_, _| Ok(true))
        .map_err(|e| Error::new(format!("the existing migrations do not build: {e}")))?;
    let from = built.catalog()?;
    if strict && !left_out.is_empty() {
        return Err(Error::new(format!(
            "{} does not apply cleanly ({} error{}; `pgspec check` shows them): {}",
            document.display(),
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            left_out
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let options = compare_options(&from, &to);
    if files.is_empty() {
        return first_migration(
            dir,
            document,
            name,
            server,
            &to,
            &from,
            &script,
            &roles_used,
            left_out,
        );
    }
    let candidates = pgspec_diff::renames(&from, &to, &options);
    let mut notes = Vec::new();
    let (up, down) = if !candidates.is_empty() && renames != up::Renames::DropAndAdd {
        // Renames (`--renames`, else refused by name): the rest of each plan is planned from
        // the renamed schema, both ways.
        let up_plan = up::plan_to(&from, &to, server, renames, &[])?;
        let down_plan = up::plan_to(&to, &from, server, renames, &[])?;
        notes.extend(up_plan.notes);
        (up_plan.plan, down_plan.plan)
    } else {
        if !candidates.is_empty() {
            notes.push(format!(
                "dropped and added, not renamed (--no-renames): {}",
                candidates
                    .iter()
                    .map(pgspec_diff::Rename::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let up = pgspec_diff::plan(&from, &to, &options).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!(
                    "pgspec cannot express the change yet: {}",
                    refusals_text(&r)
                ),
            )
        })?;
        if up.is_empty() {
            return Ok(None);
        }
        let down = pgspec_diff::plan(&to, &from, &options).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!("pgspec cannot express the way back: {}", refusals_text(&r)),
            )
        })?;
        (up, down)
    };
    // The trial: up brings the built state to the document, down brings it back.
    run_plan(&mut built, &up).map_err(|e| trial_failed("the up plan", &e))?;
    let after_up = built.catalog()?;
    let left = differences(&after_up, &to);
    if !left.is_empty() {
        return Err(Error::coded(
            Rule::MigrationRefused,
            format!(
                "pgspec cannot write the up plan: after it ran on a scratch database, this still differs from the document: {}",
                left.join("; ")
            ),
        ));
    }
    run_plan(&mut built, &down).map_err(|e| trial_failed("the way back (the down plan)", &e))?;
    let after_down = built.catalog()?;
    let left = differences(&after_down, &from);
    if !left.is_empty() {
        return Err(Error::coded(
            Rule::MigrationRefused,
            format!(
                "pgspec cannot write the down plan: after it ran on a scratch database, this still differs from the earlier state: {}",
                left.join("; ")
            ),
        ));
    }
    let version = files.last().map_or(1, |f| f.version + 1);
    let slug = file::slug(name);
    let file_name = format!("{version:04}_{slug}.sql");
    let text = file::render(version, &slug, &document.display().to_string(), &up, &down);
    let parsed = file::parse(&file_name, text.as_bytes())?;
    let mut written = write_new(
        dir,
        files,
        parsed,
        &text,
        version,
        up.statements.len(),
        &down,
        left_out,
    )?;
    written.notes = notes;
    written.hazards = up
        .statements
        .iter()
        .flat_map(|s| s.hazards.iter().map(|h| h.code.code().to_string()))
        .collect();
    Ok(Some(written))
}

/// The first migration: the document's own statements as `pgspec up` ran them (the script
/// `pgspec sql` prints), so that it equals a database `up` made; its down section drops what
/// it made (diff back to the empty database).
#[allow(clippy::too_many_arguments)]
fn first_migration(
    dir: &Path,
    document: &Path,
    name: &str,
    server: &Server,
    to: &Catalog,
    empty: &Catalog,
    script: &str,
    roles_used: &[String],
    left_out: Vec<String>,
) -> Result<Option<Written>, Error> {
    if differences(empty, to).is_empty() {
        return Ok(None);
    }
    // Facts the catalog does not model (privileges on a schema, comments on constraints) go
    // with the objects the down section drops; the trial below shows none is left.
    let mut without_facts = to.clone();
    without_facts.unmodelled.clear();
    let down =
        pgspec_diff::plan(&without_facts, empty, &compare_options(to, empty)).map_err(|r| {
            Error::coded(
                Rule::MigrationRefused,
                format!(
                    "pgspec cannot express the way back to an empty database: {}",
                    refusals_text(&r)
                ),
            )
        })?;
    let text = file::render_first(
        1,
        &file::slug(name),
        &document.display().to_string(),
        script,
        &down,
    );
    let file_name = format!("{:04}_{}.sql", 1, file::slug(name));
    let parsed = file::parse(&file_name, text.as_bytes())?;
    // The trial: the file builds the document's schema, and its down section empties it.
    let mut s = build_files(
        std::slice::from_ref(&parsed),
        server,
        roles_used,
        &mut |_, _| Ok(true),
    )?;
    let after = s.catalog()?;
    let left = differences(&after, to);
    if !left.is_empty() {
        return Err(Error::new(format!(
            "the document's script does not rebuild its schema on a scratch database: {}",
            left.join("; ")
        )));
    }
    // The down section of a first file empties the database; as the owner it cannot drop
    // what pgspec created with privileges (an untrusted extension): the file is still written,
    // and the warning says why that section was not tried to the end.
    let mut notes = Vec::new();
    match s.run_steps(&parsed, &parsed.down, 0) {
        Ok(()) => {
            let mut after_down = s.catalog()?;
            // Facts the catalog does not model on what the down section keeps (a grant or
            // default privileges on schema `public`) cannot be planned away: said, not refused.
            let kept_facts: Vec<String> = std::mem::take(&mut after_down.unmodelled)
                .into_iter()
                .filter(|l| !empty.unmodelled.contains(l))
                .collect();
            let mut empty_modelled = empty.clone();
            empty_modelled.unmodelled.clear();
            let left = differences(&after_down, &empty_modelled);
            if !left.is_empty() {
                return Err(Error::new(format!(
                    "after the down section ran on a scratch database, this is left: {}",
                    left.join("; ")
                )));
            }
            if !kept_facts.is_empty() {
                notes.push(format!(
                    "its down section keeps what pgspec cannot plan yet: {}",
                    kept_facts.join("; ")
                ));
            }
        }
        Err(e) => notes.push(format!(
            "its down section (which empties the database) does not run as the database's owner: {}",
            e.message
        )),
    }
    let mut written = write_new(dir, Vec::new(), parsed, &text, 1, 0, &down, left_out)?;
    written.notes = notes;
    Ok(Some(written))
}

#[allow(clippy::too_many_arguments)]
fn write_new(
    dir: &Path,
    files: Vec<MigrationFile>,
    parsed: MigrationFile,
    text: &str,
    version: u32,
    up_statements: usize,
    down: &Plan,
    left_out: Vec<String>,
) -> Result<Written, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    let path = dir.join(&parsed.file_name);
    std::fs::write(&path, text)
        .map_err(|e| Error::new(format!("writing {}: {e}", path.display())))?;
    let up_statements = if up_statements == 0 {
        parsed
            .up
            .iter()
            .filter_map(|st| pgspec_sql::ast::parse(&st.sql))
            .map(|tree| pgspec_sql::ast::top_nodes(&tree).count())
            .sum()
    } else {
        up_statements
    };
    let mut all = files;
    all.push(parsed);
    ledger::write(dir, &all)?;
    Ok(Written {
        path,
        version,
        up_statements,
        down_statements: down.statements.len(),
        hazards: Vec::new(),
        left_out,
        notes: Vec::new(),
    })
}

/// A plan `migrate new` wrote that fails on the scratch database: refused (DIF008), with what
/// PostgreSQL said. An extension with no update path to the older version gets the reason
/// and the choices in plain words.
fn trial_failed(plan: &str, e: &str) -> Error {
    let downgrade = e.contains("ALTER EXTENSION") && e.contains("has no update path");
    let advice = if downgrade {
        "; the extension ships no script between those versions, so only DROP EXTENSION and CREATE EXTENSION … VERSION would get there, dropping every object that uses it: keep the version in the document, or write that section by hand"
    } else {
        ""
    };
    Error::coded(
        Rule::MigrationRefused,
        format!("pgspec cannot write {plan}: it {e}{advice}"),
    )
}

/// The extension `sql` creates when it is one statement pgspec runs for a document through
/// its privileged path (an extension it allows, whether or not the owner may create it).
pub(crate) fn creates_extension(
    sql: &str,
    database: &str,
) -> Option<pgspec_sql::safety::PrivilegedOp> {
    let extracted = pipeline::extract_as(sql.as_bytes(), SourceKind::Sql);
    let [st] = extracted.statements.as_slice() else {
        return None;
    };
    match st.safety(Some(database)) {
        Safety::Privileged {
            op: op @ pgspec_sql::safety::PrivilegedOp::CreateExtension { .. },
            ..
        } => Some(op),
        _ => None,
    }
}

pub(crate) fn run_plan(scratch: &mut Scratch, plan: &Plan) -> Result<(), String> {
    let database = scratch.session.database().to_string();
    for (i, s) in plan.statements.iter().enumerate() {
        // An extension is created as `up` creates it for a document: an untrusted one on the
        // administrative connection (the owner may not).
        let ran = if creates_extension(&s.sql, &database).is_some() {
            scratch
                .run_as_document(&s.sql, "the plan")
                .map_err(|e| match e {
                    Failed::Refused(e) => e.message,
                    Failed::Statement(_, message) => message,
                })
        } else {
            scratch.run(&s.sql)
        };
        ran.map_err(|e| {
            format!(
                "fails on a scratch database at statement {} (`{}`): {e}",
                i + 1,
                s.sql.lines().next().unwrap_or("")
            )
        })?;
    }
    Ok(())
}
