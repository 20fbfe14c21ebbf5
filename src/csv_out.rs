//! Every CSV file the project writes goes through [`Writer`], which guards each cell against
//! spreadsheet formula injection: free text and roster names come from people, and a cell such as
//! `=HYPERLINK(...)` would run as a formula when an operator opens the file in Excel or
//! LibreOffice. `clippy.toml` forbids the `csv` crate's own writers elsewhere, so no export can
//! forget the guard.

#![allow(clippy::disallowed_types)]

use std::borrow::Cow;
use std::io;
use std::path::Path;

/// OWASP's rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading apostrophe, which spreadsheets show as text and do not evaluate.
pub fn guard(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV writer whose every cell is [`guard`]ed.
pub struct Writer<W: io::Write>(csv::Writer<W>);

impl Writer<std::fs::File> {
    pub fn from_path(path: impl AsRef<Path>) -> csv::Result<Self> {
        csv::Writer::from_path(path).map(Writer)
    }
}

impl<W: io::Write> Writer<W> {
    pub fn from_writer(writer: W) -> Self {
        Writer(csv::Writer::from_writer(writer))
    }

    /// Records of different lengths allowed (e.g. a table followed by one-cell notes).
    pub fn flexible(writer: W) -> Self {
        Writer(csv::WriterBuilder::new().flexible(true).from_writer(writer))
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(record.into_iter().map(|cell| guard(cell.as_ref()).into_owned()))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }

    /// The underlying writer, once everything buffered is written to it.
    pub fn into_inner(self) -> io::Result<W> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_evaluate_get_an_apostrophe() {
        for dangerous in ["=1+1", "+7 900", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(guard(dangerous), format!("'{dangerous}"), "{dangerous:?}");
        }
        for safe in ["", "5А", "Школа № 1", "a=b", " =1", "'=1", "12.50", "https://t.me/bot?start=x"] {
            assert!(matches!(guard(safe), Cow::Borrowed(s) if s == safe), "{safe:?}");
        }
    }

    #[test]
    fn the_writer_guards_every_cell_and_still_quotes() {
        let mut writer = Writer::from_writer(Vec::new());
        writer.write_record(["=cmd|' /C calc'!A0", "ok", "-1,5", "@x"]).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text, "'=cmd|' /C calc'!A0,ok,\"'-1,5\",'@x\n");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "'-1,5");
    }
}
