//! Progress on standard error while a command works: a bar per table on a terminal (hidden
//! when standard error is not one, or with `--quiet`), one line per table otherwise.

use std::io::IsTerminal;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgspec::seed::{PlannedTable, Progress, SeedProgress, TableReport};

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
