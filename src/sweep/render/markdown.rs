//! `sweep --format markdown`: a GitHub table (numbers right-aligned), a row per repository,
//! then the totals line.

use std::io::{self, Write};

use super::{COLUMNS, RowView, SweepReporter, Totals, cells};

pub(super) struct MarkdownReporter;

impl SweepReporter for MarkdownReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "| {} |", COLUMNS.join(" | "))?;
        writeln!(out, "|---|{}", "---:|".repeat(7) + "---|")
    }

    fn row(&mut self, out: &mut dyn Write, row: &RowView) -> io::Result<()> {
        // A `|` in a cell (a path, an error message) would end the cell.
        let line: Vec<String> = cells(row)
            .iter()
            .map(|cell| cell.replace('|', "\\|"))
            .collect();
        writeln!(out, "| {} |", line.join(" | "))
    }

    fn end(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
        writeln!(out, "\n{}", totals.line())
    }
}
