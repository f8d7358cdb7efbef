//! `sweep --format jsonl`: one row object per line, the same objects as the JSON document's
//! `repos`; no totals.

use std::io::{self, Write};

use super::json::JsonRow;
use super::{SweepReporter, Totals};
use crate::sweep::Row;

pub(super) struct JsonLinesReporter;

impl SweepReporter for JsonLinesReporter {
    fn row(&mut self, out: &mut dyn Write, row: &Row) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &JsonRow::new(row))?;
        writeln!(out)
    }

    fn end(&mut self, _out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        Ok(())
    }
}
