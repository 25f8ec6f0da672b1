//! What `seed` tells whoever watches it while it works: the plan (every table and the rows it
//! will get) before the first row, the rows of the table being filled after every batch, and
//! each table's outcome. Data only: the binary renders it (a progress bar on a terminal).

use super::TableReport;

/// One table of the plan, in the order tables are filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTable {
    pub table: String,
    /// Rows the table should hold (`--rows`, `--table`, or the document's stated volume).
    pub rows: u64,
    /// Rows it holds before this run (the document's own, or an earlier seed's): they count
    /// towards `rows`.
    pub existing: u64,
}

/// Rows of one table so far.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub table: &'a str,
    /// Position of the table in the plan (0-based) and the number of tables.
    pub index: usize,
    pub tables: usize,
    /// Rows the table holds now (those it held before this run included) and should hold.
    pub done: u64,
    pub total: u64,
    /// Seconds since the table's first row.
    pub seconds: f64,
    /// The table's last report (no more rows will come).
    pub finished: bool,
}

impl Progress<'_> {
    /// Rows per second so far (0 before the first batch).
    pub fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let r = self.done as f64 / self.seconds;
            r
        } else {
            0.0
        }
    }

    /// Seconds the rest of the table should take at the rate so far (none before a rate).
    pub fn seconds_left(&self) -> Option<f64> {
        let rate = self.rows_per_second();
        #[allow(clippy::cast_precision_loss)]
        (rate > 0.0).then(|| self.total.saturating_sub(self.done) as f64 / rate)
    }
}

/// Receives `seed`'s progress. Every method has an empty default.
pub trait SeedProgress {
    /// Before the first row: every table in filling order with the rows asked for.
    fn plan(&mut self, _tables: &[PlannedTable]) {}
    /// After every batch of a table, and once more when it is finished.
    fn rows(&mut self, _progress: &Progress<'_>) {}
    /// A table's outcome, once it is filled.
    fn table_done(&mut self, _report: &TableReport) {}
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl SeedProgress for NoProgress {}
