//! `pgspec migrate down`: walk back through the applied migrations' down sections, refusing
//! a step that loses data unless allowed.

use super::*;

#[derive(Clone, Debug)]
pub struct DownOptions {
    pub steps: usize,
    pub allow_data_loss: bool,
    pub dry_run: bool,
    pub validate: bool,
    pub lock_timeout: Duration,
}

/// Whether a hazard loses data: values dropped, or a type that may reject or change them.
fn loses_data(code: Rule) -> bool {
    hazards::Kind::of(code, true) == hazards::Kind::DataLoss
}

/// Revert the last `steps` applied files through their down sections, newest first.
pub fn down(
    dir: &Path,
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &DownOptions,
    waiting: &mut dyn FnMut(Option<i32>),
) -> Result<Report, Error> {
    let files = read_dir(dir)?;
    under_lock(target, options.lock_timeout, waiting, |target| {
        down_locked(&files, target, scratch_server, options)
    })
}

/// `work` on the target while this process holds its migration lock (taken, waiting up to
/// `timeout`, and given back whatever `work` returns).
pub(crate) fn under_lock<T>(
    target: &mut Target<'_>,
    timeout: Duration,
    waiting: &mut dyn FnMut(Option<i32>),
    work: impl FnOnce(&mut Target<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    history::lock(&mut target.client, timeout, waiting)?;
    let result = work(target);
    history::unlock(&mut target.client);
    result
}

/// The target's history compared with the files; refused (`refusing to {verb}: …`) when an
/// applied file was edited, removed or reordered.
pub(crate) fn checked_history(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    verb: &str,
) -> Result<(Vec<AppliedRow>, Vec<Entry>), Error> {
    let applied = history::read(&mut target.client)?;
    let entries = compare(files, &applied);
    let problems = history_problems(&entries);
    if !problems.is_empty() {
        return Err(Error::new(format!(
            "refusing to {verb}: {}",
            problems.join("; ")
        )));
    }
    Ok((applied, entries))
}

fn down_locked(
    files: &[MigrationFile],
    target: &mut Target<'_>,
    scratch_server: &Server,
    options: &DownOptions,
) -> Result<Report, Error> {
    let mut report = Report::default();
    let (applied, _) = checked_history(files, target, "revert")?;
    let chosen: Vec<&MigrationFile> = applied
        .iter()
        .rev()
        .take(options.steps)
        .filter_map(|r| files.iter().find(|f| f.version == r.version))
        .collect();
    if chosen.is_empty() {
        return Ok(report);
    }
    for f in &chosen {
        screen(f, &f.down, &target.database)?;
    }
    if options.validate {
        let catalog = target.catalog()?;
        let applied_files: Vec<MigrationFile> = files
            .iter()
            .filter(|f| applied.iter().any(|r| r.version == f.version))
            .cloned()
            .collect();
        let (mut s, drift) = copy_of_target(&applied_files, None, &catalog, scratch_server)
            .map_err(|e| {
                Error::new(format!("{e} (--no-validate reverts without the trial run)"))
            })?;
        if !drift.is_empty() {
            report.notes.push(format!(
                "the database differs from what its applied migrations build (changed by hand?): {}",
                drift.into_iter().take(5).collect::<Vec<_>>().join("; ")
            ));
        }
        let mut before = catalog;
        for f in &chosen {
            s.run_steps(f, &f.down, 0)?;
            let after = s.catalog()?;
            // What the step did, as the planner sees it: its hazards are the step's.
            let effect = pgspec_diff::plan(&before, &after, &compare_options(&before, &after))
                .map_err(|r| {
                    Error::new(format!(
                        "the effect of {}'s down section cannot be judged: {}",
                        f.file_name,
                        refusals_text(&r)
                    ))
                })?;
            // A rename the section runs (written with `--renames`) keeps the values; the
            // catalogs alone show a drop and an add.
            let down_text: String = f.down.iter().map(|st| st.sql.as_str()).collect();
            let renamed: Vec<String> =
                pgspec_diff::renames(&before, &after, &compare_options(&before, &after))
                    .into_iter()
                    .filter(|r| {
                        r.statements
                            .iter()
                            .all(|st| down_text.contains(st.sql.as_str()))
                    })
                    .map(|r| match r.kind {
                        pgspec_diff::RenameKind::Table => {
                            format!("table {} ", pgspec_diff::qualified(&r.schema, &r.from))
                        }
                        pgspec_diff::RenameKind::Column => format!(
                            "column {}.{} ",
                            pgspec_diff::qualified(&r.schema, &r.table),
                            r.from
                        ),
                    })
                    .collect();
            let losses: Vec<String> = effect
                .statements
                .iter()
                .flat_map(|st| st.hazards.iter())
                .filter(|h| loses_data(h.code))
                .filter(|h| !renamed.iter().any(|object| h.message.starts_with(object)))
                .map(|h| format!("{} {}", h.code.code(), h.message))
                .collect();
            if !losses.is_empty() {
                if !options.allow_data_loss {
                    return Err(Error::new(format!(
                        "refusing to revert {}: its down section loses data ({}); add --allow-hazards data-loss to revert anyway",
                        f.file_name,
                        losses.join("; ")
                    )));
                }
                report.notes.push(format!(
                    "{} loses data (allowed): {}",
                    f.file_name,
                    losses.join("; ")
                ));
            }
            before = after;
        }
        report.validated = true;
    } else if !options.allow_data_loss {
        return Err(Error::new(
            "without the trial run (--no-validate) pgspec cannot tell whether the down sections lose data; add --allow-hazards data-loss to revert anyway",
        ));
    }
    if options.dry_run {
        for f in &chosen {
            report.done.push(done(f, "would_revert", Duration::ZERO));
        }
        return Ok(report);
    }
    for f in &chosen {
        let start = history::steps_done(
            &mut target.client,
            f.version,
            history::Direction::Down,
            &f.checksum,
        )?;
        let took = run_on_target(
            &mut target.client,
            f,
            &f.down,
            history::Direction::Down,
            start,
            &|tx, _| history::forget(tx, f.version),
        )?;
        report.done.push(done(f, "reverted", took));
    }
    Ok(report)
}
