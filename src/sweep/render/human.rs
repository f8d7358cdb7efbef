//! `sweep --format human` (the default): an aligned table, names and status left-aligned,
//! numbers right-aligned, then the totals line. Column widths need every row, so rows are
//! kept until `end`.

use std::io::{self, Write};

use super::{COLUMNS, RowView, SweepReporter, Totals, cells};

#[derive(Default)]
pub(super) struct HumanReporter {
    table: Vec<[String; 9]>,
}

impl HumanReporter {
    /// Each column as wide as its widest cell or header, in chars.
    fn widths(&self) -> Vec<usize> {
        (0..COLUMNS.len())
            .map(|column| {
                self.table
                    .iter()
                    .map(|cells| cells[column].chars().count())
                    .chain([COLUMNS[column].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }
}

/// One line of the table: cells padded to `widths`, two spaces apart, no trailing blanks.
fn line(cells: &[&str], widths: &[usize]) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(column, cell)| {
            if column == 0 || column == COLUMNS.len() - 1 {
                format!("{cell:<width$}", width = widths[column])
            } else {
                format!("{cell:>width$}", width = widths[column])
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

impl SweepReporter for HumanReporter {
    fn row(&mut self, _out: &mut dyn Write, row: &RowView) -> io::Result<()> {
        self.table.push(cells(row));
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
        let widths = self.widths();
        writeln!(out, "{}", line(&COLUMNS, &widths))?;
        for cells in &self.table {
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            writeln!(out, "{}", line(&cells, &widths))?;
        }
        writeln!(out, "\n{}", totals.line())
    }
}
