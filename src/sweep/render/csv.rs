//! `sweep --format csv`: the header, then one record per repository (RFC 4180 quoting).

use std::io::{self, Write};

use super::{COLUMNS, RowView, SweepReporter, Totals, cells};

pub(super) struct CsvReporter;

impl SweepReporter for CsvReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", COLUMNS.join(","))
    }

    fn row(&mut self, out: &mut dyn Write, row: &RowView) -> io::Result<()> {
        let line: Vec<String> = cells(row).iter().map(|cell| csv_field(cell)).collect();
        writeln!(out, "{}", line.join(","))
    }

    fn end(&mut self, _out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        Ok(())
    }
}

/// A field quoted when it holds a comma, a quote or a line break; quotes doubled.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
