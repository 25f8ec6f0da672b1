//! Progress on standard error while a command works: a bar per table on a terminal (hidden
//! when standard error is not one, or with `--quiet`), one line per table otherwise.

use std::io::IsTerminal;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgspec::seed::{PlannedTable, Progress, SeedProgress, TableReport};
use pgspec::verify::{Claim, ClaimKind, VerifyProgress};

/// `seed`'s progress on standard error.
pub(crate) struct SeedBars {
    /// A bar on a terminal; plain lines otherwise.
    terminal: bool,
    quiet: bool,
    /// Print every table of the plan before the first row (`--volumes`: the counts come
    /// from the document, so they are worth seeing first).
    show_plan: bool,
    bar: Option<ProgressBar>,
}

impl SeedBars {
    pub(crate) fn new(quiet: bool, show_plan: bool) -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            quiet,
            show_plan,
            bar: None,
        }
    }

    fn bar_for(&mut self, p: &Progress<'_>) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(p.total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} {human_pos}/{human_len} rows {msg} [{wide_bar}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(format!("[{}/{}] {}", p.index + 1, p.tables, p.table));
            bar
        })
    }
}

impl SeedProgress for SeedBars {
    #[allow(clippy::print_stderr)]
    fn plan(&mut self, tables: &[PlannedTable]) {
        if self.quiet {
            return;
        }
        let rows: u64 = tables.iter().map(|t| t.rows).sum();
        eprintln!("seeding {} tables, {} rows", tables.len(), HumanCount(rows));
        if self.show_plan {
            for t in tables {
                eprintln!(
                    "  {:<40} {:>12} rows",
                    t.table,
                    HumanCount(t.rows).to_string()
                );
            }
        }
    }

    fn rows(&mut self, p: &Progress<'_>) {
        if self.quiet || !self.terminal || p.finished {
            return;
        }
        let message = match p.seconds_left() {
            Some(left) => format!("({:.0} rows/s, {left:.0} s left)", p.rows_per_second()),
            None => String::new(),
        };
        let bar = self.bar_for(p);
        bar.set_position(p.done);
        bar.set_message(message);
        // Both in one line now: the bar draws at most 20 times a second, so the second
        // change alone would wait for the next batch.
        bar.force_draw();
    }

    #[allow(clippy::print_stderr)]
    fn table_done(&mut self, report: &TableReport) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.quiet {
            return;
        }
        eprintln!("seeded {}: {} rows", report.table, HumanCount(report.rows));
    }
}

/// Documents with at least this many statements get a bar while `check` applies them.
const LONG_DOCUMENT: usize = 200;

/// `check`'s progress through a long document's statements, as a bar on a terminal (none
/// otherwise, or with fewer than [`LONG_DOCUMENT`] statements).
pub(crate) fn statement_bar(path: &str) -> Option<pgspec::check::StatementProgress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::hidden();
    let prefix = format!("applying {path}");
    Some(pgspec::check::StatementProgress(std::sync::Arc::new(
        move |done, total| {
            if total < LONG_DOCUMENT {
                return;
            }
            if bar.is_hidden() && done < total {
                let style = ProgressStyle::with_template(
                    "{prefix} {human_pos}/{human_len} statements [{wide_bar}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_length(total as u64);
                bar.set_prefix(prefix.clone());
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(done as u64);
            if done == total {
                bar.finish_and_clear();
            }
        },
    )))
}

/// `verify`'s progress, claim by claim, as a spinner line on a terminal (nothing otherwise, or
/// with `--quiet`): which group of claims it is on, how many were judged, the last one.
pub(crate) struct ClaimSpinner {
    bar: Option<ProgressBar>,
    group: &'static str,
}

impl ClaimSpinner {
    pub(crate) fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} verify: {prefix} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar, group: "" }
    }
}

impl VerifyProgress for ClaimSpinner {
    fn group(&mut self, kind: ClaimKind) {
        self.group = kind.as_str();
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} claims…", self.group));
        }
    }

    fn claim(&mut self, claim: &Claim, judged: usize) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(format!("{judged} judged"));
            bar.set_message(format!(
                "{} {}: {}",
                claim.kind.as_str(),
                claim.status.as_str(),
                claim.title.chars().take(60).collect::<String>()
            ));
        }
    }
}

impl Drop for ClaimSpinner {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
