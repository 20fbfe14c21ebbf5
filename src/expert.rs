//! The expert file: per school, the five indicators the survey cannot give (Пинф, Пдист,
//! Пкомф.усл, Порг.дост, Пуслуг.дост), from the operator's audit of the stands, the website and
//! the building. Parsed whole, like the roster: a bad row rejects the file with its line number.

use std::collections::HashMap;

use crate::roster::{LineCounter, delimiter, first_line};
use crate::survey::scoring::ExpertScores;

/// One school's audited indicators, with the line they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertRow {
    pub line: u64,
    pub municipality: String,
    pub school: String,
    pub scores: ExpertScores,
}

/// Why an expert file was rejected; `line` is the line number a spreadsheet shows. `Display` is
/// the English log text; people read it through [`crate::failure::render`], in their language.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExpertError {
    #[error("the file is not UTF-8 text (in Excel choose «CSV UTF-8» when saving)")]
    NotUtf8,
    #[error("the file is empty")]
    Empty,
    #[error(
        "the header row has no {0:?} column (needed: municipality, school, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost)"
    )]
    MissingColumn(&'static str),
    #[error("line {line}: {problem}")]
    Row { line: u64, problem: ExpertProblem },
    #[error("the file has a header but no schools")]
    NoRows,
}

/// What is wrong with one row of an expert file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExpertProblem {
    #[error("cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("the {0} is missing")]
    Missing(&'static str),
    #[error("{column} must be a number from 0 to 100, got {got:?}")]
    NotPoints { column: &'static str, got: String },
    #[error("school {school:?} of {municipality:?} is already listed on line {first}")]
    Twice { school: String, municipality: String, first: u64 },
}

fn row_error(line: u64, problem: ExpertProblem) -> ExpertError {
    ExpertError::Row { line, problem }
}

/// The five value columns, in the order of [`ExpertScores`]'s fields.
const VALUES: [&str; 5] = ["p_inf", "p_dist", "p_komf_usl", "p_org_dost", "p_uslug_dost"];

/// Every column with the header names accepted for it: the documented ones and the symbols of
/// order 344н a Russian spreadsheet carries.
const ALIASES: [(&str, &[&str]); 7] = [
    ("municipality", &["municipality", "муниципалитет", "муниципальное образование", "район"]),
    ("school", &["school", "школа", "оо", "образовательная организация"]),
    ("p_inf", &["p_inf", "пинф"]),
    ("p_dist", &["p_dist", "пдист"]),
    ("p_komf_usl", &["p_komf_usl", "пкомф.усл", "пкомф усл"]),
    ("p_org_dost", &["p_org_dost", "порг.дост", "порг дост"]),
    ("p_uslug_dost", &["p_uslug_dost", "пуслуг.дост", "пуслуг дост"]),
];

fn accepted(column: &str) -> &'static [&'static str] {
    ALIASES.iter().find(|(name, _)| *name == column).map_or(&[], |(_, names)| *names)
}

/// Whether a file is an expert file rather than a roster: its first line names the first value
/// column. Both come to the bot as documents from the same region administrator.
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_lowercase();
    first_line(&head).is_some_and(|header| accepted(VALUES[0]).iter().any(|name| header.contains(name)))
}

/// Parses an expert CSV: comma or semicolon separated, UTF-8 with or without a byte order mark,
/// values 0–100 with a decimal point or comma.
pub fn parse(bytes: &[u8]) -> Result<Vec<ExpertRow>, ExpertError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ExpertError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = first_line(text).ok_or(ExpertError::Empty)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| row_error(1, ExpertProblem::Unreadable(e.to_string())))?.clone();
    let column = |name: &'static str| {
        let names = accepted(name);
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().to_lowercase() == *n))
            .ok_or(ExpertError::MissingColumn(name))
    };
    let (m_col, s_col) = (column("municipality")?, column("school")?);
    let value_cols = VALUES.map(column);
    let mut value_col = [0; 5];
    for (slot, found) in value_col.iter_mut().zip(value_cols) {
        *slot = found?;
    }

    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = lines.line_at(e.position());
            row_error(line, ExpertProblem::Unreadable(e.to_string()))
        })?;
        let line = lines.line_at(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let field = |col: usize, name: &'static str| -> Result<String, ExpertError> {
            match record.get(col) {
                Some(value) if !value.is_empty() => Ok(value.to_string()),
                _ => Err(row_error(line, ExpertProblem::Missing(name))),
            }
        };
        let municipality = field(m_col, "municipality")?;
        let school = field(s_col, "school")?;
        let mut values = [0.0; 5];
        for ((value, col), name) in values.iter_mut().zip(value_col).zip(VALUES) {
            let raw = field(col, name)?;
            *value =
                points(&raw).ok_or_else(|| row_error(line, ExpertProblem::NotPoints { column: name, got: raw }))?;
        }
        if let Some(first) = seen.insert((municipality.clone(), school.clone()), line) {
            return Err(row_error(line, ExpertProblem::Twice { school, municipality, first }));
        }
        let [inf, dist, komf_usl, org_dost, uslug_dost] = values;
        let scores = ExpertScores { inf, dist, komf_usl, org_dost, uslug_dost };
        rows.push(ExpertRow { line, municipality, school, scores });
    }
    if rows.is_empty() {
        return Err(ExpertError::NoRows);
    }
    Ok(rows)
}

/// Points 0–100 as a spreadsheet writes them: `87.5` or, in Russian Excel, `87,5`.
fn points(text: &str) -> Option<f64> {
    if text.contains('.') && text.contains(',') {
        return None;
    }
    let value: f64 = text.replace(',', ".").parse().ok()?;
    (value.is_finite() && (0.0..=100.0).contains(&value)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "municipality,school,p_inf,p_dist,p_komf_usl,p_org_dost,p_uslug_dost\n";

    #[test]
    fn reads_semicolons_decimal_commas_and_a_bom() {
        let file = "\u{feff}municipality;school;p_inf;p_dist;p_komf_usl;p_org_dost;p_uslug_dost\n\
                    Иркутск;Школа № 1;90;100;87,5;60;40\n\nКунгур;Школа № 3;0;0;0;0;100\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].scores,
            ExpertScores { inf: 90.0, dist: 100.0, komf_usl: 87.5, org_dost: 60.0, uslug_dost: 40.0 }
        );
        assert_eq!((rows[1].line, rows[1].school.as_str()), (4, "Школа № 3"));
    }

    #[test]
    fn reads_commas_with_quoted_decimal_commas_and_columns_in_any_order() {
        let file = "school,municipality,p_uslug_dost,p_org_dost,p_komf_usl,p_dist,p_inf\n\
                    \"Школа № 2, корпус 1\",Кунгур,1,2,3,\"4,5\",5.5\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].school, "Школа № 2, корпус 1");
        assert_eq!(rows[0].scores, ExpertScores { inf: 5.5, dist: 4.5, komf_usl: 3.0, org_dost: 2.0, uslug_dost: 1.0 });
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let bad = |row: &str| parse(format!("{HEADER}A,S1,1,2,3,4,5\n{row}\n").as_bytes()).unwrap_err().to_string();
        assert_eq!(bad("A,S2,1,2,3,4,101"), "line 3: p_uslug_dost must be a number from 0 to 100, got \"101\"");
        assert_eq!(bad("A,S2,1,2,много,4,5"), "line 3: p_komf_usl must be a number from 0 to 100, got \"много\"");
        assert_eq!(bad("A,S2,-1,2,3,4,5"), "line 3: p_inf must be a number from 0 to 100, got \"-1\"");
        assert_eq!(bad("A,S2,NaN,2,3,4,5"), "line 3: p_inf must be a number from 0 to 100, got \"NaN\"");
        assert_eq!(bad("A,S2,\"1.000,5\",2,3,4,5"), "line 3: p_inf must be a number from 0 to 100, got \"1.000,5\"");
        assert_eq!(bad("A,S2,1,2,3,4"), "line 3: the p_uslug_dost is missing");
        assert_eq!(bad("A,,1,2,3,4,5"), "line 3: the school is missing");
        assert_eq!(bad("A,S1,1,2,3,4,5"), "line 3: school \"S1\" of \"A\" is already listed on line 2");
    }

    #[test]
    fn reads_the_russian_symbols_of_the_order() {
        let file =
            "Муниципалитет;Школа;Пинф;Пдист;Пкомф.усл;Порг.дост;Пуслуг.дост\nИркутск;Школа № 1;90;100;80;60;50\n";
        assert!(looks_like(file.as_bytes()) && looks_like(HEADER.as_bytes()));
        assert!(!looks_like("municipality;school;class;students\n".as_bytes()));
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows[0].scores.uslug_dost, 50.0);
    }

    #[test]
    fn rejects_missing_columns_and_empty_files() {
        assert_eq!(
            parse(b"municipality,school,p_inf,p_dist,p_komf_usl,p_org_dost\n").unwrap_err(),
            ExpertError::MissingColumn("p_uslug_dost")
        );
        assert_eq!(parse(b"").unwrap_err(), ExpertError::Empty);
        assert_eq!(parse(HEADER.as_bytes()).unwrap_err(), ExpertError::NoRows);
        assert_eq!(parse(&[0xff, 0xfe]).unwrap_err(), ExpertError::NotUtf8);
    }
}
