//! Every CSV file the project writes goes through [`Writer`], in one [`Dialect`]: by default the
//! one a Russian Excel opens by double-click (UTF-8 with a byte order mark, `;` between cells,
//! decimal comma, CRLF), or plain RFC 4180 for tools. Each cell is guarded against spreadsheet
//! formula injection: free text and roster names come from people, and a cell such as
//! `=HYPERLINK(...)` would run as a formula when an operator opens the file in Excel or
//! LibreOffice. `clippy.toml` forbids the `csv` crate's own writers elsewhere, so no export can
//! forget the guard or the dialect.

#![allow(clippy::disallowed_types)]

use std::borrow::Cow;
use std::io;
use std::path::Path;

use serde::Deserialize;

/// OWASP's rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading apostrophe, which spreadsheets show as text and do not evaluate.
pub fn guard(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// How a CSV file is written (`[files] csv` in bot.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dialect {
    /// What a Russian Excel opens by double-click: without the byte order mark it reads UTF-8 as
    /// Windows-1251 (mojibake), with `,` it puts a whole row in one column, and it reads `66.67`
    /// as text, not a number.
    #[default]
    Excel,
    /// RFC 4180: `,`, decimal point, no byte order mark; for scripts and tools.
    Rfc4180,
}

impl Dialect {
    /// A number with `places` decimals, as this dialect's readers expect it.
    pub fn decimal(self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        match self {
            Dialect::Excel => text.replace('.', ","),
            Dialect::Rfc4180 => text,
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Dialect::Excel => b';',
            Dialect::Rfc4180 => b',',
        }
    }

    fn byte_order_mark(self) -> &'static [u8] {
        match self {
            Dialect::Excel => "\u{feff}".as_bytes(),
            Dialect::Rfc4180 => b"",
        }
    }
}

/// A CSV writer in one [`Dialect`] whose every cell is [`guard`]ed.
pub struct Writer<W: io::Write> {
    csv: csv::Writer<W>,
    dialect: Dialect,
    flexible: bool,
}

impl Writer<std::fs::File> {
    pub fn from_path(path: impl AsRef<Path>, dialect: Dialect) -> io::Result<Self> {
        let file = std::fs::File::create(path)?;
        Writer::new(file, dialect, false)
    }
}

impl<W: io::Write> Writer<W> {
    pub fn from_writer(writer: W, dialect: Dialect) -> io::Result<Self> {
        Writer::new(writer, dialect, false)
    }

    /// Records of different lengths allowed (e.g. a table followed by one-cell notes).
    pub fn flexible(writer: W, dialect: Dialect) -> io::Result<Self> {
        Writer::new(writer, dialect, true)
    }

    fn new(mut writer: W, dialect: Dialect, flexible: bool) -> io::Result<Self> {
        writer.write_all(dialect.byte_order_mark())?;
        Ok(Writer { csv: Writer::<W>::builder(dialect, flexible).from_writer(writer), dialect, flexible })
    }

    fn builder(dialect: Dialect, flexible: bool) -> csv::WriterBuilder {
        let mut builder = csv::WriterBuilder::new();
        builder.delimiter(dialect.delimiter()).terminator(csv::Terminator::CRLF).flexible(flexible);
        builder
    }

    /// An empty line (the `csv` crate writes a record of one empty cell as `""`).
    pub fn blank_line(self) -> io::Result<Self> {
        let (dialect, flexible) = (self.dialect, self.flexible);
        let mut inner = self.into_inner()?;
        inner.write_all(b"\r\n")?;
        Ok(Writer { csv: Writer::<W>::builder(dialect, flexible).from_writer(inner), dialect, flexible })
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        // Cell by cell, so that a cell needing no guard is not copied (an export writes millions).
        for cell in record {
            self.csv.write_field(guard(cell.as_ref()).as_bytes())?;
        }
        self.csv.write_record(None::<&[u8]>)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.csv.flush()
    }

    /// The underlying writer, once everything buffered is written to it.
    pub fn into_inner(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
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
        let mut writer = Writer::from_writer(Vec::new(), Dialect::Rfc4180).unwrap();
        writer.write_record(["=cmd|' /C calc'!A0", "ok", "-1,5", "@x"]).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text, "'=cmd|' /C calc'!A0,ok,\"'-1,5\",'@x\r\n");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "'-1,5");
    }

    #[test]
    fn the_excel_dialect_is_what_a_russian_excel_reads() {
        let mut writer = Writer::flexible(Vec::new(), Dialect::Excel).unwrap();
        writer.write_record(["Школа", "1.3"]).unwrap();
        writer.write_record(["Школа № 1; корпус 2", &Dialect::Excel.decimal(66.666, 2)]).unwrap();
        let mut writer = writer.blank_line().unwrap();
        writer.write_record(["Пояснение"]).unwrap();
        let bytes = writer.into_inner().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}Школа;1.3\r\n\"Школа № 1; корпус 2\";66,67\r\n\r\nПояснение\r\n");
        assert_eq!(Dialect::Rfc4180.decimal(66.666, 2), "66.67");
    }
}
