//! `sweep --format jsonl`: one row object per line, the same objects as the JSON document's
//! `repos`; no totals.

use std::io::{self, Write};

use super::json::write_row;
use super::{RowView, SweepReporter, Totals};

pub(super) struct JsonLinesReporter;

impl SweepReporter for JsonLinesReporter {
    fn row(&mut self, out: &mut dyn Write, row: &RowView) -> io::Result<()> {
        write_row(out, row)?;
        writeln!(out)
    }

    fn end(&mut self, _out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        Ok(())
    }
}
