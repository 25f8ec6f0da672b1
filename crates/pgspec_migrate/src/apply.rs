//! `pgspec migrate apply`: the pending migrations, each screened, tried on a copy of the
//! target's schema, then applied in a transaction with its record, under an advisory lock.

use super::*;

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub dry_run: bool,
    /// Try the pending files on a scratch copy of the target's schema first.
    pub validate: bool,
    pub lock_timeout: Duration,
}

/// What happened to one file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Done {
    pub version: u32,
    pub file_name: String,
    /// `applied`, `baseline` (recorded: the database already had its schema), `would_apply`
    /// (dry run), `reverted`, `would_revert`.
    pub action: &'static str,
    pub duration_ms: u64,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub done: Vec<Done>,
    /// Said to the user: the lock was busy, validation skipped, …
    pub notes: Vec<String>,
    pub validated: bool,
}

/// Statements pgspec never runs for a document (a program run by the server, a file read or
/// written, a setting that loads code, another database touched …) are refused in a migration
/// file too, from the parse tree of each statement, before anything runs: a file is written
/// from a document, and a document is hostile input.
pub(crate) fn screen(file: &MigrationFile, steps: &[Step], database: &str) -> Result<(), Error> {
    for (i, step) in steps.iter().enumerate() {
        screen_sql(
            &format!("{} step {}", file.file_name, i + 1),
            &step.sql,
            database,
        )?;
    }
    Ok(())
}

/// [`screen`] for one piece of SQL, named `label` in the refusal.
pub(crate) fn screen_sql(label: &str, sql: &str, database: &str) -> Result<(), Error> {
    let extracted = pipeline::extract_as(sql.as_bytes(), SourceKind::Sql);
    for st in &extracted.statements {
        if let pgspec_sql::safety::Safety::Refused(why) = st.safety(Some(database)) {
            return Err(Error::new(format!(
                "{label}: pgspec never runs `{}`: {why}",
                st.text.lines().next().unwrap_or("")
            )));
        }
    }
    Ok(())
}

/// A failure while a file ran on the target: the database is as before that file (its
/// transaction rolled back), except for the steps of a file with steps outside a transaction
/// that finished before the failing one: those stay, recorded, and the next run continues
/// from the failing step.
fn apply_failed(
    file: &MigrationFile,
    steps: &[Step],
    step: usize,
    e: &pgspec_postgres::client::Error,
) -> Error {
    let partial = if steps.iter().all(|s| s.transactional) {
        "the file's transaction was rolled back: the database is as before it and the version is not recorded".to_string()
    } else if step == 0 {
        "no step of it had run (a file with `-- pgspec:no-transaction` steps runs step by step): the database is as before it and the version is not recorded".to_string()
    } else {
        let kept = if step == 1 {
            "step 1 stays".to_string()
        } else {
            format!("steps 1–{step} stay")
        };
        format!(
            "{kept} applied and recorded (a file with `-- pgspec:no-transaction` steps runs step by step); the version is not recorded and the next run continues from step {}",
            step + 1
        )
    };
    Error::new(format!(
        "{} step {} failed on the target: {}; {partial}",
        file.file_name,
        step + 1,
        pgspec_postgres::cluster::error_text(e)
    ))
}

/// Before a `CREATE INDEX CONCURRENTLY` step runs again (an earlier run stopped at or just
/// after it): an invalid index of that name, which a failed build leaves, is dropped; a valid
/// one means the step had finished, and it is skipped (`Ok(false)`).
fn concurrent_index_to_build(client: &mut Client, sql: &str) -> Result<bool, Error> {
    let Some(tree) = pgspec_sql::ast::parse(sql) else {
        return Ok(true);
    };
    let Some(pgspec_sql::ast::NodeEnum::IndexStmt(index)) =
        pgspec_sql::ast::top_nodes(&tree).next()
    else {
        return Ok(true);
    };
    if !index.concurrent || index.idxname.is_empty() {
        return Ok(true);
    }
    let schema = index
        .relation
        .as_ref()
        .map(|r| r.schemaname.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "public".into());
    let server_error = |e: pgspec_postgres::client::Error| {
        Error::new(format!(
            "looking for index {}: {}",
            index.idxname,
            pgspec_postgres::cluster::error_text(&e)
        ))
    };
    let valid = pgspec_postgres::catalog::probes::index_is_valid(client, &schema, &index.idxname)
        .map_err(server_error)?;
    match valid {
        Some(true) => Ok(false),
        Some(false) => {
            client
                .batch_execute(&format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS {}",
                    pgspec_diff::qualified(&schema, &index.idxname)
                ))
                .map_err(server_error)?;
            Ok(true)
        }
        None => Ok(true),
    }
}

/// Run `steps` of `file` on the target, the transactional ones in one transaction with
/// `finish` (the history change). A file with steps outside a transaction runs them one by
/// one from step `start + 1` (the steps an earlier run finished are skipped), recording each
/// finished step with it, so that a run stopped part-way continues where it stopped.
pub(crate) fn run_on_target(
    client: &mut Client,
    file: &MigrationFile,
    steps: &[Step],
    direction: history::Direction,
    start: usize,
    finish: &dyn Fn(&mut pgspec_postgres::client::Transaction<'_>, Duration) -> Result<(), Error>,
) -> Result<Duration, Error> {
    let begun = Instant::now();
    let failed = |i: usize, e: &pgspec_postgres::client::Error| apply_failed(file, steps, i, e);
    if steps.iter().all(|s| s.transactional) {
        let mut tx = client.transaction().map_err(|e| failed(0, &e))?;
        for (i, s) in steps.iter().enumerate() {
            tx.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
        }
        finish(&mut tx, begun.elapsed())?;
        tx.commit().map_err(|e| failed(steps.len(), &e))?;
        return Ok(begun.elapsed());
    }
    history::ensure(client)?;
    let (version, checksum) = (file.version, file.checksum.as_str());
    for (i, s) in steps.iter().enumerate().skip(start) {
        if s.transactional {
            let mut tx = client.transaction().map_err(|e| failed(i, &e))?;
            tx.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
            history::set_steps_done(&mut tx, version, direction, checksum, Some(i + 1))?;
            tx.commit().map_err(|e| failed(i, &e))?;
        } else {
            if i == start && !concurrent_index_to_build(client, &s.sql)? {
                history::set_steps_done(client, version, direction, checksum, Some(i + 1))?;
                continue;
            }
            client.batch_execute(&s.sql).map_err(|e| failed(i, &e))?;
            history::set_steps_done(client, version, direction, checksum, Some(i + 1))?;
        }
    }
    let mut tx = client.transaction().map_err(|e| failed(steps.len(), &e))?;
    finish(&mut tx, begun.elapsed())?;
    history::set_steps_done(&mut tx, version, direction, checksum, None)?;
    tx.commit().map_err(|e| failed(steps.len(), &e))?;
    Ok(begun.elapsed())
}

/// Files `1..=k` whose state equals the target's schema, for a database that has a schema but
/// no history (made by `pgspec up` before the first migration): the largest such `k`, with
/// the scratch database at that state. `Ok(None)` when the target is empty.
fn baseline(
    files: &[MigrationFile],
    target: &Catalog,
    server: &Server,
) -> Result<Option<(usize, Scratch)>, Error> {
    let empty = Scratch::empty(server)?.catalog()?;
    if differences(&empty, target).is_empty() {
        return Ok(None);
    }
    let mut matched = None;
    let mut first_difference = Vec::new();
    let scratch = build_files(files, server, &[], &mut |i, s| {
        let left = differences(&s.catalog()?, target);
        if left.is_empty() {
            matched = Some(i + 1);
            return Ok(false);
        }
        if i == 0 {
            first_difference = left;
        }
        Ok(true)
    })
    .map_err(|e| Error::new(format!("the migrations do not build: {e}")))?;
    let Some(k) = matched else {
        return Err(Error::new(format!(
            "the database has a schema but no migration history, and no prefix of the migrations builds that schema (after the first file, still to change: {}); write a first migration that equals it (`pgspec migrate new` on the document it was made from, into an empty directory)",
            first_difference.into_iter().take(5).collect::<Vec<_>>().join("; ")
        )));
    };
    Ok(Some((k, scratch)))
}

/// A scratch database with the target's schema: the applied files built again when they
/// give exactly the target's schema, else a copy made from the target's catalog. The second
/// value: how the target drifted from its applied files (empty: it did not).
/// The names of `catalog`'s invalid indexes, which an interrupted or failed
/// `CREATE INDEX CONCURRENTLY` leaves (never one of a partitioned table's, invalid by design
/// until every partition has its copy), and the catalog without them: whatever runs next
/// drops them and builds them again.
pub(crate) fn without_invalid_indexes(catalog: &Catalog) -> (Catalog, Vec<String>) {
    let partitioned: Vec<u32> = catalog
        .tables
        .iter()
        .filter(|t| t.partitioning.is_some())
        .map(|t| t.oid)
        .collect();
    let invalid: Vec<String> = catalog
        .indexes
        .iter()
        .filter(|i| !i.valid && !partitioned.contains(&i.table_oid))
        .map(|i| pgspec_diff::qualified(&i.schema, &i.name))
        .collect();
    let mut c = catalog.clone();
    c.indexes
        .retain(|i| !invalid.contains(&pgspec_diff::qualified(&i.schema, &i.name)));
    (c, invalid)
}

/// `unfinished`: a file an earlier run stopped in, and how many of its up steps it finished
/// (they are part of the target's schema).
pub(crate) fn copy_of_target(
    applied_files: &[MigrationFile],
    unfinished: Option<(&MigrationFile, usize)>,
    catalog: &Catalog,
    server: &Server,
) -> Result<(Scratch, Vec<String>), Error> {
    // A failed CONCURRENTLY build's index goes before the step runs again.
    let (catalog, _) = &without_invalid_indexes(catalog);
    let mut built = build_files(applied_files, server, &[], &mut |_, _| Ok(true))?;
    if let Some((f, done)) = unfinished {
        for step in &f.up[..done.min(f.up.len())] {
            built
                .run(&step.sql)
                .map_err(|e| Error::new(format!("{}: {e}", f.file_name)))?;
        }
    }
    let drift = differences(&built.catalog()?, catalog);
    if drift.is_empty() {
        return Ok((built, drift));
    }
    drop(built);
    Ok((Scratch::copy_of(server, catalog)?, drift))
}

/// Apply the pending files of `dir` to the target, in order, under the migration lock.
pub fn apply(
    dir: &Path,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &ApplyOptions,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<Report, Error> {
    let files = read_dir(dir)?;
    let stale = ledger::differences(dir, &files)?;
    if !stale.is_empty() {
        return Err(Error::new(format!(
            "the ledger {} does not match the files ({}); after a deliberate edit of a file not yet applied, run `pgspec migrate hash`",
            dir.join(ledger::FILE_NAME).display(),
            stale.join("; ")
        )));
    }
    under_lock(target, options.lock_timeout, waiting, |target| {
        apply_locked(&files, target, scratch_server, options)
    })
}

fn apply_locked(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &ApplyOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let (applied, entries) = checked_history(files, target, "apply")?;
    let mut pending: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| {
            entries
                .iter()
                .any(|e| e.version == f.version && e.state == State::Pending)
        })
        .collect();
    if pending.is_empty() {
        return Ok(report);
    }
    for f in &pending {
        screen(f, &f.up, &target.database)?;
    }
    // The first pending file may have been stopped part-way (steps outside a transaction).
    let resume_from = history::steps_done(
        &mut target.client,
        pending[0].version,
        history::Direction::Up,
        &pending[0].checksum,
    )?;
    if resume_from > 0 {
        report.notes.push(format!(
            "{} was stopped after step {resume_from} of {} by an earlier run: continuing from step {}",
            pending[0].file_name,
            pending[0].up.len(),
            resume_from + 1
        ));
    }
    let catalog = target.catalog()?;
    let mut scratch = None;
    let mut baseline_count = 0;
    if applied.is_empty() && resume_from == 0 {
        if let Some((k, at_k)) = baseline(files, &catalog, scratch_server)? {
            baseline_count = k;
            scratch = Some(at_k);
        }
    }
    let (baselined, rest) = pending.split_at(baseline_count.min(pending.len()));
    let baselined: Vec<&MigrationFile> = baselined.to_vec();
    pending = rest.to_vec();
    if options.validate && !pending.is_empty() {
        let mut s = match scratch.take() {
            Some(s) => s,
            None => {
                let applied_files: Vec<MigrationFile> = files
                    .iter()
                    .filter(|f| applied.iter().any(|r| r.version == f.version))
                    .cloned()
                    .collect();
                let unfinished = (resume_from > 0).then(|| (pending[0], resume_from));
                let (s, drift) =
                    copy_of_target(&applied_files, unfinished, &catalog, scratch_server).map_err(
                        |e| {
                            Error::new(format!("{e} (--no-validate applies without the trial run)"))
                        },
                    )?;
                if !drift.is_empty() {
                    report.notes.push(format!(
                        "the database differs from what its applied migrations build (changed by hand?): {}",
                        drift.into_iter().take(5).collect::<Vec<_>>().join("; ")
                    ));
                }
                s
            }
        };
        for (i, f) in pending.iter().enumerate() {
            s.run_steps(f, &f.up, if i == 0 { resume_from } else { 0 })?;
        }
        report.validated = true;
    } else if !pending.is_empty() {
        report
            .notes
            .push("not validated on a scratch copy (--no-validate)".into());
    }
    drop(scratch);
    if options.dry_run {
        for f in &baselined {
            report.done.push(done(f, "would_baseline", Duration::ZERO));
        }
        for f in &pending {
            report.done.push(done(f, "would_apply", Duration::ZERO));
        }
        return Ok(report);
    }
    history::ensure(&mut target.client)?;
    for f in &baselined {
        history::record(
            &mut target.client,
            f.version,
            &f.file_name,
            &f.checksum,
            Duration::ZERO,
            true,
        )?;
        report.done.push(done(f, "baseline", Duration::ZERO));
    }
    for (i, f) in pending.iter().enumerate() {
        let start = if i == 0 { resume_from } else { 0 };
        let took = run_on_target(
            &mut target.client,
            f,
            &f.up,
            history::Direction::Up,
            start,
            &|tx, took| history::record(tx, f.version, &f.file_name, &f.checksum, took, false),
        )?;
        report.done.push(done(f, "applied", took));
    }
    Ok(report)
}

pub(crate) fn done(f: &MigrationFile, action: &'static str, took: Duration) -> Done {
    Done {
        version: f.version,
        file_name: f.file_name.clone(),
        action,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}
